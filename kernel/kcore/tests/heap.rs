//! Heap tests over a Vec-backed arena: randomized patterns with invariants checked after
//! every operation and block contents verified before every free.

mod common;

use common::Rng;
use core::alloc::{GlobalAlloc, Layout};
use kcore::heap::{Heap, HeapError, LockedHeap, HEADER, MIN_BLOCK};

/// A 4096-aligned arena of `bytes` bytes.
fn arena(bytes: usize) -> Vec<Page> {
    vec![Page([0; 4096]); bytes / 4096]
}

#[derive(Clone, Copy)]
#[repr(C, align(4096))]
struct Page([u8; 4096]);

fn heap_over(mem: &mut [Page]) -> Heap {
    let mut heap = Heap::empty();
    // SAFETY: `mem` outlives the heap in every test and is used only through it.
    unsafe { heap.init(mem.as_mut_ptr().cast(), mem.len() * 4096) };
    heap
}

struct Live {
    ptr: *mut u8,
    layout: Layout,
    fill: u8,
}

fn verify(l: &Live) {
    // SAFETY: `l` is a live allocation of `layout.size()` bytes that we filled.
    let bytes = unsafe { std::slice::from_raw_parts(l.ptr, l.layout.size()) };
    assert!(
        bytes.iter().all(|&b| b == l.fill),
        "block at {:p} was overwritten",
        l.ptr
    );
}

#[test]
fn fresh_heap_is_one_free_block() {
    let mut mem = arena(64 * 1024);
    let heap = heap_over(&mut mem);
    let stats = heap.check_invariants().unwrap();
    assert_eq!(
        (stats.blocks, stats.free_blocks, stats.free_bytes),
        (1, 1, 64 * 1024)
    );
}

#[test]
fn uninitialized_heap_refuses() {
    let mut heap = Heap::empty();
    assert!(heap.alloc(Layout::new::<u64>()).is_null());
    assert_eq!(heap.check_invariants(), Err(HeapError::NotInitialized));
    let mut tiny = [0u128; 1];
    // SAFETY: `tiny` outlives the heap and is used only through it.
    unsafe { heap.init(tiny.as_mut_ptr().cast(), 16) };
    assert!(heap.alloc(Layout::new::<u8>()).is_null());
}

#[test]
fn self_test_passes_on_fresh_and_busy_heaps() {
    let mut mem = arena(256 * 1024);
    let mut heap = heap_over(&mut mem);
    heap.self_test().unwrap();
    let keep: Vec<_> = (1..20)
        .map(|i| heap.alloc(Layout::from_size_align(i * 40, 16).unwrap()))
        .collect();
    let before = heap.check_invariants().unwrap();
    assert_eq!(heap.self_test().unwrap(), before);
    for (i, p) in keep.into_iter().enumerate() {
        // SAFETY: allocated above with this layout, freed once.
        unsafe { heap.dealloc(p, Layout::from_size_align((i + 1) * 40, 16).unwrap()) };
    }
    assert_eq!(heap.check_invariants().unwrap().blocks, 1);
}

#[test]
fn self_test_reports_out_of_memory() {
    let mut mem = arena(16 * 1024);
    let mut heap = heap_over(&mut mem);
    assert!(matches!(
        heap.self_test(),
        Err(HeapError::SelfTestOutOfMemory { .. })
    ));
}

#[test]
fn randomized_patterns_keep_invariants_and_contents() {
    const SIZE: usize = 512 * 1024;
    let aligns = [1, 2, 4, 8, 16, 32, 64, 128, 256, 4096, 8192];
    for seed in 1..=12 {
        let mut rng = Rng::new(seed);
        let mut mem = arena(SIZE);
        let mut heap = heap_over(&mut mem);
        let (lo, hi) = (mem.as_ptr() as usize, mem.as_ptr() as usize + SIZE);
        let mut live: Vec<Live> = Vec::new();
        let mut ooms = 0;
        for op in 0..3000 {
            if live.is_empty() || rng.chance(55) {
                let size = match rng.below(10) {
                    0 => rng.below(40_000) as usize,
                    1..=3 => rng.below(2048) as usize,
                    _ => rng.below(96) as usize,
                };
                let layout = Layout::from_size_align(size, *rng.pick(&aligns)).unwrap();
                let p = heap.alloc(layout);
                if p.is_null() {
                    ooms += 1;
                } else {
                    let a = p as usize;
                    assert_eq!(a % layout.align(), 0, "seed {seed} op {op}: misaligned");
                    assert!(
                        a >= lo && a + size <= hi,
                        "seed {seed} op {op}: outside arena"
                    );
                    for l in &live {
                        let b = l.ptr as usize;
                        assert!(
                            a + size.max(1) <= b || b + l.layout.size().max(1) <= a,
                            "overlap"
                        );
                    }
                    let fill = rng.next_u64() as u8;
                    // SAFETY: fresh allocation of `size` bytes.
                    unsafe { std::ptr::write_bytes(p, fill, size) };
                    live.push(Live {
                        ptr: p,
                        layout,
                        fill,
                    });
                }
            } else {
                let l = live.swap_remove(rng.below(live.len() as u64) as usize);
                verify(&l);
                // SAFETY: `l` came from this heap's alloc and is freed once.
                unsafe { heap.dealloc(l.ptr, l.layout) };
            }
            heap.check_invariants()
                .unwrap_or_else(|e| panic!("seed {seed} op {op}: {e}"));
        }
        assert!(ooms < 3000 / 4, "seed {seed}: {ooms} allocations failed");
        while let Some(l) = live.pop() {
            verify(&l);
            // SAFETY: as above.
            unsafe { heap.dealloc(l.ptr, l.layout) };
            heap.check_invariants().unwrap();
        }
        let stats = heap.check_invariants().unwrap();
        assert_eq!(
            (stats.blocks, stats.free_blocks, stats.free_bytes),
            (1, 1, SIZE),
            "seed {seed}"
        );
    }
}

#[test]
fn exhaustion_returns_null_and_recovers() {
    let mut mem = arena(8 * 1024);
    let mut heap = heap_over(&mut mem);
    let layout = Layout::from_size_align(1000, 8).unwrap();
    let mut got = Vec::new();
    loop {
        let p = heap.alloc(layout);
        if p.is_null() {
            break;
        }
        got.push(p);
    }
    assert_eq!(got.len(), 8 * 1024 / (1008 + HEADER));
    assert!(heap
        .alloc(Layout::from_size_align(isize::MAX as usize - 4096, 8).unwrap())
        .is_null());
    assert!(heap
        .alloc(Layout::from_size_align(16, 1 << 40).unwrap())
        .is_null());
    for p in got {
        // SAFETY: allocated above with `layout`, freed once.
        unsafe { heap.dealloc(p, layout) };
    }
    assert!(!heap
        .alloc(Layout::from_size_align(8 * 1024 - HEADER, 8).unwrap())
        .is_null());
}

#[test]
fn split_leaves_no_sliver_and_coalesces_both_sides() {
    let mut mem = arena(4096);
    let mut heap = heap_over(&mut mem);
    let l = Layout::from_size_align(64, 16).unwrap();
    let (a, b, c) = (heap.alloc(l), heap.alloc(l), heap.alloc(l));
    // SAFETY: each pointer came from this heap with `l` and is freed once.
    unsafe {
        heap.dealloc(a, l);
        heap.dealloc(c, l);
        assert_eq!(heap.check_invariants().unwrap().free_blocks, 2);
        heap.dealloc(b, l);
    }
    assert_eq!(heap.check_invariants().unwrap().blocks, 1);
    let rest = Layout::from_size_align(4096 - HEADER - (MIN_BLOCK - 16), 16).unwrap();
    assert!(!heap.alloc(rest).is_null());
    assert_eq!(
        heap.check_invariants().unwrap().blocks,
        1,
        "a tail below MIN_BLOCK stays in the block"
    );
}

#[test]
fn overwritten_header_is_detected() {
    let mut mem = arena(4096);
    let mut heap = heap_over(&mut mem);
    let l = Layout::from_size_align(32, 16).unwrap();
    let p = heap.alloc(l);
    heap.alloc(l);
    // SAFETY: deliberately writes past the 32-byte block into the next header (inside our
    // arena) to simulate a buffer overflow.
    unsafe { std::ptr::write_bytes(p, 0xAA, 32 + HEADER) };
    assert!(matches!(
        heap.check_invariants(),
        Err(HeapError::BadSize { .. } | HeapError::BadTag { .. })
    ));
}

#[test]
#[should_panic(expected = "not an allocated block")]
fn double_free_panics() {
    let mut mem = arena(4096);
    let mut heap = heap_over(&mut mem);
    let l = Layout::from_size_align(32, 16).unwrap();
    let p = heap.alloc(l);
    // SAFETY: the second dealloc is the misuse under test; the heap must catch it.
    unsafe {
        heap.dealloc(p, l);
        heap.dealloc(p, l);
    }
}

#[test]
fn locked_heap_is_a_global_allocator() {
    static HEAP: LockedHeap = LockedHeap::empty();
    let mem = Box::leak(arena(64 * 1024).into_boxed_slice());
    // SAFETY: the leaked arena lives forever and is used only by HEAP.
    unsafe { HEAP.init(mem.as_mut_ptr().cast(), mem.len() * 4096) };
    let l = Layout::from_size_align(4096, 4096).unwrap();
    // SAFETY: non-zero layout; the block is freed once with the same layout.
    unsafe {
        let p = HEAP.alloc(l);
        assert!(!p.is_null() && (p as usize).is_multiple_of(4096));
        HEAP.dealloc(p, l);
    }
    assert_eq!(HEAP.self_test().unwrap().blocks, 1);
}

#[test]
#[should_panic(expected = "larger than its block")]
fn dealloc_with_a_larger_layout_panics() {
    let mut mem = arena(4096);
    let mut heap = heap_over(&mut mem);
    let p = heap.alloc(Layout::from_size_align(32, 16).unwrap());
    // SAFETY: the mismatched layout is the misuse under test; the heap must catch it.
    unsafe { heap.dealloc(p, Layout::from_size_align(4000, 16).unwrap()) };
}

#[test]
fn locked_heap_survives_concurrent_threads() {
    static HEAP: LockedHeap = LockedHeap::empty();
    let mem = Box::leak(arena(1 << 20).into_boxed_slice());
    // SAFETY: the leaked arena lives forever and is used only by HEAP.
    unsafe { HEAP.init(mem.as_mut_ptr().cast(), mem.len() * 4096) };
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            std::thread::spawn(move || {
                let mut rng = Rng::new(100 + t);
                let mut live: Vec<(usize, Layout, u8)> = Vec::new();
                for _ in 0..2000 {
                    if live.len() < 50 && rng.chance(60) {
                        let layout =
                            Layout::from_size_align(1 + rng.below(3000) as usize, 16).unwrap();
                        // SAFETY: non-zero layout.
                        let p = unsafe { HEAP.alloc(layout) };
                        assert!(!p.is_null());
                        // SAFETY: fresh block of `layout.size()` bytes owned by this thread.
                        unsafe { std::ptr::write_bytes(p, t as u8, layout.size()) };
                        live.push((p as usize, layout, t as u8));
                    } else if let Some((p, layout, fill)) = live.pop() {
                        let l = Live {
                            ptr: p as *mut u8,
                            layout,
                            fill,
                        };
                        verify(&l);
                        // SAFETY: allocated above by this thread with `layout`, freed once.
                        unsafe { HEAP.dealloc(l.ptr, layout) };
                    }
                }
                for (p, layout, fill) in live {
                    verify(&Live {
                        ptr: p as *mut u8,
                        layout,
                        fill,
                    });
                    // SAFETY: as above.
                    unsafe { HEAP.dealloc(p as *mut u8, layout) };
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stats = HEAP.check_invariants().unwrap();
    assert_eq!((stats.blocks, stats.free_bytes), (1, 1 << 20));
}
