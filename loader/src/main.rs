//! The warm lane's resident loader. The lab boots it once per machine and firmware (QEMU's
//! `-kernel`, so OVMF starts it with no disk and no shell), it says `rustux-loader: waiting` on
//! the console, and the lab snapshots the machine while it polls fw_cfg. A restored copy finds
//! `opt/rustux/esp` (given to the restoring QEMU: fw_cfg contents are not migrated), reads it
//! with one DMA access into a RAM disk (RamDiskDxe: the firmware's FAT driver mounts it), and
//! loads `\EFI\BOOT\BOOTX64.EFI` (`BOOTAA64.EFI`) from that file system with
//! LoadImage/StartImage, as the boot manager does for a removable disk: the kernel's
//! LoadedImage names the FAT volume it reads its initrd from, through the firmware's own file
//! protocol. Where the machine has a ramfb (arm64's `virt`), the loader first writes its config
//! again from the firmware's GOP: QEMU does not migrate it (src/ramfb.rs).
//!
//! One arch seam: how fw_cfg is reached (x86_64: I/O ports; aarch64: virt's MMIO registers).
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

mod efi;
#[cfg_attr(target_arch = "x86_64", path = "port_x86_64.rs")]
#[cfg_attr(target_arch = "aarch64", path = "mmio_aarch64.rs")]
mod fwcfg_io;

use core::ffi::c_void;
use core::ptr;

use efi::{BootServices, Guid, Handle, Status, SystemTable};
use loader::devpath::{self, BOOT_FILE};
use loader::fwcfg::{self, DmaAccess, FileEntry};
use loader::ramfb;

const POLL_US: usize = 500;
const MAX_DIR_ENTRIES: usize = 256;

struct Firmware {
    st: *const SystemTable,
    bs: &'static BootServices,
    image: Handle,
}

#[no_mangle]
extern "efiapi" fn efi_main(image: Handle, st: *const SystemTable) -> Status {
    // SAFETY: the firmware passes a valid system table whose boot services live until
    // ExitBootServices, which only the kernel this loader starts calls.
    let bs = unsafe { &*(*st).boot_services };
    let fw = Firmware { st, bs, image };
    match fw.run() {
        Ok(()) => efi::SUCCESS,
        Err((what, status)) => {
            fw.say("rustux-loader: error: ");
            fw.say(what);
            fw.say_hex(status);
            loop {
                fw.stall(1_000_000); // stay: the lab reads the line and boots cold
            }
        }
    }
}

type Failure = (&'static str, Status);

impl Firmware {
    fn run(&self) -> Result<(), Failure> {
        // SAFETY: a boot service call with no pointers; 0 turns the watchdog off.
        unsafe { (self.bs.set_watchdog_timer)(0, 0, 0, ptr::null()) };
        if &fwcfg_io::read_small::<4>(fwcfg::SIGNATURE) != b"QEMU" {
            return Err(("no fw_cfg on this machine", 0));
        }
        if u32::from_le_bytes(fwcfg_io::read_small::<4>(fwcfg::ID)) & fwcfg::ID_DMA == 0 {
            return Err(("fw_cfg has no DMA interface", 0));
        }
        let dir = self.pages(4 + fwcfg::dir_len(MAX_DIR_ENTRIES as u32))?;
        self.say("rustux-loader: waiting for opt/rustux/esp\r\n");
        let esp = loop {
            if let Some(file) = self.esp_entry(dir)? {
                break file;
            }
            self.stall(POLL_US);
        };
        let base = self.pages(esp.size as usize)?;
        let mut access = DmaAccess::read(esp.select, esp.size, base as u64);
        if !fwcfg_io::dma(&mut access) {
            return Err(("fw_cfg DMA read of opt/rustux/esp failed", 0));
        }
        if let Some(ramfb) = fwcfg::find_file(self.directory(dir)?, ramfb::RAMFB_FILE) {
            self.restore_ramfb(ramfb.select)?;
        }
        let disk = self.register_ram_disk(base, esp.size)?;
        let fs = self.file_system_on(disk)?;
        self.start(fs)
    }

    /// The ESP's directory entry once the restoring QEMU serves a real one (not the placeholder).
    fn esp_entry(&self, dir: *mut u8) -> Result<Option<FileEntry>, Failure> {
        Ok(fwcfg::find_file(self.directory(dir)?, fwcfg::ESP_FILE).filter(|f| f.size >= fwcfg::MIN_ESP_SIZE))
    }

    /// fw_cfg's file directory (its entries, without the count), read into `dir`: valid until
    /// the next read into `dir` (the pages are never freed).
    fn directory(&self, dir: *mut u8) -> Result<&'static [u8], Failure> {
        let mut access = DmaAccess::read(fwcfg::FILE_DIR, 4, dir as u64);
        if !fwcfg_io::dma(&mut access) {
            return Err(("fw_cfg DMA read of the file directory failed", 0));
        }
        // SAFETY: `dir` is our allocation of 4 + MAX_DIR_ENTRIES entries; the DMA filled its first 4 bytes.
        let count = fwcfg::dir_count(unsafe { &*(dir as *const [u8; 4]) }).min(MAX_DIR_ENTRIES as u32);
        let len = 4 + fwcfg::dir_len(count);
        let mut access = DmaAccess::read(fwcfg::FILE_DIR, len as u32, dir as u64);
        if !fwcfg_io::dma(&mut access) {
            return Err(("fw_cfg DMA read of the file directory failed", 0));
        }
        // SAFETY: the DMA filled `len` bytes of our allocation, which holds at least that many.
        Ok(unsafe { core::slice::from_raw_parts(dir.add(4), len - 4) })
    }

    /// Point the ramfb device at the framebuffer the firmware's GOP draws in, as it did before
    /// the snapshot: the restored device has forgotten it, and the kernel draws in that GOP.
    fn restore_ramfb(&self, select: u16) -> Result<(), Failure> {
        let gop = self.locate(&efi::GRAPHICS_OUTPUT).map_err(|s| ("ramfb but no GOP to restore it from", s))?;
        // SAFETY: the firmware's GOP instance, found above; its mode and mode info live as long as it.
        let (mode, info) = unsafe {
            let mode = &*(*(gop as *const efi::GraphicsOutput)).mode;
            (mode, &*mode.info)
        };
        if info.pixel_format != ramfb::GOP_BGRX {
            return Err(("the GOP's pixel format is not ramfb's XRGB8888", info.pixel_format as Status));
        }
        let config = self.pages(ramfb::CONFIG_SIZE)?;
        let bytes = ramfb::config(mode.frame_buffer_base, info.horizontal, info.vertical, info.pixels_per_scan_line);
        // SAFETY: our allocation of at least CONFIG_SIZE bytes.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), config, bytes.len()) };
        let mut access = DmaAccess::write(select, ramfb::CONFIG_SIZE as u32, config as u64);
        if !fwcfg_io::dma(&mut access) {
            return Err(("fw_cfg DMA write of etc/ramfb failed", 0));
        }
        Ok(())
    }

    /// The RAM disk's device path; RamDiskDxe connects its drivers (the FAT one mounts it).
    fn register_ram_disk(&self, base: *mut u8, size: u32) -> Result<*const u8, Failure> {
        let ram_disk = self.locate(&efi::RAM_DISK).map_err(|s| ("no RAM disk protocol (RamDiskDxe)", s))?;
        let ram_disk = ram_disk as *const efi::RamDiskProtocol;
        let mut path: *const u8 = ptr::null();
        // SAFETY: RamDiskDxe's protocol, found above; the disk is our allocation of `size` bytes,
        // kept for good (the kernel reads from it until it exits boot services).
        let status = unsafe { ((*ram_disk).register)(base as u64, u64::from(size), &efi::VIRTUAL_DISK, ptr::null(), &mut path) };
        if status != efi::SUCCESS {
            return Err(("registering the RAM disk failed", status));
        }
        Ok(path)
    }

    /// The handle with a simple file system whose device path lies on `disk`.
    fn file_system_on(&self, disk: *const u8) -> Result<Handle, Failure> {
        let mut count = 0usize;
        let mut handles: *mut Handle = ptr::null_mut();
        // SAFETY: out-pointers to our locals; the firmware allocates the handle buffer.
        let status = unsafe {
            (self.bs.locate_handle_buffer)(efi::BY_PROTOCOL, &efi::SIMPLE_FILE_SYSTEM, ptr::null(), &mut count, &mut handles)
        };
        if status != efi::SUCCESS {
            return Err(("no file system at all after the RAM disk", status));
        }
        // SAFETY: both paths are device paths the firmware made, each ending in an end node.
        let disk = unsafe { path_bytes(disk) };
        for i in 0..count {
            // SAFETY: the firmware's buffer holds `count` handles.
            let handle = unsafe { *handles.add(i) };
            if let Ok(path) = self.protocol(handle, &efi::DEVICE_PATH) {
                // SAFETY: as above: a device path protocol instance is a whole device path.
                if devpath::starts_with(unsafe { path_bytes(path as *const u8) }, disk) {
                    return Ok(handle);
                }
            }
        }
        Err(("the FAT driver did not mount the ESP from the RAM disk", 0))
    }

    /// LoadImage + StartImage of the boot file on `fs`, like the boot manager's removable-media boot.
    fn start(&self, fs: Handle) -> Result<(), Failure> {
        let volume = self.protocol(fs, &efi::DEVICE_PATH).map_err(|s| ("the file system has no device path", s))?;
        // SAFETY: a device path protocol instance is a whole device path.
        let volume = unsafe { path_bytes(volume as *const u8) };
        let body = devpath::body_len(volume).ok_or(("the file system's device path is malformed", 0))?;
        let full = self.pages(body + devpath::file_node_len(BOOT_FILE))?;
        // SAFETY: our allocation holds the volume's path body plus the file node.
        let out = unsafe { core::slice::from_raw_parts_mut(full, body + devpath::file_node_len(BOOT_FILE)) };
        out[..body].copy_from_slice(&volume[..body]);
        devpath::write_file_node(BOOT_FILE, &mut out[body..]);
        let mut child: Handle = ptr::null_mut();
        // SAFETY: `full` is a whole device path; the firmware reads the file through it.
        let status = unsafe { (self.bs.load_image)(0, self.image, full, ptr::null(), 0, &mut child) };
        if status != efi::SUCCESS {
            return Err(("LoadImage of the boot file failed", status));
        }
        self.say("rustux-loader: starting ");
        self.say(BOOT_FILE);
        self.say("\r\n"); // from here on, what happens is the image's
        // SAFETY: `child` is the image LoadImage just made.
        let status = unsafe { (self.bs.start_image)(child, ptr::null_mut(), ptr::null_mut()) };
        Err(("the boot file returned", status))
    }

    fn pages(&self, bytes: usize) -> Result<*mut u8, Failure> {
        let mut address = 0u64;
        // SAFETY: an out-pointer to our local.
        let status = unsafe {
            (self.bs.allocate_pages)(efi::ALLOCATE_ANY_PAGES, efi::BOOT_SERVICES_DATA, bytes.div_ceil(4096), &mut address)
        };
        if status != efi::SUCCESS {
            return Err(("out of memory", status));
        }
        Ok(address as *mut u8)
    }

    fn locate(&self, guid: &Guid) -> Result<*mut c_void, Status> {
        let mut out = ptr::null_mut();
        // SAFETY: an out-pointer to our local.
        let status = unsafe { (self.bs.locate_protocol)(guid, ptr::null(), &mut out) };
        if status == efi::SUCCESS { Ok(out) } else { Err(status) }
    }

    fn protocol(&self, handle: Handle, guid: &Guid) -> Result<*mut c_void, Status> {
        let mut out = ptr::null_mut();
        // SAFETY: `handle` came from the firmware; an out-pointer to our local.
        let status = unsafe { (self.bs.handle_protocol)(handle, guid, &mut out) };
        if status == efi::SUCCESS { Ok(out) } else { Err(status) }
    }

    fn stall(&self, microseconds: usize) {
        // SAFETY: a boot service call with no pointers.
        unsafe { (self.bs.stall)(microseconds) };
    }

    fn say(&self, text: &str) {
        let mut buf = [0u16; 128];
        for chunk in text.as_bytes().chunks(buf.len() - 1) {
            for (i, &b) in chunk.iter().enumerate() {
                buf[i] = u16::from(b);
            }
            buf[chunk.len()] = 0;
            // SAFETY: ConOut of a valid system table; `buf` is NUL-terminated UTF-16.
            unsafe { ((*(*self.st).con_out).output_string)((*self.st).con_out, buf.as_ptr()) };
        }
    }

    fn say_hex(&self, status: Status) {
        let mut text = *b" (status 0x0000000000000000)\r\n";
        for i in 0..16 {
            text[10 + i] = b"0123456789abcdef"[(status >> (60 - 4 * i)) & 0xf];
        }
        self.say(core::str::from_utf8(&text).unwrap_or(""));
    }
}

/// A whole device path as bytes (its end node included).
///
/// # Safety
/// `path` points to a device path the firmware made: nodes with true lengths, ending in an end node.
unsafe fn path_bytes<'a>(path: *const u8) -> &'a [u8] {
    let mut len = 0usize;
    loop {
        // SAFETY: by the contract every node header lies within the path.
        let node = unsafe { core::slice::from_raw_parts(path.add(len), 4) };
        let node_len = usize::from(u16::from_le_bytes([node[2], node[3]])).max(4);
        len += node_len;
        if node[0] == 0x7f && node[1] == 0xff {
            // SAFETY: the nodes walked so far lie within the path.
            return unsafe { core::slice::from_raw_parts(path, len) };
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
