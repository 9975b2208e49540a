#!/usr/bin/env bash
# Builds the warm lane's resident loader (loader/) for every architecture the lab boots warm:
#   build/loader/rustux-loader.efi          x86_64-unknown-uefi (fw_cfg by I/O port)
#   build/loader/aarch64/rustux-loader.efi  aarch64-unknown-uefi (fw_cfg by virt's MMIO)
# with the kernel's toolchain recipe (scripts/build-kernel.sh): rustup's cargo when it has the
# UEFI target, else Debian's rustc-web with -Zbuild-std over the vendored std sources (offline).
# It shares the kernel's target dir, so core is built once for both.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=/usr/lib/rustlib/src/rust/library/vendor
TARGET=build/cargo/kernel
for ARCH in x86_64 aarch64; do
    TRIPLE=$ARCH-unknown-uefi
    case "$ARCH" in x86_64) OUT=build/loader ;; *) OUT=build/loader/$ARCH ;; esac
    CARGO=(cargo); FLAGS=(); RUSTFLAGS_LOADER=""
    if ! { command -v rustc >/dev/null && [ -d "$(rustc --print sysroot 2>/dev/null)/lib/rustlib/$TRIPLE" ]; }; then
        if [ ! -x /usr/bin/cargo ] || [ ! -d "$VENDOR" ] || [ ! -x /usr/bin/lld-link-19 ]; then
            echo "build-loader: no usable toolchain: install rustc-web cargo-web rust-web-src lld-19 (make deps)" >&2
            exit 1
        fi
        CARGO=(env PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 /usr/bin/cargo)
        FLAGS=(--config "source.crates-io.replace-with=\"vendored\"" --config "source.vendored.directory=\"$VENDOR\""
               -Zbuild-std-features=compiler-builtins-mem -Zbuild-std=core,compiler_builtins)
        RUSTFLAGS_LOADER="-C linker=lld-link-19"
    fi
    RUSTFLAGS="$RUSTFLAGS_LOADER" "${CARGO[@]}" build --quiet --release --manifest-path loader/Cargo.toml \
        --target "$TRIPLE" --target-dir "$TARGET" --bin rustux-loader "${FLAGS[@]}"
    mkdir -p "$OUT"
    cp "$TARGET/$TRIPLE/release/rustux-loader.efi" "$OUT/.loader.$$"
    mv -f "$OUT/.loader.$$" "$OUT/rustux-loader.efi"
    echo "build-loader: $OUT/rustux-loader.efi ($(stat -c %s "$OUT/rustux-loader.efi") bytes)"
done
