//! COM1 (16550 UART at 0x3F8), 115200 8N1, polled: the console a board shows over SOL.
use super::port::{inb, outb};

const COM1: u16 = 0x3f8;
const LINE_STATUS: u16 = COM1 + 5;
const THR_EMPTY: u8 = 1 << 5;
/// Polls before giving up on a byte: a missing or stuck UART must not hang the boot.
const SPIN_LIMIT: u32 = 100_000;

pub fn init() {
    outb(COM1 + 1, 0x00); // no interrupts: we poll
    outb(COM1 + 3, 0x80); // DLAB on
    outb(COM1, 0x01); // divisor 1 = 115200 baud
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); // 8 bits, no parity, 1 stop bit, DLAB off
    outb(COM1 + 2, 0xc7); // FIFO on, cleared, 14-byte threshold
    outb(COM1 + 4, 0x03); // DTR + RTS
}

pub fn write(bytes: &[u8]) {
    for &b in bytes {
        let mut spins = 0;
        while inb(LINE_STATUS) & THR_EMPTY == 0 && spins < SPIN_LIMIT {
            spins += 1;
            core::hint::spin_loop();
        }
        outb(COM1, b);
    }
}
