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

use std::sync::Arc;

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::annotations::AnnotationValues;
use super::dataset::RawData;

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
            Step::Ln => "ln(x + 1)".to_owned(),
            Step::Cpm => "library-size normalise (counts per million)".to_owned(),
            Step::ZScore => "z-score each gene".to_owned(),
            Step::TopVariable { n } => format!("keep the {n} most variable genes"),
            Step::DropConstant => "drop constant genes".to_owned(),
            Step::Subsample { n, seed } => format!("keep {n} random samples (seed {seed})"),
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
}

/// The outcome of a pipeline: the matrix and which raw samples and genes it holds.
#[derive(Debug, Clone)]
pub struct Processed {
    /// Samples × genes; shares the raw matrix until a step changes values.
    pub matrix: Arc<Array2<f64>>,
    /// Raw index of each row.
    pub samples: Vec<usize>,
    /// Raw index of each column.
    pub genes: Vec<usize>,
    /// What the steps did that a user should know (genes dropped, …).
    pub notes: Vec<String>,
}

/// Runs `pipeline` on `raw` from scratch.
pub fn apply(raw: &RawData, pipeline: &Pipeline) -> Result<Processed, PreprocessError> {
    let mut p = handle_missing(raw, pipeline.missing)?;
    for step in &pipeline.steps {
        match step {
            Step::Log2 => log_plus_one(raw, &mut p, step, f64::log2)?,
            Step::Ln => log_plus_one(raw, &mut p, step, f64::ln)?,
            Step::Cpm => cpm(raw, &mut p)?,
            Step::ZScore => zscore(Arc::make_mut(&mut p.matrix)),
            Step::TopVariable { n } => {
                let (_, var) = mean_var(p.matrix.view());
                let mut order: Vec<usize> = (0..var.len()).collect();
                order.sort_by(|&a, &b| var[b].total_cmp(&var[a]).then(a.cmp(&b)));
                let mut keep: Vec<usize> = order.into_iter().take(*n).collect();
                keep.sort_unstable();
                keep_genes(&mut p, &keep, step)?;
            }
            Step::DropConstant => {
                let (mean, var) = mean_var(p.matrix.view());
                let keep: Vec<usize> = (0..var.len()).filter(|&j| !is_constant(mean[j], var[j])).collect();
                let dropped = var.len() - keep.len();
                if dropped > 0 {
                    p.notes.push(format!("{dropped} constant genes dropped"));
                }
                keep_genes(&mut p, &keep, step)?;
            }
            Step::SubsetSamples { column, keep } => subset_samples(raw, &mut p, column, keep, step)?,
            Step::Subsample { n: 0, .. } => return Err(PreprocessError::NoSamplesLeft(step.describe())),
            Step::Subsample { n, seed } => subsample(&mut p, *n, *seed),
        }
    }
    Ok(p)
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
    let m = raw.matrix();
    let samples: Vec<usize> = (0..m.nrows()).collect();
    if raw.missing() == 0 {
        return Ok(Processed {
            matrix: raw.shared_matrix(),
            samples,
            genes: (0..m.ncols()).collect(),
            notes: Vec::new(),
        });
    }
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
    Ok(Processed { matrix: Arc::new(matrix), samples, genes, notes })
}

fn log_plus_one(raw: &RawData, p: &mut Processed, step: &Step, log: fn(f64) -> f64) -> Result<(), PreprocessError> {
    if let Some(((i, j), &value)) = p.matrix.indexed_iter().find(|(_, v)| **v <= -1.0) {
        return Err(PreprocessError::LogOfNegative {
            step: step.describe(),
            sample: raw.sample_ids()[p.samples[i]].clone(),
            gene: raw.gene_ids()[p.genes[j]].clone(),
            value,
        });
    }
    Arc::make_mut(&mut p.matrix).mapv_inplace(|x| log(x + 1.0));
    Ok(())
}

fn cpm(raw: &RawData, p: &mut Processed) -> Result<(), PreprocessError> {
    if let Some(((i, j), &value)) = p.matrix.indexed_iter().find(|(_, v)| **v < 0.0) {
        return Err(PreprocessError::NegativeCounts {
            sample: raw.sample_ids()[p.samples[i]].clone(),
            gene: raw.gene_ids()[p.genes[j]].clone(),
            value,
        });
    }
    let mut empty = 0;
    for mut row in Arc::make_mut(&mut p.matrix).axis_iter_mut(Axis(0)) {
        let total: f64 = row.sum();
        if total > 0.0 {
            row.mapv_inplace(|x| x * 1e6 / total);
        } else {
            empty += 1;
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
        p.matrix = Arc::new(p.matrix.select(Axis(1), keep));
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
    p.matrix = Arc::new(p.matrix.select(Axis(0), &rows));
    p.samples = rows.iter().map(|&i| p.samples[i]).collect();
    p.notes.push(format!("{n} of {total} samples kept at random"));
}

fn subset_samples(
    raw: &RawData,
    p: &mut Processed,
    column: &str,
    keep: &[String],
    step: &Step,
) -> Result<(), PreprocessError> {
    let annotation = raw
        .annotations()
        .iter()
        .find(|a| a.name == column)
        .ok_or_else(|| PreprocessError::UnknownAnnotation(column.to_owned()))?;
    let AnnotationValues::Categorical { levels, codes } = &annotation.values else {
        return Err(PreprocessError::UnknownAnnotation(column.to_owned()));
    };
    let wanted: Vec<bool> = levels.iter().map(|l| keep.contains(l)).collect();
    let rows: Vec<usize> =
        (0..p.samples.len()).filter(|&i| codes[p.samples[i]].is_some_and(|c| wanted[c as usize])).collect();
    if rows.is_empty() {
        return Err(PreprocessError::NoSamplesLeft(step.describe()));
    }
    p.matrix = Arc::new(p.matrix.select(Axis(0), &rows));
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
        let pipeline = |seed| Pipeline { steps: vec![Step::Subsample { n: 10, seed }], ..Pipeline::default() };
        let p = apply(&raw, &pipeline(3)).unwrap();
        assert_eq!(p.samples.len(), 10);
        assert!(p.samples.windows(2).all(|w| w[0] < w[1]), "original order");
        assert_eq!(p.matrix.nrows(), 10);
        assert!((p.matrix[[0, 0]] - (p.samples[0] * 2) as f64).abs() < 1e-12, "rows follow the samples");
        assert_eq!(apply(&raw, &pipeline(3)).unwrap().samples, p.samples, "same seed, same samples");
        assert_ne!(apply(&raw, &pipeline(4)).unwrap().samples, p.samples, "another seed, another draw");
        let all = Pipeline { steps: vec![Step::Subsample { n: 500, seed: 0 }], ..Pipeline::default() };
        assert_eq!(apply(&raw, &all).unwrap().samples.len(), 100);
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
