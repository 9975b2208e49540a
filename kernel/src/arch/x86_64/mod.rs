//! x86-64: port I/O, consoles, descriptor tables, interrupts and exceptions, syscalls,
//! the local APIC / IOAPIC / legacy PIC, the PS/2 controller, context switching.
pub mod apic;
pub mod boot;
pub mod cpu;
pub mod exceptions;
pub mod gdt;
pub mod idt;
pub mod interrupts;
pub mod port;
pub mod ps2;
pub mod serial;
pub mod syscall;
pub mod trap;

pub use apic::stop_timer;

/// The architecture as the banner names it.
pub const NAME: &str = "x86_64";
/// The clock the banner calibrates.
pub const COUNTER: &str = "TSC";
/// The stack pointer's name in milestone lines.
pub const SP_NAME: &str = "rsp";
/// The user mode's name, and the page-table root, program counter and stack pointer as the
/// user-entry milestone names them.
pub const USER_MODE: &str = "ring 3";
pub const REGISTER_NAMES: [&str; 3] = ["cr3", "rip", "rsp"];
