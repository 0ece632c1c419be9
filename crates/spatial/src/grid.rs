//! Square grids in metres (contracts.md §3, `hotspots gistar`): the origin is
//! `(floor(min_x / cell) × cell, floor(min_y / cell) × cell)`; cell `(i, j)` is column `i` from the west and
//! row `j` from the south; a point on a cell's west or south edge belongs to that cell. The cells that enter
//! a statistic are a subset (the study area's, igesp.md §3), numbered in row-major order from the south-west.

/// A square grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SquareGrid {
    /// West edge of column 0 (m).
    pub x0: f64,
    /// South edge of row 0 (m).
    pub y0: f64,
    /// Side of a cell (m).
    pub cell: f64,
    pub nx: usize,
    pub ny: usize,
}

impl SquareGrid {
    /// The grid over the bounding box of `points` (x, y in metres); `None` without points or with a
    /// cell that is not a positive number.
    pub fn bounding(points: impl IntoIterator<Item = (f64, f64)>, cell: f64) -> Option<SquareGrid> {
        if !cell.is_finite() || cell <= 0.0 {
            return None;
        }
        let mut min = (f64::INFINITY, f64::INFINITY);
        let mut max = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for (x, y) in points {
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            min = (min.0.min(x), min.1.min(y));
            max = (max.0.max(x), max.1.max(y));
        }
        if !min.0.is_finite() {
            return None;
        }
        let x0 = (min.0 / cell).floor() * cell;
        let y0 = (min.1 / cell).floor() * cell;
        Some(SquareGrid {
            x0,
            y0,
            cell,
            nx: ((max.0 - x0) / cell).floor() as usize + 1,
            ny: ((max.1 - y0) / cell).floor() as usize + 1,
        })
    }

    /// The cell holding a point, if inside the grid.
    pub fn cell_of(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let i = ((x - self.x0) / self.cell).floor();
        let j = ((y - self.y0) / self.cell).floor();
        if i < 0.0 || j < 0.0 || !i.is_finite() || !j.is_finite() {
            return None;
        }
        let (i, j) = (i as usize, j as usize);
        (i < self.nx && j < self.ny).then_some((i, j))
    }

    /// The centre of a cell.
    pub fn centre(&self, i: usize, j: usize) -> (f64, f64) {
        (
            self.x0 + (i as f64 + 0.5) * self.cell,
            self.y0 + (j as f64 + 0.5) * self.cell,
        )
    }

    /// Row-major index of a cell.
    pub fn index(&self, i: usize, j: usize) -> usize {
        j * self.nx + i
    }

    /// Weighted counts of `points` (x, y, weight) per cell, row-major; points outside the grid ignored.
    pub fn counts(&self, points: impl IntoIterator<Item = (f64, f64, f64)>) -> Vec<f64> {
        let mut out = vec![0.0; self.nx * self.ny];
        for (x, y, w) in points {
            if let Some((i, j)) = self.cell_of(x, y) {
                out[self.index(i, j)] += w;
            }
        }
        out
    }
}

/// The neighbours of each cell of a study area (indices into its list of cells), without the cell itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbours {
    /// Offsets into `ids`: cell `k`'s neighbours are `ids[start[k]..start[k + 1]]`.
    pub start: Vec<usize>,
    /// Neighbour indices, ascending per cell.
    pub ids: Vec<u32>,
}

impl Neighbours {
    /// Cell `k`'s neighbours.
    pub fn of(&self, k: usize) -> &[u32] {
        &self.ids[self.start[k]..self.start[k + 1]]
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    /// No cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Neighbours within the study area `cells` (grid cells `(i, j)`, in row-major order) by an offset
    /// rule: every `(di, dj)` of `offsets` (never `(0, 0)`).
    fn by_offsets(
        grid: &SquareGrid,
        cells: &[(usize, usize)],
        offsets: &[(i64, i64)],
    ) -> Neighbours {
        let mut slot = vec![u32::MAX; grid.nx * grid.ny];
        for (k, &(i, j)) in cells.iter().enumerate() {
            slot[grid.index(i, j)] = k as u32;
        }
        let mut start = Vec::with_capacity(cells.len() + 1);
        let mut ids = Vec::with_capacity(cells.len() * offsets.len());
        start.push(0);
        for &(i, j) in cells {
            let first = ids.len();
            for &(di, dj) in offsets {
                let (a, b) = (i as i64 + di, j as i64 + dj);
                if a < 0 || b < 0 || a >= grid.nx as i64 || b >= grid.ny as i64 {
                    continue;
                }
                let s = slot[grid.index(a as usize, b as usize)];
                if s != u32::MAX {
                    ids.push(s);
                }
            }
            ids[first..].sort_unstable();
            start.push(ids.len());
        }
        Neighbours { start, ids }
    }

    /// Queen contiguity: the eight cells around (sides and corners).
    pub fn queen(grid: &SquareGrid, cells: &[(usize, usize)]) -> Neighbours {
        let mut offsets = Vec::new();
        for dj in -1..=1 {
            for di in -1..=1 {
                if (di, dj) != (0, 0) {
                    offsets.push((di, dj));
                }
            }
        }
        Neighbours::by_offsets(grid, cells, &offsets)
    }

    /// A distance band: the cells whose centres are within `distance` metres of the cell's centre.
    pub fn band(grid: &SquareGrid, cells: &[(usize, usize)], distance: f64) -> Neighbours {
        let r = (distance / grid.cell).floor() as i64;
        let limit = (distance / grid.cell).powi(2);
        let mut offsets = Vec::new();
        for dj in -r..=r {
            for di in -r..=r {
                if (di, dj) != (0, 0) && ((di * di + dj * dj) as f64) <= limit + 1e-12 {
                    offsets.push((di, dj));
                }
            }
        }
        Neighbours::by_offsets(grid, cells, &offsets)
    }
}
