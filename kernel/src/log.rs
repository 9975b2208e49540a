//! Milestone and panic lines, written to both the QEMU debug console (0xE9) and COM1 so the
//! same kernel is observable in QEMU and over serial-over-LAN. Lines are formatted into a
//! fixed stack buffer: early-boot logging never touches the heap.
use crate::arch::{port, serial};
use core::fmt;
use kcore::fmtbuf::FmtBuf;

/// Longest line; longer ones end in kcore's truncation mark rather than overflow.
const LINE_BYTES: usize = 256;

/// Raw bytes to both channels (the user program's `write` goes through here too).
pub fn write_both(bytes: &[u8]) {
    if cfg!(feature = "silent") {
        return;
    }
    port::debugcon_write(bytes);
    serial::write(bytes);
}

/// Raw bytes to the debug console only (the newline after the entry probe).
pub fn write_debugcon(bytes: &[u8]) {
    if cfg!(feature = "silent") {
        return;
    }
    port::debugcon_write(bytes);
}

pub fn line(args: fmt::Arguments<'_>) {
    let mut buf = FmtBuf::<LINE_BYTES>::format(args);
    let _ = fmt::Write::write_str(&mut buf, "\n");
    let bytes = buf.as_bytes();
    write_both(bytes);
    // A truncated line lost its newline: still end it, so the next line starts clean.
    if bytes.last() != Some(&b'\n') {
        write_both(b"\n");
    }
}

/// `milestone!("heap: ...")` prints `[rustux] heap: ...` on both channels.
macro_rules! milestone {
    ($($arg:tt)*) => {
        $crate::log::line(format_args!("[rustux] {}", format_args!($($arg)*)))
    };
}
pub(crate) use milestone;
