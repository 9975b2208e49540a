//! UEFI device paths: the file node the loader appends to the RAM disk's file system, as the
//! boot manager does for `\EFI\BOOT\BOOTX64.EFI` (`BOOTAA64.EFI` on arm64), and the prefix
//! test that finds that file system among all of them.

/// The removable-media boot file, as the firmware's boot manager looks for it.
#[cfg(target_arch = "x86_64")]
pub const BOOT_FILE: &str = "\\EFI\\BOOT\\BOOTX64.EFI";
#[cfg(target_arch = "aarch64")]
pub const BOOT_FILE: &str = "\\EFI\\BOOT\\BOOTAA64.EFI";
const MEDIA: u8 = 4;
const MEDIA_FILE_PATH: u8 = 4;
const END: u8 = 0x7f;
const END_ENTIRE: u8 = 0xff;
pub const END_NODE: [u8; 4] = [END, END_ENTIRE, 4, 0];

/// Bytes of a whole path (up to its end node, excluded), walking its nodes' lengths; None if malformed.
pub fn body_len(path: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let node = path.get(at..at + 4)?;
        if node[0] == END && node[1] == END_ENTIRE {
            return Some(at);
        }
        let len = usize::from(u16::from_le_bytes([node[2], node[3]]));
        if len < 4 {
            return None;
        }
        at += len;
    }
}

/// Whether `path` lies on the device `prefix` names (both whole paths, end nodes included).
pub fn starts_with(path: &[u8], prefix: &[u8]) -> bool {
    match (body_len(path), body_len(prefix)) {
        (Some(p), Some(q)) => q <= p && path[..q] == prefix[..q],
        _ => false,
    }
}

/// A media file path node for `name` (UTF-16, NUL-terminated) followed by the end node;
/// `out` must hold `file_node_len(name)` bytes. Returns the bytes written.
pub fn write_file_node(name: &str, out: &mut [u8]) -> usize {
    let len = file_node_len(name);
    let node = (len - END_NODE.len()) as u16;
    out[..4].copy_from_slice(&[MEDIA, MEDIA_FILE_PATH, node as u8, (node >> 8) as u8]);
    let mut at = 4;
    for unit in name.encode_utf16().chain(core::iter::once(0)) {
        out[at..at + 2].copy_from_slice(&unit.to_le_bytes());
        at += 2;
    }
    out[at..at + 4].copy_from_slice(&END_NODE);
    len
}

pub fn file_node_len(name: &str) -> usize {
    4 + 2 * (name.encode_utf16().count() + 1) + END_NODE.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    // PciRoot(0)/Pci(0x1f,0x2) style: a 6-byte node, then the end
    const DISK: [u8; 10] = [2, 1, 6, 0, 0, 0, 0x7f, 0xff, 4, 0];

    #[test]
    fn the_file_node_is_utf16_with_its_length_and_an_end() {
        let mut out = [0u8; 64];
        let n = write_file_node("\\A", &mut out);
        assert_eq!(n, file_node_len("\\A"));
        assert_eq!(&out[..n], &[4, 4, 10, 0, b'\\', 0, b'A', 0, 0, 0, 0x7f, 0xff, 4, 0]);
    }

    #[test]
    fn a_partition_of_the_disk_starts_with_the_disk() {
        let partition = [&DISK[..6], &[4, 1, 4, 0], &END_NODE[..]].concat();
        assert!(starts_with(&partition, &DISK));
        assert!(starts_with(&DISK, &DISK));
        assert!(!starts_with(&DISK, &partition));
    }

    #[test]
    fn another_disk_does_not() {
        let other = [2, 1, 6, 0, 1, 0, 0x7f, 0xff, 4, 0];
        assert!(!starts_with(&other, &DISK));
    }

    #[test]
    fn a_node_shorter_than_its_header_is_malformed() {
        assert_eq!(body_len(&[2, 1, 2, 0, 0x7f, 0xff, 4, 0]), None);
        assert_eq!(body_len(&[2, 1]), None);
    }
}
