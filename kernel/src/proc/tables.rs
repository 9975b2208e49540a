//! Where a process's pages are mapped. Normally its own [`AddressSpace`]: kernel and user
//! share only the PML4 (kernel slots copied without USER), and every user mapping has its own
//! PDP, PD and PT with USER at every level. The `shared-user-tables` variant reproduces the
//! original Rustux bug: user pages mapped through the kernel's own tables without USER.
use crate::mm::phys::{Identity, Pmm, WithFrames};
use kcore::paging::{
    flags, translate, AddressSpace, PagingError, PhysMemory, Translation, ADDR_MASK,
};
use kcore::pmm::FrameAllocator;

pub enum UserTables {
    Own(AddressSpace),
    #[cfg_attr(not(feature = "shared-user-tables"), allow(dead_code))]
    SharedWithKernel {
        pml4: u64,
    },
}

impl UserTables {
    pub fn new(pmm: &mut Pmm, kernel_pml4: u64) -> Result<Self, PagingError> {
        if cfg!(feature = "shared-user-tables") {
            return Ok(Self::SharedWithKernel { pml4: kernel_pml4 });
        }
        AddressSpace::new(&mut WithFrames(pmm), kernel_pml4).map(Self::Own)
    }

    pub fn cr3(&self) -> u64 {
        match self {
            Self::Own(space) => space.pml4(),
            Self::SharedWithKernel { pml4 } => *pml4,
        }
    }

    pub fn translate(&self, vaddr: u64) -> Option<Translation> {
        translate(&Identity, self.cr3(), vaddr)
    }

    /// Maps `frame` (a VMO's) at `vaddr`, writable or not, executable.
    pub fn map_frame(
        &mut self,
        pmm: &mut Pmm,
        vaddr: u64,
        frame: u64,
        writable: bool,
    ) -> Result<(), PagingError> {
        let leaf = if writable { flags::WRITABLE } else { 0 };
        let mut mem = WithFrames(pmm);
        match self {
            Self::Own(space) => space.map_user_page(&mut mem, vaddr, frame, leaf),
            Self::SharedWithKernel { pml4 } => {
                kcore::paging::map_4k(&mut mem, *pml4, vaddr, frame, flags::WRITABLE)
            }
        }
    }

    /// Removes the 4 KiB mapping at `vaddr` (the frame stays with its VMO).
    pub fn unmap(&mut self, vaddr: u64) -> Result<(), PagingError> {
        let t = self.translate(vaddr).ok_or(PagingError::NotMapped(vaddr))?;
        if t.page_size != 4096 || !t.user_at_every_level {
            return Err(PagingError::NotMapped(vaddr));
        }
        let entry = t.tables[3] + kcore::paging::table_index(vaddr, 1) as u64 * 8;
        Identity.write(entry, 0);
        crate::arch::cpu::invlpg(vaddr);
        Ok(())
    }

    /// Returns the process's own PDPT/PD/PT frames and PML4 to the PMM (not the pages they
    /// map, which belong to VMOs). The process must never run again.
    pub fn free(&self, pmm: &mut Pmm) {
        let Self::Own(space) = self else {
            return;
        };
        for slot in 0..512 {
            let entry = Identity.read(space.pml4() + slot as u64 * 8);
            if !space.is_kernel_slot(slot) && entry & flags::PRESENT != 0 {
                free_table(pmm, entry & ADDR_MASK, 3);
            }
        }
        let _ = pmm.free(space.pml4());
    }
}

/// Frees the user table at `level` (3 = PDPT .. 1 = PT) and the tables below it.
fn free_table(pmm: &mut Pmm, table: u64, level: u32) {
    if level > 1 {
        for i in 0..512 {
            let entry = Identity.read(table + i * 8);
            if entry & flags::PRESENT != 0 && entry & flags::USER != 0 && entry & flags::HUGE == 0 {
                free_table(pmm, entry & ADDR_MASK, level - 1);
            }
        }
    }
    let _ = pmm.free(table);
}

pub struct Isolation {
    pub user_pages: u64,
    pub user_pdpt: u64,
    pub kernel_slot: usize,
}

impl UserTables {
    /// Walks the live tables again (never trusting what the mapping code cached) and proves
    /// the two properties: every user page is USER at every level through tables of its own,
    /// and the kernel's identity map is not reachable from ring 3.
    pub fn check_isolation(
        &self,
        user_pages: impl Iterator<Item = u64>,
        kernel_pml4: u64,
    ) -> Result<Isolation, &'static str> {
        let kernel_probe = UserTables::cr3 as *const () as u64;
        let kernel =
            translate(&Identity, kernel_pml4, kernel_probe).ok_or("kernel code not mapped")?;
        let seen_by_user = self
            .translate(kernel_probe)
            .ok_or("kernel not mapped in the process")?;
        if seen_by_user.user_at_every_level {
            return Err("kernel code is user-accessible");
        }
        let mut report = Isolation {
            user_pages: 0,
            user_pdpt: 0,
            kernel_slot: kcore::paging::table_index(kernel_probe, 4),
        };
        for page in user_pages {
            let t = self.translate(page).ok_or("a user page is not mapped")?;
            if !t.user_at_every_level {
                return Err("a user page lacks USER at some level");
            }
            if t.tables[1..]
                .iter()
                .any(|table| kernel.tables[1..].contains(table))
            {
                return Err("a user page goes through a kernel PDP/PD/PT");
            }
            report.user_pdpt = t.tables[1];
            report.user_pages += 1;
        }
        Ok(report)
    }
}
