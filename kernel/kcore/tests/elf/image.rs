//! A tiny ELF64 writer and a page sink that shows every byte written.

use kcore::elf::{load_image, ElfImage, LoadPolicy, PageSink, Segment, PAGE_SIZE};
use std::collections::HashMap;

pub const BASE: u64 = 0x0000_1000_0000_0000;

pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

#[derive(Clone, Copy)]
pub struct Ph {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

pub fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
    Ph {
        p_type: 1,
        flags,
        offset,
        vaddr,
        filesz,
        memsz,
        align: 0x1000,
    }
}

/// Writes an ELF64 x86-64 ET_EXEC with `phs` at offset 64 and `len` bytes in total; file
/// bytes past the headers hold a recognizable pattern.
pub fn build(entry: u64, phs: &[Ph], len: usize) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
    let mut put = |at: usize, bytes: &[u8]| f[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    put(16, &2u16.to_le_bytes());
    put(18, &62u16.to_le_bytes());
    put(20, &1u32.to_le_bytes());
    put(24, &entry.to_le_bytes());
    put(32, &64u64.to_le_bytes());
    put(40, &0u64.to_le_bytes());
    put(48, &0u32.to_le_bytes());
    put(52, &64u16.to_le_bytes());
    put(54, &56u16.to_le_bytes());
    put(56, &(phs.len() as u16).to_le_bytes());
    put(58, &[0; 6]);
    for (i, ph) in phs.iter().enumerate() {
        let at = 64 + i * 56;
        put(at, &ph.p_type.to_le_bytes());
        put(at + 4, &ph.flags.to_le_bytes());
        put(at + 8, &ph.offset.to_le_bytes());
        put(at + 16, &ph.vaddr.to_le_bytes());
        put(at + 24, &ph.vaddr.to_le_bytes());
        put(at + 32, &ph.filesz.to_le_bytes());
        put(at + 40, &ph.memsz.to_le_bytes());
        put(at + 48, &ph.align.to_le_bytes());
    }
    f
}

/// Text (RX) at BASE+0x1000, data+bss (RW) sharing no page, and a PT_GNU_STACK.
pub fn text_data() -> [Ph; 3] {
    [
        load(PF_R | PF_X, 0x1000, BASE + 0x1000, 0x234, 0x234),
        load(PF_R | PF_W, 0x2100, BASE + 0x3100, 0x80, 0x3000),
        Ph {
            p_type: 0x6474_e551,
            flags: PF_R | PF_W,
            offset: 0,
            vaddr: 0,
            filesz: 0,
            memsz: 0,
            align: 16,
        },
    ]
}

pub fn valid() -> Vec<u8> {
    build(BASE + 0x1010, &text_data(), 0x2180)
}

pub fn policy() -> LoadPolicy {
    LoadPolicy::USER_DEFAULT
}

/// Pages pre-filled with 0xCC so writes outside segments are visible.
#[derive(Default)]
pub struct Pages(pub HashMap<u64, [u8; 4096]>);

impl PageSink for Pages {
    fn page(&mut self, page_vaddr: u64, _segment: &Segment) -> Option<&mut [u8; 4096]> {
        assert_eq!(page_vaddr % PAGE_SIZE, 0);
        Some(self.0.entry(page_vaddr).or_insert([0xCC; 4096]))
    }
}

/// Loads `image` and checks every byte of every touched page: file bytes, zeros, or 0xCC.
pub fn load_and_check(data: &[u8], image: &ElfImage) {
    let mut pages = Pages::default();
    load_image(data, image, &mut pages).unwrap();
    for (&page, bytes) in &pages.0 {
        for (i, &b) in bytes.iter().enumerate() {
            let va = page + i as u64;
            let expected = match image
                .segments()
                .iter()
                .find(|s| va >= s.vaddr && va < s.end())
            {
                Some(s) if va < s.vaddr + s.filesz => data[(s.offset + va - s.vaddr) as usize],
                Some(_) => 0,
                None => 0xCC,
            };
            assert_eq!(b, expected, "byte at {va:#x}");
        }
    }
}
