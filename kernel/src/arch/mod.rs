//! Architecture support; only x86-64 exists (redox/hermit style re-export).
#[cfg(target_arch = "x86_64")]
pub mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use self::x86_64::*;
