//! The PS/2 controller (i8042): scancodes arrive on IRQ 1 from port 0x60. The firmware's
//! driver may have polled with the keyboard interrupt off, so `init` turns it on.
use super::port::{inb, outb};

const DATA: u16 = 0x60;
const STATUS_COMMAND: u16 = 0x64;
const OUTPUT_FULL: u8 = 1;
const INPUT_FULL: u8 = 2;
const READ_CONFIG: u8 = 0x20;
const WRITE_CONFIG: u8 = 0x60;
const CONFIG_IRQ1: u8 = 1;
/// Polls before deciding there is no controller (a board without PS/2).
const SPIN_LIMIT: u32 = 100_000;

fn wait(mask: u8, set: bool) -> bool {
    (0..SPIN_LIMIT).any(|_| (inb(STATUS_COMMAND) & mask != 0) == set)
}

/// Enables the first port's interrupt; false when no controller answers.
pub fn init() -> bool {
    if inb(STATUS_COMMAND) == 0xff {
        return false;
    }
    while inb(STATUS_COMMAND) & OUTPUT_FULL != 0 {
        let _ = inb(DATA); // drop what the firmware left
    }
    if !wait(INPUT_FULL, false) {
        return false;
    }
    outb(STATUS_COMMAND, READ_CONFIG);
    if !wait(OUTPUT_FULL, true) {
        return false;
    }
    let config = inb(DATA) | CONFIG_IRQ1;
    if !wait(INPUT_FULL, false) {
        return false;
    }
    outb(STATUS_COMMAND, WRITE_CONFIG);
    if !wait(INPUT_FULL, false) {
        return false;
    }
    outb(DATA, config);
    true
}

/// The scancode waiting in the controller, if any.
pub fn read_scancode() -> Option<u8> {
    (inb(STATUS_COMMAND) & OUTPUT_FULL != 0).then(|| inb(DATA))
}
