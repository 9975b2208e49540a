//! [`LockedHeap`]: a [`Heap`] behind a spinlock, usable as `#[global_allocator]`.

use super::{Heap, HeapError, HeapStats};
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// Spinlock-protected heap. The kernel is single-core with interrupts that never allocate,
/// so a plain test-and-set spinlock is enough.
pub struct LockedHeap {
    locked: AtomicBool,
    heap: UnsafeCell<Heap>,
}

// SAFETY: all access to `heap` goes through `with`, which holds `locked` for the duration.
unsafe impl Sync for LockedHeap {}

impl LockedHeap {
    /// An uninitialized heap (allocations return null until [`LockedHeap::init`]).
    pub const fn empty() -> Self {
        Self {
            locked: AtomicBool::new(false),
            heap: UnsafeCell::new(Heap::empty()),
        }
    }

    /// See [`Heap::init`].
    ///
    /// # Safety
    /// Same contract as [`Heap::init`].
    pub unsafe fn init(&self, start: *mut u8, size: usize) {
        // SAFETY: the caller upholds `Heap::init`'s contract for this region.
        self.with(|heap| unsafe { heap.init(start, size) })
    }

    /// See [`Heap::check_invariants`].
    pub fn check_invariants(&self) -> Result<HeapStats, HeapError> {
        self.with(|heap| heap.check_invariants())
    }

    /// See [`Heap::self_test`].
    pub fn self_test(&self) -> Result<HeapStats, HeapError> {
        self.with(|heap| heap.self_test())
    }

    /// Runs `f` with exclusive access to the heap.
    pub fn with<R>(&self, f: impl FnOnce(&mut Heap) -> R) -> R {
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: we hold the lock, so no other `&mut Heap` exists until we release it.
        let result = f(unsafe { &mut *self.heap.get() });
        self.locked.store(false, Ordering::Release);
        result
    }
}

// SAFETY: `Heap::alloc` returns null or a block of at least `layout.size()` bytes aligned to
// `layout.align()` that no other live allocation overlaps; `dealloc` is only given pointers
// from `alloc` (GlobalAlloc's contract), which is `Heap::dealloc`'s contract.
unsafe impl GlobalAlloc for LockedHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.with(|heap| heap.alloc(layout))
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: GlobalAlloc's caller guarantees `ptr` came from `alloc` with `layout`.
        self.with(|heap| unsafe { heap.dealloc(ptr, layout) })
    }
}
