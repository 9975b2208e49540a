//! Reads an address no process has mapped: the kernel must kill only this process (status
//! 139) with one line naming it, and go on.
#![no_std]
#![no_main]

/// PML4 slot 64: user space, never mapped (programs live in slot 32).
const UNMAPPED: u64 = 0x0000_2000_0000_0000;

usys::entry!(main);

fn main(_args: usys::Args) -> i32 {
    usys::println!("[fault] reading unmapped address {UNMAPPED:#x}");
    // SAFETY: deliberately not safe: the read must fault, and the kernel kills us for it.
    let value = unsafe { core::ptr::read_volatile(UNMAPPED as *const u64) };
    usys::println!("[fault] read {value:#x}: the kernel did not fault");
    1
}
