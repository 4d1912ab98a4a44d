//! Rasterises a window of a reordered matrix into RGBA pixels: the distance map's texture in
//! the app, and heatmap figures. No egui.
//!
//! # How it works
//! Rows and columns are shown in an order (`position → index`). A [`Window`] is a range of
//! positions on each axis, in fractional positions, so zooming is continuous. Along an axis
//! where a pixel spans more than one cell, its value is the mean of every cell it covers (a
//! box filter), so a zoomed-out map of 5,000 samples shows block structure rather than
//! aliasing; where cells are larger than pixels, each pixel shows the cell at its centre, so
//! cells keep sharp edges instead of blending with their neighbours. The cost is one
//! read per covered cell, at most (visible rows × visible columns) plus one per pixel: the
//! caller runs it off the UI thread. Pixel rows go to rayon's threads; `cancelled` is
//! checked between them.

use std::ops::Range;

use ndarray::Array2;
use rayon::prelude::*;

use crate::palette::{self, Rgb};

/// The part of the reordered matrix shown: fractional positions on each axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Positions of the rows shown, top to bottom.
    pub rows: (f64, f64),
    /// Positions of the columns shown, left to right.
    pub cols: (f64, f64),
}

impl Window {
    /// The whole matrix.
    pub fn full(rows: usize, cols: usize) -> Self {
        Self { rows: (0.0, rows as f64), cols: (0.0, cols as f64) }
    }
}

/// Maps values to colours: viridis from `low` to `high`, optionally reversed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColourScale {
    /// Value at the scale's first colour.
    pub low: f64,
    /// Value at the scale's last colour.
    pub high: f64,
    /// High values dark instead of bright.
    pub reversed: bool,
    /// Blue–white–red around the middle (z-scores) instead of viridis.
    pub diverging: bool,
}

impl ColourScale {
    /// The position of `v` on the scale, in `[0, 1]` (`NaN` stays `NaN`).
    pub fn fraction(&self, v: f64) -> f64 {
        let span = self.high - self.low;
        let t = if span > 0.0 { ((v - self.low) / span).clamp(0.0, 1.0) } else { 0.5 };
        if self.reversed { 1.0 - t } else { t }
    }

    /// The colour of `v`.
    pub fn colour(&self, v: f64) -> Rgb {
        self.at(self.fraction(v))
    }

    /// The colour at position `t` of the scale.
    fn at(&self, t: f64) -> Rgb {
        if self.diverging { palette::diverging(t) } else { palette::viridis(t) }
    }

    /// `n` colours evenly spaced from the scale's low end to its high end (a colour bar).
    pub fn colours(&self, n: usize) -> Vec<Rgb> {
        (0..n)
            .map(|k| {
                let t = (k as f64 + 0.5) / n.max(1) as f64;
                self.at(if self.reversed { 1.0 - t } else { t })
            })
            .collect()
    }

    /// 256 colours from the scale's low end to its high end.
    fn table(&self) -> Vec<Rgb> {
        (0..=255u8)
            .map(|k| {
                let t = f64::from(k) / 255.0;
                self.at(if self.reversed { 1.0 - t } else { t })
            })
            .collect()
    }
}

/// The integer positions a pixel covers: every position the span `[a, b)` touches (by more
/// than rounding noise).
fn covered(a: f64, b: f64, len: usize) -> Range<usize> {
    const NOISE: f64 = 1e-9;
    let start = ((a + NOISE).floor().max(0.0) as usize).min(len.saturating_sub(1));
    let end = ((b - NOISE).ceil().max(0.0) as usize).clamp(start + 1, len.max(start + 1));
    start..end
}

/// `width × height` RGBA pixels (row-major, 4 bytes each) showing `window` of `matrix` with
/// rows in `row_order` and columns in `col_order`. `None` when `cancelled` turned true.
pub fn rasterise(
    matrix: &Array2<f64>,
    row_order: &[usize],
    col_order: &[usize],
    window: Window,
    size: [usize; 2],
    scale: &ColourScale,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<Vec<u8>> {
    let [width, height] = size;
    let mut rgba = vec![0u8; width * height * 4];
    if width == 0 || height == 0 || row_order.is_empty() || col_order.is_empty() {
        return Some(rgba);
    }
    let table = scale.table();
    let span = scale.high - scale.low;
    let to_index = |mean: f64| -> usize {
        let t = if span > 0.0 { ((mean - scale.low) / span).clamp(0.0, 1.0) } else { 0.5 };
        (t * 255.0).round() as usize
    };
    let (c0, c1) = window.cols;
    let (r0, r1) = window.rows;
    let col_step = (c1 - c0) / width as f64;
    let row_step = (r1 - r0) / height as f64;
    let span = |start: f64, step: f64, p: usize, len: usize| {
        if step < 1.0 {
            let centre = (start + (p as f64 + 0.5) * step).floor().clamp(0.0, (len - 1) as f64) as usize;
            centre..centre + 1
        } else {
            covered(start + p as f64 * step, start + (p + 1) as f64 * step, len)
        }
    };
    let columns: Vec<Range<usize>> = (0..width).map(|px| span(c0, col_step, px, col_order.len())).collect();
    let visible_cols = columns[0].start..columns[width - 1].end;
    let ok = rgba.par_chunks_mut(width * 4).enumerate().all(|(py, line)| {
        if cancelled() {
            return false;
        }
        let rows = span(r0, row_step, py, row_order.len());
        // Sums over this pixel row's source rows for every visible column, then per pixel.
        let mut sums = vec![0.0; visible_cols.len()];
        for &r in &row_order[rows.clone()] {
            let source = matrix.row(r);
            for (sum, &c) in sums.iter_mut().zip(&col_order[visible_cols.clone()]) {
                *sum += source[c];
            }
        }
        for (pixel, cols) in line.chunks_exact_mut(4).zip(&columns) {
            let cells = &sums[cols.start - visible_cols.start..cols.end - visible_cols.start];
            let mean = cells.iter().sum::<f64>() / (cells.len() * rows.len()) as f64;
            let rgb = if mean.is_nan() { palette::MISSING } else { table[to_index(mean)] };
            pixel.copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
        }
        true
    });
    ok.then_some(rgba)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> bool {
        false
    }

    #[test]
    fn one_pixel_per_cell_shows_each_value_in_order() {
        let m = ndarray::array![[0.0, 1.0], [1.0, 0.0]];
        let scale = ColourScale { low: 0.0, high: 1.0, reversed: false, diverging: false };
        let px = rasterise(&m, &[1, 0], &[0, 1], Window::full(2, 2), [2, 2], &scale, &never).unwrap();
        // Row position 0 is matrix row 1: [1, 0].
        assert_eq!(px[0..3], palette::viridis(1.0));
        assert_eq!(px[4..7], palette::viridis(0.0));
        assert_eq!(px[8..11], palette::viridis(0.0));
        assert_eq!(px[12..15], palette::viridis(1.0));
    }

    #[test]
    fn zoomed_out_pixels_average_the_cells_they_cover() {
        let m = ndarray::array![[0.0, 1.0], [1.0, 0.0]];
        let scale = ColourScale { low: 0.0, high: 1.0, reversed: false, diverging: false };
        let px = rasterise(&m, &[0, 1], &[0, 1], Window::full(2, 2), [1, 1], &scale, &never).unwrap();
        assert_eq!(px[0..3], scale.table()[128]);
    }

    #[test]
    fn zoomed_in_pixels_repeat_a_cell() {
        let m = ndarray::array![[0.0, 1.0], [1.0, 0.0]];
        let scale = ColourScale { low: 0.0, high: 1.0, reversed: true, diverging: false };
        let window = Window { rows: (0.0, 1.0), cols: (0.5, 1.5) };
        let px = rasterise(&m, &[0, 1], &[0, 1], window, [4, 2], &scale, &never).unwrap();
        // Columns 0.5..1.0 are cell 0 (value 0, reversed: bright), 1.0..1.5 cell 1 (dark).
        assert_eq!(px[0..3], palette::viridis(1.0));
        assert_eq!(px[12..15], palette::viridis(0.0));
    }

    #[test]
    fn cancel_stops_it() {
        let m = Array2::zeros((10, 10));
        let scale = ColourScale { low: 0.0, high: 1.0, reversed: false, diverging: false };
        let order: Vec<usize> = (0..10).collect();
        assert!(rasterise(&m, &order, &order, Window::full(10, 10), [10, 10], &scale, &|| true).is_none());
    }
}
