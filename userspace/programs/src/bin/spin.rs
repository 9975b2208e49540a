//! CPU-bound forever: no syscall in its loop, so only the timer can take the CPU back and
//! only Ctrl-C (or the kernel) can end it.
#![no_std]
#![no_main]

usys::entry!(main);

fn main(_args: usys::Args) -> i32 {
    // No sleep before the line: a sleeping foreground wakes from Ctrl-C with EINTR instead
    // of ending. A Ctrl-C that beats the shell's set_foreground is passed on to us by it.
    usys::println!(
        "[spin] spinning as pid {} (Ctrl-C stops it)",
        usys::getpid()
    );
    loop {
        programs::burn(1 << 20);
    }
}
