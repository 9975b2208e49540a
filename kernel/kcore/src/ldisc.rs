//! The console line discipline (canonical mode): bytes from COM1 and the keyboard come in
//! one at a time through [`LineDiscipline::receive`], which edits the current line and says
//! what to echo and whether to wake readers or interrupt the foreground process; readers
//! take finished lines with [`LineDiscipline::read`].
//!
//! - printable ASCII and tab are appended and echoed; a full line (`LINE - 1` bytes, one is
//!   kept for the newline) drops further bytes;
//! - `\r` and `\n` end the line (stored and echoed as `\n`);
//! - backspace (0x08) and DEL (0x7f) erase the last byte, echoing `\b \b`;
//! - Ctrl-C (0x03) drops the line being edited and every unread line, echoes `^C\n` and asks
//!   the kernel to interrupt the foreground process;
//! - Ctrl-D (0x04) on an empty line is end of input (one `read` returns 0); on a non-empty
//!   line it hands the line over without a newline;
//! - other control bytes and non-ASCII are ignored.
//!
//! No allocation: the edit line holds `LINE` bytes, finished lines share a `QUEUE`-byte ring
//! with at most [`MAX_LINES`] lines waiting.

/// Most finished lines waiting to be read (an end-of-input mark counts as one).
pub const MAX_LINES: usize = 16;
const CTRL_C: u8 = 0x03;
const CTRL_D: u8 = 0x04;
const BACKSPACE: u8 = 0x08;
const DEL: u8 = 0x7f;

/// What one input byte asks of the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reaction {
    echo: [u8; 3],
    echo_len: u8,
    /// A line (or end of input) became readable: wake blocked readers.
    pub wake: bool,
    /// Ctrl-C: interrupt the foreground process (readers get EINTR).
    pub interrupt: bool,
}

impl Reaction {
    /// Bytes to write to the console (COM1's `\n` -> `\r\n` is the driver's business).
    pub fn echo(&self) -> &[u8] {
        &self.echo[..self.echo_len as usize]
    }

    fn echoing(bytes: &[u8]) -> Self {
        let mut reaction = Self {
            echo_len: bytes.len() as u8,
            ..Self::default()
        };
        reaction.echo[..bytes.len()].copy_from_slice(bytes);
        reaction
    }
}

/// A canonical-mode line discipline with a `LINE`-byte edit buffer (`LINE >= 2`) and a
/// `QUEUE`-byte ring of finished lines.
pub struct LineDiscipline<const LINE: usize, const QUEUE: usize> {
    line: [u8; LINE],
    line_len: usize,
    ring: [u8; QUEUE],
    /// Ring index of the first unread byte.
    head: usize,
    /// Unread bytes in the ring.
    queued: usize,
    /// Unread byte counts of the finished lines, oldest first; 0 marks end of input.
    lines: [usize; MAX_LINES],
    first_line: usize,
    line_count: usize,
}

impl<const LINE: usize, const QUEUE: usize> Default for LineDiscipline<LINE, QUEUE> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const LINE: usize, const QUEUE: usize> LineDiscipline<LINE, QUEUE> {
    pub const fn new() -> Self {
        Self {
            line: [0; LINE],
            line_len: 0,
            ring: [0; QUEUE],
            head: 0,
            queued: 0,
            lines: [0; MAX_LINES],
            first_line: 0,
            line_count: 0,
        }
    }

    /// Feeds one input byte.
    pub fn receive(&mut self, byte: u8) -> Reaction {
        match byte {
            b'\r' | b'\n' => {
                self.line[self.line_len] = b'\n';
                self.line_len += 1;
                self.finish_line();
                Reaction {
                    wake: true,
                    ..Reaction::echoing(b"\n")
                }
            }
            BACKSPACE | DEL if self.line_len > 0 => {
                self.line_len -= 1;
                Reaction::echoing(b"\x08 \x08")
            }
            CTRL_C => {
                self.line_len = 0;
                self.queued = 0;
                self.line_count = 0;
                Reaction {
                    wake: true,
                    interrupt: true,
                    ..Reaction::echoing(b"^C\n")
                }
            }
            CTRL_D => {
                self.finish_line();
                Reaction {
                    wake: true,
                    ..Reaction::default()
                }
            }
            b'\t' | 0x20..=0x7e if self.line_len < LINE - 1 => {
                self.line[self.line_len] = byte;
                self.line_len += 1;
                Reaction::echoing(&[byte])
            }
            _ => Reaction::default(),
        }
    }

    /// Whether a `read` would return something now (a line or end of input).
    pub fn readable(&self) -> bool {
        self.line_count > 0
    }

    /// Copies up to `buf.len()` bytes of the oldest finished line into `buf`. `None`: nothing
    /// to read yet (block); `Some(0)`: end of input; `Some(n)`: n bytes, the line's rest
    /// (ending in `\n` unless it was ended by Ctrl-D) or as much of it as fits.
    pub fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        if self.line_count == 0 {
            return None;
        }
        let left = &mut self.lines[self.first_line];
        if *left == 0 {
            self.first_line = (self.first_line + 1) % MAX_LINES;
            self.line_count -= 1;
            return Some(0);
        }
        let n = buf.len().min(*left);
        for slot in &mut buf[..n] {
            *slot = self.ring[self.head];
            self.head = (self.head + 1) % QUEUE;
        }
        self.queued -= n;
        *left -= n;
        if *left == 0 {
            self.first_line = (self.first_line + 1) % MAX_LINES;
            self.line_count -= 1;
        }
        Some(n)
    }

    /// The bytes typed on the current, unfinished line.
    pub fn pending(&self) -> &[u8] {
        &self.line[..self.line_len]
    }

    /// Moves the edit line into the ring as one finished line (empty = end of input); a
    /// line that does not fit (ring or line slots full) is dropped.
    fn finish_line(&mut self) {
        let len = self.line_len;
        self.line_len = 0;
        if self.line_count == MAX_LINES || len > QUEUE - self.queued {
            return;
        }
        let mut tail = (self.head + self.queued) % QUEUE;
        for &byte in &self.line[..len] {
            self.ring[tail] = byte;
            tail = (tail + 1) % QUEUE;
        }
        self.queued += len;
        self.lines[(self.first_line + self.line_count) % MAX_LINES] = len;
        self.line_count += 1;
    }
}
