//! PMM setup from the UEFI memory map: the largest conventional region (above 1 MiB) is
//! claimed from the firmware as LoaderData, so neither the firmware before ExitBootServices
//! nor anything after it hands out the same pages, and the bitmap allocator manages it.
use super::phys::Pmm;
use crate::once::TakeOnce;
use crate::uefi::{BootServices, MemoryMap, MemoryType};
use kcore::pmm::{BitmapPmm, FrameAllocator, PhysRegion};

/// Frames the kernel claims: 64 MiB is far more than Rustux uses and leaves the firmware room.
const MAX_FRAMES: u64 = 16384;
const LOW_MEMORY_END: u64 = 0x10_0000;

/// One bit per frame.
const BITMAP_WORDS: usize = (MAX_FRAMES / 64) as usize;

static BITMAP: TakeOnce<[u64; BITMAP_WORDS]> = TakeOnce::new([0; BITMAP_WORDS]);

pub fn init(bs: &BootServices, map: &MemoryMap) -> Pmm {
    let Some(best) = map
        .conventional()
        .filter(|d| d.physical_start >= LOW_MEMORY_END)
        .max_by_key(|d| d.number_of_pages)
    else {
        crate::panic::fatal(format_args!(
            "memory map has no conventional memory above 1 MiB"
        ));
    };
    let pages = best.number_of_pages.min(MAX_FRAMES);
    let mut start = best.physical_start;
    // SAFETY: AllocateAddress at a range the current map lists as conventional; `start` is a
    // live out-parameter.
    let status = unsafe {
        (bs.allocate_pages)(
            crate::uefi::ALLOCATE_ADDRESS,
            MemoryType::LoaderData as u32,
            pages as usize,
            &mut start,
        )
    };
    if status.is_error() {
        crate::panic::fatal(format_args!(
            "firmware refused to hand over {pages} pages at {start:#x} (status {:#x})",
            status.0
        ));
    }
    let storage = BITMAP.take().expect("frames::init runs once");
    match BitmapPmm::new(&[PhysRegion { start, pages }], storage) {
        Ok(pmm) => pmm,
        Err(e) => crate::panic::fatal(format_args!("pmm: {e}")),
    }
}

pub fn describe(pmm: &Pmm) -> (u64, u64) {
    (pmm.free_frames(), pmm.total_frames())
}
