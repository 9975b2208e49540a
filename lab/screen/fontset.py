"""The fonts a screen reader knows: the lab's own, Linux's console fonts as Debian installs
them, and a spec's own; one lookup per cell size.

Linux's framebuffer console draws in VGA 8x16 or Terminus (built in) or in any PSF font
`setfont` loads; Debian ships them in /usr/share/consolefonts (package `console-setup`).
They are read from there at run time (`LINUX_FONTS`: the `Uni2-` set, Latin, Greek,
Cyrillic and box drawing, in every size), never copied into the repository; a machine
without them reads with the lab's own fonts only. Sun 12x22 is not among them: Debian
neither ships it as a file nor builds it into its kernel.

Fonts of one cell size are merged into one (`by_size`): the first keeps its bitmaps, the
others add theirs as variants (a bitmap already known keeps its first character). A
frame's cells are then looked up once per size, by hash, however many fonts share it:
adding a font of a known size costs nothing per frame, only a new size does (grid search).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rustux_bootlab.lab.screen.font import Font, load_font

CONSOLEFONTS = Path("/usr/share/consolefonts")
# Ethiopian-Goha16's Latin glyphs are Linux's built-in VGA8x16 (its `f`, `v`, `'`, `` ` ``
# and `~` differ from Lat15-VGA16's, the lab's own `rustux` font).
LINUX_FONTS = ("Uni2-VGA*.psf.gz", "Uni2-Terminus*.psf.gz", "Uni2-Fixed*.psf.gz", "Ethiopian-Goha16.psf.gz")


def system_fonts(root: Path = CONSOLEFONTS) -> tuple[Font, ...]:
    """Debian's console fonts installed on this machine (none if the directory is absent)."""
    paths = sorted({p for pattern in LINUX_FONTS for p in root.glob(pattern)})
    return tuple(load_font(p) for p in paths)


def by_size(fonts: Iterable[Font]) -> tuple[Font, ...]:
    """One font per cell size, in the order sizes first appear; see the module docstring."""
    groups: dict[tuple[int, int], list[Font]] = {}
    for font in fonts:
        groups.setdefault((font.width, font.height), []).append(font)
    merged = []
    for first, *others in groups.values():
        if not others:
            merged.append(first)
            continue
        variants = (*first.variants, *((c, b) for f in others for c, b in (*f.bitmaps.items(), *f.variants)))
        names = (*first.merged, *(n for f in others for n in (f.name, *f.merged)))
        merged.append(Font(first.name, first.width, first.height, first.bitmaps, variants, names))
    return tuple(merged)
