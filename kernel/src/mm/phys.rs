//! [`kcore::paging::PhysMemory`] for the running kernel: all RAM is identity-mapped (by the
//! firmware before ExitBootServices, by our own tables after), so a physical address is
//! usable as a pointer.
use kcore::paging::PhysMemory;
use kcore::pmm::{BitmapPmm, FrameAllocator};

pub type Pmm = BitmapPmm<'static>;

// kcore's page-table logic speaks x86-64 entry bits; on aarch64 each entry is stored as the
// stage-1 descriptor that means the same (kcore::paging::aarch64::{encode, decode}).
fn read(pa: u64) -> u64 {
    // SAFETY: page-table code reads only 8-byte-aligned entries of tables it was given or
    // built, which are RAM frames inside the identity map.
    let raw = unsafe { core::ptr::read_volatile(pa as *const u64) };
    #[cfg(target_arch = "aarch64")]
    let raw = kcore::paging::aarch64::decode(raw);
    raw
}

fn write(pa: u64, v: u64) {
    #[cfg(target_arch = "aarch64")]
    let v = kcore::paging::aarch64::encode(v);
    // SAFETY: page-table code writes only entries of tables it owns (frames from our PMM or
    // the kernel PML4), inside the identity map and used by nothing else.
    unsafe { core::ptr::write_volatile(pa as *mut u64, v) }
}

/// Read-only walks (syscall pointer checks): cannot allocate.
pub struct Identity;

impl PhysMemory for Identity {
    fn alloc_frame(&mut self) -> Option<u64> {
        None
    }
    fn read(&self, pa: u64) -> u64 {
        read(pa)
    }
    fn write(&mut self, pa: u64, v: u64) {
        write(pa, v)
    }
}

/// Table building: new tables come from the PMM.
pub struct WithFrames<'a>(pub &'a mut Pmm);

impl PhysMemory for WithFrames<'_> {
    fn alloc_frame(&mut self) -> Option<u64> {
        self.0.alloc()
    }
    fn read(&self, pa: u64) -> u64 {
        read(pa)
    }
    fn write(&mut self, pa: u64, v: u64) {
        write(pa, v)
    }
}

/// A zeroed frame from the PMM.
pub fn zeroed_frame(pmm: &mut Pmm) -> Option<u64> {
    let frame = pmm.alloc()?;
    // SAFETY: the PMM just handed us this frame, so nothing else uses it, and it is RAM in
    // the identity map.
    unsafe { core::ptr::write_bytes(frame as *mut u8, 0, 4096) };
    Some(frame)
}
