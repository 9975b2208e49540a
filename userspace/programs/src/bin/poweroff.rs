//! `poweroff [status]`: powers the machine off (QEMU exits 33 for status 0, 35 otherwise).
#![no_std]
#![no_main]

usys::entry!(main);

fn main(args: usys::Args) -> i32 {
    let status = args.get(1).map_or(Some(0), programs::parse_u64);
    let Some(status) = status.filter(|&s| s <= 255) else {
        usys::eprintln!("usage: poweroff [status 0-255]");
        return 2;
    };
    usys::poweroff(status as i32)
}
