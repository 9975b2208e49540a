#!/usr/bin/env bash
# Host tests for the kernel: kcore's pure logic (PMM, heap, ELF loader, page tables,
# fixed-buffer formatting) with cargo test, on Debian's toolchain first in PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/bin:$PATH
start_ns=$(date +%s%N)
cargo test --quiet --manifest-path kernel/kcore/Cargo.toml --target-dir build/cargo/host "$@"
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
printf 'test-kernel: kcore host tests passed in %d.%03ds\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
