//! Building the kernel's own (identity) mapping. Kernel entries never carry USER, at any
//! level, so nothing here is reachable from ring 3.

use super::table::{blocks_2m, check_page, indices, new_table, read_entry, write_entry};
use super::{flags, PagingError, PhysMemory, ADDR_MASK, PAGE_2M, PAGE_4K};

/// Flags of kernel PDPT/PD/PT entries pointing at the next table; the leaf decides access.
const KERNEL_TABLE: u64 = flags::PRESENT | flags::WRITABLE;

/// Identity-maps `[start, end)` with 2 MiB pages (`start` rounded down, `end` up to 2 MiB),
/// creating PDP/PD tables under `pml4` as needed. `flags` must not contain USER; PRESENT and
/// HUGE are added. Already-mapped 2 MiB pages are refused.
pub fn map_identity<M: PhysMemory>(
    mem: &mut M,
    pml4: u64,
    start: u64,
    end: u64,
    flags: u64,
) -> Result<(), PagingError> {
    if flags & flags::USER != 0 {
        return Err(PagingError::UserFlagInKernelMap(start));
    }
    let (mut page, end) = blocks_2m(start, end, 1 << 47)?;
    while page < end {
        let [i4, i3, i2, _] = indices(page);
        let pdpt = kernel_table(mem, pml4, i4, page)?;
        let pd = kernel_table(mem, pdpt, i3, page)?;
        if read_entry(mem, pd, i2) & flags::PRESENT != 0 {
            return Err(PagingError::AlreadyMapped(page));
        }
        write_entry(mem, pd, i2, page | flags | flags::PRESENT | flags::HUGE)?;
        page += PAGE_2M;
    }
    Ok(())
}

/// Maps one 4 KiB kernel page. `flags` must not contain USER; PRESENT is added. A page
/// already covered (by a 4 KiB or 2 MiB mapping) is refused.
pub fn map_4k<M: PhysMemory>(
    mem: &mut M,
    pml4: u64,
    vaddr: u64,
    paddr: u64,
    flags: u64,
) -> Result<(), PagingError> {
    check_page(vaddr, paddr)?;
    if flags & flags::USER != 0 {
        return Err(PagingError::UserFlagInKernelMap(vaddr));
    }
    let [i4, i3, i2, i1] = indices(vaddr);
    let pdpt = kernel_table(mem, pml4, i4, vaddr)?;
    let pd = kernel_table(mem, pdpt, i3, vaddr)?;
    let pde = read_entry(mem, pd, i2);
    if pde & flags::PRESENT != 0 && pde & flags::HUGE != 0 {
        return Err(PagingError::AlreadyMapped(vaddr));
    }
    let pt = kernel_table(mem, pd, i2, vaddr)?;
    if read_entry(mem, pt, i1) & flags::PRESENT != 0 {
        return Err(PagingError::AlreadyMapped(vaddr));
    }
    write_entry(mem, pt, i1, paddr | flags | flags::PRESENT)?;
    Ok(())
}

/// Unmaps one 4 KiB kernel page (splitting a covering 2 MiB page into a page table with
/// the same mapping first) and returns the old entry. The caller must flush the TLB entry
/// (`invlpg`) if the tables are live.
pub fn unmap_4k<M: PhysMemory>(mem: &mut M, pml4: u64, vaddr: u64) -> Result<u64, PagingError> {
    check_page(vaddr, 0)?;
    let [i4, i3, i2, i1] = indices(vaddr);
    let pdpt = present_table(mem, pml4, i4, vaddr)?;
    let pd = present_table(mem, pdpt, i3, vaddr)?;
    let pde = read_entry(mem, pd, i2);
    if pde & flags::PRESENT == 0 {
        return Err(PagingError::NotMapped(vaddr));
    }
    let pt = if pde & flags::HUGE != 0 {
        split_2m(mem, pd, i2, pde)?
    } else {
        pde & ADDR_MASK
    };
    let old = read_entry(mem, pt, i1);
    if old & flags::PRESENT == 0 {
        return Err(PagingError::NotMapped(vaddr));
    }
    write_entry(mem, pt, i1, 0)?;
    Ok(old)
}

/// The next-level table under entry `index` of `table`, created (without USER) if absent.
fn kernel_table<M: PhysMemory>(
    mem: &mut M,
    table: u64,
    index: usize,
    vaddr: u64,
) -> Result<u64, PagingError> {
    let entry = read_entry(mem, table, index);
    if entry & flags::PRESENT != 0 {
        if entry & flags::HUGE != 0 {
            return Err(PagingError::HugePageInTheWay(vaddr));
        }
        return Ok(entry & ADDR_MASK);
    }
    let child = new_table(mem)?;
    Ok(write_entry(mem, table, index, child | KERNEL_TABLE)? & ADDR_MASK)
}

/// The next-level table under entry `index` of `table`, which must exist.
fn present_table<M: PhysMemory>(
    mem: &M,
    table: u64,
    index: usize,
    vaddr: u64,
) -> Result<u64, PagingError> {
    let entry = read_entry(mem, table, index);
    if entry & flags::PRESENT == 0 {
        return Err(PagingError::NotMapped(vaddr));
    }
    if entry & flags::HUGE != 0 {
        return Err(PagingError::HugePageInTheWay(vaddr));
    }
    Ok(entry & ADDR_MASK)
}

/// Replaces the 2 MiB page `pde` (entry `index` of `pd`) by a page table mapping the same
/// 512 frames with the same flags, and returns that table.
fn split_2m<M: PhysMemory>(
    mem: &mut M,
    pd: u64,
    index: usize,
    pde: u64,
) -> Result<u64, PagingError> {
    let base = pde & ADDR_MASK & !(PAGE_2M - 1);
    let leaf_flags = pde & !ADDR_MASK & !flags::HUGE;
    let pt = new_table(mem)?;
    for i in 0..512 {
        write_entry(mem, pt, i, (base + i as u64 * PAGE_4K) | leaf_flags)?;
    }
    let table_flags = KERNEL_TABLE | (pde & flags::USER);
    Ok(write_entry(mem, pd, index, pt | table_flags)? & ADDR_MASK)
}
