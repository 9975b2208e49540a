#!/usr/bin/env bash
# Builds userspace `hello`, then the Rustux UEFI kernel embedding it, into an ESP directory.
#   scripts/build-kernel.sh            -> build/esp/EFI/BOOT/BOOTX64.EFI
#   scripts/build-kernel.sh VARIANT    -> build/variants/VARIANT/esp/EFI/BOOT/BOOTX64.EFI
# Toolchain: rustup's cargo when it has both targets installed, else Debian's rustc-web with
# -Zbuild-std over the vendored std sources (offline). Target dirs persist under build/cargo/
# so a rebuild reuses the built core/alloc.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VARIANTS=(shared-user-tables hang-after-heap triple-fault silent stack-overflow stale-map-key busy-heap)
VARIANT=${1:-}
if [ -n "$VARIANT" ] && ! printf '%s\n' "${VARIANTS[@]}" | grep -qx -- "$VARIANT"; then
    echo "build-kernel: unknown variant '$VARIANT' (known: ${VARIANTS[*]})" >&2
    exit 2
fi

has_target() {  # has_target RUSTC TRIPLE: does this rustc ship a prebuilt std for TRIPLE?
    [ -d "$("$1" --print sysroot)/lib/rustlib/$2" ]
}

VENDOR=/usr/lib/rustlib/src/rust/library/vendor
if command -v rustc >/dev/null && has_target rustc x86_64-unknown-uefi && has_target rustc x86_64-unknown-none; then
    TOOLCHAIN="rustup"
    CARGO=(cargo)
    KERNEL_FLAGS=(); USER_FLAGS=()
    KERNEL_RUSTFLAGS=""; USER_RUSTFLAGS=""
else
    TOOLCHAIN="debian"
    if [ ! -x /usr/bin/cargo ] || [ ! -d "$VENDOR" ] || [ ! -x /usr/bin/lld-link-19 ]; then
        echo "build-kernel: no usable toolchain: install rustc-web cargo-web rust-web-src lld-19 (make deps)" >&2
        exit 1
    fi
    export PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1
    CARGO=(/usr/bin/cargo)
    STD=(--config "source.crates-io.replace-with=\"vendored\""
         --config "source.vendored.directory=\"$VENDOR\""
         -Zbuild-std-features=compiler-builtins-mem)
    KERNEL_FLAGS=("${STD[@]}" -Zbuild-std=core,compiler_builtins,alloc)
    USER_FLAGS=("${STD[@]}" -Zbuild-std=core,compiler_builtins)
    KERNEL_RUSTFLAGS="-C linker=lld-link-19"
    USER_RUSTFLAGS="-C linker=ld.lld-19"
fi

# Variants share the kernel target dir: only the kernel crate differs, core/alloc are reused.
KTARGET=build/cargo/kernel
if [ -n "$VARIANT" ]; then
    ESP=build/variants/$VARIANT/esp
    FEATURES=(--features "$VARIANT")
else
    ESP=build/esp
    FEATURES=()
fi

start_ns=$(date +%s%N)
# The kernel's dependencies (core, alloc, kcore) do not need hello: build them meanwhile.
RUSTFLAGS="$KERNEL_RUSTFLAGS" "${CARGO[@]}" build --quiet --release \
    --manifest-path kernel/Cargo.toml --target x86_64-unknown-uefi \
    --target-dir "$KTARGET" -p kcore "${KERNEL_FLAGS[@]}" &
deps_pid=$!
trap 'kill "$deps_pid" 2>/dev/null || true' EXIT

mkdir -p build/user
RUSTFLAGS="$USER_RUSTFLAGS" "${CARGO[@]}" build --quiet --release \
    --manifest-path userspace/Cargo.toml --target x86_64-unknown-none \
    --target-dir build/cargo/user -p hello "${USER_FLAGS[@]}"
# Replace outputs by rename, so a QEMU reading build/esp never sees a half-written file.
cp build/cargo/user/x86_64-unknown-none/release/hello "build/.hello.$$"
mv -f "build/.hello.$$" build/user/hello

if ! wait "$deps_pid"; then
    echo "build-kernel: building the kernel's dependencies (core, alloc, kcore) failed" >&2
    exit 1
fi
trap - EXIT
RUSTUX_HELLO_ELF="$ROOT/build/user/hello" RUSTFLAGS="$KERNEL_RUSTFLAGS" "${CARGO[@]}" build --quiet --release \
    --manifest-path kernel/Cargo.toml --target x86_64-unknown-uefi \
    --target-dir "$KTARGET" "${FEATURES[@]}" "${KERNEL_FLAGS[@]}"
mkdir -p "$ESP/EFI/BOOT"
cp "$KTARGET/x86_64-unknown-uefi/release/rustux.efi" "build/.BOOTX64.EFI.$$"
mv -f "build/.BOOTX64.EFI.$$" "$ESP/EFI/BOOT/BOOTX64.EFI"

elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
printf 'build-kernel: %s (%s toolchain) -> %s/EFI/BOOT/BOOTX64.EFI (%s bytes) in %d.%03ds\n' \
    "${VARIANT:-default}" "$TOOLCHAIN" "$ESP" "$(stat -c %s "$ESP/EFI/BOOT/BOOTX64.EFI")" \
    $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
