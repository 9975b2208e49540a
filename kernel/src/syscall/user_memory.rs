//! Copying to and from user memory: every page of the range must be mapped USER (at every
//! level) in the current process, and writable for copies out, checked by walking its tables.
use crate::mm::phys::Identity;
use kcore::paging::translate;

/// User pointers must lie below this (the lower canonical half).
const USER_END: u64 = 0x0000_8000_0000_0000;

fn check(addr: u64, len: usize, write: bool) -> Result<(), ()> {
    let end = addr.checked_add(len as u64).ok_or(())?;
    if end > USER_END {
        return Err(());
    }
    let cr3 = crate::proc::current_cr3();
    let mut page = addr & !0xfff;
    while page < end {
        let t = translate(&Identity, cr3, page).ok_or(())?;
        if !t.user_at_every_level || (write && !t.writable) {
            return Err(());
        }
        page += 4096;
    }
    Ok(())
}

pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), ()> {
    check(src, dst.len(), false)?;
    // SAFETY: every page of [src, src + len) is mapped USER in the current tables (checked
    // just above; single CPU, nothing unmaps in between), and the kernel can read it.
    unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst.as_mut_ptr(), dst.len()) };
    Ok(())
}

pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), ()> {
    check(dst, src.len(), true)?;
    // SAFETY: every page of [dst, dst + len) is mapped USER and writable in the current
    // tables (checked just above) and belongs to the process, not to the kernel.
    unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), dst as *mut u8, src.len()) };
    Ok(())
}
