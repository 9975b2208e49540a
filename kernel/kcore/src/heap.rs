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

mod block;
mod check;
mod error;
mod locked;
mod selftest;

pub use error::{HeapError, HeapStats};
pub use locked::LockedHeap;

/// Bytes of header before every block's payload; payloads are aligned to this.
pub const HEADER: usize = 16;
/// Smallest block (header + room for the free-list link), so any split leaves a valid block.
pub const MIN_BLOCK: usize = 32;

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
        Self {
            start: 0,
            size: 0,
            free_head: 0,
        }
    }

    /// Takes over `[start, start + size)` as one free block. `start` is rounded up and the
    /// end down to [`HEADER`] alignment; a region too small for one block stays empty.
    ///
    /// # Safety
    /// The region must be valid for reads and writes, owned by this heap from now on (no
    /// other references or users), and stay so for as long as the heap or its allocations
    /// are used. Calling `init` again forgets all previous allocations.
    pub unsafe fn init(&mut self, start: *mut u8, size: usize) {
        let raw = start.expose_provenance();
        let (Some(begin), Some(end)) = (align_up(raw, HEADER), raw.checked_add(size)) else {
            *self = Self::empty();
            return;
        };
        let end = end & !(HEADER - 1);
        if end < begin || end - begin < MIN_BLOCK {
            *self = Self::empty();
            return;
        }
        *self = Self {
            start: begin,
            size: end - begin,
            free_head: begin,
        };
        // SAFETY: `begin` is 16-aligned and the region holds at least MIN_BLOCK bytes from
        // it; the caller gave us the region exclusively and exposed its provenance above.
        unsafe {
            block::set_header(begin, end - begin, block::FREE);
            block::set_next(begin, 0);
        }
    }

    /// Region start and size after rounding (0, 0 before init).
    pub fn region(&self) -> (usize, usize) {
        (self.start, self.size)
    }

    /// A block of at least `layout.size()` bytes aligned to `layout.align()`, or null when
    /// no free block fits. Zero-size layouts get a minimal block.
    pub fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let align = layout.align().max(HEADER);
        let Some(need) = align_up(layout.size().max(MIN_BLOCK - HEADER), HEADER)
            .and_then(|n| n.checked_add(HEADER))
        else {
            return core::ptr::null_mut();
        };
        let (mut prev, mut cur) = (0, self.free_head);
        while cur != 0 {
            // SAFETY: `cur` comes from the free list, which only holds headers of free
            // blocks inside the region (maintained by init/alloc/dealloc).
            let (cur_size, cur_next) = unsafe { (block::size(cur), block::next(cur)) };
            if let Some(b) = fit(cur, cur_size, need, align) {
                // SAFETY: `b .. b + need` lies inside the free block `cur` (checked by
                // `fit`), and every header written below is inside that block too.
                unsafe { self.carve(prev, cur, cur_size, cur_next, b, need) };
                return core::ptr::with_exposed_provenance_mut(b + HEADER);
            }
            prev = cur;
            cur = cur_next;
        }
        core::ptr::null_mut()
    }

    /// Takes `[b, b + need)` out of the free block `cur` (free-list predecessor `prev`),
    /// leaving the front gap (if any) and the tail (if big enough) as free blocks.
    ///
    /// # Safety
    /// `cur` is a free block of `cur_size` bytes on the free list after `prev` (0: head),
    /// and `cur <= b`, `b + need <= cur + cur_size`, with `b - cur` 0 or >= MIN_BLOCK.
    unsafe fn carve(
        &mut self,
        prev: usize,
        cur: usize,
        cur_size: usize,
        cur_next: usize,
        b: usize,
        need: usize,
    ) {
        let cur_end = cur + cur_size;
        let mut used = need;
        let mut after = cur_next;
        // SAFETY: all addresses are inside the free block `cur` (caller contract), which
        // the heap owns; the blocks written are 16-aligned and at least MIN_BLOCK long.
        unsafe {
            let rest = cur_end - (b + need);
            if rest >= MIN_BLOCK {
                let tail = b + need;
                block::set_header(tail, rest, block::FREE);
                block::set_next(tail, cur_next);
                after = tail;
            } else {
                used += rest;
            }
            if b > cur {
                block::set_header(cur, b - cur, block::FREE);
                block::set_next(cur, after);
            } else if prev == 0 {
                self.free_head = after;
            } else {
                block::set_next(prev, after);
            }
            block::set_header(b, used, block::USED);
        }
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
        let b = (ptr as usize).wrapping_sub(HEADER);
        let inside = b >= self.start && b < self.start + self.size && b.is_multiple_of(HEADER);
        // SAFETY: only read after checking `b` is an aligned header address in the region.
        if !inside || unsafe { block::tag(b) } != block::USED {
            panic!("heap: dealloc of {ptr:p}, which is not an allocated block");
        }
        // SAFETY: `b` is a used block of this heap (tag checked); the caller hands it back.
        let mut size = unsafe { block::size(b) };
        if size < layout.size().saturating_add(HEADER) {
            panic!("heap: dealloc of {ptr:p} with a layout larger than its block");
        }
        let (mut prev, mut next) = (0, self.free_head);
        while next != 0 && next < b {
            prev = next;
            // SAFETY: `next` is on the free list, so it is a free block header.
            next = unsafe { block::next(next) };
        }
        // SAFETY: `b`, `prev` and `next` are block headers inside the region; `b` is no
        // longer used by the caller, `prev`/`next` are free, so rewriting them is ours.
        unsafe {
            if next != 0 && b + size == next {
                size += block::size(next);
                let after = block::next(next);
                block::set_tag(next, block::DEAD);
                next = after;
            }
            if prev != 0 && prev + block::size(prev) == b {
                block::set_header(prev, block::size(prev) + size, block::FREE);
                block::set_next(prev, next);
                block::set_tag(b, block::DEAD);
                return;
            }
            block::set_header(b, size, block::FREE);
            block::set_next(b, next);
        }
        if prev == 0 {
            self.free_head = b;
        } else {
            // SAFETY: `prev` is a free block header on the list.
            unsafe { block::set_next(prev, b) };
        }
    }

    /// Walks every block and the free list; see [`HeapError`] for what is checked.
    pub fn check_invariants(&self) -> Result<HeapStats, HeapError> {
        check::run(self.start, self.size, self.free_head)
    }

    /// Boot-time self-test: allocates a mixed pattern (sizes 1 B..16 KiB, alignments up to
    /// 4096), fills each block with its own pattern, frees in a scrambled order while
    /// checking invariants and contents, and requires the heap to end as it began.
    pub fn self_test(&mut self) -> Result<HeapStats, HeapError> {
        selftest::run(self)
    }
}

/// Where a block of `need` bytes whose payload is `align`-aligned fits inside the free block
/// `[cur, cur + size)`, leaving any front gap big enough to stay a free block.
fn fit(cur: usize, size: usize, need: usize, align: usize) -> Option<usize> {
    let mut payload = align_up(cur.checked_add(HEADER)?, align)?;
    if payload - HEADER != cur && payload - HEADER - cur < MIN_BLOCK {
        payload = align_up(cur.checked_add(HEADER + MIN_BLOCK)?, align)?;
    }
    let b = payload - HEADER;
    (b.checked_add(need)? <= cur + size).then_some(b)
}

fn align_up(x: usize, align: usize) -> Option<usize> {
    Some(x.checked_add(align - 1)? & !(align - 1))
}

impl Default for Heap {
    fn default() -> Self {
        Self::empty()
    }
}
