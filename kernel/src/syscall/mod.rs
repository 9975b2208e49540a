//! The syscall dispatcher (numbers, arguments and errors: kernel/README.md and
//! userspace/usys). Number in rax, arguments in rdi, rsi, rdx, r10, r8; result in rax,
//! negative errno on failure.
mod files;
mod process;
mod user_memory;

use crate::arch::trap::TrapFrame;
use user_memory::{copy_from_user, copy_to_user};

pub const ENOENT: i64 = 2;
pub const EINTR: i64 = 4;
pub const ENOEXEC: i64 = 8;
pub const EBADF: i64 = 9;
pub const ECHILD: i64 = 10;
pub const ENOMEM: i64 = 12;
pub const EFAULT: i64 = 14;
pub const ENOTDIR: i64 = 20;
pub const EISDIR: i64 = 21;
pub const EINVAL: i64 = 22;
pub const EMFILE: i64 = 24;
pub const ENOSYS: i64 = 38;

/// Called from the trap entry for a `syscall`; the result goes back in rax.
pub fn dispatch(frame: &mut TrapFrame) {
    let (number, [a0, a1, a2, a3]) = frame.syscall();
    let result = match number {
        0 => files::write_console(a0, a1),
        1 => files::write(a0, a1, a2),
        2 => crate::proc::exit_current(crate::proc::Death::Exited(a0 as i32)),
        3 => clock_gettime(a0, a1),
        4 => process::getpid(),
        5 => process::yield_now(),
        6 => process::sleep_ms(a0),
        7 => process::spawn(a0, a1, a2, a3),
        8 => process::wait(a0, a1),
        9 => files::read(a0, a1, a2),
        10 => files::open(a0, a1),
        11 => files::close(a0),
        12 => files::stat(a0, a1, a2),
        13 => files::readdir(a0, a1, a2, a3),
        14 => process::mmap(a0, a1),
        15 => process::munmap(a0, a1),
        16 => crate::power::poweroff(a0 as i32),
        17 => process::procinfo(a0, a1),
        18 => dmesg(a0, a1, a2),
        19 => process::set_foreground(a0),
        _ => -ENOSYS,
    } as u64;
    frame.set_syscall_result(result);
}

const CLOCK_REALTIME: u64 = 0;
const CLOCK_MONOTONIC: u64 = 1;
/// When the line discipline last finished a line (the round-trip benchmark's start).
const CLOCK_INPUT: u64 = 2;

/// Rustux has no wall clock: both clocks count from kernel entry.
fn clock_gettime(clock: u64, out: u64) -> i64 {
    let ns = match clock {
        CLOCK_REALTIME | CLOCK_MONOTONIC => crate::clock::ns_since_entry(),
        CLOCK_INPUT => crate::console::last_line_ns(),
        _ => return -EINVAL,
    };
    let mut ts = [0u8; 16];
    ts[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    ts[8..].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
    result(copy_to_user(out, &ts).map(|()| 0))
}

fn dmesg(ptr: u64, len: u64, offset: u64) -> i64 {
    let mut chunk = [0u8; 512];
    let mut done = 0u64;
    while done < len {
        let want = ((len - done) as usize).min(chunk.len());
        let n = crate::klog::read(offset + done, &mut chunk[..want]);
        if n == 0 {
            break;
        }
        if copy_to_user(ptr + done, &chunk[..n]).is_err() {
            return -EFAULT;
        }
        done += n as u64;
    }
    done as i64
}

/// A user-memory result as a syscall value.
fn result(r: Result<i64, kcore::uaccess::UserError>) -> i64 {
    match r {
        Ok(v) => v,
        Err(kcore::uaccess::UserError::Fault(_)) => -EFAULT,
        Err(kcore::uaccess::UserError::TooLong) => -EINVAL,
    }
}

/// A path argument, copied in.
fn user_path(ptr: u64, len: u64, buf: &mut [u8; kcore::uaccess::MAX_PATH]) -> Result<&str, i64> {
    let len = kcore::uaccess::check_path_len(len).map_err(|_| -EINVAL)?;
    copy_from_user(&mut buf[..len], ptr).map_err(|_| -EFAULT)?;
    core::str::from_utf8(&buf[..len]).map_err(|_| -ENOENT)
}
