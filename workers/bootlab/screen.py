"""`bootlab screen learn-font PNG --line ROW:TEXT ...`: teach the screen reader the glyphs of a
font it does not know, from a screenshot whose text the operator knows.

The screen is read with every font the lab knows (and the font being learned); on the given
rows each cell read differently from the text is learned (lab/screen/learn.py, which refuses
inconsistent teaching), added to the lab's own font file (`$BOOTLAB_STATE/fonts/<name>.glyphs`
by default, or --font) and shown. Boots read with it from then on (workers/qemu/screen.py).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from rustux_bootlab.lab.verdict import EXIT_PASS
from rustux_bootlab.workers.bootlab.common import UsageError, add_command


def register(sub: argparse._SubParsersAction) -> None:
    screen = sub.add_parser("screen", help="the screen reader's fonts",
                            description="The screen reader's fonts: `bootlab screen learn-font --help`.")
    commands = screen.add_subparsers(dest="screen_command", required=True, metavar="COMMAND")
    learn = add_command(
        commands, "learn-font", _cmd_learn_font, inventory=False,
        help="learn the glyphs of a screenshot the lab cannot read, from its known text",
        description="Learn glyphs from a screenshot (PNG, e.g. a boot record's screen.png) and text it shows:\n"
        "each cell of the given rows the lab reads differently from the text is learned as the\n"
        "text's character, into a font of the lab's own; inconsistent teaching (a character drawn\n"
        "two ways, a glyph given two characters) is refused and nothing is written.",
        examples=["bootlab screen learn-font out/screen.png --line '2:ExitBootServices OK'",
                  "bootlab screen learn-font shot.png --line '0:Linux x86_64' --line '7:~!@#' --font my.glyphs"],
        notes="Rows count from 0 at the top of the screen's text grid; the text starts at column 0\n"
        "(lead it with blanks for text further right).")
    learn.add_argument("png", type=Path, metavar="PNG", help="the screenshot")
    learn.add_argument("--line", action="append", required=True, metavar="ROW:TEXT",
                       help="a row of the screen and the text it shows (repeatable)")
    learn.add_argument("--font", type=Path, help="the font file to add to (default: $BOOTLAB_STATE/fonts/NAME.glyphs)")
    learn.add_argument("--name", default="learned", help="the font's name when it is new (default: learned)")
    learn.add_argument("--lab-fonts-only", action="store_true",
                       help="read with the lab's own fonts only, not Linux's from /usr/share/consolefonts\n"
                       "(a complete font file for a spec's screen_font, readable on any worker)")


def _cmd_learn_font(args: argparse.Namespace) -> int:
    from rustux_bootlab.lab.screen.font import Font, FontError, format_glyphs, load_font
    from rustux_bootlab.lab.screen.learn import LearnError, learn, shown, with_learned
    from rustux_bootlab.lab.screen.reader import ScreenReader, frame_from_rgb, known_fonts
    from rustux_bootlab.workers.qemu.png import PngError, decode_png
    from rustux_bootlab.workers.qemu.screen import LEARNED_FONTS
    from rustux_bootlab.workers.state import state_root

    known = _lines(args.line)
    try:
        pixels = frame_from_rgb(*decode_png(args.png.read_bytes()))
    except (OSError, PngError) as exc:
        raise UsageError(f"{args.png}: not a readable PNG: {exc}") from None
    path = args.font or state_root() / LEARNED_FONTS / f"{args.name}.glyphs"
    font: Font | None = None
    if path.exists():
        try:
            font = load_font(path)
        except FontError as exc:
            raise UsageError(f"{exc}: fix or move the font file") from None
    fonts = known_fonts() if args.lab_fonts_only else None
    text = ScreenReader(fonts, first=(font,) if font else ()).read(pixels)
    if text.grid is None:
        raise UsageError(f"{args.png}: no text grid found: the lab reads no row of it cleanly (3 glyphs in a row)")
    if font is not None and (font.width, font.height) != (text.grid.font.width, text.grid.font.height):
        raise UsageError(f"{path} has {font.width}x{font.height} cells, the screen {text.grid.describe()}: "
                         "learn into another font (--font or --name)")
    try:
        learned = learn(pixels, text.grid, text.lines, known, font)
    except LearnError as exc:
        raise UsageError(f"{args.png}: {exc}; nothing learned") from None
    print(f"{args.png}: {text.grid.describe()}")
    if not learned:
        print("nothing to learn: the lab reads these rows as given")
        return EXIT_PASS
    updated = with_learned(font, args.name, text.grid, learned)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_glyphs(updated, f"Glyphs learned by `bootlab screen learn-font` from {args.png.name}."))
    for glyph in learned:
        was = "unreadable" if glyph.was == "\ufffd" else f"read as {glyph.was!r}"
        print(f"learned {glyph.char!r} (U+{ord(glyph.char):04X}) at row {glyph.where[0]} column {glyph.where[1]}, {was}:")
        print("\n".join(f"    {row}" for row in shown(glyph, text.grid.font.width, text.grid.font.height)))
    print(f"{path}: {len(updated.bitmaps)} glyphs ({len(learned)} new)")
    return EXIT_PASS


def _lines(given: list[str]) -> dict[int, str]:
    known: dict[int, str] = {}
    for item in given:
        row, sep, text = item.partition(":")
        if not sep or not row.strip().isdigit():
            raise UsageError(f"--line {item!r}: expected ROW:TEXT, e.g. '2:ExitBootServices OK'")
        if int(row) in known:
            raise UsageError(f"--line {item!r}: row {row} given twice")
        known[int(row)] = text.rstrip("\n")
    return known
