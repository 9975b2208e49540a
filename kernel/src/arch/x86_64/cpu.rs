//! Single-instruction CPU helpers, each fenced with its own invariant.
use core::arch::asm;

/// The clock shared code reads (clock.rs).
pub use rdtsc as counter;

/// The TSC's rate is not architectural: clock.rs measures it.
pub fn counter_per_ms() -> Option<u64> {
    None
}

pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc only reads the time-stamp counter.
    unsafe {
        asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

pub fn cr2() -> u64 {
    let value: u64;
    // SAFETY: reading CR2 has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}

/// # Safety
/// `pml4` must be the physical address of a PML4 that maps the running code, its stack and
/// every static the kernel touches afterwards at their current addresses.
pub unsafe fn write_cr3(pml4: u64) {
    // SAFETY: the caller guarantees the new tables keep everything we use mapped.
    unsafe { asm!("mov cr3, {}", in(reg) pml4, options(nostack, preserves_flags)) };
}

pub fn read_cr3() -> u64 {
    let value: u64;
    // SAFETY: reading CR3 has no side effects.
    unsafe { asm!("mov {}, cr3", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}

/// Drops the TLB entry of `vaddr` after its mapping changed.
pub fn invlpg(vaddr: u64) {
    // SAFETY: invalidating a TLB entry only makes the CPU re-read the tables.
    unsafe { asm!("invlpg [{}]", in(reg) vaddr, options(nostack, preserves_flags)) };
}

/// The idle loop's wait: interrupts on only for the `hlt` (sti's one-instruction shadow
/// means no interrupt can slip in between and be missed), off again after the handler ran.
pub fn wait_for_interrupt() {
    // SAFETY: handlers may run during the hlt; they run on this stack with IF=0 and return.
    // Not `nomem`: the handlers change memory (the run queue) the caller reads next.
    unsafe { asm!("sti", "hlt", "cli", options(nostack)) };
}

pub fn disable_interrupts() {
    // SAFETY: masking interrupts cannot break memory safety; the kernel runs with IF=0
    // (ring 3 and the idle loop's hlt are where interrupts are taken).
    unsafe { asm!("cli", options(nomem, nostack)) };
}

pub fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: callers only read architectural MSRs (EFER, STAR, ...) that exist on x86-64.
    unsafe {
        asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// # Safety
/// Writing `msr` with `value` must leave the CPU in a state the kernel expects (e.g. LSTAR
/// must point at a valid syscall entry).
pub unsafe fn wrmsr(msr: u32, value: u64) {
    // SAFETY: the caller vouches for the MSR's new meaning.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32,
             options(nostack, preserves_flags))
    };
}

/// Stops this CPU for good (the end of a boot on hardware, where debug-exit does nothing).
pub fn halt_forever() -> ! {
    disable_interrupts();
    loop {
        // SAFETY: hlt with IF=0 just parks the CPU; NMIs return to the loop.
        unsafe { asm!("hlt", options(nomem, nostack)) };
    }
}
