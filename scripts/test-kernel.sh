#!/usr/bin/env bash
# Host tests for the kernel: kcore's pure logic (PMM, heap, ELF loader, page tables,
# fixed-buffer formatting, cpio, line discipline) with cargo test on Debian's toolchain; then the
# kernel and user programs are linted by clippy with warnings as errors (checked for the host
# target: lints need no UEFI std; a missing clippy fails), and format-checked where rustfmt exists.
set -euo pipefail
cd "$(dirname "$0")/.."
AMBIENT_PATH=$PATH
start_ns=$(date +%s%N)

PATH=/usr/bin:$PATH cargo test --quiet --manifest-path kernel/kcore/Cargo.toml --target-dir build/cargo/host "$@"

fmt="rustfmt not installed, format not checked"
if rustfmt --version >/dev/null 2>&1; then
    # rustfmt follows `mod` declarations from these roots.
    rustfmt --edition 2021 --check kernel/src/main.rs kernel/kcore/src/lib.rs \
        userspace/usys/src/lib.rs userspace/programs/src/lib.rs userspace/programs/build.rs \
        userspace/programs/src/bin/*.rs userspace/programs/src/bin/*/main.rs
    fmt="rustfmt clean"
fi
# rustup's clippy where its toolchain has one, else Debian's (a rustup proxy with no toolchain
# chosen answers nothing, as in build-kernel.sh)
CLIPPY_PATH=$AMBIENT_PATH
if ! PATH=$CLIPPY_PATH cargo clippy --version >/dev/null 2>&1; then
    CLIPPY_PATH=/usr/bin:$AMBIENT_PATH
    if ! PATH=$CLIPPY_PATH cargo clippy --version >/dev/null 2>&1; then
        echo "test-kernel: cargo clippy not found: install rust-web-clippy (make deps) or rustup's clippy component" >&2
        exit 1
    fi
fi
for crate in kernel userspace; do
    (cd "$crate" && PATH=$CLIPPY_PATH cargo clippy --quiet --release \
        --target-dir ../build/cargo/clippy -- -D warnings)
done
lint="clippy clean"

elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
printf 'test-kernel: kcore host tests passed, %s, %s, in %d.%03ds\n' "$fmt" "$lint" $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
