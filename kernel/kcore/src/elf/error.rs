//! Why an ELF was rejected.

use core::fmt;

/// Why an ELF was rejected. `index` is the program header's index in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Input shorter than the ELF header.
    Truncated {
        len: usize,
        needed: usize,
    },
    BadMagic,
    NotElf64 {
        class: u8,
    },
    NotLittleEndian {
        data: u8,
    },
    BadVersion {
        version: u32,
    },
    NotX86_64 {
        machine: u16,
    },
    NotExecutable {
        e_type: u16,
    },
    BadHeaderSize {
        ehsize: u16,
    },
    BadProgramHeaderSize {
        phentsize: u16,
    },
    /// The program header table runs past the end of the input (or past 2^64).
    ProgramHeadersOutOfFile {
        phoff: u64,
        phnum: u16,
    },
    TooManySegments {
        count: usize,
        max: usize,
    },
    NoLoadSegments,
    /// `PT_INTERP` present: dynamically linked programs are not supported.
    NeedsInterpreter,
    FileSizeExceedsMemSize {
        index: usize,
        filesz: u64,
        memsz: u64,
    },
    SegmentOutOfFile {
        index: usize,
        offset: u64,
        filesz: u64,
    },
    /// `vaddr + memsz` overflows.
    AddressOverflow {
        index: usize,
    },
    SegmentOutsideUserRange {
        index: usize,
        vaddr: u64,
        end: u64,
    },
    BadAlignment {
        index: usize,
        align: u64,
    },
    /// `vaddr` and `offset` disagree modulo `align`.
    MisalignedSegment {
        index: usize,
    },
    OverlappingSegments {
        first: usize,
        second: usize,
    },
    TooMuchMemory {
        total: u64,
        max: u64,
    },
    EntryNotExecutable {
        entry: u64,
    },
    /// Loading: the page sink had no page for this address.
    PageUnavailable {
        vaddr: u64,
    },
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
            NotX86_64 { machine } if cfg!(target_arch = "aarch64") => {
                write!(f, "not aarch64 (machine {machine:#x})")
            }
            NotX86_64 { machine } => write!(f, "not x86-64 (machine {machine:#x})"),
            NotExecutable { e_type } => {
                write!(
                    f,
                    "not a static executable (type {e_type}; link with relocation-model=static)"
                )
            }
            BadHeaderSize { ehsize } => write!(f, "ELF header size {ehsize}, expected 64"),
            BadProgramHeaderSize { phentsize } => {
                write!(f, "program header size {phentsize}, expected 56")
            }
            ProgramHeadersOutOfFile { phoff, phnum } => {
                write!(
                    f,
                    "{phnum} program headers at {phoff:#x} run past the end of the file"
                )
            }
            TooManySegments { count, max } => write!(f, "{count} segments, at most {max} allowed"),
            NoLoadSegments => write!(f, "no PT_LOAD segments"),
            NeedsInterpreter => write!(f, "has PT_INTERP: dynamic linking is not supported"),
            FileSizeExceedsMemSize {
                index,
                filesz,
                memsz,
            } => {
                write!(f, "segment {index}: filesz {filesz:#x} > memsz {memsz:#x}")
            }
            SegmentOutOfFile {
                index,
                offset,
                filesz,
            } => write!(
                f,
                "segment {index}: file bytes {offset:#x}+{filesz:#x} run past the end of the file"
            ),
            AddressOverflow { index } => write!(f, "segment {index}: vaddr + memsz overflows"),
            SegmentOutsideUserRange { index, vaddr, end } => {
                write!(
                    f,
                    "segment {index}: {vaddr:#x}..{end:#x} is outside the user range"
                )
            }
            BadAlignment { index, align } => {
                write!(
                    f,
                    "segment {index}: alignment {align:#x} is not a power of two"
                )
            }
            MisalignedSegment { index } => {
                write!(
                    f,
                    "segment {index}: vaddr and offset disagree modulo alignment"
                )
            }
            OverlappingSegments { first, second } => {
                write!(f, "segments {first} and {second} overlap in memory")
            }
            TooMuchMemory { total, max } => {
                write!(
                    f,
                    "segments need {total:#x} bytes, at most {max:#x} allowed"
                )
            }
            EntryNotExecutable { entry } => {
                write!(f, "entry {entry:#x} is not inside an executable segment")
            }
            PageUnavailable { vaddr } => write!(f, "no destination page for {vaddr:#x}"),
            SegmentMismatch => write!(f, "segment does not match the ELF input"),
        }
    }
}
