//! ELF header and program header validation.

use super::{ElfError, ElfImage, LoadPolicy};

pub(super) fn parse(data: &[u8], policy: &LoadPolicy) -> Result<ElfImage, ElfError> {
    unimplemented!("{} {policy:?}", data.len())
}
