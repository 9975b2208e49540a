//! PSCI (DEN0022): SYSTEM_OFF ends the machine; QEMU exits with status 0.
use core::arch::asm;
use core::sync::atomic::{AtomicBool, Ordering};

const SYSTEM_OFF: u64 = 0x8400_0008;
const FLAG_COMPLIANT: u16 = 1 << 0;
const FLAG_HVC: u16 = 1 << 1;

/// The conduit: `smc` when the firmware's FADT says PSCI without HVC, else `hvc` (QEMU
/// `virt` without EL2/EL3 emulation, its default, and any firmware that does not say).
static USE_SMC: AtomicBool = AtomicBool::new(false);

/// Reads the conduit from the FADT's ARM boot flags (the RSDP must be known).
pub fn init() {
    if let Some(flags) = crate::acpi::arm_boot_flags() {
        let smc = flags & FLAG_COMPLIANT != 0 && flags & FLAG_HVC == 0;
        USE_SMC.store(smc, Ordering::Relaxed);
    }
}

pub fn conduit() -> &'static str {
    if USE_SMC.load(Ordering::Relaxed) {
        "smc"
    } else {
        "hvc"
    }
}

/// Powers off through the firmware's PSCI; returns only if the call was refused.
pub fn system_off() {
    // SAFETY: SYSTEM_OFF does not return when it succeeds; on refusal it returns an error in
    // x0 and clobbers at most x0-x3 (SMCCC), which are declared.
    unsafe {
        if USE_SMC.load(Ordering::Relaxed) {
            asm!("smc #0", inout("x0") SYSTEM_OFF => _, out("x1") _, out("x2") _, out("x3") _,
                 options(nomem, nostack));
        } else {
            asm!("hvc #0", inout("x0") SYSTEM_OFF => _, out("x1") _, out("x2") _, out("x3") _,
                 options(nomem, nostack));
        }
    }
}
