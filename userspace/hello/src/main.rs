//! The first Rustux user program: greets through `write`, reads the monotonic clock,
//! reports it through `debug_write`, checks that the kernel refuses bad syscalls, and exits
//! with status 0.
#![no_std]
#![no_main]

use usys::{
    clock_gettime, debug_write, exit, fmt_u64, syscall3, write, CLOCK_MONOTONIC, EBADF, EFAULT,
    ENOSYS, STDOUT, SYS_DEBUG_WRITE,
};

/// A kernel address (PML4 slot 0, the kernel's identity map): never readable from ring 3.
const KERNEL_ADDRESS: u64 = 0x10_0000;

#[no_mangle]
#[link_section = ".text._start"]
pub extern "C" fn _start() -> ! {
    if write(STDOUT, b"Hello from userspace!\n") < 0 {
        exit(1);
    }
    let now = match clock_gettime(CLOCK_MONOTONIC) {
        Ok(ts) => ts,
        Err(_) => exit(2),
    };
    let ns = now.sec as u64 * 1_000_000_000 + now.nsec as u64;
    let mut digits = [0u8; 20];
    debug_write(b"[hello] clock_gettime: ");
    debug_write(fmt_u64(ns / 1000, &mut digits));
    debug_write(b" us since kernel entry\n");
    if !kernel_refuses_bad_calls() {
        exit(3);
    }
    debug_write(b"[hello] syscall checks: kernel pointer -> EFAULT, bad fd -> EBADF, unknown call -> ENOSYS\n");
    exit(0)
}

fn kernel_refuses_bad_calls() -> bool {
    // SAFETY: the kernel must reject the pointer before reading through it; that is the check.
    let kernel_pointer = unsafe { syscall3(SYS_DEBUG_WRITE, KERNEL_ADDRESS, 16, 0) };
    let bad_fd = write(7, b"x");
    // SAFETY: syscall 999 does not exist and takes no pointers.
    let unknown = unsafe { syscall3(999, 0, 0, 0) };
    kernel_pointer == -EFAULT && bad_fd == -EBADF && unknown == -ENOSYS
}
