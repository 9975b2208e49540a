//! `dmesg`: prints the kernel's log ring, oldest kept line first.
#![no_std]
#![no_main]

usys::entry!(main);

fn main(_args: usys::Args) -> i32 {
    let mut buf = [0u8; 1024];
    let mut offset = 0;
    loop {
        match usys::dmesg(&mut buf, offset) {
            Ok(0) => return 0,
            Ok(n) => {
                let _ = usys::write(usys::STDOUT, &buf[..n]);
                offset += n as u64;
            }
            Err(err) => {
                usys::eprintln!("dmesg: {err}");
                return 1;
            }
        }
    }
}
