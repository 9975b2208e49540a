//! fw_cfg's I/O ports on a PC (x86_64): selector 0x510, data 0x511, DMA address 0x514.
use core::arch::asm;

use loader::fwcfg::DmaAccess;

const SELECTOR: u16 = 0x510;
const DATA: u16 = 0x511;
const DMA_ADDRESS: u16 = 0x514;

fn outw(port: u16, value: u16) {
    // SAFETY: only fw_cfg's selector port is written, which selects an item and has no other effect.
    unsafe { asm!("out dx, ax", in("dx") port, in("ax") value, options(nomem, nostack, preserves_flags)) }
}

fn inb(port: u16) -> u8 {
    let value: u8;
    // SAFETY: reading fw_cfg's data port only advances the selected item's read offset.
    unsafe { asm!("in al, dx", out("al") value, in("dx") port, options(nomem, nostack, preserves_flags)) }
    value
}

/// `N` bytes of item `key` through the data port (one exit per byte: for small items only).
pub fn read_small<const N: usize>(key: u16) -> [u8; N] {
    outw(SELECTOR, key);
    core::array::from_fn(|_| inb(DATA))
}

/// Runs one DMA access: QEMU performs it while the second write exits, so it is over on return.
/// Returns whether the device reported success.
pub fn dma(access: &mut DmaAccess) -> bool {
    let address = access as *mut DmaAccess as u64; // identity-mapped under boot services
    // SAFETY: `access` lives across both writes and describes a buffer the caller owns for
    // `length` bytes; the device writes only that buffer and the access's control word.
    unsafe {
        asm!("out dx, eax", in("dx") DMA_ADDRESS, in("eax") ((address >> 32) as u32).swap_bytes(),
             options(nostack, preserves_flags));
        asm!("out dx, eax", in("dx") DMA_ADDRESS + 4, in("eax") (address as u32).swap_bytes(),
             options(nostack, preserves_flags));
    }
    // SAFETY: `access` is a valid reference; volatile because the device, not this code, wrote it.
    let control = unsafe { core::ptr::read_volatile(&access.control) };
    DmaAccess::outcome(control) == Some(true)
}
