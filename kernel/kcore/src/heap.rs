//! Kernel heap over a caller-given region `[start, start + size)`.
//!
//! Every byte of the region belongs to exactly one block; each block starts with a
//! [`HEADER`]-byte header (size + tag). Free blocks are also chained in an address-ordered
//! free list. `alloc` is first-fit: it splits the chosen block, carving a free block off the
//! front when the alignment asks for it (so any power-of-two alignment works, 4096 and up)
//! and off the back when the rest is large enough. `dealloc` inserts the block back in
//! address order and coalesces it with free neighbours, so no two free blocks ever touch.
//! [`Heap::check_invariants`] walks the whole region and the free list to prove all that.

use core::alloc::Layout;
use core::fmt;

mod block;
mod locked;
mod selftest;

pub use locked::LockedHeap;

/// Bytes of header before every block's payload; payloads are aligned to this.
pub const HEADER: usize = 16;
/// Smallest block (header + room for the free-list link), so any split leaves a valid block.
pub const MIN_BLOCK: usize = 32;

/// Totals from a successful [`Heap::check_invariants`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    pub blocks: usize,
    pub free_blocks: usize,
    pub used_blocks: usize,
    /// Bytes in free blocks, headers included.
    pub free_bytes: usize,
    /// Bytes in used blocks, headers included.
    pub used_bytes: usize,
    pub largest_free: usize,
}

/// What a heap check found wrong (addresses are of the block header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeapError {
    NotInitialized,
    /// A header's tag is neither the used nor the free tag: overwritten memory.
    BadTag { at: usize },
    /// A block size is not a multiple of [`HEADER`], below [`MIN_BLOCK`], or runs past the end.
    BadSize { at: usize, size: usize },
    /// Block sizes do not add up to the region size.
    SizeMismatch { accounted: usize, region: usize },
    /// Two free blocks touch (coalescing failed).
    AdjacentFree { at: usize },
    /// The free list is out of address order, overlaps, or leaves the region.
    FreeListDisorder { at: usize },
    /// The free list and the block walk disagree on which blocks are free.
    FreeListMismatch { listed: usize, walked: usize },
    /// Self-test: allocation failed although the heap should have room.
    SelfTestOutOfMemory { size: usize, align: usize },
    /// Self-test: a block's contents changed while other blocks were allocated or freed.
    SelfTestCorruption { at: usize },
    /// Self-test: the heap did not return to its starting state.
    SelfTestLeak { before: HeapStats, after: HeapStats },
}

impl fmt::Display for HeapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NotInitialized => write!(f, "heap used before init"),
            Self::BadTag { at } => write!(f, "block header at {at:#x} has a bad tag (overwritten)"),
            Self::BadSize { at, size } => write!(f, "block at {at:#x} has bad size {size:#x}"),
            Self::SizeMismatch { accounted, region } => {
                write!(f, "blocks cover {accounted:#x} bytes, region is {region:#x}")
            }
            Self::AdjacentFree { at } => write!(f, "free blocks touch at {at:#x} (not coalesced)"),
            Self::FreeListDisorder { at } => write!(f, "free list out of order at {at:#x}"),
            Self::FreeListMismatch { listed, walked } => {
                write!(f, "free list has {listed} blocks, walk found {walked}")
            }
            Self::SelfTestOutOfMemory { size, align } => {
                write!(f, "self-test: alloc of {size} bytes (align {align}) failed")
            }
            Self::SelfTestCorruption { at } => write!(f, "self-test: block at {at:#x} corrupted"),
            Self::SelfTestLeak { before, after } => write!(
                f,
                "self-test: heap not restored ({} free bytes before, {} after)",
                before.free_bytes, after.free_bytes
            ),
        }
    }
}

/// The heap. Not thread-safe on its own; wrap it in [`LockedHeap`] for `#[global_allocator]`.
pub struct Heap {
    start: usize,
    size: usize,
    /// Address of the lowest free block, 0 for none.
    free_head: usize,
}

impl Heap {
    /// An uninitialized heap; every `alloc` returns null until [`Heap::init`].
    pub const fn empty() -> Self {
        Self { start: 0, size: 0, free_head: 0 }
    }

    /// Takes over `[start, start + size)` as one free block. `start` is rounded up and the
    /// end down to [`HEADER`] alignment; a region too small for one block stays empty.
    ///
    /// # Safety
    /// The region must be valid for reads and writes, owned by this heap from now on (no
    /// other references or users), and stay so for as long as the heap or its allocations
    /// are used. Calling `init` again forgets all previous allocations.
    pub unsafe fn init(&mut self, start: *mut u8, size: usize) {
        unimplemented!("{start:?} {size}")
    }

    /// Region start and size after rounding (0, 0 before init).
    pub fn region(&self) -> (usize, usize) {
        (self.start, self.size)
    }

    /// A block of at least `layout.size()` bytes aligned to `layout.align()`, or null when
    /// no free block fits. Zero-size layouts get a minimal block.
    pub fn alloc(&mut self, layout: Layout) -> *mut u8 {
        unimplemented!("{layout:?}")
    }

    /// Returns a block to the heap, coalescing it with free neighbours.
    ///
    /// # Safety
    /// `ptr` must come from `alloc` on this heap (with a layout of the same alignment) and
    /// not have been freed since; nothing may use the block afterwards.
    ///
    /// # Panics
    /// If `ptr` is not a used block of this heap (bad tag): that is heap corruption, and
    /// stopping with a message beats corrupting the free list silently.
    pub unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        unimplemented!("{ptr:?} {layout:?}")
    }

    /// Walks every block and the free list; see [`HeapError`] for what is checked.
    pub fn check_invariants(&self) -> Result<HeapStats, HeapError> {
        unimplemented!()
    }

    /// Boot-time self-test: allocates a mixed pattern (sizes 1 B..16 KiB, alignments up to
    /// 4096), fills each block with its own pattern, frees in a scrambled order while
    /// checking invariants and contents, and requires the heap to end as it began.
    pub fn self_test(&mut self) -> Result<HeapStats, HeapError> {
        selftest::run(self)
    }
}

impl Default for Heap {
    fn default() -> Self {
        Self::empty()
    }
}
