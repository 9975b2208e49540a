//! `EFI_BOOT_SERVICES`, typed only as far as the last service Rustux calls.
use super::{Guid, Handle, Status, TableHeader};
use core::ffi::c_void;

/// Entries we never call are kept as opaque pointers so later offsets stay right.
type Unused = usize;

#[repr(C)]
pub struct BootServices {
    pub hdr: TableHeader,
    raise_tpl: Unused,
    restore_tpl: Unused,
    pub allocate_pages: unsafe extern "efiapi" fn(
        alloc_type: u32,
        mem_type: u32,
        pages: usize,
        memory: *mut u64,
    ) -> Status,
    free_pages: Unused,
    pub get_memory_map: unsafe extern "efiapi" fn(
        map_size: *mut usize,
        map: *mut u8,
        map_key: *mut usize,
        descriptor_size: *mut usize,
        descriptor_version: *mut u32,
    ) -> Status,
    allocate_pool: Unused,
    free_pool: Unused,
    events: [Unused; 6],
    protocol_interfaces: [Unused; 3],
    pub handle_protocol: unsafe extern "efiapi" fn(
        handle: Handle,
        protocol: *const Guid,
        interface: *mut *mut c_void,
    ) -> Status,
    protocols: [Unused; 5],
    images: [Unused; 4],
    pub exit_boot_services: unsafe extern "efiapi" fn(image: Handle, map_key: usize) -> Status,
    get_next_monotonic_count: Unused,
    pub stall: unsafe extern "efiapi" fn(microseconds: usize) -> Status,
    pub set_watchdog_timer: unsafe extern "efiapi" fn(
        timeout: usize,
        code: u64,
        data_size: usize,
        data: *const u16,
    ) -> Status,
    more: [Unused; 7],
    pub locate_protocol: unsafe extern "efiapi" fn(
        protocol: *const Guid,
        registration: *mut c_void,
        interface: *mut *mut c_void,
    ) -> Status,
}

/// `EFI_ALLOCATE_TYPE::AllocateAnyPages`.
pub const ALLOCATE_ANY_PAGES: u32 = 0;
/// `EFI_ALLOCATE_TYPE::AllocateAddress`.
pub const ALLOCATE_ADDRESS: u32 = 2;

const _: () = assert!(core::mem::offset_of!(BootServices, allocate_pages) == 0x28);
const _: () = assert!(core::mem::offset_of!(BootServices, get_memory_map) == 0x38);
const _: () = assert!(core::mem::offset_of!(BootServices, exit_boot_services) == 0xe8);
const _: () = assert!(core::mem::offset_of!(BootServices, stall) == 0xf8);
const _: () = assert!(core::mem::offset_of!(BootServices, set_watchdog_timer) == 0x100);
const _: () = assert!(core::mem::offset_of!(BootServices, handle_protocol) == 0x98);
const _: () = assert!(core::mem::offset_of!(BootServices, locate_protocol) == 0x140);
