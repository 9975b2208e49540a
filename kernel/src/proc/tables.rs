//! Where a process's pages are mapped. Normally its own [`AddressSpace`]: kernel and user
//! share only the PML4 (kernel slots copied without USER), and every user mapping has its own
//! PDP, PD and PT with USER at every level. The `shared-user-tables` variant reproduces the
//! original Rustux bug: user pages mapped through the kernel's own tables without USER.
use crate::mm::phys::{zeroed_frame, Identity, Pmm, WithFrames};
use kcore::paging::{flags, translate, AddressSpace, PagingError, Translation};

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

    /// Maps a zeroed frame at `vaddr` (writable, executable); returns the frame.
    pub fn map_new_page(&mut self, pmm: &mut Pmm, vaddr: u64) -> Result<u64, PagingError> {
        let frame = zeroed_frame(pmm).ok_or(PagingError::OutOfFrames)?;
        let mut mem = WithFrames(pmm);
        match self {
            Self::Own(space) => space.map_user_page(&mut mem, vaddr, frame, flags::WRITABLE)?,
            Self::SharedWithKernel { pml4 } => {
                kcore::paging::map_4k(&mut mem, *pml4, vaddr, frame, flags::WRITABLE)?
            }
        }
        Ok(frame)
    }
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
