//! Reading matrices: CSV, TSV and white-space separated text (plain or gzipped), Parquet,
//! and 10x Matrix Market directories. The only place polars appears.
//!
//! # How it works
//! Every tabular format becomes a polars `DataFrame` whose first column holds the row ids
//! (as text: leading zeros are kept) and whose other columns are numbers or text. From its
//! shape and names we decide the orientation ([`detect_orientation`], overridable), then
//! copy the numeric columns into one samples × genes `f64` matrix, dropping each polars
//! column once copied so that peak memory stays near two matrices. Text columns of a
//! samples × genes table become annotations. Missing cells (empty, `NA`, `NaN`, …) become
//! `NaN` and are counted; the preprocessing pipeline decides what to do with them.

pub mod mtx;
pub mod text;

use std::path::Path;
use std::sync::Arc;

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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Force an orientation instead of detecting it.
    pub orientation: Option<Orientation>,
}

/// What the loader found and decided, for the status bar and `info`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoadReport {
    /// The format read, e.g. "CSV (comma)", "gzipped TSV (tab)", "Parquet".
    pub format: String,
    /// The orientation used.
    pub orientation: Orientation,
    /// Why: detected from what, or chosen by the user.
    pub orientation_reason: String,
    /// Missing cells in the matrix.
    pub missing: usize,
    /// Anything else worth telling (ignored columns, …).
    pub notes: Vec<String>,
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
    if path.is_dir() {
        progress(None, "Reading 10x directory");
        return mtx::load_10x_dir(path);
    }
    progress(Some(0.0), "Reading file");
    let raw = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    if raw.is_empty() {
        return Err(LoadError::file(path, LoadErrorKind::Empty));
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
    read_text_table(path, bytes, options, gzipped, progress)
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
    text::check_text(path, &bytes)?;
    let delimiter = text::sniff_delimiter(&bytes);
    let (bytes, sep) = match delimiter {
        text::Delimiter::Byte(b) => (bytes, b),
        text::Delimiter::Whitespace => (text::whitespace_to_tabs(&bytes), b'\t'),
    };
    let header = text::parse_header(path, &bytes, sep)?;
    if header.names.is_empty() {
        return Err(LoadError::file(path, LoadErrorKind::NoNumericColumns));
    }
    let numeric = text::probe_numeric_columns(&bytes, &header, sep, 1000);
    progress(Some(0.2), "Parsing");
    let df = parse_with_polars(&bytes[header.data_offset..], &header, sep, &numeric).map_err(|err| {
        text::diagnose(path, &bytes, &header, sep, &numeric)
            .unwrap_or_else(|| LoadError::file(path, LoadErrorKind::Parse(first_line(&err.to_string()))))
    })?;
    if df.height() == 0 {
        return Err(LoadError::at(path, header.line, None, LoadErrorKind::HeaderOnly));
    }
    // Nulls where the file has none could be short rows: polars pads them silently.
    let nulls: usize = df.columns().iter().map(Column::null_count).sum();
    if nulls > 0
        && let Some(err) = text::diagnose(path, &bytes, &header, sep, &numeric)
    {
        return Err(err);
    }
    drop(bytes);
    let kind = match sep {
        b'\t' if delimiter == text::Delimiter::Whitespace => "text (white space)",
        b'\t' => "TSV (tab)",
        b',' => "CSV (comma)",
        b';' => "CSV (semicolon)",
        _ => "text (pipe)",
    };
    let format = if gzipped { format!("gzipped {kind}") } else { kind.to_owned() };
    progress(Some(0.7), "Building matrix");
    let first_data_line = header.line + 1;
    let table = TableSource {
        path,
        id_name: header.id_name,
        names: header.names,
        first_data_line,
    };
    table.into_loaded(df, options, format)
}

/// Reads the data lines with a fixed schema: column 0 text, then numbers or text.
fn parse_with_polars(data: &[u8], header: &Header, sep: u8, numeric: &[bool]) -> PolarsResult<DataFrame> {
    // Synthetic names: ours may be empty or collide with each other's case; we keep ours by position.
    let mut fields = Vec::with_capacity(numeric.len() + 1);
    fields.push(Field::new("c0".into(), DataType::String));
    for (j, &is_number) in numeric.iter().enumerate() {
        let dtype = if is_number { DataType::Float64 } else { DataType::String };
        fields.push(Field::new(format!("c{}", j + 1).into(), dtype));
    }
    debug_assert_eq!(fields.len(), header.names.len() + 1);
    let null_values = NullValues::AllColumns(text::MISSING_TOKENS.iter().map(|&t| t.into()).collect());
    CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(Arc::new(Schema::from_iter(fields))))
        .with_parse_options(
            CsvParseOptions::default()
                .with_separator(sep)
                .with_quote_char(Some(b'"'))
                .with_null_values(Some(null_values)),
        )
        .into_reader_with_file_handle(std::io::Cursor::new(data))
        .finish()
}

use text::Header;

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
    columns[0] = columns[0]
        .cast(&DataType::String)
        .map_err(|e| LoadError::file(path, LoadErrorKind::Parquet(e.to_string())))?;
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
    let df = DataFrame::new_infer_height(columns).map_err(|e| LoadError::file(path, LoadErrorKind::Parquet(e.to_string())))?;
    let mut names = names.into_iter();
    let id_name = names.next().unwrap_or_default();
    let table = TableSource {
        path,
        id_name,
        names: names.collect(),
        first_data_line: 1,
    };
    table.into_loaded(df, options, "Parquet".to_owned())
}

/// Words that name a gene axis or a sample axis in an id column's header.
const GENE_WORDS: [&str; 12] = [
    "gene", "genes", "gene_id", "gene_ids", "gene_name", "gene_symbol", "symbol", "feature", "features", "probe",
    "probe_id", "id_ref",
];
const SAMPLE_WORDS: [&str; 10] = [
    "sample", "samples", "sample_id", "sample_ids", "sample_name", "cell", "cells", "cell_id", "barcode", "barcodes",
];

/// Decides the orientation of a table with `rows` data rows and `numeric_columns` numeric
/// columns, from the id column's name, the presence of text (annotation) columns, and
/// shape (the longer axis is usually genes). Returns the orientation and why.
pub fn detect_orientation(id_name: &str, rows: usize, numeric_columns: usize, has_text_columns: bool) -> (Orientation, String) {
    let id = id_name.trim().to_ascii_lowercase();
    if GENE_WORDS.contains(&id.as_str()) {
        return (
            Orientation::GenesInRows,
            format!("detected: the first column is named '{id_name}'"),
        );
    }
    if SAMPLE_WORDS.contains(&id.as_str()) {
        return (
            Orientation::SamplesInRows,
            format!("detected: the first column is named '{id_name}'"),
        );
    }
    if has_text_columns {
        return (
            Orientation::SamplesInRows,
            "detected: text columns (sample annotations) are present".to_owned(),
        );
    }
    if rows > numeric_columns {
        (
            Orientation::GenesInRows,
            format!("detected: more rows ({rows}) than columns ({numeric_columns}); the longer axis is usually genes"),
        )
    } else {
        (
            Orientation::SamplesInRows,
            format!("detected: more columns ({numeric_columns}) than rows ({rows}); the longer axis is usually genes"),
        )
    }
}

/// A parsed table on its way to a [`RawData`].
struct TableSource<'a> {
    path: &'a Path,
    id_name: String,
    names: Vec<String>,
    first_data_line: usize,
}

impl TableSource<'_> {
    fn into_loaded(self, df: DataFrame, options: &LoadOptions, format: String) -> Result<Loaded, LoadError> {
        let path = self.path;
        let mut columns = df.into_columns().into_iter();
        let Some(id_column) = columns.next() else {
            return Err(LoadError::file(path, LoadErrorKind::NoNumericColumns));
        };
        let row_ids = self.row_ids(&id_column)?;
        drop(id_column);
        let value_columns: Vec<(String, Column)> = self.names.iter().cloned().zip(columns).collect();
        let numeric_count = value_columns.iter().filter(|(_, c)| c.dtype() == &DataType::Float64).count();
        if numeric_count == 0 {
            return Err(LoadError::file(path, LoadErrorKind::NoNumericColumns));
        }
        let has_text = numeric_count < value_columns.len();
        let (orientation, reason) = match options.orientation {
            Some(o) => (o, "chosen by the user".to_owned()),
            None => detect_orientation(&self.id_name, row_ids.len(), numeric_count, has_text),
        };
        let (numeric, text): (Vec<_>, Vec<_>) = value_columns
            .into_iter()
            .partition(|(_, c)| c.dtype() == &DataType::Float64);
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
        let (matrix, missing) = fill_matrix(numeric, row_ids.len(), orientation);
        let (sample_ids, gene_ids) = match orientation {
            Orientation::SamplesInRows => (row_ids, numeric_names),
            Orientation::GenesInRows => (numeric_names, row_ids),
        };
        self.check_unique(&sample_ids, &gene_ids, orientation)?;
        if missing > 0 {
            notes.push(format!("{missing} missing values (empty, NA or NaN)"));
        }
        let data = RawData::new(matrix, sample_ids, gene_ids, annotations, missing);
        Ok(Loaded {
            data,
            report: LoadReport {
                format,
                orientation,
                orientation_reason: reason,
                missing,
                notes,
            },
        })
    }

    fn row_ids(&self, column: &Column) -> Result<Vec<String>, LoadError> {
        let ids = column
            .str()
            .map_err(|e| LoadError::file(self.path, LoadErrorKind::Parse(e.to_string())))?;
        ids.iter()
            .enumerate()
            .map(|(i, id)| match id {
                Some(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
                _ => Err(LoadError::at(
                    self.path,
                    self.first_data_line + i,
                    None,
                    LoadErrorKind::MissingId,
                )),
            })
            .collect()
    }

    /// Checks sample and gene ids are unique, naming the first repeat.
    fn check_unique(&self, sample_ids: &[String], gene_ids: &[String], orientation: Orientation) -> Result<(), LoadError> {
        let (row_ids, column_ids, rows_are_samples) = match orientation {
            Orientation::SamplesInRows => (sample_ids, gene_ids, true),
            Orientation::GenesInRows => (gene_ids, sample_ids, false),
        };
        let mut seen = std::collections::HashMap::with_capacity(row_ids.len());
        for (i, id) in row_ids.iter().enumerate() {
            if let Some(first) = seen.insert(id.as_str(), i) {
                let line = self.first_data_line + i;
                let first_line = self.first_data_line + first;
                let kind = if rows_are_samples {
                    LoadErrorKind::DuplicateSampleId { id: id.clone(), first_line }
                } else {
                    LoadErrorKind::DuplicateGeneId {
                        id: id.clone(),
                        first_column: first_line,
                    }
                };
                return Err(LoadError::at(self.path, line, None, kind));
            }
        }
        // Column names were already checked for duplicates when the header was parsed
        // (text); Parquet names are unique by construction.
        debug_assert!(column_ids.len() <= self.names.len());
        Ok(())
    }
}

/// Copies numeric columns into a samples × genes matrix (NaN for missing), dropping each
/// column once copied. Returns the matrix and its missing-cell count.
fn fill_matrix(numeric: Vec<(String, Column)>, rows: usize, orientation: Orientation) -> (Array2<f64>, usize) {
    let n_cols = numeric.len();
    let shape = match orientation {
        Orientation::SamplesInRows => (rows, n_cols),
        Orientation::GenesInRows => (n_cols, rows),
    };
    let mut matrix = Array2::<f64>::zeros(shape);
    let mut missing = 0;
    for (j, (_, column)) in numeric.into_iter().enumerate() {
        let Ok(values) = column.f64() else { continue };
        missing += values.null_count();
        let mut target = match orientation {
            Orientation::SamplesInRows => matrix.column_mut(j),
            Orientation::GenesInRows => matrix.row_mut(j),
        };
        if let (Ok(slice), 0) = (values.cont_slice(), values.null_count()) {
            for (t, &v) in target.iter_mut().zip(slice) {
                *t = v;
            }
        } else {
            for (t, v) in target.iter_mut().zip(values.iter()) {
                *t = v.unwrap_or(f64::NAN);
            }
        }
        // `column` drops here, releasing its memory before the next one is copied.
    }
    // Values that parsed to NaN (e.g. "nan" spelled oddly) count as missing too.
    let nan_total = matrix.iter().filter(|v| v.is_nan()).count();
    (matrix, missing.max(nan_total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_from_names_then_shape() {
        assert_eq!(detect_orientation("gene_id", 5, 100, false).0, Orientation::GenesInRows);
        assert_eq!(detect_orientation("sample_id", 500, 10, false).0, Orientation::SamplesInRows);
        assert_eq!(detect_orientation("", 500, 10, false).0, Orientation::GenesInRows);
        assert_eq!(detect_orientation("", 10, 500, false).0, Orientation::SamplesInRows);
        assert_eq!(detect_orientation("", 500, 10, true).0, Orientation::SamplesInRows);
    }
}
