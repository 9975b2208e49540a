//! Building the kernel's own (identity) mapping.

use super::{PagingError, PhysMemory};

/// Identity-maps `[start, end)` with 2 MiB pages (`start` rounded down, `end` up to 2 MiB),
/// creating PDP/PD tables under `pml4` as needed. `flags` must not contain USER; PRESENT and
/// HUGE are added. Already-mapped 2 MiB pages are refused.
pub fn map_identity<M: PhysMemory>(
    mem: &mut M,
    pml4: u64,
    start: u64,
    end: u64,
    flags: u64,
) -> Result<(), PagingError> {
    unimplemented!("{:p} {pml4} {start} {end} {flags}", mem)
}

/// Maps one 4 KiB kernel page, splitting a 2 MiB page that covers `vaddr` into a page table
/// with the same mapping first. `flags` must not contain USER; PRESENT is added.
pub fn map_4k<M: PhysMemory>(
    mem: &mut M,
    pml4: u64,
    vaddr: u64,
    paddr: u64,
    flags: u64,
) -> Result<(), PagingError> {
    unimplemented!("{:p} {pml4} {vaddr} {paddr} {flags}", mem)
}

/// Unmaps one 4 KiB kernel page (splitting a covering 2 MiB page first) and returns the old
/// entry. The caller must flush the TLB entry (`invlpg`) if the tables are live.
pub fn unmap_4k<M: PhysMemory>(mem: &mut M, pml4: u64, vaddr: u64) -> Result<u64, PagingError> {
    unimplemented!("{:p} {pml4} {vaddr}", mem)
}
