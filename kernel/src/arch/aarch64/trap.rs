//! The exception vector table (VBAR_EL1) and the trap frame. Every entry saves the general
//! registers, ELR/SPSR/SP_EL0 and the FP/SIMD state on the current stack, calls
//! [`super::exceptions::handle`] with the entry's number and the frame, restores everything
//! from the (possibly changed) frame and returns with `eret`.
use crate::once::Stack;
use core::arch::global_asm;

/// Saved state, in the order the vector code stores it (800 bytes, 16-byte aligned).
#[repr(C)]
pub struct TrapFrame {
    pub x: [u64; 31],
    pub elr: u64,
    pub spsr: u64,
    pub sp_el0: u64,
    pub fpcr: u64,
    pub fpsr: u64,
    pub q: [u128; 32],
}

const _: () = assert!(core::mem::size_of::<TrapFrame>() == 800);

/// SPSR.M[3:0] of a trap taken from EL0 (EL0t); also what `eret` enters EL0 with, every
/// interrupt unmasked.
const SPSR_EL0T: u64 = 0;

impl TrapFrame {
    /// The trap came from EL0.
    pub fn is_from_user(&self) -> bool {
        self.spsr & 0xf == SPSR_EL0T
    }

    /// `svc #0`'s number (x8) and arguments (x0-x3).
    pub fn syscall(&self) -> (u64, [u64; 4]) {
        (self.x[8], [self.x[0], self.x[1], self.x[2], self.x[3]])
    }

    pub fn set_syscall_result(&mut self, value: u64) {
        self.x[0] = value;
    }
}

/// Nothing to record: a trap from EL0 lands on SP_EL1, which is the running thread's kernel
/// stack top whenever EL0 runs (the trap exit leaves it there).
pub fn set_kernel_stack(_top: u64) {}

/// Room for the FP/SIMD registers (q0-q31).
#[repr(C, align(16))]
pub struct FpArea([u128; 32]);

impl FpArea {
    pub const fn new() -> Self {
        Self([0; 32])
    }
}

/// Saves and restores the FP/SIMD registers through `area`, as a trap does.
pub fn fp_round_trip(area: &mut FpArea) {
    // SAFETY: `area` is 512 bytes, 16-byte aligned; the loads put back what the stores wrote.
    unsafe {
        core::arch::asm!(
            "stp q0, q1, [{a}, #0]", "stp q2, q3, [{a}, #32]", "stp q4, q5, [{a}, #64]",
            "stp q6, q7, [{a}, #96]", "stp q8, q9, [{a}, #128]", "stp q10, q11, [{a}, #160]",
            "stp q12, q13, [{a}, #192]", "stp q14, q15, [{a}, #224]", "stp q16, q17, [{a}, #256]",
            "stp q18, q19, [{a}, #288]", "stp q20, q21, [{a}, #320]", "stp q22, q23, [{a}, #352]",
            "stp q24, q25, [{a}, #384]", "stp q26, q27, [{a}, #416]", "stp q28, q29, [{a}, #448]",
            "stp q30, q31, [{a}, #480]",
            "ldp q0, q1, [{a}, #0]", "ldp q2, q3, [{a}, #32]", "ldp q4, q5, [{a}, #64]",
            "ldp q6, q7, [{a}, #96]", "ldp q8, q9, [{a}, #128]", "ldp q10, q11, [{a}, #160]",
            "ldp q12, q13, [{a}, #192]", "ldp q14, q15, [{a}, #224]", "ldp q16, q17, [{a}, #256]",
            "ldp q18, q19, [{a}, #288]", "ldp q20, q21, [{a}, #320]", "ldp q22, q23, [{a}, #352]",
            "ldp q24, q25, [{a}, #384]", "ldp q26, q27, [{a}, #416]", "ldp q28, q29, [{a}, #448]",
            "ldp q30, q31, [{a}, #480]",
            a = in(reg) area.0.as_mut_ptr(), options(nostack)
        )
    };
}

/// Bytes of the frame `rustux_switch_stacks` pushes: x19-x30, d8-d15.
const SWITCH_FRAME: u64 = 160;
/// Where x30 (the return address) sits in it.
const SWITCH_LR: usize = 11;

/// Writes below `stack_top` a switch frame whose return address is `entry`; returns the
/// stack pointer to switch to (`entry` then runs with SP = `stack_top`).
///
/// # Safety
/// `stack_top` must be the 16-byte-aligned top of a stack nothing else uses.
pub unsafe fn start_frame(stack_top: u64, entry: u64) -> u64 {
    let frame_at = stack_top - SWITCH_FRAME;
    let mut frame = [0u64; SWITCH_FRAME as usize / 8];
    frame[SWITCH_LR] = entry;
    // SAFETY: the caller owns the stack; the write stays below its top.
    unsafe { core::ptr::write(frame_at as *mut [u64; SWITCH_FRAME as usize / 8], frame) };
    frame_at
}

extern "C" {
    fn rustux_switch_stacks(save: *mut u64, next: u64);
    fn rustux_trap_exit();
}

/// Saves the running context's kernel SP in `*save` and continues the context whose SP is
/// `next`; returns when something switches back to the saved one.
///
/// # Safety
/// `save` must stay valid until then, and `next` must be an SP saved by this function or
/// built by [`start_frame`] / [`new_thread_stack`], on a stack still mapped and unused.
pub unsafe fn switch_stacks(save: *mut u64, next: u64) {
    // SAFETY: the caller guarantees both stacks; the stub saves and restores the
    // callee-saved registers (x19-x30, d8-d15), everything else is caller-saved.
    unsafe { rustux_switch_stacks(save, next) }
}

/// Builds, below `stack_top`, the frame that makes a switch to the returned SP enter EL0 at
/// `entry` with `sp`, `x0` and `x1` set, every other register zero.
///
/// # Safety
/// `stack_top` must be the 16-byte-aligned top of a kernel stack nothing else uses.
pub unsafe fn new_thread_stack(stack_top: u64, entry: u64, sp: u64, x0: u64, x1: u64) -> u64 {
    let frame_at = stack_top - core::mem::size_of::<TrapFrame>() as u64;
    let mut x = [0u64; 31];
    x[0] = x0;
    x[1] = x1;
    let frame = TrapFrame {
        x,
        elr: entry,
        spsr: SPSR_EL0T,
        sp_el0: sp,
        fpcr: 0,
        fpsr: 0,
        q: [0; 32],
    };
    // SAFETY: the caller owns the stack; the frame stays inside it.
    unsafe { core::ptr::write(frame_at as *mut TrapFrame, frame) };
    // SAFETY: as above, the switch frame goes right below the trap frame.
    unsafe { start_frame(frame_at, rustux_trap_exit as *const () as u64) }
}

/// Which of the 16 vectors was taken: group (current EL with SP_EL0, current EL with
/// SP_ELx, lower EL AArch64, lower EL AArch32) times kind.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sync,
    Irq,
    Fiq,
    SError,
}

pub fn decode(entry: u64) -> (u64, Kind) {
    let kind = match entry & 3 {
        0 => Kind::Sync,
        1 => Kind::Irq,
        2 => Kind::Fiq,
        _ => Kind::SError,
    };
    (entry >> 2, kind)
}

/// Group 2: taken from EL0 (AArch64).
pub const FROM_EL0: u64 = 2;

extern "C" {
    static rustux_vectors: u8;
}

/// The table's address (2 KiB aligned).
pub fn vectors() -> u64 {
    core::ptr::addr_of!(rustux_vectors) as u64
}

global_asm!(
    r#"
.macro TRAP_ENTRY n
    .balign 128
    sub sp, sp, #800
    stp x0, x1, [sp, #0]
    mov x0, #\n
    b rustux_trap_common
.endm

// A synchronous exception at EL1 is always fatal, and may come from a stack that overflowed
// into its guard page: it gets a stack of its own (x86's IST), reached with x0 parked in
// TPIDR_EL1 (unused otherwise).
.macro TRAP_ENTRY_OWN_STACK n
    .balign 128
    msr tpidr_el1, x0
    adrp x0, {fault_stack}
    add x0, x0, :lo12:{fault_stack}
    add x0, x0, #(FAULT_STACK_BYTES >> 12), lsl #12
    mov sp, x0
    mrs x0, tpidr_el1
    sub sp, sp, #800
    stp x0, x1, [sp, #0]
    mov x0, #\n
    b rustux_trap_common
.endm
.set FAULT_STACK_BYTES, {fault_stack_bytes}

.section .text.rustux_vectors, "ax"
.balign 2048
.global rustux_vectors
rustux_vectors:
    TRAP_ENTRY 0
    TRAP_ENTRY 1
    TRAP_ENTRY 2
    TRAP_ENTRY 3
    TRAP_ENTRY_OWN_STACK 4
    TRAP_ENTRY 5
    TRAP_ENTRY 6
    TRAP_ENTRY 7
    TRAP_ENTRY 8
    TRAP_ENTRY 9
    TRAP_ENTRY 10
    TRAP_ENTRY 11
    TRAP_ENTRY 12
    TRAP_ENTRY 13
    TRAP_ENTRY 14
    TRAP_ENTRY 15

rustux_trap_common:
    stp x2, x3, [sp, #16]
    stp x4, x5, [sp, #32]
    stp x6, x7, [sp, #48]
    stp x8, x9, [sp, #64]
    stp x10, x11, [sp, #80]
    stp x12, x13, [sp, #96]
    stp x14, x15, [sp, #112]
    stp x16, x17, [sp, #128]
    stp x18, x19, [sp, #144]
    stp x20, x21, [sp, #160]
    stp x22, x23, [sp, #176]
    stp x24, x25, [sp, #192]
    stp x26, x27, [sp, #208]
    stp x28, x29, [sp, #224]
    mrs x9, elr_el1
    stp x30, x9, [sp, #240]
    mrs x10, spsr_el1
    mrs x11, sp_el0
    stp x10, x11, [sp, #256]
    mrs x12, fpcr
    mrs x13, fpsr
    stp x12, x13, [sp, #272]
    add x9, sp, #288
    stp q0, q1, [x9, #0]
    stp q2, q3, [x9, #32]
    stp q4, q5, [x9, #64]
    stp q6, q7, [x9, #96]
    stp q8, q9, [x9, #128]
    stp q10, q11, [x9, #160]
    stp q12, q13, [x9, #192]
    stp q14, q15, [x9, #224]
    stp q16, q17, [x9, #256]
    stp q18, q19, [x9, #288]
    stp q20, q21, [x9, #320]
    stp q22, q23, [x9, #352]
    stp q24, q25, [x9, #384]
    stp q26, q27, [x9, #416]
    stp q28, q29, [x9, #448]
    stp q30, q31, [x9, #480]
    mov x1, sp
    bl {handle}
.global rustux_trap_exit
rustux_trap_exit:
    add x9, sp, #288
    ldp q0, q1, [x9, #0]
    ldp q2, q3, [x9, #32]
    ldp q4, q5, [x9, #64]
    ldp q6, q7, [x9, #96]
    ldp q8, q9, [x9, #128]
    ldp q10, q11, [x9, #160]
    ldp q12, q13, [x9, #192]
    ldp q14, q15, [x9, #224]
    ldp q16, q17, [x9, #256]
    ldp q18, q19, [x9, #288]
    ldp q20, q21, [x9, #320]
    ldp q22, q23, [x9, #352]
    ldp q24, q25, [x9, #384]
    ldp q26, q27, [x9, #416]
    ldp q28, q29, [x9, #448]
    ldp q30, q31, [x9, #480]
    ldp x12, x13, [sp, #272]
    msr fpcr, x12
    msr fpsr, x13
    ldp x10, x11, [sp, #256]
    msr spsr_el1, x10
    msr sp_el0, x11
    ldp x30, x9, [sp, #240]
    msr elr_el1, x9
    ldp x2, x3, [sp, #16]
    ldp x4, x5, [sp, #32]
    ldp x6, x7, [sp, #48]
    ldp x8, x9, [sp, #64]
    ldp x10, x11, [sp, #80]
    ldp x12, x13, [sp, #96]
    ldp x14, x15, [sp, #112]
    ldp x16, x17, [sp, #128]
    ldp x18, x19, [sp, #144]
    ldp x20, x21, [sp, #160]
    ldp x22, x23, [sp, #176]
    ldp x24, x25, [sp, #192]
    ldp x26, x27, [sp, #208]
    ldp x28, x29, [sp, #224]
    ldp x0, x1, [sp, #0]
    add sp, sp, #800
    eret

.global rustux_switch_stacks
rustux_switch_stacks:
    sub sp, sp, #160
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #160
    ret
"#,
    handle = sym super::exceptions::handle,
    fault_stack = sym FAULT_STACK,
    fault_stack_bytes = const FAULT_STACK_BYTES,
);

/// The stack synchronous EL1 exceptions run on (a multiple of 4 KiB).
const FAULT_STACK_BYTES: usize = 16 * 1024;
static FAULT_STACK: Stack<FAULT_STACK_BYTES> = Stack::new();

/// Loads the vector table and lets EL0 use FP/SIMD (CPACR_EL1.FPEN = 0b11): the trap
/// frame saves that state per thread.
pub fn init() {
    // SAFETY: the table is 2 KiB aligned code that saves and restores the full state; from
    // here every exception at EL1 lands in it.
    unsafe {
        core::arch::asm!(
            "msr vbar_el1, {v}",
            "mrs {t}, cpacr_el1",
            "orr {t}, {t}, #(3 << 20)",
            "msr cpacr_el1, {t}",
            "isb",
            v = in(reg) vectors(),
            t = out(reg) _,
            options(nostack)
        )
    };
}
