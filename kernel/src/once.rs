//! Statics without `static mut`: a value handed out exactly once, kernel state behind a
//! borrow flag, and stacks.
use core::cell::{RefCell, UnsafeCell};
use core::sync::atomic::{AtomicBool, Ordering};

/// A static value that [`TakeOnce::take`] hands out as `&'static mut` the first time only.
pub struct TakeOnce<T> {
    taken: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: `take` gives out at most one reference, guarded by the atomic flag, so the value
// is never shared between contexts.
unsafe impl<T> Sync for TakeOnce<T> {}

impl<T> TakeOnce<T> {
    pub const fn new(value: T) -> Self {
        Self {
            taken: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    // A `&mut` from `&self` is sound here: the flag makes this the only one ever handed out.
    #[allow(clippy::mut_from_ref)]
    pub fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: the flag was false, so no other reference to the value exists or ever will.
        Some(unsafe { &mut *self.value.get() })
    }
}

/// A page-aligned stack; only the CPU writes it (through RSP), Rust never reads it.
#[repr(C, align(4096))]
pub struct Stack<const N: usize>(UnsafeCell<[u8; N]>);

// SAFETY: Rust code never forms references into the stack bytes; only its address is shared.
unsafe impl<const N: usize> Sync for Stack<N> {}

impl<const N: usize> Stack<N> {
    pub const fn new() -> Self {
        Self(UnsafeCell::new([0; N]))
    }

    pub fn bottom(&self) -> u64 {
        self.0.get() as u64
    }

    /// One past the highest byte: the initial RSP (16-byte aligned).
    pub fn top(&self) -> u64 {
        self.bottom() + N as u64
    }
}

/// Kernel state shared by syscalls and interrupt handlers. Sound on one CPU because the
/// kernel runs with interrupts off (they are taken only in ring 3 and in the idle loop's
/// `hlt`, where no borrow is held); the RefCell turns a re-entrant use into a panic.
pub struct KernelCell<T>(RefCell<T>);

// SAFETY: single CPU, interrupts off while kernel code runs (see above): never two contexts
// inside `with` at once except by re-entry, which the RefCell refuses.
unsafe impl<T> Sync for KernelCell<T> {}

impl<T> KernelCell<T> {
    pub const fn new(value: T) -> Self {
        Self(RefCell::new(value))
    }

    /// Runs `f` with the state; must not switch threads or re-enter.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }

    /// Like `with`, but None instead of a panic when the state is in use (the panic path).
    pub fn try_with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.0.try_borrow_mut().ok().map(|mut v| f(&mut v))
    }
}
