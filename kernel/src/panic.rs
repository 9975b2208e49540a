//! The end of a failed boot: one `[PANIC]` line on both channels, then debug-exit 0x11
//! (QEMU exit status 35); on hardware, where that port does nothing, halt.
use crate::arch::{cpu, port};
use core::fmt;

pub fn fatal(reason: fmt::Arguments<'_>) -> ! {
    crate::log::line(format_args!("[PANIC] {reason}"));
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
