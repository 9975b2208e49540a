//! The few UEFI definitions Rustux needs, written by hand (no registry crates): the system
//! table, the boot services it calls, and the memory map. Layouts follow UEFI 2.10 §4.
mod boot_services;
pub mod file;
pub mod gop;
mod memory_map;

pub use boot_services::{BootServices, ALLOCATE_ADDRESS, ALLOCATE_ANY_PAGES};
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
    pub const NOT_FOUND: Status = Status(Self::ERROR_BIT | 14);

    pub fn is_error(self) -> bool {
        self.0 & Self::ERROR_BIT != 0
    }

    /// The specification's name for the common codes (UEFI 2.10 Appendix D).
    pub fn name(self) -> Option<&'static str> {
        const NAMES: [&str; 16] = [
            "EFI_SUCCESS",
            "EFI_LOAD_ERROR",
            "EFI_INVALID_PARAMETER",
            "EFI_UNSUPPORTED",
            "EFI_BAD_BUFFER_SIZE",
            "EFI_BUFFER_TOO_SMALL",
            "EFI_NOT_READY",
            "EFI_DEVICE_ERROR",
            "EFI_WRITE_PROTECTED",
            "EFI_OUT_OF_RESOURCES",
            "EFI_VOLUME_CORRUPTED",
            "EFI_VOLUME_FULL",
            "EFI_NO_MEDIA",
            "EFI_MEDIA_CHANGED",
            "EFI_NOT_FOUND",
            "EFI_ACCESS_DENIED",
        ];
        NAMES.get(self.0 & !Self::ERROR_BIT).copied()
    }
}

impl core::fmt::Display for Status {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "status {:#x}", self.0),
        }
    }
}

/// `EFI_GUID`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Guid(u32, u16, u16, [u8; 8]);

impl Guid {
    pub const fn new(a: u32, b: u16, c: u16, d: [u8; 8]) -> Self {
        Self(a, b, c, d)
    }
}

/// `EFI_CONFIGURATION_TABLE`.
#[repr(C)]
pub struct ConfigurationTable {
    pub guid: Guid,
    pub table: *const c_void,
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
    pub configuration_table: *const ConfigurationTable,
}

impl SystemTable {
    pub const SIGNATURE: u64 = 0x5453_5953_2049_4249; // "IBI SYST"

    pub fn configuration_entries(&self) -> &[ConfigurationTable] {
        if self.configuration_table.is_null() {
            return &[];
        }
        // SAFETY: the firmware describes `number_of_table_entries` entries at this address,
        // and they stay valid after ExitBootServices (runtime memory).
        unsafe {
            core::slice::from_raw_parts(self.configuration_table, self.number_of_table_entries)
        }
    }
}

// Layout checks against the UEFI specification's offsets; a wrong field order fails the build.
const _: () = assert!(core::mem::size_of::<TableHeader>() == 24);
const _: () = assert!(core::mem::size_of::<SystemTable>() == 120);
const _: () = assert!(core::mem::offset_of!(SystemTable, boot_services) == 96);
