//! Translating virtual addresses by walking the tables.

use super::PhysMemory;

/// Result of a successful walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Physical address `vaddr` maps to (page base + offset).
    pub paddr: u64,
    /// Size of the mapping page: 4 KiB, 2 MiB or 1 GiB.
    pub page_size: u64,
    /// USER set in every entry walked: ring 3 may access it.
    pub user_at_every_level: bool,
    /// WRITABLE set in every entry walked.
    pub writable: bool,
    /// NO_EXECUTE set in any entry walked.
    pub no_execute: bool,
    /// Entries walked: PML4E, PDPTE, PDE, PTE (0 below a huge page).
    pub levels: [u64; 4],
    /// Physical addresses of the tables walked: PML4, PDPT, PD, PT (0 below a huge page).
    pub tables: [u64; 4],
}

/// Walks the tables under `pml4` for `vaddr`; `None` if not present at some level or not
/// canonical.
pub fn translate<M: PhysMemory>(mem: &M, pml4: u64, vaddr: u64) -> Option<Translation> {
    unimplemented!("{:p} {pml4} {vaddr}", mem)
}
