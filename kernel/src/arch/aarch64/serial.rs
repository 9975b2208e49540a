//! The PL011 UART of QEMU `virt` at 0x0900_0000, 115200 8N1 as the firmware left it: the
//! console a board shows. Output is polled.
const PL011: usize = 0x0900_0000;
const DATA: usize = PL011;
const FLAGS: usize = PL011 + 0x18;
const TX_FULL: u32 = 1 << 5;
/// Polls before giving up on a byte: a stuck UART must not hang the boot.
const SPIN_LIMIT: u32 = 100_000;

const INTERRUPT_MASK: usize = PL011 + 0x38;
const INTERRUPT_CLEAR: usize = PL011 + 0x44;
const RX_EMPTY: u32 = 1 << 4;
/// Receive and receive-timeout interrupts (the FIFO holds bytes below its threshold).
const RX_INTERRUPTS: u32 = (1 << 4) | (1 << 6);

/// Nothing to set up: AAVMF enabled the UART for its own console.
pub fn init() {}

/// Raises SPI 1 when bytes arrive; bytes already waiting are dropped (typed before the
/// kernel could read them).
pub fn enable_receive_interrupt() {
    while read_byte().is_some() {}
    write32(INTERRUPT_CLEAR, 0x7ff);
    write32(INTERRUPT_MASK, RX_INTERRUPTS);
}

/// The next received byte, if any (emptying the FIFO clears the receive interrupt).
pub fn read_byte() -> Option<u8> {
    (read32(FLAGS) & RX_EMPTY == 0).then(|| read32(DATA) as u8)
}

fn read32(addr: usize) -> u32 {
    // SAFETY: `addr` is a PL011 register, identity-mapped as device memory by the firmware
    // and by the kernel's tables.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn write32(addr: usize, value: u32) {
    // SAFETY: as in read32; writing the data register only sends a byte.
    unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
}

pub fn write(bytes: &[u8]) {
    for &b in bytes {
        let mut spins = 0;
        while read32(FLAGS) & TX_FULL != 0 && spins < SPIN_LIMIT {
            spins += 1;
            core::hint::spin_loop();
        }
        write32(DATA, u32::from(b));
    }
}
