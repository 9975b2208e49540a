//! A fixed-capacity text buffer implementing [`core::fmt::Write`], for logging before (and
//! without) the heap. The original Rustux debug output formatted through growing buffers and
//! corrupted its own stack; this one never allocates and never writes past its array.
//!
//! On overflow it keeps what fits (cut on a UTF-8 character boundary), ends the text with
//! [`TRUNCATION_MARK`] and reports [`FmtBuf::is_truncated`]. Writes never return an error, so
//! `write!(buf, ...)` cannot make the caller panic.
//!
//! ```
//! use core::fmt::Write;
//! let mut buf = kcore::fmtbuf::FmtBuf::<64>::new();
//! write!(buf, "pmm: {} free pages", 1234).unwrap();
//! assert_eq!(buf.as_str(), "pmm: 1234 free pages");
//! ```

use core::fmt;

/// Appended (within capacity) when text did not fit.
pub const TRUNCATION_MARK: &str = "...";

/// Fixed-capacity UTF-8 buffer of `N` bytes.
pub struct FmtBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
    truncated: bool,
}

impl<const N: usize> FmtBuf<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
            truncated: false,
        }
    }

    /// Formats `args` into a new buffer: `FmtBuf::<128>::format(format_args!(...))`.
    pub fn format(args: fmt::Arguments<'_>) -> Self {
        let mut out = Self::new();
        // Our `write_str` never fails, so neither does `write_fmt` (a `Display` impl
        // returning an error just ends the text early).
        let _ = fmt::Write::write_fmt(&mut out, args);
        out
    }

    /// The text written so far (ending with [`TRUNCATION_MARK`] if truncated).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The text as `&str`; always valid UTF-8 because cuts happen on char boundaries.
    pub fn as_str(&self) -> &str {
        match core::str::from_utf8(self.as_bytes()) {
            Ok(s) => s,
            // Unreachable by construction; fall back to the valid prefix rather than panic.
            Err(e) => core::str::from_utf8(&self.buf[..e.valid_up_to()]).unwrap_or(""),
        }
    }

    /// Bytes used.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Capacity in bytes (`N`).
    pub const fn capacity(&self) -> usize {
        N
    }

    /// True once any write did not fit.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Empties the buffer and clears the truncation flag.
    pub fn clear(&mut self) {
        self.len = 0;
        self.truncated = false;
    }

    fn mark_truncated(&mut self) {
        self.truncated = true;
        let mark = TRUNCATION_MARK.as_bytes();
        if N < mark.len() {
            // Too small to hold the mark: keep the text, the flag says it was cut.
            return;
        }
        let mut keep = self.len.min(N - mark.len());
        while keep > 0 && !is_char_start(self.buf[keep]) {
            keep -= 1;
        }
        self.buf[keep..keep + mark.len()].copy_from_slice(mark);
        self.len = keep + mark.len();
    }
}

impl<const N: usize> Default for FmtBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

fn is_char_start(b: u8) -> bool {
    // UTF-8 continuation bytes are 0b10xx_xxxx.
    b & 0xC0 != 0x80
}

impl<const N: usize> fmt::Write for FmtBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.truncated {
            return Ok(());
        }
        let room = N - self.len;
        if s.len() <= room {
            self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
            self.len += s.len();
            return Ok(());
        }
        let mut fit = room;
        while fit > 0 && !s.is_char_boundary(fit) {
            fit -= 1;
        }
        self.buf[self.len..self.len + fit].copy_from_slice(&s.as_bytes()[..fit]);
        self.len += fit;
        self.mark_truncated();
        Ok(())
    }
}

impl<const N: usize> fmt::Debug for FmtBuf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
