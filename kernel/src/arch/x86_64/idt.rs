//! The IDT: a gate for every CPU exception (0-31), the device interrupts and the spurious
//! vector, all pointing at the stubs in `trap`. Page faults and double faults run on their
//! own IST stacks.
use super::gdt::{IST_DOUBLE_FAULT, IST_PAGE_FAULT, KERNEL_CODE};
use super::trap;
use core::arch::asm;
use core::cell::UnsafeCell;
use core::mem::size_of;

#[repr(C)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

const _: () = assert!(size_of::<Gate>() == 16);

const MISSING: Gate = Gate {
    offset_low: 0,
    selector: 0,
    ist: 0,
    type_attr: 0,
    offset_mid: 0,
    offset_high: 0,
    reserved: 0,
};
/// Present, DPL 0, 64-bit interrupt gate (IF cleared on entry).
const INTERRUPT_GATE: u8 = 0x8e;

#[repr(C, align(16))]
struct Idt(UnsafeCell<[Gate; 256]>);

// SAFETY: written once by `init` on the single CPU before `lidt` hands it to the CPU.
unsafe impl Sync for Idt {}

static IDT: Idt = Idt(UnsafeCell::new([MISSING; 256]));

#[repr(C, packed)]
struct Pointer {
    limit: u16,
    base: u64,
}

pub fn init() {
    // SAFETY: single CPU, before lidt: nothing else reads or writes the table.
    let gates = unsafe { &mut *IDT.0.get() };
    for (vector, gate) in gates.iter_mut().enumerate() {
        let Some(handler) = trap::stub(vector) else {
            continue;
        };
        let ist = match vector {
            8 => IST_DOUBLE_FAULT,
            14 => IST_PAGE_FAULT,
            _ => 0,
        };
        *gate = Gate {
            offset_low: handler as u16,
            selector: KERNEL_CODE,
            ist,
            type_attr: INTERRUPT_GATE,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        };
    }
    let pointer = Pointer {
        limit: (size_of::<Idt>() - 1) as u16,
        base: IDT.0.get() as u64,
    };
    // SAFETY: the IDT is static, fully initialised, and its gates point at valid stubs.
    unsafe { asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags)) };
}

/// Loads an empty IDT and raises #UD: no handler can run, so #UD becomes #DF becomes a
/// triple fault and the machine resets (the `triple-fault` known-bad variant).
pub fn triple_fault() -> ! {
    let pointer = Pointer { limit: 0, base: 0 };
    // SAFETY: deliberately unsafe for the machine, not for memory: the CPU resets here.
    unsafe { asm!("lidt [{}]", "ud2", in(reg) &pointer, options(noreturn)) }
}
