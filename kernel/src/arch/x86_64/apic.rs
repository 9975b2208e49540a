//! Interrupt controllers: the local APIC (its timer, calibrated against the TSC, and EOI),
//! the IOAPIC found in the MADT routing ISA IRQs, and the legacy 8259 PIC as the fallback
//! where the firmware describes no IOAPIC.
use super::cpu::{rdmsr, rdtsc};
use super::port::{inb, outb};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const APIC_BASE_MSR: u32 = 0x1b;
const APIC_ENABLE: u64 = 1 << 11;
const REG_ID: u64 = 0x20;
const REG_TPR: u64 = 0x80;
const REG_EOI: u64 = 0xb0;
const REG_SVR: u64 = 0xf0;
const REG_LVT_TIMER: u64 = 0x320;
const REG_TIMER_INITIAL: u64 = 0x380;
const REG_TIMER_CURRENT: u64 = 0x390;
const REG_TIMER_DIVIDE: u64 = 0x3e0;
const SVR_ENABLE: u32 = 1 << 8;
const LVT_MASKED: u32 = 1 << 16;
const LVT_PERIODIC: u32 = 1 << 17;
const DIVIDE_BY_16: u32 = 0x3;

/// Vectors: the PIC's IRQs land at 0x20 + irq either way, so both paths share them.
pub const IRQ_BASE: u8 = 0x20;
pub const TIMER_VECTOR: u8 = 0x30;
pub const SPURIOUS_VECTOR: u8 = 0xff;

static LAPIC: AtomicU64 = AtomicU64::new(0);
static USING_PIC: AtomicBool = AtomicBool::new(false);

fn lapic_read(reg: u64) -> u32 {
    // SAFETY: LAPIC is the local APIC's MMIO page (from its MSR), identity-mapped; `reg` is
    // an architectural register offset inside it.
    unsafe { core::ptr::read_volatile((LAPIC.load(Ordering::Relaxed) + reg) as *const u32) }
}

fn lapic_write(reg: u64, value: u32) {
    // SAFETY: as for lapic_read; writes to these registers only configure the local APIC.
    unsafe { core::ptr::write_volatile((LAPIC.load(Ordering::Relaxed) + reg) as *mut u32, value) }
}

/// Enables the local APIC (spurious vector 0xff, accept every priority).
pub fn init_lapic() {
    let base = rdmsr(APIC_BASE_MSR);
    LAPIC.store(base & 0xf_ffff_f000, Ordering::Relaxed);
    if base & APIC_ENABLE == 0 {
        // SAFETY: setting the global enable bit of the APIC base MSR keeps its address.
        unsafe { super::cpu::wrmsr(APIC_BASE_MSR, base | APIC_ENABLE) };
    }
    lapic_write(REG_TPR, 0);
    lapic_write(REG_SVR, SVR_ENABLE | u32::from(SPURIOUS_VECTOR));
}

pub fn lapic_id() -> u32 {
    lapic_read(REG_ID) >> 24
}

/// Measures the timer's ticks per millisecond (divide by 16) against the TSC.
pub fn calibrate_timer(tsc_per_ms: u64, ms: u64) -> u32 {
    lapic_write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    lapic_write(REG_LVT_TIMER, LVT_MASKED | u32::from(TIMER_VECTOR));
    lapic_write(REG_TIMER_INITIAL, u32::MAX);
    let start = rdtsc();
    while rdtsc() - start < tsc_per_ms * ms {
        core::hint::spin_loop();
    }
    let elapsed = u32::MAX - lapic_read(REG_TIMER_CURRENT);
    lapic_write(REG_TIMER_INITIAL, 0);
    (elapsed / ms as u32).max(1)
}

/// Starts the periodic timer at `hz` given the calibrated rate.
pub fn start_timer(ticks_per_ms: u32, hz: u32) {
    lapic_write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    lapic_write(REG_LVT_TIMER, LVT_PERIODIC | u32::from(TIMER_VECTOR));
    lapic_write(REG_TIMER_INITIAL, (ticks_per_ms * 1000 / hz).max(1));
}

/// Stops the timer for good (the `no-preempt` variant).
pub fn stop_timer() {
    lapic_write(REG_LVT_TIMER, LVT_MASKED | u32::from(TIMER_VECTOR));
    lapic_write(REG_TIMER_INITIAL, 0);
}

/// Acknowledges a local APIC interrupt (the timer, or an IOAPIC-routed IRQ).
pub fn lapic_eoi() {
    lapic_write(REG_EOI, 0);
}

/// Acknowledges device IRQ `irq` at whichever controller delivered it.
pub fn irq_eoi(irq: u8) {
    if USING_PIC.load(Ordering::Relaxed) {
        if irq >= 8 {
            outb(PIC2_COMMAND, PIC_EOI);
        }
        outb(PIC1_COMMAND, PIC_EOI);
    } else {
        lapic_eoi();
    }
}

/// An IOAPIC from the MADT.
#[derive(Clone, Copy)]
pub struct IoApic {
    pub address: u64,
    pub gsi_base: u32,
}

/// How an ISA IRQ reaches the IOAPIC (MADT interrupt source overrides).
#[derive(Clone, Copy)]
pub struct IsaRoute {
    pub gsi: u32,
    pub active_low: bool,
    pub level: bool,
}

impl IoApic {
    fn write(&self, reg: u32, value: u32) {
        // SAFETY: `address` is the IOAPIC's MMIO window from the MADT, identity-mapped:
        // IOREGSEL at +0, IOWIN at +0x10.
        unsafe {
            core::ptr::write_volatile(self.address as *mut u32, reg);
            core::ptr::write_volatile((self.address + 0x10) as *mut u32, value);
        }
    }

    /// Sends `route`'s GSI to `vector` on the local APIC `dest`, unmasked.
    pub fn route(&self, route: IsaRoute, vector: u8, dest: u32) {
        let pin = route.gsi - self.gsi_base;
        let low = u32::from(vector)
            | if route.active_low { 1 << 13 } else { 0 }
            | if route.level { 1 << 15 } else { 0 };
        self.write(0x10 + 2 * pin, LVT_MASKED);
        self.write(0x11 + 2 * pin, dest << 24);
        self.write(0x10 + 2 * pin, low);
    }
}

const PIC1_COMMAND: u16 = 0x20;
const PIC1_DATA: u16 = 0x21;
const PIC2_COMMAND: u16 = 0xa0;
const PIC2_DATA: u16 = 0xa1;
const PIC_EOI: u8 = 0x20;

/// Re-bases the 8259 pair at IRQ_BASE (so a stray IRQ is never taken for an exception) and
/// masks every line except `unmasked` (IRQ numbers).
pub fn init_pic(unmasked: &[u8]) {
    outb(PIC1_COMMAND, 0x11); // ICW1: init, ICW4 follows
    outb(PIC2_COMMAND, 0x11);
    outb(PIC1_DATA, IRQ_BASE); // ICW2: vector bases
    outb(PIC2_DATA, IRQ_BASE + 8);
    outb(PIC1_DATA, 4); // ICW3: slave on IRQ2
    outb(PIC2_DATA, 2);
    outb(PIC1_DATA, 1); // ICW4: 8086 mode
    outb(PIC2_DATA, 1);
    let mask = unmasked.iter().fold(0xffu8, |m, &irq| m & !(1 << irq));
    outb(PIC1_DATA, mask);
    outb(PIC2_DATA, 0xff);
    let _ = inb(PIC1_DATA);
    USING_PIC.store(!unmasked.is_empty(), Ordering::Relaxed);
}
