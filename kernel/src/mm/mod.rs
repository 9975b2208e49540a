//! Memory management: physical frames from the UEFI memory map, the kernel heap, the
//! kernel's own page tables, and the guarded kernel stack.
pub mod frames;
pub mod heap;
pub mod paging;
pub mod phys;
pub mod stack;
