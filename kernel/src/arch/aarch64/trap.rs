//! The exception vector table (VBAR_EL1) and the trap frame. Every entry saves the general
//! registers, ELR/SPSR/SP_EL0 and the FP/SIMD state on the current stack, calls
//! [`super::exceptions::handle`] with the entry's number and the frame, restores everything
//! from the (possibly changed) frame and returns with `eret`.
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
    // SAFETY: only the symbol's address is taken, never its bytes.
    unsafe { core::ptr::addr_of!(rustux_vectors) as u64 }
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

.section .text.rustux_vectors, "ax"
.balign 2048
.global rustux_vectors
rustux_vectors:
    TRAP_ENTRY 0
    TRAP_ENTRY 1
    TRAP_ENTRY 2
    TRAP_ENTRY 3
    TRAP_ENTRY 4
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
"#,
    handle = sym super::exceptions::handle,
);

/// Loads the vector table.
pub fn init() {
    // SAFETY: the table is 2 KiB aligned code that saves and restores the full state; from
    // here every exception at EL1 lands in it.
    unsafe { core::arch::asm!("msr vbar_el1, {}", "isb", in(reg) vectors(), options(nostack)) };
}
