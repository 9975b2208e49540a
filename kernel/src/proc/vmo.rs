//! Virtual memory objects and the handle table. A VMO owns zeroed frames (ELF segments, a
//! stack, an anonymous mapping) and frees them when its last reference goes; a process
//! refers to VMOs, initrd files and the console through handles with rights.
use crate::mm::phys::zeroed_frame;
use alloc::rc::Rc;
use alloc::vec::Vec;
use kcore::pmm::FrameAllocator;

pub struct Vmo {
    frames: Vec<u64>,
}

impl Vmo {
    /// `pages` zeroed frames; None when the PMM runs out (what it gave back is freed).
    pub fn new(pages: u64) -> Option<Self> {
        let mut vmo = Self { frames: Vec::new() };
        for _ in 0..pages {
            let frame = crate::mm::with_pmm(zeroed_frame)?;
            vmo.frames.push(frame);
        }
        Some(vmo)
    }

    /// An empty VMO that grows page by page (the ELF loader's).
    pub fn empty() -> Self {
        Self { frames: Vec::new() }
    }

    pub fn push(&mut self, frame: u64) {
        self.frames.push(frame);
    }

    pub fn frames(&self) -> &[u64] {
        &self.frames
    }
}

impl Drop for Vmo {
    fn drop(&mut self) {
        crate::mm::with_pmm(|pmm| {
            for &frame in &self.frames {
                let _ = pmm.free(frame);
            }
        });
    }
}

pub mod rights {
    pub const READ: u32 = 1;
    pub const WRITE: u32 = 2;
    pub const MAP: u32 = 4;
}

pub enum Object {
    Console,
    File { data: &'static [u8], pos: usize },
    Vmo(Rc<Vmo>),
}

pub struct Handle {
    pub object: Object,
    pub rights: u32,
}

/// Handles at once per process (fds 0-2 are the console).
pub const MAX_HANDLES: usize = 64;

pub struct HandleTable {
    slots: Vec<Option<Handle>>,
}

impl HandleTable {
    /// Console read on 0, write on 1 and 2.
    pub fn new() -> Self {
        let mut slots = Vec::with_capacity(MAX_HANDLES);
        slots.resize_with(MAX_HANDLES, || None);
        let console = |rights| {
            Some(Handle {
                object: Object::Console,
                rights,
            })
        };
        slots[0] = console(rights::READ);
        slots[1] = console(rights::WRITE);
        slots[2] = console(rights::WRITE);
        Self { slots }
    }

    /// The lowest free handle from 3 up; None when the table is full.
    pub fn add(&mut self, handle: Handle) -> Option<usize> {
        let index = (3..MAX_HANDLES).find(|&i| self.slots[i].is_none())?;
        self.slots[index] = Some(handle);
        Some(index)
    }

    /// The handle `index` if it carries `right`.
    pub fn get(&mut self, index: u64, right: u32) -> Option<&mut Handle> {
        let handle = self.slots.get_mut(usize::try_from(index).ok()?)?.as_mut()?;
        (handle.rights & right != 0).then_some(handle)
    }

    /// The VMO behind handle `index`, if it is one.
    pub fn vmo(&mut self, index: u64) -> Option<&Rc<Vmo>> {
        match &self.get(index, rights::MAP)?.object {
            Object::Vmo(vmo) => Some(vmo),
            _ => None,
        }
    }

    pub fn close(&mut self, index: u64) -> Option<Handle> {
        self.slots.get_mut(usize::try_from(index).ok()?)?.take()
    }
}
