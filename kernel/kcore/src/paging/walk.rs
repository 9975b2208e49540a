//! Translating virtual addresses by walking the tables.

use super::table::{indices, is_canonical, read_entry};
use super::{flags, PhysMemory, ADDR_MASK};

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
    if !is_canonical(vaddr) {
        return None;
    }
    let mut t = Translation {
        paddr: 0,
        page_size: 0,
        user_at_every_level: true,
        writable: true,
        no_execute: false,
        levels: [0; 4],
        tables: [0; 4],
    };
    let mut table = pml4;
    for (depth, index) in indices(vaddr).into_iter().enumerate() {
        let entry = read_entry(mem, table, index);
        t.tables[depth] = table;
        t.levels[depth] = entry;
        if entry & flags::PRESENT == 0 {
            return None;
        }
        t.user_at_every_level &= entry & flags::USER != 0;
        t.writable &= entry & flags::WRITABLE != 0;
        t.no_execute |= entry & flags::NO_EXECUTE != 0;
        // HUGE means a page at PDPT (1 GiB) and PD (2 MiB) level; at PML4 it is reserved.
        let leaf = depth == 3 || (matches!(depth, 1 | 2) && entry & flags::HUGE != 0);
        if leaf {
            t.page_size = 1 << (12 + 9 * (3 - depth));
            t.paddr = (entry & ADDR_MASK & !(t.page_size - 1)) | (vaddr & (t.page_size - 1));
            return Some(t);
        }
        table = entry & ADDR_MASK;
    }
    None
}
