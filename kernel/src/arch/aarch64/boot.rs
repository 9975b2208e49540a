//! The aarch64 boot past ExitBootServices, as far as it is ported: exception vectors, the
//! kernel's translation tables, the guarded kernel stack, the GIC and the generic timer.
//! The scheduler and everything after it are still x86_64 only, so the boot ends there with
//! a `[PANIC]` naming the step.
use super::{cpu, gic, mmu, trap};
use crate::log::milestone;
use crate::mm::{self, phys::Pmm};
use crate::uefi::file::ReadError;
use crate::uefi::gop::Framebuffer;
use crate::uefi::{MemoryMap, MemoryType};

/// What runs before the stack switch hands to what runs after it.
struct Handover {
    pmm: Pmm,
    framebuffer: Option<Framebuffer>,
}

/// Ticks the timer milestone waits for: proof that the timer interrupts and the GIC
/// delivers.
const PROOF_TICKS: u64 = 3;

pub fn after_exit_boot_services(
    mut pmm: Pmm,
    map: &MemoryMap,
    _initrd: Result<&'static [u8], ReadError>,
    framebuffer: Option<Framebuffer>,
) -> ! {
    trap::init();
    milestone!(
        "cpu tables: exception vectors at {:#x} (VBAR_EL1, 16 entries)",
        trap::vectors()
    );
    if cfg!(feature = "el1-fault") {
        el1_fault();
    }

    let fb_end = framebuffer.map_or(0, |fb| fb.base + fb.size);
    let tables = match mmu::init(&mut pmm, ram_end(map).max(fb_end), mm::stack::guard_page()) {
        Ok(tables) => tables,
        Err(e) => crate::panic::fatal(format_args!("kernel page tables: {e}")),
    };
    milestone!(
        "kernel page tables: identity map 0x0-{:#x} in 2 MiB pages, ttbr0 {:#x}",
        tables.identity_end,
        tables.root
    );
    let mut handover = Handover { pmm, framebuffer };
    // SAFETY: mmu::init unmapped the guard page in the live tables; `handover` lives on the
    // firmware stack, which stays mapped and is never reused.
    unsafe { mm::stack::switch_to(on_kernel_stack, &mut handover as *mut Handover as u64) }
}

/// One past the highest RAM address: MMIO descriptors (flash, PCIe windows far above RAM)
/// are the device map's business, not RAM's.
fn ram_end(map: &MemoryMap) -> u64 {
    map.entries()
        .filter(|d| {
            d.ty != MemoryType::MemoryMappedIo as u32
                && d.ty != MemoryType::MemoryMappedIoPortSpace as u32
        })
        .map(|d| d.physical_start + d.number_of_pages * 4096)
        .max()
        .unwrap_or(mmu::RAM_START)
}

extern "C" fn on_kernel_stack(handover: u64) -> ! {
    // SAFETY: the caller passed a pointer to its Handover, which outlives this call (its
    // stack frame is abandoned, never popped).
    let Handover { pmm, framebuffer } = unsafe { core::ptr::read(handover as *const Handover) };
    milestone!(
        "kernel stack: {} KiB at {:#x}-{:#x}, guard page {:#x} unmapped, sp {:#x}",
        mm::stack::STACK_BYTES / 1024,
        mm::stack::guard_page() + 4096,
        mm::stack::top(),
        mm::stack::guard_page(),
        mm::stack::current_rsp()
    );
    crate::boot::start_screen(framebuffer);
    mm::install_pmm(pmm);

    let per_ms = crate::clock::tsc_per_ms();
    gic::init(per_ms);
    let until = gic::ticks() + PROOF_TICKS;
    while gic::ticks() < until {
        cpu::wait_for_interrupt();
    }
    milestone!(
        "interrupts: generic timer {} Hz ({per_ms} ticks/ms from CNTFRQ), gicv2 routes PL011 irq {}",
        gic::TIMER_HZ,
        gic::UART_INTID
    );
    crate::panic::fatal(format_args!(
        "aarch64: the boot is ported up to the timer; the scheduler is next"
    ))
}

/// The `el1-fault` variant: an undefined instruction at EL1 once the vectors are in.
fn el1_fault() {
    // SAFETY: not safe by design: the exception it raises must end the boot in a panic.
    unsafe { core::arch::asm!("udf #0", options(nomem, nostack)) };
}
