//! CPU-bound forever: no syscall in its loop, so only the timer can take the CPU back and
//! only Ctrl-C (or the kernel) can end it.
#![no_std]
#![no_main]

usys::entry!(main);

fn main(_args: usys::Args) -> i32 {
    // Blocked for a moment, so the shell that spawned us runs and makes us the foreground
    // before we say we spin (a Ctrl-C typed on that line must reach us, not the shell).
    let _ = usys::sleep_ms(20);
    usys::println!(
        "[spin] spinning as pid {} (Ctrl-C stops it)",
        usys::getpid()
    );
    loop {
        programs::burn(1 << 20);
    }
}
