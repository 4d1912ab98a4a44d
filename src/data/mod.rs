//! Data: reading files into a [`Dataset`] (the only place polars appears), sample
//! annotations, and the recorded preprocessing pipeline.
//!
//! [`open`] is the one entry point the app and the CLI share: matrix file → orientation →
//! annotations joined by sample id → pipeline run → [`Dataset`].

pub mod annotations;
pub mod dataset;
pub mod error;
pub mod group_means;
pub mod io;
pub mod matrix;
pub mod preprocess;
pub mod samples;
pub mod single_cell;
pub mod sparse;

use std::path::{Path, PathBuf};

pub use dataset::{Dataset, Histogram, RawData, Source, Summary};
pub use error::{LoadError, LoadErrorKind};
pub use group_means::GroupMeans;
pub use io::{LoadOptions, LoadReport, MatrixChoice, Orientation};
pub use matrix::Matrix;
pub use preprocess::{MissingPolicy, Pipeline, PreprocessError, Step};
pub use sparse::Csr;

/// Everything needed to open a dataset; also what a session records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenRequest {
    /// Matrix file or 10x directory.
    pub matrix: PathBuf,
    /// Annotation files to join, in order.
    pub annotations: Vec<PathBuf>,
    /// Orientation override.
    pub load: LoadOptions,
    /// Preprocessing to run.
    pub pipeline: Pipeline,
    /// Display name; the file stem when `None`.
    pub name: Option<String>,
    /// Average the samples by a grouping after `group_means.members` ran on them; `pipeline`
    /// then runs on the means ([`group_means`]).
    pub group_means: Option<GroupMeans>,
}

/// Why a dataset could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Reading the matrix or an annotation file failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The pipeline failed on this data.
    #[error("preprocessing: {0}")]
    Preprocess(#[from] PreprocessError),
}

/// Opens a dataset: loads the matrix, joins annotation files, runs the pipeline.
pub fn open(request: &OpenRequest, progress: io::Progress<'_>) -> Result<Dataset, OpenError> {
    open_with(request, progress, |_| Ok(None))
}

/// [`open`], joining last the annotation file that `extra` writes from the raw data, if it
/// writes one (`biolens run`: the annotations made from selections, by sample id), before the
/// pipeline runs once.
pub fn open_with(
    request: &OpenRequest,
    progress: io::Progress<'_>,
    extra: impl FnOnce(&RawData) -> Result<Option<std::path::PathBuf>, LoadError>,
) -> Result<Dataset, OpenError> {
    if let Some(means) = &request.group_means {
        // The samples as the file holds them, under the pipeline that runs before averaging;
        // `extra` then writes its annotations for the means.
        let members = OpenRequest { pipeline: means.members.clone(), group_means: None, ..request.clone() };
        let members = open(&members, progress)?;
        progress(None, "Averaging groups");
        let mut averaged = group_means::group_means(&members, &means.by)?;
        if let Some(path) = extra(averaged.raw())? {
            averaged = add_annotations(&averaged, &path, None)?;
        }
        return Ok(if request.pipeline == Pipeline::default() {
            averaged
        } else {
            averaged.with_pipeline(request.pipeline.clone())?
        });
    }
    let mut loaded = io::load_matrix(&request.matrix, &request.load, progress)?;
    let mut join_reports = Vec::with_capacity(request.annotations.len() + 1);
    let mut paths = request.annotations.clone();
    let written = extra(&loaded.data)?;
    paths.extend(written.iter().cloned());
    for path in &paths {
        progress(None, "Joining annotations");
        let table = annotations::read_annotation_table(path, request.load.choice.annotations_sheet.as_deref())?;
        let raw = &loaded.data;
        let (columns, report) = annotations::join(path, raw.sample_ids(), raw.gene_ids(), &table)?;
        loaded.data.set_annotations(columns);
        join_reports.push(report);
    }
    progress(None, "Preprocessing");
    let name = request.name.clone().unwrap_or_else(|| display_name(&request.matrix));
    let source = Source {
        matrix: Some(request.matrix.clone()),
        annotations: paths,
        choice: request.load.choice.clone(),
        group_means: None,
    };
    let mut dataset = Dataset::new(name, source, loaded.report, loaded.data, request.pipeline.clone())?;
    dataset.join_reports = join_reports;
    Ok(dataset)
}

/// Reads an annotations file (of a workbook: sheet `sheet`, else its first) and joins it onto
/// `dataset` by sample id.
pub fn add_annotations(dataset: &Dataset, path: &Path, sheet: Option<&str>) -> Result<Dataset, OpenError> {
    let table = annotations::read_annotation_table(path, sheet)?;
    let raw = dataset.raw();
    let (columns, report) = annotations::join(path, raw.sample_ids(), raw.gene_ids(), &table)?;
    let mut joined = dataset.with_annotations(columns, report, path.to_path_buf())?;
    if sheet.is_some() {
        // Sessions reopen the annotation workbook at the same sheet.
        joined.source.choice.annotations_sheet = sheet.map(str::to_owned);
    }
    Ok(joined)
}

/// A short name for a file: its stem without `.gz`/`.csv`, or the folder name for
/// `expression.*`/`matrix.*` files that sit in a dataset folder.
pub fn display_name(path: &Path) -> String {
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = file.split('.').next().unwrap_or(&file).to_owned();
    let generic = matches!(stem.as_str(), "expression" | "matrix" | "counts" | "data" | "");
    if generic || path.is_dir() {
        let folder = if path.is_dir() { Some(path) } else { path.parent() };
        if let Some(name) = folder.and_then(Path::file_name) {
            return name.to_string_lossy().into_owned();
        }
    }
    stem
}
