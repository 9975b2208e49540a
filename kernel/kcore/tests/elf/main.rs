//! ELF tests: a hand-built valid executable, then every kind of malformation, and
//! thousands of random mutations that must give Ok or Err (never panic) with invariants.

#[path = "../common/mod.rs"]
mod common;
mod image;

use common::Rng;
use image::*;
use kcore::elf::{parse, ElfError, ElfImage, LoadPolicy};

fn with(phs: &[Ph], entry: u64) -> Result<ElfImage, ElfError> {
    parse(&build(entry, phs, 0x3000), &policy())
}

#[test]
fn valid_executable_parses_and_loads() {
    let data = valid();
    let image = parse(&data, &policy()).unwrap();
    assert_eq!(image.entry, BASE + 0x1010);
    assert_eq!(image.segments().len(), 2);
    let data_seg = image.segments()[1];
    assert_eq!(
        (data_seg.vaddr, data_seg.filesz, data_seg.memsz),
        (BASE + 0x3100, 0x80, 0x3000)
    );
    assert!(data_seg.flags.write && !data_seg.flags.exec);
    assert_eq!(image.total_memory(), 0x234 + 0x3000);
    load_and_check(&data, &image);
}

#[test]
fn segments_sharing_a_page_load_without_clobbering_each_other() {
    let phs = [
        load(PF_R | PF_X, 0x1000, BASE + 0x1000, 0x100, 0x100),
        load(PF_R | PF_W, 0x1100, BASE + 0x1100, 0x50, 0x200),
    ];
    let data = build(BASE + 0x1000, &phs, 0x1200);
    load_and_check(&data, &parse(&data, &policy()).unwrap());
}

#[test]
fn every_truncation_is_an_error() {
    let data = valid();
    for n in 0..data.len() {
        assert!(
            parse(&data[..n], &policy()).is_err(),
            "truncated to {n} bytes was accepted"
        );
    }
    assert_eq!(
        parse(&data[..63], &policy()),
        Err(ElfError::Truncated {
            len: 63,
            needed: 64
        })
    );
}

#[test]
fn header_fields_are_checked() {
    let cases: [(usize, &[u8], ElfError); 8] = [
        (0, b"\x7fELG", ElfError::BadMagic),
        (4, &[1], ElfError::NotElf64 { class: 1 }),
        (5, &[2], ElfError::NotLittleEndian { data: 2 }),
        (20, &[2], ElfError::BadVersion { version: 2 }),
        (16, &[3], ElfError::NotExecutable { e_type: 3 }),
        (18, &[3], ElfError::NotX86_64 { machine: 3 }),
        (52, &[65], ElfError::BadHeaderSize { ehsize: 65 }),
        (54, &[32], ElfError::BadProgramHeaderSize { phentsize: 32 }),
    ];
    for (at, bytes, err) in cases {
        let mut data = valid();
        data[at..at + bytes.len()].copy_from_slice(bytes);
        assert_eq!(parse(&data, &policy()), Err(err));
    }
}

#[test]
fn program_header_table_bounds_and_counts() {
    let mut data = valid();
    data[32..40].copy_from_slice(&0x2100u64.to_le_bytes());
    assert_eq!(
        parse(&data, &policy()),
        Err(ElfError::ProgramHeadersOutOfFile {
            phoff: 0x2100,
            phnum: 3
        })
    );
    data[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
    assert!(matches!(
        parse(&data, &policy()),
        Err(ElfError::TooManySegments { count: 0xffff, .. })
    ));
    data[56..58].copy_from_slice(&3u16.to_le_bytes());
    data[32..40].copy_from_slice(&(u64::MAX - 8).to_le_bytes());
    assert!(matches!(
        parse(&data, &policy()),
        Err(ElfError::ProgramHeadersOutOfFile { .. })
    ));
    data[56..58].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(parse(&data, &policy()), Err(ElfError::NoLoadSegments));
    let many: Vec<Ph> = (0..17)
        .map(|i| load(PF_R | PF_X, 0x1000, BASE + 0x1000 * (i + 1), 0x10, 0x10))
        .collect();
    assert_eq!(
        with(&many, BASE + 0x1000),
        Err(ElfError::TooManySegments { count: 17, max: 16 })
    );
    let tight = LoadPolicy {
        max_segments: 1,
        ..policy()
    };
    assert_eq!(
        parse(&valid(), &tight),
        Err(ElfError::TooManySegments { count: 2, max: 1 })
    );
}

#[test]
fn segment_checks() {
    let text = load(PF_R | PF_X, 0x1000, BASE + 0x1000, 0x100, 0x100);
    let e = BASE + 0x1000;
    let err = |ph: Ph| with(&[text, ph], e).unwrap_err();
    assert_eq!(
        err(load(PF_R, 0x2000, BASE + 0x4000, 0x200, 0x100)),
        ElfError::FileSizeExceedsMemSize {
            index: 1,
            filesz: 0x200,
            memsz: 0x100
        }
    );
    assert_eq!(
        err(load(PF_R, 0x2000, BASE + 0x4000, 0x1001, 0x2000)),
        ElfError::SegmentOutOfFile {
            index: 1,
            offset: 0x2000,
            filesz: 0x1001
        }
    );
    assert!(matches!(
        err(load(PF_R, u64::MAX - 4, BASE + 0x4000, 0x10, 0x10)),
        ElfError::SegmentOutOfFile { .. }
    ));
    assert_eq!(
        err(load(PF_R, 0x2000, u64::MAX - 0xfff, 0, 0x2000)),
        ElfError::AddressOverflow { index: 1 }
    );
    assert!(matches!(
        err(load(PF_R, 0x2000, 0x40_0000, 0, 0x10)),
        ElfError::SegmentOutsideUserRange { .. }
    ));
    assert!(matches!(
        err(load(PF_R, 0x2000, BASE + 0x3fff_f000, 0, 0x2000)),
        ElfError::SegmentOutsideUserRange { .. }
    ));
    assert_eq!(
        err(load(PF_R, 0x2080, BASE + 0x1080, 0, 0x10)),
        ElfError::OverlappingSegments {
            first: 0,
            second: 1
        }
    );
    assert_eq!(
        err(load(PF_R, 0x2000, BASE, 0, 0x1001)),
        ElfError::OverlappingSegments {
            first: 0,
            second: 1
        }
    );
    assert_eq!(
        err(Ph {
            align: 0x3000,
            ..load(PF_R, 0x2000, BASE + 0x4000, 0, 0x10)
        }),
        ElfError::BadAlignment {
            index: 1,
            align: 0x3000
        }
    );
    assert_eq!(
        err(load(PF_R, 0x2010, BASE + 0x4000, 0x10, 0x10)),
        ElfError::MisalignedSegment { index: 1 }
    );
    assert_eq!(
        err(load(PF_R, 0x2000, BASE + 0x10_0000, 0, 64 << 20)),
        ElfError::TooMuchMemory {
            total: (64 << 20) + 0x100,
            max: 64 << 20
        }
    );
    assert_eq!(err(Ph { p_type: 3, ..text }), ElfError::NeedsInterpreter);
    assert!(
        with(&[text, load(PF_R, 0x2100, BASE + 0x1100, 0, 0x10)], e).is_ok(),
        "touching is not overlapping"
    );
}

#[test]
fn entry_must_be_in_an_executable_segment() {
    let phs = text_data();
    assert_eq!(
        with(&phs, BASE + 0x1234),
        Err(ElfError::EntryNotExecutable {
            entry: BASE + 0x1234
        })
    );
    assert_eq!(
        with(&phs, BASE + 0x3200),
        Err(ElfError::EntryNotExecutable {
            entry: BASE + 0x3200
        }),
        "data segment"
    );
    assert_eq!(
        with(&phs, 0),
        Err(ElfError::EntryNotExecutable { entry: 0 })
    );
    assert!(with(&phs, BASE + 0x1233).is_ok());
}

#[test]
fn errors_display_what_is_wrong() {
    let e = with(&text_data(), BASE).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("entry {:#x} is not inside an executable segment", BASE)
    );
}

fn assert_invariants(data: &[u8], image: &ElfImage, policy: &LoadPolicy) {
    let segs = image.segments();
    assert!(!segs.is_empty() && segs.len() <= policy.max_segments);
    for (i, s) in segs.iter().enumerate() {
        assert!(s.filesz <= s.memsz);
        assert!(s
            .offset
            .checked_add(s.filesz)
            .is_some_and(|end| end <= data.len() as u64));
        assert!(
            s.vaddr >= policy.user_start
                && s.vaddr
                    .checked_add(s.memsz)
                    .is_some_and(|e| e <= policy.user_end)
        );
        for t in &segs[i + 1..] {
            assert!(s.end() <= t.vaddr || t.end() <= s.vaddr, "overlap accepted");
        }
    }
    assert!(image.total_memory() <= policy.max_total_mem);
    assert!(segs
        .iter()
        .any(|s| s.flags.exec && s.vaddr <= image.entry && image.entry < s.end()));
}

#[test]
fn random_mutations_never_panic_and_accepted_images_hold_invariants() {
    // A small memory cap keeps loading every accepted image cheap.
    let policy = LoadPolicy {
        max_total_mem: 1 << 20,
        ..LoadPolicy::USER_DEFAULT
    };
    let base = valid();
    let mut rng = Rng::new(0xe1f);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..20_000 {
        let mut data = base.clone();
        for _ in 0..1 + rng.below(6) {
            // Mostly hit the headers, where the interesting fields are.
            let limit = if rng.chance(85) {
                64 + 3 * 56
            } else {
                data.len() as u64
            };
            let at = rng.below(limit) as usize;
            data[at] = match rng.below(4) {
                0 => rng.next_u64() as u8,
                1 => data[at] ^ (1 << rng.below(8)),
                2 => 0xff,
                _ => 0,
            };
        }
        if rng.chance(10) {
            data.truncate(rng.below(data.len() as u64) as usize);
        }
        match parse(&data, &policy) {
            Ok(image) => {
                ok += 1;
                assert_invariants(&data, &image, &policy);
                load_and_check(&data, &image);
            }
            Err(e) => {
                err += 1;
                assert!(!e.to_string().is_empty());
            }
        }
    }
    assert!(
        ok > 1000 && err > 1000,
        "mutations too weak or too strong: {ok} ok, {err} err"
    );
}
