//! QEMU's ramfb (the GOP of `virt`): the guest tells the device where its framebuffer is by
//! writing a `RAMFBCfg` to the fw_cfg file `etc/ramfb` (hw/display/ramfb.c, big-endian fields).
//! QEMU 7.2 does not migrate that state, so a restored machine has no display until the
//! config is written again: the loader writes what the firmware's GOP already uses.

/// The fw_cfg file a ramfb device adds (absent on a machine without one).
pub const RAMFB_FILE: &[u8] = b"etc/ramfb";
/// DRM_FORMAT_XRGB8888 (`XR24`), what AAVMF's QemuRamfbDxe sets up.
pub const XRGB8888: u32 = u32::from_le_bytes(*b"XR24");
/// The GOP pixel format that is XRGB8888 in memory (`PixelBlueGreenRedReserved8BitPerColor`).
pub const GOP_BGRX: u32 = 1;
pub const CONFIG_SIZE: usize = 28;

/// The config bytes for a `width` x `height` XRGB8888 framebuffer at `address`,
/// `pixels_per_line` pixels apart from one line to the next.
pub fn config(address: u64, width: u32, height: u32, pixels_per_line: u32) -> [u8; CONFIG_SIZE] {
    let mut out = [0u8; CONFIG_SIZE];
    out[0..8].copy_from_slice(&address.to_be_bytes());
    out[8..12].copy_from_slice(&XRGB8888.to_be_bytes());
    // flags (4 bytes) stay 0
    out[16..20].copy_from_slice(&width.to_be_bytes());
    out[20..24].copy_from_slice(&height.to_be_bytes());
    out[24..28].copy_from_slice(&(pixels_per_line * 4).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_is_big_endian_in_qemus_field_order() {
        let c = config(0x4000_0000, 800, 600, 800);
        assert_eq!(&c[0..8], &[0, 0, 0, 0, 0x40, 0, 0, 0]);
        assert_eq!(&c[8..12], b"42RX", "the fourcc 'XR24' as a big-endian word");
        assert_eq!(&c[12..16], &[0; 4]);
        assert_eq!(u32::from_be_bytes([c[16], c[17], c[18], c[19]]), 800);
        assert_eq!(u32::from_be_bytes([c[20], c[21], c[22], c[23]]), 600);
        assert_eq!(u32::from_be_bytes([c[24], c[25], c[26], c[27]]), 3200, "stride in bytes");
    }
}
