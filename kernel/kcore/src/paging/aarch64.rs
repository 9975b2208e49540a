//! AArch64 stage-1 translation tables for the kernel's identity map: 4 KiB granule, 48-bit
//! virtual addresses, four levels with the same 9-bit indices as x86-64 (level 0 = PML4 ..
//! level 3 = PT), over the same [`PhysMemory`]. RAM is mapped with 2 MiB blocks; a block is
//! split into 4 KiB pages to unmap one (the kernel stack's guard page). Kernel descriptors
//! never carry EL0 access ([`desc::AP_EL0`]).
//!
//! The rest of kcore's page-table logic (address spaces, walks, user pointer checks) speaks
//! x86-64 entry bits; on aarch64 the kernel's [`PhysMemory`] stores every entry as a stage-1
//! descriptor ([`encode`] on write, [`decode`] on read), so that logic and its proofs (USER
//! at every level, kernel slots supervisor-only) hold for both architectures.

use super::table::{blocks_2m, indices, new_table, read_entry, write_checked};
use super::{flags, PagingError, PhysMemory, ADDR_MASK, PAGE_2M, PAGE_4K};

/// Descriptor bits (Arm ARM D8.3).
pub mod desc {
    pub const VALID: u64 = 1 << 0;
    /// At levels 0-2: points at the next table (else a block); at level 3: a page.
    pub const TABLE: u64 = 1 << 1;
    /// AP[1]: EL0 may access.
    pub const AP_EL0: u64 = 1 << 6;
    /// AP[2]: read-only.
    pub const AP_READ_ONLY: u64 = 1 << 7;
    pub const INNER_SHAREABLE: u64 = 3 << 8;
    /// The access flag: without it the first access faults.
    pub const AF: u64 = 1 << 10;
    pub const NOT_GLOBAL: u64 = 1 << 11;
    pub const PXN: u64 = 1 << 53;
    pub const UXN: u64 = 1 << 54;
    /// AttrIndx: which byte of MAIR_EL1 describes the memory.
    pub const fn attr(index: u64) -> u64 {
        (index & 7) << 2
    }
}

/// Output address bits of a descriptor (4 KiB granule, 48-bit physical addresses).
pub const OUTPUT_MASK: u64 = 0x0000_ffff_ffff_f000;

/// MAIR_EL1 the kernel programs: index 0 Device-nGnRE, index 1 Normal write-back.
pub const MAIR: u64 = 0x04 | (0xff << 8);
pub const DEVICE: u64 = desc::attr(0);
pub const NORMAL: u64 = desc::attr(1);

/// Kernel RAM: normal, inner shareable, EL1 read/write, not executable at EL0.
pub const KERNEL_RAM: u64 = NORMAL | desc::INNER_SHAREABLE | desc::AF | desc::UXN;
/// Device registers: never executable.
pub const KERNEL_DEVICE: u64 = DEVICE | desc::AF | desc::UXN | desc::PXN;

/// Highest address + 1 a 48-bit table maps.
const VA_LIMIT: u64 = 1 << 48;

/// Identity-maps `[start, end)` with 2 MiB blocks (`start` rounded down, `end` up) carrying
/// `attrs` (e.g. [`KERNEL_RAM`]); creates tables under `root` as needed. EL0 access and
/// already-mapped blocks are refused.
pub fn map_identity<M: PhysMemory>(
    mem: &mut M,
    root: u64,
    start: u64,
    end: u64,
    attrs: u64,
) -> Result<(), PagingError> {
    if attrs & desc::AP_EL0 != 0 {
        return Err(PagingError::UserFlagInKernelMap(start));
    }
    let (mut block, end) = blocks_2m(start, end, VA_LIMIT)?;
    while block < end {
        let [i0, i1, i2, _] = indices(block);
        let l1 = next_table(mem, root, i0, block)?;
        let l2 = next_table(mem, l1, i1, block)?;
        if read_entry(mem, l2, i2) & desc::VALID != 0 {
            return Err(PagingError::AlreadyMapped(block));
        }
        write_desc(mem, l2, i2, block | attrs | desc::VALID)?;
        block += PAGE_2M;
    }
    Ok(())
}

/// Unmaps the 4 KiB page at `vaddr`, splitting its 2 MiB block into 512 pages with the
/// block's attributes. Returns the descriptor it removed.
pub fn unmap_4k<M: PhysMemory>(mem: &mut M, root: u64, vaddr: u64) -> Result<u64, PagingError> {
    if !vaddr.is_multiple_of(PAGE_4K) {
        return Err(PagingError::Unaligned(vaddr));
    }
    let [i0, i1, i2, i3] = indices(vaddr);
    let l1 = existing_table(mem, root, i0, vaddr)?;
    let l2 = existing_table(mem, l1, i1, vaddr)?;
    let entry = read_entry(mem, l2, i2);
    if entry & desc::VALID == 0 {
        return Err(PagingError::NotMapped(vaddr));
    }
    let l3 = if entry & desc::TABLE == 0 {
        let l3 = new_table(mem)?;
        let base = entry & OUTPUT_MASK;
        let attrs = entry & !OUTPUT_MASK & !(desc::VALID | desc::TABLE);
        for i in 0..512 {
            let page = base + i as u64 * PAGE_4K;
            write_desc(mem, l3, i, page | attrs | desc::VALID | desc::TABLE)?;
        }
        write_desc(mem, l2, i2, l3 | desc::VALID | desc::TABLE)?;
        l3
    } else {
        entry & OUTPUT_MASK
    };
    let old = read_entry(mem, l3, i3);
    if old & desc::VALID == 0 {
        return Err(PagingError::NotMapped(vaddr));
    }
    write_desc(mem, l3, i3, 0)?;
    Ok(old)
}

/// The physical address `vaddr` maps to and its leaf descriptor, or None.
pub fn translate<M: PhysMemory>(mem: &M, root: u64, vaddr: u64) -> Option<(u64, u64)> {
    if vaddr >= VA_LIMIT {
        return None;
    }
    let mut table = root;
    for (level, index) in indices(vaddr).into_iter().enumerate() {
        let entry = read_entry(mem, table, index);
        if entry & desc::VALID == 0 {
            return None;
        }
        let is_table = entry & desc::TABLE != 0;
        if level == 3 || !is_table {
            // A block at level 1 (1 GiB) or 2 (2 MiB), or a page at level 3.
            let size = PAGE_4K << (9 * (3 - level));
            if level == 0 || (level == 3 && !is_table) {
                return None; // reserved encodings
            }
            return Some((
                (entry & OUTPUT_MASK & !(size - 1)) | (vaddr & (size - 1)),
                entry,
            ));
        }
        table = entry & OUTPUT_MASK;
    }
    None
}

/// The table entry `index` of `table` points at, created (zeroed) if missing.
fn next_table<M: PhysMemory>(
    mem: &mut M,
    table: u64,
    index: usize,
    vaddr: u64,
) -> Result<u64, PagingError> {
    if read_entry(mem, table, index) & desc::VALID == 0 {
        let next = new_table(mem)?;
        return Ok(write_desc(mem, table, index, next | desc::VALID | desc::TABLE)? & OUTPUT_MASK);
    }
    existing_table(mem, table, index, vaddr)
}

fn existing_table<M: PhysMemory>(
    mem: &M,
    table: u64,
    index: usize,
    vaddr: u64,
) -> Result<u64, PagingError> {
    let entry = read_entry(mem, table, index);
    if entry & desc::VALID == 0 {
        return Err(PagingError::NotMapped(vaddr));
    }
    if entry & desc::TABLE == 0 {
        return Err(PagingError::HugePageInTheWay(vaddr));
    }
    Ok(entry & OUTPUT_MASK)
}

/// Writes a descriptor and returns it as read back; every bit must match (the access flag
/// is set here, and hardware updates of it or of the dirty state are not enabled).
fn write_desc<M: PhysMemory>(
    mem: &mut M,
    table: u64,
    index: usize,
    value: u64,
) -> Result<u64, PagingError> {
    write_checked(mem, table, index, value, 0)
}

/// Software-use bits (55-58, ignored by the MMU) keeping the x86 bits a descriptor has no
/// place for, so [`decode`] gives back what [`encode`] was given.
const SW_GLOBAL: u64 = 1 << 55;
const SW_WRITE_THROUGH: u64 = 1 << 56;
const SW_NO_CACHE: u64 = 1 << 57;
const SW_BITS: [(u64, u64); 3] = [
    (flags::GLOBAL, SW_GLOBAL),
    (flags::WRITE_THROUGH, SW_WRITE_THROUGH),
    (flags::NO_CACHE, SW_NO_CACHE),
];

/// The stage-1 descriptor for an x86-64 entry: PRESENT is VALID; HUGE a block (else a table
/// or a level-3 page); USER is EL0 access (and never executable at EL1); not WRITABLE is
/// read-only; NO_EXECUTE is UXN for user pages, PXN for the kernel's (which are never
/// executable at EL0). Memory is normal write-back: devices stay in the kernel's own blocks.
/// ACCESSED and DIRTY are the CPU's on x86 and dropped. Entries that are not present are
/// stored as they are.
pub fn encode(entry: u64) -> u64 {
    if entry & flags::PRESENT == 0 {
        return entry;
    }
    let mut d = (entry & ADDR_MASK & OUTPUT_MASK) | desc::VALID | desc::AF | NORMAL;
    d |= desc::INNER_SHAREABLE;
    if entry & flags::HUGE == 0 {
        d |= desc::TABLE;
    }
    let no_exec = entry & flags::NO_EXECUTE != 0;
    if entry & flags::USER != 0 {
        d |= desc::AP_EL0 | desc::PXN;
        if no_exec {
            d |= desc::UXN;
        }
    } else {
        d |= desc::UXN;
        if no_exec {
            d |= desc::PXN;
        }
    }
    if entry & flags::WRITABLE == 0 {
        d |= desc::AP_READ_ONLY;
    }
    for (x86, sw) in SW_BITS {
        if entry & x86 != 0 {
            d |= sw;
        }
    }
    d
}

/// The x86-64 entry a descriptor stands for (the inverse of [`encode`]; for the kernel's
/// own blocks, their meaning: present, huge, writable, executable or not at EL1).
pub fn decode(d: u64) -> u64 {
    if d & desc::VALID == 0 {
        return d;
    }
    let mut entry = (d & OUTPUT_MASK) | flags::PRESENT;
    if d & desc::TABLE == 0 {
        entry |= flags::HUGE;
    }
    let user = d & desc::AP_EL0 != 0;
    if user {
        entry |= flags::USER;
    }
    if d & desc::AP_READ_ONLY == 0 {
        entry |= flags::WRITABLE;
    }
    let never = if user { desc::UXN } else { desc::PXN };
    if d & never != 0 {
        entry |= flags::NO_EXECUTE;
    }
    for (x86, sw) in SW_BITS {
        if d & sw != 0 {
            entry |= x86;
        }
    }
    entry
}
