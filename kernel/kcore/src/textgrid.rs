//! The framebuffer console's cell grid, pure: characters in `cols x rows` cells, a cursor,
//! line wrap, scrolling, `\r`, `\n`, backspace and tab. The kernel draws it: after feeding
//! bytes it asks for the rows that changed (and how far the screen scrolled, so it can move
//! pixels instead of redrawing them).
use alloc::vec;
use alloc::vec::Vec;

pub struct TextGrid {
    cols: usize,
    rows: usize,
    cells: Vec<u8>,
    col: usize,
    row: usize,
    /// Rows changed since the last [`TextGrid::take_damage`], after `scrolled` is applied.
    dirty: Vec<bool>,
    scrolled: usize,
}

/// What to redraw: first scroll the picture up by `scrolled` rows (all rows if that is
/// `>= rows`), then redraw every row with `dirty[row]`.
pub struct Damage<'a> {
    pub scrolled: usize,
    pub dirty: &'a [bool],
}

impl TextGrid {
    /// A blank grid (at least 1x1).
    pub fn new(cols: usize, rows: usize) -> Self {
        let (cols, rows) = (cols.max(1), rows.max(1));
        Self {
            cols,
            rows,
            cells: vec![b' '; cols * rows],
            col: 0,
            row: 0,
            dirty: vec![false; rows],
            scrolled: 0,
        }
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// (column, row) of the cursor.
    pub fn cursor(&self) -> (usize, usize) {
        (self.col, self.row)
    }

    pub fn cell(&self, col: usize, row: usize) -> u8 {
        self.cells[row * self.cols + col]
    }

    /// One row's characters.
    pub fn row(&self, row: usize) -> &[u8] {
        &self.cells[row * self.cols..(row + 1) * self.cols]
    }

    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.put(b);
        }
    }

    pub fn put(&mut self, byte: u8) {
        match byte {
            b'\n' => self.newline(),
            b'\r' => self.col = 0,
            // Backspace moves left (never past the line start); the echo's "\b \b" erases.
            0x08 => self.col = self.col.saturating_sub(1),
            b'\t' => {
                let next = (self.col / 8 + 1) * 8;
                while self.col < next.min(self.cols) {
                    self.store(b' ');
                }
                if self.col >= self.cols {
                    self.newline();
                }
            }
            // Other control bytes draw nothing.
            0..=0x1f | 0x7f => {}
            _ => {
                if self.col >= self.cols {
                    self.newline();
                }
                self.store(byte);
            }
        }
    }

    fn store(&mut self, byte: u8) {
        self.cells[self.row * self.cols + self.col] = byte;
        self.dirty[self.row] = true;
        self.col += 1;
    }

    fn newline(&mut self) {
        self.col = 0;
        if self.row + 1 < self.rows {
            self.row += 1;
            return;
        }
        self.cells.copy_within(self.cols.., 0);
        let last = (self.rows - 1) * self.cols;
        self.cells[last..].fill(b' ');
        self.dirty.copy_within(1.., 0);
        self.dirty[self.rows - 1] = true;
        self.scrolled += 1;
    }

    /// What changed since the last call; marks everything clean.
    pub fn take_damage(&mut self) -> (usize, Vec<bool>) {
        let scrolled = core::mem::take(&mut self.scrolled);
        let dirty = core::mem::replace(&mut self.dirty, vec![false; self.rows]);
        if scrolled >= self.rows {
            return (scrolled, vec![true; self.rows]);
        }
        (scrolled, dirty)
    }

    /// The damage without taking it (for inspection).
    pub fn damage(&self) -> Damage<'_> {
        Damage {
            scrolled: self.scrolled,
            dirty: &self.dirty,
        }
    }
}
