//! `ls [-l] [-R] [PATH...]`: lists initrd directories (default `/`); `-l` adds sizes, `-R`
//! descends into subdirectories.
#![no_std]
#![no_main]

use programs::{join, PATH_MAX};
use usys::fmt::Show;
use usys::{readdir, stat, KIND_DIR};

usys::entry!(main);

#[derive(Clone, Copy)]
struct Options {
    long: bool,
    recursive: bool,
}

fn main(args: usys::Args) -> i32 {
    let mut options = Options {
        long: false,
        recursive: false,
    };
    let mut paths = 0;
    for arg in args.iter().skip(1) {
        match arg {
            b"-l" => options.long = true,
            b"-R" => options.recursive = true,
            b"-lR" | b"-Rl" => {
                options = Options {
                    long: true,
                    recursive: true,
                }
            }
            _ => paths += 1,
        }
    }
    let mut status = 0;
    for path in args.iter().skip(1).filter(|a| !a.starts_with(b"-")) {
        status |= list(path, options, paths > 1 || options.recursive);
    }
    if paths == 0 {
        status = list(b"/", options, options.recursive);
    }
    status
}

fn list(path: &[u8], options: Options, heading: bool) -> i32 {
    match stat(path) {
        Ok(st) if st.kind != KIND_DIR => {
            entry(path, st.size, false, options);
            return 0;
        }
        Ok(_) => {}
        Err(err) => {
            usys::eprintln!("ls: {}: {err}", Show(path));
            return 1;
        }
    }
    if heading {
        usys::println!("{}:", Show(path));
    }
    let mut index = 0;
    let mut subdirs = false;
    loop {
        match readdir(path, index) {
            Ok(Some(e)) => {
                entry(e.name(), e.size, e.kind == KIND_DIR, options);
                subdirs |= e.kind == KIND_DIR;
            }
            Ok(None) => break,
            Err(err) => {
                usys::eprintln!("ls: {}: {err}", Show(path));
                return 1;
            }
        }
        index += 1;
    }
    if !(options.recursive && subdirs) {
        return 0;
    }
    let mut status = 0;
    let mut index = 0;
    while let Ok(Some(e)) = readdir(path, index) {
        index += 1;
        if e.kind == KIND_DIR {
            let mut buf = [0u8; PATH_MAX];
            match join(&mut buf, path, e.name()) {
                Some(sub) => status |= list(sub, options, true),
                None => status = 1,
            }
        }
    }
    status
}

fn entry(name: &[u8], size: u64, dir: bool, options: Options) {
    let slash = if dir { "/" } else { "" };
    if options.long {
        usys::println!("{:>8}  {}{}", size, Show(name), slash);
    } else {
        usys::println!("{}{}", Show(name), slash);
    }
}
