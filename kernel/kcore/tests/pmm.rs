//! PMM tests: the bitmap allocator against the baseline on randomized sequences, plus
//! exhaustion, double free and region edges.

mod common;

use common::Rng;
use kcore::pmm::{
    BaselinePmm, BitmapPmm, FrameAllocator, PhysRegion, PmmError, RegionSet, PAGE_SIZE,
};
use std::collections::HashSet;

fn region(start: u64, pages: u64) -> PhysRegion {
    PhysRegion { start, pages }
}

/// Random disjoint regions (sometimes touching, so merging is exercised), shuffled.
fn random_regions(rng: &mut Rng) -> Vec<PhysRegion> {
    let mut regions = Vec::new();
    let mut next = rng.below(4) * PAGE_SIZE;
    for _ in 0..1 + rng.below(12) {
        let max = if rng.chance(20) { 300 } else { 40 };
        let pages = 1 + rng.below(max);
        regions.push(region(next, pages));
        let gap = if rng.chance(30) { 0 } else { 1 + rng.below(50) };
        next += (pages + gap) * PAGE_SIZE;
    }
    for i in (1..regions.len()).rev() {
        regions.swap(i, rng.below(i as u64 + 1) as usize);
    }
    regions
}

fn contains(regions: &[PhysRegion], addr: u64) -> bool {
    regions
        .iter()
        .any(|r| addr >= r.start && addr < r.start + r.pages * PAGE_SIZE)
}

#[test]
fn bitmap_matches_baseline_on_random_sequences() {
    for seed in 1..=300 {
        let mut rng = Rng::new(seed);
        let regions = random_regions(&mut rng);
        let total: u64 = regions.iter().map(|r| r.pages).sum();
        let mut storage = vec![0u64; BitmapPmm::storage_words(total)];
        let mut bitmap = BitmapPmm::new(&regions, &mut storage).unwrap();
        let mut baseline = BaselinePmm::new(&regions).unwrap();
        assert_eq!(bitmap.total_frames(), total);
        let mut held: HashSet<u64> = HashSet::new();
        let mut order: Vec<u64> = Vec::new();
        let alloc_bias = 30 + rng.below(50);
        for op in 0..2000 {
            let ctx = format!("seed {seed} op {op}");
            match rng.below(100) {
                n if n < alloc_bias => {
                    let (a, b) = (bitmap.alloc(), baseline.alloc());
                    assert_eq!(a, b, "{ctx}: alloc differs");
                    match a {
                        Some(addr) => {
                            assert!(contains(&regions, addr), "{ctx}: {addr:#x} outside regions");
                            assert!(held.insert(addr), "{ctx}: {addr:#x} handed out twice");
                            order.push(addr);
                        }
                        None => assert!(held.len() as u64 == total, "{ctx}: None with frames left"),
                    }
                }
                n if n < 95 && !order.is_empty() => {
                    let addr = order.swap_remove(rng.below(order.len() as u64) as usize);
                    held.remove(&addr);
                    assert_eq!(bitmap.free(addr), Ok(()), "{ctx}");
                    assert_eq!(baseline.free(addr), Ok(()), "{ctx}");
                }
                _ => {
                    // Misuse: double free, unaligned, out of range, or a reserve.
                    let addr = match rng.below(4) {
                        0 if !order.is_empty() => *rng.pick(&order) + 1 + rng.below(PAGE_SIZE - 1),
                        1 => rng.below(1 << 24) & !(PAGE_SIZE - 1),
                        2 => !(PAGE_SIZE - 1),
                        _ => rng.below(1 << 22) & !(PAGE_SIZE - 1),
                    };
                    if rng.chance(50) {
                        let (a, b) = (bitmap.free(addr), baseline.free(addr));
                        assert_eq!(a, b, "{ctx}: free({addr:#x}) differs");
                        if held.contains(&addr) {
                            assert_eq!(a, Ok(()), "{ctx}");
                            held.remove(&addr);
                            order.retain(|&x| x != addr);
                        } else {
                            assert!(a.is_err(), "{ctx}: free of unheld {addr:#x} accepted");
                        }
                    } else {
                        let (a, b) = (bitmap.reserve(addr), baseline.reserve(addr));
                        assert_eq!(a, b, "{ctx}: reserve({addr:#x}) differs");
                        if a.is_ok() {
                            assert!(held.insert(addr), "{ctx}: reserved a held frame");
                            order.push(addr);
                        }
                    }
                }
            }
            assert_eq!(bitmap.free_frames(), baseline.free_frames(), "{ctx}");
            assert_eq!(bitmap.free_frames(), total - held.len() as u64, "{ctx}");
        }
    }
}

#[test]
fn lowest_free_frame_first_across_regions() {
    let regions = [region(0x10_0000, 2), region(0x1000, 1)];
    let mut storage = [0u64; 1];
    let mut pmm = BitmapPmm::new(&regions, &mut storage).unwrap();
    assert_eq!(pmm.alloc(), Some(0x1000));
    assert_eq!(pmm.alloc(), Some(0x10_0000));
    assert_eq!(pmm.free(0x1000), Ok(()));
    assert_eq!(pmm.alloc(), Some(0x1000));
    assert_eq!(pmm.alloc(), Some(0x10_1000));
    assert_eq!(pmm.alloc(), None, "exhausted");
    assert_eq!(pmm.free_frames(), 0);
}

#[test]
fn exhaustion_with_tail_bits_never_returns_phantom_frames() {
    for pages in [1u64, 63, 64, 65, 127, 128, 129] {
        let regions = [region(0x20_0000, pages)];
        let mut storage = vec![0xdead_beef_u64; BitmapPmm::storage_words(pages)];
        let mut pmm = BitmapPmm::new(&regions, &mut storage).unwrap();
        let got: Vec<u64> = std::iter::from_fn(|| pmm.alloc()).collect();
        assert_eq!(got.len() as u64, pages);
        assert_eq!(got.last(), Some(&(0x20_0000 + (pages - 1) * PAGE_SIZE)));
        assert_eq!(pmm.free_frames(), 0);
    }
}

#[test]
fn free_rejects_double_free_unaligned_and_out_of_range() {
    let regions = [region(0x1000, 4)];
    let mut storage = [0u64; 1];
    let mut baseline = BaselinePmm::new(&regions).unwrap();
    let mut bitmap = BitmapPmm::new(&regions, &mut storage).unwrap();
    for pmm in [&mut baseline as &mut dyn FrameAllocator, &mut bitmap] {
        let a = pmm.alloc().unwrap();
        assert_eq!(pmm.free(a + 8), Err(PmmError::Unaligned(a + 8)));
        assert_eq!(
            pmm.free(0),
            Err(PmmError::OutOfRange(0)),
            "below the region"
        );
        assert_eq!(
            pmm.free(0x5000),
            Err(PmmError::OutOfRange(0x5000)),
            "one past the end"
        );
        assert_eq!(
            pmm.free(0x4000),
            Err(PmmError::DoubleFree(0x4000)),
            "last frame, never allocated"
        );
        assert_eq!(pmm.free(a), Ok(()));
        assert_eq!(pmm.free(a), Err(PmmError::DoubleFree(a)));
        assert_eq!(pmm.reserve(0x4000), Ok(()));
        assert_eq!(pmm.reserve(0x4000), Err(PmmError::AlreadyUsed(0x4000)));
        assert_eq!(pmm.free_frames(), 3);
    }
}

#[test]
fn regions_are_validated_sorted_and_merged() {
    let set = RegionSet::new(&[
        region(0x3000, 1),
        region(0x1000, 2),
        region(0x9000, 0),
        region(0x8000, 1),
    ])
    .unwrap();
    assert_eq!(set.regions(), &[region(0x1000, 3), region(0x8000, 1)]);
    assert_eq!(set.index_of(0x8000), Ok(3));
    assert_eq!(set.addr_of(3), Some(0x8000));
    assert_eq!(set.addr_of(4), None);
    assert_eq!(
        RegionSet::new(&[region(0x1234, 1)]).err(),
        Some(PmmError::Unaligned(0x1234))
    );
    assert_eq!(
        RegionSet::new(&[region(0x1000, 4), region(0x3000, 1)]).err(),
        Some(PmmError::OverlappingRegions(0x1000, 0x3000))
    );
    assert_eq!(
        RegionSet::new(&[region(!0xfff, 2)]).err(),
        Some(PmmError::RegionOverflow(!0xfff))
    );
    let many: Vec<_> = (0..=kcore::pmm::MAX_REGIONS as u64)
        .map(|i| region(i * 0x2000, 1))
        .collect();
    assert_eq!(RegionSet::new(&many).err(), Some(PmmError::TooManyRegions));
}

#[test]
fn bitmap_storage_too_small_is_refused() {
    let mut storage = [0u64; 1];
    assert_eq!(
        BitmapPmm::new(&[region(0, 65)], &mut storage).err(),
        Some(PmmError::StorageTooSmall { needed: 2, got: 1 })
    );
}

#[test]
fn bitmap_leaves_extra_storage_untouched() {
    let mut storage = [7u64; 4];
    let mut pmm = BitmapPmm::new(&[region(0, 70)], &mut storage).unwrap();
    assert_eq!(pmm.alloc(), Some(0));
    drop(pmm);
    assert_eq!(&storage[2..], &[7, 7]);
}
