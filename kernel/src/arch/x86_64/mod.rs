//! x86-64: port I/O, consoles, descriptor tables, exceptions, syscalls, ring-3 entry.
pub mod cpu;
pub mod gdt;
pub mod idt;
pub mod port;
pub mod serial;
pub mod syscall;
pub mod usermode;

mod exceptions;
