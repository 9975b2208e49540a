//! Milestone and panic lines, written to every console (the QEMU debug console 0xE9, COM1,
//! the framebuffer once it is up) so the same kernel is observable in QEMU, over
//! serial-over-LAN and on a screen, and kept in the log ring. Lines are formatted into a
//! fixed stack buffer: early-boot logging never touches the heap.
use crate::arch::port;
use core::fmt;
use kcore::fmtbuf::FmtBuf;

/// Longest line; longer ones end in kcore's truncation mark rather than overflow.
const LINE_BYTES: usize = 256;

/// Raw bytes to every console (the user program's `write` goes through here too).
pub fn write_both(bytes: &[u8]) {
    crate::console::write(bytes);
}

/// The newline after the entry probe, on the probe's channel only.
pub fn end_entry_probe() {
    if cfg!(feature = "silent") {
        return;
    }
    port::end_entry_probe();
}

pub fn line(args: fmt::Arguments<'_>) {
    let bytes = print_line(args);
    crate::klog::append(bytes.as_bytes());
}

/// Prints a line without keeping it in the ring (the panic line and its dump).
pub fn print_line(args: fmt::Arguments<'_>) -> FmtBuf<LINE_BYTES> {
    let mut buf = FmtBuf::<LINE_BYTES>::format(args);
    let _ = fmt::Write::write_str(&mut buf, "\n");
    write_both(buf.as_bytes());
    // A truncated line lost its newline: still end it, so the next line starts clean.
    if buf.as_bytes().last() != Some(&b'\n') {
        write_both(b"\n");
    }
    buf
}

/// `milestone!("heap: ...")` prints `[rustux] heap: ...` on both channels.
macro_rules! milestone {
    ($($arg:tt)*) => {
        $crate::log::line(format_args!("[rustux] {}", format_args!($($arg)*)))
    };
}
pub(crate) use milestone;
