//! `syscall`/`sysret` plumbing: MSR setup and the entry stub that moves onto the kernel's
//! syscall stack and calls [`crate::syscall::dispatch`].
use super::cpu::{rdmsr, wrmsr};
use super::gdt::{KERNEL_CODE, KERNEL_DATA, USER_DATA};
use crate::once::Stack;
use core::arch::global_asm;
use core::sync::atomic::AtomicU64;

const EFER: u32 = 0xc000_0080;
const STAR: u32 = 0xc000_0081;
const LSTAR: u32 = 0xc000_0082;
const SFMASK: u32 = 0xc000_0084;
const EFER_SCE: u64 = 1;
/// RFLAGS bits cleared on entry: TF, IF, DF, AC (the kernel runs with them off).
const RFLAGS_MASK: u64 = 0x4_0700;

/// Single CPU: one syscall stack, and one slot for the user RSP while we are on it.
static SYSCALL_STACK: Stack<16384> = Stack::new();
static SYSCALL_RSP: AtomicU64 = AtomicU64::new(0);
static USER_RSP: AtomicU64 = AtomicU64::new(0);

global_asm!(
    ".global rustux_syscall_entry",
    "rustux_syscall_entry:",
    "    mov [rip + {user_rsp}], rsp",
    "    mov rsp, [rip + {kernel_rsp}]",
    "    push qword ptr [rip + {user_rsp}]",
    "    push rcx",               // user RIP for sysret
    "    push r11",               // user RFLAGS for sysret
    // The user's asm declares only rax, rcx and r11 clobbered: keep the other
    // caller-saved registers intact across the Rust dispatcher.
    "    push rdi", "push rsi", "push rdx", "push r8", "push r9", "push r10",
    "    push rbp",               // 10 pushes: RSP stays 16-byte aligned for the call
    "    mov rcx, rdx",
    "    mov rdx, rsi",
    "    mov rsi, rdi",
    "    mov rdi, rax",
    "    call {dispatch}",
    "    pop rbp",
    "    pop r10", "pop r9", "pop r8", "pop rdx", "pop rsi", "pop rdi",
    "    pop r11",
    "    pop rcx",
    "    pop rsp",
    "    sysretq",
    user_rsp = sym USER_RSP,
    kernel_rsp = sym SYSCALL_RSP,
    dispatch = sym crate::syscall::dispatch,
);

extern "sysv64" {
    fn rustux_syscall_entry();
}

/// Enables `syscall` and points it at our entry stub (kernel CS/SS on entry, user CS/SS
/// from the GDT's user pair on `sysretq`).
pub fn init() {
    SYSCALL_RSP.store(SYSCALL_STACK.top(), core::sync::atomic::Ordering::Relaxed);
    let star = (u64::from(USER_DATA & !3) - 8) << 48 | u64::from(KERNEL_CODE) << 32;
    debug_assert_eq!(KERNEL_CODE + 8, KERNEL_DATA);
    // SAFETY: LSTAR points at a valid entry stub whose stack is set above; STAR's selectors
    // match the GDT loaded by gdt::init; SFMASK makes the entry run with IF=0.
    unsafe {
        wrmsr(STAR, star);
        wrmsr(LSTAR, rustux_syscall_entry as *const () as u64);
        wrmsr(SFMASK, RFLAGS_MASK);
        wrmsr(EFER, rdmsr(EFER) | EFER_SCE);
    }
}
