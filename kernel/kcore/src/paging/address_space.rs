//! Per-process address spaces that share only the PML4 level with the kernel.

use super::{PagingError, PhysMemory, Translation};

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
        unimplemented!("{:p} {kernel_pml4}", mem)
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
    /// the kernel's PML4 slots, unaligned or non-canonical addresses and remapping.
    pub fn map_user_page<M: PhysMemory>(
        &mut self,
        mem: &mut M,
        vaddr: u64,
        paddr: u64,
        flags: u64,
    ) -> Result<(), PagingError> {
        unimplemented!("{:p} {vaddr} {paddr} {flags}", mem)
    }

    /// Walks this address space; see [`super::translate`].
    pub fn translate<M: PhysMemory>(&self, mem: &M, vaddr: u64) -> Option<Translation> {
        super::translate(mem, self.pml4, vaddr)
    }
}
