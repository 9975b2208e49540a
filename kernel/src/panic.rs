//! The end of a failed boot: one `[PANIC]` line on every console, the log ring's tail
//! (indented `  | `), then debug-exit 0x11 (QEMU exit status 35); on hardware, where that
//! port does nothing, halt.
use crate::arch::{cpu, port};
use core::fmt;

/// Kernel lines shown after the panic line.
const TAIL_LINES: usize = 12;

pub fn fatal(reason: fmt::Arguments<'_>) -> ! {
    cpu::disable_interrupts();
    crate::log::print_line(format_args!("[PANIC] {reason}"));
    crate::klog::tail(TAIL_LINES, |line| {
        crate::log::print_line(format_args!(
            "  | {}",
            core::str::from_utf8(line).unwrap_or("?")
        ));
    });
    port::qemu_exit(port::EXIT_FAILURE);
    cpu::halt_forever()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    match info.location() {
        Some(at) => fatal(format_args!(
            "{} at {}:{}",
            info.message(),
            at.file(),
            at.line()
        )),
        None => fatal(format_args!("{}", info.message())),
    }
}
