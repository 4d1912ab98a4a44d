//! The dataset model: the raw matrix as loaded, its ids and annotations, the recorded
//! preprocessing pipeline, and the processed view every analysis reads.

use std::path::PathBuf;
use std::sync::Arc;

use ndarray::Array2;
use serde::Serialize;

use super::io::hdf5::{Embedding, LevelColours};
use super::matrix::Matrix;
use crate::memory::MemoryError;

use super::annotations::{Annotation, AnnotationSummary, JoinReport};
use super::io::LoadReport;
use super::preprocess::{self, Pipeline, PreprocessError};

/// The matrix as loaded (samples × genes, dense with `NaN` where missing, or sparse) with ids
/// and annotations. Shared behind an `Arc`: re-running the pipeline never copies it.
#[derive(Debug, Clone)]
pub struct RawData {
    matrix: Matrix,
    sample_ids: Vec<String>,
    gene_ids: Vec<String>,
    annotations: Vec<Annotation>,
    missing: usize,
    single_cell: Arc<SingleCellExtras>,
    origin: String,
}

/// What single-cell files add to the matrix: gene annotations (`var`), stored embeddings
/// (`obsm`) and the file's colours for categories (`uns/*_colors`). All follow the raw
/// matrix's samples and genes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SingleCellExtras {
    /// One value per raw gene.
    pub gene_annotations: Vec<Annotation>,
    /// One row per raw sample.
    pub embeddings: Vec<Embedding>,
    /// Colours of categorical annotations' levels.
    pub colours: Vec<LevelColours>,
}

impl RawData {
    /// Assembles raw data; `annotations` have one value per sample.
    pub fn new(
        matrix: impl Into<Matrix>,
        sample_ids: Vec<String>,
        gene_ids: Vec<String>,
        annotations: Vec<Annotation>,
        missing: usize,
    ) -> Self {
        let matrix = matrix.into();
        debug_assert_eq!(matrix.nrows(), sample_ids.len());
        debug_assert_eq!(matrix.ncols(), gene_ids.len());
        debug_assert!(annotations.iter().all(|a| a.len() == sample_ids.len()));
        Self { matrix, sample_ids, gene_ids, annotations, missing, single_cell: Arc::default(), origin: String::new() }
    }

    /// Samples × genes, `NaN` where missing.
    pub fn matrix(&self) -> &Matrix {
        &self.matrix
    }
    /// The matrix as dense numbers ([`Matrix::dense`]).
    pub fn dense(&self) -> Result<&Array2<f64>, MemoryError> {
        self.matrix.dense()
    }
    /// Sample ids (rows).
    pub fn sample_ids(&self) -> &[String] {
        &self.sample_ids
    }
    /// Gene ids (columns).
    pub fn gene_ids(&self) -> &[String] {
        &self.gene_ids
    }
    /// Sample annotations.
    pub fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
    /// Count of missing cells.
    pub fn missing(&self) -> usize {
        self.missing
    }

    /// Where the values were read, for messages: the file name, and for HDF5 files the
    /// matrix's path in it (`pbmc.h5ad, /layers/counts`); empty when not read from a file.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Sets where the values were read ([`Self::origin`]).
    pub fn set_origin(&mut self, origin: String) {
        self.origin = origin;
    }

    /// Gene annotations, embeddings and colours a single-cell file held.
    pub fn single_cell(&self) -> &SingleCellExtras {
        &self.single_cell
    }

    /// Sets what a single-cell file held besides the matrix.
    pub fn set_single_cell(
        &mut self,
        gene_annotations: Vec<Annotation>,
        embeddings: Vec<Embedding>,
        colours: Vec<LevelColours>,
    ) {
        self.single_cell = Arc::new(SingleCellExtras { gene_annotations, embeddings, colours });
    }

    /// Adds or replaces annotation columns (same name replaces).
    pub fn set_annotations(&mut self, columns: Vec<Annotation>) {
        for column in columns {
            if let Some(existing) = self.annotations.iter_mut().find(|a| a.name == column.name) {
                *existing = column;
            } else {
                self.annotations.push(column);
            }
        }
    }
}

/// Where a dataset came from, so it can be reloaded (transposed) or named.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Source {
    /// The matrix file or 10x directory.
    pub matrix: Option<PathBuf>,
    /// Annotation files joined, in order.
    pub annotations: Vec<PathBuf>,
    /// Which matrix of a single-cell file was read.
    pub choice: super::io::MatrixChoice,
    /// Set when the samples are group means of the file's samples ([`super::group_means`]).
    pub group_means: Option<super::GroupMeans>,
}

/// A dataset ready for analysis: raw data, its pipeline, and the processed matrix.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Display name (file stem or sample-dataset name).
    pub name: String,
    /// Where it came from.
    pub source: Source,
    /// How the matrix was read.
    pub load_report: LoadReport,
    /// How annotation files matched, in order.
    pub join_reports: Vec<JoinReport>,
    raw: RawData,
    pipeline: Pipeline,
    processed: Processed,
}

/// The processed view: ids and annotations follow the kept samples and genes.
#[derive(Debug, Clone)]
struct Processed {
    matrix: Matrix,
    /// The raw index of each processed sample.
    rows: Vec<usize>,
    /// The last highly-variable-genes step's statistics.
    hvg: Option<Arc<super::preprocess::HvgRecord>>,
    sample_ids: Vec<String>,
    gene_ids: Vec<String>,
    annotations: Vec<Annotation>,
    notes: Vec<String>,
}

impl Dataset {
    /// Builds a dataset and runs `pipeline` on it.
    pub fn new(
        name: String,
        source: Source,
        load_report: LoadReport,
        raw: RawData,
        pipeline: Pipeline,
    ) -> Result<Self, PreprocessError> {
        let processed = process(&raw, &pipeline)?;
        Ok(Self { name, source, load_report, join_reports: Vec::new(), raw, pipeline, processed })
    }

    /// The same data under another pipeline (re-run from the raw matrix).
    pub fn with_pipeline(&self, pipeline: Pipeline) -> Result<Self, PreprocessError> {
        let processed = process(&self.raw, &pipeline)?;
        Ok(Self { pipeline, processed, ..self.clone() })
    }

    /// The same data with annotation columns added (re-runs the pipeline: a subset step
    /// may use them).
    pub fn with_annotations(
        &self,
        columns: Vec<Annotation>,
        report: JoinReport,
        path: PathBuf,
    ) -> Result<Self, PreprocessError> {
        let mut raw = self.raw.clone();
        raw.set_annotations(columns);
        let processed = process(&raw, &self.pipeline)?;
        let mut source = self.source.clone();
        source.annotations.push(path);
        let mut join_reports = self.join_reports.clone();
        join_reports.push(report);
        Ok(Self { source, join_reports, raw, processed, ..self.clone() })
    }

    /// The same data with one more annotation column over the raw samples (e.g. made
    /// from a selection); a column of the same name is replaced.
    pub fn with_annotation(&self, column: Annotation) -> Result<Self, PreprocessError> {
        let mut raw = self.raw.clone();
        raw.set_annotations(vec![column]);
        let processed = process(&raw, &self.pipeline)?;
        Ok(Self { raw, processed, ..self.clone() })
    }

    /// The same data with one more stored embedding over the raw samples (a computed code);
    /// one of the same name is replaced. The values are untouched.
    #[must_use]
    pub fn with_embedding(&self, embedding: Embedding) -> Self {
        let mut raw = self.raw.clone();
        let extras = raw.single_cell();
        let mut embeddings: Vec<Embedding> =
            extras.embeddings.iter().filter(|e| e.name != embedding.name).cloned().collect();
        embeddings.push(embedding);
        let (genes, colours) = (extras.gene_annotations.clone(), extras.colours.clone());
        raw.set_single_cell(genes, embeddings, colours);
        Self { raw, ..self.clone() }
    }

    /// The processed values, samples × genes, dense or sparse.
    pub fn values(&self) -> &Matrix {
        &self.processed.matrix
    }
    /// The processed matrix as dense numbers, shared (for analyses and worker threads):
    /// converted once from a sparse matrix when it fits in memory ([`Matrix::dense`]).
    pub fn dense(&self) -> Result<&Array2<f64>, MemoryError> {
        self.processed.matrix.dense()
    }
    /// [`Dataset::dense`], shared (for worker threads).
    pub fn dense_arc(&self) -> Result<Arc<Array2<f64>>, MemoryError> {
        self.processed.matrix.dense_arc()
    }
    /// Ids of the processed samples.
    pub fn sample_ids(&self) -> &[String] {
        &self.processed.sample_ids
    }
    /// Ids of the processed genes.
    pub fn gene_ids(&self) -> &[String] {
        &self.processed.gene_ids
    }
    /// Annotations of the processed samples.
    pub fn annotations(&self) -> &[Annotation] {
        &self.processed.annotations
    }
    /// The statistics of the pipeline's highly-variable-genes step, if it has one.
    pub fn hvg_record(&self) -> Option<&super::preprocess::HvgRecord> {
        self.processed.hvg.as_deref()
    }
    /// The raw index of each processed sample.
    pub fn raw_rows(&self) -> &[usize] {
        &self.processed.rows
    }
    /// The file's colours for the levels of annotation `name`, if it gave any.
    pub fn level_colours(&self, name: &str) -> Option<&LevelColours> {
        self.raw.single_cell().colours.iter().find(|c| c.annotation == name)
    }
    /// Notes from the pipeline (genes dropped, values imputed, …).
    pub fn pipeline_notes(&self) -> &[String] {
        &self.processed.notes
    }
    /// Number of processed samples.
    pub fn n_samples(&self) -> usize {
        self.processed.matrix.nrows()
    }
    /// Number of processed genes.
    pub fn n_genes(&self) -> usize {
        self.processed.matrix.ncols()
    }
    /// The recorded pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }
    /// The raw data.
    pub fn raw(&self) -> &RawData {
        &self.raw
    }

    /// Shape, value range, missing count and annotations, for display and `info`.
    pub fn summary(&self) -> Summary {
        let (min, max) = self.values().min_max();
        let values = self.values();
        Summary {
            sparse: values.is_sparse(),
            stored: values.stored(),
            samples: self.n_samples(),
            genes: self.n_genes(),
            raw_samples: self.raw.sample_ids.len(),
            raw_genes: self.raw.gene_ids.len(),
            value_min: min,
            value_max: max,
            missing: self.raw.missing,
            annotations: self.annotations().iter().map(Annotation::summary).collect(),
        }
    }
}

fn process(raw: &RawData, pipeline: &Pipeline) -> Result<Processed, PreprocessError> {
    let out = preprocess::apply(raw, pipeline)?;
    let all_samples = out.samples.len() == raw.sample_ids.len();
    let annotations = if all_samples {
        raw.annotations.clone()
    } else {
        raw.annotations.iter().map(|a| a.subset(&out.samples)).collect()
    };
    Ok(Processed {
        sample_ids: out.samples.iter().map(|&i| raw.sample_ids[i].clone()).collect(),
        gene_ids: out.genes.iter().map(|&j| raw.gene_ids[j].clone()).collect(),
        annotations,
        notes: out.notes,
        matrix: out.matrix,
        rows: out.samples,
        hvg: out.hvg,
    })
}

/// What `info` prints and the summary panel shows.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// True when the values are held sparse (non-zeros only).
    pub sparse: bool,
    /// Values stored: the non-zeros of a sparse matrix, every value of a dense one.
    pub stored: usize,
    /// Samples after preprocessing.
    pub samples: usize,
    /// Genes after preprocessing.
    pub genes: usize,
    /// Samples as loaded.
    pub raw_samples: usize,
    /// Genes as loaded.
    pub raw_genes: usize,
    /// Smallest processed value.
    pub value_min: f64,
    /// Largest processed value.
    pub value_max: f64,
    /// Missing cells as loaded.
    pub missing: usize,
    /// Annotation columns with levels or ranges.
    pub annotations: Vec<AnnotationSummary>,
}

/// A histogram of all values: `bins` equal-width bins over `[min, max]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Left edge of the first bin.
    pub min: f64,
    /// Width of each bin.
    pub width: f64,
    /// Count per bin.
    pub counts: Vec<usize>,
}

impl Histogram {
    /// Bins the finite values of `values`.
    pub fn of<'a>(values: impl Iterator<Item = &'a f64> + Clone, bins: usize) -> Self {
        let bins = bins.max(1);
        let (min, max) = values
            .clone()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        if !min.is_finite() {
            return Self { min: 0.0, width: 1.0, counts: vec![0; bins] };
        }
        let width = if max > min { (max - min) / bins as f64 } else { 1.0 };
        let mut counts = vec![0; bins];
        for &v in values.filter(|v| v.is_finite()) {
            let b = (((v - min) / width) as usize).min(bins - 1);
            counts[b] += 1;
        }
        Self { min, width, counts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_every_value_once() {
        // Bins of width 0.5 over [0, 2]; the maximum falls in the last bin; NaN is skipped.
        let values = [0.0, 0.1, 1.0, 2.0, f64::NAN];
        let h = Histogram::of(values.iter(), 4);
        assert_eq!((h.min, h.width), (0.0, 0.5));
        assert_eq!(h.counts, vec![2, 0, 1, 1]);
    }
}
