//! The boot-time heap self-test: uses only the heap under test and a fixed table on the
//! stack, so it can run before anything else allocates.

use super::{Heap, HeapError, HeapStats};
use core::alloc::Layout;
use core::{ptr, slice};

/// (size, align) pairs: tiny to 16 KiB, byte to page alignment, odd sizes included.
const PATTERN: [(usize, usize); 16] = [
    (1, 1),
    (8, 8),
    (24, 16),
    (100, 64),
    (4096, 4096),
    (17, 2),
    (512, 32),
    (16384, 4096),
    (33, 16),
    (2048, 256),
    (7, 1),
    (300, 128),
    (64, 4096),
    (1000, 8),
    (4097, 512),
    (256, 16),
];
/// Order in which blocks are freed at the end: neither address order nor its reverse.
const FREE_ORDER: [usize; 16] = [5, 12, 0, 9, 3, 14, 7, 1, 10, 15, 2, 8, 13, 4, 11, 6];

#[derive(Clone, Copy)]
struct Slot {
    ptr: *mut u8,
    layout: Layout,
    fill: u8,
}

pub(super) fn run(heap: &mut Heap) -> Result<HeapStats, HeapError> {
    let before = heap.check_invariants()?;
    let empty = Slot {
        ptr: ptr::null_mut(),
        layout: Layout::new::<u8>(),
        fill: 0,
    };
    let mut slots = [empty; PATTERN.len()];
    for (i, &(size, align)) in PATTERN.iter().enumerate() {
        slots[i] = alloc_filled(heap, size, align, i as u8)?;
    }
    heap.check_invariants()?;
    // Free every other block, then allocate them again with their neighbour's shape, so
    // blocks are split out of coalesced holes next to live data.
    for i in (1..PATTERN.len()).step_by(2) {
        free_checked(heap, slots[i])?;
        verify_all(&slots, |j| j % 2 == 0 || j > i)?;
    }
    for i in (1..PATTERN.len()).step_by(2) {
        let (size, align) = PATTERN[i - 1];
        slots[i] = alloc_filled(heap, size, align, 0x80 | i as u8)?;
        heap.check_invariants()?;
    }
    verify_all(&slots, |_| true)?;
    for (n, &i) in FREE_ORDER.iter().enumerate() {
        free_checked(heap, slots[i])?;
        verify_all(&slots, |j| !FREE_ORDER[..=n].contains(&j))?;
    }
    let after = heap.check_invariants()?;
    if after != before {
        return Err(HeapError::SelfTestLeak { before, after });
    }
    Ok(after)
}

fn alloc_filled(heap: &mut Heap, size: usize, align: usize, tag: u8) -> Result<Slot, HeapError> {
    let layout = Layout::from_size_align(size, align)
        .map_err(|_| HeapError::SelfTestOutOfMemory { size, align })?;
    let p = heap.alloc(layout);
    if p.is_null() || !(p as usize).is_multiple_of(align) {
        return Err(HeapError::SelfTestOutOfMemory { size, align });
    }
    let fill = tag.wrapping_mul(37).wrapping_add(11);
    // SAFETY: `p` is a fresh allocation of at least `size` bytes that nothing else uses.
    unsafe { ptr::write_bytes(p, fill, size) };
    Ok(Slot {
        ptr: p,
        layout,
        fill,
    })
}

fn free_checked(heap: &mut Heap, slot: Slot) -> Result<(), HeapError> {
    verify(slot)?;
    // SAFETY: `slot.ptr` came from `heap.alloc(slot.layout)` and is freed exactly once.
    unsafe { heap.dealloc(slot.ptr, slot.layout) };
    heap.check_invariants().map(|_| ())
}

fn verify_all(slots: &[Slot], live: impl Fn(usize) -> bool) -> Result<(), HeapError> {
    slots
        .iter()
        .enumerate()
        .filter(|(j, _)| live(*j))
        .try_for_each(|(_, s)| verify(*s))
}

fn verify(slot: Slot) -> Result<(), HeapError> {
    // SAFETY: the slot is a live allocation of `layout.size()` bytes filled by us.
    let bytes = unsafe { slice::from_raw_parts(slot.ptr, slot.layout.size()) };
    match bytes.iter().position(|&b| b != slot.fill) {
        None => Ok(()),
        Some(k) => Err(HeapError::SelfTestCorruption {
            at: slot.ptr as usize + k,
        }),
    }
}
