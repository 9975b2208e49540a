//! The few UEFI definitions Rustux needs, written by hand (no registry crates): the system
//! table, the boot services it calls, and the memory map. Layouts follow UEFI 2.10 §4.
mod boot_services;
mod memory_map;

pub use boot_services::{BootServices, ALLOCATE_ADDRESS};
pub use memory_map::{MemoryMap, MemoryType};

use core::ffi::c_void;

pub type Handle = *mut c_void;

/// `EFI_STATUS`: high bit set means error.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Status(pub usize);

impl Status {
    pub const SUCCESS: Status = Status(0);
    const ERROR_BIT: usize = 1 << (usize::BITS - 1);
    pub const INVALID_PARAMETER: Status = Status(Self::ERROR_BIT | 2);
    pub const BUFFER_TOO_SMALL: Status = Status(Self::ERROR_BIT | 5);

    pub fn is_error(self) -> bool {
        self.0 & Self::ERROR_BIT != 0
    }
}

#[repr(C)]
pub struct TableHeader {
    pub signature: u64,
    pub revision: u32,
    pub header_size: u32,
    pub crc32: u32,
    pub reserved: u32,
}

/// `EFI_SYSTEM_TABLE`.
#[repr(C)]
pub struct SystemTable {
    pub hdr: TableHeader,
    pub firmware_vendor: *const u16,
    pub firmware_revision: u32,
    pub console_in_handle: Handle,
    pub con_in: *mut c_void,
    pub console_out_handle: Handle,
    pub con_out: *mut c_void,
    pub standard_error_handle: Handle,
    pub std_err: *mut c_void,
    pub runtime_services: *mut c_void,
    pub boot_services: *mut BootServices,
    pub number_of_table_entries: usize,
    pub configuration_table: *mut c_void,
}

impl SystemTable {
    pub const SIGNATURE: u64 = 0x5453_5953_2049_4249; // "IBI SYST"
}

// Layout checks against the UEFI specification's offsets; a wrong field order fails the build.
const _: () = assert!(core::mem::size_of::<TableHeader>() == 24);
const _: () = assert!(core::mem::size_of::<SystemTable>() == 120);
const _: () = assert!(core::mem::offset_of!(SystemTable, boot_services) == 96);
