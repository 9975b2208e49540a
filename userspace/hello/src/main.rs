//! The first Rustux user program: greets through `write`, reads the monotonic clock,
//! reports it through `debug_write`, and exits with status 0.
#![no_std]
#![no_main]

use usys::{clock_gettime, debug_write, exit, fmt_u64, write, CLOCK_MONOTONIC, STDOUT};

#[no_mangle]
#[link_section = ".text._start"]
pub extern "C" fn _start() -> ! {
    if write(STDOUT, b"Hello from userspace!\n") < 0 {
        exit(1);
    }
    let now = match clock_gettime(CLOCK_MONOTONIC) {
        Ok(ts) => ts,
        Err(_) => exit(2),
    };
    let ns = now.sec as u64 * 1_000_000_000 + now.nsec as u64;
    let mut digits = [0u8; 20];
    debug_write(b"[hello] clock_gettime: ");
    debug_write(fmt_u64(ns / 1000, &mut digits));
    debug_write(b" us since kernel entry\n");
    exit(0)
}
