//! Syscall argument and user-pointer checks, pure: a user range must be canonical, below
//! the user limit, not wrap, and every page of it mapped USER at every level (writable
//! where the kernel writes) in the process's own tables; argv must fit the ABI's limits.
use crate::paging::{translate, PhysMemory, PAGE_4K};

/// User pointers lie below this: the lower canonical half.
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// ABI limits of `spawn`'s argv.
pub const MAX_ARGC: usize = 16;
pub const MAX_ARGV_BYTES: usize = 1024;
/// Longest path a syscall accepts.
pub const MAX_PATH: usize = 256;

/// Why a user argument was refused (the syscall layer maps these to errno values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserError {
    /// Address arithmetic wrapped, left the user half, or hit an unmapped or
    /// supervisor-only page, or a read-only page for a write (EFAULT).
    Fault(u64),
    /// A length or count beyond the ABI's limits (EINVAL / E2BIG-like).
    TooLong,
}

/// Checks `[addr, addr + len)` in the tables under `pml4`. A zero-length range is always
/// fine (nothing is touched).
pub fn check_range<M: PhysMemory>(
    mem: &M,
    pml4: u64,
    addr: u64,
    len: u64,
    write: bool,
) -> Result<(), UserError> {
    if len == 0 {
        return Ok(());
    }
    let end = addr.checked_add(len).ok_or(UserError::Fault(addr))?;
    if end > USER_END {
        return Err(UserError::Fault(addr));
    }
    let mut page = addr & !(PAGE_4K - 1);
    while page < end {
        let t = translate(mem, pml4, page).ok_or(UserError::Fault(page.max(addr)))?;
        if !t.user_at_every_level || (write && !t.writable) {
            return Err(UserError::Fault(page.max(addr)));
        }
        page += PAGE_4K;
    }
    Ok(())
}

/// A path argument's length: 1..=MAX_PATH.
pub fn check_path_len(len: u64) -> Result<usize, UserError> {
    if (1..=MAX_PATH as u64).contains(&len) {
        Ok(len as usize)
    } else {
        Err(UserError::TooLong)
    }
}

/// One argv entry as user space passes it: `{ptr: u64, len: u64}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgSlice {
    pub ptr: u64,
    pub len: u64,
}

/// Bytes of the argv array itself for `argc` entries, checked against MAX_ARGC.
pub fn argv_array_bytes(argc: u64) -> Result<u64, UserError> {
    if argc > MAX_ARGC as u64 {
        return Err(UserError::TooLong);
    }
    Ok(argc * 16)
}

/// Decodes the argv array bytes into entries and checks the total length limit.
pub fn parse_argv(raw: &[u8]) -> Result<([ArgSlice; MAX_ARGC], usize), UserError> {
    let argc = raw.len() / 16;
    if argc > MAX_ARGC || raw.len() % 16 != 0 {
        return Err(UserError::TooLong);
    }
    let mut out = [ArgSlice { ptr: 0, len: 0 }; MAX_ARGC];
    let mut total = 0u64;
    for (i, chunk) in raw.chunks_exact(16).enumerate() {
        let word = |at: usize| u64::from_le_bytes(chunk[at..at + 8].try_into().unwrap_or([0; 8]));
        out[i] = ArgSlice {
            ptr: word(0),
            len: word(8),
        };
        total = total.saturating_add(out[i].len);
    }
    if total > MAX_ARGV_BYTES as u64 {
        return Err(UserError::TooLong);
    }
    Ok((out, argc))
}

/// Where argv goes on a new process's stack: the strings first (just below `stack_top`),
/// then the 16-byte-aligned `{ptr, len}` array below them. Returns (array address, initial
/// rsp) with rsp = 8 mod 16 as if `_start` had been called.
pub fn argv_layout(stack_top: u64, arg_lens: &[u64]) -> (u64, u64, [u64; MAX_ARGC]) {
    let mut at = stack_top;
    let mut ptrs = [0u64; MAX_ARGC];
    for (i, &len) in arg_lens.iter().enumerate().take(MAX_ARGC) {
        at -= len;
        ptrs[i] = at;
    }
    let array = (at - arg_lens.len() as u64 * 16) & !15;
    (array, array - 8, ptrs)
}
