//! The boot's preemption self-test (run by /etc/rc). Two `burn` workers get the same
//! CPU-bound work, W ms each (calibrated here). Without preemption the first finishes after
//! W and the second W later; with a preemptive round-robin they share the CPU and finish
//! within about one quantum of each other. The test also sleeps 1 ms, which returns only if
//! the timer wakes sleepers. Exit 0 when preemption was seen.
#![no_std]
#![no_main]

use core::fmt::Write;
use programs::{burn, spawn_error};
use usys::fmt::Buf;
use usys::{now_ns, sleep_ms, spawn, wait};

/// Work per worker (a few scheduler quanta) and how many progress lines it prints.
const WORK_MS: u64 = 30;
const CHUNKS: u64 = 3;
const NS_PER_MS: u64 = 1_000_000;

usys::entry!(main);

fn main(_args: usys::Args) -> i32 {
    let rounds_per_ms = calibrate();
    let mut rounds = Buf::<20>::new();
    let _ = write!(rounds, "{}", rounds_per_ms * WORK_MS / CHUNKS);
    let mut chunks = Buf::<20>::new();
    let _ = write!(chunks, "{CHUNKS}");
    let start = now_ns();
    for label in [&b"A"[..], b"B"] {
        let argv = [&b"burn"[..], label, rounds.as_bytes(), chunks.as_bytes()];
        if let Err(err) = spawn(b"/bin/burn", &argv) {
            usys::println!("[selftest] FAILED: /bin/burn: {}", spawn_error(err));
            return 1;
        }
    }
    if let Err(err) = sleep_ms(1) {
        usys::println!("[selftest] FAILED: sleep_ms(1): {err}");
        return 1;
    }
    let mut finished = [0u64; 2];
    for at in &mut finished {
        match wait(None) {
            Ok((_, 0)) => *at = now_ns(),
            Ok((pid, status)) => {
                usys::println!("[selftest] FAILED: burn (pid {pid}) exited with status {status}");
                return 1;
            }
            Err(err) => {
                usys::println!("[selftest] FAILED: wait: {err}");
                return 1;
            }
        }
    }
    let first_ms = (finished[0] - start) / NS_PER_MS;
    let gap_ms = (finished[1] - finished[0]) / NS_PER_MS;
    let verdict = if gap_ms * 2 < first_ms {
        "preemption seen"
    } else {
        "FAILED: no preemption seen"
    };
    usys::println!(
        "[selftest] {verdict}: 2 burners of {WORK_MS} ms each finished {gap_ms} ms apart, the first after {first_ms} ms"
    );
    (gap_ms * 2 >= first_ms) as i32
}

/// Rounds of [`burn`] per millisecond on this CPU: the fastest of 3 runs of at least 1 ms
/// (a busy host only ever makes a run slower, and the first run pays for translation).
fn calibrate() -> u64 {
    let mut rounds = 1 << 12;
    while elapsed_ns(rounds) < NS_PER_MS && rounds < 1 << 40 {
        rounds *= 2;
    }
    let fastest = (0..3).map(|_| elapsed_ns(rounds)).min().unwrap_or(1).max(1);
    (rounds * NS_PER_MS / fastest).max(1)
}

fn elapsed_ns(rounds: u64) -> u64 {
    let start = now_ns();
    burn(rounds);
    now_ns() - start
}
