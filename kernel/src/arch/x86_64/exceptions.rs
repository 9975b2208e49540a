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
    ".global rustux_isr_\\num",
    "rustux_isr_\\num:",
    "    push 0",
    "    push \\num",
    "    jmp rustux_isr_common",
    ".endm",
    ".macro ISR_ERR num",
    ".global rustux_isr_\\num",
    "rustux_isr_\\num:",
    "    push \\num",
    "    jmp rustux_isr_common",
    ".endm",
    "ISR_NOERR 0", "ISR_NOERR 1", "ISR_NOERR 2", "ISR_NOERR 3", "ISR_NOERR 4", "ISR_NOERR 5",
    "ISR_NOERR 6", "ISR_NOERR 7", "ISR_ERR 8", "ISR_NOERR 9", "ISR_ERR 10", "ISR_ERR 11",
    "ISR_ERR 12", "ISR_ERR 13", "ISR_ERR 14", "ISR_NOERR 15", "ISR_NOERR 16", "ISR_ERR 17",
    "ISR_NOERR 18", "ISR_NOERR 19", "ISR_NOERR 20", "ISR_ERR 21", "ISR_NOERR 22", "ISR_NOERR 23",
    "ISR_NOERR 24", "ISR_NOERR 25", "ISR_NOERR 26", "ISR_NOERR 27", "ISR_NOERR 28", "ISR_ERR 29",
    "ISR_ERR 30", "ISR_NOERR 31",
    "rustux_isr_common:",
    "    mov rdi, rsp",
    "    and rsp, -16",
    "    call {handler}",
    "    ud2",
    handler = sym exception_entry,
);

extern "sysv64" {
    fn rustux_isr_0(); fn rustux_isr_1(); fn rustux_isr_2(); fn rustux_isr_3();
    fn rustux_isr_4(); fn rustux_isr_5(); fn rustux_isr_6(); fn rustux_isr_7();
    fn rustux_isr_8(); fn rustux_isr_9(); fn rustux_isr_10(); fn rustux_isr_11();
    fn rustux_isr_12(); fn rustux_isr_13(); fn rustux_isr_14(); fn rustux_isr_15();
    fn rustux_isr_16(); fn rustux_isr_17(); fn rustux_isr_18(); fn rustux_isr_19();
    fn rustux_isr_20(); fn rustux_isr_21(); fn rustux_isr_22(); fn rustux_isr_23();
    fn rustux_isr_24(); fn rustux_isr_25(); fn rustux_isr_26(); fn rustux_isr_27();
    fn rustux_isr_28(); fn rustux_isr_29(); fn rustux_isr_30(); fn rustux_isr_31();
}

pub type Stub = unsafe extern "sysv64" fn();

pub static STUB_TABLE: [Stub; 32] = [
    rustux_isr_0, rustux_isr_1, rustux_isr_2, rustux_isr_3, rustux_isr_4, rustux_isr_5,
    rustux_isr_6, rustux_isr_7, rustux_isr_8, rustux_isr_9, rustux_isr_10, rustux_isr_11,
    rustux_isr_12, rustux_isr_13, rustux_isr_14, rustux_isr_15, rustux_isr_16, rustux_isr_17,
    rustux_isr_18, rustux_isr_19, rustux_isr_20, rustux_isr_21, rustux_isr_22, rustux_isr_23,
    rustux_isr_24, rustux_isr_25, rustux_isr_26, rustux_isr_27, rustux_isr_28, rustux_isr_29,
    rustux_isr_30, rustux_isr_31,
];

const NAMES: [&str; 32] = [
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
    "invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
    "invalid TSS", "segment not present", "stack-segment fault", "general protection fault",
    "page fault", "reserved", "x87 floating-point", "alignment check", "machine check",
    "SIMD floating-point", "virtualization", "control protection", "reserved", "reserved",
    "reserved", "reserved", "reserved", "reserved", "hypervisor injection", "VMM communication",
    "security", "reserved",
];

const PAGE_FAULT: u64 = 14;

/// Every exception is fatal in Rustux for now: report it and end the boot.
extern "sysv64" fn exception_entry(frame: &ExceptionFrame) -> ! {
    let cr2 = cpu::cr2();
    if frame.vector == PAGE_FAULT && crate::mm::stack::is_guard_page(cr2) {
        crate::panic::fatal(format_args!("kernel stack overflow (guard page hit at {cr2:#x})"));
    }
    let name = NAMES.get(frame.vector as usize).copied().unwrap_or("unknown");
    crate::panic::fatal(format_args!(
        "{name} (vector {}) error={:#x} rip={:#x} cr2={cr2:#x} cs={:#x} rsp={:#x}",
        frame.vector, frame.error_code, frame.rip, frame.cs, frame.rsp
    ))
}
