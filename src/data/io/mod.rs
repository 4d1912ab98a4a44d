//! Reading matrices: CSV, TSV and white-space separated text (plain or gzipped), Parquet,
//! spreadsheets ([`sheet`]), GEO series matrix files ([`geo`]), HDF5 single-cell files, and
//! 10x Matrix Market directories. The only place polars appears (Parquet).
//!
//! # How it works
//! Delimited text is parsed by [`delimited`] straight into the samples × genes `f64`
//! matrix (its docs say why not polars); Parquet is read by polars and copied column by
//! column, each polars column dropped once copied. Row ids are always text (leading zeros
//! are kept). From the table's shape and names we decide the orientation
//! ([`detect_orientation`], overridable). Text columns of a samples × genes table become
//! annotations. Missing cells (empty, `NA`, `NaN`, …) become `NaN` and are counted; the
//! preprocessing pipeline decides what to do with them.

pub mod delimited;
pub mod distance_matrix;
pub mod geo;
pub mod hdf5;
pub mod mtx;
pub mod sheet;
pub mod text;

use std::path::Path;

use ndarray::Array2;
use polars::prelude::*;
use serde::Serialize;

use super::annotations::Annotation;
use super::dataset::RawData;
use super::error::{LoadError, LoadErrorKind};

/// Which axis of the file holds the samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// One row per sample, one column per gene.
    SamplesInRows,
    /// One row per gene, one column per sample.
    GenesInRows,
}

impl Orientation {
    /// The other orientation.
    #[must_use]
    pub fn flipped(self) -> Self {
        match self {
            Self::SamplesInRows => Self::GenesInRows,
            Self::GenesInRows => Self::SamplesInRows,
        }
    }

    /// A short human description.
    pub fn describe(self) -> &'static str {
        match self {
            Self::SamplesInRows => "samples in rows",
            Self::GenesInRows => "genes in rows",
        }
    }
}

/// Options of [`load_matrix`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LoadOptions {
    /// Force an orientation instead of detecting it.
    pub orientation: Option<Orientation>,
    /// Which matrix of a single-cell file.
    #[serde(flatten)]
    pub choice: MatrixChoice,
}

/// Which matrix of a file to read; the default reads X (h5ad), `/matrix` (Loom), the only
/// genome's Gene Expression counts (Cell Ranger) or a workbook's first sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MatrixChoice {
    /// h5ad/Loom: read this layer instead of X.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// h5ad: read `raw/X` (and `raw/var`) instead of X.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub use_raw: bool,
    /// Cell Ranger v2: the genome group to read (needed when there are several).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genome: Option<String>,
    /// Cell Ranger v3: the feature type to keep (default "Gene Expression").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_type: Option<String>,
    /// Spreadsheets: the sheet holding the matrix (default: the first visible one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Spreadsheets: the sheet read from annotation workbooks (default: their first visible one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations_sheet: Option<String>,
}

/// What the loader found and decided, for the status bar and `info`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct LoadReport {
    /// The format read, e.g. "CSV (comma)", "gzipped TSV (tab)", "Parquet".
    pub format: String,
    /// The orientation used.
    pub orientation: Orientation,
    /// Why: detected from what, or chosen by the user.
    pub orientation_reason: String,
    /// True when nothing but the table's shape decided the orientation (no id-column name,
    /// no text columns, no choice by the user): a guess worth showing prominently.
    #[serde(default)]
    pub orientation_by_shape: bool,
    /// Missing cells in the matrix.
    pub missing: usize,
    /// Anything else worth telling (ignored columns, …).
    pub notes: Vec<String>,
    /// What a single-cell file (h5ad, Loom, Cell Ranger) holds besides the matrix.
    #[serde(default)]
    pub single_cell: Option<hdf5::SingleCellInfo>,
}

/// A loaded matrix and its report.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The raw data (before preprocessing).
    pub data: RawData,
    /// How it was read.
    pub report: LoadReport,
}

/// Progress callback: fraction in `0..=1` (when known) and a short stage name.
pub type Progress<'a> = &'a dyn Fn(Option<f32>, &str);

/// Loads a matrix file (or a 10x directory), detecting its format from its content.
pub fn load_matrix(path: &Path, options: &LoadOptions, progress: Progress<'_>) -> Result<Loaded, LoadError> {
    let mut loaded = read_matrix(path, options, progress)?;
    let file = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let origin = match &loaded.report.single_cell {
        Some(info) => format!("{file}, /{}", info.matrix),
        None => file,
    };
    loaded.data.set_origin(origin);
    Ok(loaded)
}

fn read_matrix(path: &Path, options: &LoadOptions, progress: Progress<'_>) -> Result<Loaded, LoadError> {
    if path.is_dir() {
        progress(None, "Reading 10x directory");
        return mtx::load_10x_dir(path);
    }
    progress(Some(0.0), "Reading file");
    if starts_as_hdf5(path)? {
        return hdf5::load(path, options, progress);
    }
    let raw = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    if raw.is_empty() {
        return Err(LoadError::file(path, LoadErrorKind::Empty));
    }
    if sheet::is_workbook(&raw) {
        progress(Some(0.1), "Reading spreadsheet");
        return load_workbook(path, &raw, options, progress);
    }
    if raw.starts_with(b"PAR1") {
        progress(Some(0.3), "Reading Parquet");
        return load_parquet(path, raw, options);
    }
    let gzipped = raw.starts_with(&[0x1f, 0x8b]);
    if gzipped {
        progress(Some(0.1), "Decompressing");
    }
    let bytes = text::maybe_gunzip(path, raw)?;
    if bytes.starts_with(b"%%MatrixMarket") {
        return mtx::load_mtx_file(path, &bytes);
    }
    if geo::is_series_matrix(&bytes) {
        progress(Some(0.2), "Reading GEO series matrix");
        return geo::load(path, &bytes, gzipped, options, progress);
    }
    read_text_table(path, bytes, options, gzipped, progress)
}

/// Reads the chosen sheet of a workbook under the rules of a CSV file; errors name its cells.
fn load_workbook(path: &Path, raw: &[u8], options: &LoadOptions, progress: Progress<'_>) -> Result<Loaded, LoadError> {
    let sheet = sheet::sheet_as_text(path, raw, options.choice.sheet.as_deref())?;
    let format = format!("{}, sheet '{}'", sheet.format, sheet.name);
    let (name, first_column) = (sheet.name.clone(), sheet.first_column);
    let mut loaded = parse_table(path, sheet.bytes, b'\t', format, options, progress)
        .map_err(|e| e.in_sheet(&name, first_column))?;
    if sheet.sheets.len() > 1 {
        loaded.report.notes.push(format!(
            "read sheet '{name}', one of {} sheets ({}); choose another in the Open dialog or with --sheet",
            sheet.sheets.len(),
            sheet.sheets.join(", ")
        ));
    }
    Ok(loaded)
}

/// True when the file begins with the HDF5 signature (read without loading the file).
fn starts_as_hdf5(path: &Path) -> Result<bool, LoadError> {
    Ok(hdf5::is_hdf5(&file_head(path)?))
}

/// A file's first 8 bytes (fewer when it is shorter): enough for every signature we know.
pub(crate) fn file_head(path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read as _;
    let mut head = vec![0u8; 8];
    let mut file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    let n = file.read(&mut head).map_err(|e| LoadError::io(path, e))?;
    head.truncate(n);
    Ok(head)
}

/// Parses delimited text already in memory (the fuzz target's entry point).
pub fn read_text_table(
    path: &Path,
    bytes: Vec<u8>,
    options: &LoadOptions,
    gzipped: bool,
    progress: Progress<'_>,
) -> Result<Loaded, LoadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(LoadError::file(path, LoadErrorKind::Empty));
    }
    let bytes = text::without_bom(bytes);
    text::check_text(path, &bytes)?;
    let delimiter = text::sniff_delimiter(&bytes);
    let (bytes, sep) = match delimiter {
        text::Delimiter::Byte(b) => (bytes, b),
        text::Delimiter::Whitespace => (text::whitespace_to_tabs(&bytes), b'\t'),
    };
    let kind = match sep {
        b'\t' if delimiter == text::Delimiter::Whitespace => "text (white space)",
        b'\t' => "TSV (tab)",
        b',' => "CSV (comma)",
        b';' => "CSV (semicolon)",
        _ => "text (pipe)",
    };
    let format = if gzipped { format!("gzipped {kind}") } else { kind.to_owned() };
    parse_table(path, bytes, sep, format, options, progress)
}

/// Parses a table already split by `sep` (a text file, or a sheet or GEO table written as
/// tab-separated text) under the one set of rules: orientation, ids, annotations, missing values.
pub(crate) fn parse_table(
    path: &Path,
    bytes: Vec<u8>,
    sep: u8,
    format: String,
    options: &LoadOptions,
    progress: Progress<'_>,
) -> Result<Loaded, LoadError> {
    let header = text::parse_header(path, &bytes, sep)?;
    if header.names.is_empty() {
        return Err(LoadError::file(path, LoadErrorKind::NoNumericColumns));
    }
    let numeric = delimited::probe_numeric_columns(&bytes, &header, sep, PROBE_CELLS);
    progress(Some(0.2), "Parsing");
    let mut decided = None;
    let (table, orientation) = delimited::parse(path, &bytes, &header, sep, &numeric, |rows, columns, has_text| {
        let detected = match options.orientation {
            Some(o) => DetectedOrientation::chosen(o),
            None => detect_orientation(&header.id_name, rows, columns, has_text),
        };
        let orientation = detected.orientation;
        decided = Some(detected);
        orientation
    })?;
    let DetectedOrientation { reason, by_shape, .. } =
        decided.unwrap_or_else(|| DetectedOrientation::chosen(orientation));
    drop(bytes);
    progress(Some(0.8), "Checking ids");
    check_unique_rows(path, &table.row_ids, &table.row_lines, orientation)?;
    let mut notes = Vec::new();
    let mut annotations = Vec::new();
    for (name, cells) in &table.text_columns {
        if orientation == Orientation::SamplesInRows {
            let cells: Vec<Option<&str>> = cells.iter().map(Option::as_deref).collect();
            annotations.push(Annotation::from_cells(name, &cells));
        } else {
            notes.push(format!("text column '{name}' ignored (gene annotations are not used)"));
        }
    }
    let missing = table.missing;
    if missing > 0 {
        notes.push(format!("{missing} missing values (empty, NA or NaN)"));
    }
    let (sample_ids, gene_ids) = match orientation {
        Orientation::SamplesInRows => (table.row_ids, table.numeric_names),
        Orientation::GenesInRows => (table.numeric_names, table.row_ids),
    };
    Ok(Loaded {
        data: RawData::new(table.matrix, sample_ids, gene_ids, annotations, missing),
        report: LoadReport {
            format,
            orientation,
            orientation_reason: reason,
            orientation_by_shape: by_shape,
            missing,
            notes,
            single_cell: None,
        },
    })
}

/// How many cells the column-type probe reads at most.
const PROBE_CELLS: usize = 200_000;

/// Checks the row ids of a table are unique, naming the first repeat and its lines.
fn check_unique_rows(
    path: &Path,
    row_ids: &[String],
    row_lines: &[usize],
    orientation: Orientation,
) -> Result<(), LoadError> {
    let mut seen = std::collections::HashMap::with_capacity(row_ids.len());
    for (i, id) in row_ids.iter().enumerate() {
        if let Some(first) = seen.insert(id.as_str(), i) {
            let kind = match orientation {
                Orientation::SamplesInRows => {
                    LoadErrorKind::DuplicateSampleId { id: id.clone(), first_line: row_lines[first] }
                }
                Orientation::GenesInRows => {
                    LoadErrorKind::DuplicateGeneId { id: id.clone(), first_line: row_lines[first] }
                }
            };
            return Err(LoadError::at(path, row_lines[i], None, kind));
        }
    }
    Ok(())
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

/// Reads a Parquet file: first column ids, then numeric (genes or samples) and text columns.
fn load_parquet(path: &Path, raw: Vec<u8>, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let df = ParquetReader::new(std::io::Cursor::new(raw))
        .finish()
        .map_err(|e| LoadError::file(path, LoadErrorKind::Parquet(first_line(&e.to_string()))))?;
    if df.width() < 2 {
        return Err(LoadError::file(path, LoadErrorKind::NoNumericColumns));
    }
    if df.height() == 0 {
        return Err(LoadError::file(path, LoadErrorKind::HeaderOnly));
    }
    let names: Vec<String> = df.get_column_names().iter().map(ToString::to_string).collect();
    let mut columns = df.into_columns();
    // Ids are text; numeric id columns are rendered as text.
    columns[0] =
        columns[0].cast(&DataType::String).map_err(|e| LoadError::file(path, LoadErrorKind::Parquet(e.to_string())))?;
    for column in columns.iter_mut().skip(1) {
        if column.dtype().is_primitive_numeric() || column.dtype() == &DataType::Boolean {
            *column = column
                .cast(&DataType::Float64)
                .map_err(|e| LoadError::file(path, LoadErrorKind::Parquet(e.to_string())))?;
        } else if column.dtype() != &DataType::String {
            *column = column
                .cast(&DataType::String)
                .map_err(|e| LoadError::file(path, LoadErrorKind::Parquet(e.to_string())))?;
        }
    }
    let df = DataFrame::new_infer_height(columns)
        .map_err(|e| LoadError::file(path, LoadErrorKind::Parquet(e.to_string())))?;
    parquet_to_loaded(path, df, &names, options)
}

/// Words that name a gene axis or a sample axis in an id column's header.
const GENE_WORDS: [&str; 12] = [
    "gene",
    "genes",
    "gene_id",
    "gene_ids",
    "gene_name",
    "gene_symbol",
    "symbol",
    "feature",
    "features",
    "probe",
    "probe_id",
    "id_ref",
];
const SAMPLE_WORDS: [&str; 10] =
    ["sample", "samples", "sample_id", "sample_ids", "sample_name", "cell", "cells", "cell_id", "barcode", "barcodes"];

/// An orientation and how it was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedOrientation {
    /// The orientation.
    pub orientation: Orientation,
    /// Why, for the report.
    pub reason: String,
    /// Only the table's shape decided it.
    pub by_shape: bool,
}

impl DetectedOrientation {
    /// An orientation the user chose.
    fn chosen(orientation: Orientation) -> Self {
        Self { orientation, reason: "chosen by the user".to_owned(), by_shape: false }
    }
}

/// Decides the orientation of a table with `rows` data rows and `numeric_columns` numeric
/// columns, from the id column's name, the presence of text (annotation) columns, and
/// shape (the longer axis is usually genes). Returns the orientation, why, and whether the
/// shape alone decided.
pub fn detect_orientation(
    id_name: &str,
    rows: usize,
    numeric_columns: usize,
    has_text_columns: bool,
) -> DetectedOrientation {
    let id = id_name.trim().to_ascii_lowercase();
    let by_name = |orientation| DetectedOrientation {
        orientation,
        reason: format!("detected: the first column is named '{id_name}'"),
        by_shape: false,
    };
    if GENE_WORDS.contains(&id.as_str()) {
        return by_name(Orientation::GenesInRows);
    }
    if SAMPLE_WORDS.contains(&id.as_str()) {
        return by_name(Orientation::SamplesInRows);
    }
    if has_text_columns {
        return DetectedOrientation {
            orientation: Orientation::SamplesInRows,
            reason: "detected: text columns (sample annotations) are present".to_owned(),
            by_shape: false,
        };
    }
    let (orientation, reason) = if rows > numeric_columns {
        (
            Orientation::GenesInRows,
            format!("detected: more rows ({rows}) than columns ({numeric_columns}); the longer axis is usually genes"),
        )
    } else {
        (
            Orientation::SamplesInRows,
            format!("detected: more columns ({numeric_columns}) than rows ({rows}); the longer axis is usually genes"),
        )
    };
    DetectedOrientation { orientation, reason, by_shape: true }
}

/// Builds the raw data from Parquet columns (ids first, already cast to text and `f64`).
fn parquet_to_loaded(path: &Path, df: DataFrame, names: &[String], options: &LoadOptions) -> Result<Loaded, LoadError> {
    let mut columns = df.into_columns().into_iter();
    let Some(id_column) = columns.next() else {
        return Err(LoadError::file(path, LoadErrorKind::NoNumericColumns));
    };
    let ids = id_column.str().map_err(|e| LoadError::file(path, LoadErrorKind::Parquet(e.to_string())))?;
    let row_ids: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| match id {
            Some(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
            _ => Err(LoadError::at(path, i + 1, None, LoadErrorKind::MissingId)),
        })
        .collect::<Result<_, _>>()?;
    drop(id_column);
    let (numeric, text): (Vec<_>, Vec<_>) =
        names[1..].iter().cloned().zip(columns).partition(|(_, c)| c.dtype() == &DataType::Float64);
    if numeric.is_empty() {
        return Err(LoadError::file(path, LoadErrorKind::NoNumericColumns));
    }
    let DetectedOrientation { orientation, reason, by_shape } = match options.orientation {
        Some(o) => DetectedOrientation::chosen(o),
        None => detect_orientation(&names[0], row_ids.len(), numeric.len(), !text.is_empty()),
    };
    let row_numbers: Vec<usize> = (1..=row_ids.len()).collect();
    check_unique_rows(path, &row_ids, &row_numbers, orientation)?;
    let mut notes = Vec::new();
    let mut annotations = Vec::new();
    for (name, column) in &text {
        if orientation == Orientation::SamplesInRows {
            let cells: Vec<Option<&str>> = column.str().map(|s| s.iter().collect()).unwrap_or_default();
            annotations.push(Annotation::from_cells(name, &cells));
        } else {
            notes.push(format!("text column '{name}' ignored (gene annotations are not used)"));
        }
    }
    let numeric_names: Vec<String> = numeric.iter().map(|(n, _)| n.clone()).collect();
    let shape = match orientation {
        Orientation::SamplesInRows => (row_ids.len(), numeric.len()),
        Orientation::GenesInRows => (numeric.len(), row_ids.len()),
    };
    let mut matrix = Array2::<f64>::zeros(shape);
    for (j, (_, column)) in numeric.into_iter().enumerate() {
        let Ok(values) = column.f64() else { continue };
        let mut target = match orientation {
            Orientation::SamplesInRows => matrix.column_mut(j),
            Orientation::GenesInRows => matrix.row_mut(j),
        };
        for (t, v) in target.iter_mut().zip(values.iter()) {
            *t = v.unwrap_or(f64::NAN);
        }
        // `column` drops here, releasing its memory before the next one is copied.
    }
    let missing = matrix.iter().filter(|v| v.is_nan()).count();
    if missing > 0 {
        notes.push(format!("{missing} missing values (null or NaN)"));
    }
    let (sample_ids, gene_ids) = match orientation {
        Orientation::SamplesInRows => (row_ids, numeric_names),
        Orientation::GenesInRows => (numeric_names, row_ids),
    };
    Ok(Loaded {
        data: RawData::new(matrix, sample_ids, gene_ids, annotations, missing),
        report: LoadReport {
            format: "Parquet".to_owned(),
            orientation,
            orientation_reason: reason,
            orientation_by_shape: by_shape,
            missing,
            notes,
            single_cell: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_from_names_then_shape() {
        let detect = |id, rows, columns, text| {
            let d = detect_orientation(id, rows, columns, text);
            (d.orientation, d.by_shape)
        };
        assert_eq!(detect("gene_id", 5, 100, false), (Orientation::GenesInRows, false));
        assert_eq!(detect("sample_id", 500, 10, false), (Orientation::SamplesInRows, false));
        assert_eq!(detect("", 500, 10, false), (Orientation::GenesInRows, true));
        assert_eq!(detect("", 10, 500, false), (Orientation::SamplesInRows, true));
        assert_eq!(detect("", 500, 10, true), (Orientation::SamplesInRows, false));
    }

    #[test]
    fn reports_without_the_shape_flag_still_read() {
        let old =
            r#"{"format":"CSV (comma)","orientation":"genes_in_rows","orientation_reason":"x","missing":0,"notes":[]}"#;
        let report: LoadReport = serde_json::from_str(old).unwrap();
        assert!(!report.orientation_by_shape);
    }
}
