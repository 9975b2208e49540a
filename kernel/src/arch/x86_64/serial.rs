//! COM1 (16550 UART at 0x3F8), 115200 8N1: the console a board shows over SOL. Output is
//! polled; input raises IRQ 4 once `enable_receive_interrupt` ran.
use super::port::{inb, outb};

const COM1: u16 = 0x3f8;
const LINE_STATUS: u16 = COM1 + 5;
const THR_EMPTY: u8 = 1 << 5;
/// Polls before giving up on a byte: a missing or stuck UART must not hang the boot.
const SPIN_LIMIT: u32 = 100_000;

pub fn init() {
    outb(COM1 + 1, 0x00); // no interrupts until the IRQ is routed
    outb(COM1 + 3, 0x80); // DLAB on
    outb(COM1, 0x01); // divisor 1 = 115200 baud
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); // 8 bits, no parity, 1 stop bit, DLAB off
    outb(COM1 + 2, 0xc7); // FIFO on, cleared, 14-byte threshold
    outb(COM1 + 4, 0x03); // DTR + RTS
}

const DATA_READY: u8 = 1;
const IER_RECEIVED_DATA: u8 = 1;
/// DTR + RTS + OUT2 (OUT2 gates the UART's interrupt line on PCs).
const MCR_IRQ: u8 = 0x0b;

pub fn enable_receive_interrupt() {
    outb(COM1 + 4, MCR_IRQ);
    outb(COM1 + 1, IER_RECEIVED_DATA);
    while inb(LINE_STATUS) & DATA_READY != 0 {
        let _ = inb(COM1);
    }
}

/// The next received byte, if any (reading it acknowledges the UART's interrupt).
pub fn read_byte() -> Option<u8> {
    (inb(LINE_STATUS) & DATA_READY != 0).then(|| inb(COM1))
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
