//! Copying to and from the running process's memory, after kcore's checks: canonical,
//! below the user limit, every page mapped USER at every level (writable for copies out)
//! in the tables CR3 holds.
use crate::arch::cpu;
use crate::mm::phys::Identity;
use kcore::uaccess::{check_range, UserError};

pub fn check(addr: u64, len: u64, write: bool) -> Result<(), UserError> {
    check_range(&Identity, cpu::read_cr3() & !0xfff, addr, len, write)
}

pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), UserError> {
    check(src, dst.len() as u64, false)?;
    // SAFETY: every page of [src, src + len) is mapped USER in the current tables (checked
    // just above; single CPU, nothing unmaps in between), and the kernel can read it.
    unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst.as_mut_ptr(), dst.len()) };
    Ok(())
}

pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), UserError> {
    check(dst, src.len() as u64, true)?;
    // SAFETY: every page of [dst, dst + len) is mapped USER and writable in the current
    // tables (checked just above) and belongs to the process, not to the kernel.
    unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), dst as *mut u8, src.len()) };
    Ok(())
}
