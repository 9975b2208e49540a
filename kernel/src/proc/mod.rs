//! A user process: its page tables, its loaded image and stack, and running it in ring 3.
mod tables;

pub use tables::UserTables;

use crate::arch::{cpu, usermode};
use crate::log::milestone;
use crate::mm::phys::Pmm;
use core::sync::atomic::{AtomicU64, Ordering};

/// The user stack: 16 KiB just below the top of the program's 1 GiB window.
pub const USER_STACK_TOP: u64 = 0x0000_1000_4000_0000;
const USER_STACK_PAGES: u64 = 4;

/// CR3 of the process in ring 3, for the syscall layer's pointer checks.
static CURRENT_CR3: AtomicU64 = AtomicU64::new(0);

pub fn current_cr3() -> u64 {
    CURRENT_CR3.load(Ordering::Relaxed)
}

pub struct Process {
    tables: UserTables,
    pub entry: u64,
    pub user_rsp: u64,
}

/// Builds a process from an ELF image: tables, segments, stack; prints the `elf-loaded` and
/// `address-space` milestones once each step is proven.
pub fn spawn(name: &str, elf: &[u8], pmm: &mut Pmm, kernel_pml4: u64) -> Process {
    let mut tables = UserTables::new(pmm, kernel_pml4)
        .unwrap_or_else(|e| crate::panic::fatal(format_args!("address space for {name}: {e}")));
    let image = crate::exec::load(elf, &mut tables, pmm)
        .unwrap_or_else(|e| crate::panic::fatal(format_args!("ELF {name}: {e}")));
    milestone!(
        "elf: {name} loaded, {} segments, {} bytes, entry {:#x}",
        image.segments().len(),
        image.total_memory(),
        image.entry
    );
    for i in 1..=USER_STACK_PAGES {
        if let Err(e) = tables.map_new_page(pmm, USER_STACK_TOP - i * 4096) {
            crate::panic::fatal(format_args!("user stack for {name}: {e}"));
        }
    }
    // Segments may share a page: count it once.
    let mut previous = None;
    let pages = image
        .segments()
        .iter()
        .flat_map(|s| (s.vaddr & !0xfff..s.end()).step_by(4096))
        .filter(move |&page| previous.replace(page) != Some(page));
    let stack = (1..=USER_STACK_PAGES).map(|i| USER_STACK_TOP - i * 4096);
    if cfg!(feature = "shared-user-tables") {
        // The bug under test skips the proof, exactly as the original code did.
        milestone!("address space: cr3 {:#x}, user pages mapped through the kernel's own tables (unchecked)", tables.cr3());
        return Process {
            tables,
            entry: image.entry,
            user_rsp: USER_STACK_TOP - 8,
        };
    }
    match tables.check_isolation(pages.chain(stack), kernel_pml4) {
        Ok(report) => milestone!(
            "address space: cr3 {:#x}, {} user pages USER at every level, user PDPT {:#x} not shared with the kernel, kernel slot {} supervisor-only",
            tables.cr3(),
            report.user_pages,
            report.user_pdpt,
            report.kernel_slot
        ),
        Err(e) => crate::panic::fatal(format_args!("address space for {name}: {e}")),
    }
    // At `_start` the ABI expects RSP = 8 (mod 16), as if a return address had been pushed.
    Process {
        tables,
        entry: image.entry,
        user_rsp: USER_STACK_TOP - 8,
    }
}

impl Process {
    pub fn cr3(&self) -> u64 {
        self.tables.cr3()
    }

    /// Switches to this process's tables and runs it until it exits; back on the kernel's
    /// tables afterwards. Returns the exit status.
    pub fn run(&self, kernel_pml4: u64) -> i64 {
        CURRENT_CR3.store(self.cr3(), Ordering::Relaxed);
        // SAFETY: the process tables map the kernel (slot 0 copied, or the kernel's own tables
        // in the shared-user-tables variant) and map entry and stack for ring 3 (checked by
        // `spawn`, except in that variant, whose fault is the point).
        let status = unsafe {
            cpu::write_cr3(self.cr3());
            usermode::run_user(self.entry, self.user_rsp)
        };
        // SAFETY: the kernel tables map everything the kernel uses (checked at paging::init).
        unsafe { cpu::write_cr3(kernel_pml4) };
        CURRENT_CR3.store(0, Ordering::Relaxed);
        status
    }
}
