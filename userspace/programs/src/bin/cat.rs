//! `cat FILE...`: copies initrd files to the console.
#![no_std]
#![no_main]

use usys::fmt::Show;

usys::entry!(main);

fn main(args: usys::Args) -> i32 {
    let mut status = 0;
    for path in args.iter().skip(1) {
        if let Err(err) = copy(path) {
            usys::eprintln!("cat: {}: {err}", Show(path));
            status = 1;
        }
    }
    status
}

fn copy(path: &[u8]) -> usys::SysResult<()> {
    let fd = usys::open(path)?;
    let mut buf = [0u8; 512];
    let result = loop {
        match usys::read(fd, &mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if let Err(err) = usys::write(usys::STDOUT, &buf[..n]) {
                    break Err(err);
                }
            }
            Err(err) => break Err(err),
        }
    };
    let _ = usys::close(fd);
    result
}
