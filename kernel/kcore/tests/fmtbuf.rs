//! Fixed-buffer formatting: exact fits, truncation marks, UTF-8 boundaries, no errors.

use core::fmt::Write;
use kcore::fmtbuf::{FmtBuf, TRUNCATION_MARK};

#[test]
fn formats_without_allocating_into_the_array() {
    let mut buf = FmtBuf::<64>::new();
    write!(
        buf,
        "memory map: {} entries, {} conventional pages",
        87, 62_000
    )
    .unwrap();
    assert_eq!(
        buf.as_str(),
        "memory map: 87 entries, 62000 conventional pages"
    );
    assert!(!buf.is_truncated());
    assert_eq!(buf.as_bytes().len(), buf.len());
}

#[test]
fn exact_fit_is_not_truncated() {
    let mut buf = FmtBuf::<5>::new();
    buf.write_str("ab").unwrap();
    buf.write_str("cde").unwrap();
    assert_eq!((buf.as_str(), buf.is_truncated()), ("abcde", false));
}

#[test]
fn overflow_keeps_a_prefix_and_marks_it() {
    let mut buf = FmtBuf::<10>::new();
    write!(buf, "0123456789abcdef").unwrap();
    assert!(buf.is_truncated());
    assert_eq!(buf.as_str(), "0123456...");
    assert!(buf.as_str().ends_with(TRUNCATION_MARK));
    buf.write_str("more").unwrap();
    assert_eq!(
        buf.as_str(),
        "0123456...",
        "writes after truncation are dropped"
    );
    buf.clear();
    assert!(buf.is_empty() && !buf.is_truncated());
}

#[test]
fn truncation_never_splits_a_character() {
    for cap_text in ["ééééé", "a€€€", "🦀🦀x", "xyz🦀"] {
        let mut b4 = FmtBuf::<7>::new();
        let mut b2 = FmtBuf::<2>::new();
        for _ in 0..3 {
            b4.write_str(cap_text).unwrap();
            b2.write_str(cap_text).unwrap();
        }
        assert!(
            std::str::from_utf8(b4.as_bytes()).is_ok(),
            "{:?}",
            b4.as_bytes()
        );
        assert!(
            std::str::from_utf8(b2.as_bytes()).is_ok(),
            "{:?}",
            b2.as_bytes()
        );
        assert!(b4.len() <= 7 && b2.len() <= 2);
        assert!(b4.is_truncated() && b2.is_truncated());
    }
}

#[test]
fn every_length_of_overflow_stays_in_bounds() {
    let text = "x".repeat(50);
    for n in 0..50 {
        let buf = FmtBuf::<16>::format(format_args!("{}", &text[..n]));
        assert_eq!(buf.is_truncated(), n > 16);
        assert_eq!(buf.len(), n.min(16));
    }
}

#[test]
fn zero_capacity_and_mark_larger_than_buffer() {
    let mut empty = FmtBuf::<0>::new();
    empty.write_str("x").unwrap();
    assert!(empty.is_truncated() && empty.is_empty());
    let mut tiny = FmtBuf::<2>::new();
    tiny.write_str("abc").unwrap();
    assert_eq!((tiny.as_str(), tiny.is_truncated()), ("ab", true));
}
