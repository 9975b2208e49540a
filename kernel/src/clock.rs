//! Monotonic time from the TSC (the generic timer's count on aarch64), calibrated against the firmware's Stall() while boot
//! services still exist. Time 0 is kernel entry.
use crate::arch::cpu::{counter, counter_per_ms};
use crate::uefi::BootServices;
use core::sync::atomic::{AtomicU64, Ordering};

static ENTRY_TSC: AtomicU64 = AtomicU64::new(0);
static TSC_PER_MS: AtomicU64 = AtomicU64::new(0);

const CALIBRATION_MS: u64 = 10;

pub fn mark_entry() {
    ENTRY_TSC.store(counter(), Ordering::Relaxed);
}

/// Ticks per millisecond: the architecture's stated rate where it has one (CNTFRQ_EL0),
/// else measured against Stall (the TSC); returns the rate.
pub fn calibrate(bs: &BootServices) -> u64 {
    let rate = counter_per_ms().unwrap_or_else(|| {
        let start = counter();
        // SAFETY: Stall is a boot service and boot services are still active here.
        unsafe { (bs.stall)((CALIBRATION_MS * 1000) as usize) };
        ((counter() - start) / CALIBRATION_MS).max(1)
    });
    TSC_PER_MS.store(rate, Ordering::Relaxed);
    rate
}

pub fn ns_since_entry() -> u64 {
    let ticks = counter().saturating_sub(ENTRY_TSC.load(Ordering::Relaxed));
    let rate = TSC_PER_MS.load(Ordering::Relaxed).max(1);
    ((u128::from(ticks) * 1_000_000) / u128::from(rate)) as u64
}

pub fn tsc_per_ms() -> u64 {
    TSC_PER_MS.load(Ordering::Relaxed).max(1)
}

pub fn ticks_to_ns(ticks: u64) -> u64 {
    ((u128::from(ticks) * 1_000_000) / u128::from(tsc_per_ms())) as u64
}
