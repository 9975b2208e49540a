# Rustux Boot Lab. The two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
VARIANT ?=
# x86_64 or aarch64 (build/aarch64/esp/EFI/BOOT/BOOTAA64.EFI, ...)
ARCH ?= x86_64
SOAK_BOOTS ?= 100
SEED ?=
BOOTS ?= 300
CHAOS_SCALE ?= 1
KNOWN_BAD := shared-user-tables hang-after-heap triple-fault silent stack-overflow \
	no-preempt lost-input init-crash missing-initrd changed-hello
KNOWN_BAD_aarch64 := shared-user-tables hang-after-heap el1-fault silent stack-overflow \
	no-preempt lost-input init-crash missing-initrd
# Builds the kernel tests boot but that are not known-bad: stale-map-key must still PASS.
KERNEL_TEST_VARIANTS := stale-map-key

.PHONY: all deps kernel loader image variants lint test test-kernel test-lab test-hosts demo demo-hosts demo-stop bench soak chaos clean

all: kernel

deps:
	@scripts/install-deps.sh

# build/esp/EFI/BOOT/BOOTX64.EFI + EFI/rustux/initrd.cpio, or build/variants/$(VARIANT)/esp/...
# (ARCH=aarch64: under build/aarch64/)
kernel: deps
	@ARCH=$(ARCH) scripts/build-kernel.sh $(VARIANT)

# build/loader/rustux-loader.efi and build/loader/aarch64/rustux-loader.efi: the warm lane's
# resident loader (loader/) for each architecture, and its host tests.
loader: deps
	@PATH=/usr/bin:$$PATH cargo test --quiet --manifest-path loader/Cargo.toml --target-dir build/cargo/host
	@scripts/build-loader.sh

# build/rustux.img: a GPT disk with one EFI System Partition holding build/esp.
# (ARCH=aarch64: build/aarch64/rustux.img from build/aarch64/esp)
image: kernel
	@scripts/make-image.sh $(if $(filter aarch64,$(ARCH)),build/aarch64/esp build/aarch64/rustux.img)

# (ARCH=aarch64: the arm64 known-bad builds, under build/aarch64/variants/)
variants: deps
	@for v in $(if $(filter aarch64,$(ARCH)),$(KNOWN_BAD_aarch64),$(KNOWN_BAD)) $(KERNEL_TEST_VARIANTS); do \
		ARCH=$(ARCH) scripts/build-kernel.sh $$v || exit 1; done

test-kernel: deps
	@scripts/test-kernel.sh

test-lab: deps kernel loader image variants
	$(MAKE) kernel variants ARCH=aarch64
	$(PY) -m pytest -q --durations=25 -m "not hosts"

# The distributed lab (PostgreSQL, crossbar, two masters, network-namespace hosts) and its faults.
test-hosts: deps kernel loader
	$(PY) -m pytest -q --durations=10 -m hosts

# ruff and mypy (pyproject.toml): the domain and the worker side stay clean.
lint: deps
	$(VENV)/bin/ruff check lab workers
	$(VENV)/bin/mypy

test: lint test-kernel test-lab

demo: deps kernel loader
	@scripts/demo.sh

# The lab across hosts (network namespaces, PostgreSQL, crossbar, two masters): up until demo-stop.
demo-hosts: deps kernel loader
	@scripts/demo-hosts.sh

demo-stop:
	@scripts/demo-stop.sh

bench: deps kernel loader
	$(PY) bench/matcher.py
	$(PY) bench/screen.py
	$(PY) bench/boot_latency.py
	$(PY) bench/deadlines.py --boots $(SOAK_BOOTS)
	$(PY) bench/vboard.py
	$(PY) bench/board_kinds.py
	$(PY) bench/shell.py
	$(PY) bench/conversation.py
	$(PY) bench/warm.py
	$(PY) bench/fanout.py
	$(PY) bench/coldpath.py
	$(PY) bench/coldwarm_soak.py --boots $(SOAK_BOOTS)
	$(PY) bench/arm64.py
	$(PY) bench/dashboard.py
	$(PY) bench/environments.py

# A bench, not a test: SOAK_BOOTS boots over the lab across hosts with 1, 2 and 4 QEMU hosts (root).
soak: deps kernel loader
	$(PY) bench/soak.py --boots $(SOAK_BOOTS)

# A bench, not a test: the seeded chaos soak (root). SEED=N replays a run's fault schedule.
chaos: deps kernel loader
	SEED=$(SEED) BOOTS=$(BOOTS) CHAOS_SCALE=$(CHAOS_SCALE) $(PY) bench/chaos.py

clean:
	rm -rf build kernel/target userspace/target
