//! Architecture support (redox/hermit style): `cfg(target_arch)` selects one module and
//! re-exports it, so shared code names `arch::cpu`, `arch::serial`, ... on both.
#[cfg(target_arch = "x86_64")]
pub mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use self::x86_64::*;

#[cfg(target_arch = "aarch64")]
pub mod aarch64;
#[cfg(target_arch = "aarch64")]
pub use self::aarch64::*;
