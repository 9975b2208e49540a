//! `ps`: every process with its parent, state, name and CPU time in timer ticks.
#![no_std]
#![no_main]

use usys::fmt::Show;

usys::entry!(main);

fn main(_args: usys::Args) -> i32 {
    usys::println!("  PID  PPID STATE     TICKS NAME");
    let mut index = 0;
    loop {
        match usys::procinfo(index) {
            Ok(Some(p)) => usys::println!(
                "{:>5} {:>5} {:<8} {:>6} {}",
                p.pid,
                p.ppid,
                p.state_name(),
                p.ticks,
                Show(p.name())
            ),
            Ok(None) => return 0,
            Err(err) => {
                usys::eprintln!("ps: procinfo: {err}");
                return 1;
            }
        }
        index += 1;
    }
}
