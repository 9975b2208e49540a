//! Per-process address spaces that share only the PML4 level with the kernel.

use super::table::{check_page, in_kernel_half, indices, new_table, read_entry, write_entry};
use super::{flags, PagingError, PhysMemory, Translation, ADDR_MASK};

/// Flags of user PDPT/PD/PT entries: USER at every level; the leaf decides write/execute.
const USER_TABLE: u64 = flags::PRESENT | flags::USER | flags::WRITABLE;
/// Leaf flags a caller may choose for a user page.
const USER_LEAF_FLAGS: u64 =
    flags::WRITABLE | flags::NO_EXECUTE | flags::WRITE_THROUGH | flags::NO_CACHE;

/// A process's page tables: its own PML4 (with the kernel's slots copied in) and its own
/// lower-level tables for every user mapping.
#[derive(Clone, Debug)]
pub struct AddressSpace {
    pml4: u64,
    /// Bit `i` set: PML4 slot `i` is a copy of the kernel's entry and is off limits.
    kernel_slots: [u64; 8],
}

impl AddressSpace {
    /// Allocates a zeroed PML4 and copies every present entry of `kernel_pml4` into it, with
    /// USER cleared so no kernel mapping is ever reachable from ring 3.
    pub fn new<M: PhysMemory>(mem: &mut M, kernel_pml4: u64) -> Result<Self, PagingError> {
        let pml4 = new_table(mem)?;
        let mut kernel_slots = [0u64; 8];
        for slot in 0..512 {
            let entry = read_entry(mem, kernel_pml4, slot);
            if entry & flags::PRESENT != 0 {
                write_entry(mem, pml4, slot, entry & !flags::USER)?;
                kernel_slots[slot / 64] |= 1 << (slot % 64);
            }
        }
        Ok(Self { pml4, kernel_slots })
    }

    /// Physical address of the PML4 (the value for CR3).
    pub fn pml4(&self) -> u64 {
        self.pml4
    }

    /// True if PML4 slot `slot` was copied from the kernel.
    pub fn is_kernel_slot(&self, slot: usize) -> bool {
        slot < 512 && self.kernel_slots[slot / 64] & (1 << (slot % 64)) != 0
    }

    /// Maps the 4 KiB page `vaddr` to frame `paddr` for ring 3. PDP, PD and PT entries get
    /// PRESENT|USER|WRITABLE (the leaf decides); the leaf gets PRESENT|USER plus `flags`
    /// restricted to WRITABLE, NO_EXECUTE, WRITE_THROUGH, NO_CACHE. Refuses the kernel half,
    /// the kernel's PML4 slots, unaligned or non-canonical addresses, remapping, and tables
    /// it did not create (no USER: someone mapped there with kernel tables).
    pub fn map_user_page<M: PhysMemory>(
        &mut self,
        mem: &mut M,
        vaddr: u64,
        paddr: u64,
        flags: u64,
    ) -> Result<(), PagingError> {
        if in_kernel_half(vaddr) {
            return Err(PagingError::KernelHalf(vaddr));
        }
        check_page(vaddr, paddr)?;
        let [i4, i3, i2, i1] = indices(vaddr);
        if self.is_kernel_slot(i4) {
            return Err(PagingError::KernelSlot { vaddr, slot: i4 });
        }
        let pdpt = user_table(mem, self.pml4, i4, vaddr, 4)?;
        let pd = user_table(mem, pdpt, i3, vaddr, 3)?;
        let pt = user_table(mem, pd, i2, vaddr, 2)?;
        if read_entry(mem, pt, i1) & flags::PRESENT != 0 {
            return Err(PagingError::AlreadyMapped(vaddr));
        }
        let leaf = paddr | flags::PRESENT | flags::USER | (flags & USER_LEAF_FLAGS);
        write_entry(mem, pt, i1, leaf)?;
        Ok(())
    }

    /// Walks this address space; see [`super::translate`].
    pub fn translate<M: PhysMemory>(&self, mem: &M, vaddr: u64) -> Option<Translation> {
        super::translate(mem, self.pml4, vaddr)
    }
}

/// The user table under entry `index` of `table` (at `level`), created if absent. An
/// existing entry must be one of ours: a table (not a huge page) with USER set.
fn user_table<M: PhysMemory>(
    mem: &mut M,
    table: u64,
    index: usize,
    vaddr: u64,
    level: u8,
) -> Result<u64, PagingError> {
    let entry = read_entry(mem, table, index);
    if entry & flags::PRESENT == 0 {
        let child = new_table(mem)?;
        // Continue from what memory holds now, not from `child`.
        return Ok(write_entry(mem, table, index, child | USER_TABLE)? & ADDR_MASK);
    }
    if entry & flags::HUGE != 0 {
        return Err(PagingError::HugePageInTheWay(vaddr));
    }
    if entry & flags::USER == 0 {
        return Err(PagingError::ForeignTable { vaddr, level });
    }
    Ok(entry & ADDR_MASK)
}
