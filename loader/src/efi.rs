//! The few UEFI types the loader calls, hand-written (`#[repr(C)]`, `efiapi`), their offsets
//! checked at compile time against the specification's tables.
use core::ffi::c_void;

pub type Handle = *mut c_void;
pub type Status = usize;
pub const SUCCESS: Status = 0;
type Unused = usize;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Guid(pub u32, pub u16, pub u16, pub [u8; 8]);

pub const SIMPLE_FILE_SYSTEM: Guid = Guid(0x964e5b22, 0x6459, 0x11d2, [0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b]);
pub const DEVICE_PATH: Guid = Guid(0x09576e91, 0x6d3f, 0x11d2, [0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b]);
pub const RAM_DISK: Guid = Guid(0xab38a0df, 0x6873, 0x44a9, [0x87, 0xe6, 0xd4, 0xeb, 0x56, 0x14, 0x84, 0x49]);
pub const GRAPHICS_OUTPUT: Guid = Guid(0x9042a9de, 0x23dc, 0x4a38, [0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a]);
/// `gEfiVirtualDiskGuid`: a RAM disk that is a disk image (as opposed to a CD image).
pub const VIRTUAL_DISK: Guid = Guid(0x77ab535a, 0x45fc, 0x624b, [0x55, 0x60, 0xf7, 0xb2, 0x81, 0xd1, 0xf9, 0x6e]);

#[repr(C)]
pub struct SimpleTextOutput {
    reset: Unused,
    pub output_string: unsafe extern "efiapi" fn(this: *mut SimpleTextOutput, text: *const u16) -> Status,
}

#[repr(C)]
pub struct SystemTable {
    hdr: [u8; 24],
    firmware_vendor: Unused,
    firmware_revision: u32,
    console_in_handle: Handle,
    con_in: Unused,
    console_out_handle: Handle,
    pub con_out: *mut SimpleTextOutput,
    standard_error_handle: Handle,
    std_err: Unused,
    runtime_services: Unused,
    pub boot_services: *const BootServices,
}

#[repr(C)]
pub struct BootServices {
    hdr: [u8; 24],
    tpl: [Unused; 2],
    pub allocate_pages: unsafe extern "efiapi" fn(kind: u32, mem: u32, pages: usize, address: *mut u64) -> Status,
    memory: [Unused; 4],
    events: [Unused; 6],
    protocol_interfaces: [Unused; 3],
    pub handle_protocol: unsafe extern "efiapi" fn(handle: Handle, guid: *const Guid, out: *mut *mut c_void) -> Status,
    handles: [Unused; 4], // reserved, RegisterProtocolNotify, LocateHandle, LocateDevicePath
    config_table: Unused,
    pub load_image: unsafe extern "efiapi" fn(boot_policy: u8, parent: Handle, path: *const u8, source: *const c_void,
                                              size: usize, image: *mut Handle) -> Status,
    pub start_image: unsafe extern "efiapi" fn(image: Handle, exit_size: *mut usize, exit_data: *mut *mut u16) -> Status,
    images: [Unused; 3],
    monotonic: Unused,
    pub stall: unsafe extern "efiapi" fn(microseconds: usize) -> Status,
    pub set_watchdog_timer: unsafe extern "efiapi" fn(timeout: usize, code: u64, size: usize, data: *const u16) -> Status,
    controllers: [Unused; 2],
    open_close: [Unused; 4],
    pub locate_handle_buffer: unsafe extern "efiapi" fn(search: u32, guid: *const Guid, key: *const c_void,
                                                        count: *mut usize, handles: *mut *mut Handle) -> Status,
    pub locate_protocol: unsafe extern "efiapi" fn(guid: *const Guid, key: *const c_void, out: *mut *mut c_void) -> Status,
}

#[repr(C)]
pub struct RamDiskProtocol {
    pub register: unsafe extern "efiapi" fn(base: u64, size: u64, kind: *const Guid, parent: *const u8,
                                            path: *mut *const u8) -> Status,
    unregister: Unused,
}

#[repr(C)]
pub struct GraphicsOutput {
    query_set_blt: [Unused; 3],
    pub mode: *const GraphicsMode,
}

#[repr(C)]
pub struct GraphicsMode {
    max_mode: u32,
    mode: u32,
    pub info: *const GraphicsModeInfo,
    size_of_info: usize,
    pub frame_buffer_base: u64,
    frame_buffer_size: usize,
}

#[repr(C)]
pub struct GraphicsModeInfo {
    version: u32,
    pub horizontal: u32,
    pub vertical: u32,
    pub pixel_format: u32,
    pixel_masks: [u32; 4],
    pub pixels_per_scan_line: u32,
}

/// `AllocateAnyPages`, `EfiBootServicesData`, `ByProtocol`.
pub const ALLOCATE_ANY_PAGES: u32 = 0;
pub const BOOT_SERVICES_DATA: u32 = 4;
pub const BY_PROTOCOL: u32 = 2;

const _: () = assert!(core::mem::offset_of!(SystemTable, con_out) == 0x40);
const _: () = assert!(core::mem::offset_of!(GraphicsOutput, mode) == 0x18);
const _: () = assert!(core::mem::offset_of!(GraphicsMode, frame_buffer_base) == 0x18);
const _: () = assert!(core::mem::offset_of!(GraphicsModeInfo, pixels_per_scan_line) == 0x20);
const _: () = assert!(core::mem::offset_of!(SystemTable, boot_services) == 0x60);
const _: () = assert!(core::mem::offset_of!(BootServices, allocate_pages) == 0x28);
const _: () = assert!(core::mem::offset_of!(BootServices, handle_protocol) == 0x98);
const _: () = assert!(core::mem::offset_of!(BootServices, load_image) == 0xc8);
const _: () = assert!(core::mem::offset_of!(BootServices, start_image) == 0xd0);
const _: () = assert!(core::mem::offset_of!(BootServices, stall) == 0xf8);
const _: () = assert!(core::mem::offset_of!(BootServices, set_watchdog_timer) == 0x100);
const _: () = assert!(core::mem::offset_of!(BootServices, locate_handle_buffer) == 0x138);
const _: () = assert!(core::mem::offset_of!(BootServices, locate_protocol) == 0x140);
