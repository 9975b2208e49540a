//! Loading user programs: kcore's loader validates the ELF and copies its segments into
//! pages of one VMO per segment, mapped into the process's tables.
use crate::mm::phys::zeroed_frame;
use crate::proc::vmo::Vmo;
use crate::proc::UserTables;
use alloc::vec::Vec;
use kcore::elf::{self, ElfError, ElfImage, LoadPolicy, PageSink, Segment, PAGE_SIZE};

/// `userspace/hello`, built by scripts/build-kernel.sh before the kernel: pid 1 until the
/// initrd carries `/bin/init`.
pub static HELLO_ELF: &[u8] = include_bytes!(env!(
    "RUSTUX_HELLO_ELF",
    "RUSTUX_HELLO_ELF is not set: build the kernel with scripts/build-kernel.sh (make kernel), \
     which builds userspace/hello first and points RUSTUX_HELLO_ELF at it"
));

pub enum LoadError {
    Elf(ElfError),
    NoMemory,
}

/// Hands the loader one zeroed, freshly mapped user page per page address (the same page
/// again when two segments share it); each new page joins its segment's VMO.
struct Sink<'a> {
    tables: &'a mut UserTables,
    vmos: Vec<(u64, Vmo)>,
    out_of_memory: bool,
}

impl PageSink for Sink<'_> {
    fn page(
        &mut self,
        page_vaddr: u64,
        segment: &Segment,
    ) -> Option<&mut [u8; PAGE_SIZE as usize]> {
        let frame = match self.tables.translate(page_vaddr) {
            Some(t) => t.paddr,
            None => {
                let frame = crate::mm::with_pmm(zeroed_frame);
                let Some(frame) = frame else {
                    self.out_of_memory = true;
                    return None;
                };
                let vmo = match self.vmos.iter().position(|(v, _)| *v == segment.vaddr) {
                    Some(i) => &mut self.vmos[i].1,
                    None => {
                        self.vmos.push((segment.vaddr, Vmo::empty()));
                        &mut self.vmos.last_mut()?.1
                    }
                };
                vmo.push(frame);
                let tables = &mut *self.tables;
                if crate::mm::with_pmm(|pmm| tables.map_frame(pmm, page_vaddr, frame, true))
                    .is_err()
                {
                    self.out_of_memory = true;
                    return None;
                }
                frame
            }
        };
        // SAFETY: `frame` is a RAM frame in the identity map that only this process's
        // page maps; the loader's borrow ends before anything else touches it.
        Some(unsafe { &mut *(frame as *mut [u8; PAGE_SIZE as usize]) })
    }
}

/// Validates `data` and loads its segments into `tables`; returns the image and the VMOs
/// holding its pages.
pub fn load(data: &[u8], tables: &mut UserTables) -> Result<(ElfImage, Vec<Vmo>), LoadError> {
    let image = elf::parse(data, &LoadPolicy::USER_DEFAULT).map_err(LoadError::Elf)?;
    let mut sink = Sink {
        tables,
        vmos: Vec::new(),
        out_of_memory: false,
    };
    let loaded = elf::load_image(data, &image, &mut sink);
    let vmos = sink.vmos.into_iter().map(|(_, v)| v).collect();
    match loaded {
        Ok(()) => Ok((image, vmos)),
        Err(_) if sink.out_of_memory => Err(LoadError::NoMemory),
        Err(e) => Err(LoadError::Elf(e)),
    }
}
