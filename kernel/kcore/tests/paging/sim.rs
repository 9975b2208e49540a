//! Simulated physical memory and exhaustive walks over page tables built in it.

use kcore::paging::flags::{HUGE, PRESENT};
use kcore::paging::{translate, PhysMemory, Translation, ADDR_MASK};
use std::collections::{BTreeSet, HashMap};

/// Frames handed out from 64 MiB upwards, filled with garbage (tables must be zeroed by
/// the code under test); reads and writes outside allocated frames panic (wild access).
pub struct SimMemory {
    pub frames: HashMap<u64, Box<[u64; 512]>>,
    next: u64,
    pub limit: usize,
    /// Writes to this address are dropped, to simulate memory that does not hold a value.
    pub stuck: Option<u64>,
}

impl SimMemory {
    pub fn new() -> Self {
        SimMemory {
            frames: HashMap::new(),
            next: 64 << 20,
            limit: usize::MAX,
            stuck: None,
        }
    }
}

impl PhysMemory for SimMemory {
    fn alloc_frame(&mut self) -> Option<u64> {
        if self.frames.len() >= self.limit {
            return None;
        }
        let frame = self.next;
        self.next += 4096;
        self.frames
            .insert(frame, Box::new([0xdead_beef_dead_beef; 512]));
        Some(frame)
    }
    fn read(&self, pa: u64) -> u64 {
        assert_eq!(pa % 8, 0);
        self.frames
            .get(&(pa & !0xfff))
            .unwrap_or_else(|| panic!("read of unallocated {pa:#x}"))[(pa as usize & 0xfff) / 8]
    }
    fn write(&mut self, pa: u64, v: u64) {
        assert_eq!(pa % 8, 0);
        if self.stuck == Some(pa) {
            return;
        }
        self.frames
            .get_mut(&(pa & !0xfff))
            .unwrap_or_else(|| panic!("write to unallocated {pa:#x}"))[(pa as usize & 0xfff) / 8] =
            v;
    }
}

/// Every table frame reachable from `pml4` below it (PDPT, PD, PT), optionally only
/// through the PML4 slots `slots` selects.
pub fn tables_below(mem: &SimMemory, pml4: u64, slots: impl Fn(usize) -> bool) -> BTreeSet<u64> {
    let mut found = BTreeSet::new();
    let mut stack: Vec<(u64, u32)> = (0..512)
        .filter(|&i| slots(i))
        .map(|i| mem.read(pml4 + i as u64 * 8))
        .filter(|e| e & PRESENT != 0)
        .map(|e| (e & ADDR_MASK, 3))
        .collect();
    while let Some((table, level)) = stack.pop() {
        found.insert(table);
        if level == 1 {
            continue;
        }
        for i in 0..512 {
            let e = mem.read(table + i * 8);
            if e & PRESENT != 0 && e & HUGE == 0 {
                stack.push((e & ADDR_MASK, level - 1));
            }
        }
    }
    found
}

/// Every leaf mapping reachable from `pml4`, with its virtual address and translation.
pub fn leaves(mem: &SimMemory, pml4: u64) -> Vec<(u64, Translation)> {
    let mut out = Vec::new();
    let mut stack: Vec<(u64, u32, u64)> = vec![(pml4, 4, 0)];
    while let Some((table, level, base)) = stack.pop() {
        for i in 0..512u64 {
            let e = mem.read(table + i * 8);
            if e & PRESENT == 0 {
                continue;
            }
            let mut va = base | (i << (12 + 9 * (level - 1)));
            if level == 4 && i >= 256 {
                va |= 0xffff_0000_0000_0000;
            }
            if level == 1 || (level < 4 && e & HUGE != 0) {
                out.push((va, translate(mem, pml4, va).expect("leaf must translate")));
            } else {
                stack.push((e & ADDR_MASK, level - 1, va));
            }
        }
    }
    out
}
