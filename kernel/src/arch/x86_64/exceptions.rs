//! Exception entry stubs (one per vector, pushing a uniform frame) and the Rust handler that
//! turns any exception into a `[PANIC]` line naming vector, error code, RIP and CR2.
use super::cpu;
use core::arch::global_asm;

/// What every stub leaves on the stack, lowest address first.
#[repr(C)]
pub struct ExceptionFrame {
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

global_asm!(
    ".macro ISR_NOERR num",
    "rustux_isr_\\num:",
    "    push 0", // the CPU pushes no error code for these: keep the frame uniform
    "    push \\num",
    "    jmp rustux_isr_common",
    ".endm",
    ".macro ISR_ERR num",
    "rustux_isr_\\num:",
    "    push \\num",
    "    jmp rustux_isr_common",
    ".endm",
    ".irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31",
    "    ISR_NOERR \\n",
    ".endr",
    ".irp n, 8,10,11,12,13,14,17,21,29,30",
    "    ISR_ERR \\n",
    ".endr",
    "rustux_isr_common:",
    "    mov rdi, rsp",
    "    and rsp, -16",
    "    call {handler}",
    "    ud2",
    // The stub addresses, by vector, for the IDT (the loader relocates them with the image).
    ".pushsection .data",
    ".balign 8",
    ".global rustux_isr_table",
    "rustux_isr_table:",
    ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    "    .quad rustux_isr_\\n",
    ".endr",
    ".popsection",
    handler = sym exception_entry,
);

extern "C" {
    static rustux_isr_table: [u64; 32];
}

/// Address of the entry stub for `vector` (0-31).
pub fn stub(vector: usize) -> u64 {
    // SAFETY: `rustux_isr_table` is defined above as 32 initialised quads that nothing writes.
    unsafe { rustux_isr_table[vector] }
}

const NAMES: [&str; 32] = [
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range exceeded",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor segment overrun",
    "invalid TSS",
    "segment not present",
    "stack-segment fault",
    "general protection fault",
    "page fault",
    "reserved",
    "x87 floating-point",
    "alignment check",
    "machine check",
    "SIMD floating-point",
    "virtualization",
    "control protection",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "hypervisor injection",
    "VMM communication",
    "security",
    "reserved",
];

const PAGE_FAULT: u64 = 14;

/// Every exception is fatal in Rustux for now: report it and end the boot.
extern "sysv64" fn exception_entry(frame: &ExceptionFrame) -> ! {
    let cr2 = cpu::cr2();
    if frame.vector == PAGE_FAULT && crate::mm::stack::is_guard_page(cr2) {
        crate::panic::fatal(format_args!(
            "kernel stack overflow (guard page hit at {cr2:#x})"
        ));
    }
    let name = NAMES
        .get(frame.vector as usize)
        .copied()
        .unwrap_or("unknown");
    crate::panic::fatal(format_args!(
        "{name} (vector {}) error={:#x} rip={:#x} cr2={cr2:#x} cs={:#x} rsp={:#x}",
        frame.vector, frame.error_code, frame.rip, frame.cs, frame.rsp
    ))
}
