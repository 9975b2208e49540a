//! Processes: one thread each, an address space of their own (isolation proven when it is
//! built), VMOs for every page, a handle table; their birth (ELF + argv on the stack), death
//! (exit, fault, Ctrl-C), reaping by the parent, orphans re-parented to init.
mod exit;
mod tables;
pub mod vmo;

pub use exit::{exit_current, fault, interrupt_foreground, try_wait, Death, WaitResult};
pub use tables::UserTables;

use crate::arch::trap;
use crate::log::milestone;
use crate::sched::{self, SCHED};
use crate::syscall::{ENOEXEC, ENOMEM};
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kcore::foreground::Foreground;
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
/// The process Ctrl-C interrupts and whether it catches it, one `Foreground::pack` word.
static FOREGROUND: AtomicU64 = AtomicU64::new(Foreground::NONE.pack());

pub fn set_foreground(fg: Foreground) {
    FOREGROUND.store(fg.pack(), Ordering::Relaxed);
}

pub fn foreground() -> Foreground {
    Foreground::unpack(FOREGROUND.load(Ordering::Relaxed))
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
            "address space: {} {:#x}, {} user pages USER at every level, user PDPT {:#x} not shared with the kernel, kernel slot {} supervisor-only",
            crate::arch::REGISTER_NAMES[0],
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
