"""Reading text from screens: fonts, cell grids, the exact reader."""
