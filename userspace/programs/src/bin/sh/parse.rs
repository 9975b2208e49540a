//! The shell's grammar: a line is commands separated by `;` or `&` (which runs the command
//! before it in the background); a command is words separated by blanks; `'...'` quotes
//! literally, `"..."` quotes but still expands `$?` (the last status); `#` at the start of
//! a word comments out the rest of the line.

use core::fmt::Write;
use usys::fmt::Buf;
use usys::{MAX_ARGS, MAX_ARG_BYTES};

/// One parsed command: its words (expanded) and whether it runs in the background.
pub struct Command {
    arena: Buf<MAX_ARG_BYTES>,
    words: [(usize, usize); MAX_ARGS],
    count: usize,
    pub background: bool,
}

#[derive(Debug)]
pub enum ParseError {
    UnterminatedQuote,
    TooManyWords,
    TooLong,
}

impl ParseError {
    pub fn message(&self) -> &'static str {
        match self {
            ParseError::UnterminatedQuote => "unterminated quote",
            ParseError::TooManyWords => "too many words (at most 16)",
            ParseError::TooLong => "command too long (at most 1024 bytes of words)",
        }
    }
}

impl Command {
    pub fn new() -> Self {
        Command {
            arena: Buf::new(),
            words: [(0, 0); MAX_ARGS],
            count: 0,
            background: false,
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn word(&self, index: usize) -> &[u8] {
        let (start, end) = self.words[index];
        &self.arena.as_bytes()[start..end]
    }

    /// The words from `from` on, as an argv.
    pub fn argv<'a>(&'a self, from: usize, out: &'a mut [&'a [u8]; MAX_ARGS]) -> &'a [&'a [u8]] {
        let n = self.count.saturating_sub(from);
        for (i, slot) in out.iter_mut().enumerate().take(n) {
            *slot = self.word(from + i);
        }
        &out[..n]
    }

    fn start_word(&mut self) -> Result<(), ParseError> {
        if self.count == MAX_ARGS {
            return Err(ParseError::TooManyWords);
        }
        let at = self.arena.as_bytes().len();
        self.words[self.count] = (at, at);
        self.count += 1;
        Ok(())
    }

    fn push(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        self.arena.push_bytes(bytes);
        if self.arena.is_truncated() {
            return Err(ParseError::TooLong);
        }
        self.words[self.count - 1].1 = self.arena.as_bytes().len();
        Ok(())
    }
}

/// Parses the next command of `line` from `*pos` into `cmd` (cleared first), expanding
/// `$?` to `status`. Ok(false) when the line has no more commands.
pub fn next_command(
    line: &[u8],
    pos: &mut usize,
    status: i32,
    cmd: &mut Command,
) -> Result<bool, ParseError> {
    *cmd = Command::new();
    let mut in_word = false;
    let mut quote: Option<u8> = None;
    let mut any = false;
    while *pos < line.len() {
        let c = line[*pos];
        *pos += 1;
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == b'$' && q == b'"' && line.get(*pos) == Some(&b'?') {
                *pos += 1;
                push_status(cmd, status)?;
            } else {
                cmd.push(&[c])?;
            }
            continue;
        }
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => in_word = false,
            b';' | b'&' => {
                cmd.background = c == b'&';
                return Ok(true);
            }
            b'#' if !in_word => {
                *pos = line.len();
            }
            _ => {
                if !in_word {
                    cmd.start_word()?;
                    in_word = true;
                    any = true;
                }
                match c {
                    b'\'' | b'"' => quote = Some(c),
                    b'$' if line.get(*pos) == Some(&b'?') => {
                        *pos += 1;
                        push_status(cmd, status)?;
                    }
                    _ => cmd.push(&[c])?,
                }
            }
        }
    }
    if quote.is_some() {
        return Err(ParseError::UnterminatedQuote);
    }
    Ok(any)
}

fn push_status(cmd: &mut Command, status: i32) -> Result<(), ParseError> {
    let mut digits = Buf::<12>::new();
    let _ = write!(digits, "{status}");
    cmd.push(digits.as_bytes())
}
