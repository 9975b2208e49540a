//! PSCI (DEN0022): SYSTEM_OFF ends the machine; QEMU exits with status 0.
use core::arch::asm;

const SYSTEM_OFF: u64 = 0x8400_0008;

/// Powers off through the firmware's PSCI; returns only if the call was refused.
/// The conduit is `hvc`: QEMU `virt` without EL2/EL3 emulation (its default) implements
/// PSCI at the hypervisor call, as AAVMF's FADT (ARM boot flags: PSCI, HVC) says.
pub fn system_off() {
    // SAFETY: SYSTEM_OFF does not return when it succeeds; on refusal it returns an error in
    // x0 and clobbers at most x0-x3 (SMCCC), which are declared.
    unsafe {
        asm!("hvc #0", inout("x0") SYSTEM_OFF => _, out("x1") _, out("x2") _, out("x3") _,
             options(nomem, nostack))
    };
}
