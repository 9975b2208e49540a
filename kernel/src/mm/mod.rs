//! Memory management: physical frames from the UEFI memory map, the kernel heap, the
//! kernel's own page tables, and the guarded kernel stack.
pub mod frames;
pub mod heap;
#[cfg(target_arch = "x86_64")]
pub mod paging;
pub mod phys;
pub mod stack;

use crate::once::KernelCell;
use phys::Pmm;

/// The PMM, once the boot path hands it over (after the kernel's tables exist).
static PMM: KernelCell<Option<Pmm>> = KernelCell::new(None);

pub fn install_pmm(pmm: Pmm) {
    PMM.with(|slot| *slot = Some(pmm));
}

/// Runs `f` with the PMM; must not be nested (e.g. by dropping a VMO inside `f`).
pub fn with_pmm<R>(f: impl FnOnce(&mut Pmm) -> R) -> R {
    PMM.with(|slot| {
        f(slot
            .as_mut()
            .expect("the PMM is installed before any process"))
    })
}
