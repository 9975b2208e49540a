//! What an exception means: the entry point the vector table calls. So far a synchronous
//! exception at EL1 is fatal (with ESR, FAR and ELR decoded), an IRQ goes to the GIC.
use super::trap::{decode, Kind, TrapFrame};
use core::arch::asm;

fn esr_far() -> (u64, u64) {
    let (esr, far): (u64, u64);
    // SAFETY: reading the syndrome and fault address registers has no side effect.
    unsafe {
        asm!("mrs {}, esr_el1", "mrs {}, far_el1", out(reg) esr, out(reg) far, options(nomem, nostack))
    };
    (esr, far)
}

/// The exception class's name (ESR_EL1.EC, Arm ARM D17.2.37).
pub fn class_name(ec: u64) -> &'static str {
    match ec {
        0x00 => "unknown reason",
        0x07 => "FP/SIMD access trapped",
        0x0e => "illegal execution state",
        0x15 => "svc",
        0x18 => "system register access trapped",
        0x20 => "instruction abort from EL0",
        0x21 => "instruction abort",
        0x22 => "pc alignment fault",
        0x24 => "data abort",
        0x25 => "data abort",
        0x26 => "sp alignment fault",
        0x2f => "SError",
        0x3c => "brk",
        _ => "exception",
    }
}

pub extern "C" fn handle(entry: u64, frame: &mut TrapFrame) {
    let (group, kind) = decode(entry);
    match kind {
        Kind::Irq => super::gic::irq(frame),
        Kind::Sync | Kind::Fiq | Kind::SError => {
            let (esr, far) = esr_far();
            let ec = esr >> 26;
            let at = if group == super::trap::FROM_EL0 {
                "EL0"
            } else {
                "EL1"
            };
            crate::panic::fatal(format_args!(
                "{} (EC {ec:#x}) at {at}: esr={esr:#x} far={far:#x} elr={:#x}",
                class_name(ec),
                frame.elr
            ))
        }
    }
}
