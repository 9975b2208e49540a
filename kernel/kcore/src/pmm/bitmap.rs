//! The kernel's frame allocator: one bit per frame (1 = used) in caller-supplied words.

use super::{FrameAllocator, PhysRegion, PmmError, RegionSet};

/// Bitmap frame allocator over storage the caller provides (e.g. frames from the firmware
/// memory map, identity-mapped), so it works before the heap exists.
pub struct BitmapPmm<'a> {
    regions: RegionSet,
    bits: &'a mut [u64],
    free: u64,
    /// No word below this index has a free bit: keeps `alloc` from rescanning full words.
    first_maybe_free: usize,
}

impl<'a> BitmapPmm<'a> {
    /// Words of storage needed for `total_frames` frames.
    pub const fn storage_words(total_frames: u64) -> usize {
        total_frames.div_ceil(64) as usize
    }

    /// All frames of `regions` start free; `storage` must hold at least
    /// [`Self::storage_words`] of the merged total (extra words are left untouched).
    pub fn new(regions: &[PhysRegion], storage: &'a mut [u64]) -> Result<Self, PmmError> {
        let regions = RegionSet::new(regions)?;
        let total = regions.total_frames();
        let needed = Self::storage_words(total);
        if storage.len() < needed {
            return Err(PmmError::StorageTooSmall {
                needed,
                got: storage.len(),
            });
        }
        let bits = &mut storage[..needed];
        bits.fill(0);
        // Bits past the last frame are permanently "used" so `alloc` never returns them.
        let tail = total % 64;
        if tail != 0 {
            bits[needed - 1] = !0u64 << tail;
        }
        Ok(Self {
            regions,
            bits,
            free: total,
            first_maybe_free: 0,
        })
    }

    fn is_used(&self, index: u64) -> bool {
        self.bits[(index / 64) as usize] & (1 << (index % 64)) != 0
    }

    fn set(&mut self, index: u64, used: bool) {
        let word = &mut self.bits[(index / 64) as usize];
        if used {
            *word |= 1 << (index % 64);
        } else {
            *word &= !(1 << (index % 64));
        }
    }
}

impl FrameAllocator for BitmapPmm<'_> {
    fn alloc(&mut self) -> Option<u64> {
        let start = self.first_maybe_free;
        let offset = self.bits[start..].iter().position(|w| *w != !0u64)?;
        let word = start + offset;
        self.first_maybe_free = word;
        let bit = self.bits[word].trailing_ones() as u64;
        let index = word as u64 * 64 + bit;
        self.set(index, true);
        self.free -= 1;
        self.regions.addr_of(index)
    }

    fn free(&mut self, addr: u64) -> Result<(), PmmError> {
        let index = self.regions.index_of(addr)?;
        if !self.is_used(index) {
            return Err(PmmError::DoubleFree(addr));
        }
        self.set(index, false);
        self.free += 1;
        self.first_maybe_free = self.first_maybe_free.min((index / 64) as usize);
        Ok(())
    }

    fn reserve(&mut self, addr: u64) -> Result<(), PmmError> {
        let index = self.regions.index_of(addr)?;
        if self.is_used(index) {
            return Err(PmmError::AlreadyUsed(addr));
        }
        self.set(index, true);
        self.free -= 1;
        Ok(())
    }

    fn free_frames(&self) -> u64 {
        self.free
    }

    fn total_frames(&self) -> u64 {
        self.regions.total_frames()
    }
}
