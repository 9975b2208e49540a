//! aarch64 on QEMU `virt` under AAVMF: the PL011 UART, the generic timer, PSCI, the
//! exception vectors, the translation tables. The boot steps past ExitBootServices that are
//! ported so far live in `boot`.
pub mod boot;
pub mod cpu;
pub mod exceptions;
pub mod gic;
pub mod interrupts;
pub mod mmu;
pub mod port;
pub mod psci;
pub mod serial;
pub mod trap;

/// The architecture as the banner names it.
pub const NAME: &str = "aarch64";
/// The clock the banner calibrates: the generic timer's virtual count.
pub const COUNTER: &str = "CNTVCT";
/// The stack pointer's name in milestone lines.
pub const SP_NAME: &str = "sp";
/// The user mode's name, and the translation table base, program counter and stack pointer
/// as the user-entry milestone names them.
pub const USER_MODE: &str = "EL0";
pub const REGISTER_NAMES: [&str; 3] = ["ttbr0", "pc", "sp"];

pub use gic::stop_timer;
