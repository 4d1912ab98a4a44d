//! Single-cell preprocessing in scanpy's terms, on sparse or dense matrices: QC metrics and
//! filters, `normalize_total`, highly variable genes (`seurat`, `cell_ranger`) and `scale`.
//!
//! Each function follows scanpy 1.11's code (`scanpy/preprocessing/`), not its documentation
//! alone, so that the numbers agree (the tests compare with `tests/reference/scanpy_reference.json`,
//! written by `tests/reference/scanpy_make.py`):
//! - QC (`calculate_qc_metrics`): total counts, genes with a count > 0, and the percentage of
//!   counts in genes whose id starts with the mitochondrial prefix.
//! - `normalize_total`: each cell divided by its total over the target; the default target is
//!   the median of the totals (on a sparse matrix scanpy takes the median over every cell, on a
//!   dense one over cells with counts, and so does this); cells without counts stay zero.
//! - `highly_variable_genes` (one batch): per-gene mean and unbiased variance (of `expm1(x)`
//!   for `seurat`, of `x` for `cell_ranger`), dispersion = variance / mean, then normalised
//!   within bins of mean expression (`seurat`: 20 equal-width bins of the log mean, mean and SD
//!   per bin; `cell_ranger`: bins at the 10th, 15th, … 100th percentiles, median and MAD). A
//!   gene alone in its bin gets a normalised dispersion of 1, as in scanpy. Either the top `n`
//!   (ties at the cut-off kept, so possibly a few more) or the cut-offs on mean and dispersion.
//! - `scale`: centre each gene and divide by its unbiased SD (an SD of 0 counts as 1), then clip
//!   to ±`max_value`. The result is dense: scanpy densifies here too.

use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

use super::matrix::Matrix;

/// The default mitochondrial gene prefix: `MT-` (human) matches `mt-` (mouse) too.
pub const MITO_PREFIX: &str = "MT-";

/// True when `gene` starts with `prefix`, ignoring ASCII case (`MT-` and `mt-`).
pub fn is_mito(gene: &str, prefix: &str) -> bool {
    gene.len() >= prefix.len() && gene.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Per-cell quality metrics (scanpy's `calculate_qc_metrics` names in brackets).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellQc {
    /// Sum of counts (`total_counts`).
    pub total_counts: Vec<f64>,
    /// Genes with a count above zero (`n_genes_by_counts`).
    pub n_genes: Vec<usize>,
    /// Percentage of the counts in mitochondrial genes (`pct_counts_mt`); `NaN` without counts.
    pub pct_mito: Vec<f64>,
    /// How many genes matched the prefix.
    pub mito_genes: usize,
}

/// The QC metrics of every cell; mitochondrial genes are the ids starting with `prefix`.
pub fn cell_qc(m: &Matrix, gene_ids: &[String], prefix: &str) -> CellQc {
    let mito: Vec<bool> = gene_ids.iter().map(|g| !prefix.is_empty() && is_mito(g, prefix)).collect();
    let per_row = |values: &mut dyn Iterator<Item = (usize, f64)>| {
        let (mut total, mut genes, mut mt) = (0.0, 0usize, 0.0);
        for (j, v) in values {
            total += v;
            genes += usize::from(v > 0.0);
            if mito[j] {
                mt += v;
            }
        }
        (total, genes, mt)
    };
    let rows: Vec<(f64, usize, f64)> = match m {
        Matrix::Sparse(s, _) => (0..s.nrows())
            .map(|i| {
                let (idx, val) = s.row(i);
                per_row(&mut idx.iter().zip(val).map(|(&j, &v)| (j as usize, f64::from(v))))
            })
            .collect(),
        Matrix::Dense(d) => d.rows().into_iter().map(|r| per_row(&mut r.iter().copied().enumerate())).collect(),
    };
    CellQc {
        total_counts: rows.iter().map(|r| r.0).collect(),
        n_genes: rows.iter().map(|r| r.1).collect(),
        pct_mito: rows.iter().map(|r| if r.0 > 0.0 { 100.0 * r.2 / r.0 } else { f64::NAN }).collect(),
        mito_genes: mito.iter().filter(|&&x| x).count(),
    }
}

/// The number of cells in which each gene has a count above zero (`n_cells_by_counts`).
pub fn gene_cells(m: &Matrix) -> Vec<usize> {
    match m {
        Matrix::Sparse(s, _) => s.column_nonzeros(),
        Matrix::Dense(d) => d.axis_iter(Axis(1)).map(|c| c.iter().filter(|&&v| v > 0.0).count()).collect(),
    }
}

/// Thresholds on cells (scanpy's `filter_cells` plus a ceiling on % mitochondrial counts);
/// a cell is kept when it passes every one set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CellFilter {
    /// At least this many genes detected.
    pub min_genes: Option<usize>,
    /// At most this many genes detected.
    pub max_genes: Option<usize>,
    /// At least this many counts.
    pub min_counts: Option<f64>,
    /// At most this many counts.
    pub max_counts: Option<f64>,
    /// At most this percentage of counts in mitochondrial genes.
    pub max_mito_pct: Option<f64>,
    /// The prefix of mitochondrial gene ids (default `MT-`, matching `mt-` too).
    pub mito_prefix: Option<String>,
}

impl CellFilter {
    /// The prefix in use.
    pub fn prefix(&self) -> &str {
        self.mito_prefix.as_deref().unwrap_or(MITO_PREFIX)
    }

    /// A one-line description.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = self.min_genes {
            parts.push(format!("≥ {n} genes"));
        }
        if let Some(n) = self.max_genes {
            parts.push(format!("≤ {n} genes"));
        }
        if let Some(n) = self.min_counts {
            parts.push(format!("≥ {n} counts"));
        }
        if let Some(n) = self.max_counts {
            parts.push(format!("≤ {n} counts"));
        }
        if let Some(p) = self.max_mito_pct {
            parts.push(format!("≤ {p} % counts in {}… genes", self.prefix()));
        }
        if parts.is_empty() {
            "filter cells (no threshold set)".to_owned()
        } else {
            format!("keep cells with {}", parts.join(", "))
        }
    }

    /// True when some threshold is set (the prefix alone filters nothing).
    pub fn is_set(&self) -> bool {
        *self != Self { mito_prefix: self.mito_prefix.clone(), ..Self::default() }
    }

    /// Whether cell `i` of `qc` passes.
    pub fn passes(&self, qc: &CellQc, i: usize) -> bool {
        let genes = qc.n_genes[i];
        let counts = qc.total_counts[i];
        self.min_genes.is_none_or(|n| genes >= n)
            && self.max_genes.is_none_or(|n| genes <= n)
            && self.min_counts.is_none_or(|n| counts >= n)
            && self.max_counts.is_none_or(|n| counts <= n)
            // A cell without counts has no percentage (NaN) and is not refused for it.
            && self.max_mito_pct.is_none_or(|p| qc.pct_mito[i].is_nan() || qc.pct_mito[i] <= p)
    }
}

/// Divides each cell by its total over `target` (module docs); returns the target used.
pub fn normalize_total(m: &mut Matrix, target: Option<f64>) -> f64 {
    let totals = match &*m {
        Matrix::Sparse(s, _) => s.row_sums(),
        Matrix::Dense(d) => d.rows().into_iter().map(|r| r.sum()).collect(),
    };
    let target = target.unwrap_or_else(|| {
        let mut pool: Vec<f64> = match m {
            Matrix::Sparse(..) => totals.clone(),
            Matrix::Dense(_) => totals.iter().copied().filter(|&t| t > 0.0).collect(),
        };
        median(&mut pool)
    });
    let factors: Vec<f64> = totals.iter().map(|&t| if t > 0.0 { target / t } else { 1.0 }).collect();
    if let Some(s) = m.sparse_mut() {
        s.scale_rows(&factors);
    } else if let Some(d) = m.dense_mut() {
        for (mut row, f) in d.rows_mut().into_iter().zip(&factors) {
            row *= *f;
        }
    }
    target
}

/// The median (`NumPy`'s: the mean of the two middle values of an even count); `NaN` if empty.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { f64::midpoint(values[n / 2 - 1], values[n / 2]) }
}

/// How highly variable genes are found (scanpy's `flavor`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum HvgFlavor {
    /// Seurat's: dispersions of `expm1` of log data, normalised in 20 bins of mean.
    #[default]
    #[value(name = "seurat")]
    Seurat,
    /// Cell Ranger's: dispersions normalised by median and MAD in percentile bins.
    #[value(name = "cell_ranger")]
    CellRanger,
    /// Seurat v3's: variances of the counts (always the raw counts of the kept cells and
    /// genes) normalised by a LOESS of variance on mean; the top N.
    #[value(name = "seurat_v3")]
    SeuratV3,
}

impl HvgFlavor {
    /// scanpy's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Seurat => "seurat",
            Self::CellRanger => "cell_ranger",
            Self::SeuratV3 => "seurat_v3",
        }
    }
}

/// Which genes count as highly variable: the top `n` or scanpy's cut-offs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HvgSettings {
    /// The flavour.
    #[serde(default)]
    pub flavor: HvgFlavor,
    /// The `n` genes of highest normalised dispersion; `None` uses the cut-offs.
    pub n_top: Option<usize>,
    /// Mean (log1p of the mean for `seurat`) above this.
    #[serde(default = "defaults::min_mean")]
    pub min_mean: f64,
    /// Mean below this.
    #[serde(default = "defaults::max_mean")]
    pub max_mean: f64,
    /// Normalised dispersion above this.
    #[serde(default = "defaults::min_disp")]
    pub min_disp: f64,
    /// Normalised dispersion below this (`None`: no ceiling).
    #[serde(default)]
    pub max_disp: Option<f64>,
    /// Bins of mean expression (`seurat`).
    #[serde(default = "defaults::n_bins")]
    pub n_bins: usize,
}

mod defaults {
    pub fn min_mean() -> f64 {
        0.0125
    }
    pub fn max_mean() -> f64 {
        3.0
    }
    pub fn min_disp() -> f64 {
        0.5
    }
    pub fn n_bins() -> usize {
        20
    }
}

impl Default for HvgSettings {
    fn default() -> Self {
        Self {
            flavor: HvgFlavor::default(),
            n_top: Some(2000),
            min_mean: defaults::min_mean(),
            max_mean: defaults::max_mean(),
            min_disp: defaults::min_disp(),
            max_disp: None,
            n_bins: defaults::n_bins(),
        }
    }
}

impl HvgSettings {
    /// The top `n` genes of `flavor`.
    pub fn top(flavor: HvgFlavor, n: usize) -> Self {
        Self { flavor, n_top: Some(n), ..Self::default() }
    }

    /// A one-line description.
    pub fn describe(&self) -> String {
        match self.n_top {
            Some(n) => format!("keep the {n} highly variable genes ({})", self.flavor.name()),
            None => format!(
                "keep highly variable genes ({}: mean in ({}, {}), normalised dispersion above {})",
                self.flavor.name(),
                self.min_mean,
                self.max_mean,
                self.min_disp
            ),
        }
    }
}

/// Per-gene statistics of a highly-variable-genes run (scanpy's `var` columns; for
/// `seurat_v3`: means, variances and normalised variances).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hvg {
    /// `means` (log1p of the mean for `seurat`).
    pub means: Vec<f64>,
    /// `dispersions` (log for `seurat`; `NaN` where the dispersion is 0).
    pub dispersions: Vec<f64>,
    /// `dispersions_norm`.
    pub dispersions_norm: Vec<f64>,
    /// `highly_variable`.
    pub highly_variable: Vec<bool>,
}

/// Highly variable genes (module docs): of a log-normalised matrix for `seurat` and
/// `cell_ranger`; for `seurat_v3`, `m` must hold counts (see [`seurat_v3`]; the pipeline passes
/// the raw counts), and a value that is not a count is the error (row, column, value).
pub fn highly_variable(m: &Matrix, settings: &HvgSettings) -> Result<Hvg, (usize, usize, f64)> {
    if settings.flavor == HvgFlavor::SeuratV3 {
        let rows: Vec<usize> = (0..m.nrows()).collect();
        let cols: Vec<usize> = (0..m.ncols()).collect();
        return seurat_v3(m, &rows, &cols, settings.n_top.unwrap_or(2000));
    }
    let (mut mean, var) = match (settings.flavor, m) {
        (HvgFlavor::Seurat, Matrix::Sparse(s, _)) => s.column_mean_var_of(f64::exp_m1, 1),
        (HvgFlavor::Seurat, Matrix::Dense(d)) => {
            let e = d.mapv(f64::exp_m1);
            unbiased(super::preprocess::mean_var(e.view()), d.nrows())
        }
        (_, Matrix::Sparse(s, _)) => s.column_mean_var(1),
        (_, Matrix::Dense(d)) => unbiased(super::preprocess::mean_var(d.view()), d.nrows()),
    };
    for x in &mut mean {
        if *x == 0.0 {
            *x = 1e-12;
        }
    }
    let mut dispersion: Vec<f64> = var.iter().zip(&mean).map(|(v, mu)| v / mu).collect();
    if settings.flavor == HvgFlavor::Seurat {
        for d in &mut dispersion {
            *d = if *d == 0.0 { f64::NAN } else { d.ln() };
        }
        for x in &mut mean {
            *x = x.ln_1p();
        }
    }
    let bins = match settings.flavor {
        HvgFlavor::CellRanger => percentile_bins(&mean),
        _ => equal_width_bins(&mean, settings.n_bins.max(1)),
    };
    let n_bins = bins.iter().copied().max().map_or(0, |b| b + 1);
    let mut members: Vec<Vec<f64>> = vec![Vec::new(); n_bins];
    for (&b, &d) in bins.iter().zip(&dispersion) {
        if !d.is_nan() {
            members[b].push(d);
        }
    }
    let stats: Vec<(f64, f64)> = members
        .iter_mut()
        .map(|values| match settings.flavor {
            HvgFlavor::Seurat => {
                let n = values.len() as f64;
                let avg = if values.is_empty() { f64::NAN } else { values.iter().sum::<f64>() / n };
                let dev = if values.len() < 2 {
                    f64::NAN
                } else {
                    (values.iter().map(|v| (v - avg) * (v - avg)).sum::<f64>() / (n - 1.0)).sqrt()
                };
                // scanpy: a bin whose SD is undefined (one gene) normalises by its mean.
                if dev.is_nan() { (0.0, avg) } else { (avg, dev) }
            }
            HvgFlavor::CellRanger | HvgFlavor::SeuratV3 => {
                let med = median(values);
                let mut deviations: Vec<f64> = values.iter().map(|v| (v - med).abs()).collect();
                (med, median(&mut deviations) / MAD_NORMAL)
            }
        })
        .collect();
    let dispersions_norm: Vec<f64> = dispersion
        .iter()
        .zip(&bins)
        .map(|(&d, &b)| {
            let (avg, dev) = stats[b];
            (d - avg) / dev
        })
        .collect();
    let highly_variable = match settings.n_top {
        Some(n) => {
            let mut finite: Vec<f64> = dispersions_norm.iter().copied().filter(|v| !v.is_nan()).collect();
            finite.sort_by(|a, b| b.total_cmp(a));
            let n = n.min(finite.len());
            if n == 0 {
                vec![false; mean.len()]
            } else {
                let cut = finite[n - 1];
                dispersions_norm.iter().map(|&v| !v.is_nan() && v >= cut).collect()
            }
        }
        None => dispersions_norm
            .iter()
            .zip(&mean)
            .map(|(&d, &mu)| {
                let d = if d.is_nan() { 0.0 } else { d };
                mu > settings.min_mean
                    && mu < settings.max_mean
                    && d > settings.min_disp
                    && settings.max_disp.is_none_or(|max| d < max)
            })
            .collect(),
    };
    Ok(Hvg { means: mean, dispersions: dispersion, dispersions_norm, highly_variable })
}
/// scanpy's `seurat_v3` flavour on the counts of the kept cells (`rows`) and genes (`cols`) of
/// the raw matrix, whatever the steps before did (scanpy's `layer="counts"`): per-gene mean and
/// variance exactly as scanpy computes them (sums of the counts, `E[x²] − E[x]²`, times
/// n/(n − 1)), a LOESS of log10 variance on log10 mean ([`loess`], as scikit-misc fits it), each
/// gene's variance of its counts clipped at `mean + √n · fitted SD` and divided by the fitted
/// variance, and the `n_top` largest (ties: the earlier gene). A value that is not a count
/// (negative or fractional) is refused: `Err((row, col, value))` in raw indices.
pub fn seurat_v3(raw: &Matrix, rows: &[usize], cols: &[usize], n_top: usize) -> Result<Hvg, (usize, usize, f64)> {
    const NONE: u32 = u32::MAX;
    let mut new_col = vec![NONE; raw.ncols()];
    for (k, &j) in cols.iter().enumerate() {
        new_col[j] = k as u32;
    }
    let p = cols.len();
    // Calls `f(column, value, square)` for every stored value of the kept cells and genes.
    let for_each = |f: &mut dyn FnMut(usize, usize, f64, f64)| match raw {
        Matrix::Sparse(s, _) => {
            for &r in rows {
                let (idx, val) = s.row(r);
                for (&j, &v) in idx.iter().zip(val) {
                    let k = new_col[j as usize];
                    if k != NONE {
                        // scanpy squares float32 counts in float32.
                        f(r, k as usize, f64::from(v), f64::from(v * v));
                    }
                }
            }
        }
        Matrix::Dense(d) => {
            for &r in rows {
                for (k, &j) in cols.iter().enumerate() {
                    let v = d[[r, j]];
                    if v != 0.0 {
                        f(r, k, v, v * v);
                    }
                }
            }
        }
    };
    let mut sums = vec![0.0; p];
    let mut squares = vec![0.0; p];
    let mut bad = None;
    for_each(&mut |r, k, v, sq| {
        if bad.is_none() && (v < 0.0 || v.fract() != 0.0 || !v.is_finite()) {
            bad = Some((r, cols[k], v));
        }
        sums[k] += v;
        squares[k] += sq;
    });
    if let Some(b) = bad {
        return Err(b);
    }
    let n = rows.len() as f64;
    let mean: Vec<f64> = sums.iter().map(|s| s / n).collect();
    let correction = if rows.len() > 1 { n / (n - 1.0) } else { 1.0 };
    let var: Vec<f64> = squares.iter().zip(&mean).map(|(q, m)| (q / n - m * m) * correction).collect();
    let varying: Vec<usize> = (0..p).filter(|&k| var[k] > 0.0).collect();
    let x: Vec<f64> = varying.iter().map(|&k| mean[k].log10()).collect();
    let y: Vec<f64> = varying.iter().map(|&k| var[k].log10()).collect();
    let fitted = loess(&x, &y, 0.3);
    let mut estimate = vec![0.0; p];
    for (&k, f) in varying.iter().zip(fitted) {
        estimate[k] = f;
    }
    let sd: Vec<f64> = estimate.iter().map(|e| 10f64.powf(*e).sqrt()).collect();
    let clip: Vec<f64> = sd.iter().zip(&mean).map(|(s, m)| s * n.sqrt() + m).collect();
    let mut clipped_sums = vec![0.0; p];
    let mut clipped_squares = vec![0.0; p];
    for_each(&mut |_, k, v, _| {
        let e = v.min(clip[k]);
        clipped_squares[k] += e * e;
        clipped_sums[k] += e;
    });
    let norm: Vec<f64> = (0..p)
        .map(|k| {
            (1.0 / ((n - 1.0) * sd[k] * sd[k]))
                * (n * mean[k] * mean[k] + clipped_squares[k] - 2.0 * clipped_sums[k] * mean[k])
        })
        .collect();
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&a, &b| norm[b].total_cmp(&norm[a]).then(a.cmp(&b)));
    let mut highly_variable = vec![false; p];
    for &k in order.iter().take(n_top) {
        highly_variable[k] = true;
    }
    Ok(Hvg { means: mean, dispersions: var, dispersions_norm: norm, highly_variable })
}

/// A LOESS fit at the points themselves, as scikit-misc's `loess(x, y, span, degree=2)` gives
/// it (Cleveland's netlib code, `surface="interpolate"`): a one-dimensional k-d tree whose
/// cells split at the median until they hold at most `floor(n · span · 0.2)` points, a local
/// quadratic fit (tricube weights over the `floor(n · span)` nearest points) at every vertex
/// giving a value and a slope, and cubic Hermite interpolation between a cell's vertices.
// netlib compares values exactly (ties and vertices): so does this.
#[allow(clippy::float_cmp)]
pub fn loess(x: &[f64], y: &[f64], span: f64) -> Vec<f64> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    let q = ((n as f64 * span + 1e-5).floor() as usize).clamp(1, n);
    let fc = (n as f64 * span * 0.2).floor() as usize;
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (lo, hi) = (sorted[0], sorted[n - 1]);
    let margin = 0.005 * (hi - lo).max(1e-10 * lo.abs().max(hi.abs()) + 1e-30);
    // Cells as 1-based index ranges of the sorted points with their bounding vertices.
    let mut vertices = vec![lo - margin, hi + margin];
    let mut leaves: Vec<(f64, f64)> = Vec::new();
    let mut queue = std::collections::VecDeque::from([(1usize, n, lo - margin, hi + margin)]);
    while let Some((l, u, v_lo, v_hi)) = queue.pop_front() {
        let mut split = None;
        if u + 1 - l > fc {
            let mut m = usize::midpoint(l, u);
            // netlib's tie rule: move the split off runs of equal values, alternating sides.
            let mut offset: isize = 0;
            while let Some(at) = m.checked_add_signed(offset).filter(|&at| at < u && at >= l) {
                if sorted[at - 1] == sorted[at] {
                    offset = -offset;
                    if offset >= 0 {
                        offset += 1;
                    }
                } else {
                    m = at;
                    break;
                }
            }
            let xi = sorted[m - 1];
            if xi != v_lo && xi != v_hi {
                split = Some((m, xi));
            }
        }
        match split {
            Some((m, xi)) => {
                vertices.push(xi);
                queue.push_back((l, m, v_lo, xi));
                queue.push_back((m + 1, u, xi, v_hi));
            }
            None => leaves.push((v_lo, v_hi)),
        }
    }
    let fit = |x0: f64| local_quadratic(x, y, x0, q);
    let values: std::collections::HashMap<u64, (f64, f64)> = vertices.iter().map(|&v| (v.to_bits(), fit(v))).collect();
    leaves.sort_by(|a, b| a.0.total_cmp(&b.0));
    x.iter()
        .map(|&z| {
            let k = leaves.partition_point(|&(a, _)| a < z).saturating_sub(1);
            let (a, b) = leaves[k.min(leaves.len() - 1)];
            let ((g0, s0), (g1, s1)) = (values[&a.to_bits()], values[&b.to_bits()]);
            let h = b - a;
            let t = (z - a) / h;
            let phi0 = (1.0 - t) * (1.0 - t) * (1.0 + 2.0 * t);
            let phi1 = t * t * (3.0 - 2.0 * t);
            let psi0 = t * (1.0 - t) * (1.0 - t);
            let psi1 = -t * t * (1.0 - t);
            phi0 * g0 + phi1 * g1 + (psi0 * s0 + psi1 * s1) * h
        })
        .collect()
}

/// The weighted quadratic fit around `x0` over the `q` nearest points (tricube weights): its
/// value and slope at `x0`.
fn local_quadratic(x: &[f64], y: &[f64], x0: f64, q: usize) -> (f64, f64) {
    let mut distances: Vec<f64> = x.iter().map(|v| (v - x0).abs()).collect();
    let rho = *distances.select_nth_unstable_by(q - 1, f64::total_cmp).1;
    // Normal equations in (x − x0), accumulated in f64; 3 × 3.
    let mut a = [[0.0f64; 3]; 3];
    let mut b = [0.0f64; 3];
    for (&xi, &yi) in x.iter().zip(y) {
        let d = (xi - x0).abs();
        if d >= rho {
            continue;
        }
        let r = d / rho;
        let w = (1.0 - r * r * r).powi(3);
        let t = xi - x0;
        let basis = [1.0, t, t * t];
        for i in 0..3 {
            b[i] += w * basis[i] * yi;
            for j in 0..3 {
                a[i][j] += w * basis[i] * basis[j];
            }
        }
    }
    let coef = solve3(a, b);
    (coef[0], coef[1])
}

/// Solves a symmetric 3 × 3 system by Gaussian elimination with partial pivoting (a singular
/// one, as with fewer than 3 distinct points, gets the least-squares-free answer 0 there).
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> [f64; 3] {
    for c in 0..3 {
        let pivot = (c..3).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs())).unwrap_or(c);
        a.swap(c, pivot);
        b.swap(c, pivot);
        if a[c][c].abs() < 1e-300 {
            continue;
        }
        let top = a[c];
        for r in c + 1..3 {
            let f = a[r][c] / top[c];
            for (v, t) in a[r].iter_mut().zip(top).skip(c) {
                *v -= f * t;
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = [0.0; 3];
    for c in (0..3).rev() {
        let s: f64 = (c + 1..3).map(|k| a[c][k] * x[k]).sum();
        x[c] = if a[c][c].abs() < 1e-300 { 0.0 } else { (b[c] - s) / a[c][c] };
    }
    x
}

/// The normal-consistent MAD divisor of statsmodels' `robust.mad` (Φ⁻¹(3/4)).
const MAD_NORMAL: f64 = 0.674_489_750_196_081_7;

fn unbiased((mean, mut var): (Vec<f64>, Vec<f64>), n: usize) -> (Vec<f64>, Vec<f64>) {
    if n > 1 {
        for v in &mut var {
            *v *= n as f64 / (n as f64 - 1.0);
        }
    }
    (mean, var)
}

/// `pd.cut(x, bins=n)`: n equal-width right-closed bins over the range, the lowest edge
/// lowered by 0.1 % of the range so the minimum falls in the first bin.
// pandas tests a zero range exactly.
#[allow(clippy::float_cmp)]
fn equal_width_bins(x: &[f64], n: usize) -> Vec<usize> {
    let (lo, hi) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    if lo == hi {
        // pandas widens a zero range by 0.1 % on both sides; every value lands in the middle bin.
        return vec![(n - 1) / 2; x.len()];
    }
    // np.linspace: start + k·step, the last edge exactly the end.
    let step = (hi - lo) / n as f64;
    let mut edges: Vec<f64> = (0..=n).map(|k| lo + k as f64 * step).collect();
    edges[n] = hi;
    edges[0] -= (hi - lo) * 0.001;
    x.iter().map(|&v| edges.partition_point(|&e| e < v).saturating_sub(1).min(n - 1)).collect()
}

/// `pd.cut` at −∞, the 10th, 15th, … 100th percentiles (`NumPy`'s linear interpolation), +∞.
fn percentile_bins(x: &[f64]) -> Vec<usize> {
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut edges = vec![f64::NEG_INFINITY];
    for p in (10..=100).step_by(5) {
        edges.push(percentile(&sorted, f64::from(p)));
    }
    edges.push(f64::INFINITY);
    let last = edges.len() - 2;
    x.iter().map(|&v| edges.partition_point(|&e| e < v).saturating_sub(1).min(last)).collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = p / 100.0 * (sorted.len() - 1) as f64;
    let below = pos.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let t = pos - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * t
}

/// scanpy's `scale`, in place: centred, divided by the unbiased SD (0 → 1), clipped to
/// ±`clip`.
pub fn scale(out: &mut Array2<f64>, clip: Option<f64>) {
    let (mean, var) = unbiased(super::preprocess::mean_var(out.view()), out.nrows());
    let sd: Vec<f64> = var.iter().map(|v| if *v == 0.0 { 1.0 } else { v.sqrt() }).collect();
    for mut row in out.rows_mut() {
        for ((x, mu), s) in row.iter_mut().zip(&mean).zip(&sd) {
            let mut z = (*x - mu) / s;
            if let Some(c) = clip {
                z = z.clamp(-c, c);
            }
            *x = z;
        }
    }
}

#[cfg(test)]
// Small exact values: exact comparison is the point.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::data::sparse::Csr;
    use ndarray::array;

    #[test]
    fn qc_counts_genes_and_mito_share() {
        let d = array![[1.0, 0.0, 3.0], [0.0, 0.0, 0.0]];
        let genes = ["A".to_owned(), "mt-Co1".to_owned(), "MT-ND1".to_owned()];
        for m in [Matrix::from(d.clone()), Matrix::from(Csr::from_dense(&d))] {
            let qc = cell_qc(&m, &genes, MITO_PREFIX);
            assert_eq!(qc.total_counts, vec![4.0, 0.0]);
            assert_eq!(qc.n_genes, vec![2, 0]);
            assert_eq!(qc.pct_mito[0], 75.0);
            assert!(qc.pct_mito[1].is_nan());
            assert_eq!(qc.mito_genes, 2);
            assert_eq!(gene_cells(&m), vec![1, 0, 1]);
        }
    }

    #[test]
    fn normalize_total_uses_the_median_as_scanpy_does() {
        let d = array![[1.0, 3.0], [0.0, 0.0], [5.0, 5.0], [2.0, 0.0]];
        // Sparse: median of all totals (4, 0, 10, 2) = 3; dense: of the non-zero ones = 4.
        let mut s = Matrix::from(Csr::from_dense(&d));
        assert_eq!(normalize_total(&mut s, None), 3.0);
        assert!((s.get(2, 0) - 1.5).abs() < 1e-6);
        assert_eq!(s.get(1, 0), 0.0);
        let mut dense = Matrix::from(d);
        assert_eq!(normalize_total(&mut dense, None), 4.0);
        assert!((dense.get(0, 1) - 3.0).abs() < 1e-12);
    }

    #[test]
    fn pandas_bins() {
        assert_eq!(equal_width_bins(&[0.0, 0.5, 1.0, 0.25], 4), vec![0, 1, 3, 0]);
        let x: Vec<f64> = (0..21).map(f64::from).collect();
        let b = percentile_bins(&x);
        // Edges at 2, 3, 4, … (10th percentile of 0..=20 is 2): 0, 1, 2 in the first bin.
        assert_eq!(&b[..5], &[0, 0, 0, 1, 2]);
    }

    #[test]
    fn scale_clips_and_leaves_constants_at_zero() {
        let mut s = array![[1.0, 5.0], [3.0, 5.0], [20.0, 5.0]];
        scale(&mut s, Some(1.0));
        assert!(s.column(1).iter().all(|&v| v == 0.0));
        assert_eq!(s[[2, 0]], 1.0);
        assert!(s[[0, 0]] < 0.0 && s[[0, 0]] >= -1.0);
    }
}
