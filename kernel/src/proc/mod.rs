//! Processes: one thread each, an address space of their own (isolation proven when it is
//! built), VMOs for every page, a handle table; their birth (ELF + argv on the stack), death
//! (exit, fault, Ctrl-C), reaping by the parent, orphans re-parented to init.
mod tables;
pub mod vmo;

pub use tables::UserTables;

use crate::arch::trap::{self, TrapFrame};
use crate::arch::{cpu, exceptions};
use crate::log::milestone;
use crate::sched::{self, SCHED};
use crate::syscall::{ENOEXEC, ENOMEM};
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kcore::uaccess::{argv_layout, MAX_ARGC};
use vmo::{rights, Handle, HandleTable, Object, Vmo};

/// The user stack: 64 KiB just below the top of the program's 1 GiB window.
pub const USER_STACK_TOP: u64 = 0x0000_1000_4000_0000;
const USER_STACK_PAGES: u64 = 16;
/// Anonymous mappings go here, upwards.
pub const MMAP_BASE: u64 = 0x0000_1000_8000_0000;
pub const MMAP_LIMIT: u64 = 4 << 20;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    Running,
    Runnable,
    BlockedRead,
    BlockedWait,
    Sleeping,
    Zombie,
}

impl State {
    /// The ABI's ProcInfo state.
    pub fn code(self) -> u32 {
        match self {
            State::Running => 0,
            State::Runnable => 1,
            State::BlockedRead | State::BlockedWait => 2,
            State::Sleeping => 3,
            State::Zombie => 4,
        }
    }
}

pub struct Mapping {
    pub vaddr: u64,
    pub pages: u64,
    pub handle: usize,
}

pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    name: [u8; 32],
    name_len: usize,
    pub state: State,
    pub kernel_rsp: u64,
    pub tables: UserTables,
    pub handles: HandleTable,
    pub maps: Vec<Mapping>,
    pub mmap_next: u64,
    pub mmap_bytes: u64,
    pub exit_status: i32,
    pub ticks: u64,
    /// Ctrl-C hit this process while it slept or read: the call returns -EINTR.
    pub interrupted: bool,
}

impl Proc {
    pub fn cr3(&self) -> u64 {
        self.tables.cr3()
    }

    pub fn name_bytes(&self) -> [u8; 32] {
        self.name
    }
}

static NEXT_PID: AtomicU32 = AtomicU32::new(1);
/// The process Ctrl-C interrupts (0: none).
static FOREGROUND: AtomicU32 = AtomicU32::new(0);
/// Today's boot path: pid 1 is the embedded `hello`, whose exit ends the boot.
static EMBEDDED_INIT: AtomicBool = AtomicBool::new(false);

pub fn set_foreground(pid: u32) {
    FOREGROUND.store(pid, Ordering::Relaxed);
}

pub fn set_embedded_init() {
    EMBEDDED_INIT.store(true, Ordering::Relaxed);
}

/// What a new process was built from, for the milestones of pid 1.
pub struct Spawned {
    pub pid: u32,
    pub cr3: u64,
    pub entry: u64,
    pub rsp: u64,
}

/// Builds a process from ELF bytes with argv and makes it runnable. Prints the `elf` and
/// `address space` milestones when `announce` (init).
pub fn spawn(
    name: &str,
    elf: &[u8],
    args: &[&[u8]],
    ppid: u32,
    announce: bool,
) -> Result<Spawned, i64> {
    let slot = SCHED.with(|s| s.free_slot()).ok_or(-ENOMEM)?;
    let kernel_pml4 = SCHED.with(|s| s.kernel_pml4);
    let mut tables =
        crate::mm::with_pmm(|pmm| UserTables::new(pmm, kernel_pml4)).map_err(|_| -ENOMEM)?;
    let mut handles = HandleTable::new();
    let built = build(
        name,
        elf,
        args,
        &mut tables,
        &mut handles,
        kernel_pml4,
        announce,
    );
    let (entry, rsp, argc, argv) = match built {
        Ok(b) => b,
        Err(e) => {
            crate::mm::with_pmm(|pmm| tables.free(pmm));
            return Err(e);
        }
    };
    let pid = NEXT_PID.fetch_add(1, Ordering::Relaxed);
    let mut name_buf = [0u8; 32];
    let name_len = name.len().min(32);
    name_buf[..name_len].copy_from_slice(&name.as_bytes()[..name_len]);
    // SAFETY: the slot is free, so its kernel stack is unused.
    let kernel_rsp =
        unsafe { trap::new_thread_stack(sched::stack_top(slot), entry, rsp, argc, argv) };
    let cr3 = tables.cr3();
    let proc = Box::new(Proc {
        pid,
        ppid,
        name: name_buf,
        name_len,
        state: State::Runnable,
        kernel_rsp,
        tables,
        handles,
        maps: Vec::new(),
        mmap_next: MMAP_BASE,
        mmap_bytes: 0,
        exit_status: 0,
        ticks: 0,
        interrupted: false,
    });
    SCHED.with(|s| {
        s.procs[slot] = Some(proc);
        s.make_runnable(slot);
    });
    Ok(Spawned {
        pid,
        cr3,
        entry,
        rsp,
    })
}

/// Loads the image, maps the stack with argv on it, proves isolation. Returns entry, rsp,
/// argc and the argv array's address.
fn build(
    name: &str,
    elf: &[u8],
    args: &[&[u8]],
    tables: &mut UserTables,
    handles: &mut HandleTable,
    kernel_pml4: u64,
    announce: bool,
) -> Result<(u64, u64, u64, u64), i64> {
    let (image, segments) = crate::exec::load(elf, tables).map_err(|e| match e {
        crate::exec::LoadError::Elf(e) if announce => {
            crate::panic::fatal(format_args!("ELF {name}: {e}"))
        }
        crate::exec::LoadError::Elf(_) => -ENOEXEC,
        crate::exec::LoadError::NoMemory => -ENOMEM,
    })?;
    if announce {
        milestone!(
            "elf: {name} loaded, {} segments, {} bytes, entry {:#x}",
            image.segments().len(),
            image.total_memory(),
            image.entry
        );
    }
    for vmo in segments {
        add_vmo(
            handles,
            Rc::new(vmo),
            rights::READ | rights::WRITE | rights::MAP,
        )?;
    }
    let stack = Vmo::new(USER_STACK_PAGES).ok_or(-ENOMEM)?;
    let stack_bottom = USER_STACK_TOP - USER_STACK_PAGES * 4096;
    crate::mm::with_pmm(|pmm| {
        stack
            .frames()
            .iter()
            .enumerate()
            .try_for_each(|(i, &f)| tables.map_frame(pmm, stack_bottom + i as u64 * 4096, f, true))
    })
    .map_err(|_| -ENOMEM)?;
    // argv: the strings just below the top, the {ptr, len} array below them.
    let lens: Vec<u64> = args.iter().take(MAX_ARGC).map(|a| a.len() as u64).collect();
    let (array, rsp, ptrs) = argv_layout(USER_STACK_TOP, &lens);
    for (i, arg) in args.iter().take(MAX_ARGC).enumerate() {
        write_user(tables, ptrs[i], arg);
        let mut entry = [0u8; 16];
        entry[..8].copy_from_slice(&ptrs[i].to_le_bytes());
        entry[8..].copy_from_slice(&lens[i].to_le_bytes());
        write_user(tables, array + i as u64 * 16, &entry);
    }
    add_vmo(
        handles,
        Rc::new(stack),
        rights::READ | rights::WRITE | rights::MAP,
    )?;
    let stack_pages = (0..USER_STACK_PAGES).map(|i| stack_bottom + i * 4096);
    if cfg!(feature = "shared-user-tables") {
        // The bug under test skips the proof, exactly as the original code did.
        if announce {
            milestone!("address space: cr3 {:#x}, user pages mapped through the kernel's own tables (unchecked)", tables.cr3());
        }
        return Ok((image.entry, rsp, lens.len() as u64, array));
    }
    let mut previous = None;
    let image_pages = image
        .segments()
        .iter()
        .flat_map(|s| (s.vaddr & !0xfff..s.end()).step_by(4096))
        .filter(move |&page| previous.replace(page) != Some(page));
    match tables.check_isolation(image_pages.chain(stack_pages), kernel_pml4) {
        Ok(report) if announce => milestone!(
            "address space: cr3 {:#x}, {} user pages USER at every level, user PDPT {:#x} not shared with the kernel, kernel slot {} supervisor-only",
            tables.cr3(),
            report.user_pages,
            report.user_pdpt,
            report.kernel_slot
        ),
        Ok(_) => {}
        Err(e) => crate::panic::fatal(format_args!("address space for {name}: {e}")),
    }
    Ok((image.entry, rsp, lens.len() as u64, array))
}

fn add_vmo(handles: &mut HandleTable, vmo: Rc<Vmo>, rights: u32) -> Result<usize, i64> {
    handles
        .add(Handle {
            object: Object::Vmo(vmo),
            rights,
        })
        .ok_or(-ENOMEM)
}

/// Copies `bytes` to `vaddr` in a process that is not running, through its frames.
fn write_user(tables: &UserTables, vaddr: u64, bytes: &[u8]) {
    for (i, &b) in bytes.iter().enumerate() {
        let at = vaddr + i as u64;
        if let Some(t) = tables.translate(at) {
            // SAFETY: `t.paddr` is a byte of a frame of this process's stack VMO, which
            // only this (not yet running) process maps; identity-mapped RAM.
            unsafe { core::ptr::write_volatile(t.paddr as *mut u8, b) };
        }
    }
}

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
            Death::Fault(frame, _) => match frame.vector {
                6 => 132,
                0 | 16 | 19 => 136,
                _ => 139,
            },
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
        "fault: pid {pid} ({}) killed: vector {} ({}) error {:#x} rip {:#x} cr2 {cr2:#x}",
        core::str::from_utf8(&name[..name_len]).unwrap_or("?"),
        frame.vector,
        exceptions::mnemonic(frame.vector),
        frame.error_code,
        frame.rip
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

/// Ctrl-C: the foreground process's read or sleep returns -EINTR; anything else it is
/// doing ends with status 130.
pub fn interrupt_foreground() {
    let fg = FOREGROUND.load(Ordering::Relaxed);
    let kill = SCHED.with(|s| {
        let id = s.find_pid(fg)?;
        let p = s.proc(id)?;
        match p.state {
            State::BlockedRead | State::Sleeping => {
                p.interrupted = true;
                s.make_runnable(id);
                None
            }
            State::Zombie => None,
            _ => Some((id, s.current == Some(id))),
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
    if EMBEDDED_INIT.load(Ordering::Relaxed) {
        if let Death::Exited(status) = *death {
            milestone!("user exit: hello exited with status {status}");
            if status != 0 {
                crate::panic::fatal(format_args!(
                    "hello exited with status {status}, expected 0"
                ));
            }
            let elapsed_us = crate::clock::ns_since_entry() / 1000;
            milestone!(
                "boot complete: {} ms from entry to final milestone",
                elapsed_us / 1000
            );
            crate::power::qemu_exit_success();
        }
    }
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
