//! System registers and the few instructions the shared code needs (counter, interrupt
//! masking, halting).
use core::arch::asm;

/// The generic timer's virtual count (the TSC's counterpart: constant rate, CNTFRQ_EL0).
pub fn counter() -> u64 {
    let ticks: u64;
    // SAFETY: EL1 may always read CNTVCT_EL0; the isb keeps the read from being hoisted.
    unsafe { asm!("isb", "mrs {}, cntvct_el0", out(reg) ticks, options(nomem, nostack)) };
    ticks
}

/// CNTFRQ_EL0 / 1000: the firmware programs the counter's frequency (62.5 MHz on `virt`).
pub fn counter_per_ms() -> Option<u64> {
    let hz: u64;
    // SAFETY: EL1 may always read CNTFRQ_EL0.
    unsafe { asm!("mrs {}, cntfrq_el0", out(reg) hz, options(nomem, nostack)) };
    (hz >= 1000).then_some(hz / 1000)
}

/// Masks IRQ and FIQ (DAIF.I, DAIF.F).
pub fn disable_interrupts() {
    // SAFETY: masking interrupts cannot break memory safety; the kernel runs masked.
    unsafe { asm!("msr daifset, #3", options(nomem, nostack)) };
}

/// The idle loop's wait: sleep until an interrupt is pending (wfi wakes on it even while
/// masked), then unmask for the instant it takes to be taken, and mask again.
pub fn wait_for_interrupt() {
    // SAFETY: the handler runs on this stack with the full state saved and restored.
    // Not `nomem`: handlers change memory the caller reads next.
    unsafe {
        asm!(
            "wfi",
            "msr daifclr, #2",
            "isb",
            "msr daifset, #2",
            options(nostack)
        )
    };
}

/// FAR_EL1: the faulting address of the last abort (x86's CR2).
pub fn cr2() -> u64 {
    let far: u64;
    // SAFETY: reading FAR_EL1 has no side effect.
    unsafe { asm!("mrs {}, far_el1", out(reg) far, options(nomem, nostack)) };
    far
}

/// Switches TTBR0_EL1 (x86's CR3) and drops every cached translation (no ASIDs are used)
/// and the instruction cache (a process's code was just written as data).
///
/// # Safety
/// `root` must be a table that maps the running code, its stack and its data as before.
pub unsafe fn write_cr3(root: u64) {
    // SAFETY: the caller vouches for the tables; the barriers order the table writes before
    // the walk and the switch before the next instruction fetch.
    unsafe {
        asm!("dsb ish", "msr ttbr0_el1, {}", "isb", "tlbi vmalle1", "ic iallu", "dsb ish", "isb",
             in(reg) root, options(nostack))
    };
}

pub fn read_cr3() -> u64 {
    let root: u64;
    // SAFETY: reading TTBR0_EL1 has no side effect.
    unsafe { asm!("mrs {}, ttbr0_el1", out(reg) root, options(nomem, nostack)) };
    root & 0x0000_ffff_ffff_fffe
}

/// Drops the cached translation of the page at `vaddr` (any ASID).
pub fn invlpg(vaddr: u64) {
    // SAFETY: invalidating a TLB entry only makes the next access walk the tables.
    unsafe {
        asm!("dsb ishst", "tlbi vaae1, {}", "dsb ish", "isb", in(reg) vaddr >> 12, options(nostack))
    };
}

/// Stops this CPU for good (the end of a boot where PSCI did not power off).
pub fn halt_forever() -> ! {
    disable_interrupts();
    loop {
        // SAFETY: wfi with interrupts masked just parks the CPU.
        unsafe { asm!("wfi", options(nomem, nostack)) };
    }
}
