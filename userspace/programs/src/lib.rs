//! Pieces the Rustux programs share: running a program and waiting for it, paths, numbers,
//! and the CPU-bound loop of the preemption self-test.
#![no_std]

use usys::{spawn, wait, Errno, SysResult};

/// Longest path the programs build (initrd names are at most 255 bytes).
pub const PATH_MAX: usize = 256;

/// Runs `path` with `argv` and waits for it; its exit status.
pub fn run(path: &[u8], argv: &[&[u8]]) -> SysResult<i32> {
    let pid = spawn(path, argv)?;
    wait(Some(pid)).map(|(_, status)| status)
}

/// What a failed spawn means, for `<program>: <path>: <why>` messages.
pub fn spawn_error(err: Errno) -> &'static str {
    match err {
        Errno::ENOENT => "not found",
        Errno::ENOEXEC => "not an executable",
        Errno::ENOMEM => "out of memory",
        Errno::EINVAL => "too many or too long arguments",
        _ => "cannot start",
    }
}

/// A decimal number, None for anything else (no sign, no overflow).
pub fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |n, &c| match c {
        b'0'..=b'9' => n.checked_mul(10)?.checked_add((c - b'0') as u64),
        _ => None,
    })
}

/// `dir` + `/` + `name` into `buf` (no doubled slash after `/`); None if it does not fit.
pub fn join<'a>(buf: &'a mut [u8; PATH_MAX], dir: &[u8], name: &[u8]) -> Option<&'a [u8]> {
    let slash = !dir.ends_with(b"/") as usize;
    let len = dir.len() + slash + name.len();
    if len > PATH_MAX {
        return None;
    }
    buf[..dir.len()].copy_from_slice(dir);
    buf[dir.len()] = b'/';
    buf[dir.len() + slash..len].copy_from_slice(name);
    Some(&buf[..len])
}

/// `rounds` of pure computation, no syscalls: what a CPU-bound process does between its
/// progress lines. Returns a value so the optimiser keeps the work.
#[inline(never)]
pub fn burn(rounds: u64) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = x.wrapping_add(i);
        core::hint::black_box(x);
    }
    x
}
