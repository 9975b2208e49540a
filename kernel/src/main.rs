//! Rustux UEFI entry point. `efi_main` writes `!` to the QEMU debug console before any
//! other instruction runs (the plan's entry probe), then hands over to [`boot::kmain`].
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

extern crate alloc;

mod acpi;
mod arch;
mod boot;
mod clock;
mod console;
mod exec;
mod initrd;
mod interrupts;
mod klog;
mod log;
mod mm;
mod once;
mod panic;
mod power;
mod proc;
mod sched;
mod syscall;
mod uefi;

use core::arch::naked_asm;

/// The firmware calls this with the image handle in `rcx` and the system table in `rdx`
/// (Microsoft x64 ABI); both pass through untouched to `kmain`, which has the same ABI.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub extern "efiapi" fn efi_main(image: uefi::Handle, st: *const uefi::SystemTable) -> uefi::Status {
    #[cfg(not(feature = "silent"))]
    naked_asm!("mov al, 0x21", "out 0xe9, al", "jmp {kmain}", kmain = sym boot::kmain);
    // The silent variant must not even show the entry probe.
    #[cfg(feature = "silent")]
    naked_asm!("jmp {kmain}", kmain = sym boot::kmain);
}
