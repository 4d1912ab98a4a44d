//! Preprocessing as a recorded pipeline of steps, always re-run from the raw matrix.
//!
//! # How it works
//! [`Pipeline`] is plain data (serialisable, comparable): how to treat missing values, then
//! an ordered list of [`Step`]s. [`apply`] starts from the raw matrix each time, so editing
//! or removing a step never compounds earlier results. Steps that drop samples or genes
//! record which raw indices survive, so annotations and ids follow.
//!
//! Constant genes: a gene whose population SD is at most [`CONSTANT_SD_RELATIVE`] times
//! `max(|mean|, 1)` is constant. Real FPKM tables hold genes with SDs like 1e-138; dividing
//! by such an SD would blow rounding noise up to huge values, so they are treated as
//! constant (z-score 0), as scikit-learn does with exactly zero variance.

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::annotations::AnnotationValues;
use super::dataset::RawData;
use super::matrix::{self, Matrix};
use super::single_cell::{self, CellFilter, HvgSettings};
use crate::memory::MemoryError;

/// See the module docs: the relative SD under which a gene is constant.
pub const CONSTANT_SD_RELATIVE: f64 = 1e-10;

/// What to do with missing values before any step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// Replace a missing value with its gene's mean over the samples that have it.
    #[default]
    #[value(name = "impute")]
    ImputeMean,
    /// Drop every gene that has a missing value.
    #[value(name = "drop")]
    DropGenes,
}

impl MissingPolicy {
    /// A short human description.
    pub fn describe(self) -> &'static str {
        match self {
            Self::ImputeMean => "impute the gene mean",
            Self::DropGenes => "drop genes with missing values",
        }
    }
}

/// One preprocessing step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// log2(x + 1).
    Log2,
    /// ln(x + 1).
    Ln,
    /// Library-size normalisation: each sample scaled to sum to one million (CPM).
    Cpm,
    /// Per-gene z-score with the population SD (as scikit-learn's `StandardScaler`);
    /// constant genes become 0.
    ZScore,
    /// Keep the `n` genes of highest variance (in their original order).
    TopVariable {
        /// How many genes to keep.
        n: usize,
    },
    /// Drop genes whose SD is (near) zero.
    DropConstant,
    /// Keep `n` samples drawn at random without replacement, in their original order
    /// (scanpy's `pp.subsample`); the same `seed` draws the same samples.
    Subsample {
        /// How many samples to keep.
        n: usize,
        /// Seed of the draw.
        #[serde(default)]
        seed: u64,
        /// Stratify by this categorical annotation: each level keeps its share of the `n`
        /// (largest remainders), so small groups are not lost to chance.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// Keep cells that pass QC thresholds (scanpy's `filter_cells`, and % mitochondrial).
    FilterCells(CellFilter),
    /// Keep genes with a count in at least `min_cells` cells (scanpy's `filter_genes`).
    FilterGenes {
        /// Fewest cells.
        min_cells: usize,
    },
    /// Scale each cell to the same total (scanpy's `normalize_total`); `None`: the median total.
    NormalizeTotal {
        /// The total every cell gets.
        #[serde(default)]
        target: Option<f64>,
    },
    /// Keep the highly variable genes (scanpy's `highly_variable_genes` with `subset=True`).
    HighlyVariable(HvgSettings),
    /// Centre and scale each gene to unit (unbiased) variance and clip (scanpy's `scale`);
    /// the matrix becomes dense.
    Scale {
        /// Clip to ±this after scaling (scanpy's `max_value`).
        #[serde(default)]
        clip: Option<f64>,
    },
    /// Keep samples whose categorical annotation `column` takes one of `keep`.
    SubsetSamples {
        /// Annotation column name.
        column: String,
        /// Levels to keep.
        keep: Vec<String>,
    },
}

impl Step {
    /// A one-line description for the UI and reports.
    pub fn describe(&self) -> String {
        match self {
            Step::Log2 => "log2(x + 1)".to_owned(),
            Step::Ln => "ln(x + 1) (log1p)".to_owned(),
            Step::FilterCells(filter) => filter.describe(),
            Step::FilterGenes { min_cells } => format!("keep genes detected in ≥ {min_cells} cells"),
            Step::NormalizeTotal { target: None } => "normalise each cell to the median total".to_owned(),
            Step::NormalizeTotal { target: Some(t) } => format!("normalise each cell to a total of {t}"),
            Step::HighlyVariable(hvg) => hvg.describe(),
            Step::Scale { clip: None } => "scale each gene (unit variance)".to_owned(),
            Step::Scale { clip: Some(c) } => format!("scale each gene (unit variance), clip at ±{c}"),
            Step::Cpm => "library-size normalise (counts per million)".to_owned(),
            Step::ZScore => "z-score each gene".to_owned(),
            Step::TopVariable { n } => format!("keep the {n} most variable genes"),
            Step::DropConstant => "drop constant genes".to_owned(),
            Step::Subsample { n, seed, by: None } => format!("keep {n} random samples (seed {seed})"),
            Step::Subsample { n, seed, by: Some(column) } => {
                format!("keep {n} random samples in proportion to {column} (seed {seed})")
            }
            Step::SubsetSamples { column, keep } => {
                format!("keep samples where {column} is one of {}", keep.join(", "))
            }
        }
    }
}

/// The recorded preprocessing: missing-value policy, then steps in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pipeline {
    /// Applied first.
    pub missing: MissingPolicy,
    /// Applied in order.
    pub steps: Vec<Step>,
}

impl Pipeline {
    /// This pipeline with the QC filters as its first steps, replacing any earlier ones:
    /// `filter` (when a threshold is set), then genes detected in at least `min_cells` cells
    /// (when above 0).
    #[must_use]
    pub fn with_qc_filters(&self, filter: &CellFilter, min_cells: usize) -> Self {
        let mut steps = Vec::with_capacity(self.steps.len() + 2);
        if filter.is_set() {
            steps.push(Step::FilterCells(filter.clone()));
        }
        if min_cells > 0 {
            steps.push(Step::FilterGenes { min_cells });
        }
        steps.extend(
            self.steps.iter().filter(|s| !matches!(s, Step::FilterCells(_) | Step::FilterGenes { .. })).cloned(),
        );
        Self { missing: self.missing, steps }
    }
}

/// Why a pipeline could not run.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum PreprocessError {
    /// A log of a value of −1 or below.
    #[error(
        "{step} needs values > −1, but sample '{sample}', gene '{gene}' is {value} (is the data already log-scaled?)"
    )]
    LogOfNegative {
        /// The step.
        step: String,
        /// Where.
        sample: String,
        /// Where.
        gene: String,
        /// The value.
        value: f64,
    },
    /// CPM of negative values.
    #[error(
        "library-size normalisation needs counts ≥ 0, but sample '{sample}', gene '{gene}' is {value} (is the data already normalised or log-scaled?)"
    )]
    NegativeCounts {
        /// Where.
        sample: String,
        /// Where.
        gene: String,
        /// The value.
        value: f64,
    },
    /// Subset by an unknown or numeric annotation.
    #[error("no categorical annotation named '{0}'")]
    UnknownAnnotation(String),
    /// Nothing left.
    #[error("after '{0}' no samples are left")]
    NoSamplesLeft(String),
    /// Nothing left.
    #[error("after '{0}' no genes are left")]
    NoGenesLeft(String),
    /// `seurat_v3` reads counts, and the data hold something else.
    #[error(
        "highly variable genes (seurat_v3) need the raw counts, but {origin} holds {value} at sample '{sample}', \
         gene '{gene}': open the counts (a layer such as 'counts': --layer counts, or the raw matrix: --use-raw) \
         or choose the seurat or cell_ranger flavour"
    )]
    NotCounts {
        /// The matrix: its file and HDF5 path ([`RawData::origin`]), or "the matrix".
        origin: String,
        /// Where.
        sample: String,
        /// Where.
        gene: String,
        /// The value.
        value: f64,
    },
    /// A step needs the dense matrix and it does not fit.
    #[error("{step}: {error}")]
    Memory {
        /// The step.
        step: String,
        /// Why.
        error: Box<MemoryError>,
    },
}

/// The outcome of a pipeline: the matrix and which raw samples and genes it holds.
#[derive(Debug, Clone)]
pub struct Processed {
    /// Samples × genes; shares the raw matrix until a step changes values.
    pub matrix: Matrix,
    /// Raw index of each row.
    pub samples: Vec<usize>,
    /// Raw index of each column.
    pub genes: Vec<usize>,
    /// What the steps did that a user should know (genes dropped, …).
    pub notes: Vec<String>,
    /// The statistics of the last highly-variable-genes step, for its mean–dispersion plot.
    pub hvg: Option<std::sync::Arc<HvgRecord>>,
}

/// What a highly-variable-genes step computed: per gene it considered (raw indices), the
/// statistics and whether it was kept.
#[derive(Debug, Clone, PartialEq)]
pub struct HvgRecord {
    /// The flavour (names the axes: dispersions or variances).
    pub flavor: single_cell::HvgFlavor,
    /// Raw index of each gene considered.
    pub genes: Vec<usize>,
    /// The statistics, in the order of `genes`.
    pub stats: single_cell::Hvg,
}

/// Where `raw` was read, for messages.
fn origin_of(raw: &RawData) -> String {
    if raw.origin().is_empty() { "the matrix".to_owned() } else { raw.origin().to_owned() }
}

/// Runs `pipeline` on `raw` from scratch.
pub fn apply(raw: &RawData, pipeline: &Pipeline) -> Result<Processed, PreprocessError> {
    let mut p = handle_missing(raw, pipeline.missing)?;
    for step in &pipeline.steps {
        match step {
            Step::Log2 => log_plus_one(raw, &mut p, step, f64::log2)?,
            Step::Ln => log_plus_one(raw, &mut p, step, f64::ln)?,
            Step::Cpm => cpm(raw, &mut p)?,
            Step::ZScore => {
                let mut dense = dense_for(&p.matrix, step)?;
                zscore(&mut dense);
                p.matrix = dense.into();
            }
            Step::TopVariable { n } => {
                let (_, var) = p.matrix.mean_var();
                let mut order: Vec<usize> = (0..var.len()).collect();
                order.sort_by(|&a, &b| var[b].total_cmp(&var[a]).then(a.cmp(&b)));
                let mut keep: Vec<usize> = order.into_iter().take(*n).collect();
                keep.sort_unstable();
                keep_genes(&mut p, &keep, step)?;
            }
            Step::DropConstant => {
                let (mean, var) = p.matrix.mean_var();
                let keep: Vec<usize> = (0..var.len()).filter(|&j| !is_constant(mean[j], var[j])).collect();
                let dropped = var.len() - keep.len();
                if dropped > 0 {
                    p.notes.push(format!("{dropped} constant genes dropped"));
                }
                keep_genes(&mut p, &keep, step)?;
            }
            Step::FilterCells(filter) => {
                let genes: Vec<String> = p.genes.iter().map(|&j| raw.gene_ids()[j].clone()).collect();
                let qc = single_cell::cell_qc(&p.matrix, &genes, filter.prefix());
                if filter.max_mito_pct.is_some() && qc.mito_genes == 0 {
                    p.notes.push(format!(
                        "no gene id starts with '{}': the mitochondrial filter kept every cell",
                        filter.prefix()
                    ));
                }
                let rows: Vec<usize> = (0..p.samples.len()).filter(|&i| filter.passes(&qc, i)).collect();
                keep_rows(&mut p, &rows, step, "cells")?;
            }
            Step::FilterGenes { min_cells } => {
                let cells = single_cell::gene_cells(&p.matrix);
                let keep: Vec<usize> = (0..cells.len()).filter(|&j| cells[j] >= *min_cells).collect();
                let dropped = cells.len() - keep.len();
                if dropped > 0 {
                    p.notes.push(format!("{dropped} genes detected in fewer than {min_cells} cells dropped"));
                }
                keep_genes(&mut p, &keep, step)?;
            }
            Step::NormalizeTotal { target } => {
                if let Some((i, j, value)) = find_in(&p.matrix, |v| v < 0.0) {
                    return Err(PreprocessError::NegativeCounts {
                        sample: raw.sample_ids()[p.samples[i]].clone(),
                        gene: raw.gene_ids()[p.genes[j]].clone(),
                        value,
                    });
                }
                let used = single_cell::normalize_total(&mut p.matrix, *target);
                if target.is_none() {
                    p.notes.push(format!("each cell normalised to the median total, {used}"));
                }
            }
            Step::HighlyVariable(settings) => {
                let hvg = if settings.flavor == single_cell::HvgFlavor::SeuratV3 {
                    // scanpy's layer="counts": the raw counts of the cells and genes kept so far.
                    single_cell::seurat_v3(raw.matrix(), &p.samples, &p.genes, settings.n_top.unwrap_or(2000)).map_err(
                        |(i, j, value)| PreprocessError::NotCounts {
                            origin: origin_of(raw),
                            sample: raw.sample_ids()[i].clone(),
                            gene: raw.gene_ids()[j].clone(),
                            value,
                        },
                    )?
                } else {
                    single_cell::highly_variable(&p.matrix, settings).map_err(|(i, j, value)| {
                        PreprocessError::NotCounts {
                            origin: origin_of(raw),
                            sample: raw.sample_ids()[p.samples[i]].clone(),
                            gene: raw.gene_ids()[p.genes[j]].clone(),
                            value,
                        }
                    })?
                };
                let keep: Vec<usize> = (0..hvg.highly_variable.len()).filter(|&j| hvg.highly_variable[j]).collect();
                p.notes.push(format!("{} highly variable genes kept ({})", keep.len(), settings.flavor.name()));
                p.hvg = Some(std::sync::Arc::new(HvgRecord {
                    flavor: settings.flavor,
                    genes: p.genes.clone(),
                    stats: hvg,
                }));
                keep_genes(&mut p, &keep, step)?;
            }
            Step::Scale { clip } => {
                let mut dense = dense_for(&p.matrix, step)?;
                single_cell::scale(&mut dense, *clip);
                p.matrix = dense.into();
            }
            Step::SubsetSamples { column, keep } => subset_samples(raw, &mut p, column, keep, step)?,
            Step::Subsample { n: 0, .. } => return Err(PreprocessError::NoSamplesLeft(step.describe())),
            Step::Subsample { n, seed, by: None } => subsample(&mut p, *n, *seed),
            Step::Subsample { n, seed, by: Some(column) } => stratified_subsample(raw, &mut p, *n, *seed, column)?,
        }
    }
    Ok(p)
}

/// The dense matrix for a step that needs one: a copy to change (see `Matrix::dense`).
fn dense_for(m: &Matrix, step: &Step) -> Result<Array2<f64>, PreprocessError> {
    let memory = |error| PreprocessError::Memory { step: step.describe(), error: Box::new(error) };
    match m {
        Matrix::Dense(d) => Ok((**d).clone()),
        Matrix::Sparse(s, _) => {
            matrix::check_dense(s.nrows(), s.ncols()).map_err(memory)?;
            let mut buffer = crate::memory::try_zeros(s.nrows() * s.ncols(), "the dense matrix").map_err(memory)?;
            s.fill_dense(&mut buffer);
            Ok(Array2::from_shape_vec((s.nrows(), s.ncols()), buffer).expect("rows × columns values"))
        }
    }
}

/// The first value `bad` rejects, with its row and column.
fn find_in(m: &Matrix, bad: impl Fn(f64) -> bool) -> Option<(usize, usize, f64)> {
    match m {
        Matrix::Dense(d) => d.indexed_iter().find(|(_, v)| bad(**v)).map(|((i, j), &v)| (i, j, v)),
        Matrix::Sparse(s, _) => s.find(bad),
    }
}

fn keep_rows(p: &mut Processed, rows: &[usize], step: &Step, what: &str) -> Result<(), PreprocessError> {
    if rows.is_empty() {
        return Err(PreprocessError::NoSamplesLeft(step.describe()));
    }
    let dropped = p.samples.len() - rows.len();
    if dropped > 0 {
        p.notes.push(format!("{dropped} {what} dropped by '{}'", step.describe()));
        p.matrix = p.matrix.select_rows(rows);
        p.samples = rows.iter().map(|&i| p.samples[i]).collect();
    }
    Ok(())
}

/// True when a gene with this mean and population variance is constant (module docs).
pub fn is_constant(mean: f64, var: f64) -> bool {
    var.sqrt() <= CONSTANT_SD_RELATIVE * mean.abs().max(1.0)
}

/// Per-column mean and population variance (two passes, row-major friendly).
pub fn mean_var(m: ArrayView2<'_, f64>) -> (Vec<f64>, Vec<f64>) {
    let n = m.nrows().max(1) as f64;
    let mut mean = vec![0.0; m.ncols()];
    for row in m.axis_iter(Axis(0)) {
        for (acc, &v) in mean.iter_mut().zip(row) {
            *acc += v;
        }
    }
    for x in &mut mean {
        *x /= n;
    }
    let mut var = vec![0.0; m.ncols()];
    for row in m.axis_iter(Axis(0)) {
        for ((acc, &v), &mu) in var.iter_mut().zip(row).zip(&mean) {
            *acc += (v - mu) * (v - mu);
        }
    }
    for x in &mut var {
        *x /= n;
    }
    (mean, var)
}

/// Z-scores columns in place (population SD); constant columns become 0.
pub fn zscore(m: &mut Array2<f64>) {
    let (mean, var) = mean_var(m.view());
    let scale: Vec<f64> =
        mean.iter().zip(&var).map(|(&mu, &v)| if is_constant(mu, v) { 0.0 } else { 1.0 / v.sqrt() }).collect();
    for mut row in m.axis_iter_mut(Axis(0)) {
        for ((x, &mu), &s) in row.iter_mut().zip(&mean).zip(&scale) {
            *x = (*x - mu) * s;
        }
    }
}

fn handle_missing(raw: &RawData, policy: MissingPolicy) -> Result<Processed, PreprocessError> {
    let samples: Vec<usize> = (0..raw.matrix().nrows()).collect();
    let m = match raw.matrix() {
        Matrix::Dense(m) if raw.missing() > 0 => m,
        shared => {
            return Ok(Processed {
                matrix: shared.clone(),
                samples,
                genes: (0..shared.ncols()).collect(),
                notes: Vec::new(),
                hvg: None,
            });
        }
    };
    // Per gene: sum and count of present values.
    let mut sum = vec![0.0; m.ncols()];
    let mut count = vec![0usize; m.ncols()];
    for row in m.axis_iter(Axis(0)) {
        for (j, &v) in row.iter().enumerate() {
            if !v.is_nan() {
                sum[j] += v;
                count[j] += 1;
            }
        }
    }
    let genes: Vec<usize> = (0..m.ncols())
        .filter(|&j| match policy {
            MissingPolicy::ImputeMean => count[j] > 0,
            MissingPolicy::DropGenes => count[j] == m.nrows(),
        })
        .collect();
    if genes.is_empty() {
        return Err(PreprocessError::NoGenesLeft(policy.describe().to_owned()));
    }
    let mut notes = Vec::new();
    let dropped = m.ncols() - genes.len();
    match policy {
        MissingPolicy::ImputeMean => {
            notes.push(format!("{} missing values imputed with their gene mean", raw.missing()));
            if dropped > 0 {
                notes.push(format!("{dropped} genes with no values at all dropped"));
            }
        }
        MissingPolicy::DropGenes => notes.push(format!("{dropped} genes with missing values dropped")),
    }
    let mut matrix = m.select(Axis(1), &genes);
    for mut row in matrix.axis_iter_mut(Axis(0)) {
        for (x, &j) in row.iter_mut().zip(&genes) {
            if x.is_nan() {
                *x = sum[j] / count[j] as f64;
            }
        }
    }
    Ok(Processed { matrix: matrix.into(), samples, genes, notes, hvg: None })
}

fn log_plus_one(raw: &RawData, p: &mut Processed, step: &Step, log: fn(f64) -> f64) -> Result<(), PreprocessError> {
    if let Some((i, j, value)) = find_in(&p.matrix, |v| v <= -1.0) {
        return Err(PreprocessError::LogOfNegative {
            step: step.describe(),
            sample: raw.sample_ids()[p.samples[i]].clone(),
            gene: raw.gene_ids()[p.genes[j]].clone(),
            value,
        });
    }
    if let Some(s) = p.matrix.sparse_mut() {
        s.map_values(|x| log(x + 1.0));
    } else if let Some(d) = p.matrix.dense_mut() {
        d.mapv_inplace(|x| log(x + 1.0));
    }
    Ok(())
}

fn cpm(raw: &RawData, p: &mut Processed) -> Result<(), PreprocessError> {
    if let Some((i, j, value)) = find_in(&p.matrix, |v| v < 0.0) {
        return Err(PreprocessError::NegativeCounts {
            sample: raw.sample_ids()[p.samples[i]].clone(),
            gene: raw.gene_ids()[p.genes[j]].clone(),
            value,
        });
    }
    let mut empty = 0;
    if let Some(s) = p.matrix.sparse_mut() {
        let totals = s.row_sums();
        empty = totals.iter().filter(|&&t| t <= 0.0).count();
        let factors: Vec<f64> = totals.iter().map(|&t| if t > 0.0 { 1e6 / t } else { 1.0 }).collect();
        s.scale_rows(&factors);
    } else if let Some(d) = p.matrix.dense_mut() {
        for mut row in d.axis_iter_mut(Axis(0)) {
            let total: f64 = row.sum();
            if total > 0.0 {
                row.mapv_inplace(|x| x * 1e6 / total);
            } else {
                empty += 1;
            }
        }
    }
    if empty > 0 {
        p.notes.push(format!("{empty} samples with no counts left at zero"));
    }
    Ok(())
}

fn keep_genes(p: &mut Processed, keep: &[usize], step: &Step) -> Result<(), PreprocessError> {
    if keep.is_empty() {
        return Err(PreprocessError::NoGenesLeft(step.describe()));
    }
    if keep.len() < p.genes.len() {
        p.matrix = p.matrix.select_cols(keep);
        p.genes = keep.iter().map(|&j| p.genes[j]).collect();
    }
    Ok(())
}

/// Keeps `n` of the samples, drawn at random with `seed`, in their order (all when there are
/// no more than `n`).
fn subsample(p: &mut Processed, n: usize, seed: u64) {
    let total = p.samples.len();
    if n >= total {
        p.notes.push(format!("all {total} samples kept: the subsample asks for {n}"));
        return;
    }
    let mut order: Vec<usize> = (0..total).collect();
    let mut rng = crate::analysis::rng::Rng::new(seed);
    // A partial Fisher–Yates shuffle: the first n places are a uniform draw.
    for i in 0..n {
        let j = i + rng.below(total - i);
        order.swap(i, j);
    }
    let mut rows = order[..n].to_vec();
    rows.sort_unstable();
    p.matrix = p.matrix.select_rows(&rows);
    p.samples = rows.iter().map(|&i| p.samples[i]).collect();
    p.notes.push(format!("{n} of {total} samples kept at random"));
}

/// Keeps `n` samples with each level of `column` keeping its share (largest remainders; a
/// sample without a level is its own group), drawn at random with `seed` within each level.
fn stratified_subsample(
    raw: &RawData,
    p: &mut Processed,
    n: usize,
    seed: u64,
    column: &str,
) -> Result<(), PreprocessError> {
    let (levels, codes) = categorical(raw, column)?;
    let total = p.samples.len();
    if n >= total {
        p.notes.push(format!("all {total} samples kept: the subsample asks for {n}"));
        return Ok(());
    }
    // Rows of each level (the last group: no level).
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); levels.len() + 1];
    for (row, &sample) in p.samples.iter().enumerate() {
        groups[codes[sample].map_or(levels.len(), |c| c as usize)].push(row);
    }
    let quotas: Vec<f64> = groups.iter().map(|g| n as f64 * g.len() as f64 / total as f64).collect();
    let mut take: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let mut by_remainder: Vec<usize> = (0..groups.len()).collect();
    by_remainder
        .sort_by(|&a, &b| (quotas[b] - quotas[b].floor()).total_cmp(&(quotas[a] - quotas[a].floor())).then(a.cmp(&b)));
    let mut left = n - take.iter().sum::<usize>();
    for g in by_remainder {
        if left == 0 {
            break;
        }
        if take[g] < groups[g].len() {
            take[g] += 1;
            left -= 1;
        }
    }
    let mut rng = crate::analysis::rng::Rng::new(seed);
    let mut rows = Vec::with_capacity(n);
    for (group, &k) in groups.iter_mut().zip(&take) {
        for i in 0..k {
            let j = i + rng.below(group.len() - i);
            group.swap(i, j);
        }
        rows.extend_from_slice(&group[..k]);
    }
    rows.sort_unstable();
    p.matrix = p.matrix.select_rows(&rows);
    p.samples = rows.iter().map(|&i| p.samples[i]).collect();
    p.notes.push(format!("{n} of {total} samples kept at random, each {column} in proportion"));
    Ok(())
}

/// The levels and codes of the categorical annotation `column`.
fn categorical<'a>(raw: &'a RawData, column: &str) -> Result<(&'a [String], &'a [Option<u32>]), PreprocessError> {
    match raw.annotations().iter().find(|a| a.name == column).map(|a| &a.values) {
        Some(AnnotationValues::Categorical { levels, codes }) => Ok((levels, codes)),
        _ => Err(PreprocessError::UnknownAnnotation(column.to_owned())),
    }
}

fn subset_samples(
    raw: &RawData,
    p: &mut Processed,
    column: &str,
    keep: &[String],
    step: &Step,
) -> Result<(), PreprocessError> {
    let (levels, codes) = categorical(raw, column)?;
    let wanted: Vec<bool> = levels.iter().map(|l| keep.contains(l)).collect();
    let rows: Vec<usize> =
        (0..p.samples.len()).filter(|&i| codes[p.samples[i]].is_some_and(|c| wanted[c as usize])).collect();
    if rows.is_empty() {
        return Err(PreprocessError::NoSamplesLeft(step.describe()));
    }
    p.matrix = p.matrix.select_rows(&rows);
    p.samples = rows.iter().map(|&i| p.samples[i]).collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_subsample_keeps_n_samples_in_order_and_the_same_for_a_seed() {
        let matrix = ndarray::Array2::from_shape_fn((100, 2), |(i, j)| (i * 2 + j) as f64);
        let ids: Vec<String> = (0..100).map(|i| format!("s{i}")).collect();
        let raw = RawData::new(matrix, ids, vec!["a".into(), "b".into()], Vec::new(), 0);
        let pipeline =
            |seed| Pipeline { steps: vec![Step::Subsample { n: 10, seed, by: None }], ..Pipeline::default() };
        let p = apply(&raw, &pipeline(3)).unwrap();
        assert_eq!(p.samples.len(), 10);
        assert!(p.samples.windows(2).all(|w| w[0] < w[1]), "original order");
        assert_eq!(p.matrix.nrows(), 10);
        assert!((p.matrix.get(0, 0) - (p.samples[0] * 2) as f64).abs() < 1e-12, "rows follow the samples");
        assert_eq!(apply(&raw, &pipeline(3)).unwrap().samples, p.samples, "same seed, same samples");
        assert_ne!(apply(&raw, &pipeline(4)).unwrap().samples, p.samples, "another seed, another draw");
        let all = Pipeline { steps: vec![Step::Subsample { n: 500, seed: 0, by: None }], ..Pipeline::default() };
        assert_eq!(apply(&raw, &all).unwrap().samples.len(), 100);
    }

    #[test]
    fn a_stratified_subsample_keeps_each_level_in_proportion() {
        use crate::data::annotations::Annotation;
        let matrix = ndarray::Array2::from_shape_fn((100, 1), |(i, _)| i as f64);
        let ids: Vec<String> = (0..100).map(|i| format!("s{i}")).collect();
        // 90 of kind a, 10 of kind b.
        let cells: Vec<Option<&str>> = (0..100).map(|i| Some(if i % 10 == 0 { "b" } else { "a" })).collect();
        let kind = Annotation::categorical("kind", &cells);
        let raw = RawData::new(matrix, ids, vec!["g".into()], vec![kind], 0);
        let step = Step::Subsample { n: 20, seed: 7, by: Some("kind".into()) };
        let p = apply(&raw, &Pipeline { steps: vec![step], ..Pipeline::default() }).unwrap();
        assert_eq!(p.samples.len(), 20);
        assert_eq!(p.samples.iter().filter(|&&i| i % 10 == 0).count(), 2, "b keeps its tenth");
        assert!(p.samples.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn zscore_matches_population_sd_and_zeroes_constants() {
        let mut m = array![[1.0, 5.0, 1e-138], [3.0, 5.0, 0.0]];
        zscore(&mut m);
        assert_eq!(m.column(0).to_vec(), vec![-1.0, 1.0]);
        assert_eq!(m.column(1).to_vec(), vec![0.0, 0.0]);
        // An SD of 1e-138 is constant, not scaled to ±1 or beyond.
        assert_eq!(m.column(2).to_vec(), vec![0.0, 0.0]);
    }

    #[test]
    fn constant_test_is_relative_to_the_mean() {
        assert!(is_constant(1e6, 1e-8));
        assert!(!is_constant(1.0, 1e-4));
        assert!(is_constant(0.0, 1e-276));
    }
}
