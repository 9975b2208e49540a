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

mod header;
mod load;

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

/// Why an ELF was rejected. `index` is the program header's index in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Input shorter than the ELF header.
    Truncated { len: usize, needed: usize },
    BadMagic,
    NotElf64 { class: u8 },
    NotLittleEndian { data: u8 },
    BadVersion { version: u32 },
    NotX86_64 { machine: u16 },
    NotExecutable { e_type: u16 },
    BadHeaderSize { ehsize: u16 },
    BadProgramHeaderSize { phentsize: u16 },
    /// The program header table runs past the end of the input (or past 2^64).
    ProgramHeadersOutOfFile { phoff: u64, phnum: u16 },
    TooManySegments { count: usize, max: usize },
    NoLoadSegments,
    /// `PT_INTERP` present: dynamically linked programs are not supported.
    NeedsInterpreter,
    FileSizeExceedsMemSize { index: usize, filesz: u64, memsz: u64 },
    SegmentOutOfFile { index: usize, offset: u64, filesz: u64 },
    /// `vaddr + memsz` overflows.
    AddressOverflow { index: usize },
    SegmentOutsideUserRange { index: usize, vaddr: u64, end: u64 },
    BadAlignment { index: usize, align: u64 },
    /// `vaddr` and `offset` disagree modulo `align`.
    MisalignedSegment { index: usize },
    OverlappingSegments { first: usize, second: usize },
    TooMuchMemory { total: u64, max: u64 },
    EntryNotExecutable { entry: u64 },
    /// Loading: the page sink had no page for this address.
    PageUnavailable { vaddr: u64 },
    /// Loading: the segment does not match the input it is loaded from.
    SegmentMismatch,
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ElfError::*;
        match *self {
            Truncated { len, needed } => write!(f, "truncated: {len} bytes, need {needed}"),
            BadMagic => write!(f, "not an ELF file (bad magic)"),
            NotElf64 { class } => write!(f, "not ELF64 (class {class})"),
            NotLittleEndian { data } => write!(f, "not little-endian (data {data})"),
            BadVersion { version } => write!(f, "unknown ELF version {version}"),
            NotX86_64 { machine } => write!(f, "not x86-64 (machine {machine:#x})"),
            NotExecutable { e_type } => {
                write!(f, "not a static executable (type {e_type}; link with relocation-model=static)")
            }
            BadHeaderSize { ehsize } => write!(f, "ELF header size {ehsize}, expected 64"),
            BadProgramHeaderSize { phentsize } => {
                write!(f, "program header size {phentsize}, expected 56")
            }
            ProgramHeadersOutOfFile { phoff, phnum } => {
                write!(f, "{phnum} program headers at {phoff:#x} run past the end of the file")
            }
            TooManySegments { count, max } => write!(f, "{count} segments, at most {max} allowed"),
            NoLoadSegments => write!(f, "no PT_LOAD segments"),
            NeedsInterpreter => write!(f, "has PT_INTERP: dynamic linking is not supported"),
            FileSizeExceedsMemSize { index, filesz, memsz } => {
                write!(f, "segment {index}: filesz {filesz:#x} > memsz {memsz:#x}")
            }
            SegmentOutOfFile { index, offset, filesz } => write!(
                f,
                "segment {index}: file bytes {offset:#x}+{filesz:#x} run past the end of the file"
            ),
            AddressOverflow { index } => write!(f, "segment {index}: vaddr + memsz overflows"),
            SegmentOutsideUserRange { index, vaddr, end } => {
                write!(f, "segment {index}: {vaddr:#x}..{end:#x} is outside the user range")
            }
            BadAlignment { index, align } => {
                write!(f, "segment {index}: alignment {align:#x} is not a power of two")
            }
            MisalignedSegment { index } => {
                write!(f, "segment {index}: vaddr and offset disagree modulo alignment")
            }
            OverlappingSegments { first, second } => {
                write!(f, "segments {first} and {second} overlap in memory")
            }
            TooMuchMemory { total, max } => {
                write!(f, "segments need {total:#x} bytes, at most {max:#x} allowed")
            }
            EntryNotExecutable { entry } => {
                write!(f, "entry {entry:#x} is not inside an executable segment")
            }
            PageUnavailable { vaddr } => write!(f, "no destination page for {vaddr:#x}"),
            SegmentMismatch => write!(f, "segment does not match the ELF input"),
        }
    }
}

/// Validates `data` as an x86-64 ELF64 executable under `policy`.
pub fn parse(data: &[u8], policy: &LoadPolicy) -> Result<ElfImage, ElfError> {
    header::parse(data, policy)
}
