//! The kernel's own page tables, built after ExitBootServices from PMM frames: RAM
//! identity-mapped with 2 MiB pages in PML4 slot 0, the kernel stack's guard page unmapped.
use super::phys::{zeroed_frame, Pmm, WithFrames};
use super::stack;
use crate::arch::cpu;
use kcore::paging::{flags, map_identity, translate, unmap_4k, PagingError, PAGE_2M};

/// The identity map covers at least the 32-bit space (firmware, MMIO) and at most PML4
/// slot 0, which user programs never use (they live in slot 32).
const MIN_END: u64 = 1 << 32;
const MAX_END: u64 = 1 << 39;

pub struct KernelTables {
    pub pml4: u64,
    pub identity_end: u64,
}

pub fn init(pmm: &mut Pmm, max_address: u64) -> Result<KernelTables, PagingError> {
    let pml4 = zeroed_frame(pmm).ok_or(PagingError::OutOfFrames)?;
    let end = max_address
        .clamp(MIN_END, MAX_END)
        .next_multiple_of(PAGE_2M);
    let mut mem = WithFrames(pmm);
    map_identity(&mut mem, pml4, 0, end, flags::WRITABLE)?;
    unmap_4k(&mut mem, pml4, stack::guard_page())?;
    // Check before switching: the code running now and the new stack must be mapped.
    let here = init as *const () as u64;
    for addr in [here, stack::top() - 8, pml4] {
        if translate(&mem, pml4, addr).map(|t| t.paddr) != Some(addr) {
            return Err(PagingError::NotMapped(addr));
        }
    }
    if translate(&mem, pml4, stack::guard_page()).is_some() {
        return Err(PagingError::AlreadyMapped(stack::guard_page()));
    }
    // SAFETY: the new tables identity-map all RAM up to `end` (code, statics, stacks, the
    // firmware's old stack we still run on), as checked above for the critical addresses.
    unsafe { cpu::write_cr3(pml4) };
    Ok(KernelTables {
        pml4,
        identity_end: end,
    })
}
