//! Kernel stacks of threads: a static pool, one per thread slot, each with a guard page
//! below it that `init_stacks` unmaps in the kernel's tables (which every process shares),
//! so an overflow faults instead of running into the neighbour.
use super::MAX_THREADS;
use crate::arch::cpu;
use crate::arch::trap::{self, FpArea};
use crate::mm::phys::{Pmm, WithFrames};
use crate::once::Stack;
use core::sync::atomic::{AtomicU64, Ordering};
use kcore::paging::{unmap_4k, PagingError};

pub const STACK_BYTES: u64 = 32 * 1024;
const GUARD_BYTES: u64 = 4096;
const SLOT_BYTES: usize = (GUARD_BYTES + STACK_BYTES) as usize;

static POOL: [Stack<SLOT_BYTES>; MAX_THREADS] = [const { Stack::new() }; MAX_THREADS];

fn guard(slot: usize) -> u64 {
    POOL[slot].bottom()
}

/// Top (initial RSP) of thread `slot`'s kernel stack.
pub fn top(slot: usize) -> u64 {
    POOL[slot].top()
}

/// Unmaps every guard page in the kernel's tables.
pub fn init_stacks(pmm: &mut Pmm, kernel_pml4: u64) -> Result<(), PagingError> {
    for slot in 0..MAX_THREADS {
        unmap_4k(&mut WithFrames(pmm), kernel_pml4, guard(slot))?;
        cpu::invlpg(guard(slot));
    }
    Ok(())
}

/// The guard page `addr` lies in, if it is one (the boot stack's or a thread's).
pub fn guard_hit(addr: u64) -> Option<u64> {
    let page = addr & !(GUARD_BYTES - 1);
    let thread_guard = (0..MAX_THREADS).map(guard).find(|&g| g == page);
    thread_guard.or_else(|| crate::mm::stack::is_guard_page(addr).then_some(page))
}

static BENCH_STACK: Stack<8192> = Stack::new();
static MAIN_RSP: AtomicU64 = AtomicU64::new(0);
static BENCH_RSP: AtomicU64 = AtomicU64::new(0);
static BENCH_CR3: AtomicU64 = AtomicU64::new(0);
const ROUND_TRIPS: u64 = 200;

// The partner is entered by a switch's return, with no arguments, in the kernel's own ABI.
#[cfg(target_arch = "x86_64")]
extern "sysv64" fn bench_partner() -> ! {
    partner_loop()
}
#[cfg(target_arch = "aarch64")]
extern "C" fn bench_partner() -> ! {
    partner_loop()
}

fn partner_loop() -> ! {
    let mut area = FpArea::new();
    loop {
        trap::fp_round_trip(&mut area);
        // SAFETY: BENCH_CR3 is the kernel PML4, which maps everything.
        unsafe { cpu::write_cr3(BENCH_CR3.load(Ordering::Relaxed)) };
        // SAFETY: MAIN_RSP was saved by `measure`'s switch, whose stack is live.
        unsafe { trap::switch_stacks(BENCH_RSP.as_ptr(), MAIN_RSP.load(Ordering::Relaxed)) };
    }
}

pub fn measure(kernel_pml4: u64) -> u64 {
    BENCH_CR3.store(kernel_pml4, Ordering::Relaxed);
    // SAFETY: the bench stack is static and used by nothing else.
    let frame_at =
        unsafe { trap::start_frame(BENCH_STACK.top(), bench_partner as *const () as u64) };
    BENCH_RSP.store(frame_at, Ordering::Relaxed);
    let mut area = FpArea::new();
    let start = cpu::counter();
    for _ in 0..ROUND_TRIPS {
        trap::fp_round_trip(&mut area);
        // SAFETY: the kernel PML4 maps everything.
        unsafe { cpu::write_cr3(kernel_pml4) };
        // SAFETY: BENCH_RSP is the partner's frame or its saved RSP, on its own stack.
        unsafe { trap::switch_stacks(MAIN_RSP.as_ptr(), BENCH_RSP.load(Ordering::Relaxed)) };
    }
    let ticks = cpu::counter() - start;
    crate::clock::ticks_to_ns(ticks) / (2 * ROUND_TRIPS)
}
