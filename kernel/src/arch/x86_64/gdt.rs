//! GDT with kernel and user segments in the order SYSCALL/SYSRET require, and the TSS that
//! gives ring-3 interrupts a kernel stack (RSP0) and faults their own IST stacks.
use crate::once::Stack;
use core::arch::asm;
use core::cell::UnsafeCell;
use core::mem::size_of;

pub const KERNEL_CODE: u16 = 0x08;
pub const KERNEL_DATA: u16 = 0x10;
/// SYSRET loads SS from STAR[63:48]+8 and CS from STAR[63:48]+16, so user data precedes user code.
pub const USER_DATA: u16 = 0x18 | 3;
pub const USER_CODE: u16 = 0x20 | 3;
const TSS_SELECTOR: u16 = 0x28;

/// IST slot (1-based, as in the IDT) of the page-fault stack: a stack overflow must not
/// fault again while the CPU pushes the exception frame.
pub const IST_PAGE_FAULT: u8 = 1;
pub const IST_DOUBLE_FAULT: u8 = 2;

#[repr(C, packed(4))]
struct TaskStateSegment {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

const _: () = assert!(size_of::<TaskStateSegment>() == 104);

#[repr(C, align(16))]
struct Gdt([u64; 7]);

struct Tables {
    gdt: UnsafeCell<Gdt>,
    tss: UnsafeCell<TaskStateSegment>,
}

// SAFETY: the tables are written only by `init`, once, on the single CPU, before the CPU
// itself reads them (lgdt/ltr happen after the writes).
unsafe impl Sync for Tables {}

static TABLES: Tables = Tables {
    gdt: UnsafeCell::new(Gdt([0; 7])),
    tss: UnsafeCell::new(TaskStateSegment {
        reserved0: 0,
        rsp: [0; 3],
        reserved1: 0,
        ist: [0; 7],
        reserved2: 0,
        reserved3: 0,
        // No I/O bitmap: ring 3 gets no port access.
        iomap_base: size_of::<TaskStateSegment>() as u16,
    }),
};

static RSP0_STACK: Stack<16384> = Stack::new();
static PAGE_FAULT_STACK: Stack<16384> = Stack::new();
static DOUBLE_FAULT_STACK: Stack<16384> = Stack::new();

/// Builds and loads the GDT and TSS, and reloads every segment register.
pub fn init() {
    let tss_addr = TABLES.tss.get() as u64;
    let limit = (size_of::<TaskStateSegment>() - 1) as u64;
    let gdt = [
        0,
        0x00af_9a00_0000_ffff, // kernel code: 64-bit, DPL 0
        0x00cf_9200_0000_ffff, // kernel data
        0x00cf_f200_0000_ffff, // user data, DPL 3
        0x00af_fa00_0000_ffff, // user code: 64-bit, DPL 3
        // 64-bit available TSS (type 9), present; base split over both halves.
        limit | (tss_addr & 0xff_ffff) << 16 | 0x89 << 40 | (tss_addr >> 24 & 0xff) << 56,
        tss_addr >> 32,
    ];
    // SAFETY: single CPU, first and only initialisation, nothing reads the tables yet.
    unsafe {
        (*TABLES.gdt.get()).0 = gdt;
        let tss = &mut *TABLES.tss.get();
        tss.rsp[0] = RSP0_STACK.top();
        tss.ist[usize::from(IST_PAGE_FAULT - 1)] = PAGE_FAULT_STACK.top();
        tss.ist[usize::from(IST_DOUBLE_FAULT - 1)] = DOUBLE_FAULT_STACK.top();
    }
    load(TABLES.gdt.get() as u64);
}

/// The kernel stack ring-3 interrupts land on: the running thread's.
pub fn set_rsp0(top: u64) {
    // SAFETY: single CPU with interrupts off in the kernel; the CPU reads RSP0 only when an
    // interrupt arrives from ring 3, which cannot happen during this write.
    unsafe { core::ptr::write_unaligned(core::ptr::addr_of_mut!((*TABLES.tss.get()).rsp[0]), top) };
}

fn load(gdt_base: u64) {
    #[repr(C, packed)]
    struct Pointer {
        limit: u16,
        base: u64,
    }
    let pointer = Pointer {
        limit: (size_of::<Gdt>() - 1) as u16,
        base: gdt_base,
    };
    // SAFETY: the GDT is static and holds valid kernel code/data descriptors at the selectors
    // loaded here; the far return reloads CS with KERNEL_CODE and continues at label 2.
    unsafe {
        asm!(
            "lgdt [{ptr}]",
            "push {code}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {data:x}",
            "mov es, {data:x}",
            "mov ss, {data:x}",
            "xor {tmp:e}, {tmp:e}",
            "mov fs, {tmp:x}",
            "mov gs, {tmp:x}",
            "ltr {tss:x}",
            ptr = in(reg) &pointer,
            code = in(reg) u64::from(KERNEL_CODE),
            data = in(reg) KERNEL_DATA,
            tss = in(reg) TSS_SELECTOR,
            tmp = out(reg) _,
        );
    }
}
