//! The x86_64 steps between ExitBootServices and the kernel stack: GDT/TSS/IDT/syscall MSRs,
//! then the kernel's own page tables.
use super::{gdt, idt, syscall};
use crate::log::milestone;
use crate::mm::{self, phys::Pmm};
use crate::uefi::MemoryMap;

/// Prints the cpu-tables and page-tables milestones; returns the kernel's PML4.
pub fn cpu_and_page_tables(pmm: &mut Pmm, map: &MemoryMap, fb_end: u64) -> u64 {
    if cfg!(feature = "triple-fault") {
        idt::triple_fault();
    }

    gdt::init();
    idt::init();
    syscall::init();
    milestone!(
        "cpu tables: GDT, TSS (rsp0, ist1 #PF, ist2 #DF), IDT (32 vectors), syscall MSRs loaded"
    );

    let tables = match mm::paging::init(pmm, map.max_address().max(fb_end)) {
        Ok(tables) => tables,
        Err(e) => crate::panic::fatal(format_args!("kernel page tables: {e}")),
    };
    milestone!(
        "kernel page tables: identity map 0x0-{:#x} in 2 MiB pages, cr3 {:#x}",
        tables.identity_end,
        tables.pml4
    );
    tables.pml4
}
