//! Ending the machine: QEMU's isa-debug-exit first (status 0 -> QEMU exit 33, else 35);
//! where that port does nothing, ACPI S5 through the FADT's PM1 control ports; else halt.
//! On aarch64 the port's exit is PSCI SYSTEM_OFF, which is also the hardware path.
use crate::arch::cpu;
use crate::arch::port;
use crate::log::milestone;

pub fn poweroff(status: i32) -> ! {
    milestone!("poweroff: status {status}");
    port::qemu_exit(if status == 0 {
        port::EXIT_SUCCESS
    } else {
        port::EXIT_FAILURE
    });
    #[cfg(target_arch = "x86_64")]
    acpi_soft_off();
    cpu::halt_forever()
}

#[cfg(target_arch = "x86_64")]
fn acpi_soft_off() {
    use crate::arch::port::outw;
    const SLP_EN: u16 = 1 << 13;
    if let Some(off) = crate::acpi::soft_off() {
        outw(off.pm1a_control, u16::from(off.sleep_type_a) << 10 | SLP_EN);
        if off.pm1b_control != 0 {
            outw(off.pm1b_control, u16::from(off.sleep_type_b) << 10 | SLP_EN);
        }
    }
}
