//! The kernel log ring: every kernel line, kept in 64 KiB (oldest bytes dropped first);
//! read by the dmesg syscall, and its tail printed after a `[PANIC]` line.
use crate::once::KernelCell;

const RING_BYTES: usize = 64 * 1024;

struct Ring {
    bytes: [u8; RING_BYTES],
    /// Bytes ever written; the ring holds the last min(total, RING_BYTES).
    total: u64,
}

static RING: KernelCell<Ring> = KernelCell::new(Ring {
    bytes: [0; RING_BYTES],
    total: 0,
});

pub fn append(line: &[u8]) {
    let _ = RING.try_with(|r| {
        for &b in line {
            r.bytes[(r.total % RING_BYTES as u64) as usize] = b;
            r.total += 1;
        }
    });
}

/// Copies kept bytes from `offset` (0 = the oldest kept) into `out`; returns the count.
pub fn read(offset: u64, out: &mut [u8]) -> usize {
    RING.try_with(|r| {
        let kept = r.total.min(RING_BYTES as u64);
        let oldest = r.total - kept;
        let n = (kept.saturating_sub(offset) as usize).min(out.len());
        for (i, slot) in out.iter_mut().take(n).enumerate() {
            *slot = r.bytes[((oldest + offset + i as u64) % RING_BYTES as u64) as usize];
        }
        n
    })
    .unwrap_or(0)
}

/// Calls `f` with each of the last `lines` lines, oldest first (the panic dump).
pub fn tail(lines: usize, mut f: impl FnMut(&[u8])) {
    let _ = RING.try_with(|r| {
        let kept = r.total.min(RING_BYTES as u64);
        let at = |i: u64| r.bytes[((r.total - kept + i) % RING_BYTES as u64) as usize];
        // Walk back over `lines` newlines from the end.
        let mut start = kept;
        let mut seen = 0;
        while start > 0 {
            if at(start - 1) == b'\n' && start != kept {
                seen += 1;
                if seen == lines {
                    break;
                }
            }
            start -= 1;
        }
        let mut line = [0u8; 256];
        let mut len = 0;
        for i in start..kept {
            let b = at(i);
            if b == b'\n' || len == line.len() {
                f(&line[..len]);
                len = 0;
            }
            if b != b'\n' {
                line[len] = b;
                len += 1;
            }
        }
        if len > 0 {
            f(&line[..len]);
        }
    });
}
