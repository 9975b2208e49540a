//! CPU exceptions: their names, and the report of one the kernel itself caused (fatal:
//! a `[PANIC]` line naming vector, error code, RIP and CR2). A user process's exception
//! kills only that process (see `crate::proc`).
use super::cpu;
use super::trap::TrapFrame;

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

/// The exception's short name as the fault line prints it.
fn mnemonic(vector: u64) -> &'static str {
    const SHORT: [&str; 22] = [
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS", "#NP", "#SS",
        "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    ];
    SHORT.get(vector as usize).copied().unwrap_or("#?")
}

/// The exit status of a process this exception killed: 132 #UD, 136 #DE/#MF/#XM, else 139.
pub fn fault_status(frame: &TrapFrame) -> i32 {
    match frame.vector {
        6 => 132,
        0 | 16 | 19 => 136,
        _ => 139,
    }
}

/// The fault line's detail: `vector 14 (#PF) error 0x.. rip 0x.. cr2 0x..`.
pub fn fault_detail(frame: &TrapFrame, cr2: u64) -> impl core::fmt::Display + '_ {
    FaultDetail { frame, cr2 }
}

struct FaultDetail<'a> {
    frame: &'a TrapFrame,
    cr2: u64,
}

impl core::fmt::Display for FaultDetail<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let frame = self.frame;
        write!(
            f,
            "vector {} ({}) error {:#x} rip {:#x} cr2 {:#x}",
            frame.vector,
            mnemonic(frame.vector),
            frame.error_code,
            frame.rip,
            self.cr2
        )
    }
}

/// Today's one-line description of an exception (also the reason when init dies of one).
pub fn describe(frame: &TrapFrame, cr2: u64) -> DescribeFault<'_> {
    DescribeFault { frame, cr2 }
}

pub struct DescribeFault<'a> {
    frame: &'a TrapFrame,
    cr2: u64,
}

impl core::fmt::Display for DescribeFault<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let frame = self.frame;
        let name = NAMES
            .get(frame.vector as usize)
            .copied()
            .unwrap_or("unknown");
        write!(
            f,
            "{name} (vector {}) error={:#x} rip={:#x} cr2={:#x} cs={:#x} rsp={:#x}",
            frame.vector, frame.error_code, frame.rip, self.cr2, frame.cs, frame.rsp
        )
    }
}

const PAGE_FAULT: u64 = 14;

/// An exception in kernel mode is fatal: report it and end the boot.
pub fn kernel_fault(frame: &TrapFrame) -> ! {
    let cr2 = cpu::cr2();
    if frame.vector == PAGE_FAULT {
        if let Some(guard) = crate::sched::guard_hit(cr2) {
            crate::panic::fatal(format_args!(
                "kernel stack overflow (guard page hit at {guard:#x})"
            ));
        }
    }
    crate::panic::fatal(format_args!("{}", describe(frame, cr2)))
}
