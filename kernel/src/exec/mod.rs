//! Loading user programs: the ELF images embedded in the kernel, validated and copied into
//! a process's pages by kcore's loader.
use crate::proc::UserTables;
use kcore::elf::{self, ElfError, ElfImage, LoadPolicy, PageSink, Segment, PAGE_SIZE};

/// `userspace/hello`, built by scripts/build-kernel.sh before the kernel.
pub static HELLO_ELF: &[u8] = include_bytes!(env!(
    "RUSTUX_HELLO_ELF",
    "RUSTUX_HELLO_ELF is not set: build the kernel with scripts/build-kernel.sh (make kernel), \
     which builds userspace/hello first and points RUSTUX_HELLO_ELF at it"
));

/// Hands the loader one zeroed, freshly mapped user page per page address (the same page
/// again when two segments share it).
struct Sink<'a> {
    tables: &'a mut UserTables,
    pmm: &'a mut crate::mm::phys::Pmm,
}

impl PageSink for Sink<'_> {
    fn page(
        &mut self,
        page_vaddr: u64,
        _segment: &Segment,
    ) -> Option<&mut [u8; PAGE_SIZE as usize]> {
        let frame = match self.tables.translate(page_vaddr) {
            Some(t) => t.paddr,
            None => self.tables.map_new_page(self.pmm, page_vaddr).ok()?,
        };
        // SAFETY: `frame` is a RAM frame in the identity map that only this process's
        // page maps; the loader's borrow ends before anything else touches it.
        Some(unsafe { &mut *(frame as *mut [u8; PAGE_SIZE as usize]) })
    }
}

/// Validates `data` and loads its segments into `tables`.
pub fn load(
    data: &[u8],
    tables: &mut UserTables,
    pmm: &mut crate::mm::phys::Pmm,
) -> Result<ElfImage, ElfError> {
    let image = elf::parse(data, &LoadPolicy::USER_DEFAULT)?;
    elf::load_image(data, &image, &mut Sink { tables, pmm })?;
    Ok(image)
}
