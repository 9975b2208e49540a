//! `usys`: the Rustux syscall ABI for user programs (`no_std`, `x86_64-unknown-none`).
//!
//! # The ABI
//! `syscall` with the number in `rax` and up to five arguments in `rdi, rsi, rdx, r10, r8`;
//! the result comes back in `rax`, a negative errno on failure ([`Errno`]). The kernel
//! clobbers only `rax`, `rcx` and `r11` and saves the FPU/SSE state per thread. Strings are
//! (pointer, length) pairs, never NUL-terminated; on aarch64 (`aarch64-unknown-none`):
//! `svc #0`, number in `x8`, arguments in `x0-x4`, result in `x0`. Both: the kernel checks every user pointer
//! (canonical, below the user limit, mapped USER, writable where written: else `EFAULT`).
//!
//! | nr | call | result |
//! |---|---|---|
//! | 0 | [`debug_write`]`(ptr, len)` | len |
//! | 1 | [`write`]`(fd, ptr, len)` | len; fd 1 and 2 are the console, others `EBADF` |
//! | 2 | [`exit`]`(status)` | never returns |
//! | 3 | [`clock_gettime`]`(clock, *Timespec)` | 0; clocks count from kernel entry ([`CLOCK_INPUT`]: the last Enter key) |
//! | 4 | [`getpid`]`()` | pid |
//! | 5 | [`yield_now`]`()` | 0 |
//! | 6 | [`sleep_ms`]`(ms)` | 0; `EINTR` if Ctrl-C hit the sleeper as foreground |
//! | 7 | [`spawn`]`(path, len, argv, argc)` | child pid; argv = `[RawArg]`, argc <= 16, <= 1024 bytes; `ENOENT`, `ENOEXEC`, `ENOMEM` |
//! | 8 | [`wait`]`(pid or u64::MAX, *i32)` | pid reaped; blocks; `ECHILD` when none; `EINTR` when the caller caught Ctrl-C |
//! | 9 | [`read`]`(fd, ptr, len)` | bytes; fd 0 = console, one line per read, 0 = end of input (Ctrl-D), `EINTR` on Ctrl-C |
//! | 10 | [`open`]`(path, len)` | fd >= 3 (initrd files, read-only); `ENOENT`, `EMFILE` |
//! | 11 | [`close`]`(fd)` | 0; `EBADF` |
//! | 12 | [`stat`]`(path, len, *Stat)` | 0; `ENOENT` |
//! | 13 | [`readdir`]`(path, len, index, *Dirent)` | 1 = written, 0 = no more; `ENOTDIR`, `ENOENT` |
//! | 14 | [`mmap`]`(len, prot)` | address (anonymous, zeroed, page-aligned); `ENOMEM` past the per-process limit (4 MiB) |
//! | 15 | [`munmap`]`(addr, len)` | 0; `EINVAL` |
//! | 16 | [`poweroff`]`(status)` | never returns: QEMU exits 33 for status 0, else 35 |
//! | 17 | [`procinfo`]`(index, *ProcInfo)` | 1 = written, 0 = past the last process |
//! | 18 | [`dmesg`]`(ptr, len, offset)` | bytes of the kernel log ring from `offset` |
//! | 19 | [`set_foreground`]`(pid)` | 0; the process Ctrl-C interrupts (naming yourself: you catch it, it never ends you); `EINVAL` above u32 |
//!
//! A process the kernel kills exits with 128 + a signal-like number: 139 page fault or #GP,
//! 132 #UD, 136 #DE, 130 Ctrl-C; its parent's `wait` sees it.
//!
//! # Programs
//! [`entry!`] defines `_start`: the kernel enters with `rdi = argc`, `rsi` = an array of
//! [`RawArg`] on the user stack; `_start` aligns the stack, and the program's
//! `fn main(args: Args) -> i32` runs; its result is the exit status. `print!`/`println!`
//! format into a fixed buffer and `write` it to fd 1 (see [`fmt`]).
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod abi;
mod calls;
pub mod fmt;

pub use abi::*;
pub use calls::*;

use core::sync::atomic::{AtomicU64, Ordering};

/// The program's arguments as the kernel placed them (argv[0] is the program's name).
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const RawArg,
}

impl Args {
    /// # Safety
    /// `argv` must point to `argc` [`RawArg`]s each naming live bytes for the whole run (the
    /// kernel's placement on the initial stack guarantees that).
    pub unsafe fn from_raw(argc: u64, argv: *const RawArg) -> Self {
        let argc = if argv.is_null() {
            0
        } else {
            (argc as usize).min(MAX_ARGS)
        };
        Args { argc, argv }
    }

    pub fn len(&self) -> usize {
        self.argc
    }

    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    pub fn get(&self, index: usize) -> Option<&'static [u8]> {
        if index >= self.argc {
            return None;
        }
        // SAFETY: index < argc, and `from_raw`'s contract makes each entry a live slice.
        unsafe {
            let raw = *self.argv.add(index);
            Some(core::slice::from_raw_parts(
                raw.ptr as *const u8,
                raw.len as usize,
            ))
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        (0..self.argc).filter_map(|i| self.get(i))
    }
}

static PROGRAM: AtomicU64 = AtomicU64::new(0);
static PROGRAM_LEN: AtomicU64 = AtomicU64::new(0);

/// Called by [`entry!`]'s `_start`; remembers argv[0] for panic messages.
///
/// # Safety
/// As [`Args::from_raw`].
pub unsafe fn start(argc: u64, argv: *const RawArg, main: fn(Args) -> i32) -> ! {
    // SAFETY: the caller passes what the kernel placed.
    let args = unsafe { Args::from_raw(argc, argv) };
    if let Some(name) = args.get(0) {
        PROGRAM.store(name.as_ptr() as u64, Ordering::Relaxed);
        PROGRAM_LEN.store(name.len() as u64, Ordering::Relaxed);
    }
    exit(main(args))
}

fn program_name() -> &'static [u8] {
    let (ptr, len) = (
        PROGRAM.load(Ordering::Relaxed),
        PROGRAM_LEN.load(Ordering::Relaxed),
    );
    if ptr == 0 {
        return b"user";
    }
    // SAFETY: stored by `start` from argv[0], which lives as long as the process.
    unsafe { core::slice::from_raw_parts(ptr as *const u8, len as usize) }
}

/// Defines the program's `_start`, which calls `main(Args) -> i32` and exits with its result.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        // The kernel may enter with any stack alignment: align to 16 for the SysV ABI
        // (SSE spills), then call with argc/argv still in rdi/rsi (x0/x1 on aarch64).
        #[cfg(target_arch = "x86_64")]
        core::arch::global_asm!(
            ".section .text._start,\"ax\"",
            ".global _start",
            "_start:",
            "and rsp, -16",
            "call {start}",
            "ud2",
            start = sym __usys_start,
        );
        #[cfg(target_arch = "aarch64")]
        core::arch::global_asm!(
            ".section .text._start,\"ax\"",
            ".global _start",
            "_start:",
            "mov x9, sp",
            "and sp, x9, #-16",
            "bl {start}",
            "udf #0",
            start = sym __usys_start,
        );

        extern "C" fn __usys_start(argc: u64, argv: *const $crate::RawArg) -> ! {
            // SAFETY: called only from `_start` with the registers the kernel set.
            unsafe { $crate::start(argc, argv, $main) }
        }
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    eprintln!("[{}] panic: {}", fmt::Show(program_name()), info.message());
    exit(101)
}
