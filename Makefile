# Rustux Boot Lab. The two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
VARIANT ?=
SOAK_BOOTS ?= 100
KNOWN_BAD := shared-user-tables hang-after-heap triple-fault silent stack-overflow \
	no-preempt lost-input init-crash missing-initrd changed-hello
# Builds the kernel tests boot but that are not known-bad: stale-map-key must still PASS.
KERNEL_TEST_VARIANTS := stale-map-key

.PHONY: all deps kernel image variants test test-kernel test-lab test-hosts demo demo-hosts demo-stop bench soak clean

all: kernel

deps:
	@scripts/install-deps.sh

# build/esp/EFI/BOOT/BOOTX64.EFI + EFI/rustux/initrd.cpio, or build/variants/$(VARIANT)/esp/...
kernel: deps
	@scripts/build-kernel.sh $(VARIANT)

# build/rustux.img: a GPT disk with one EFI System Partition holding build/esp.
image: kernel
	@scripts/make-image.sh

variants: deps
	@for v in $(KNOWN_BAD) $(KERNEL_TEST_VARIANTS); do scripts/build-kernel.sh $$v || exit 1; done

test-kernel: deps
	@scripts/test-kernel.sh

test-lab: deps kernel image variants
	$(PY) -m pytest -q --durations=25 -m "not hosts"

# The distributed lab (PostgreSQL, crossbar, two masters, network-namespace hosts) and its faults.
test-hosts: deps kernel
	$(PY) -m pytest -q --durations=10 -m hosts

test: test-kernel test-lab

demo: deps kernel
	@scripts/demo.sh

# The lab across hosts (network namespaces, PostgreSQL, crossbar, two masters): up until demo-stop.
demo-hosts: deps kernel
	@scripts/demo-hosts.sh

demo-stop:
	@scripts/demo-stop.sh

bench: deps kernel
	$(PY) bench/matcher.py
	$(PY) bench/screen.py
	$(PY) bench/boot_latency.py
	$(PY) bench/deadlines.py --boots $(SOAK_BOOTS)
	$(PY) bench/vboard.py
	$(PY) bench/board_kinds.py
	$(PY) bench/shell.py
	$(PY) bench/conversation.py
	$(PY) bench/warm.py
	$(PY) bench/dashboard.py

# A bench, not a test: SOAK_BOOTS boots over the lab across hosts with 1, 2 and 4 QEMU hosts (root).
soak: deps kernel
	$(PY) bench/soak.py --boots $(SOAK_BOOTS)

clean:
	rm -rf build kernel/target userspace/target
