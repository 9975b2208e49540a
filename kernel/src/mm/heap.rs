//! The kernel heap: kcore's free-list allocator over contiguous PMM frames, registered as
//! the global allocator and self-tested before anything relies on it.
use super::phys::Pmm;
use kcore::heap::{HeapStats, LockedHeap};
use kcore::pmm::FrameAllocator;

pub const HEAP_FRAMES: u64 = 256;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// Returns the heap's start address and the self-test's statistics.
pub fn init(pmm: &mut Pmm) -> (u64, HeapStats) {
    let Some(start) = pmm.alloc() else {
        crate::panic::fatal(format_args!("heap: no frames left"));
    };
    // The PMM hands out the lowest free frame, so a fresh PMM gives a contiguous run.
    for i in 1..HEAP_FRAMES {
        let frame = pmm.alloc();
        if frame != Some(start + i * 4096) {
            crate::panic::fatal(format_args!(
                "heap: frame {i} is {frame:#x?}, not contiguous"
            ));
        }
    }
    // SAFETY: the frames [start, start + HEAP_FRAMES pages) were just taken from the PMM, so
    // they are RAM, identity-mapped, and owned by the heap from here on.
    unsafe { HEAP.init(start as *mut u8, (HEAP_FRAMES * 4096) as usize) };
    match HEAP.self_test() {
        Ok(stats) => (start, stats),
        Err(e) => crate::panic::fatal(format_args!("heap self-test failed: {e}")),
    }
}
