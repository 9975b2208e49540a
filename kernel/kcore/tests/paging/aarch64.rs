//! The aarch64 kernel map over simulated memory: identity everywhere it maps, the attributes
//! asked for, no EL0 access, the guard page unmapped inside a split block whose other pages
//! keep their attributes.

use super::sim::SimMemory;
use kcore::paging::aarch64::{
    desc, map_identity, translate, unmap_4k, KERNEL_DEVICE, KERNEL_RAM, OUTPUT_MASK,
};
use kcore::paging::{new_table, PagingError, PAGE_2M, PAGE_4K};

const RAM: (u64, u64) = (0x4000_0000, 0x6000_0000);
const GUARD: u64 = 0x4800_3000;

fn kernel_map(mem: &mut SimMemory) -> u64 {
    let root = new_table(mem).unwrap();
    map_identity(mem, root, 0, RAM.0, KERNEL_DEVICE).unwrap();
    map_identity(mem, root, RAM.0, RAM.1, KERNEL_RAM).unwrap();
    root
}

#[test]
fn identity_with_the_attributes_asked_for_and_never_el0() {
    let mut mem = SimMemory::new();
    let root = kernel_map(&mut mem);
    let mut addr = 0;
    while addr < RAM.1 {
        for probe in [addr, addr + 0x1238, addr + PAGE_2M - 8] {
            let (pa, leaf) = translate(&mem, root, probe).expect("mapped");
            assert_eq!(pa, probe);
            assert_eq!(leaf & desc::AP_EL0, 0, "EL0 access at {probe:#x}");
            let want = if probe < RAM.0 {
                KERNEL_DEVICE
            } else {
                KERNEL_RAM
            };
            assert_eq!(leaf & !OUTPUT_MASK & !desc::VALID, want, "{probe:#x}");
        }
        addr += PAGE_2M;
    }
    assert_eq!(translate(&mem, root, RAM.1), None);
    assert_eq!(translate(&mem, root, 1 << 48), None);
}

#[test]
fn the_guard_page_is_unmapped_and_its_block_neighbours_are_not() {
    let mut mem = SimMemory::new();
    let root = kernel_map(&mut mem);
    let old = unmap_4k(&mut mem, root, GUARD).unwrap();
    assert_eq!(old & OUTPUT_MASK, GUARD);
    assert_eq!(translate(&mem, root, GUARD), None);
    assert_eq!(translate(&mem, root, GUARD + 0xff8), None);
    let block = GUARD & !(PAGE_2M - 1);
    let mut page = block;
    while page < block + PAGE_2M {
        if page != GUARD {
            let (pa, leaf) = translate(&mem, root, page + 8).expect("still mapped");
            assert_eq!(pa, page + 8);
            assert_eq!(leaf & desc::TABLE, desc::TABLE, "a level-3 page");
            assert_eq!(
                leaf & !OUTPUT_MASK & !(desc::VALID | desc::TABLE),
                KERNEL_RAM
            );
        }
        page += PAGE_4K;
    }
    // A second unmap in the split block uses the same level-3 table.
    let frames = mem.frames.len();
    unmap_4k(&mut mem, root, GUARD + PAGE_4K).unwrap();
    assert_eq!(mem.frames.len(), frames);
    assert_eq!(
        unmap_4k(&mut mem, root, GUARD),
        Err(PagingError::NotMapped(GUARD))
    );
}

#[test]
fn misuse_is_refused() {
    let mut mem = SimMemory::new();
    let root = kernel_map(&mut mem);
    assert_eq!(
        map_identity(&mut mem, root, RAM.0, RAM.0 + 1, KERNEL_RAM),
        Err(PagingError::AlreadyMapped(RAM.0))
    );
    assert_eq!(
        map_identity(&mut mem, root, RAM.1, RAM.1 + 1, KERNEL_RAM | desc::AP_EL0),
        Err(PagingError::UserFlagInKernelMap(RAM.1))
    );
    assert_eq!(
        map_identity(&mut mem, root, 1 << 48, (1 << 48) + 1, KERNEL_RAM),
        Err(PagingError::NotCanonical((1 << 48) + PAGE_2M - 1))
    );
    assert_eq!(
        unmap_4k(&mut mem, root, GUARD + 8),
        Err(PagingError::Unaligned(GUARD + 8))
    );
    assert_eq!(
        unmap_4k(&mut mem, root, RAM.1),
        Err(PagingError::NotMapped(RAM.1))
    );
}

#[test]
fn out_of_frames_is_an_error_not_a_partial_success() {
    let mut mem = SimMemory::new();
    mem.limit = 2;
    let root = new_table(&mut mem).unwrap();
    assert_eq!(
        map_identity(&mut mem, root, RAM.0, RAM.1, KERNEL_RAM),
        Err(PagingError::OutOfFrames)
    );
}

#[test]
fn entries_round_trip_through_descriptors() {
    use kcore::paging::aarch64::{decode, encode};
    use kcore::paging::flags::*;
    let bits = [
        WRITABLE,
        USER,
        WRITE_THROUGH,
        NO_CACHE,
        HUGE,
        GLOBAL,
        NO_EXECUTE,
    ];
    for addr in [0, 0x4000_0000, 0x1234_5000, 0xffff_ffff_f000] {
        for mask in 0..1u64 << bits.len() {
            let mut entry = addr | PRESENT;
            for (i, bit) in bits.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    entry |= bit;
                }
            }
            assert_eq!(decode(encode(entry)), entry, "{entry:#x}");
        }
    }
    assert_eq!(encode(0), 0);
    assert_eq!(encode(0x1000), 0x1000, "not present: stored as is");
}

#[test]
fn descriptors_mean_what_the_entries_say() {
    use kcore::paging::aarch64::{decode, encode};
    use kcore::paging::flags::*;
    let user_code = encode(0x4000_1000 | PRESENT | USER);
    assert_eq!(user_code & 3, 3, "a page (or table)");
    assert_ne!(user_code & desc::AP_EL0, 0);
    assert_ne!(user_code & desc::AP_READ_ONLY, 0, "not writable");
    assert_eq!(user_code & desc::UXN, 0, "EL0 may run it");
    assert_ne!(user_code & desc::PXN, 0, "EL1 never runs user pages");
    let user_data = encode(0x4000_2000 | PRESENT | USER | WRITABLE | NO_EXECUTE);
    assert_eq!(user_data & (desc::AP_READ_ONLY | desc::UXN), desc::UXN);
    let kernel_block = encode(0x4020_0000 | PRESENT | WRITABLE | HUGE);
    assert_eq!(kernel_block & 3, 1, "a block");
    assert_eq!(kernel_block & desc::AP_EL0, 0);
    assert_eq!(kernel_block & (desc::UXN | desc::PXN), desc::UXN);
    // The kernel's own blocks (built natively) read as present, huge, writable, EL1-executable.
    assert_eq!(
        decode(0x4020_0000 | KERNEL_RAM | desc::VALID),
        0x4020_0000 | PRESENT | HUGE | WRITABLE
    );
    assert_eq!(
        decode(0x0800_0000 | KERNEL_DEVICE | desc::VALID),
        0x0800_0000 | PRESENT | HUGE | WRITABLE | NO_EXECUTE
    );
}
