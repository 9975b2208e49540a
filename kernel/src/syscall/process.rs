//! Process syscalls: getpid, yield, sleep_ms, spawn, wait, mmap/munmap (anonymous VMOs
//! within the per-process limit), procinfo, set_foreground.
use super::user_memory::{check, copy_from_user, copy_to_user};
use super::{result, ECHILD, EFAULT, EINTR, EINVAL, ENOENT, ENOMEM};
use crate::arch::interrupts::TIMER_HZ;
use crate::proc::vmo::{rights, Handle, Object, Vmo};
use crate::proc::{Mapping, State, WaitResult, MMAP_LIMIT};
use crate::sched::{self, SCHED};
use alloc::rc::Rc;
use kcore::cpio::Kind;
use kcore::foreground::Foreground;
use kcore::uaccess::{argv_array_bytes, parse_argv, MAX_ARGC, MAX_ARGV_BYTES};

pub fn getpid() -> i64 {
    SCHED.with(|s| i64::from(s.current_proc().pid))
}

pub fn yield_now() -> i64 {
    sched::yield_now();
    0
}

pub fn sleep_ms(ms: u64) -> i64 {
    if ms == 0 {
        return yield_now();
    }
    let ticks = ms.saturating_mul(u64::from(TIMER_HZ)).div_ceil(1000);
    SCHED.with(|s| {
        let until = s.ticks + ticks;
        let id = s.current.expect("a process is running");
        s.sleep_until(id, until);
    });
    sched::block(State::Sleeping);
    let interrupted = SCHED.with(|s| core::mem::take(&mut s.current_proc().interrupted));
    if interrupted {
        -EINTR
    } else {
        0
    }
}

pub fn spawn(path_ptr: u64, path_len: u64, argv_ptr: u64, argc: u64) -> i64 {
    let entry = match super::files::lookup_user(path_ptr, path_len) {
        Ok(entry) => entry,
        Err(e) => return e,
    };
    let array_bytes = match argv_array_bytes(argc) {
        Ok(n) => n as usize,
        Err(_) => return -EINVAL,
    };
    let mut raw = [0u8; MAX_ARGC * 16];
    if copy_from_user(&mut raw[..array_bytes], argv_ptr).is_err() {
        return -EFAULT;
    }
    let (slices, argc) = match parse_argv(&raw[..array_bytes]) {
        Ok(v) => v,
        Err(_) => return -EINVAL,
    };
    // The strings, copied in one after another.
    let mut strings = [0u8; MAX_ARGV_BYTES];
    let mut bounds = [(0usize, 0usize); MAX_ARGC];
    let mut at = 0;
    for (i, arg) in slices[..argc].iter().enumerate() {
        let len = arg.len as usize;
        if copy_from_user(&mut strings[at..at + len], arg.ptr).is_err() {
            return -EFAULT;
        }
        bounds[i] = (at, at + len);
        at += len;
    }
    let mut args: [&[u8]; MAX_ARGC] = [&[]; MAX_ARGC];
    for (i, &(from, to)) in bounds[..argc].iter().enumerate() {
        args[i] = &strings[from..to];
    }
    if entry.kind != Kind::File {
        return -ENOENT;
    }
    let ppid = SCHED.with(|s| s.current_proc().pid);
    match crate::proc::spawn(entry.name(), entry.data, &args[..argc], ppid, false) {
        Ok(spawned) => i64::from(spawned.pid),
        Err(e) => e,
    }
}

pub fn wait(pid: u64, status_ptr: u64) -> i64 {
    if check(status_ptr, 4, true).is_err() {
        return -EFAULT;
    }
    loop {
        // Ctrl-C reaches a waiting process only when it caught it (a shell's `wait`).
        if SCHED.with(|s| core::mem::take(&mut s.current_proc().interrupted)) {
            return -EINTR;
        }
        match crate::proc::try_wait(pid) {
            WaitResult::Reaped { pid, status } => {
                return result(
                    copy_to_user(status_ptr, &status.to_le_bytes()).map(|()| i64::from(pid)),
                );
            }
            WaitResult::NoChild => return -ECHILD,
            WaitResult::Blocked => sched::schedule(),
        }
    }
}

const PROT_WRITE: u64 = 2;

pub fn mmap(len: u64, prot: u64) -> i64 {
    if len == 0 || prot & !3 != 0 {
        return -EINVAL;
    }
    let pages = len.div_ceil(4096);
    let bytes = pages * 4096;
    let fits = SCHED.with(|s| s.current_proc().mmap_bytes + bytes <= MMAP_LIMIT);
    if !fits {
        return -ENOMEM;
    }
    let Some(vmo) = Vmo::new(pages) else {
        return -ENOMEM;
    };
    let vmo = Rc::new(vmo);
    let writable = prot & PROT_WRITE != 0;
    let mapped = SCHED.with(|s| {
        let p = s.current_proc();
        let vaddr = p.mmap_next;
        let handle = p.handles.add(Handle {
            object: Object::Vmo(vmo.clone()),
            rights: rights::READ | rights::MAP | if writable { rights::WRITE } else { 0 },
        })?;
        let tables = &mut p.tables;
        let ok = crate::mm::with_pmm(|pmm| {
            vmo.frames().iter().enumerate().all(|(i, &f)| {
                tables
                    .map_frame(pmm, vaddr + i as u64 * 4096, f, writable)
                    .is_ok()
            })
        });
        p.maps.push(Mapping {
            vaddr,
            pages,
            handle,
        });
        p.mmap_next += bytes;
        p.mmap_bytes += bytes;
        Some((vaddr, ok))
    });
    match mapped {
        Some((vaddr, true)) => vaddr as i64,
        Some((vaddr, false)) => {
            munmap(vaddr, bytes);
            -ENOMEM
        }
        None => -ENOMEM,
    }
}

pub fn munmap(addr: u64, len: u64) -> i64 {
    let closed = SCHED.with(|s| {
        let p = s.current_proc();
        let i = p
            .maps
            .iter()
            .position(|m| m.vaddr == addr && m.pages == len.div_ceil(4096))?;
        let m = p.maps.swap_remove(i);
        // The mapping's pages are exactly its VMO's frames.
        let frames = p
            .handles
            .vmo(m.handle as u64)
            .map(|v| v.frames().len() as u64);
        debug_assert_eq!(frames, Some(m.pages));
        for page in 0..m.pages {
            let _ = p.tables.unmap(m.vaddr + page * 4096);
        }
        p.mmap_bytes -= m.pages * 4096;
        p.handles.close(m.handle as u64)
    });
    match closed {
        // The VMO's frames go back to the PMM here, outside the scheduler's state.
        Some(handle) => {
            drop(handle);
            0
        }
        None => -EINVAL,
    }
}

pub fn procinfo(index: u64, out: u64) -> i64 {
    let info = SCHED.with(|s| {
        let p = s.procs.iter().flatten().nth(index as usize)?;
        let mut raw = [0u8; 56];
        raw[..4].copy_from_slice(&p.pid.to_le_bytes());
        raw[4..8].copy_from_slice(&p.ppid.to_le_bytes());
        raw[8..12].copy_from_slice(&p.state.code().to_le_bytes());
        raw[16..24].copy_from_slice(&p.ticks.to_le_bytes());
        raw[24..56].copy_from_slice(&p.name_bytes());
        Some(raw)
    });
    match info {
        Some(raw) => result(copy_to_user(out, &raw).map(|()| 1)),
        None => 0,
    }
}

/// Makes `pid` the process Ctrl-C interrupts; a process naming itself catches it
/// (kcore::foreground). A Ctrl-C still pending on the caller goes on to `pid`: it came in
/// the moment between the shell's spawn and this call, and was meant for the command.
pub fn set_foreground(pid: u64) -> i64 {
    let Ok(pid) = u32::try_from(pid) else {
        return -EINVAL;
    };
    let (me, pending) = SCHED.with(|s| {
        let p = s.current_proc();
        (p.pid, pid != p.pid && core::mem::take(&mut p.interrupted))
    });
    crate::proc::set_foreground(Foreground::handed(me, pid));
    if pending {
        crate::proc::interrupt_foreground();
    }
    0
}
