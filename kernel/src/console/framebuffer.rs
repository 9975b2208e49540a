//! The framebuffer text console: kcore's TextGrid drawn into the GOP framebuffer with the
//! 8x16 font kernel/font/vga-8x16.psf (PSF1, glyph N = code point N), white on black,
//! scrolling by moving pixel rows.
use crate::once::KernelCell;
use crate::uefi::gop::Framebuffer;
use alloc::vec;
use alloc::vec::Vec;
use kcore::textgrid::TextGrid;

static FONT: &[u8] = include_bytes!("../../font/vga-8x16.psf");
const PSF1_MAGIC: [u8; 2] = [0x36, 0x04];
const HEADER: usize = 4;
const CELL_W: usize = 8;
const CELL_H: usize = 16;
const WHITE: u32 = 0x00ff_ffff;
const BLACK: u32 = 0;

struct Console {
    fb: Framebuffer,
    grid: TextGrid,
    /// What the screen shows, cell by cell: only cells that differ are drawn again.
    shown: Vec<u8>,
}

static CONSOLE: KernelCell<Option<Console>> = KernelCell::new(None);

/// Starts the console on `fb` (after ExitBootServices, once the heap and our tables map
/// the framebuffer); returns its size in cells.
pub fn init(fb: Framebuffer) -> Option<(usize, usize)> {
    if FONT.len() < HEADER + 256 * CELL_H
        || FONT[..2] != PSF1_MAGIC
        || usize::from(FONT[3]) != CELL_H
    {
        return None;
    }
    let (cols, rows) = (fb.width as usize / CELL_W, fb.height as usize / CELL_H);
    let console = Console {
        fb,
        grid: TextGrid::new(cols, rows),
        shown: vec![b' '; cols * rows],
    };
    console.clear();
    CONSOLE.with(|c| *c = Some(console));
    Some((cols, rows))
}

pub fn write(bytes: &[u8]) {
    // The panic path may come here while the console is being drawn: skip it then.
    let _ = CONSOLE.try_with(|c| {
        if let Some(console) = c {
            console.grid.write(bytes);
            console.draw();
        }
    });
}

impl Console {
    fn pixel(&self, x: usize, y: usize) -> *mut u32 {
        (self.fb.base as usize + (y * self.fb.stride as usize + x) * 4) as *mut u32
    }

    fn clear(&self) {
        let bytes = self.fb.stride as usize * self.fb.height as usize * 4;
        // SAFETY: stride x height pixels is the GOP mode's framebuffer, identity-mapped.
        unsafe { core::ptr::write_bytes(self.fb.base as usize as *mut u8, 0, bytes) };
    }

    fn draw(&mut self) {
        let (scrolled, dirty) = self.grid.take_damage();
        let rows = self.grid.rows();
        if scrolled > 0 && scrolled < rows {
            let line_bytes = self.fb.stride as usize * 4;
            let shift = scrolled * CELL_H * line_bytes;
            let keep = (rows - scrolled) * CELL_H * line_bytes;
            // SAFETY: both ranges lie inside the text rows of the framebuffer; `copy`
            // allows the overlap.
            unsafe {
                core::ptr::copy(
                    (self.fb.base as usize + shift) as *const u8,
                    self.fb.base as usize as *mut u8,
                    keep,
                )
            };
        }
        let cols = self.grid.cols();
        if scrolled >= rows {
            self.clear();
            self.shown.fill(b' ');
        } else if scrolled > 0 {
            self.shown.copy_within(scrolled * cols.., 0);
            self.shown[(rows - scrolled) * cols..].fill(b' ');
            // The rows scrolled in still show the old pixels: blank them.
            let line_bytes = self.fb.stride as usize * 4;
            let band = (rows - scrolled) * CELL_H * line_bytes;
            // SAFETY: the band lies inside the text rows of the framebuffer.
            unsafe {
                core::ptr::write_bytes(
                    (self.fb.base as usize + band) as *mut u8,
                    0,
                    scrolled * CELL_H * line_bytes,
                )
            };
        }
        for (row, _) in dirty.iter().enumerate().filter(|(_, d)| **d) {
            for col in 0..cols {
                let ch = self.grid.cell(col, row);
                if self.shown[row * cols + col] != ch {
                    self.glyph(col, row, ch);
                    self.shown[row * cols + col] = ch;
                }
            }
        }
    }

    fn glyph(&self, col: usize, row: usize, ch: u8) {
        let glyph = &FONT[HEADER + usize::from(ch) * CELL_H..][..CELL_H];
        for (dy, bits) in glyph.iter().enumerate() {
            for dx in 0..CELL_W {
                let on = bits & (0x80 >> dx) != 0;
                let p = self.pixel(col * CELL_W + dx, row * CELL_H + dy);
                // SAFETY: the cell lies inside the visible area (cols/rows were derived
                // from it), identity-mapped.
                unsafe { core::ptr::write_volatile(p, if on { WHITE } else { BLACK }) };
            }
        }
    }
}
