//! Rustux UEFI entry point. `efi_main` writes `!` before any other instruction runs (the
//! plan's entry probe: the QEMU debug console on x86_64, the PL011 UART on aarch64), then
//! hands over to [`boot::kmain`].
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

/// The firmware passes the image handle and the system table in the efiapi registers
/// (`rcx`, `rdx` on x86_64; `x0`, `x1` on aarch64); both pass through untouched to `kmain`,
/// which has the same ABI. The probe touches no other register the firmware set.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub extern "efiapi" fn efi_main(image: uefi::Handle, st: *const uefi::SystemTable) -> uefi::Status {
    #[cfg(all(not(feature = "silent"), target_arch = "x86_64"))]
    core::arch::naked_asm!("mov al, 0x21", "out 0xe9, al", "jmp {kmain}", kmain = sym boot::kmain);
    // QEMU virt's PL011 data register, written before the UART is set up: the firmware
    // left it enabled at 115200 8N1, and x9/x10 are scratch registers in the efiapi ABI.
    #[cfg(all(not(feature = "silent"), target_arch = "aarch64"))]
    core::arch::naked_asm!(
        "movz x9, #0x0900, lsl #16",
        "mov w10, #0x21",
        "strb w10, [x9]",
        "b {kmain}",
        kmain = sym boot::kmain
    );
    // The silent variant must not even show the entry probe.
    #[cfg(all(feature = "silent", target_arch = "x86_64"))]
    core::arch::naked_asm!("jmp {kmain}", kmain = sym boot::kmain);
    #[cfg(all(feature = "silent", target_arch = "aarch64"))]
    core::arch::naked_asm!("b {kmain}", kmain = sym boot::kmain);
}
