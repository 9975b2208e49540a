//! The aarch64 boot past ExitBootServices, as far as it is ported: everything after the
//! last step here is still x86_64 only, so the boot ends with a `[PANIC]` naming it.
use crate::mm::phys::Pmm;
use crate::uefi::file::ReadError;
use crate::uefi::gop::Framebuffer;
use crate::uefi::MemoryMap;

pub fn after_exit_boot_services(
    _pmm: Pmm,
    _map: &MemoryMap,
    _initrd: Result<&'static [u8], ReadError>,
    _framebuffer: Option<Framebuffer>,
) -> ! {
    crate::panic::fatal(format_args!(
        "aarch64: the boot is ported up to exit boot services; cpu tables are next"
    ))
}
