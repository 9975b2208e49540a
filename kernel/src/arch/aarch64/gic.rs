//! The GICv2 of QEMU `virt` (distributor at 0x0800_0000, CPU interface at 0x0801_0000) and
//! the EL1 virtual timer (PPI 27) driving the tick; the PL011's receive interrupt is SPI 1
//! (INTID 33), whose bytes go to the console's line discipline.
use super::serial;
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

const GICD: usize = 0x0800_0000;
const GICC: usize = 0x0801_0000;
const GICD_CTLR: usize = GICD;
const GICD_ISENABLER: usize = GICD + 0x100;
const GICD_IPRIORITYR: usize = GICD + 0x400;
const GICD_ITARGETSR: usize = GICD + 0x800;
/// GICv2's peripheral ID 2: bits 7:4 are the architecture revision (a GICv3 has it at
/// 0xffe8, and nothing here).
const GICD_PIDR2: usize = GICD + 0xfe8;
const GICC_CTLR: usize = GICC;
const GICC_PMR: usize = GICC + 0x4;
const GICC_IAR: usize = GICC + 0xc;
const GICC_EOIR: usize = GICC + 0x10;

pub const TIMER_INTID: u32 = 27;
pub const UART_INTID: u32 = 33;
/// INTIDs from 1020 up mean "no interrupt" (spurious).
const SPURIOUS: u32 = 1020;

pub const TIMER_HZ: u32 = 100;

static TICKS: AtomicU64 = AtomicU64::new(0);
static TICK_INTERVAL: AtomicU64 = AtomicU64::new(0);

fn write32(addr: usize, value: u32) {
    // SAFETY: `addr` is a GIC register, mapped as device memory by the firmware and by the
    // kernel's tables; the writes below only configure interrupt delivery.
    unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
}

fn read32(addr: usize) -> u32 {
    // SAFETY: as in write32; reading IAR acknowledges the interrupt, which `irq` expects.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn write8(addr: usize, value: u8) {
    // SAFETY: as in write32 (the priority and target registers are byte-accessible).
    unsafe { core::ptr::write_volatile(addr as *mut u8, value) }
}

fn enable(intid: u32) {
    write8(GICD_IPRIORITYR + intid as usize, 0xa0);
    if intid >= 32 {
        write8(GICD_ITARGETSR + intid as usize, 1); // CPU 0
    }
    write32(
        GICD_ISENABLER + (intid as usize / 32) * 4,
        1 << (intid % 32),
    );
}

/// Turns on the distributor and CPU interface, routes the timer and the UART, and starts the
/// timer at [`TIMER_HZ`]. Interrupts stay masked (DAIF.I) until the idle loop waits.
pub fn init(counter_per_ms: u64) {
    // A GICv3 (`virt,gic-version=3`) sits at the same address but is programmed through
    // system registers and redistributors: say so rather than wait for a tick that never
    // comes.
    let pidr2 = read32(GICD_PIDR2);
    if (pidr2 >> 4) & 0xf != 2 {
        crate::panic::fatal(format_args!(
            "interrupts: the GIC at {GICD:#x} is not a GICv2 (PIDR2 {pidr2:#x}); only QEMU virt's default GICv2 is supported"
        ));
    }
    write32(GICD_CTLR, 1);
    enable(TIMER_INTID);
    enable(UART_INTID);
    write32(GICC_PMR, 0xff);
    write32(GICC_CTLR, 1);
    TICK_INTERVAL.store(
        counter_per_ms * 1000 / u64::from(TIMER_HZ),
        Ordering::Relaxed,
    );
    rearm_timer();
}

fn rearm_timer() {
    let interval = TICK_INTERVAL.load(Ordering::Relaxed);
    // SAFETY: programming the EL1 virtual timer only schedules its next interrupt.
    unsafe {
        asm!("msr cntv_tval_el0, {}", "mov {t}, #1", "msr cntv_ctl_el0, {t}", "isb",
             in(reg) interval, t = out(reg) _, options(nomem, nostack))
    };
}

/// Stops the timer (the no-preempt variant).
pub fn stop_timer() {
    // SAFETY: disabling the virtual timer has no effect beyond its interrupt.
    unsafe { asm!("msr cntv_ctl_el0, xzr", "isb", options(nomem, nostack)) };
}

pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// An IRQ: acknowledge, handle, end.
pub fn irq() {
    let iar = read32(GICC_IAR);
    let intid = iar & 0x3ff;
    if intid >= SPURIOUS {
        return;
    }
    if intid == TIMER_INTID {
        TICKS.fetch_add(1, Ordering::Relaxed);
        rearm_timer();
        write32(GICC_EOIR, iar);
        crate::sched::tick();
        return;
    }
    if intid == UART_INTID && !crate::console::receive(serial::read_byte) {
        return;
    }
    write32(GICC_EOIR, iar);
}
