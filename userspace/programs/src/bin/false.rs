//! Exits with status 1.
#![no_std]
#![no_main]

usys::entry!(main);

fn main(_args: usys::Args) -> i32 {
    1
}
