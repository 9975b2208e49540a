//! Copying validated segments into destination pages.

use super::{ElfError, ElfImage, Segment, PAGE_SIZE};

/// Where segment bytes go: the kernel maps a fresh frame for each user page and returns
/// its (identity-mapped) bytes. Segments may share a page (one ends and the next begins in
/// it); the sink must return the same page both times.
pub trait PageSink {
    /// The 4 KiB destination page at `page_vaddr` (a multiple of [`PAGE_SIZE`]), or `None`
    /// if it cannot be provided (out of memory).
    fn page(&mut self, page_vaddr: u64, segment: &Segment) -> Option<&mut [u8; PAGE_SIZE as usize]>;
}

/// Copies `segment`'s file bytes from `data` and zero-fills the rest up to `memsz`.
/// Writes only bytes inside `[vaddr, vaddr + memsz)`; other bytes of shared pages stay.
pub fn load_segment(data: &[u8], segment: &Segment, sink: &mut dyn PageSink) -> Result<(), ElfError> {
    unimplemented!("{} {segment:?} {:p}", data.len(), sink)
}

/// Loads every segment of `image` (which must come from [`super::parse`] on `data`).
pub fn load_image(data: &[u8], image: &ElfImage, sink: &mut dyn PageSink) -> Result<(), ElfError> {
    for segment in image.segments() {
        load_segment(data, segment, sink)?;
    }
    Ok(())
}
