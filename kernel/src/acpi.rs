//! The ACPI tables Rustux reads: the MADT (IOAPIC, ISA interrupt overrides, whether a
//! legacy PIC exists) and the FADT (the PM1 control ports and DSDT's `\_S5` sleep type, for
//! poweroff on hardware) on x86_64; on aarch64 the FADT's ARM boot flags (the PSCI
//! conduit). Found through the RSDP the firmware lists in its configuration
//! table; all of it lies in identity-mapped memory the kernel never allocates.
#[cfg(target_arch = "x86_64")]
use crate::arch::apic::{IoApic, IsaRoute};
use crate::uefi::{Guid, SystemTable};
use core::sync::atomic::{AtomicU64, Ordering};

const ACPI_20: Guid = Guid::new(
    0x8868_e871,
    0xe4f1,
    0x11d3,
    [0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81],
);
const ACPI_10: Guid = Guid::new(
    0xeb9d_2d30,
    0x2d88,
    0x11d3,
    [0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d],
);

static RSDP: AtomicU64 = AtomicU64::new(0);

/// Remembers where the RSDP is (while the configuration table is certainly valid).
pub fn find_rsdp(st: &SystemTable) {
    let entries = st.configuration_entries();
    let found = entries
        .iter()
        .find(|e| e.guid == ACPI_20)
        .or_else(|| entries.iter().find(|e| e.guid == ACPI_10));
    if let Some(entry) = found {
        RSDP.store(entry.table as u64, Ordering::Relaxed);
    }
}

fn read<T: Copy>(addr: u64) -> T {
    // SAFETY: only called on addresses inside ACPI tables whose length was checked by the
    // caller; the firmware keeps them in identity-mapped memory; unaligned reads are fine.
    unsafe { core::ptr::read_unaligned(addr as *const T) }
}

/// Address of the table with `signature`, from the XSDT (or the RSDT on ACPI 1.0).
fn find_table(signature: &[u8; 4]) -> Option<(u64, u32)> {
    let rsdp = RSDP.load(Ordering::Relaxed);
    if rsdp == 0 || read::<[u8; 8]>(rsdp) != *b"RSD PTR " {
        return None;
    }
    let revision: u8 = read(rsdp + 15);
    let (root, entry_size) = if revision >= 2 && read::<u64>(rsdp + 24) != 0 {
        (read::<u64>(rsdp + 24), 8)
    } else {
        (u64::from(read::<u32>(rsdp + 16)), 4)
    };
    let root_len: u32 = read(root + 4);
    let count = (root_len.saturating_sub(36) / entry_size).min(256);
    (0..u64::from(count)).find_map(|i| {
        let at = root + 36 + i * u64::from(entry_size);
        let table = if entry_size == 8 {
            read::<u64>(at)
        } else {
            u64::from(read::<u32>(at))
        };
        (table != 0 && read::<[u8; 4]>(table) == *signature)
            .then(|| (table, read::<u32>(table + 4)))
    })
}

#[cfg(target_arch = "x86_64")]
/// What the MADT says about interrupt routing.
pub struct Madt {
    pub ioapic: Option<IoApic>,
    overrides: [Option<(u8, IsaRoute)>; 16],
}

#[cfg(target_arch = "x86_64")]
impl Madt {
    /// The route of ISA IRQ `irq`: its override, else identity GSI, edge, active high.
    pub fn isa_route(&self, irq: u8) -> IsaRoute {
        self.overrides
            .iter()
            .flatten()
            .find(|(source, _)| *source == irq)
            .map(|(_, route)| *route)
            .unwrap_or(IsaRoute {
                gsi: u32::from(irq),
                active_low: false,
                level: false,
            })
    }
}

#[cfg(target_arch = "x86_64")]
pub fn madt() -> Madt {
    let mut madt = Madt {
        ioapic: None,
        overrides: [None; 16],
    };
    let Some((table, len)) = find_table(b"APIC") else {
        return madt;
    };
    let end = table + u64::from(len);
    let mut at = table + 44;
    let mut next_override = 0;
    while at + 2 <= end {
        let (kind, entry_len): (u8, u8) = (read(at), read(at + 1));
        if entry_len < 2 || at + u64::from(entry_len) > end {
            break;
        }
        match kind {
            1 if entry_len >= 12 && madt.ioapic.is_none() => {
                madt.ioapic = Some(IoApic {
                    address: u64::from(read::<u32>(at + 4)),
                    gsi_base: read(at + 8),
                });
            }
            2 if entry_len >= 10 && next_override < madt.overrides.len() => {
                let flags: u16 = read(at + 8);
                // Polarity bits 0-1 (3 = active low), trigger bits 2-3 (3 = level).
                madt.overrides[next_override] = Some((
                    read(at + 3),
                    IsaRoute {
                        gsi: read(at + 4),
                        active_low: flags & 3 == 3,
                        level: (flags >> 2) & 3 == 3,
                    },
                ));
                next_override += 1;
            }
            _ => {}
        }
        at += u64::from(entry_len);
    }
    madt
}

#[cfg(target_arch = "x86_64")]
/// How to enter S5: PM1 control ports and the `\_S5` sleep types.
#[derive(Clone, Copy)]
pub struct SoftOff {
    pub pm1a_control: u16,
    pub pm1b_control: u16,
    pub sleep_type_a: u8,
    pub sleep_type_b: u8,
}

#[cfg(target_arch = "x86_64")]
/// Reads the FADT and the `\_S5_` package of its DSDT; None when either is missing.
pub fn soft_off() -> Option<SoftOff> {
    let (fadt, len) = find_table(b"FACP")?;
    if len < 72 {
        return None;
    }
    let dsdt = if len >= 148 && read::<u64>(fadt + 140) != 0 {
        read::<u64>(fadt + 140)
    } else {
        u64::from(read::<u32>(fadt + 40))
    };
    let pm1a = read::<u32>(fadt + 64) as u16;
    let pm1b = read::<u32>(fadt + 68) as u16;
    if dsdt == 0 || pm1a == 0 || read::<[u8; 4]>(dsdt) != *b"DSDT" {
        return None;
    }
    let dsdt_len = u64::from(read::<u32>(dsdt + 4));
    let name =
        (dsdt + 36..dsdt + dsdt_len.saturating_sub(4)).find(|&a| read::<[u8; 4]>(a) == *b"_S5_")?;
    // NameOp "_S5_" PackageOp PkgLength NumElements then two integers (BytePrefix or
    // Zero/One ops).
    let mut at = name + 4;
    if read::<u8>(at) != 0x12 {
        return None;
    }
    at += 1;
    at += 1 + u64::from(read::<u8>(at) >> 6); // PkgLength: 1-4 bytes
    at += 1; // NumElements
    let mut integer = || -> u8 {
        let op: u8 = read(at);
        if op == 0x0a {
            at += 2;
            read(at - 1)
        } else {
            at += 1;
            op
        }
    };
    let (sleep_type_a, sleep_type_b) = (integer(), integer());
    Some(SoftOff {
        pm1a_control: pm1a,
        pm1b_control: pm1b,
        sleep_type_a,
        sleep_type_b,
    })
}

/// The FADT's ARM boot architecture flags (ACPI 6.5 §5.2.9, offset 129): bit 0 PSCI
/// compliant, bit 1 PSCI over HVC (else SMC). None without a FADT that long.
#[cfg(target_arch = "aarch64")]
pub fn arm_boot_flags() -> Option<u16> {
    let (fadt, len) = find_table(b"FACP")?;
    (len >= 131).then(|| read::<u16>(fadt + 129))
}
