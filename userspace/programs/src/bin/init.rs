//! PID 1: runs `hello` (the first boot's regression check), then `/bin/sh /etc/rc` (the
//! initrd listing and the preemption self-test), then the console shell; reaps every orphan
//! the kernel re-parents to it; when the shell exits, reports its status and powers off
//! with it. init must never exit: the kernel panics when it does.
#![no_std]
#![no_main]

use programs::{run, spawn_error};
use usys::fmt::Show;
use usys::{getpid, poweroff, spawn, wait};

usys::entry!(main);

fn main(_args: usys::Args) -> i32 {
    usys::println!("[init] started as pid {}", getpid());
    #[cfg(feature = "init-crash")]
    crash();
    report(b"hello", run(b"/bin/hello", &[b"hello"]));
    match run(b"/bin/sh", &[b"sh", b"/etc/rc"]) {
        Ok(0) => usys::println!(
            "[init] rc: self-test passed: preemption seen (/etc/rc exited with status 0)"
        ),
        Ok(status) => usys::println!("[init] rc: FAILED: /etc/rc exited with status {status}"),
        Err(err) => usys::println!("[init] rc: FAILED: /bin/sh: {}", spawn_error(err)),
    }
    let shell = match spawn(b"/bin/sh", &[b"sh"]) {
        Ok(pid) => pid,
        Err(err) => {
            usys::println!(
                "[init] cannot start /bin/sh: {}, powering off",
                spawn_error(err)
            );
            poweroff(1)
        }
    };
    loop {
        match wait(None) {
            Ok((pid, status)) if pid == shell => {
                usys::println!("[init] shell exited with status {status}, powering off");
                poweroff(status)
            }
            Ok((pid, status)) => usys::println!("[init] reaped orphan pid {pid} (status {status})"),
            Err(err) => {
                usys::println!("[init] wait: {err}, powering off");
                poweroff(1)
            }
        }
    }
}

fn report(name: &[u8], result: usys::SysResult<i32>) {
    match result {
        Ok(status) => usys::println!("[init] {} exited with status {status}", Show(name)),
        Err(err) => usys::println!("[init] {}: {}", Show(name), spawn_error(err)),
    }
}

/// The `init-crash` variant: PID 1 touches an unmapped page, so the kernel must panic.
#[cfg(feature = "init-crash")]
fn crash() {
    usys::println!("[init] init-crash variant: reading an unmapped address");
    // SAFETY: deliberately not safe: the read must fault (PML4 slot 64 is never mapped).
    unsafe { core::ptr::read_volatile(0x0000_2000_0000_0000 as *const u64) };
}
