//! Entering ring 3 with IRETQ and coming back when the process exits. `enter_user` saves the
//! kernel's callee-saved registers and RSP; the exit syscall calls `resume_kernel`, which
//! restores them, so `enter_user` returns the exit status like an ordinary call.
use super::gdt::{USER_CODE, USER_DATA};
use core::arch::global_asm;
use core::sync::atomic::AtomicU64;

static RESUME_RSP: AtomicU64 = AtomicU64::new(0);
/// Ring 3 runs with IF=0: Rustux takes no device interrupts yet.
const USER_RFLAGS: u64 = 0x2;

global_asm!(
    ".global rustux_enter_user",
    "rustux_enter_user:",
    "    push rbx", "push rbp", "push r12", "push r13", "push r14", "push r15",
    "    mov [rip + {resume}], rsp",
    "    push {ss}",
    "    push rsi",
    "    push {rflags}",
    "    push {cs}",
    "    push rdi",
    "    xor eax, eax", "xor ebx, ebx", "xor ecx, ecx", "xor edx, edx", "xor esi, esi",
    "    xor edi, edi", "xor ebp, ebp", "xor r8d, r8d", "xor r9d, r9d", "xor r10d, r10d",
    "    xor r11d, r11d", "xor r12d, r12d", "xor r13d, r13d", "xor r14d, r14d", "xor r15d, r15d",
    "    iretq",
    ".global rustux_resume_kernel",
    "rustux_resume_kernel:",
    "    mov rsp, [rip + {resume}]",
    "    mov rax, rdi",
    "    pop r15", "pop r14", "pop r13", "pop r12", "pop rbp", "pop rbx",
    "    ret",
    resume = sym RESUME_RSP,
    ss = const USER_DATA as u64,
    cs = const USER_CODE as u64,
    rflags = const USER_RFLAGS,
);

extern "sysv64" {
    fn rustux_enter_user(entry: u64, user_rsp: u64) -> i64;
    fn rustux_resume_kernel(status: i64) -> !;
}

/// Runs the current address space's program at `entry` with stack `user_rsp` in ring 3
/// until it calls exit; returns its exit status.
///
/// # Safety
/// CR3 must hold an address space where `entry` and the stack below `user_rsp` are mapped
/// USER, and which still maps the kernel (its code, statics and syscall/interrupt stacks).
pub unsafe fn run_user(entry: u64, user_rsp: u64) -> i64 {
    // SAFETY: the caller guarantees the mappings; the stub returns here only through
    // `resume_kernel`, with the callee-saved registers it saved restored.
    unsafe { rustux_enter_user(entry, user_rsp) }
}

/// Abandons the syscall in progress and returns `status` from [`run_user`].
pub fn resume_kernel(status: i64) -> ! {
    // SAFETY: only reachable from a syscall made by a program started by `run_user`, whose
    // saved kernel stack frame is still intact (the syscall ran on a different stack).
    unsafe { rustux_resume_kernel(status) }
}
