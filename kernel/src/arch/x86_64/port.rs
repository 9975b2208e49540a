//! Port I/O, plus the two write-only ports the lab watches: QEMU's debug console and
//! isa-debug-exit.
use core::arch::asm;

/// QEMU `-debugcon` port (Bochs 0xE9 hack).
pub const DEBUGCON: u16 = 0xe9;
/// QEMU `-device isa-debug-exit,iobase=0xf4`: QEMU exits with status `(value << 1) | 1`.
pub const DEBUG_EXIT: u16 = 0xf4;

/// Written to [`DEBUG_EXIT`] after the final milestone: QEMU exits with status 33.
pub const EXIT_SUCCESS: u8 = 0x10;
/// Written to [`DEBUG_EXIT`] after a `[PANIC]` line: QEMU exits with status 35.
pub const EXIT_FAILURE: u8 = 0x11;

pub fn outb(port: u16, value: u8) {
    // SAFETY: the ports written here (debugcon, COM1, debug-exit) have no memory side effects;
    // on hardware without the device the write goes nowhere.
    unsafe {
        asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags))
    }
}

/// A 16-bit write (ACPI PM1 control).
pub fn outw(port: u16, value: u16) {
    // SAFETY: only used for the FADT's PM1 control ports, whose one effect is a sleep state.
    unsafe {
        asm!("out dx, ax", in("dx") port, in("ax") value, options(nomem, nostack, preserves_flags))
    }
}

pub fn inb(port: u16) -> u8 {
    let value: u8;
    // SAFETY: reading the UART's status register has no side effect on memory.
    unsafe {
        asm!("in al, dx", out("al") value, in("dx") port, options(nomem, nostack, preserves_flags))
    }
    value
}

pub fn debugcon_write(bytes: &[u8]) {
    for &b in bytes {
        outb(DEBUGCON, b);
    }
}

/// Ends the entry probe's line (`!` went to 0xE9 at efi_main).
pub fn end_entry_probe() {
    debugcon_write(b"\n");
}

/// Ends the boot under QEMU; on hardware the port does nothing and the caller halts.
pub fn qemu_exit(code: u8) {
    outb(DEBUG_EXIT, code);
}
