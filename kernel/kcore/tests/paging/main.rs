//! Page tables over simulated physical memory, walked to prove: user and kernel share only
//! the PML4 level, every user mapping has USER at all four levels, no kernel page is user
//! accessible, the guard page is unmapped, and the shared-user-tables misuse is refused.

use kcore::paging::flags::{HUGE, NO_EXECUTE, PRESENT, USER, WRITABLE};
use kcore::paging::{
    map_4k, map_identity, new_table, translate, unmap_4k, AddressSpace, PagingError, PhysMemory,
    ADDR_MASK, PAGE_2M,
};
mod aarch64;
mod sim;

use sim::{leaves, tables_below, SimMemory};
use std::collections::BTreeSet;

const USER_BASE: u64 = 0x0000_1000_0000_0000;
const KERNEL_END: u64 = 4 << 30;
const STACK_GUARD: u64 = 0x0060_0000 + 0x3000;

/// Kernel identity map of the first 4 GiB with a guard page, as the kernel builds it.
fn kernel_tables(mem: &mut SimMemory) -> u64 {
    let pml4 = new_table(mem).unwrap();
    map_identity(mem, pml4, 0, KERNEL_END, WRITABLE).unwrap();
    let old = unmap_4k(mem, pml4, STACK_GUARD).unwrap();
    assert_eq!(old & ADDR_MASK, STACK_GUARD);
    pml4
}

/// A kernel map plus a process with text, data and stack pages spread over PT, PD and PDPT
/// boundaries; returns (kernel pml4, address space, [(vaddr, paddr, writable)]).
fn kernel_and_process(mem: &mut SimMemory) -> (u64, AddressSpace, Vec<(u64, u64, bool)>) {
    let kernel = kernel_tables(mem);
    let mut space = AddressSpace::new(mem, kernel).unwrap();
    let offsets = (0..40).map(|i| i * 4096).chain([
        PAGE_2M - 4096,
        PAGE_2M,
        (1 << 30) - 4096,
        1 << 30,
        513 << 30,
    ]);
    let mut mapped = Vec::new();
    for (n, off) in offsets.enumerate() {
        let frame = mem.alloc_frame().unwrap();
        let writable = n % 3 != 0;
        let flags = if writable { WRITABLE | NO_EXECUTE } else { 0 };
        space
            .map_user_page(mem, USER_BASE + off, frame, flags)
            .unwrap();
        mapped.push((USER_BASE + off, frame, writable));
    }
    (kernel, space, mapped)
}

#[test]
fn user_and_kernel_share_only_the_pml4() {
    let mut mem = SimMemory::new();
    let (kernel, space, mapped) = kernel_and_process(&mut mem);
    assert_ne!(space.pml4(), kernel);
    let kernel_tables = tables_below(&mem, kernel, |_| true);
    let mut user_tables = BTreeSet::new();
    for &(va, _, _) in &mapped {
        let t = space.translate(&mem, va).unwrap();
        assert_eq!(t.tables[0], space.pml4());
        user_tables.extend(&t.tables[1..]);
    }
    assert!(user_tables.len() >= 3 + 2);
    assert!(
        kernel_tables.is_disjoint(&user_tables),
        "a user mapping goes through a kernel table"
    );
    assert!(!kernel_tables.contains(&space.pml4()) && !user_tables.contains(&kernel));
    let user_slots = tables_below(&mem, space.pml4(), |slot| !space.is_kernel_slot(slot));
    assert_eq!(
        user_slots, user_tables,
        "the process owns exactly the tables of its mappings"
    );
}

#[test]
fn every_user_mapping_has_user_at_all_four_levels() {
    let mut mem = SimMemory::new();
    let (_, space, mapped) = kernel_and_process(&mut mem);
    for &(va, frame, writable) in &mapped {
        let t = space.translate(&mem, va + 0x123).unwrap();
        assert_eq!(t.paddr, frame + 0x123);
        assert_eq!(t.page_size, 4096);
        assert!(
            t.user_at_every_level && t.levels.iter().all(|e| e & USER != 0),
            "{va:#x}"
        );
        assert_eq!(t.writable, writable, "{va:#x}");
        assert_eq!(t.no_execute, writable, "{va:#x}");
    }
}

#[test]
fn no_kernel_page_is_user_accessible_and_the_guard_is_unmapped() {
    let mut mem = SimMemory::new();
    let (kernel, space, mapped) = kernel_and_process(&mut mem);
    let user_pages: BTreeSet<u64> = mapped.iter().map(|m| m.0).collect();
    for pml4 in [kernel, space.pml4()] {
        let all = leaves(&mem, pml4);
        let kernel_leaves: Vec<_> = all
            .iter()
            .filter(|(va, _)| !user_pages.contains(va))
            .collect();
        assert_eq!(
            kernel_leaves.len(),
            2048 - 1 + 511,
            "identity map: 2 MiB pages, one split"
        );
        for (va, t) in kernel_leaves {
            assert!(
                !t.user_at_every_level,
                "kernel page {va:#x} is user accessible"
            );
            assert_eq!(t.paddr, *va, "identity");
        }
        assert_eq!(
            translate(&mem, pml4, STACK_GUARD),
            None,
            "guard page mapped"
        );
        for neighbour in [STACK_GUARD - 4096, STACK_GUARD + 4096] {
            let t = translate(&mem, pml4, neighbour).unwrap();
            assert_eq!((t.paddr, t.page_size), (neighbour, 4096));
        }
        assert_eq!(translate(&mem, pml4, KERNEL_END).map(|t| t.paddr), None);
    }
}

#[test]
fn kernel_user_bit_is_stripped_when_copied() {
    let mut mem = SimMemory::new();
    let kernel = kernel_tables(&mut mem);
    let e = mem.read(kernel);
    mem.write(kernel, e | USER);
    let space = AddressSpace::new(&mut mem, kernel).unwrap();
    assert_eq!(mem.read(space.pml4()), e);
    assert!(space.is_kernel_slot(0) && !space.is_kernel_slot(32));
}

#[test]
fn user_mappings_into_kernel_territory_are_refused() {
    let mut mem = SimMemory::new();
    let (_, mut space, _) = kernel_and_process(&mut mem);
    let frame = mem.alloc_frame().unwrap();
    let mut map = |va, pa| space.map_user_page(&mut mem, va, pa, WRITABLE);
    assert_eq!(
        map(0x40_0000, frame),
        Err(PagingError::KernelSlot {
            vaddr: 0x40_0000,
            slot: 0
        })
    );
    assert_eq!(
        map(0xffff_8000_0000_0000, frame),
        Err(PagingError::KernelHalf(0xffff_8000_0000_0000))
    );
    assert_eq!(
        map(0x0000_8000_0000_0000, frame),
        Err(PagingError::NotCanonical(0x0000_8000_0000_0000))
    );
    assert_eq!(
        map(USER_BASE + 0x10, frame),
        Err(PagingError::Unaligned(USER_BASE + 0x10))
    );
    assert_eq!(
        map(USER_BASE + 0x100_0000, frame | 1),
        Err(PagingError::Unaligned(frame | 1))
    );
    assert_eq!(
        map(USER_BASE, frame),
        Err(PagingError::AlreadyMapped(USER_BASE))
    );
}

/// The original bug, reproduced the way the `shared-user-tables` variant does it: a user
/// page mapped with the kernel's table routine gets no USER bit anywhere, and the address
/// space then refuses to hang its own pages under those tables.
#[test]
fn shared_user_tables_misuse_is_visible_and_refused() {
    let mut mem = SimMemory::new();
    let kernel = kernel_tables(&mut mem);
    let mut space = AddressSpace::new(&mut mem, kernel).unwrap();
    let frame = mem.alloc_frame().unwrap();
    map_4k(&mut mem, space.pml4(), USER_BASE, frame, WRITABLE).unwrap();
    let t = space.translate(&mem, USER_BASE).unwrap();
    assert!(
        !t.user_at_every_level,
        "kernel-style mapping must not be user accessible"
    );
    assert_eq!(
        space.map_user_page(&mut mem, USER_BASE + 4096, frame, WRITABLE),
        Err(PagingError::ForeignTable {
            vaddr: USER_BASE + 4096,
            level: 4
        })
    );
    assert_eq!(
        map_4k(&mut mem, kernel, 0x1000, 0x1000, USER),
        Err(PagingError::UserFlagInKernelMap(0x1000))
    );
    assert_eq!(
        map_identity(&mut mem, kernel, 0, PAGE_2M, USER),
        Err(PagingError::UserFlagInKernelMap(0))
    );
}

#[test]
fn kernel_map_edges() {
    let mut mem = SimMemory::new();
    let kernel = kernel_tables(&mut mem);
    assert_eq!(
        map_identity(&mut mem, kernel, 0, 4096, WRITABLE),
        Err(PagingError::AlreadyMapped(0))
    );
    assert_eq!(
        map_4k(&mut mem, kernel, 0x1000, 0x1000, WRITABLE),
        Err(PagingError::AlreadyMapped(0x1000))
    );
    assert_eq!(
        map_4k(&mut mem, kernel, STACK_GUARD, STACK_GUARD, WRITABLE),
        Ok(()),
        "guard can be remapped"
    );
    assert_eq!(
        unmap_4k(&mut mem, kernel, KERNEL_END),
        Err(PagingError::NotMapped(KERNEL_END))
    );
    assert_eq!(
        unmap_4k(&mut mem, kernel, 1 << 40),
        Err(PagingError::NotMapped(1 << 40))
    );
    assert_eq!(
        map_identity(&mut mem, kernel, 1 << 47, (1 << 47) + 1, WRITABLE),
        Err(PagingError::NotCanonical((1 << 47) + PAGE_2M - 1))
    );
    // A 1 GiB page written by hand is walked as such and refuses 4 KiB work under it.
    let pml4 = new_table(&mut mem).unwrap();
    let pdpt = new_table(&mut mem).unwrap();
    mem.write(pml4, pdpt | PRESENT | WRITABLE);
    mem.write(pdpt + 8, (1 << 30) | PRESENT | WRITABLE | HUGE);
    let t = translate(&mem, pml4, (1 << 30) + 0x1234_5678).unwrap();
    assert_eq!(
        (t.paddr, t.page_size, t.tables[2]),
        ((1 << 30) + 0x1234_5678, 1 << 30, 0)
    );
    assert_eq!(
        unmap_4k(&mut mem, pml4, 1 << 30),
        Err(PagingError::HugePageInTheWay(1 << 30))
    );
    assert_eq!(
        map_4k(&mut mem, pml4, 1 << 30, 0, 0),
        Err(PagingError::HugePageInTheWay(1 << 30))
    );
}

#[test]
fn read_back_mismatch_and_exhaustion_are_errors() {
    let mut mem = SimMemory::new();
    let kernel = kernel_tables(&mut mem);
    let mut space = AddressSpace::new(&mut mem, kernel).unwrap();
    mem.stuck = Some(space.pml4() + 32 * 8);
    assert_eq!(
        space.map_user_page(&mut mem, USER_BASE, 0x1000, 0),
        Err(PagingError::ReadBackMismatch {
            table: space.pml4(),
            index: 32
        })
    );
    mem.stuck = None;
    mem.limit = mem.frames.len() + 2;
    assert_eq!(
        space.map_user_page(&mut mem, USER_BASE + (1 << 39), 0x1000, 0),
        Err(PagingError::OutOfFrames)
    );
    assert_eq!(translate(&mem, space.pml4(), USER_BASE + (1 << 39)), None);
}

/// Random user mappings against a model: every page translates to its frame, remaps are
/// refused, and the leaves reachable from the process are exactly the model plus the
/// kernel's identity map.
#[test]
fn random_user_mappings_match_a_model() {
    let mut mem = SimMemory::new();
    let kernel = kernel_tables(&mut mem);
    let mut space = AddressSpace::new(&mut mem, kernel).unwrap();
    let mut model = std::collections::BTreeMap::new();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Slots 1..=255 of the lower half, clustered so tables are shared and reused.
        let slot = 1 + (x >> 60) % 4 * 60;
        let va =
            (slot << 39) | ((x >> 20) % 4 << 30) | ((x >> 30) % 8 << 21) | ((x >> 40) % 64 << 12);
        let frame = (x & 0xff_ffff) << 12;
        match space.map_user_page(&mut mem, va, frame, WRITABLE) {
            Ok(()) => assert!(model.insert(va, frame).is_none(), "{va:#x} mapped twice"),
            Err(PagingError::AlreadyMapped(v)) => assert!(v == va && model.contains_key(&va)),
            Err(e) => panic!("{va:#x}: {e}"),
        }
    }
    let kernel_tables = tables_below(&mem, kernel, |_| true);
    let mut user = std::collections::BTreeMap::new();
    for (va, t) in leaves(&mem, space.pml4()) {
        if space.is_kernel_slot(kcore::paging::table_index(va, 4)) {
            assert!(!t.user_at_every_level);
            continue;
        }
        assert!(t.user_at_every_level && t.page_size == 4096, "{va:#x}");
        assert!(t.tables[1..]
            .iter()
            .all(|table| !kernel_tables.contains(table)));
        user.insert(va, t.paddr);
    }
    assert_eq!(user, model);
}
