//! Line discipline tests: echo, backspace, `\r` -> `\n`, Ctrl-C, Ctrl-D, full buffers, and
//! a random byte stream checked against a simple model of what a reader must see.

#[path = "common/mod.rs"]
mod common;

use common::Rng;
use kcore::ldisc::{LineDiscipline, MAX_LINES};

type Ldisc = LineDiscipline<16, 64>;

/// Feeds `input`, returns everything echoed and whether any byte woke or interrupted.
fn feed(ld: &mut Ldisc, input: &[u8]) -> (Vec<u8>, bool, bool) {
    let (mut echo, mut wake, mut interrupt) = (Vec::new(), false, false);
    for &byte in input {
        let reaction = ld.receive(byte);
        echo.extend_from_slice(reaction.echo());
        wake |= reaction.wake;
        interrupt |= reaction.interrupt;
    }
    (echo, wake, interrupt)
}

fn read_all(ld: &mut Ldisc, chunk: usize) -> Vec<Vec<u8>> {
    let mut reads = Vec::new();
    let mut buf = vec![0; chunk];
    while let Some(n) = ld.read(&mut buf) {
        reads.push(buf[..n].to_vec());
    }
    reads
}

#[test]
fn a_line_is_echoed_and_readable_only_once_finished() {
    let mut ld = Ldisc::new();
    let (echo, wake, _) = feed(&mut ld, b"ls /bin");
    assert_eq!((echo.as_slice(), wake), (&b"ls /bin"[..], false));
    assert_eq!(ld.read(&mut [0; 8]), None, "no line yet: the reader blocks");
    assert_eq!(ld.pending(), b"ls /bin");
    assert!(!ld.readable());
    let (echo, wake, interrupt) = feed(&mut ld, b"\r");
    assert_eq!(
        (echo.as_slice(), wake, interrupt),
        (&b"\n"[..], true, false)
    );
    assert!(ld.readable());
    assert_eq!(read_all(&mut ld, 64), [b"ls /bin\n".to_vec()]);
    assert!(!ld.readable());
}

#[test]
fn backspace_and_del_erase_and_stop_at_the_line_start() {
    let mut ld = Ldisc::new();
    let (echo, _, _) = feed(&mut ld, b"ab\x08c\x7f\x7f\x7fd\n");
    assert_eq!(
        echo, b"ab\x08 \x08c\x08 \x08\x08 \x08d\n",
        "the third erase has nothing left"
    );
    assert_eq!(read_all(&mut ld, 64), [b"d\n".to_vec()]);
}

#[test]
fn ctrl_c_drops_the_line_and_unread_lines_and_interrupts() {
    let mut ld = Ldisc::new();
    feed(&mut ld, b"first\nsecond");
    let (echo, wake, interrupt) = feed(&mut ld, b"\x03");
    assert_eq!(
        (echo.as_slice(), wake, interrupt),
        (&b"^C\n"[..], true, true)
    );
    assert_eq!(ld.read(&mut [0; 8]), None);
    assert_eq!(ld.pending(), b"");
    feed(&mut ld, b"after\n");
    assert_eq!(read_all(&mut ld, 64), [b"after\n".to_vec()]);
}

#[test]
fn ctrl_d_is_end_of_input_on_an_empty_line_and_a_push_otherwise() {
    let mut ld = Ldisc::new();
    let (echo, wake, interrupt) = feed(&mut ld, b"\x04");
    assert_eq!((echo.as_slice(), wake, interrupt), (&b""[..], true, false));
    assert_eq!(ld.read(&mut [0; 8]), Some(0));
    assert_eq!(ld.read(&mut [0; 8]), None, "end of input is reported once");
    feed(&mut ld, b"abc\x04x\n");
    assert_eq!(read_all(&mut ld, 64), [b"abc".to_vec(), b"x\n".to_vec()]);
}

#[test]
fn short_reads_take_a_line_in_pieces_and_never_merge_lines() {
    let mut ld = Ldisc::new();
    feed(&mut ld, b"hello\nyo\n\x04");
    assert_eq!(
        read_all(&mut ld, 4),
        [
            b"hell".to_vec(),
            b"o\n".to_vec(),
            b"yo\n".to_vec(),
            b"".to_vec()
        ]
    );
}

#[test]
fn a_full_line_keeps_room_for_its_newline() {
    let mut ld = Ldisc::new();
    let (echo, _, _) = feed(&mut ld, b"0123456789abcdefXYZ\n");
    assert_eq!(
        echo, b"0123456789abcde\n",
        "15 bytes + newline fill the 16-byte line"
    );
    assert_eq!(read_all(&mut ld, 64), [b"0123456789abcde\n".to_vec()]);
}

#[test]
fn a_full_queue_drops_whole_lines_not_parts() {
    let mut ld = Ldisc::new();
    for _ in 0..6 {
        feed(&mut ld, b"0123456789\n"); // 11 bytes: 5 fit in 64
    }
    assert_eq!(read_all(&mut ld, 64).len(), 5);
    let mut ld = Ldisc::new();
    for _ in 0..MAX_LINES + 3 {
        feed(&mut ld, b"\n");
    }
    assert_eq!(read_all(&mut ld, 64).len(), MAX_LINES);
}

#[test]
fn control_bytes_and_non_ascii_are_ignored_tab_is_kept() {
    let mut ld = Ldisc::new();
    let (echo, wake, _) = feed(&mut ld, b"\x01\x1b\x80\xffa\tb");
    assert_eq!((echo.as_slice(), wake), (&b"a\tb"[..], false));
    assert_eq!(ld.pending(), b"a\tb");
}

/// A plain model: lines as vectors, the same rules, no ring.
#[derive(Default)]
struct Model {
    line: Vec<u8>,
    lines: Vec<Vec<u8>>,
    queued: usize,
}

impl Model {
    fn receive(&mut self, byte: u8) {
        match byte {
            b'\r' | b'\n' => {
                self.line.push(b'\n');
                self.finish();
            }
            0x08 | 0x7f => {
                self.line.pop();
            }
            0x03 => {
                self.line.clear();
                self.lines.clear();
                self.queued = 0;
            }
            0x04 => self.finish(),
            b'\t' | 0x20..=0x7e if self.line.len() < 15 => self.line.push(byte),
            _ => {}
        }
    }

    fn finish(&mut self) {
        let line = std::mem::take(&mut self.line);
        if self.lines.len() < MAX_LINES && self.queued + line.len() <= 64 {
            self.queued += line.len();
            self.lines.push(line);
        }
    }
}

#[test]
fn random_input_matches_the_model() {
    let mut rng = Rng::new(0x1d15c);
    let alphabet = b"ab \t\r\n\x08\x7f\x03\x04\x01\xff";
    for _ in 0..300 {
        let (mut ld, mut model) = (Ldisc::new(), Model::default());
        let mut got = Vec::new();
        let mut want = Vec::new();
        for _ in 0..400 {
            let byte = *rng.pick(alphabet);
            ld.receive(byte);
            model.receive(byte);
            assert_eq!(ld.pending(), model.line.as_slice());
            if rng.chance(15) {
                got.extend(
                    read_all(&mut ld, 1 + rng.below(20) as usize)
                        .into_iter()
                        .filter(|r| !r.is_empty())
                        .flatten(),
                );
                want.extend(model.lines.drain(..).flatten());
                model.queued = 0;
                assert_eq!(got, want);
            }
        }
    }
}
