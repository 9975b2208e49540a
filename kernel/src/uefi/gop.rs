//! The Graphics Output Protocol's current mode: where the framebuffer is and its layout.
//! The kernel draws into it directly after ExitBootServices.
use super::{BootServices, Guid};
use core::ffi::c_void;

const GOP: Guid = Guid::new(
    0x9042_a9de,
    0x23dc,
    0x4a38,
    [0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a],
);

#[repr(C)]
struct Protocol {
    query_mode: usize,
    set_mode: usize,
    blt: usize,
    mode: *const Mode,
}

#[repr(C)]
struct Mode {
    max_mode: u32,
    mode: u32,
    info: *const ModeInfo,
    size_of_info: usize,
    frame_buffer_base: u64,
    frame_buffer_size: usize,
}

#[repr(C)]
struct ModeInfo {
    version: u32,
    horizontal_resolution: u32,
    vertical_resolution: u32,
    pixel_format: u32,
    masks: [u32; 4],
    pixels_per_scan_line: u32,
}

/// `EFI_GRAPHICS_PIXEL_FORMAT` values Rustux can draw.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    Rgbx,
    Bgrx,
}

#[derive(Clone, Copy)]
pub struct Framebuffer {
    pub base: u64,
    pub size: u64,
    pub width: u32,
    pub height: u32,
    pub stride: u32,
    pub format: PixelFormat,
}

/// The current GOP mode, if there is a GOP with a linear 32-bit framebuffer.
pub fn framebuffer(bs: &BootServices) -> Option<Framebuffer> {
    let mut gop: *mut c_void = core::ptr::null_mut();
    // SAFETY: LocateProtocol with a live out-pointer; boot services are active.
    let status = unsafe { (bs.locate_protocol)(&GOP, core::ptr::null_mut(), &mut gop) };
    if status.is_error() || gop.is_null() {
        return None;
    }
    // SAFETY: the firmware returned a GOP instance; its mode and info are valid while boot
    // services run, and we copy what we need now.
    let (mode, info) = unsafe {
        let mode = &*(*(gop as *const Protocol)).mode;
        (mode, &*mode.info)
    };
    let format = match info.pixel_format {
        0 => PixelFormat::Rgbx,
        1 => PixelFormat::Bgrx,
        _ => return None,
    };
    Some(Framebuffer {
        base: mode.frame_buffer_base,
        size: mode.frame_buffer_size as u64,
        width: info.horizontal_resolution,
        height: info.vertical_resolution,
        stride: info.pixels_per_scan_line,
        format,
    })
}
