//! The kernel stack: 64 KiB with an unmapped guard page below, so an overflow page-faults
//! (handled on its own IST stack) instead of silently corrupting memory.
use crate::once::Stack;
use core::arch::asm;

/// Where the boot continues on the new stack (its argument in the first argument register).
#[cfg(target_arch = "x86_64")]
pub type Continuation = extern "sysv64" fn(u64) -> !;
#[cfg(target_arch = "aarch64")]
pub type Continuation = extern "C" fn(u64) -> !;

pub const STACK_BYTES: u64 = 64 * 1024;
const GUARD_BYTES: u64 = 4096;

/// Guard page first, then the usable stack.
static KERNEL_STACK: Stack<{ (GUARD_BYTES + STACK_BYTES) as usize }> = Stack::new();

pub fn guard_page() -> u64 {
    KERNEL_STACK.bottom()
}

pub fn top() -> u64 {
    KERNEL_STACK.top()
}

pub fn is_guard_page(addr: u64) -> bool {
    (guard_page()..guard_page() + GUARD_BYTES).contains(&addr)
}

/// Continues the boot in `next(arg)` on the kernel stack; the firmware's stack is abandoned.
///
/// # Safety
/// The guard page must already be unmapped in the live page tables (else an overflow is
/// silent), and `arg` must stay valid: it may point into the abandoned stack, which is never
/// reused.
pub unsafe fn switch_to(next: Continuation, arg: u64) -> ! {
    // SAFETY: the new stack is static, 16-byte aligned at its top and unused so far; `next`
    // never returns, so nothing pops past the top.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        asm!("mov rsp, {top}", "call {next}", "ud2", top = in(reg) top(), next = in(reg) next, in("rdi") arg, options(noreturn))
    }
    // SAFETY: as above.
    #[cfg(target_arch = "aarch64")]
    unsafe {
        asm!("mov sp, {top}", "blr {next}", "udf #0", top = in(reg) top(), next = in(reg) next, in("x0") arg, options(noreturn))
    }
}

/// The `stack-overflow` variant: unbounded recursion until the guard page stops it.
#[allow(unconditional_recursion)]
pub fn overflow(depth: u64) -> u64 {
    let frame = [depth; 64];
    core::hint::black_box(&frame);
    overflow(depth + 1) + core::hint::black_box(frame[0])
}

pub fn current_rsp() -> u64 {
    let rsp: u64;
    // SAFETY: reading the stack pointer has no side effects.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack, preserves_flags))
    };
    // SAFETY: as above.
    #[cfg(target_arch = "aarch64")]
    unsafe {
        asm!("mov {}, sp", out(reg) rsp, options(nomem, nostack, preserves_flags))
    };
    rsp
}
