//! The syscall dispatcher. ABI (see userspace/usys): number in rax, arguments in rdi, rsi,
//! rdx; result in rax, negative errno on failure.
mod user_memory;

use crate::arch::usermode;
use user_memory::{copy_from_user, copy_to_user};

pub const SYS_DEBUG_WRITE: u64 = 0;
pub const SYS_WRITE: u64 = 1;
pub const SYS_EXIT: u64 = 2;
pub const SYS_CLOCK_GETTIME: u64 = 3;

const EBADF: i64 = 9;
const EFAULT: i64 = 14;
const EINVAL: i64 = 22;
const ENOSYS: i64 = 38;

const STDOUT: u64 = 1;
const STDERR: u64 = 2;
const CLOCK_REALTIME: u64 = 0;
const CLOCK_MONOTONIC: u64 = 1;

/// Called by the entry stub in arch::x86_64::syscall on the kernel's syscall stack.
pub extern "sysv64" fn dispatch(nr: u64, a0: u64, a1: u64, a2: u64) -> i64 {
    match nr {
        SYS_DEBUG_WRITE => write_console(a0, a1),
        SYS_WRITE if a0 == STDOUT || a0 == STDERR => write_console(a1, a2),
        SYS_WRITE => -EBADF,
        SYS_EXIT => usermode::resume_kernel(a0 as i32 as i64),
        SYS_CLOCK_GETTIME => clock_gettime(a0, a1),
        _ => -ENOSYS,
    }
}

/// Copies the user's bytes in chunks and writes them to both consoles.
fn write_console(ptr: u64, len: u64) -> i64 {
    let mut chunk = [0u8; 128];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len() as u64) as usize;
        if copy_from_user(&mut chunk[..n], ptr.wrapping_add(done)).is_err() {
            return -EFAULT;
        }
        crate::log::write_both(&chunk[..n]);
        done += n as u64;
    }
    len as i64
}

/// Rustux has no wall clock: both clocks count from kernel entry.
fn clock_gettime(clock: u64, out: u64) -> i64 {
    if clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC {
        return -EINVAL;
    }
    let ns = crate::clock::ns_since_entry();
    let mut ts = [0u8; 16];
    ts[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    ts[8..].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
    match copy_to_user(out, &ts) {
        Ok(()) => 0,
        Err(()) => -EFAULT,
    }
}
