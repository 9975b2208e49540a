//! The initrd: `\EFI\rustux\initrd.cpio` on the boot volume, read through UEFI's file
//! protocols before ExitBootServices, validated whole by kcore's cpio parser, then served
//! read-only to processes (spawn, open, stat, readdir).
use crate::once::KernelCell;
use crate::uefi::file::{self, ReadError};
use crate::uefi::{BootServices, Handle};
use kcore::cpio::{Archive, CpioError, Entry, LookupError};

/// Where the build puts the archive on the ESP (also the text of the milestone lines).
pub const PATH: &str = "\\EFI\\rustux\\initrd.cpio";
const PATH_UCS2: [u16; PATH.len() + 1] = ucs2(PATH);

const fn ucs2<const N: usize>(s: &str) -> [u16; N] {
    let mut out = [0u16; N];
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i] as u16;
        i += 1;
    }
    out
}

static ARCHIVE: KernelCell<Option<Archive<'static>>> = KernelCell::new(None);

/// The archive's bytes from the boot volume (boot services must still run).
pub fn read(bs: &BootServices, image: Handle) -> Result<&'static [u8], ReadError> {
    file::read_boot_file(bs, image, &PATH_UCS2)
}

/// Validates and keeps the archive; returns its file count and file bytes.
pub fn install(data: &'static [u8]) -> Result<(usize, usize), CpioError> {
    let archive = Archive::parse(data)?;
    let counts = (archive.files(), archive.file_bytes());
    ARCHIVE.with(|a| *a = Some(archive));
    Ok(counts)
}

/// The entry at an absolute path (`/bin/sh`, `/` for the root).
pub fn lookup(path: &str) -> Option<Entry<'static>> {
    ARCHIVE.with(|a| a.as_ref()?.lookup(path))
}

pub fn readdir(path: &str, index: usize) -> Result<Option<Entry<'static>>, LookupError> {
    ARCHIVE.with(|a| match a.as_ref() {
        Some(archive) => archive.readdir(path, index),
        None => Err(LookupError::NotFound),
    })
}
