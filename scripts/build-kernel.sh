#!/usr/bin/env bash
# Builds the user programs and their initrd, then the Rustux UEFI kernel, into an ESP:
#   scripts/build-kernel.sh            -> build/esp/EFI/BOOT/BOOTX64.EFI, build/esp/EFI/rustux/initrd.cpio
#   scripts/build-kernel.sh VARIANT    -> build/variants/VARIANT/esp/...
#   ARCH=aarch64 scripts/build-kernel.sh [VARIANT]
#                                      -> build/aarch64/esp/EFI/BOOT/BOOTAA64.EFI, ...
#                                         (build/aarch64/variants/VARIANT/esp/...)
# The initrd (scripts/mkinitrd.py: cpio newc) holds every program of userspace/programs in
# bin/ and userspace/etc in etc/; build/user/ keeps the ELF files.
# Toolchain: rustup's cargo when it has both targets installed, else Debian's rustc-web with
# -Zbuild-std over the vendored std sources (offline). Target dirs persist under build/cargo/
# (or $RUSTUX_CARGO_DIR: the lab's kernel builder keeps them beside its checkout, which Buildbot
# cleans of ignored files after a try's patch) so a rebuild reuses the built core/alloc.
set -euo pipefail
cd "$(dirname "$0")/.."

# Kernel variants are cargo features of the kernel; build variants change what goes on the ESP.
# Some reproduce a fault only one architecture has (a triple fault; an undefined
# instruction at EL1).
COMMON_VARIANTS=(shared-user-tables hang-after-heap silent stack-overflow no-preempt lost-input stale-map-key busy-heap)
ARCH=${ARCH:-x86_64}
case "$ARCH" in
    x86_64) OUT=build; BOOT_FILE=BOOTX64.EFI; ARCH_VARIANTS=(triple-fault) ;;
    aarch64) OUT=build/aarch64; BOOT_FILE=BOOTAA64.EFI; ARCH_VARIANTS=(el1-fault) ;;
    *) echo "build-kernel: unknown ARCH '$ARCH' (known: x86_64 aarch64)" >&2; exit 2 ;;
esac
KERNEL_TRIPLE=$ARCH-unknown-uefi
USER_TRIPLE=$ARCH-unknown-none
KERNEL_VARIANTS=("${COMMON_VARIANTS[@]}" "${ARCH_VARIANTS[@]}")
BUILD_VARIANTS=(init-crash changed-hello missing-initrd)
VARIANTS=("${KERNEL_VARIANTS[@]}" "${BUILD_VARIANTS[@]}")
VARIANT=${1:-}
if [ -n "$VARIANT" ] && ! printf '%s\n' "${VARIANTS[@]}" | grep -qx -- "$VARIANT"; then
    echo "build-kernel: unknown variant '$VARIANT' for $ARCH (known: ${VARIANTS[*]})" >&2
    exit 2
fi

has_target() {  # has_target RUSTC TRIPLE: does this rustc ship a prebuilt std for TRIPLE?
    # A rustup proxy with no toolchain chosen fails here (stderr muted): the Debian toolchain builds.
    local sysroot
    sysroot=$("$1" --print sysroot 2>/dev/null) && [ -d "$sysroot/lib/rustlib/$2" ]
}

VENDOR=/usr/lib/rustlib/src/rust/library/vendor
if command -v rustc >/dev/null && has_target rustc "$KERNEL_TRIPLE" && has_target rustc "$USER_TRIPLE"; then
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
# Cargo keeps each target triple in its own subdirectory, so both architectures share them.
CARGO_DIR=${RUSTUX_CARGO_DIR:-build/cargo}
KTARGET=$CARGO_DIR/kernel
UTARGET=$CARGO_DIR/user
USER_OUT=$OUT/user
FEATURES=(); USER_FEATURES=()
if [ -n "$VARIANT" ]; then
    ESP=$OUT/variants/$VARIANT/esp
    if printf '%s\n' "${KERNEL_VARIANTS[@]}" | grep -qx -- "$VARIANT"; then
        FEATURES=(--features "$VARIANT")
    fi
else
    ESP=$OUT/esp
fi
if [ "$VARIANT" = init-crash ] || [ "$VARIANT" = changed-hello ]; then
    # Its own output dir (the default programs stay in build/user); the shared target dir
    # keeps both feature sets' objects, so switching back and forth rebuilds nothing.
    USER_OUT=$OUT/variants/$VARIANT/user
    USER_FEATURES=(--features "programs/$VARIANT")
fi

start_ns=$(date +%s%N)
# The kernel's dependencies (core, alloc, kcore) do not need user space: build them meanwhile.
RUSTFLAGS="$KERNEL_RUSTFLAGS" "${CARGO[@]}" build --quiet --release \
    --manifest-path kernel/Cargo.toml --target "$KERNEL_TRIPLE" \
    --target-dir "$KTARGET" -p kcore "${KERNEL_FLAGS[@]}" &
deps_pid=$!
trap 'kill "$deps_pid" 2>/dev/null || true' EXIT

mkdir -p "$USER_OUT"
RUSTFLAGS="$USER_RUSTFLAGS" "${CARGO[@]}" build --quiet --release \
    --manifest-path userspace/Cargo.toml --target "$USER_TRIPLE" \
    --target-dir "$UTARGET" -p programs --bins "${USER_FEATURES[@]}" "${USER_FLAGS[@]}"
PROGRAMS=()
for source in userspace/programs/src/bin/*; do
    name=$(basename "$source" .rs)
    PROGRAMS+=("bin/$name=$USER_OUT/$name")
    # Replace outputs by rename, so a QEMU reading build/esp never sees a half-written file.
    cp "$UTARGET/$USER_TRIPLE/release/$name" "$USER_OUT/.$name.$$"
    mv -f "$USER_OUT/.$name.$$" "$USER_OUT/$name"
done

if ! wait "$deps_pid"; then
    echo "build-kernel: building the kernel's dependencies (core, alloc, kcore) failed" >&2
    exit 1
fi
trap - EXIT
RUSTFLAGS="$KERNEL_RUSTFLAGS" "${CARGO[@]}" build --quiet --release \
    --manifest-path kernel/Cargo.toml --target "$KERNEL_TRIPLE" \
    --target-dir "$KTARGET" "${FEATURES[@]}" "${KERNEL_FLAGS[@]}"
mkdir -p "$ESP/EFI/BOOT" "$ESP/EFI/rustux"
# Signed with the lab's db key (make deps made it: workers/secureboot_keys.py): one artifact boots
# on every lane, the Secure Boot lanes too, so each lane judges the same bytes; without Secure
# Boot a signature is ignored. sbsign directly: a kernel-only checkout has no lab package. The
# lab's Secure Boot lanes are x86_64 OVMF ones: an arm64 image is not signed.
KEYS=${BOOTLAB_SECUREBOOT_DIR:-$HOME/.cache/rustux-bootlab/secureboot}
EFI="$KTARGET/$KERNEL_TRIPLE/release/rustux.efi"
if [ "$ARCH" != x86_64 ]; then
    cp "$EFI" "$OUT/.$BOOT_FILE.$$"
elif [ -e "$KEYS/db.key" ] && command -v sbsign >/dev/null; then
    sbsign --key "$KEYS/db.key" --cert "$KEYS/db.crt" --output "$OUT/.$BOOT_FILE.$$" "$EFI" >/dev/null
else
    echo "build-kernel: no lab Secure Boot key in $KEYS or no sbsign (make deps): $BOOT_FILE is unsigned" >&2
    cp "$EFI" "$OUT/.$BOOT_FILE.$$"
fi
mv -f "$OUT/.$BOOT_FILE.$$" "$ESP/EFI/BOOT/$BOOT_FILE"
INITRD=$ESP/EFI/rustux/initrd.cpio
if [ "$VARIANT" = missing-initrd ]; then
    rm -f "$INITRD"  # the known-bad build: everything but the archive
else
    python3 scripts/mkinitrd.py "$INITRD" "${PROGRAMS[@]}" etc=userspace/etc
fi

elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
if [ -f "$INITRD" ]; then
    initrd="initrd $(stat -c %s "$INITRD") bytes (${#PROGRAMS[@]} programs)"
else
    initrd="no initrd"
fi
printf 'build-kernel: %s (%s toolchain) -> %s/EFI/BOOT/%s (%s bytes), %s in %d.%03ds\n' \
    "${VARIANT:-default}" "$TOOLCHAIN" "$ESP" "$BOOT_FILE" "$(stat -c %s "$ESP/EFI/BOOT/$BOOT_FILE")" \
    "$initrd" $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
