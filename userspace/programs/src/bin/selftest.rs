//! The boot's preemption self-test (run by /etc/rc). Two `burn` workers get the same
//! CPU-bound work, W ms each (calibrated here). Without preemption the first finishes after
//! W and the second W later; with a preemptive round-robin they share the CPU and finish
//! within about one quantum of each other. The test also sleeps 1 ms, which returns only if
//! the timer wakes sleepers. Exit 0 when preemption was seen. A run that ends sooner than
//! one burner's calibrated work is too short to tell and runs again with twice the work; a
//! run that saw no preemption runs again as it was (a stalled host); the last one decides.
#![no_std]
#![no_main]

use core::fmt::Write;
use programs::{burn, spawn_error};
use usys::fmt::Buf;
use usys::{now_ns, sleep_ms, spawn, wait};

/// Work per worker (a few scheduler quanta) and how many progress lines it prints.
const WORK_MS: u64 = 30;
const CHUNKS: u64 = 3;
/// Runs in all when a run could not tell (see `main`).
const ATTEMPTS: u32 = 3;
const NS_PER_MS: u64 = 1_000_000;

usys::entry!(main);

fn main(_args: usys::Args) -> i32 {
    let rounds_per_ms = calibrate();
    let mut work_ms = WORK_MS;
    for attempt in 1..=ATTEMPTS {
        let (first_ms, gap_ms) = match race(rounds_per_ms * work_ms / CHUNKS) {
            Ok(times) => times,
            Err(why) => {
                usys::println!("[selftest] FAILED: {why}");
                return 1;
            }
        };
        let numbers = format_args!(
            "2 burners of {work_ms} ms each finished {gap_ms} ms apart, the first after {first_ms} ms"
        );
        if gap_ms * 2 < first_ms {
            usys::println!("[selftest] preemption seen: {numbers}");
            return 0;
        }
        if attempt == ATTEMPTS {
            usys::println!("[selftest] FAILED: no preemption seen: {numbers}");
            return 1;
        }
        // Both done sooner than one burner's work: the CPU ran faster than calibrated (a
        // busy host during calibration), too short to tell; not evidence either way.
        if first_ms < work_ms {
            usys::println!("[selftest] inconclusive: {numbers}; again with twice the work");
            work_ms *= 2;
        } else {
            // A host that stalls the virtual CPU can hand one burner a long run once; without
            // preemption every attempt runs them one after the other, so a retry hides nothing.
            usys::println!("[selftest] inconclusive: {numbers}; again");
        }
    }
    1
}

/// Two burners of `rounds` per chunk: (ms until the first finished, ms between the two).
fn race(rounds: u64) -> Result<(u64, u64), &'static str> {
    let mut text = Buf::<20>::new();
    let _ = write!(text, "{rounds}");
    let mut chunks = Buf::<20>::new();
    let _ = write!(chunks, "{CHUNKS}");
    let start = now_ns();
    for label in [&b"A"[..], b"B"] {
        let argv = [&b"burn"[..], label, text.as_bytes(), chunks.as_bytes()];
        spawn(b"/bin/burn", &argv).map_err(spawn_error)?;
    }
    sleep_ms(1).map_err(|_| "sleep_ms(1) failed")?;
    let mut finished = [0u64; 2];
    for at in &mut finished {
        match wait(None) {
            Ok((_, 0)) => *at = now_ns(),
            Ok(_) => return Err("a burner did not exit with status 0"),
            Err(_) => return Err("wait for a burner failed"),
        }
    }
    Ok((
        (finished[0] - start) / NS_PER_MS,
        (finished[1] - finished[0]) / NS_PER_MS,
    ))
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
