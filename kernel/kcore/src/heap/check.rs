//! [`super::Heap::check_invariants`]: walks the free list, then every block in order.

use super::{block, HeapError, HeapStats, HEADER, MIN_BLOCK};

pub(super) fn run(start: usize, size: usize, free_head: usize) -> Result<HeapStats, HeapError> {
    if size == 0 {
        return Err(HeapError::NotInitialized);
    }
    let end = start + size;
    let valid = |b: usize| {
        b >= start
            && b.is_multiple_of(HEADER)
            && end.checked_sub(b).is_some_and(|room| room >= MIN_BLOCK)
    };
    // The free list: strictly ascending headers inside the region, bounded length (so a
    // cycle cannot hang the check).
    let mut listed = 0;
    let mut cur = free_head;
    let mut last = 0;
    while cur != 0 {
        if !valid(cur) || (listed > 0 && cur <= last) || listed > size / MIN_BLOCK {
            return Err(HeapError::FreeListDisorder { at: cur });
        }
        listed += 1;
        last = cur;
        // SAFETY: `cur` is an aligned address with MIN_BLOCK bytes left in the region.
        cur = unsafe { block::next(cur) };
    }
    // The block walk: tags and sizes valid, blocks tile the region, free blocks never touch
    // and appear on the free list in the same order.
    let mut stats = HeapStats::default();
    let mut expected_free = free_head;
    let mut prev_free = false;
    let mut b = start;
    while b < end {
        if !valid(b) {
            return Err(HeapError::BadSize {
                at: b,
                size: end - b,
            });
        }
        // SAFETY: `b` is aligned with at least MIN_BLOCK bytes left in the region.
        let (bsize, btag) = unsafe { (block::size(b), block::tag(b)) };
        if bsize < MIN_BLOCK || bsize % HEADER != 0 || bsize > end - b {
            return Err(HeapError::BadSize { at: b, size: bsize });
        }
        stats.blocks += 1;
        match btag {
            block::USED => {
                stats.used_blocks += 1;
                stats.used_bytes += bsize;
                prev_free = false;
            }
            block::FREE => {
                if prev_free {
                    return Err(HeapError::AdjacentFree { at: b });
                }
                stats.free_blocks += 1;
                if b != expected_free {
                    return Err(HeapError::FreeListMismatch {
                        listed,
                        walked: stats.free_blocks,
                    });
                }
                // SAFETY: `b` is a free block header checked above.
                expected_free = unsafe { block::next(b) };
                stats.free_bytes += bsize;
                stats.largest_free = stats.largest_free.max(bsize);
                prev_free = true;
            }
            _ => return Err(HeapError::BadTag { at: b }),
        }
        b += bsize;
    }
    let accounted = stats.free_bytes + stats.used_bytes;
    if accounted != size {
        return Err(HeapError::SizeMismatch {
            accounted,
            region: size,
        });
    }
    if listed != stats.free_blocks {
        return Err(HeapError::FreeListMismatch {
            listed,
            walked: stats.free_blocks,
        });
    }
    Ok(stats)
}
