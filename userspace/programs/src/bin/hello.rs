//! The first Rustux user program: greets through `write`, reads the monotonic clock,
//! reports it through `debug_write`, checks that the kernel refuses bad syscalls, and exits
//! with status 0.
#![no_std]
#![no_main]

use core::fmt::Write;
use usys::fmt::Buf;
use usys::{clock_gettime, debug_write, nr, syscall5, write, Args, Errno, CLOCK_MONOTONIC, STDOUT};

/// A kernel address (PML4 slot 0, the kernel's identity map): never readable from ring 3.
const KERNEL_ADDRESS: u64 = 0x10_0000;

usys::entry!(main);

fn main(_args: Args) -> i32 {
    // The `changed-hello` variant: the most common regression, a changed line (not a hang).
    let greeting: &[u8] = if cfg!(feature = "changed-hello") {
        b"Hallo from userspace!\n"
    } else {
        b"Hello from userspace!\n"
    };
    if write(STDOUT, greeting).is_err() {
        return 1;
    }
    let Ok(now) = clock_gettime(CLOCK_MONOTONIC) else {
        return 2;
    };
    let mut line = Buf::<64>::new();
    let _ = writeln!(
        line,
        "[hello] clock_gettime: {} us since kernel entry",
        now.as_ns() / 1000
    );
    let _ = debug_write(line.as_bytes());
    if !kernel_refuses_bad_calls() {
        return 3;
    }
    let _ = debug_write(b"[hello] syscall checks: kernel pointer -> EFAULT, bad fd -> EBADF, unknown call -> ENOSYS\n");
    0
}

fn kernel_refuses_bad_calls() -> bool {
    // SAFETY: the kernel must reject the pointer before reading through it; that is the check.
    let kernel_pointer = unsafe { syscall5(nr::DEBUG_WRITE, KERNEL_ADDRESS, 16, 0, 0, 0) };
    let bad_fd = write(7, b"x");
    // SAFETY: syscall 999 does not exist and takes no pointers.
    let unknown = unsafe { syscall5(999, 0, 0, 0, 0, 0) };
    kernel_pointer == -Errno::EFAULT.0 && bad_fd == Err(Errno::EBADF) && unknown == -Errno::ENOSYS.0
}
