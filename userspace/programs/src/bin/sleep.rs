//! `sleep N` seconds or `sleep Nms` milliseconds; Ctrl-C ends it with status 130.
#![no_std]
#![no_main]

use usys::{Errno, STATUS_INTERRUPTED};

usys::entry!(main);

fn main(args: usys::Args) -> i32 {
    let arg = args.get(1).unwrap_or(b"");
    let ms = match arg.strip_suffix(b"ms") {
        Some(ms) => programs::parse_u64(ms),
        None => programs::parse_u64(arg).and_then(|s| s.checked_mul(1000)),
    };
    let Some(ms) = ms else {
        usys::eprintln!("usage: sleep SECONDS | sleep MILLISECONDSms");
        return 2;
    };
    match usys::sleep_ms(ms) {
        Ok(()) => 0,
        Err(Errno::EINTR) => STATUS_INTERRUPTED,
        Err(err) => {
            usys::eprintln!("sleep: {err}");
            1
        }
    }
}
