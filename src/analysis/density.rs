//! Violin shapes: a Gaussian kernel density with Scott's bandwidth on a fixed grid, and
//! quantiles, shared by the QC violins and the stacked violins of marker genes.

/// A violin: a kernel density on a grid, and the quartiles.
#[derive(Debug, Clone, PartialEq)]
pub struct Density {
    /// Grid start (the values' units).
    pub start: f64,
    /// Grid step.
    pub step: f64,
    /// Density at each grid point, scaled so that the largest is 1.
    pub values: Vec<f64>,
    /// First quartile, median, third quartile.
    pub quartiles: [f64; 3],
    /// Cells.
    pub n: usize,
}

/// Points of a violin's grid.
pub const GRID: usize = 400;

/// The Gaussian kernel density of `sorted` (finite, sorted) with Scott's bandwidth, as
/// seaborn's violins (`scipy.stats.gaussian_kde`: n^(−1/5) × the SD), over the values' range
/// (`cut=0`, as `sc.pl.violin` draws them: no counts below the least), by linear binning onto
/// the grid and a discrete convolution; `None` when empty.
pub fn density(sorted: &[f64]) -> Option<Density> {
    let (&first, &last) = (sorted.first()?, sorted.last()?);
    let n = sorted.len();
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 { (sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
    let spread = (last - first).max(sd);
    // A constant metric still gets a visible (narrow) violin.
    let bandwidth = (sd * (n as f64).powf(-0.2)).max(spread * 1e-3).max(mean.abs() * 1e-3).max(1e-9);
    // One value (or one repeated): a narrow violin around it.
    let (start, end) = if last > first { (first, last) } else { (first - bandwidth, last + bandwidth) };
    let step = (end - start) / (GRID - 1) as f64;
    let mut binned = vec![0.0; GRID];
    for &v in sorted {
        let at = (v - start) / step;
        let i = (at.floor() as usize).min(GRID - 2);
        let w = (at - i as f64).clamp(0.0, 1.0);
        binned[i] += 1.0 - w;
        binned[i + 1] += w;
    }
    let reach = ((4.0 * bandwidth / step).ceil() as usize).min(GRID);
    let kernel: Vec<f64> = (0..=reach).map(|k| (-0.5 * (k as f64 * step / bandwidth).powi(2)).exp()).collect();
    let mut values = vec![0.0; GRID];
    for (i, out) in values.iter_mut().enumerate() {
        let lo = i.saturating_sub(reach);
        let hi = (i + reach).min(GRID - 1);
        *out = (lo..=hi).map(|j| binned[j] * kernel[i.abs_diff(j)]).sum();
    }
    let top = values.iter().copied().fold(0.0, f64::max);
    if top > 0.0 {
        for v in &mut values {
            *v /= top;
        }
    }
    let quartiles = [quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75)];
    Some(Density { start, step, values, quartiles, n })
}

/// The finite values, sorted.
pub fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The `q` quantile of sorted values (nearest rank); 0 when there are none.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}
