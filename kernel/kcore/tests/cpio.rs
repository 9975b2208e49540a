//! cpio (newc) tests: a hand-built archive read back, then truncation at every byte, bad
//! magic, absurd sizes, hostile names, structure errors, and random mutations that must give
//! Ok or Err (never panic) with the archive's invariants holding whenever it is accepted.

#[path = "common/mod.rs"]
mod common;

use common::Rng;
use kcore::cpio::{Archive, CpioError, Kind, LookupError, HEADER_LEN, MAX_ENTRIES};

const FILE: u32 = 0o100_755;
const DIR: u32 = 0o040_755;

/// One newc record, the way `scripts/mkinitrd.py` writes it.
fn record(out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]) {
    record_raw(
        out,
        b"070701",
        name.as_bytes(),
        name.len() + 1,
        mode,
        data.len(),
        data,
    );
}

fn record_raw(
    out: &mut Vec<u8>,
    magic: &[u8],
    name: &[u8],
    name_size: usize,
    mode: u32,
    size: usize,
    data: &[u8],
) {
    out.extend_from_slice(magic);
    let fields = [1, mode as usize, 0, 0, 1, 0, size, 0, 0, 0, 0, name_size, 0];
    for value in fields {
        out.extend_from_slice(format!("{value:08x}").as_bytes());
    }
    out.extend_from_slice(name);
    out.push(0);
    pad(out);
    out.extend_from_slice(data);
    pad(out);
}

fn pad(out: &mut Vec<u8>) {
    out.resize(out.len().next_multiple_of(4), 0);
}

fn trailer(out: &mut Vec<u8>) {
    record_raw(out, b"070701", b"TRAILER!!!", 11, 0, 0, &[]);
}

fn valid() -> Vec<u8> {
    let mut out = Vec::new();
    record(&mut out, "bin", DIR, &[]);
    record(&mut out, "bin/init", FILE, b"\x7fELF init");
    record(&mut out, "bin/sh", FILE, b"\x7fELF shell!");
    record(&mut out, "etc", DIR, &[]);
    record(&mut out, "etc/rc", 0o100_644, b"hello\n");
    record(&mut out, "etc/empty", 0o100_644, b"");
    trailer(&mut out);
    out.resize(out.len().next_multiple_of(512), 0); // cpio pads archives to a block
    out
}

fn archive_of(records: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(name, mode, data) in records {
        record(&mut out, name, mode, data);
    }
    trailer(&mut out);
    out
}

#[test]
fn valid_archive_counts_and_finds_its_files() {
    let data = valid();
    let archive = Archive::parse(&data).unwrap();
    assert_eq!(
        (archive.entries(), archive.files(), archive.file_bytes()),
        (6, 4, 9 + 11 + 6)
    );
    assert_eq!(archive.len() % 512, 0);
    let sh = archive.lookup("/bin/sh").unwrap();
    assert_eq!(
        (sh.kind, sh.mode, sh.data, sh.name()),
        (Kind::File, 0o755, &b"\x7fELF shell!"[..], "sh")
    );
    assert_eq!(archive.lookup("/etc/empty").unwrap().data, b"");
    assert_eq!(archive.lookup("/etc/").unwrap().kind, Kind::Dir);
    assert_eq!(archive.lookup("/").unwrap().kind, Kind::Dir);
    for missing in [
        "/bin/nope",
        "bin/sh",
        "/bin//sh",
        "/bin/../bin/sh",
        "",
        "/./bin",
    ] {
        assert_eq!(archive.lookup(missing), None, "{missing:?}");
    }
}

#[test]
fn readdir_lists_direct_children_in_order() {
    let data = valid();
    let archive = Archive::parse(&data).unwrap();
    let names = |dir: &str| -> Vec<&str> {
        (0..)
            .map_while(|i| archive.readdir(dir, i).unwrap())
            .map(|e| e.name())
            .collect()
    };
    assert_eq!(names("/"), ["bin", "etc"]);
    assert_eq!(names("/bin"), ["init", "sh"]);
    assert_eq!(names("/etc"), ["rc", "empty"]);
    assert_eq!(
        archive.readdir("/bin/sh", 0),
        Err(LookupError::NotADirectory)
    );
    assert_eq!(archive.readdir("/usr", 0), Err(LookupError::NotFound));
}

#[test]
fn every_truncation_is_an_error() {
    let data = valid();
    // Cut anywhere before the trailer's name ends: the zero padding after it is optional.
    let trailer_end = data.iter().rposition(|&b| b != 0).unwrap() + 1;
    for n in 0..trailer_end {
        let err = Archive::parse(&data[..n]).unwrap_err();
        assert!(
            matches!(
                err,
                CpioError::Truncated { .. }
                    | CpioError::NoTrailer { .. }
                    | CpioError::AbsurdSize { .. }
            ),
            "cut at {n}: {err:?}"
        );
    }
    assert_eq!(
        Archive::parse(&data[..10]),
        Err(CpioError::Truncated {
            offset: 0,
            needed: HEADER_LEN - 10
        })
    );
    assert_eq!(Archive::parse(&[]), Err(CpioError::NoTrailer { offset: 0 }));
}

#[test]
fn bad_magic_and_bad_hex_name_the_offset() {
    let mut data = valid();
    data[0] = b'1';
    assert_eq!(
        Archive::parse(&data),
        Err(CpioError::BadMagic { offset: 0 })
    );
    let mut data = valid();
    let second = data
        .windows(6)
        .skip(1)
        .position(|w| w == b"070701")
        .unwrap()
        + 1;
    data[second + 5] = b'7';
    assert_eq!(
        Archive::parse(&data),
        Err(CpioError::BadMagic { offset: second })
    );
    let mut data = valid();
    data[6 + 8 * 6 + 3] = b'g'; // filesize of the first record
    assert_eq!(
        Archive::parse(&data),
        Err(CpioError::BadHex {
            offset: 6 + 8 * 6,
            field: 6
        })
    );
    let err = CpioError::BadMagic { offset: 116 };
    assert_eq!(err.to_string(), "bad magic at offset 116 (want 070701)");
}

#[test]
fn absurd_sizes_are_refused_not_trusted() {
    for size in [0x1000, 0x7fff_ffff, 0xffff_ffff] {
        let mut data = Vec::new();
        record(&mut data, "big", FILE, b"");
        data[6 + 8 * 6..6 + 8 * 7].copy_from_slice(format!("{size:08x}").as_bytes());
        trailer(&mut data);
        assert_eq!(
            Archive::parse(&data),
            Err(CpioError::AbsurdSize { offset: 0, size })
        );
    }
    for name_size in [0usize, 257, 0xffff_ffff] {
        let mut data = Vec::new();
        record_raw(&mut data, b"070701", b"x", name_size, FILE, 0, &[]);
        trailer(&mut data);
        assert_eq!(
            Archive::parse(&data),
            Err(CpioError::BadNameSize {
                offset: 0,
                size: name_size as u64
            })
        );
    }
    let mut data = Vec::new();
    record_raw(&mut data, b"070701", b"abc", 2, FILE, 0, &[]); // NUL not where namesize says
    assert!(matches!(
        Archive::parse(&data),
        Err(CpioError::BadNameSize { .. })
    ));
}

#[test]
fn hostile_names_are_refused() {
    for name in [
        "..",
        "../etc/passwd",
        "bin/../../x",
        "/bin",
        "bin//sh",
        "./bin",
        "bin/.",
        "bin/",
    ] {
        let data = archive_of(&[("bin", DIR, b""), (name, FILE, b"x")]);
        let err = Archive::parse(&data).unwrap_err();
        assert!(
            matches!(err, CpioError::BadName { .. }),
            "{name:?}: {err:?}"
        );
    }
    let mut data = Vec::new();
    record_raw(&mut data, b"070701", b"\xff\xfe", 3, FILE, 0, &[]);
    trailer(&mut data);
    assert_eq!(Archive::parse(&data), Err(CpioError::BadName { offset: 0 }));
}

#[test]
fn structure_errors_are_refused() {
    let no_parent = archive_of(&[("bin/sh", FILE, b"x")]);
    assert_eq!(
        Archive::parse(&no_parent),
        Err(CpioError::NoParent { offset: 0 })
    );
    let parent_is_file = archive_of(&[("bin", FILE, b""), ("bin/sh", FILE, b"x")]);
    assert!(matches!(
        Archive::parse(&parent_is_file),
        Err(CpioError::NoParent { .. })
    ));
    let duplicate = archive_of(&[("a", FILE, b"1"), ("a", FILE, b"2")]);
    assert!(matches!(
        Archive::parse(&duplicate),
        Err(CpioError::Duplicate { .. })
    ));
    let symlink = archive_of(&[("link", 0o120_777, b"target")]);
    assert!(matches!(
        Archive::parse(&symlink),
        Err(CpioError::BadType {
            mode: 0o120_777,
            ..
        })
    ));
    let dir_with_data = archive_of(&[("d", DIR, b"data")]);
    assert!(matches!(
        Archive::parse(&dir_with_data),
        Err(CpioError::BadType { .. })
    ));
    let mut trailing = valid();
    let last = trailing.len() - 1;
    trailing[last] = 1;
    assert_eq!(
        Archive::parse(&trailing),
        Err(CpioError::TrailingData { offset: last })
    );
    let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("f{i}")).collect();
    let many: Vec<(&str, u32, &[u8])> =
        names.iter().map(|n| (n.as_str(), FILE, &b""[..])).collect();
    assert!(matches!(
        Archive::parse(&archive_of(&many)),
        Err(CpioError::TooManyEntries { .. })
    ));
    assert!(Archive::parse(&archive_of(&many[..MAX_ENTRIES])).is_ok());
}

#[test]
fn the_checksum_variant_070702_is_read_too() {
    let mut data = Vec::new();
    record_raw(&mut data, b"070702", b"f", 2, FILE, 3, b"abc");
    trailer(&mut data);
    assert_eq!(
        Archive::parse(&data).unwrap().lookup("/f").unwrap().data,
        b"abc"
    );
}

#[test]
fn random_mutations_never_panic_and_accepted_archives_hold_their_invariants() {
    let base = valid();
    let mut rng = Rng::new(0xC910);
    let mut accepted = 0;
    for _ in 0..20_000 {
        let mut data = base.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(data.len() as u64) as usize;
            data[at] = match rng.below(3) {
                0 => rng.next_u64() as u8,
                1 => *rng.pick(b"0123456789abcdef/.\0"),
                _ => data[at] ^ 1 << rng.below(8),
            };
        }
        if rng.chance(10) {
            data.truncate(rng.below(data.len() as u64) as usize);
        }
        let Ok(archive) = Archive::parse(&data) else {
            continue;
        };
        accepted += 1;
        let mut files = 0;
        for entry in archive.iter() {
            assert!(!entry
                .path
                .split('/')
                .any(|p| p.is_empty() || p == "." || p == ".."));
            let start = entry.data.as_ptr() as usize - data.as_ptr() as usize;
            assert!(start + entry.data.len() <= data.len());
            let path = format!("/{}", entry.path);
            assert_eq!(archive.lookup(&path), Some(entry));
            files += (entry.kind == Kind::File) as usize;
        }
        assert_eq!(files, archive.files());
    }
    assert!(
        accepted > 0,
        "no mutation was accepted: the test would not see a bad acceptance"
    );
}
