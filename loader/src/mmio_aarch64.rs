//! fw_cfg's MMIO registers on QEMU's `virt` (aarch64): data at +0, selector at +8, DMA address
//! at +16, the last two big-endian (QEMU docs/specs/fw_cfg.rst).
//!
//! The base is virt's fixed `VIRT_FW_CFG` (hw/arm/virt.c), the address its device tree names;
//! AAVMF's own fw_cfg driver uses it and maps it as device memory. The signature check in
//! main.rs refuses a machine where it is something else.
use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{fence, Ordering};

use loader::fwcfg::DmaAccess;

const BASE: usize = 0x0902_0000;
const DATA: usize = BASE;
const SELECTOR: usize = BASE + 8;
const DMA_ADDRESS: usize = BASE + 16;

/// `N` bytes of item `key` through the data register (one exit per byte: for small items only).
pub fn read_small<const N: usize>(key: u16) -> [u8; N] {
    // SAFETY: fw_cfg's selector register on virt; writing it selects an item and has no other effect.
    unsafe { write_volatile(SELECTOR as *mut u16, key.to_be()) };
    // SAFETY: reading fw_cfg's data register only advances the selected item's read offset.
    core::array::from_fn(|_| unsafe { read_volatile(DATA as *const u8) })
}

/// Runs one DMA access: QEMU performs it while the address write exits, so it is over on return.
/// Returns whether the device reported success.
pub fn dma(access: &mut DmaAccess) -> bool {
    let address = access as *mut DmaAccess as u64; // identity-mapped under boot services
    fence(Ordering::SeqCst); // the access is in memory before the device is told to read it
    // SAFETY: `access` lives across the write and describes a buffer the caller owns for
    // `length` bytes; the device writes only that buffer and the access's control word.
    unsafe { write_volatile(DMA_ADDRESS as *mut u64, address.to_be()) };
    fence(Ordering::SeqCst);
    // SAFETY: `access` is a valid reference; volatile because the device, not this code, wrote it.
    let control = unsafe { read_volatile(&access.control) };
    DmaAccess::outcome(control) == Some(true)
}
