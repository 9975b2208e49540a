//! Copying validated segments into destination pages.

use super::{ElfError, ElfImage, Segment, PAGE_SIZE};

/// Where segment bytes go: the kernel maps a fresh frame for each user page and returns
/// its (identity-mapped) bytes. Segments may share a page (one ends and the next begins in
/// it); the sink must then return the same page both times (and may widen its permissions
/// to the union of both segments' flags).
pub trait PageSink {
    /// The 4 KiB destination page at `page_vaddr` (a multiple of [`PAGE_SIZE`]) for
    /// `segment`, or `None` if it cannot be provided (out of memory).
    fn page(&mut self, page_vaddr: u64, segment: &Segment)
        -> Option<&mut [u8; PAGE_SIZE as usize]>;
}

/// Copies `segment`'s file bytes from `data` and zero-fills the rest up to `memsz`.
/// Writes only bytes inside `[vaddr, vaddr + memsz)`; other bytes of shared pages stay.
/// The segment is re-checked against `data`, so a hand-made `Segment` cannot read out of
/// bounds either.
pub fn load_segment(
    data: &[u8],
    segment: &Segment,
    sink: &mut dyn PageSink,
) -> Result<(), ElfError> {
    let s = segment;
    let end = s
        .vaddr
        .checked_add(s.memsz)
        .ok_or(ElfError::SegmentMismatch)?;
    let file = usize::try_from(s.offset)
        .ok()
        .zip(usize::try_from(s.filesz).ok())
        .filter(|_| s.filesz <= s.memsz)
        .and_then(|(off, len)| data.get(off..off.checked_add(len)?))
        .ok_or(ElfError::SegmentMismatch)?;
    let file_end = s.vaddr + s.filesz;
    let mut page = s.vaddr & !(PAGE_SIZE - 1);
    while page < end {
        let dst = sink
            .page(page, segment)
            .ok_or(ElfError::PageUnavailable { vaddr: page })?;
        let page_end = page.saturating_add(PAGE_SIZE);
        let (lo, hi) = (s.vaddr.max(page), end.min(page_end));
        let copy_hi = hi.min(file_end).max(lo);
        // All offsets below are < PAGE_SIZE (within this page) or < filesz (within `file`).
        let (dlo, dcopy, dhi) = (
            (lo - page) as usize,
            (copy_hi - page) as usize,
            (hi - page) as usize,
        );
        if dcopy > dlo {
            let src = (lo - s.vaddr) as usize;
            dst[dlo..dcopy].copy_from_slice(&file[src..src + (dcopy - dlo)]);
        }
        dst[dcopy..dhi].fill(0);
        match page.checked_add(PAGE_SIZE) {
            Some(next) => page = next,
            None => break,
        }
    }
    Ok(())
}

/// Loads every segment of `image` (which must come from [`super::parse`] on `data`).
pub fn load_image(data: &[u8], image: &ElfImage, sink: &mut dyn PageSink) -> Result<(), ElfError> {
    for segment in image.segments() {
        load_segment(data, segment, sink)?;
    }
    Ok(())
}
