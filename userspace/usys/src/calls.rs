//! One safe wrapper per syscall. Each passes only live slices and structures of this
//! process, so the kernel's pointer checks can only fail for the raw [`syscall5`].

use crate::abi::*;
use core::arch::asm;

/// The raw instruction: number in `rax`, arguments in `rdi, rsi, rdx, r10, r8`.
///
/// # Safety
/// Pointer arguments must be valid for what syscall `nr` does with them, or be ones the
/// kernel is expected to reject without touching them.
#[cfg(target_arch = "x86_64")]
pub unsafe fn syscall5(nr: u64, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> i64 {
    let ret: i64;
    // SAFETY: the kernel clobbers only rax, rcx and r11 (sysret), all declared here; the
    // caller vouches for the pointer arguments.
    unsafe {
        asm!("syscall", inlateout("rax") nr as i64 => ret, in("rdi") a0, in("rsi") a1,
             in("rdx") a2, in("r10") a3, in("r8") a4, lateout("rcx") _, lateout("r11") _,
             options(nostack));
    }
    ret
}

/// The raw instruction on aarch64: `svc #0`, number in `x8`, arguments in `x0-x4`, result
/// in `x0`.
///
/// # Safety
/// As for the x86_64 form: pointer arguments must be valid or meant to be rejected.
#[cfg(target_arch = "aarch64")]
pub unsafe fn syscall5(nr: u64, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> i64 {
    let ret: i64;
    // SAFETY: the kernel preserves every register but x0 (the result) and restores the
    // FP/SIMD state; the caller vouches for the pointer arguments.
    unsafe {
        asm!("svc #0", in("x8") nr, inlateout("x0") a0 as i64 => ret, in("x1") a1,
             in("x2") a2, in("x3") a3, in("x4") a4, options(nostack));
    }
    ret
}

fn check(ret: i64) -> SysResult<u64> {
    if ret < 0 {
        Err(Errno(-ret))
    } else {
        Ok(ret as u64)
    }
}

/// A syscall whose pointers, if any, are the live references given as integers here.
fn call(nr: u64, a0: u64, a1: u64, a2: u64, a3: u64) -> SysResult<u64> {
    // SAFETY: every caller below passes pointers derived from live references of the right
    // size and mutability for `nr`.
    check(unsafe { syscall5(nr, a0, a1, a2, a3, 0) })
}

/// An output structure's address: from a `&mut`, so the compiler knows it may change.
fn out<T>(value: &mut T) -> u64 {
    value as *mut T as u64
}

pub fn debug_write(text: &[u8]) -> SysResult<usize> {
    call(
        nr::DEBUG_WRITE,
        text.as_ptr() as u64,
        text.len() as u64,
        0,
        0,
    )
    .map(|n| n as usize)
}

pub fn write(fd: u64, text: &[u8]) -> SysResult<usize> {
    call(nr::WRITE, fd, text.as_ptr() as u64, text.len() as u64, 0).map(|n| n as usize)
}

pub fn exit(status: i32) -> ! {
    let _ = call(nr::EXIT, status as u64, 0, 0, 0);
    unreachable_after_exit()
}

pub fn clock_gettime(clock: u64) -> SysResult<Timespec> {
    let mut ts = Timespec::default();
    call(nr::CLOCK_GETTIME, clock, out(&mut ts), 0, 0)?;
    Ok(ts)
}

/// Nanoseconds since kernel entry (the monotonic clock).
pub fn now_ns() -> u64 {
    clock_gettime(CLOCK_MONOTONIC).map_or(0, |ts| ts.as_ns())
}

pub fn getpid() -> u32 {
    call(nr::GETPID, 0, 0, 0, 0).unwrap_or(0) as u32
}

pub fn yield_now() {
    let _ = call(nr::YIELD, 0, 0, 0, 0);
}

/// Err(EINTR) when Ctrl-C hit this process as the foreground.
pub fn sleep_ms(ms: u64) -> SysResult<()> {
    call(nr::SLEEP_MS, ms, 0, 0, 0).map(drop)
}

/// Starts `path` with `argv` (argv[0] included, by convention the program's name).
pub fn spawn(path: &[u8], argv: &[&[u8]]) -> SysResult<u32> {
    let total: usize = argv.iter().map(|a| a.len()).sum();
    if argv.len() > MAX_ARGS || total > MAX_ARG_BYTES {
        return Err(Errno::EINVAL);
    }
    let mut raw = [RawArg { ptr: 0, len: 0 }; MAX_ARGS];
    for (slot, arg) in raw.iter_mut().zip(argv) {
        *slot = RawArg {
            ptr: arg.as_ptr() as u64,
            len: arg.len() as u64,
        };
    }
    let (path_ptr, path_len) = (path.as_ptr() as u64, path.len() as u64);
    call(
        nr::SPAWN,
        path_ptr,
        path_len,
        raw.as_ptr() as u64,
        argv.len() as u64,
    )
    .map(|p| p as u32)
}

/// Waits for the child `pid` (None: any child); returns (pid, exit status).
pub fn wait(pid: Option<u32>) -> SysResult<(u32, i32)> {
    let mut status = 0i32;
    let which = pid.map_or(ANY_CHILD, u64::from);
    let reaped = call(nr::WAIT, which, out(&mut status), 0, 0)?;
    Ok((reaped as u32, status))
}

/// fd 0 is the console (a line at a time; Ok(0) = end of input, Err(EINTR) = Ctrl-C).
pub fn read(fd: u64, buf: &mut [u8]) -> SysResult<usize> {
    call(nr::READ, fd, buf.as_mut_ptr() as u64, buf.len() as u64, 0).map(|n| n as usize)
}

pub fn open(path: &[u8]) -> SysResult<u64> {
    call(nr::OPEN, path.as_ptr() as u64, path.len() as u64, 0, 0)
}

pub fn close(fd: u64) -> SysResult<()> {
    call(nr::CLOSE, fd, 0, 0, 0).map(drop)
}

pub fn stat(path: &[u8]) -> SysResult<Stat> {
    let mut st = Stat::default();
    call(
        nr::STAT,
        path.as_ptr() as u64,
        path.len() as u64,
        out(&mut st),
        0,
    )?;
    Ok(st)
}

/// The `index`-th entry of directory `path`, None past the last.
pub fn readdir(path: &[u8], index: u64) -> SysResult<Option<Dirent>> {
    let mut entry = Dirent::default();
    let (path_ptr, path_len) = (path.as_ptr() as u64, path.len() as u64);
    let more = call(nr::READDIR, path_ptr, path_len, index, out(&mut entry))?;
    Ok((more == 1).then_some(entry))
}

/// Anonymous zeroed memory, page-aligned; the pages stay until `munmap` or exit.
pub fn mmap(len: usize, prot: u64) -> SysResult<*mut u8> {
    call(nr::MMAP, len as u64, prot, 0, 0).map(|addr| addr as *mut u8)
}

/// # Safety
/// Nothing may use `addr..addr+len` afterwards.
pub unsafe fn munmap(addr: *mut u8, len: usize) -> SysResult<()> {
    call(nr::MUNMAP, addr as u64, len as u64, 0, 0).map(drop)
}

/// Status 0: QEMU exits 33; anything else: 35. Hardware: ACPI S5 or halt.
pub fn poweroff(status: i32) -> ! {
    let _ = call(nr::POWEROFF, status as u64, 0, 0, 0);
    unreachable_after_exit()
}

/// The `index`-th process, None past the last.
pub fn procinfo(index: u64) -> SysResult<Option<ProcInfo>> {
    let mut info = ProcInfo::default();
    let more = call(nr::PROCINFO, index, out(&mut info), 0, 0)?;
    Ok((more == 1).then_some(info))
}

/// Copies kernel log bytes from `offset` (0 = oldest kept); Ok(0) at the end.
pub fn dmesg(buf: &mut [u8], offset: u64) -> SysResult<usize> {
    call(
        nr::DMESG,
        buf.as_mut_ptr() as u64,
        buf.len() as u64,
        offset,
        0,
    )
    .map(|n| n as usize)
}

/// Makes `pid` the process Ctrl-C interrupts.
pub fn set_foreground(pid: u32) -> SysResult<()> {
    call(nr::SET_FOREGROUND, pid as u64, 0, 0, 0).map(drop)
}

fn unreachable_after_exit() -> ! {
    loop {
        core::hint::spin_loop();
    }
}
