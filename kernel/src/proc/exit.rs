//! How processes end: exit, a ring-3 fault (one line, the kernel goes on), Ctrl-C; zombies,
//! their parents' wait and reaping; orphans to init; init's death is fatal.
use super::{Proc, State};
use crate::arch::trap::TrapFrame;
use crate::arch::{cpu, exceptions};
use crate::log::milestone;
use crate::sched::{self, SCHED};
use alloc::boxed::Box;
use kcore::foreground::{on_ctrl_c, Action, Activity};

/// How a process ended.
pub enum Death<'a> {
    Exited(i32),
    Killed(i32),
    Fault(&'a TrapFrame, u64),
}

impl Death<'_> {
    fn status(&self) -> i32 {
        match *self {
            Death::Exited(s) | Death::Killed(s) => s,
            Death::Fault(frame, _) => exceptions::fault_status(frame),
        }
    }
}

/// An exception in ring 3: one line, the process dies, the kernel goes on.
pub fn fault(frame: &TrapFrame) {
    let cr2 = cpu::cr2();
    let (pid, name, name_len) = SCHED.with(|s| {
        let p = s.current_proc();
        (p.pid, p.name, p.name_len)
    });
    milestone!(
        "fault: pid {pid} ({}) killed: {}",
        core::str::from_utf8(&name[..name_len]).unwrap_or("?"),
        exceptions::fault_detail(frame, cr2)
    );
    exit_current(Death::Fault(frame, cr2));
}

/// The running process ends; its parent is told; never returns.
pub fn exit_current(death: Death<'_>) -> ! {
    let id = SCHED.with(|s| s.current).expect("a process is running");
    if zombify(id, death.status()) == 1 {
        init_died(&death);
    }
    sched::schedule();
    unreachable!("a zombie was scheduled");
}

/// Ctrl-C, by kcore::foreground's rules: a shell that took the foreground catches it (its
/// read, sleep or wait returns EINTR, now or at its next call); a command's read or sleep
/// returns EINTR, and anything else it is doing ends with status 130.
pub fn interrupt_foreground() {
    let fg = super::foreground();
    let kill = SCHED.with(|s| {
        let id = s.find_pid(fg.pid)?;
        let p = s.proc(id)?;
        let activity = match p.state {
            State::BlockedRead => Activity::Reading,
            State::Sleeping => Activity::Sleeping,
            State::BlockedWait => Activity::Waiting,
            State::Running | State::Runnable => Activity::Busy,
            State::Zombie => Activity::Gone,
        };
        match on_ctrl_c(fg, activity) {
            Action::Nothing => None,
            Action::Pend => {
                p.interrupted = true;
                None
            }
            Action::Wake => {
                p.interrupted = true;
                s.make_runnable(id);
                None
            }
            Action::End => Some((id, s.current == Some(id))),
        }
    });
    match kill {
        Some((_, true)) => exit_current(Death::Killed(130)),
        Some((id, false)) if zombify(id, 130) == 1 => init_died(&Death::Killed(130)),
        _ => {}
    }
}

/// Makes `id` a zombie with `status`, hands its children to init and wakes whoever waits;
/// returns its pid.
fn zombify(id: usize, status: i32) -> u32 {
    SCHED.with(|s| {
        s.dequeue(id);
        let Some(p) = s.proc(id) else { return 0 };
        p.state = State::Zombie;
        p.exit_status = status;
        let (pid, ppid) = (p.pid, p.ppid);
        let mut orphan_zombie = false;
        for child in s.procs.iter_mut().flatten() {
            if child.ppid == pid {
                child.ppid = 1;
                orphan_zombie |= child.state == State::Zombie;
            }
        }
        let wake = |target: u32, s: &mut sched::Scheduler| {
            if let Some(t) = s.find_pid(target) {
                if s.proc(t).is_some_and(|p| p.state == State::BlockedWait) {
                    s.make_runnable(t);
                }
            }
        };
        wake(ppid, s);
        if orphan_zombie {
            wake(1, s);
        }
        pid
    })
}

fn init_died(death: &Death<'_>) -> ! {
    match *death {
        Death::Exited(status) => {
            crate::panic::fatal(format_args!("init (pid 1) died: exit status {status}"))
        }
        Death::Killed(status) => {
            crate::panic::fatal(format_args!("init (pid 1) died: killed, status {status}"))
        }
        Death::Fault(frame, cr2) => crate::panic::fatal(format_args!(
            "init (pid 1) died: {}",
            exceptions::describe(frame, cr2)
        )),
    }
}

/// A zombie child of the running process matching `pid` (u64::MAX: any).
pub enum WaitResult {
    Reaped { pid: u32, status: i32 },
    NoChild,
    Blocked,
}

/// One attempt of `wait`: reap a zombie child, or block until one dies.
pub fn try_wait(pid: u64) -> WaitResult {
    let found = SCHED.with(|s| {
        let me = s.current_proc().pid;
        let mut has_child = false;
        for id in 0..sched::MAX_THREADS {
            let Some(p) = s.proc(id) else { continue };
            if p.ppid == me && (pid == u64::MAX || u64::from(p.pid) == pid) {
                has_child = true;
                if p.state == State::Zombie {
                    return Ok(s.procs[id].take());
                }
            }
        }
        if has_child {
            s.current_proc().state = State::BlockedWait;
            Err(true)
        } else {
            Err(false)
        }
    });
    match found {
        Ok(Some(proc)) => {
            let (pid, status) = (proc.pid, proc.exit_status);
            reap(proc);
            WaitResult::Reaped { pid, status }
        }
        Ok(None) | Err(false) => WaitResult::NoChild,
        Err(true) => WaitResult::Blocked,
    }
}

/// Frees a dead process: its tables, then (dropping it) its handles and VMOs.
fn reap(proc: Box<Proc>) {
    crate::mm::with_pmm(|pmm| proc.tables.free(pmm));
    drop(proc);
}
