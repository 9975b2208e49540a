//! The PXE base code's TFTP client: after a network boot, the initrd comes from the server
//! that served the kernel (`BootpSiAddr` of the proxy offer or the DHCP ack).
use super::file::{allocate, check, ReadError, MAX_BYTES};
use super::{BootServices, Guid, Handle, Status};
use core::ffi::c_void;

const PXE_BASE_CODE: Guid = Guid::new(
    0x03c4_e603,
    0xac28,
    0x11d3,
    [0x9a, 0x2d, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d],
);
const TFTP_GET_FILE_SIZE: u32 = 1;
const TFTP_READ_FILE: u32 = 2;

type Mtftp = unsafe extern "efiapi" fn(
    this: *mut Protocol,
    operation: u32,
    buffer: *mut c_void,
    overwrite: bool,
    size: *mut u64,
    block_size: *const usize,
    server: *const [u8; 16],
    filename: *const u8,
    info: *const c_void,
    dont_use_buffer: bool,
) -> Status;

#[repr(C)]
struct Protocol {
    revision: u64,
    start_stop_dhcp_discover: [usize; 4],
    mtftp: Mtftp,
    others: [usize; 7],
    mode: *const u8,
}

/// `EFI_PXE_BASE_CODE_MODE` offsets: the flags, then StationIp and SubnetMask (16 bytes
/// each from 20), then 1472-byte packets: DhcpDiscover at 52, DhcpAck at 1524, ProxyOffer at
/// 2996. A DHCPv4 packet's BootpSiAddr is at 20.
const STARTED: usize = 0;
const DHCP_ACK_RECEIVED: usize = 9;
const PROXY_OFFER_RECEIVED: usize = 10;
const DHCP_ACK: usize = 1524;
const PROXY_OFFER: usize = 2996;
const SI_ADDR: usize = 20;

/// Reads `path` (UCS-2, NUL-terminated, backslashes) over TFTP if `device` has a started
/// PXE base code; None when it has none (not a network boot).
pub fn read_file(
    bs: &BootServices,
    device: Handle,
    path: &[u16],
) -> Option<Result<&'static [u8], ReadError>> {
    let mut pxe: *mut c_void = core::ptr::null_mut();
    // SAFETY: `device` is our image's device handle; the out-pointer is live.
    let status = unsafe { (bs.handle_protocol)(device, &PXE_BASE_CODE, &mut pxe) };
    if status.is_error() || pxe.is_null() {
        return None;
    }
    let pxe = pxe as *mut Protocol;
    // SAFETY: the firmware's PXE base code protocol stays valid while boot services run.
    let mode = unsafe { (*pxe).mode };
    // SAFETY: every offset read lies inside the mode structure (UEFI 2.10 §24.3), which the
    // protocol keeps valid; only read after the null check below.
    let byte = |at: usize| unsafe { *mode.add(at) };
    if mode.is_null() || byte(STARTED) == 0 {
        return None;
    }
    let server_at =
        |packet: usize| -> [u8; 4] { core::array::from_fn(|i| byte(packet + SI_ADDR + i)) };
    let mut server = [0u8; 16];
    let proxy = server_at(PROXY_OFFER);
    let ack = server_at(DHCP_ACK);
    server[..4].copy_from_slice(if byte(PROXY_OFFER_RECEIVED) != 0 && proxy != [0; 4] {
        &proxy
    } else if byte(DHCP_ACK_RECEIVED) != 0 {
        &ack
    } else {
        return None;
    });
    // TFTP names are ASCII, relative to the server's root, with slashes.
    let mut name = [0u8; 64];
    let chars = path
        .iter()
        .take_while(|&&c| c != 0)
        .skip_while(|&&c| c == u16::from(b'\\'));
    let mut len = 0;
    for (slot, &c) in name.iter_mut().zip(chars) {
        *slot = if c == u16::from(b'\\') { b'/' } else { c as u8 };
        len += 1;
    }
    if len == name.len() {
        return None;
    }
    Some(tftp(bs, pxe, &server, &name))
}

fn tftp(
    bs: &BootServices,
    pxe: *mut Protocol,
    server: &[u8; 16],
    name: &[u8; 64],
) -> Result<&'static [u8], ReadError> {
    let mut size = 0u64;
    // SAFETY: a size query: no buffer; every pointer is live.
    check("PXE TFTP size", unsafe {
        mtftp(
            pxe,
            TFTP_GET_FILE_SIZE,
            core::ptr::null_mut(),
            &mut size,
            server,
            name,
        )
    })?;
    if size > MAX_BYTES {
        return Err(ReadError {
            step: "PXE TFTP size (file too large)",
            status: Status::BUFFER_TOO_SMALL,
        });
    }
    let at = allocate(bs, size)?;
    // SAFETY: `at` holds `size` bytes just allocated; the firmware writes at most that many.
    check("PXE TFTP read", unsafe {
        mtftp(
            pxe,
            TFTP_READ_FILE,
            at as *mut c_void,
            &mut size,
            server,
            name,
        )
    })?;
    // SAFETY: LoaderData pages stay ours for the kernel's lifetime; `size` bytes were read.
    Ok(unsafe { core::slice::from_raw_parts(at as *const u8, size as usize) })
}

/// One Mtftp call with the defaults both of ours use: no overwrite, the default block size,
/// no multicast info, the caller's buffer.
///
/// # Safety
/// `pxe` is a started PXE base code protocol; `buffer` is null (a size query) or holds
/// `*size` writable bytes.
unsafe fn mtftp(
    pxe: *mut Protocol,
    operation: u32,
    buffer: *mut c_void,
    size: &mut u64,
    server: &[u8; 16],
    name: &[u8; 64],
) -> Status {
    // SAFETY: the caller vouches for `pxe` and `buffer`; the rest are live references.
    unsafe {
        ((*pxe).mtftp)(
            pxe,
            operation,
            buffer,
            false,
            size,
            core::ptr::null(),
            server,
            name.as_ptr(),
            core::ptr::null(),
            false,
        )
    }
}
