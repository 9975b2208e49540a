//! The aarch64 steps between ExitBootServices and the kernel stack: the exception vectors,
//! then the kernel's own translation tables.
use super::{mmu, psci, trap};
use crate::log::milestone;
use crate::mm::{self, phys::Pmm};
use crate::uefi::{MemoryMap, MemoryType};

/// Prints the cpu-tables and page-tables milestones; returns the kernel's TTBR0 table.
pub fn cpu_and_page_tables(pmm: &mut Pmm, map: &MemoryMap, fb_end: u64) -> u64 {
    psci::init();
    trap::init();
    milestone!(
        "cpu tables: exception vectors at {:#x} (VBAR_EL1, 16 entries), PSCI over {}",
        trap::vectors(),
        psci::conduit()
    );
    if cfg!(feature = "el1-fault") {
        el1_fault();
    }

    let tables = match mmu::init(pmm, ram_end(map).max(fb_end), mm::stack::guard_page()) {
        Ok(tables) => tables,
        Err(e) => crate::panic::fatal(format_args!("kernel page tables: {e}")),
    };
    milestone!(
        "kernel page tables: identity map 0x0-{:#x} in 2 MiB pages, ttbr0 {:#x}",
        tables.identity_end,
        tables.root
    );
    tables.root
}

/// One past the highest RAM address: MMIO descriptors (flash, PCIe windows far above RAM)
/// are the device map's business, not RAM's.
fn ram_end(map: &MemoryMap) -> u64 {
    map.entries()
        .filter(|d| {
            d.ty != MemoryType::MemoryMappedIo as u32
                && d.ty != MemoryType::MemoryMappedIoPortSpace as u32
        })
        .map(|d| d.physical_start + d.number_of_pages * 4096)
        .max()
        .unwrap_or(mmu::RAM_START)
}

/// The `el1-fault` variant: an undefined instruction at EL1 once the vectors are in.
fn el1_fault() {
    // SAFETY: not safe by design: the exception it raises must end the boot in a panic.
    unsafe { core::arch::asm!("udf #0", options(nomem, nostack)) };
}
