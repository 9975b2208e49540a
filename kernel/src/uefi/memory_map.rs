//! The UEFI memory map, read into a fixed buffer (no allocation exists yet when we need it).
use super::{BootServices, Status};

#[repr(u32)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MemoryType {
    LoaderData = 2,
    Conventional = 7,
    // aarch64 keeps MMIO out of its RAM map (x86_64 maps the first 4 GiB whatever they are).
    #[cfg(target_arch = "aarch64")]
    MemoryMappedIo = 11,
    #[cfg(target_arch = "aarch64")]
    MemoryMappedIoPortSpace = 12,
}

/// `EFI_MEMORY_DESCRIPTOR`; the firmware's stride (`descriptor_size`) may be larger.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MemoryDescriptor {
    pub ty: u32,
    pub physical_start: u64,
    pub virtual_start: u64,
    pub number_of_pages: u64,
    pub attribute: u64,
}

const _: () = assert!(core::mem::size_of::<MemoryDescriptor>() == 40);

const MAP_BYTES: usize = 32 * 1024;

/// A snapshot of the memory map with the key ExitBootServices needs.
pub struct MemoryMap {
    buf: [u8; MAP_BYTES],
    len: usize,
    pub key: usize,
    desc_size: usize,
}

impl MemoryMap {
    pub const fn new() -> Self {
        Self {
            buf: [0; MAP_BYTES],
            len: 0,
            key: 0,
            desc_size: 0,
        }
    }

    /// Fetches the current map into this buffer.
    pub fn refresh(&mut self, bs: &BootServices) -> Result<(), Status> {
        let mut size = MAP_BYTES;
        let mut version = 0u32;
        // SAFETY: every out-pointer points into `self`, and `size` tells the firmware how
        // many bytes of `buf` it may write.
        let status = unsafe {
            (bs.get_memory_map)(
                &mut size,
                self.buf.as_mut_ptr(),
                &mut self.key,
                &mut self.desc_size,
                &mut version,
            )
        };
        if status.is_error() {
            return Err(status);
        }
        if self.desc_size < core::mem::size_of::<MemoryDescriptor>() {
            return Err(Status::INVALID_PARAMETER);
        }
        self.len = size;
        Ok(())
    }

    pub fn entries(&self) -> impl Iterator<Item = MemoryDescriptor> + '_ {
        let stride = self.desc_size.max(1);
        (0..self.len / stride).map(move |i| {
            let at = i * stride;
            // SAFETY: `at + size_of::<MemoryDescriptor>() <= len <= MAP_BYTES` because the
            // firmware wrote `len / stride` whole descriptors of `stride >= 40` bytes; the read
            // is unaligned-safe.
            unsafe {
                core::ptr::read_unaligned(self.buf.as_ptr().add(at) as *const MemoryDescriptor)
            }
        })
    }

    pub fn len(&self) -> usize {
        self.len / self.desc_size.max(1)
    }

    pub fn conventional(&self) -> impl Iterator<Item = MemoryDescriptor> + '_ {
        self.entries()
            .filter(|d| d.ty == MemoryType::Conventional as u32)
    }

    /// One past the highest physical address any descriptor covers.
    #[cfg(target_arch = "x86_64")]
    pub fn max_address(&self) -> u64 {
        self.entries()
            .map(|d| d.physical_start + d.number_of_pages * 4096)
            .max()
            .unwrap_or(0)
    }
}
