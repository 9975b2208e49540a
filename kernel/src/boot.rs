//! The boot path, in order, one milestone line per step (kernel/milestones.yaml lists them).
//! Phase one runs on the firmware's stack up to our own page tables (reading the initrd and
//! the framebuffer's mode while boot services exist); phase two runs on the guarded kernel
//! stack: interrupts, scheduler, initrd, console, then pid 1, and becomes the idle loop.
use crate::arch::{cpu, serial};
use crate::log::milestone;
use crate::mm::{self, phys::Pmm};
use crate::once::TakeOnce;
use crate::uefi::file::ReadError;
use crate::uefi::gop::{self, Framebuffer, PixelFormat};
use crate::uefi::{BootServices, Handle, MemoryMap, Status, SystemTable};

static MEMORY_MAP: TakeOnce<MemoryMap> = TakeOnce::new(MemoryMap::new());

/// Attempts at ExitBootServices: a stale map key (EFI_INVALID_PARAMETER) means the map
/// changed under us and must be fetched again (UEFI 2.10 §7.4).
const EXIT_BOOT_SERVICES_ATTEMPTS: u32 = 4;

/// What phase one hands to phase two across the stack switch.
struct Handover {
    pmm: Pmm,
    kernel_pml4: u64,
    initrd: Result<&'static [u8], ReadError>,
    framebuffer: Option<Framebuffer>,
}

pub extern "efiapi" fn kmain(image: Handle, st: *const SystemTable) -> Status {
    if cfg!(feature = "silent") {
        cpu::halt_forever();
    }
    crate::clock::mark_entry();
    serial::init();
    crate::log::end_entry_probe();
    // SAFETY: the firmware passes a valid system table; the signature is checked next.
    let st = unsafe { &*st };
    if st.hdr.signature != SystemTable::SIGNATURE || st.boot_services.is_null() {
        crate::panic::fatal(format_args!("bad EFI system table at {:p}", st));
    }
    // SAFETY: boot services stay valid until ExitBootServices, and we stop using `bs` then.
    let bs = unsafe { &*st.boot_services };
    // SAFETY: disabling the watchdog (timeout 0) is always allowed while boot services run.
    unsafe { (bs.set_watchdog_timer)(0, 0, 0, core::ptr::null()) };
    let tsc_per_ms = crate::clock::calibrate(bs);
    milestone!(
        "Rustux {} (UEFI {}): firmware revision {:#x}, {} {} kHz",
        env!("CARGO_PKG_VERSION"),
        crate::arch::NAME,
        st.firmware_revision,
        crate::arch::COUNTER,
        tsc_per_ms
    );

    let map = MEMORY_MAP.take().expect("kmain runs once");
    if let Err(status) = map.refresh(bs) {
        crate::panic::fatal(format_args!("GetMemoryMap failed: status {:#x}", status.0));
    }
    let conventional: u64 = map.conventional().map(|d| d.number_of_pages).sum();
    milestone!(
        "memory map: {} entries, {} conventional pages",
        map.len(),
        conventional
    );

    let mut pmm = mm::frames::init(bs, map);
    let (free, total) = mm::frames::describe(&pmm);
    milestone!("pmm: bitmap allocator up, {free} of {total} frames free");

    let (heap_start, stats) = mm::heap::init(&mut pmm);
    if cfg!(feature = "busy-heap") {
        let ms = option_env!("RUSTUX_BUSY_HEAP_MS").and_then(|ms| ms.parse().ok());
        busy_wait_ms(ms.unwrap_or(200));
    }
    milestone!(
        "heap: {} KiB at {heap_start:#x}, self-test passed ({} blocks, {} bytes free)",
        mm::heap::HEAP_FRAMES * 4,
        stats.blocks,
        stats.free_bytes
    );
    if cfg!(feature = "hang-after-heap") {
        loop {
            core::hint::spin_loop();
        }
    }

    crate::acpi::find_rsdp(st);
    let initrd = crate::initrd::read(bs, image);
    let framebuffer = gop::framebuffer(bs);

    let attempts = exit_boot_services(image, bs, map);
    cpu::disable_interrupts();
    milestone!(
        "exit boot services: done after {attempts} attempt(s), final map {} entries",
        map.len()
    );
    // CPU tables (the cpu-tables milestone), then the kernel's own tables (page-tables).
    let fb_end = framebuffer.map_or(0, |fb| fb.base + fb.size);
    let kernel_pml4 = crate::arch::boot::cpu_and_page_tables(&mut pmm, map, fb_end);
    let mut handover = Handover {
        pmm,
        kernel_pml4,
        initrd,
        framebuffer,
    };
    // SAFETY: the page tables unmapped the guard page in the live tables; `handover` lives
    // on the firmware stack, which stays mapped and is never reused.
    unsafe { mm::stack::switch_to(on_kernel_stack, &mut handover as *mut Handover as u64) }
}

fn exit_boot_services(image: Handle, bs: &BootServices, map: &mut MemoryMap) -> u32 {
    for attempt in 1..=EXIT_BOOT_SERVICES_ATTEMPTS {
        if let Err(status) = map.refresh(bs) {
            crate::panic::fatal(format_args!("GetMemoryMap failed: status {:#x}", status.0));
        }
        // The stale-map-key test variant hands over a wrong key once, to prove the retry.
        let key = if cfg!(feature = "stale-map-key") && attempt == 1 {
            map.key.wrapping_add(1)
        } else {
            map.key
        };
        // SAFETY: `image` is our image handle and `key` the key of the map just read (or, in
        // the test variant, a wrong one, which the firmware must reject without side effects
        // beyond those the retry loop allows for).
        let status = unsafe { (bs.exit_boot_services)(image, key) };
        if status == Status::SUCCESS {
            return attempt;
        }
        if status != Status::INVALID_PARAMETER {
            crate::panic::fatal(format_args!(
                "ExitBootServices failed: status {:#x}",
                status.0
            ));
        }
    }
    crate::panic::fatal(format_args!(
        "ExitBootServices: map key still stale after {EXIT_BOOT_SERVICES_ATTEMPTS} attempts"
    ))
}

// The continuation's ABI is the architecture's (mm::stack::Continuation).
#[cfg(target_arch = "x86_64")]
extern "sysv64" fn on_kernel_stack(handover: u64) -> ! {
    phase_two(handover)
}
#[cfg(target_arch = "aarch64")]
extern "C" fn on_kernel_stack(handover: u64) -> ! {
    phase_two(handover)
}

fn phase_two(handover: u64) -> ! {
    // SAFETY: `kmain` passed a pointer to its Handover, which outlives this call (its stack
    // frame is abandoned, never popped).
    let Handover {
        mut pmm,
        kernel_pml4,
        initrd,
        framebuffer,
    } = unsafe { core::ptr::read(handover as *const Handover) };
    milestone!(
        "kernel stack: {} KiB at {:#x}-{:#x}, guard page {:#x} unmapped, {} {:#x}",
        mm::stack::STACK_BYTES / 1024,
        mm::stack::guard_page() + 4096,
        mm::stack::top(),
        mm::stack::guard_page(),
        crate::arch::SP_NAME,
        mm::stack::current_rsp()
    );
    if cfg!(feature = "stack-overflow") {
        core::hint::black_box(mm::stack::overflow(0));
    }
    let console = start_screen(framebuffer);

    if let Err(e) = crate::sched::init_stacks(&mut pmm, kernel_pml4) {
        crate::panic::fatal(format_args!("thread stack guard pages: {e}"));
    }
    mm::install_pmm(pmm);
    crate::sched::SCHED.with(|s| s.kernel_pml4 = kernel_pml4);
    crate::arch::interrupts::init();
    let switch_ns = crate::sched::measure_switch(kernel_pml4);
    milestone!(
        "scheduler: preemptive round-robin, {} ms quantum, context switch {switch_ns} ns",
        crate::sched::QUANTUM_TICKS * 1000 / u64::from(crate::arch::interrupts::TIMER_HZ)
    );

    load_initrd(initrd);
    match (framebuffer, console) {
        (Some(fb), Some((cols, rows))) => milestone!(
            "framebuffer: {}x{} {}, text console {cols}x{rows}",
            fb.width,
            fb.height,
            match fb.format {
                PixelFormat::Rgbx => "RGBX",
                PixelFormat::Bgrx => "BGRX",
            }
        ),
        _ => milestone!("framebuffer: none (no GOP)"),
    }

    let Some(init) = crate::initrd::lookup("/bin/init") else {
        crate::panic::fatal(format_args!(
            "initrd: no /bin/init in {}",
            crate::initrd::PATH
        ));
    };
    let (name, elf, argv0): (&str, &[u8], &[u8]) = ("init", init.data, b"/bin/init");
    let init = match crate::proc::spawn(name, elf, &[argv0], 0, true) {
        Ok(init) => init,
        Err(errno) => crate::panic::fatal(format_args!("{name}: cannot start (errno {})", -errno)),
    };
    let [root, pc, sp] = crate::arch::REGISTER_NAMES;
    milestone!(
        "entering {}: {root} {:#x} {pc} {:#x} {sp} {:#x}",
        crate::arch::USER_MODE,
        init.cr3,
        init.entry,
        init.rsp
    );
    if cfg!(feature = "no-preempt") {
        crate::sched::stop_timer();
    }
    debug_assert_eq!(init.pid, 1);
    crate::sched::idle()
}

/// The framebuffer text console: it shows everything from here on, and the lines so far.
/// Returns its size in cells.
pub fn start_screen(framebuffer: Option<Framebuffer>) -> Option<(usize, usize)> {
    let console = framebuffer.and_then(crate::console::framebuffer::init);
    if console.is_some() {
        let mut chunk = [0u8; 512];
        let mut offset = 0;
        loop {
            let n = crate::klog::read(offset, &mut chunk);
            if n == 0 {
                break;
            }
            crate::console::framebuffer::write(&chunk[..n]);
            offset += n as u64;
        }
    }
    console
}

/// Prints the initrd milestone, or why there is none (fatal: pid 1 comes from it).
pub fn load_initrd(initrd: Result<&'static [u8], ReadError>) {
    let ReadError { step, status } = match initrd {
        Ok(data) => match crate::initrd::install(data) {
            Ok((files, bytes)) => {
                milestone!(
                    "initrd: {}, {files} files, {bytes} bytes",
                    crate::initrd::PATH
                );
                return;
            }
            Err(e) => crate::panic::fatal(format_args!("initrd: corrupt archive: {e}")),
        },
        Err(e) => e,
    };
    if step == "Open" {
        milestone!(
            "initrd: {} not found on the boot volume ({status})",
            crate::initrd::PATH
        );
    } else {
        milestone!(
            "initrd: {} not found on the boot volume ({status} from {step})",
            crate::initrd::PATH
        );
    }
    crate::panic::fatal(format_args!(
        "no initrd: {} is not on the ESP",
        crate::initrd::PATH
    ))
}

/// The `busy-heap` bench variant's wait (bench/boot_time.py): the TSC, not a work loop, so the
/// heap step grows by the same time however loaded the host is.
fn busy_wait_ms(ms: u64) {
    let until = crate::clock::ns_since_entry() + ms * 1_000_000;
    while crate::clock::ns_since_entry() < until {
        core::hint::spin_loop();
    }
}
