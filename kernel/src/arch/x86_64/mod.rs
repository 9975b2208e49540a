//! x86-64: port I/O, consoles, descriptor tables, interrupts and exceptions, syscalls,
//! the local APIC / IOAPIC / legacy PIC, the PS/2 controller, context switching.
pub mod apic;
pub mod cpu;
pub mod exceptions;
pub mod gdt;
pub mod idt;
pub mod port;
pub mod ps2;
pub mod serial;
pub mod syscall;
pub mod trap;

/// The architecture as the banner names it.
pub const NAME: &str = "x86_64";
/// The clock the banner calibrates.
pub const COUNTER: &str = "TSC";
