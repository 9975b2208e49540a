//! Interrupt routing and the one Rust entry every trap comes through: exceptions (kernel:
//! fatal; user: the process is killed), the timer (ticks, sleepers, preemption), COM1 and
//! the keyboard (the console's input queue), and syscalls.
use crate::arch::apic::{self, IRQ_BASE, TIMER_VECTOR};
use crate::arch::trap::{TrapFrame, SYSCALL_VECTOR};
use crate::arch::{exceptions, ps2, serial};
use crate::log::milestone;

pub const TIMER_HZ: u32 = 100;
const IRQ_KEYBOARD: u8 = 1;
const IRQ_COM1: u8 = 4;
/// TSC milliseconds the APIC timer is measured over (part of entry-to-prompt time).
const CALIBRATION_MS: u64 = 2;

/// Starts the timer and routes COM1 and the keyboard; prints the `interrupts` milestone.
pub fn init() {
    apic::init_lapic();
    let ticks_per_ms = apic::calibrate_timer(crate::clock::tsc_per_ms(), CALIBRATION_MS);
    let madt = crate::acpi::madt();
    let controller = match madt.ioapic {
        Some(ioapic) => {
            apic::init_pic(&[]); // re-based and fully masked: the IOAPIC delivers instead
            let dest = apic::lapic_id();
            for irq in [IRQ_KEYBOARD, IRQ_COM1] {
                if !ioapic.route(madt.isa_route(irq), IRQ_BASE + irq, dest) {
                    milestone!("interrupts: irq {irq} is not on the first IOAPIC, left unrouted");
                }
            }
            "ioapic"
        }
        None => {
            apic::init_pic(&[IRQ_KEYBOARD, IRQ_COM1]);
            "pic"
        }
    };
    ps2::init();
    serial::enable_receive_interrupt();
    apic::start_timer(ticks_per_ms, TIMER_HZ);
    milestone!(
        "interrupts: lapic timer {TIMER_HZ} Hz ({ticks_per_ms} ticks/ms against the TSC), {controller} routes COM1 irq {IRQ_COM1}, keyboard irq {IRQ_KEYBOARD}"
    );
}

/// Called by `rustux_trap_common` with the frame it built; returning resumes that frame.
pub extern "sysv64" fn trap_entry(frame: &mut TrapFrame) {
    const KEYBOARD: u64 = (IRQ_BASE + IRQ_KEYBOARD) as u64;
    const COM1: u64 = (IRQ_BASE + IRQ_COM1) as u64;
    const TIMER: u64 = TIMER_VECTOR as u64;
    match frame.vector {
        SYSCALL_VECTOR => crate::syscall::dispatch(frame),
        0..=31 if frame.cs & 3 == 3 => crate::proc::fault(frame),
        0..=31 => exceptions::kernel_fault(frame),
        TIMER => {
            apic::lapic_eoi();
            crate::sched::tick();
        }
        KEYBOARD => {
            while let Some(code) = ps2::read_scancode() {
                crate::console::keyboard_scancode(code);
            }
            apic::irq_eoi(IRQ_KEYBOARD);
        }
        COM1 => {
            if !crate::console::receive(serial::read_byte) {
                return;
            }
            apic::irq_eoi(IRQ_COM1);
        }
        // Spurious LAPIC interrupts (SPURIOUS) and the PIC's spurious IRQ 7/15 need no EOI.
        _ => {}
    }
    // Acknowledged first: Ctrl-C may end the process this trap came from.
    if crate::console::take_interrupt() {
        crate::proc::interrupt_foreground();
    }
    crate::sched::preempt_if_due(frame);
}
