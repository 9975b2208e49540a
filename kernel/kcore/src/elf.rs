//! ELF64 executables for x86-64 user programs: validation ([`parse`]) and copying segments
//! into destination pages ([`load_segment`]).
//!
//! Parsing reads only through bounds-checked slices and checked arithmetic: any input
//! returns `Ok` or an [`ElfError`] naming the problem, never a panic. An accepted
//! [`ElfImage`] guarantees: every `PT_LOAD` segment lies within the input file and within
//! the policy's user range, `filesz <= memsz`, segments do not overlap in memory, alignment
//! is a power of two with `vaddr ≡ offset (mod align)`, total memory and segment count are
//! capped, and the entry point lies inside an executable segment.

use core::fmt;

mod error;
mod header;
mod load;

pub use error::ElfError;
pub use load::{load_image, load_segment, PageSink};

/// Most `PT_LOAD` segments an image may have.
pub const MAX_SEGMENTS: usize = 16;
/// Size of a destination page handed out by a [`PageSink`].
pub const PAGE_SIZE: u64 = 4096;

/// What the kernel accepts: where user programs may live and how big they may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadPolicy {
    /// Lowest allowed virtual address (inclusive).
    pub user_start: u64,
    /// Highest allowed virtual address (exclusive).
    pub user_end: u64,
    /// Cap on `PT_LOAD` segments (at most [`MAX_SEGMENTS`]).
    pub max_segments: usize,
    /// Cap on the sum of `memsz` over all segments.
    pub max_total_mem: u64,
}

impl LoadPolicy {
    /// User programs are linked at 0x0000_1000_0000_0000 (PML4 slot 32); they get 1 GiB
    /// there and at most 64 MiB of segments.
    pub const USER_DEFAULT: LoadPolicy = LoadPolicy {
        user_start: 0x0000_1000_0000_0000,
        user_end: 0x0000_1000_4000_0000,
        max_segments: MAX_SEGMENTS,
        max_total_mem: 64 << 20,
    };
}

/// Access permissions of a segment (`p_flags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentFlags {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

/// One validated `PT_LOAD` segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub filesz: u64,
    pub offset: u64,
    pub align: u64,
    pub flags: SegmentFlags,
}

impl Segment {
    /// One past the last byte in memory (cannot overflow for a validated segment).
    pub fn end(&self) -> u64 {
        self.vaddr.saturating_add(self.memsz)
    }
}

/// A validated executable.
#[derive(Clone, PartialEq, Eq)]
pub struct ElfImage {
    pub entry: u64,
    segments: [Segment; MAX_SEGMENTS],
    count: usize,
}

impl ElfImage {
    /// The `PT_LOAD` segments in file order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.count]
    }

    /// Sum of `memsz` over all segments.
    pub fn total_memory(&self) -> u64 {
        self.segments().iter().map(|s| s.memsz).sum()
    }
}

impl fmt::Debug for ElfImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElfImage")
            .field("entry", &format_args!("{:#x}", self.entry))
            .field("segments", &self.segments())
            .finish()
    }
}

/// Validates `data` as an x86-64 ELF64 executable under `policy`.
pub fn parse(data: &[u8], policy: &LoadPolicy) -> Result<ElfImage, ElfError> {
    header::parse(data, policy)
}
