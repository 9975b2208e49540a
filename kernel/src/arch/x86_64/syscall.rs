//! `syscall` setup: the MSRs that send it to the entry stub in [`super::trap`], which builds
//! a trap frame on the running thread's kernel stack like an interrupt does.
use super::cpu::{rdmsr, wrmsr};
use super::gdt::{KERNEL_CODE, KERNEL_DATA, USER_DATA};

const EFER: u32 = 0xc000_0080;
const STAR: u32 = 0xc000_0081;
const LSTAR: u32 = 0xc000_0082;
const SFMASK: u32 = 0xc000_0084;
const EFER_SCE: u64 = 1;
/// RFLAGS bits cleared on entry: TF, IF, DF, AC (the kernel runs with them off).
const RFLAGS_MASK: u64 = 0x4_0700;

/// Enables `syscall` and points it at the entry stub (kernel CS/SS on entry; the stub
/// returns with iretq, the user selectors in STAR only matter for the sysret layout).
pub fn init() {
    let star = (u64::from(USER_DATA & !3) - 8) << 48 | u64::from(KERNEL_CODE) << 32;
    debug_assert_eq!(KERNEL_CODE + 8, KERNEL_DATA);
    // SAFETY: LSTAR points at a valid entry stub that moves onto the thread's kernel stack
    // before touching memory; SFMASK makes the entry run with IF=0.
    unsafe {
        wrmsr(STAR, star);
        wrmsr(LSTAR, super::trap::rustux_syscall_entry as *const () as u64);
        wrmsr(SFMASK, RFLAGS_MASK);
        wrmsr(EFER, rdmsr(EFER) | EFER_SCE);
    }
}
