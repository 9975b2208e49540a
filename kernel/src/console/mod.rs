//! The console: every byte of output (kernel lines, process writes, echo) goes to COM1,
//! the debug console and the framebuffer text console; input from COM1 and the PS/2
//! keyboard goes through one line discipline (kcore `ldisc`) that readers block on.
pub mod framebuffer;
mod input;
// The PS/2 keyboard's scancodes: x86_64 only (`virt` has no PS/2).
#[cfg(target_arch = "x86_64")]
mod keyboard;

#[cfg(target_arch = "x86_64")]
pub use input::keyboard_scancode;
pub use input::{last_line_ns, receive, take_interrupt, try_read};

use crate::arch::{port, serial};

/// Bytes to every output channel; COM1 gets `\n` as `\r\n`.
pub fn write(bytes: &[u8]) {
    if cfg!(feature = "silent") {
        return;
    }
    port::debugcon_write(bytes);
    for chunk in bytes.split_inclusive(|&b| b == b'\n') {
        match chunk.split_last() {
            Some((b'\n', line)) => {
                serial::write(line);
                serial::write(b"\r\n");
            }
            _ => serial::write(chunk),
        }
    }
    framebuffer::write(bytes);
}
