//! Physical memory manager: hands out 4 KiB frames from a set of usable regions.
//!
//! Two implementations of [`FrameAllocator`] give identical answers for identical call
//! sequences, because both follow one policy: **`alloc` returns the lowest free frame**.
//! [`BaselinePmm`] is the obviously-correct reference (a `bool` per frame, linear scan);
//! [`BitmapPmm`] is the one the kernel uses (one bit per frame in caller-supplied storage,
//! so the kernel can place it in a firmware-provided region before the heap exists).
//!
//! Regions are given in any order; [`RegionSet`] sorts them and merges touching ones.
//! Overlapping or unaligned regions are rejected rather than guessed at.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

mod bitmap;
pub use bitmap::BitmapPmm;

/// Frame size in bytes.
pub const PAGE_SIZE: u64 = 4096;
/// Most distinct (after merging) regions a [`RegionSet`] holds; UEFI maps have far fewer
/// conventional runs.
pub const MAX_REGIONS: usize = 128;

/// A run of usable physical memory: `pages` frames from `start` (4 KiB aligned).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhysRegion {
    pub start: u64,
    pub pages: u64,
}

/// Why a PMM operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PmmError {
    /// Address is not a multiple of [`PAGE_SIZE`].
    Unaligned(u64),
    /// Address is not inside any managed region.
    OutOfRange(u64),
    /// Frame is already free (free) or already in use (reserve).
    DoubleFree(u64),
    /// Frame is already allocated or reserved.
    AlreadyUsed(u64),
    /// Two regions overlap (start addresses given).
    OverlappingRegions(u64, u64),
    /// A region's end does not fit in the 64-bit address space.
    RegionOverflow(u64),
    /// More than [`MAX_REGIONS`] regions after merging.
    TooManyRegions,
    /// Caller storage is smaller than [`BitmapPmm::storage_words`].
    StorageTooSmall { needed: usize, got: usize },
}

impl fmt::Display for PmmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Unaligned(a) => write!(f, "frame address {a:#x} is not 4 KiB aligned"),
            Self::OutOfRange(a) => write!(f, "frame {a:#x} is outside every managed region"),
            Self::DoubleFree(a) => write!(f, "frame {a:#x} is already free (double free)"),
            Self::AlreadyUsed(a) => write!(f, "frame {a:#x} is already in use"),
            Self::OverlappingRegions(a, b) => {
                write!(f, "regions starting at {a:#x} and {b:#x} overlap")
            }
            Self::RegionOverflow(a) => write!(f, "region at {a:#x} runs past 2^64"),
            Self::TooManyRegions => write!(f, "more than {MAX_REGIONS} regions after merging"),
            Self::StorageTooSmall { needed, got } => {
                write!(f, "bitmap storage has {got} words, needs {needed}")
            }
        }
    }
}

/// Allocator of 4 KiB physical frames; the lowest free frame is always handed out first.
pub trait FrameAllocator {
    /// Lowest free frame, now marked used; `None` when exhausted.
    fn alloc(&mut self) -> Option<u64>;
    /// Returns a frame; refuses unaligned, unmanaged and already-free addresses.
    fn free(&mut self, addr: u64) -> Result<(), PmmError>;
    /// Marks a specific free frame used (e.g. the frames holding the bitmap itself).
    fn reserve(&mut self, addr: u64) -> Result<(), PmmError>;
    /// Frames currently free.
    fn free_frames(&self) -> u64;
    /// Frames managed in total.
    fn total_frames(&self) -> u64;
}

/// Sorted, merged, non-overlapping regions with a dense frame numbering across them.
#[derive(Clone, Debug)]
pub struct RegionSet {
    regions: [PhysRegion; MAX_REGIONS],
    /// Frame index of the first frame of each region.
    first_index: [u64; MAX_REGIONS],
    len: usize,
    total: u64,
}

impl RegionSet {
    /// Validates, sorts and merges `regions` (empty regions are dropped).
    pub fn new(regions: &[PhysRegion]) -> Result<Self, PmmError> {
        let mut set = Self {
            regions: [PhysRegion::default(); MAX_REGIONS],
            first_index: [0; MAX_REGIONS],
            len: 0,
            total: 0,
        };
        for r in regions.iter().filter(|r| r.pages > 0) {
            if r.start % PAGE_SIZE != 0 {
                return Err(PmmError::Unaligned(r.start));
            }
            region_end(r)?;
            set.insert_sorted(*r)?;
        }
        let mut index = 0;
        for i in 0..set.len {
            set.first_index[i] = index;
            index += set.regions[i].pages;
        }
        set.total = index;
        Ok(set)
    }

    fn insert_sorted(&mut self, r: PhysRegion) -> Result<(), PmmError> {
        let end = region_end(&r)?;
        let pos = self.regions[..self.len].partition_point(|x| x.start < r.start);
        if pos > 0 {
            let prev = self.regions[pos - 1];
            let prev_end = region_end(&prev)?;
            if prev_end > r.start {
                return Err(PmmError::OverlappingRegions(prev.start, r.start));
            }
        }
        if pos < self.len && self.regions[pos].start < end {
            return Err(PmmError::OverlappingRegions(
                r.start,
                self.regions[pos].start,
            ));
        }
        if pos > 0 && region_end(&self.regions[pos - 1])? == r.start {
            self.regions[pos - 1].pages += r.pages;
            self.merge_with_next(pos - 1)?;
            return Ok(());
        }
        if self.len == MAX_REGIONS {
            return Err(PmmError::TooManyRegions);
        }
        self.regions.copy_within(pos..self.len, pos + 1);
        self.regions[pos] = r;
        self.len += 1;
        self.merge_with_next(pos)
    }

    fn merge_with_next(&mut self, i: usize) -> Result<(), PmmError> {
        if i + 1 < self.len && region_end(&self.regions[i])? == self.regions[i + 1].start {
            self.regions[i].pages += self.regions[i + 1].pages;
            self.regions.copy_within(i + 2..self.len, i + 1);
            self.len -= 1;
        }
        Ok(())
    }

    /// The merged regions in address order.
    pub fn regions(&self) -> &[PhysRegion] {
        &self.regions[..self.len]
    }

    /// Frames in all regions.
    pub fn total_frames(&self) -> u64 {
        self.total
    }

    /// Dense index of the frame at `addr` (increasing with the address).
    pub fn index_of(&self, addr: u64) -> Result<u64, PmmError> {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(PmmError::Unaligned(addr));
        }
        let pos = self.regions().partition_point(|r| r.start <= addr);
        if pos == 0 {
            return Err(PmmError::OutOfRange(addr));
        }
        let r = self.regions[pos - 1];
        let offset = (addr - r.start) / PAGE_SIZE;
        if offset >= r.pages {
            return Err(PmmError::OutOfRange(addr));
        }
        Ok(self.first_index[pos - 1] + offset)
    }

    /// Address of the frame with dense index `index` (< [`Self::total_frames`]).
    pub fn addr_of(&self, index: u64) -> Option<u64> {
        if index >= self.total {
            return None;
        }
        let pos = self.first_index[..self.len].partition_point(|&f| f <= index);
        let r = self.regions[pos - 1];
        Some(r.start + (index - self.first_index[pos - 1]) * PAGE_SIZE)
    }
}

fn region_end(r: &PhysRegion) -> Result<u64, PmmError> {
    r.pages
        .checked_mul(PAGE_SIZE)
        .and_then(|len| r.start.checked_add(len))
        .ok_or(PmmError::RegionOverflow(r.start))
}

/// Reference allocator: one `bool` per frame, linear scan from the lowest frame.
/// Needs the heap; meant as the oracle the bitmap allocator is tested against.
pub struct BaselinePmm {
    regions: RegionSet,
    used: Vec<bool>,
    free: u64,
}

impl BaselinePmm {
    /// All frames of `regions` start free.
    pub fn new(regions: &[PhysRegion]) -> Result<Self, PmmError> {
        let regions = RegionSet::new(regions)?;
        let total = regions.total_frames();
        Ok(Self {
            used: vec![false; total as usize],
            free: total,
            regions,
        })
    }
}

impl FrameAllocator for BaselinePmm {
    fn alloc(&mut self) -> Option<u64> {
        let index = self.used.iter().position(|u| !u)?;
        self.used[index] = true;
        self.free -= 1;
        self.regions.addr_of(index as u64)
    }

    fn free(&mut self, addr: u64) -> Result<(), PmmError> {
        let index = self.regions.index_of(addr)? as usize;
        if !self.used[index] {
            return Err(PmmError::DoubleFree(addr));
        }
        self.used[index] = false;
        self.free += 1;
        Ok(())
    }

    fn reserve(&mut self, addr: u64) -> Result<(), PmmError> {
        let index = self.regions.index_of(addr)? as usize;
        if self.used[index] {
            return Err(PmmError::AlreadyUsed(addr));
        }
        self.used[index] = true;
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
