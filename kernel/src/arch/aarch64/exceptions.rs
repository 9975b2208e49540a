//! The one Rust entry every exception comes through (the vector table calls it): IRQs go to
//! the GIC, `svc` from EL0 is a syscall, any other exception from EL0 kills the process (the
//! kernel goes on), one at EL1 is fatal. Then, as on x86_64, Ctrl-C and preemption.
use super::trap::{decode, Kind, TrapFrame, FROM_EL0};
use core::arch::asm;

/// ESR_EL1.EC values the kernel acts on.
const EC_UNKNOWN: u64 = 0x00;
const EC_SVC64: u64 = 0x15;
const EC_FP: u64 = 0x2c;

fn esr() -> u64 {
    let esr: u64;
    // SAFETY: reading the syndrome register has no side effect.
    unsafe { asm!("mrs {}, esr_el1", out(reg) esr, options(nomem, nostack)) };
    esr
}

/// The exception class's name (ESR_EL1.EC, Arm ARM D17.2.37).
fn class_name(ec: u64) -> &'static str {
    match ec {
        EC_UNKNOWN => "undefined instruction",
        0x07 => "FP/SIMD access trapped",
        0x0e => "illegal execution state",
        EC_SVC64 => "svc",
        0x18 => "system register access trapped",
        0x20 | 0x21 => "instruction abort",
        0x22 => "pc alignment fault",
        0x24 | 0x25 => "data abort",
        0x26 => "sp alignment fault",
        EC_FP => "floating-point exception",
        0x2f => "SError",
        0x3c => "brk",
        _ => "exception",
    }
}

pub extern "C" fn handle(entry: u64, frame: &mut TrapFrame) {
    let (group, kind) = decode(entry);
    match kind {
        Kind::Irq => super::gic::irq(),
        Kind::Sync if group == FROM_EL0 && esr() >> 26 == EC_SVC64 => {
            crate::syscall::dispatch(frame)
        }
        _ if group == FROM_EL0 => crate::proc::fault(frame),
        _ => kernel_fault(frame),
    }
    // Acknowledged first: Ctrl-C may end the process this trap came from.
    if crate::console::take_interrupt() {
        crate::proc::interrupt_foreground();
    }
    crate::sched::preempt_if_due(frame);
}

/// The exit status of a process this exception killed: 132 undefined instruction, 136
/// floating-point exception, else 139 (aborts), as the x86_64 signals would give.
pub fn fault_status(_frame: &TrapFrame) -> i32 {
    match esr() >> 26 {
        EC_UNKNOWN => 132,
        EC_FP => 136,
        _ => 139,
    }
}

/// The fault line's detail: `data abort (EC 0x24) esr 0x.. pc 0x.. far 0x..`.
pub fn fault_detail(frame: &TrapFrame, far: u64) -> impl core::fmt::Display + '_ {
    Describe { frame, far }
}

/// The one-line description (also the reason when init dies of one).
pub fn describe(frame: &TrapFrame, far: u64) -> impl core::fmt::Display + '_ {
    Describe { frame, far }
}

struct Describe<'a> {
    frame: &'a TrapFrame,
    far: u64,
}

impl core::fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let esr = esr();
        let ec = esr >> 26;
        write!(
            f,
            "{} (EC {ec:#x}) esr {esr:#x} pc {:#x} far {:#x}",
            class_name(ec),
            self.frame.elr,
            self.far
        )
    }
}

/// An exception at EL1 is fatal: report it and end the boot.
fn kernel_fault(frame: &TrapFrame) -> ! {
    let far = super::cpu::cr2();
    let ec = esr() >> 26;
    if ec == 0x25 {
        if let Some(guard) = crate::sched::guard_hit(far) {
            crate::panic::fatal(format_args!(
                "kernel stack overflow (guard page hit at {guard:#x})"
            ));
        }
    }
    crate::panic::fatal(format_args!("{} at EL1", describe(frame, far)))
}
