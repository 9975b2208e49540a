#!/usr/bin/env bash
# Builds the warm lane's resident loader (loader/) -> build/loader/rustux-loader.efi, with the
# kernel's toolchain recipe (scripts/build-kernel.sh): rustup's cargo when it has the UEFI
# target, else Debian's rustc-web with -Zbuild-std over the vendored std sources (offline).
# It shares the kernel's target dir, so core is built once for both.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=/usr/lib/rustlib/src/rust/library/vendor
FLAGS=(); RUSTFLAGS_LOADER=""
if ! { command -v rustc >/dev/null && [ -d "$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-uefi" ]; }; then
    if [ ! -x /usr/bin/cargo ] || [ ! -d "$VENDOR" ] || [ ! -x /usr/bin/lld-link-19 ]; then
        echo "build-loader: no usable toolchain: install rustc-web cargo-web rust-web-src lld-19 (make deps)" >&2
        exit 1
    fi
    export PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1
    FLAGS=(--config "source.crates-io.replace-with=\"vendored\"" --config "source.vendored.directory=\"$VENDOR\""
           -Zbuild-std-features=compiler-builtins-mem -Zbuild-std=core,compiler_builtins)
    RUSTFLAGS_LOADER="-C linker=lld-link-19"
fi
TARGET=build/cargo/kernel
RUSTFLAGS="$RUSTFLAGS_LOADER" cargo build --quiet --release --manifest-path loader/Cargo.toml \
    --target x86_64-unknown-uefi --target-dir "$TARGET" --bin rustux-loader "${FLAGS[@]}"
mkdir -p build/loader
cp "$TARGET/x86_64-unknown-uefi/release/rustux-loader.efi" "build/loader/.loader.$$"
mv -f "build/loader/.loader.$$" build/loader/rustux-loader.efi
echo "build-loader: build/loader/rustux-loader.efi ($(stat -c %s build/loader/rustux-loader.efi) bytes)"
