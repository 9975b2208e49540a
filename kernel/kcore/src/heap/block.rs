//! Raw access to block headers and free-list links, by address.
//!
//! Layout of a block at address `b` (16-aligned, inside the heap region):
//! `[b]` total size in bytes (header included), `[b + 8]` tag ([`USED`] or [`FREE`]),
//! and for free blocks `[b + 16]` the address of the next free block (0 ends the list).

use core::ptr;

/// Tag of an allocated block.
pub(super) const USED: usize = 0x7573_6564_b10c_0001;
/// Tag of a free block.
pub(super) const FREE: usize = 0x6672_6565_b10c_0002;
/// Written over the tag of a block that was merged away, so stale pointers to it fail.
pub(super) const DEAD: usize = 0;

fn word(addr: usize) -> *mut usize {
    ptr::with_exposed_provenance_mut(addr)
}

/// Size field of the block at `b`.
///
/// # Safety
/// `b` must be 16-aligned with `b .. b + 24` inside the heap region, whose provenance was
/// exposed by `Heap::init`, and no reference to those bytes may be live.
pub(super) unsafe fn size(b: usize) -> usize {
    // SAFETY: the caller guarantees `b` is an aligned address inside our exposed region.
    unsafe { word(b).read() }
}

/// Tag field of the block at `b`.
///
/// # Safety
/// As for [`size`].
pub(super) unsafe fn tag(b: usize) -> usize {
    // SAFETY: `b + 8` is inside the region and 8-aligned because `b` is (caller contract).
    unsafe { word(b + 8).read() }
}

/// Writes the header of the block at `b`.
///
/// # Safety
/// As for [`size`]; the block's bytes must belong to the heap, not to a live allocation.
pub(super) unsafe fn set_header(b: usize, size: usize, tag: usize) {
    // SAFETY: both words lie in the block's header inside our region (caller contract).
    unsafe {
        word(b).write(size);
        word(b + 8).write(tag);
    }
}

/// Overwrites only the tag of the block at `b`.
///
/// # Safety
/// As for [`set_header`].
pub(super) unsafe fn set_tag(b: usize, tag: usize) {
    // SAFETY: the tag word is in the block's header inside our region (caller contract).
    unsafe { word(b + 8).write(tag) }
}

/// Next-free link of the free block at `b`.
///
/// # Safety
/// As for [`size`], and the block must be free (its link word is not user data).
pub(super) unsafe fn next(b: usize) -> usize {
    // SAFETY: a free block is at least MIN_BLOCK (32) bytes, so `b + 16` is inside it.
    unsafe { word(b + 16).read() }
}

/// Sets the next-free link of the free block at `b`.
///
/// # Safety
/// As for [`next`].
pub(super) unsafe fn set_next(b: usize, next: usize) {
    // SAFETY: a free block is at least MIN_BLOCK (32) bytes, so `b + 16` is inside it.
    unsafe { word(b + 16).write(next) }
}
