//! Console input: bytes from COM1 and the keyboard through one line discipline that
//! readers block on.
#[cfg(target_arch = "x86_64")]
use super::keyboard;
use super::write;
use crate::once::KernelCell;
use crate::proc::State;
use crate::sched::SCHED;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kcore::ldisc::LineDiscipline;

/// Longest line a reader gets, and bytes of finished lines kept waiting.
const LINE_BYTES: usize = 256;
const QUEUE_BYTES: usize = 1024;

static LDISC: KernelCell<LineDiscipline<LINE_BYTES, QUEUE_BYTES>> =
    KernelCell::new(LineDiscipline::new());
#[cfg(target_arch = "x86_64")]
static KEYBOARD: KernelCell<keyboard::Keyboard> = KernelCell::new(keyboard::Keyboard::new());
/// Ctrl-C arrived; acted on after the interrupt is acknowledged (it may end the running
/// process, and so this trap).
static INTERRUPT_PENDING: AtomicBool = AtomicBool::new(false);
/// When the last line was finished (ns since entry): clock_gettime's CLOCK_INPUT.
static LAST_LINE_NS: AtomicU64 = AtomicU64::new(0);

/// One input byte from COM1 or the keyboard (interrupt context).
pub fn input(byte: u8) {
    let reaction = LDISC.with(|l| l.receive(byte));
    write(reaction.echo());
    if reaction.wake {
        if byte == b'\r' || byte == b'\n' {
            LAST_LINE_NS.store(crate::clock::ns_since_entry(), Ordering::Relaxed);
        }
        wake_readers();
    }
    if reaction.interrupt {
        INTERRUPT_PENDING.store(true, Ordering::Relaxed);
    }
}

/// A UART's receive interrupt: its bytes into the line discipline. False: the interrupt
/// must not be acknowledged (the `lost-input` variant's bug: it takes the first byte and
/// never acknowledges, so no further receive interrupt is delivered).
pub fn receive(mut read_byte: impl FnMut() -> Option<u8>) -> bool {
    if cfg!(feature = "lost-input") {
        if let Some(b) = read_byte() {
            input(b);
        }
        return false;
    }
    while let Some(b) = read_byte() {
        input(b);
    }
    true
}

#[cfg(target_arch = "x86_64")]
pub fn keyboard_scancode(code: u8) {
    if let Some(byte) = KEYBOARD.with(|k| k.scancode(code)) {
        input(byte);
    }
}

/// True once per Ctrl-C.
pub fn take_interrupt() -> bool {
    INTERRUPT_PENDING.swap(false, Ordering::Relaxed)
}

pub fn last_line_ns() -> u64 {
    LAST_LINE_NS.load(Ordering::Relaxed)
}

fn wake_readers() {
    SCHED.with(|s| {
        for id in 0..crate::sched::MAX_THREADS {
            if s.proc(id).is_some_and(|p| p.state == State::BlockedRead) {
                s.make_runnable(id);
            }
        }
    });
}

/// A finished line (or Some(0) at end of input) if one is waiting; None: block.
pub fn try_read(buf: &mut [u8]) -> Option<usize> {
    LDISC.with(|l| l.read(buf))
}
