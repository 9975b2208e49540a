//! ELF header and program header validation. Every read goes through [`Reader`], which
//! returns `None` instead of indexing past the input.

use super::{ElfError, ElfImage, LoadPolicy, Segment, SegmentFlags, MAX_SEGMENTS};

const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
/// Cap on program headers of any type, so a huge `e_phnum` cannot make us loop long.
const MAX_PROGRAM_HEADERS: usize = 64;
const ET_EXEC: u16 = 2;
/// The machine the loader accepts: the one kcore is built for (EM_X86_64 62, EM_AARCH64 183).
#[cfg(not(target_arch = "aarch64"))]
const EM_NATIVE: u16 = 62;
#[cfg(target_arch = "aarch64")]
const EM_NATIVE: u16 = 183;
const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;

/// Little-endian fields at offsets of a byte slice.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.0.get(at..at.checked_add(N)?)?.try_into().ok()
    }
    fn u16(&self, at: usize) -> Option<u16> {
        self.bytes(at).map(u16::from_le_bytes)
    }
    fn u32(&self, at: usize) -> Option<u32> {
        self.bytes(at).map(u32::from_le_bytes)
    }
    fn u64(&self, at: usize) -> Option<u64> {
        self.bytes(at).map(u64::from_le_bytes)
    }
}

pub(super) fn parse(data: &[u8], policy: &LoadPolicy) -> Result<ElfImage, ElfError> {
    let r = Reader(data);
    let truncated = ElfError::Truncated {
        len: data.len(),
        needed: EHDR_SIZE,
    };
    let ident: [u8; 16] = r.bytes(0).ok_or(truncated)?;
    if data.len() < EHDR_SIZE {
        return Err(truncated);
    }
    if ident[..4] != *b"\x7fELF" {
        return Err(ElfError::BadMagic);
    }
    if ident[4] != 2 {
        return Err(ElfError::NotElf64 { class: ident[4] });
    }
    if ident[5] != 1 {
        return Err(ElfError::NotLittleEndian { data: ident[5] });
    }
    let field16 = |at| r.u16(at).ok_or(truncated);
    let field64 = |at| r.u64(at).ok_or(truncated);
    let version = r.u32(20).ok_or(truncated)?;
    if ident[6] != 1 || version != 1 {
        return Err(ElfError::BadVersion {
            version: if ident[6] != 1 {
                ident[6].into()
            } else {
                version
            },
        });
    }
    let e_type = field16(16)?;
    if e_type != ET_EXEC {
        return Err(ElfError::NotExecutable { e_type });
    }
    let machine = field16(18)?;
    if machine != EM_NATIVE {
        return Err(ElfError::NotX86_64 { machine });
    }
    let (entry, phoff) = (field64(24)?, field64(32)?);
    let (ehsize, phentsize, phnum) = (field16(52)?, field16(54)?, field16(56)?);
    if usize::from(ehsize) != EHDR_SIZE {
        return Err(ElfError::BadHeaderSize { ehsize });
    }
    if phnum == 0 {
        return Err(ElfError::NoLoadSegments);
    }
    if usize::from(phentsize) != PHDR_SIZE {
        return Err(ElfError::BadProgramHeaderSize { phentsize });
    }
    if usize::from(phnum) > MAX_PROGRAM_HEADERS {
        return Err(ElfError::TooManySegments {
            count: phnum.into(),
            max: MAX_PROGRAM_HEADERS,
        });
    }
    let table = usize::try_from(phoff).ok().and_then(|off| {
        let end = off.checked_add(usize::from(phnum) * PHDR_SIZE)?;
        data.get(off..end)
    });
    let table = table.ok_or(ElfError::ProgramHeadersOutOfFile { phoff, phnum })?;

    let max = policy.max_segments.min(MAX_SEGMENTS);
    let mut image = ElfImage {
        entry,
        segments: [Segment::default(); MAX_SEGMENTS],
        count: 0,
    };
    let mut indices = [0usize; MAX_SEGMENTS];
    let mut total: u64 = 0;
    for (index, ph) in table.chunks_exact(PHDR_SIZE).enumerate() {
        let ph = Reader(ph);
        // Each chunk is exactly PHDR_SIZE bytes, so these reads are in bounds.
        let (p_type, p_flags) = (ph.u32(0).unwrap_or(0), ph.u32(4).unwrap_or(0));
        match p_type {
            PT_INTERP => return Err(ElfError::NeedsInterpreter),
            PT_LOAD => {}
            _ => continue,
        }
        if image.count == max {
            return Err(ElfError::TooManySegments {
                count: image.count + 1,
                max,
            });
        }
        let seg = Segment {
            offset: ph.u64(8).unwrap_or(0),
            vaddr: ph.u64(16).unwrap_or(0),
            filesz: ph.u64(32).unwrap_or(0),
            memsz: ph.u64(40).unwrap_or(0),
            align: ph.u64(48).unwrap_or(0),
            flags: SegmentFlags {
                read: p_flags & PF_R != 0,
                write: p_flags & PF_W != 0,
                exec: p_flags & PF_X != 0,
            },
        };
        check_segment(index, &seg, data.len(), policy)?;
        for (k, other) in image.segments().iter().enumerate() {
            if seg.vaddr < other.end() && other.vaddr < seg.end() {
                return Err(ElfError::OverlappingSegments {
                    first: indices[k],
                    second: index,
                });
            }
        }
        total = total.saturating_add(seg.memsz);
        if total > policy.max_total_mem {
            return Err(ElfError::TooMuchMemory {
                total,
                max: policy.max_total_mem,
            });
        }
        indices[image.count] = index;
        image.segments[image.count] = seg;
        image.count += 1;
    }
    if image.count == 0 {
        return Err(ElfError::NoLoadSegments);
    }
    let runs_entry = |s: &Segment| s.flags.exec && s.vaddr <= entry && entry < s.end();
    if !image.segments().iter().any(runs_entry) {
        return Err(ElfError::EntryNotExecutable { entry });
    }
    Ok(image)
}

fn check_segment(
    index: usize,
    s: &Segment,
    file_len: usize,
    policy: &LoadPolicy,
) -> Result<(), ElfError> {
    if s.filesz > s.memsz {
        return Err(ElfError::FileSizeExceedsMemSize {
            index,
            filesz: s.filesz,
            memsz: s.memsz,
        });
    }
    let file_end = s.offset.checked_add(s.filesz);
    if file_end.is_none_or(|end| end > file_len as u64) {
        return Err(ElfError::SegmentOutOfFile {
            index,
            offset: s.offset,
            filesz: s.filesz,
        });
    }
    let end = s
        .vaddr
        .checked_add(s.memsz)
        .ok_or(ElfError::AddressOverflow { index })?;
    if s.vaddr < policy.user_start || end > policy.user_end {
        return Err(ElfError::SegmentOutsideUserRange {
            index,
            vaddr: s.vaddr,
            end,
        });
    }
    if s.align > 1 {
        if !s.align.is_power_of_two() {
            return Err(ElfError::BadAlignment {
                index,
                align: s.align,
            });
        }
        if s.vaddr % s.align != s.offset % s.align {
            return Err(ElfError::MisalignedSegment { index });
        }
    }
    Ok(())
}
