//! Every way into the kernel (exceptions, device interrupts, `syscall`) builds one
//! [`TrapFrame`] on the current stack, the FPU/SSE state included (fxsave), and leaves
//! through one return path (`rustux_trap_return`: fxrstor, pops, iretq). A thread switch is
//! a kernel-to-kernel stack switch ([`switch_stacks`]); a new thread starts by "returning"
//! into the trap return path with a frame built by [`new_thread_stack`].
use super::gdt::{USER_CODE, USER_DATA};
use core::arch::global_asm;
use core::sync::atomic::AtomicU64;

/// The frame every entry stub leaves on the stack, lowest address first.
#[repr(C)]
pub struct TrapFrame {
    pub fx: [u8; 512],
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

// fxsave needs 16-byte alignment: the CPU aligns RSP before pushing the 5-word interrupt
// frame, and 176 bytes of pushes keep that alignment.
const _: () = assert!(core::mem::size_of::<TrapFrame>() == 512 + 22 * 8);
const _: () = assert!(core::mem::size_of::<TrapFrame>().is_multiple_of(16));

impl TrapFrame {
    /// The trap came from ring 3.
    pub fn is_from_user(&self) -> bool {
        self.cs & 3 == 3
    }

    /// `syscall`'s number (rax) and arguments (rdi, rsi, rdx, r10).
    pub fn syscall(&self) -> (u64, [u64; 4]) {
        (self.rax, [self.rdi, self.rsi, self.rdx, self.r10])
    }

    pub fn set_syscall_result(&mut self, value: u64) {
        self.rax = value;
    }
}

/// The running thread's kernel stack top: where ring 3's interrupts (TSS RSP0) and
/// `syscall` land.
pub fn set_kernel_stack(top: u64) {
    super::gdt::set_rsp0(top);
    SYSCALL_KERNEL_RSP.store(top, core::sync::atomic::Ordering::Relaxed);
}

/// The frame's `vector` for a `syscall` (above every interrupt vector).
pub const SYSCALL_VECTOR: u64 = 0x100;
/// Stubs exist for vectors 0..STUBS and for [`SPURIOUS_VECTOR`].
pub const STUBS: usize = 49;
pub const SPURIOUS_VECTOR: usize = 0xff;

/// Kernel stack top of the running thread: where `syscall` moves to.
pub static SYSCALL_KERNEL_RSP: AtomicU64 = AtomicU64::new(0);
static SYSCALL_USER_RSP: AtomicU64 = AtomicU64::new(0);

global_asm!(
    ".macro TRAP_NOERR num",
    "rustux_trap_\\num:",
    "    push 0", // no error code from the CPU: keep the frame uniform
    "    push \\num",
    "    jmp rustux_trap_common",
    ".endm",
    ".macro TRAP_ERR num",
    "rustux_trap_\\num:",
    "    push \\num",
    "    jmp rustux_trap_common",
    ".endm",
    ".irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31",
    "    TRAP_NOERR \\n",
    ".endr",
    ".irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,255",
    "    TRAP_NOERR \\n",
    ".endr",
    ".irp n, 8,10,11,12,13,14,17,21,29,30",
    "    TRAP_ERR \\n",
    ".endr",
    ".global rustux_syscall_entry",
    "rustux_syscall_entry:",
    // SFMASK cleared IF: nothing can interrupt us before we are on the kernel stack.
    "    mov [rip + {user_rsp}], rsp",
    "    mov rsp, [rip + {kernel_rsp}]",
    "    push {ss}",
    "    push qword ptr [rip + {user_rsp}]",
    "    push r11", // user RFLAGS
    "    push {cs}",
    "    push rcx", // user RIP
    "    push 0",
    "    push {syscall_vector}",
    "rustux_trap_common:",
    "    push rax", "push rbx", "push rcx", "push rdx", "push rsi", "push rdi", "push rbp",
    "    push r8", "push r9", "push r10", "push r11", "push r12", "push r13", "push r14", "push r15",
    "    sub rsp, 512",
    "    fxsave64 [rsp]",
    "    mov rdi, rsp",
    "    call {handler}",
    ".global rustux_trap_return",
    "rustux_trap_return:",
    "    fxrstor64 [rsp]",
    "    add rsp, 512",
    "    pop r15", "pop r14", "pop r13", "pop r12", "pop r11", "pop r10", "pop r9", "pop r8",
    "    pop rbp", "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rbx", "pop rax",
    "    add rsp, 16", // vector, error code
    "    iretq",
    ".global rustux_switch_stacks",
    "rustux_switch_stacks:",
    "    push rbx", "push rbp", "push r12", "push r13", "push r14", "push r15",
    "    mov [rdi], rsp",
    "    mov rsp, rsi",
    "    pop r15", "pop r14", "pop r13", "pop r12", "pop rbp", "pop rbx",
    "    ret",
    ".pushsection .data",
    ".balign 8",
    ".global rustux_trap_table",
    "rustux_trap_table:",
    ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    "    .quad rustux_trap_\\n",
    ".endr",
    ".irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,255",
    "    .quad rustux_trap_\\n",
    ".endr",
    ".popsection",
    handler = sym crate::arch::interrupts::trap_entry,
    user_rsp = sym SYSCALL_USER_RSP,
    kernel_rsp = sym SYSCALL_KERNEL_RSP,
    ss = const USER_DATA as u64,
    cs = const USER_CODE as u64,
    syscall_vector = const SYSCALL_VECTOR,
);

// sysv64, not "C": on the UEFI target "C" is the Microsoft ABI (arguments in rcx, rdx).
extern "sysv64" {
    static rustux_trap_table: [u64; STUBS + 1];
    fn rustux_trap_return();
    fn rustux_switch_stacks(save: *mut u64, next: u64);
    pub fn rustux_syscall_entry();
}

/// Address of the entry stub for `vector` (below [`STUBS`], or [`SPURIOUS_VECTOR`]).
pub fn stub(vector: usize) -> Option<u64> {
    let index = match vector {
        v if v < STUBS => v,
        SPURIOUS_VECTOR => STUBS,
        _ => return None,
    };
    // SAFETY: the table is defined above as STUBS + 1 initialised quads nothing writes.
    Some(unsafe { rustux_trap_table[index] })
}

/// Saves the running context's kernel RSP in `*save` and continues the context whose RSP is
/// `next`; returns when something switches back to the saved one.
///
/// # Safety
/// `save` must stay valid until then, and `next` must be an RSP saved by this function or
/// built by [`new_thread_stack`], on a stack that is still mapped and unused otherwise.
pub unsafe fn switch_stacks(save: *mut u64, next: u64) {
    // SAFETY: the caller guarantees both stacks; the stub saves and restores the
    // callee-saved registers and everything else is caller-saved across this call.
    unsafe { rustux_switch_stacks(save, next) }
}

/// Room for the FPU/SSE state (fxsave).
#[repr(C, align(16))]
pub struct FpArea([u8; 512]);

impl FpArea {
    pub const fn new() -> Self {
        Self([0; 512])
    }
}

/// Saves and restores the FPU/SSE state through `area`, as a trap does.
pub fn fp_round_trip(area: &mut FpArea) {
    // SAFETY: `area` is 512 bytes, 16-byte aligned; fxrstor reloads what fxsave just wrote.
    unsafe {
        core::arch::asm!("fxsave64 [{0}]", "fxrstor64 [{0}]", in(reg) area.0.as_mut_ptr(), options(nostack))
    };
}

/// Writes below `stack_top` a switch frame (six callee-saved registers, then the return
/// address) that starts `entry` with RSP = 8 mod 16, as after a call; returns the RSP to
/// switch to.
///
/// # Safety
/// `stack_top` must be the 16-byte-aligned top of a stack nothing else uses.
pub unsafe fn start_frame(stack_top: u64, entry: u64) -> u64 {
    let frame_at = stack_top - 64;
    let mut frame = [0u64; 7];
    frame[6] = entry;
    // SAFETY: the caller owns the stack; the write stays below its top.
    unsafe { core::ptr::write(frame_at as *mut [u64; 7], frame) };
    frame_at
}

/// x87 control word and MXCSR of a fresh thread: every exception masked (the reset values).
const FCW_DEFAULT: u16 = 0x037f;
const MXCSR_DEFAULT: u32 = 0x1f80;
/// Ring 3 runs with interrupts on (IF) and the reserved bit 1.
const USER_RFLAGS: u64 = 0x202;

/// Builds, below `stack_top`, the frame that makes a switch to the returned RSP enter ring 3
/// at `entry` with `rsp`, `rdi` and `rsi` set, every other register zero.
///
/// # Safety
/// `stack_top` must be the 16-byte-aligned top of a kernel stack nothing else uses, with
/// room for a frame.
pub unsafe fn new_thread_stack(stack_top: u64, entry: u64, rsp: u64, rdi: u64, rsi: u64) -> u64 {
    let frame_at = stack_top - core::mem::size_of::<TrapFrame>() as u64;
    let mut fx = [0u8; 512];
    fx[..2].copy_from_slice(&FCW_DEFAULT.to_le_bytes());
    fx[24..28].copy_from_slice(&MXCSR_DEFAULT.to_le_bytes());
    let frame = TrapFrame {
        fx,
        r15: 0,
        r14: 0,
        r13: 0,
        r12: 0,
        r11: 0,
        r10: 0,
        r9: 0,
        r8: 0,
        rbp: 0,
        rdi,
        rsi,
        rdx: 0,
        rcx: 0,
        rbx: 0,
        rax: 0,
        vector: 0,
        error_code: 0,
        rip: entry,
        cs: u64::from(USER_CODE),
        rflags: USER_RFLAGS,
        rsp,
        ss: u64::from(USER_DATA),
    };
    // What rustux_switch_stacks pops: six callee-saved registers, then its return address.
    let mut switch_frame = [0u64; 7];
    switch_frame[6] = rustux_trap_return as *const () as u64;
    let rsp0 = frame_at - core::mem::size_of_val(&switch_frame) as u64;
    // SAFETY: the caller owns the stack; both writes stay inside [rsp0, stack_top).
    unsafe {
        core::ptr::write(frame_at as *mut TrapFrame, frame);
        core::ptr::write(rsp0 as *mut [u64; 7], switch_frame);
    }
    rsp0
}
