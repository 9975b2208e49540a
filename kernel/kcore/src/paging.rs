//! x86-64 4-level page tables over an abstract physical memory ([`PhysMemory`]).
//!
//! The kernel identity-maps physical memory and builds its own tables with
//! [`map_identity`] (2 MiB pages), [`map_4k`] and [`unmap_4k`] (which splits a 2 MiB page,
//! e.g. to leave an unmapped guard page below the kernel stack). Kernel mappings never
//! carry [`flags::USER`].
//!
//! Each process gets an [`AddressSpace`]: a fresh PML4 whose kernel slots are copies of the
//! kernel's PML4 entries (so kernel and user share *only* that top level), and whose other
//! slots hold PDP/PD/PT tables owned by the process with USER set at every level.
//! Mapping into a slot the kernel uses is refused: that was the original project's bug
//! (user pages under the kernel's PDP, without USER, so ring 3 faulted).
//!
//! Every entry written is read back from memory and the walk continues from the value read,
//! never from a cached copy.

use core::fmt;

pub mod aarch64;
mod address_space;
mod kernel_map;
mod table;
mod walk;

pub use address_space::AddressSpace;
pub use kernel_map::{map_4k, map_identity, unmap_4k};
pub use table::new_table;
pub use walk::{translate, Translation};

/// Access to physical memory: identity-mapped RAM in the kernel, a simulation in tests.
pub trait PhysMemory {
    /// A free 4 KiB frame (contents unspecified; table code zeroes what it allocates).
    fn alloc_frame(&mut self) -> Option<u64>;
    /// The 8-byte word at physical address `pa` (8-byte aligned).
    fn read(&self, pa: u64) -> u64;
    /// Writes the 8-byte word at physical address `pa` (8-byte aligned).
    fn write(&mut self, pa: u64, v: u64);
}

/// Page table entry bits.
pub mod flags {
    pub const PRESENT: u64 = 1 << 0;
    pub const WRITABLE: u64 = 1 << 1;
    pub const USER: u64 = 1 << 2;
    pub const WRITE_THROUGH: u64 = 1 << 3;
    pub const NO_CACHE: u64 = 1 << 4;
    pub const ACCESSED: u64 = 1 << 5;
    pub const DIRTY: u64 = 1 << 6;
    /// PS: a 1 GiB (PDPT) or 2 MiB (PD) page instead of a next-level table.
    pub const HUGE: u64 = 1 << 7;
    pub const GLOBAL: u64 = 1 << 8;
    pub const NO_EXECUTE: u64 = 1 << 63;
}

/// Physical address bits of an entry (4 KiB-aligned, up to 52 bits).
pub const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
/// Bytes mapped by a 4 KiB, 2 MiB and 1 GiB page.
pub const PAGE_4K: u64 = 1 << 12;
pub const PAGE_2M: u64 = 1 << 21;
pub const PAGE_1G: u64 = 1 << 30;
/// First address of the kernel (upper) canonical half; user mappings stay below.
pub const KERNEL_HALF: u64 = 0xffff_8000_0000_0000;

/// Index (0..512) of `vaddr` in the table at `level` (4 = PML4 .. 1 = PT).
pub const fn table_index(vaddr: u64, level: u32) -> usize {
    ((vaddr >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// Why a paging operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagingError {
    /// The frame source is exhausted.
    OutOfFrames,
    /// Address is not canonical (bits 63..47 not all equal).
    NotCanonical(u64),
    /// Address is not aligned to the page size used.
    Unaligned(u64),
    /// User mapping requested in the kernel's canonical half.
    KernelHalf(u64),
    /// User mapping requested in a PML4 slot the kernel's tables occupy.
    KernelSlot { vaddr: u64, slot: usize },
    /// USER requested for a kernel mapping.
    UserFlagInKernelMap(u64),
    /// A page is already mapped at this address.
    AlreadyMapped(u64),
    /// A 1 GiB page covers this address where a table is needed.
    HugePageInTheWay(u64),
    /// Nothing mapped at this address.
    NotMapped(u64),
    /// A user mapping would go through a table at `level` (4 = PML4 entry .. 2 = PD entry)
    /// that has no USER bit: a kernel table, which user pages must never share.
    ForeignTable { vaddr: u64, level: u8 },
    /// An entry read back differently from what was written (table frame at `table`).
    ReadBackMismatch { table: u64, index: usize },
}

impl fmt::Display for PagingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::OutOfFrames => write!(f, "out of frames for page tables"),
            Self::NotCanonical(v) => write!(f, "{v:#x} is not a canonical address"),
            Self::Unaligned(v) => write!(f, "{v:#x} is not page aligned"),
            Self::KernelHalf(v) => write!(f, "{v:#x} is in the kernel half; user pages go below"),
            Self::KernelSlot { vaddr, slot } => write!(
                f,
                "{vaddr:#x} is in PML4 slot {slot}, which the kernel uses; user pages need their own slot"
            ),
            Self::UserFlagInKernelMap(v) => write!(f, "kernel mapping at {v:#x} must not be USER"),
            Self::AlreadyMapped(v) => write!(f, "{v:#x} is already mapped"),
            Self::HugePageInTheWay(v) => write!(f, "a 1 GiB page covers {v:#x}"),
            Self::NotMapped(v) => write!(f, "{v:#x} is not mapped"),
            Self::ForeignTable { vaddr, level } => write!(
                f,
                "{vaddr:#x}: the level-{level} entry points at a kernel table (no USER); user pages need their own tables"
            ),
            Self::ReadBackMismatch { table, index } => {
                write!(f, "entry {index} of table {table:#x} did not read back as written")
            }
        }
    }
}
