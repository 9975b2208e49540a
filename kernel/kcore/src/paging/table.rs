//! Table-level primitives shared by the kernel map and address spaces.

use super::{flags, table_index, PagingError, PhysMemory, ADDR_MASK, KERNEL_HALF, PAGE_2M};

/// Bits the CPU may set on its own while walking live tables; ignored when reading back.
const CPU_SET: u64 = flags::ACCESSED | flags::DIRTY;

/// Allocates a page table frame and zeroes all 512 entries.
pub fn new_table<M: PhysMemory>(mem: &mut M) -> Result<u64, PagingError> {
    let frame = mem.alloc_frame().ok_or(PagingError::OutOfFrames)?;
    if frame & !ADDR_MASK != 0 {
        return Err(PagingError::Unaligned(frame));
    }
    for i in 0..512 {
        mem.write(frame + i * 8, 0);
    }
    Ok(frame)
}

/// Entry `index` of the table at `table`.
pub(super) fn read_entry<M: PhysMemory>(mem: &M, table: u64, index: usize) -> u64 {
    mem.read(table + index as u64 * 8)
}

/// Writes entry `index` and returns the value read back from memory, failing if it is not
/// what was written: callers continue from the returned value, never from `value`.
pub(super) fn write_entry<M: PhysMemory>(
    mem: &mut M,
    table: u64,
    index: usize,
    value: u64,
) -> Result<u64, PagingError> {
    write_checked(mem, table, index, value, CPU_SET)
}

/// [`write_entry`] for any descriptor format: `cpu_set` names the bits the CPU may change.
pub(super) fn write_checked<M: PhysMemory>(
    mem: &mut M,
    table: u64,
    index: usize,
    value: u64,
    cpu_set: u64,
) -> Result<u64, PagingError> {
    mem.write(table + index as u64 * 8, value);
    let back = read_entry(mem, table, index);
    if back & !cpu_set != value & !cpu_set {
        return Err(PagingError::ReadBackMismatch { table, index });
    }
    Ok(back)
}

/// `[start, end)` widened to 2 MiB boundaries, refused if it reaches `limit`.
pub(super) fn blocks_2m(start: u64, end: u64, limit: u64) -> Result<(u64, u64), PagingError> {
    let end = end
        .checked_add(PAGE_2M - 1)
        .ok_or(PagingError::NotCanonical(end))?
        & !(PAGE_2M - 1);
    if end > limit {
        return Err(PagingError::NotCanonical(end - 1));
    }
    Ok((start & !(PAGE_2M - 1), end))
}

/// True if bits 63..47 of `vaddr` are all equal.
pub(super) fn is_canonical(vaddr: u64) -> bool {
    let top = vaddr >> 47;
    top == 0 || top == (1 << 17) - 1
}

/// Checks a 4 KiB page address for mapping: canonical and page aligned.
pub(super) fn check_page(vaddr: u64, paddr: u64) -> Result<(), PagingError> {
    if !is_canonical(vaddr) {
        return Err(PagingError::NotCanonical(vaddr));
    }
    if !vaddr.is_multiple_of(4096) {
        return Err(PagingError::Unaligned(vaddr));
    }
    if paddr & !ADDR_MASK != 0 {
        return Err(PagingError::Unaligned(paddr));
    }
    Ok(())
}

/// Indices of `vaddr` at PML4, PDPT, PD and PT level.
pub(super) fn indices(vaddr: u64) -> [usize; 4] {
    [
        table_index(vaddr, 4),
        table_index(vaddr, 3),
        table_index(vaddr, 2),
        table_index(vaddr, 1),
    ]
}

/// True for addresses in the upper canonical half.
pub(super) fn in_kernel_half(vaddr: u64) -> bool {
    vaddr >= KERNEL_HALF
}
