//! QEMU's fw_cfg as the loader uses it: find a file by name in the directory (key 0x19),
//! then read it in one DMA access (or write one: ramfb's config). All fields on the wire are big-endian.

/// Selector keys (QEMU docs/specs/fw_cfg.rst).
pub const SIGNATURE: u16 = 0x0000;
pub const ID: u16 = 0x0001;
pub const FILE_DIR: u16 = 0x0019;
/// `ID` bit: the DMA interface is there.
pub const ID_DMA: u32 = 1 << 1;
/// DMA control bits.
pub const DMA_ERROR: u32 = 1 << 0;
pub const DMA_READ: u32 = 1 << 1;
pub const DMA_SELECT: u32 = 1 << 3;
pub const DMA_WRITE: u32 = 1 << 4;

/// The file the lab gives the restoring QEMU: the boot's ESP as a FAT image.
pub const ESP_FILE: &[u8] = b"opt/rustux/esp";
/// Anything smaller is the placeholder the snapshot was taken with, not an ESP.
pub const MIN_ESP_SIZE: u32 = 64 * 1024;

const ENTRY_SIZE: usize = 64;
const NAME_SIZE: usize = 56;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileEntry {
    pub size: u32,
    pub select: u16,
}

/// The number of entries a directory says it has (its first 4 bytes).
pub fn dir_count(head: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*head)
}

/// The entry named `name` among `entries` (the directory without its count), if any.
pub fn find_file(entries: &[u8], name: &[u8]) -> Option<FileEntry> {
    entries.chunks_exact(ENTRY_SIZE).find_map(|e| {
        let stored = &e[8..8 + NAME_SIZE];
        let len = stored.iter().position(|&b| b == 0).unwrap_or(NAME_SIZE);
        (&stored[..len] == name).then(|| FileEntry {
            size: u32::from_be_bytes([e[0], e[1], e[2], e[3]]),
            select: u16::from_be_bytes([e[4], e[5]]),
        })
    })
}

/// Bytes a directory of `count` entries takes after its count.
pub fn dir_len(count: u32) -> usize {
    count as usize * ENTRY_SIZE
}

/// `FWCfgDmaAccess` as the device reads it from guest memory.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaAccess {
    pub control: u32,
    pub length: u32,
    pub address: u64,
}

impl DmaAccess {
    /// Select `key` and read `length` bytes into guest-physical `address`.
    pub fn read(key: u16, length: u32, address: u64) -> Self {
        DmaAccess {
            control: ((u32::from(key) << 16) | DMA_SELECT | DMA_READ).to_be(),
            length: length.to_be(),
            address: address.to_be(),
        }
    }

    /// Select `key` and write `length` bytes from guest-physical `address` to it.
    pub fn write(key: u16, length: u32, address: u64) -> Self {
        DmaAccess { control: ((u32::from(key) << 16) | DMA_SELECT | DMA_WRITE).to_be(), ..Self::read(key, length, address) }
    }

    /// `Some(true)` done, `Some(false)` failed, `None` still running (control as the device left it).
    pub fn outcome(control_be: u32) -> Option<bool> {
        let control = u32::from_be(control_be);
        if control & DMA_ERROR != 0 {
            Some(false)
        } else if control == 0 {
            Some(true)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size: u32, select: u16, name: &[u8]) -> [u8; ENTRY_SIZE] {
        let mut e = [0u8; ENTRY_SIZE];
        e[..4].copy_from_slice(&size.to_be_bytes());
        e[4..6].copy_from_slice(&select.to_be_bytes());
        e[8..8 + name.len()].copy_from_slice(name);
        e
    }

    #[test]
    fn finds_a_file_by_its_whole_name() {
        let dir = [entry(10, 0x20, b"etc/boot-fail-wait"), entry(4 << 20, 0x21, ESP_FILE)].concat();
        assert_eq!(find_file(&dir, ESP_FILE), Some(FileEntry { size: 4 << 20, select: 0x21 }));
        assert_eq!(find_file(&dir, b"opt/rustux"), None, "a prefix is not the file");
    }

    #[test]
    fn a_directory_without_the_file_finds_nothing() {
        assert_eq!(find_file(&entry(1, 0x20, b"etc/e820"), ESP_FILE), None);
        assert_eq!(find_file(&[], ESP_FILE), None);
    }

    #[test]
    fn the_count_and_length_are_big_endian() {
        assert_eq!(dir_count(&[0, 0, 0, 3]), 3);
        assert_eq!(dir_len(3), 192);
    }

    #[test]
    fn a_dma_read_selects_and_reads_in_big_endian() {
        let a = DmaAccess::read(0x21, 0x1000, 0x8000_0000);
        assert_eq!(u32::from_be(a.control), 0x0021_000a);
        assert_eq!(u32::from_be(a.length), 0x1000);
        assert_eq!(u64::from_be(a.address), 0x8000_0000);
        assert_eq!(core::mem::size_of::<DmaAccess>(), 16);
    }

    #[test]
    fn a_dma_write_selects_and_writes() {
        let a = DmaAccess::write(0x22, 28, 0x1000);
        assert_eq!(u32::from_be(a.control), 0x0022_0018);
        assert_eq!(u32::from_be(a.length), 28);
    }

    #[test]
    fn dma_outcome_reads_error_done_and_busy() {
        assert_eq!(DmaAccess::outcome(0), Some(true));
        assert_eq!(DmaAccess::outcome(DMA_ERROR.to_be()), Some(false));
        assert_eq!(DmaAccess::outcome(DMA_READ.to_be()), None);
    }
}
