//! The scheduler: one thread per process, preemptive round-robin over kcore's run queue
//! (the timer's tick is the quantum), sleeping until a tick, blocking until woken, and the
//! idle loop (`hlt`) on the boot stack when nothing is runnable. Threads switch on their own
//! kernel stacks (see `arch::trap`), each with an unmapped guard page below it.
mod stacks;

pub use stacks::{guard_hit, init_stacks, top as stack_top};

use crate::arch::cpu;
use crate::arch::trap::{self, TrapFrame};
use crate::once::KernelCell;
use crate::proc::{Proc, State};
use alloc::boxed::Box;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kcore::runqueue::{RunQueue, SleepList, ThreadId};

/// Threads (= processes) at once, zombies included.
pub const MAX_THREADS: usize = 32;
/// Ticks a thread runs before the next runnable one gets the CPU.
pub const QUANTUM_TICKS: u64 = 1;

pub struct Scheduler {
    pub procs: [Option<Box<Proc>>; MAX_THREADS],
    run: RunQueue<MAX_THREADS>,
    sleepers: SleepList<MAX_THREADS>,
    pub current: Option<ThreadId>,
    pub ticks: u64,
    slice_start: u64,
    pub kernel_pml4: u64,
}

pub static SCHED: KernelCell<Scheduler> = KernelCell::new(Scheduler {
    procs: [const { None }; MAX_THREADS],
    run: RunQueue::new(),
    sleepers: SleepList::new(),
    current: None,
    ticks: 0,
    slice_start: 0,
    kernel_pml4: 0,
});

/// The idle context's saved RSP (the boot stack).
static IDLE_RSP: AtomicU64 = AtomicU64::new(0);
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);
static TIMER_STOPPED: AtomicBool = AtomicBool::new(false);

impl Scheduler {
    pub fn proc(&mut self, id: ThreadId) -> Option<&mut Proc> {
        self.procs.get_mut(id)?.as_deref_mut()
    }

    pub fn current_proc(&mut self) -> &mut Proc {
        let id = self.current.expect("a process is running");
        self.proc(id).expect("the running process exists")
    }

    pub fn find_pid(&self, pid: u32) -> Option<ThreadId> {
        self.procs
            .iter()
            .position(|p| p.as_ref().is_some_and(|p| p.pid == pid))
    }

    pub fn free_slot(&self) -> Option<ThreadId> {
        self.procs.iter().position(Option::is_none)
    }

    /// Makes `id` runnable (woken, or new).
    pub fn make_runnable(&mut self, id: ThreadId) {
        self.sleepers.cancel(id);
        if let Some(p) = self.proc(id) {
            p.state = State::Runnable;
            let _ = self.run.push(id);
        }
    }

    /// Takes `id` off every queue (it is dying).
    pub fn dequeue(&mut self, id: ThreadId) {
        self.run.remove(id);
        self.sleepers.cancel(id);
    }

    pub fn sleep_until(&mut self, id: ThreadId, tick: u64) {
        let _ = self.sleepers.sleep(id, tick);
    }
}

/// The timer's work: count the tick (for the running process too), wake due sleepers,
/// ask for a switch when the quantum is over.
pub fn tick() {
    SCHED.with(|s| {
        s.ticks += 1;
        let now = s.ticks;
        let mut woken = [0usize; MAX_THREADS];
        let mut n = 0;
        for id in s.sleepers.expire(now) {
            woken[n] = id;
            n += 1;
        }
        for &id in &woken[..n] {
            s.make_runnable(id);
        }
        if let Some(id) = s.current {
            if let Some(p) = s.proc(id) {
                p.ticks += 1;
            }
            if now - s.slice_start >= QUANTUM_TICKS && !s.run.is_empty() {
                NEED_RESCHED.store(true, Ordering::Relaxed);
            }
        }
    });
}

/// At the end of a trap from ring 3: give the CPU away if the quantum ran out.
pub fn preempt_if_due(frame: &TrapFrame) {
    if !frame.is_from_user() || !NEED_RESCHED.swap(false, Ordering::Relaxed) {
        return;
    }
    yield_now();
}

/// The running thread goes to the back of the run queue.
pub fn yield_now() {
    SCHED.with(|s| {
        if let Some(id) = s.current {
            s.make_runnable(id);
        }
    });
    schedule();
}

/// Stops the thread in `state` (blocked, sleeping, zombie) and runs another; returns when
/// something made this thread runnable again (never, for a zombie).
pub fn block(state: State) {
    SCHED.with(|s| s.current_proc().state = state);
    schedule();
}

/// Switches to the next runnable thread, or to the idle loop when there is none. The
/// caller has set the running thread's state (and queued it if it stays runnable).
pub fn schedule() {
    let switch = SCHED.with(|s| {
        let save = match s.current {
            Some(id) => &mut s.proc(id)?.kernel_rsp as *mut u64,
            None => IDLE_RSP.as_ptr(),
        };
        let Some(next) = s.run.pop() else {
            s.current?; // the idle loop itself found nothing: stay
            s.current = None;
            // Idle runs on the kernel's own tables, so no dead process's tables stay live.
            // SAFETY: the kernel PML4 maps everything the kernel uses.
            unsafe { cpu::write_cr3(s.kernel_pml4) };
            return Some((save, IDLE_RSP.load(Ordering::Relaxed)));
        };
        s.slice_start = s.ticks;
        let top = stacks::top(next);
        let p = s.proc(next)?;
        p.state = State::Running;
        let (rsp, cr3) = (p.kernel_rsp, p.cr3());
        if s.current == Some(next) {
            return None;
        }
        s.current = Some(next);
        trap::set_kernel_stack(top);
        // SAFETY: every process's tables map the kernel (its PML4 slots are copies).
        unsafe { cpu::write_cr3(cr3) };
        Some((save, rsp))
    });
    if let Some((save, rsp)) = switch {
        // SAFETY: `save` points into a boxed Proc (or IDLE_RSP) that lives while the thread
        // can be resumed; `rsp` was saved by a switch or built by new_thread_stack.
        unsafe { trap::switch_stacks(save, rsp) };
    }
}

/// The boot context becomes the idle loop: run whatever is runnable, else `hlt`.
pub fn idle() -> ! {
    loop {
        if SCHED.with(|s| !s.run.is_empty()) {
            schedule();
        } else {
            cpu::wait_for_interrupt();
        }
    }
}

/// The `no-preempt` variant's bug: the timer stops once init runs.
pub fn stop_timer() {
    TIMER_STOPPED.store(true, Ordering::Relaxed);
    crate::arch::stop_timer();
}

/// Nanoseconds per context switch: kernel stack switch + CR3 reload + FPU save/restore,
/// ping-ponged between the boot stack and a scratch context.
pub fn measure_switch(kernel_pml4: u64) -> u64 {
    stacks::measure(kernel_pml4)
}
