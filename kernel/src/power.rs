//! Ending the machine: QEMU's isa-debug-exit first (status 0 -> QEMU exit 33, else 35);
//! where that port does nothing, ACPI S5 through the FADT's PM1 control ports; else halt.
use crate::arch::cpu;
use crate::arch::port::{self, outw};
use crate::log::milestone;

const SLP_EN: u16 = 1 << 13;

pub fn poweroff(status: i32) -> ! {
    milestone!("poweroff: status {status}");
    port::qemu_exit(if status == 0 {
        port::EXIT_SUCCESS
    } else {
        port::EXIT_FAILURE
    });
    if let Some(off) = crate::acpi::soft_off() {
        outw(off.pm1a_control, u16::from(off.sleep_type_a) << 10 | SLP_EN);
        if off.pm1b_control != 0 {
            outw(off.pm1b_control, u16::from(off.sleep_type_b) << 10 | SLP_EN);
        }
    }
    cpu::halt_forever()
}

/// The end of today's boot path (embedded hello): success without a poweroff line.
pub fn qemu_exit_success() -> ! {
    port::qemu_exit(port::EXIT_SUCCESS);
    cpu::halt_forever()
}
