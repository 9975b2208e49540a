//! Pure kernel logic for Rustux, kept free of hardware access so that it builds for
//! `x86_64-unknown-uefi` (`no_std` + `alloc`) and is tested on the host with `cargo test`.
//!
//! - [`pmm`]: physical frame allocators (a baseline and a bitmap one, same answers).
//! - [`heap`]: the kernel heap (free list, splitting, coalescing, invariant checks).
//! - [`elf`]: ELF64 executable validation and segment loading.
//! - [`paging`]: x86-64 4-level page tables over an abstract physical memory.
//! - [`fmtbuf`]: a fixed-capacity `fmt::Write` buffer for early-boot logging.
//! - [`runqueue`]: the scheduler's run queue and sleep list.
//! - [`uaccess`]: syscall argument and user-pointer checks.
//! - [`textgrid`]: the framebuffer console's cell grid (cursor, wrap, scroll, backspace).
//! - [`cpio`]: the initrd's cpio (newc) archive, validated whole, read in place.
//! - [`ldisc`]: the console line discipline (echo, erase, Ctrl-C, Ctrl-D, line queue).
//! - [`foreground`]: who Ctrl-C reaches and what it does there (a shell catches it).
//!
//! Host tests: `cd kernel/kcore && PATH=/usr/bin:$PATH cargo test` (or `make test-kernel`).
//! The kernel links this crate as a path dependency and builds it with `-Zbuild-std`; it
//! needs only `core` and `alloc` (the baseline PMM is the one user of `alloc`).
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![warn(clippy::missing_safety_doc)]

extern crate alloc;

pub mod cpio;
pub mod elf;
pub mod fmtbuf;
pub mod foreground;
pub mod heap;
pub mod ldisc;
pub mod paging;
pub mod pmm;
pub mod runqueue;
pub mod textgrid;
pub mod uaccess;
