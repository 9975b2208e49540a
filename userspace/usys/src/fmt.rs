//! Output without allocation: a fixed buffer that implements `fmt::Write` ([`Buf`]), the
//! `print!`/`println!`/`eprintln!` macros over it, and [`Show`] to print byte strings.

use core::fmt;

/// A fixed-capacity line buffer; bytes past the capacity are dropped (`truncated`).
pub struct Buf<const N: usize> {
    bytes: [u8; N],
    len: usize,
    truncated: bool,
}

impl<const N: usize> Default for Buf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Buf<N> {
    pub const fn new() -> Self {
        Buf {
            bytes: [0; N],
            len: 0,
            truncated: false,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.truncated = false;
    }

    pub fn push_bytes(&mut self, bytes: &[u8]) {
        let room = N - self.len;
        let n = bytes.len().min(room);
        self.bytes[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        self.truncated |= n < bytes.len();
    }
}

impl<const N: usize> fmt::Write for Buf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_bytes(s.as_bytes());
        Ok(())
    }
}

/// Formats into a 256-byte buffer and writes it to `fd` in one `write` (so a line from one
/// process is not split by another's); longer output is written in pieces.
pub fn print_to(fd: u64, args: fmt::Arguments<'_>) {
    struct Out<'a>(u64, &'a mut Buf<256>);
    impl fmt::Write for Out<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for chunk in s.as_bytes().chunks(256) {
                if chunk.len() > 256 - self.1.len {
                    flush(self.0, self.1);
                }
                self.1.push_bytes(chunk);
            }
            Ok(())
        }
    }
    let mut buf = Buf::<256>::new();
    let _ = fmt::write(&mut Out(fd, &mut buf), args);
    flush(fd, &mut buf);
}

fn flush(fd: u64, buf: &mut Buf<256>) {
    if !buf.as_bytes().is_empty() {
        let _ = crate::write(fd, buf.as_bytes());
    }
    buf.clear();
}

/// Displays a byte string as text (non-UTF-8 bytes as `?`).
pub struct Show<'a>(pub &'a [u8]);

impl fmt::Display for Show<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("?")?;
            }
        }
        Ok(())
    }
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::fmt::print_to($crate::STDOUT, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::fmt::print_to($crate::STDOUT, format_args!("\n")) };
    ($($arg:tt)*) => { $crate::fmt::print_to($crate::STDOUT, format_args!("{}\n", format_args!($($arg)*))) };
}

#[macro_export]
macro_rules! eprintln {
    ($($arg:tt)*) => { $crate::fmt::print_to($crate::STDERR, format_args!("{}\n", format_args!($($arg)*))) };
}
