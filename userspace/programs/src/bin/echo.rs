//! Prints its arguments separated by spaces, then a newline.
#![no_std]
#![no_main]

use usys::fmt::Buf;

usys::entry!(main);

fn main(args: usys::Args) -> i32 {
    let mut line = Buf::<1100>::new();
    for (i, arg) in args.iter().skip(1).enumerate() {
        if i > 0 {
            line.push_bytes(b" ");
        }
        line.push_bytes(arg);
    }
    line.push_bytes(b"\n");
    usys::write(usys::STDOUT, line.as_bytes()).map_or(1, |_| 0)
}
