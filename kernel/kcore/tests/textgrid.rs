use kcore::textgrid::TextGrid;

fn text(g: &TextGrid) -> Vec<String> {
    (0..g.rows())
        .map(|r| String::from_utf8_lossy(g.row(r)).trim_end().to_string())
        .collect()
}

#[test]
fn writes_wrap_and_newlines() {
    let mut g = TextGrid::new(5, 4);
    g.write(b"hello world\n");
    assert_eq!(text(&g), ["hello", " worl", "d", ""]);
    assert_eq!(g.cursor(), (0, 3));
}

#[test]
fn a_full_row_wraps_only_when_the_next_char_comes() {
    let mut g = TextGrid::new(4, 2);
    g.write(b"abcd");
    assert_eq!(g.cursor(), (4, 0));
    g.write(b"\n");
    assert_eq!(
        g.cursor(),
        (0, 1),
        "a newline right after a full row is one line break"
    );
}

#[test]
fn scrolling_moves_rows_up_and_reports_it() {
    let mut g = TextGrid::new(3, 2);
    g.write(b"a\nb\n");
    let (scrolled, dirty) = g.take_damage();
    assert_eq!(scrolled, 1);
    assert_eq!(dirty, [true, true]);
    assert_eq!(text(&g), ["b", ""]);
    g.write(b"c");
    let (scrolled, dirty) = g.take_damage();
    assert_eq!((scrolled, dirty), (0, vec![false, true]));
}

#[test]
fn scrolling_past_the_whole_screen_redraws_everything() {
    let mut g = TextGrid::new(3, 2);
    g.take_damage();
    g.write(b"1\n2\n3\n4\n");
    assert_eq!(g.take_damage(), (3, vec![true, true]));
    assert_eq!(text(&g), ["4", ""]);
}

#[test]
fn backspace_echo_erases_and_stops_at_line_start() {
    let mut g = TextGrid::new(8, 2);
    g.write(b"ls x\x08 \x08\x08 \x08");
    assert_eq!(text(&g), ["ls", ""]);
    assert_eq!(g.cursor(), (2, 0));
    g.write(b"\r\x08\x08z");
    assert_eq!(text(&g), ["zs", ""]);
}

#[test]
fn tabs_controls_and_carriage_returns() {
    let mut g = TextGrid::new(10, 2);
    g.write(b"a\tb\x07\x1b\r\n");
    assert_eq!(text(&g), ["a       b", ""]);
    g.write(b"123456789\t");
    assert_eq!(g.cursor(), (0, 1), "a tab past the last column wraps");
}

#[test]
fn random_bytes_keep_the_cursor_inside() {
    let mut g = TextGrid::new(7, 4);
    let mut x = 99u64;
    for _ in 0..50_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        g.put(x as u8);
        let (c, r) = g.cursor();
        assert!(c <= g.cols() && r < g.rows());
        assert!(g.damage().dirty.len() == g.rows());
    }
}
