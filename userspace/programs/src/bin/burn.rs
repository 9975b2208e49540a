//! `burn LABEL ROUNDS CHUNKS`: a CPU-bound worker of the preemption self-test. Computes
//! CHUNKS times ROUNDS rounds without a syscall, printing `[burn LABEL] i/CHUNKS` after each
//! chunk; it never yields, so another worker's lines can appear between its own only if
//! the timer preempts it.
#![no_std]
#![no_main]

use programs::{burn, parse_u64};
use usys::fmt::Show;

usys::entry!(main);

fn main(args: usys::Args) -> i32 {
    let label = args.get(1).unwrap_or(b"?");
    let (Some(rounds), Some(chunks)) = (
        args.get(2).and_then(parse_u64),
        args.get(3).and_then(parse_u64),
    ) else {
        usys::eprintln!("usage: burn LABEL ROUNDS CHUNKS");
        return 2;
    };
    for chunk in 1..=chunks {
        burn(rounds);
        usys::println!("[burn {}] {}/{}", Show(label), chunk, chunks);
    }
    0
}
