//! Heap statistics and errors.

use core::fmt;

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
    BadTag {
        at: usize,
    },
    /// A block size is not a multiple of [`HEADER`], below [`MIN_BLOCK`], or runs past the end.
    BadSize {
        at: usize,
        size: usize,
    },
    /// Block sizes do not add up to the region size.
    SizeMismatch {
        accounted: usize,
        region: usize,
    },
    /// Two free blocks touch (coalescing failed).
    AdjacentFree {
        at: usize,
    },
    /// The free list is out of address order, overlaps, or leaves the region.
    FreeListDisorder {
        at: usize,
    },
    /// The free list and the block walk disagree on which blocks are free.
    FreeListMismatch {
        listed: usize,
        walked: usize,
    },
    /// Self-test: allocation failed although the heap should have room.
    SelfTestOutOfMemory {
        size: usize,
        align: usize,
    },
    /// Self-test: a block's contents changed while other blocks were allocated or freed.
    SelfTestCorruption {
        at: usize,
    },
    /// Self-test: the heap did not return to its starting state.
    SelfTestLeak {
        before: HeapStats,
        after: HeapStats,
    },
}

impl fmt::Display for HeapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NotInitialized => write!(f, "heap used before init"),
            Self::BadTag { at } => write!(f, "block header at {at:#x} has a bad tag (overwritten)"),
            Self::BadSize { at, size } => write!(f, "block at {at:#x} has bad size {size:#x}"),
            Self::SizeMismatch { accounted, region } => {
                write!(
                    f,
                    "blocks cover {accounted:#x} bytes, region is {region:#x}"
                )
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
