//! Reading one file from the volume the kernel was loaded from, the way UEFI boot loaders
//! read an initrd: LoadedImage -> DeviceHandle -> SimpleFileSystem -> OpenVolume -> Open.
//! The data goes into LoaderData pages, which stay ours after ExitBootServices.
use super::{BootServices, Guid, Handle, MemoryType, Status, ALLOCATE_ANY_PAGES};
use core::ffi::c_void;

const LOADED_IMAGE: Guid = Guid::new(
    0x5b1b_31a1,
    0x9562,
    0x11d2,
    [0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b],
);
const SIMPLE_FILE_SYSTEM: Guid = Guid::new(
    0x964e_5b22,
    0x6459,
    0x11d2,
    [0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b],
);
const FILE_INFO: Guid = Guid::new(
    0x0957_6e92,
    0x6d3f,
    0x11d2,
    [0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b],
);
const FILE_MODE_READ: u64 = 1;

#[repr(C)]
struct LoadedImage {
    revision: u32,
    parent_handle: Handle,
    system_table: *const c_void,
    device_handle: Handle,
}

#[repr(C)]
struct SimpleFileSystem {
    revision: u64,
    open_volume: unsafe extern "efiapi" fn(
        this: *mut SimpleFileSystem,
        root: *mut *mut FileProtocol,
    ) -> Status,
}

#[repr(C)]
struct FileProtocol {
    revision: u64,
    open: unsafe extern "efiapi" fn(
        this: *mut FileProtocol,
        new: *mut *mut FileProtocol,
        name: *const u16,
        mode: u64,
        attributes: u64,
    ) -> Status,
    close: unsafe extern "efiapi" fn(this: *mut FileProtocol) -> Status,
    delete: usize,
    read: unsafe extern "efiapi" fn(
        this: *mut FileProtocol,
        size: *mut usize,
        buffer: *mut u8,
    ) -> Status,
    write: usize,
    get_position: usize,
    set_position: usize,
    get_info: unsafe extern "efiapi" fn(
        this: *mut FileProtocol,
        kind: *const Guid,
        size: *mut usize,
        buffer: *mut u8,
    ) -> Status,
}

/// Largest file read: the PMM leaves the firmware plenty, but an absurd size is a bug.
const MAX_BYTES: u64 = 64 << 20;

/// Why the file could not be read: the step that failed and the firmware's status.
pub struct ReadError {
    pub step: &'static str,
    pub status: Status,
}

fn check(step: &'static str, status: Status) -> Result<(), ReadError> {
    if status.is_error() {
        Err(ReadError { step, status })
    } else {
        Ok(())
    }
}

/// Reads `path` (a NUL-terminated UCS-2 path) from the boot volume into fresh pages.
pub fn read_boot_file(
    bs: &BootServices,
    image: Handle,
    path: &[u16],
) -> Result<&'static [u8], ReadError> {
    let mut loaded: *mut c_void = core::ptr::null_mut();
    // SAFETY: `image` is our image handle; the out-pointer is live.
    check("LoadedImage", unsafe {
        (bs.handle_protocol)(image, &LOADED_IMAGE, &mut loaded)
    })?;
    // SAFETY: the firmware returned a LoadedImage protocol for our image.
    let device = unsafe { (*(loaded as *const LoadedImage)).device_handle };
    let mut fs: *mut c_void = core::ptr::null_mut();
    // SAFETY: `device` is the handle our image was loaded from; the out-pointer is live.
    check("SimpleFileSystem", unsafe {
        (bs.handle_protocol)(device, &SIMPLE_FILE_SYSTEM, &mut fs)
    })?;
    let fs = fs as *mut SimpleFileSystem;
    let mut root: *mut FileProtocol = core::ptr::null_mut();
    // SAFETY: `fs` is the device's file system protocol.
    check("OpenVolume", unsafe { ((*fs).open_volume)(fs, &mut root) })?;
    let mut file: *mut FileProtocol = core::ptr::null_mut();
    // SAFETY: `root` is an open directory; `path` is NUL-terminated.
    let opened = unsafe { ((*root).open)(root, &mut file, path.as_ptr(), FILE_MODE_READ, 0) };
    // SAFETY: `root` is open and not used afterwards.
    unsafe { ((*root).close)(root) };
    check("Open", opened)?;
    let result = read_open(bs, file);
    // SAFETY: `file` is open and not used afterwards.
    unsafe { ((*file).close)(file) };
    result
}

fn read_open(bs: &BootServices, file: *mut FileProtocol) -> Result<&'static [u8], ReadError> {
    // EFI_FILE_INFO: Size, FileSize, PhysicalSize, three times, Attribute, then the name.
    let mut info = [0u64; 64];
    let mut size = core::mem::size_of_val(&info);
    // SAFETY: `file` is open; `info` is a live buffer of `size` bytes.
    check("GetInfo", unsafe {
        ((*file).get_info)(file, &FILE_INFO, &mut size, info.as_mut_ptr() as *mut u8)
    })?;
    let bytes = info[1];
    if bytes > MAX_BYTES {
        return Err(ReadError {
            step: "GetInfo (file too large)",
            status: Status::BUFFER_TOO_SMALL,
        });
    }
    let pages = bytes.div_ceil(4096).max(1);
    let mut at = 0u64;
    // SAFETY: AllocateAnyPages writes the address of `pages` fresh pages to `at`.
    check("AllocatePages", unsafe {
        (bs.allocate_pages)(
            ALLOCATE_ANY_PAGES,
            MemoryType::LoaderData as u32,
            pages as usize,
            &mut at,
        )
    })?;
    let mut read = bytes as usize;
    // SAFETY: the pages just allocated hold at least `read` bytes.
    check("Read", unsafe {
        ((*file).read)(file, &mut read, at as *mut u8)
    })?;
    // SAFETY: LoaderData pages stay allocated to us for the kernel's lifetime (the PMM
    // manages a different region), identity-mapped before and after our own tables.
    Ok(unsafe { core::slice::from_raw_parts(at as *const u8, read) })
}
