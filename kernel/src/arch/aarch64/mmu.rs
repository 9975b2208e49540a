//! The kernel's own translation tables: devices below RAM (`virt`: GIC, PL011, PCIe
//! windows under 1 GiB) as Device-nGnRE, RAM identity-mapped in 2 MiB blocks, the kernel
//! stack's guard page unmapped. Switching to them also sets MAIR and TCR (48-bit VA, so
//! user space at 0x1000_0000_0000 fits): done with the MMU off for the few instructions of
//! the switch, since changing TCR under live tables is not allowed.
use crate::mm::phys::Pmm;
use core::arch::asm;
use kcore::paging::aarch64::{map_identity, unmap_4k, KERNEL_DEVICE, KERNEL_RAM, MAIR};
use kcore::paging::{new_table, PagingError, PhysMemory};
use kcore::pmm::FrameAllocator;

/// Table building in the descriptors' own format (mm::phys translates x86-64 entries).
struct Native<'a>(&'a mut Pmm);

impl PhysMemory for Native<'_> {
    fn alloc_frame(&mut self) -> Option<u64> {
        self.0.alloc()
    }
    fn read(&self, pa: u64) -> u64 {
        // SAFETY: only 8-byte-aligned entries of tables this module allocated, RAM frames in
        // the identity map.
        unsafe { core::ptr::read_volatile(pa as *const u64) }
    }
    fn write(&mut self, pa: u64, v: u64) {
        // SAFETY: as in read; the tables are not live until init switches to them.
        unsafe { core::ptr::write_volatile(pa as *mut u64, v) }
    }
}

/// QEMU `virt` puts RAM at 1 GiB; everything below is MMIO.
pub const RAM_START: u64 = 0x4000_0000;

pub struct KernelTables {
    pub root: u64,
    pub identity_end: u64,
}

/// TCR_EL1: T0SZ 16 (48-bit), walks inner/outer write-back cacheable and inner shareable,
/// 4 KiB granule, TTBR1 walks disabled (EPD1), IPS from the CPU's physical address range.
fn tcr() -> u64 {
    let mmfr0: u64;
    // SAFETY: reading an ID register has no side effect.
    unsafe { asm!("mrs {}, id_aa64mmfr0_el1", out(reg) mmfr0, options(nomem, nostack)) };
    let ips = (mmfr0 & 7).min(5);
    16 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (ips << 32)
}

pub fn init(pmm: &mut Pmm, ram_end: u64, guard_page: u64) -> Result<KernelTables, PagingError> {
    let mut mem = Native(pmm);
    let root = new_table(&mut mem)?;
    map_identity(&mut mem, root, 0, RAM_START, KERNEL_DEVICE)?;
    map_identity(&mut mem, root, RAM_START, ram_end, KERNEL_RAM)?;
    unmap_4k(&mut mem, root, guard_page)?;
    let identity_end = (ram_end + (1 << 21) - 1) & !((1 << 21) - 1);
    // SAFETY: the new tables map all RAM (this code, its data, stack and the tables
    // themselves) and the devices at the addresses the firmware used, so execution continues
    // at the same addresses; with the MMU off nothing is fetched but this sequence's own
    // instructions (identity: physical = virtual) and no data is accessed.
    unsafe {
        asm!(
            "dsb ish",
            "mrs {sctlr}, sctlr_el1",
            "bic {off}, {sctlr}, #1",
            "msr sctlr_el1, {off}",
            "isb",
            "msr mair_el1, {mair}",
            "msr tcr_el1, {tcr}",
            "msr ttbr0_el1, {root}",
            "isb",
            "tlbi vmalle1",
            "dsb ish",
            "isb",
            "msr sctlr_el1, {sctlr}",
            "isb",
            sctlr = out(reg) _,
            off = out(reg) _,
            mair = in(reg) MAIR,
            tcr = in(reg) tcr(),
            root = in(reg) root,
            options(nostack)
        )
    };
    Ok(KernelTables { root, identity_end })
}
