//! The Rustux syscall ABI as seen from ring 3: `syscall` with the number in `rax` and the
//! arguments in `rdi`, `rsi`, `rdx`; the result comes back in `rax` (negative = errno).
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

use core::arch::asm;

pub const SYS_DEBUG_WRITE: u64 = 0;
pub const SYS_WRITE: u64 = 1;
pub const SYS_EXIT: u64 = 2;
pub const SYS_CLOCK_GETTIME: u64 = 3;

pub const EBADF: i64 = 9;
pub const EFAULT: i64 = 14;
pub const ENOSYS: i64 = 38;

pub const STDOUT: u64 = 1;
pub const CLOCK_MONOTONIC: u64 = 1;

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: i64,
}

/// # Safety
/// Pointer arguments must be valid for what syscall `nr` does with them, or be ones the
/// kernel is expected to reject without touching them.
pub unsafe fn syscall3(nr: u64, a0: u64, a1: u64, a2: u64) -> i64 {
    let ret: i64;
    // SAFETY: the kernel clobbers only rax, rcx and r11 (sysret), all declared here; the
    // caller vouches for the pointer arguments.
    unsafe {
        asm!("syscall", inlateout("rax") nr as i64 => ret, in("rdi") a0, in("rsi") a1,
             in("rdx") a2, lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}

pub fn debug_write(text: &[u8]) -> i64 {
    // SAFETY: `text` is a live slice; the kernel only reads `len` bytes of it.
    unsafe { syscall3(SYS_DEBUG_WRITE, text.as_ptr() as u64, text.len() as u64, 0) }
}

pub fn write(fd: u64, text: &[u8]) -> i64 {
    // SAFETY: `text` is a live slice; the kernel only reads `len` bytes of it.
    unsafe { syscall3(SYS_WRITE, fd, text.as_ptr() as u64, text.len() as u64) }
}

pub fn clock_gettime(clock: u64) -> Result<Timespec, i64> {
    let mut ts = Timespec::default();
    // SAFETY: `ts` is a live, writable Timespec the kernel fills in.
    let ret = unsafe { syscall3(SYS_CLOCK_GETTIME, clock, &mut ts as *mut Timespec as u64, 0) };
    if ret < 0 {
        Err(ret)
    } else {
        Ok(ts)
    }
}

pub fn exit(status: i32) -> ! {
    // SAFETY: exit takes no pointers and never returns to this process.
    unsafe { syscall3(SYS_EXIT, status as u64, 0, 0) };
    loop {
        core::hint::spin_loop();
    }
}

/// Formats `value` in decimal into the tail of `buf`; returns the digits.
pub fn fmt_u64(mut value: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &buf[i..];
        }
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    debug_write(b"[user] panic\n");
    exit(101)
}
