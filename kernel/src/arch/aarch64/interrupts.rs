//! Interrupt routing at boot: the GIC delivers the generic timer's tick and the PL011's
//! receive interrupt; prints the `interrupts` milestone once the timer has ticked.
use super::{cpu, gic, serial};
use crate::log::milestone;

pub const TIMER_HZ: u32 = gic::TIMER_HZ;
/// Ticks waited for before the milestone: proof that the timer interrupts and the GIC
/// delivers.
const PROOF_TICKS: u64 = 2;

pub fn init() {
    let per_ms = crate::clock::tsc_per_ms();
    gic::init(per_ms);
    serial::enable_receive_interrupt();
    let until = gic::ticks() + PROOF_TICKS;
    while gic::ticks() < until {
        cpu::wait_for_interrupt();
    }
    milestone!(
        "interrupts: generic timer {TIMER_HZ} Hz ({per_ms} ticks/ms from CNTFRQ), gicv2 routes PL011 irq {}",
        gic::UART_INTID
    );
}
