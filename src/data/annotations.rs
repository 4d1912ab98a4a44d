//! Sample annotations: categorical or numeric columns, one value per sample, and the join of
//! an annotations file onto a matrix by sample id.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::error::{LoadError, LoadErrorKind};
use super::io::text;

/// A numeric column with integer values and at most this many distinct values is treated as
/// categorical (cluster numbers, class codes, stage numbers).
pub const MAX_INTEGER_LEVELS: usize = 20;

/// The values of one annotation column.
#[derive(Debug, Clone, PartialEq)]
pub enum AnnotationValues {
    /// Classes: `codes[i]` indexes `levels`; `None` is missing.
    Categorical {
        /// The distinct values, sorted (numerically when they are all numbers).
        levels: Vec<String>,
        /// One code per sample.
        codes: Vec<Option<u32>>,
    },
    /// Measurements; `NaN` is missing.
    Numeric(Vec<f64>),
}

/// One named annotation column.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// Column name.
    pub name: String,
    /// One value per sample.
    pub values: AnnotationValues,
}

impl Annotation {
    /// Builds a column from text cells, choosing numeric or categorical: numeric when every
    /// non-missing cell is a number, unless they are few distinct integers
    /// (≤ [`MAX_INTEGER_LEVELS`]) or the column is called `label`/`class`.
    pub fn from_cells(name: &str, cells: &[Option<&str>]) -> Self {
        let parsed: Vec<Option<Option<f64>>> = cells.iter().map(|c| c.map_or(Some(None), text::parse_number)).collect();
        let all_numbers = parsed.iter().all(Option::is_some);
        let values: Vec<f64> = parsed.iter().map(|p| p.flatten().unwrap_or(f64::NAN)).collect();
        let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        let class_like_name = matches!(
            name.to_ascii_lowercase().as_str(),
            "label" | "labels" | "class" | "classes" | "group" | "cluster" | "batch"
        );
        if all_numbers && !present.is_empty() && !class_like_name {
            let integers = present.iter().all(|v| v.fract() == 0.0);
            let mut distinct = present.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            if !(integers && distinct.len() <= MAX_INTEGER_LEVELS) {
                return Self { name: name.to_owned(), values: AnnotationValues::Numeric(values) };
            }
        }
        Self::categorical(name, cells)
    }

    /// Builds a categorical column from text cells (missing tokens become `None`).
    pub fn categorical(name: &str, cells: &[Option<&str>]) -> Self {
        let mut levels: Vec<String> =
            cells.iter().flatten().filter(|c| !text::is_missing_token(c)).map(|c| c.trim().to_owned()).collect();
        levels.sort();
        levels.dedup();
        sort_levels(&mut levels);
        let index: HashMap<&str, u32> = levels.iter().enumerate().map(|(i, l)| (l.as_str(), i as u32)).collect();
        let codes = cells.iter().map(|c| c.and_then(|c| index.get(c.trim()).copied())).collect();
        Self { name: name.to_owned(), values: AnnotationValues::Categorical { levels, codes } }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        match &self.values {
            AnnotationValues::Categorical { codes, .. } => codes.len(),
            AnnotationValues::Numeric(v) => v.len(),
        }
    }

    /// True when the column has no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of sample `i` as text (`None` when missing).
    pub fn value_text(&self, i: usize) -> Option<String> {
        match &self.values {
            AnnotationValues::Categorical { levels, codes } => codes[i].map(|c| levels[c as usize].clone()),
            AnnotationValues::Numeric(v) => (!v[i].is_nan()).then(|| format_number(v[i])),
        }
    }

    /// Keeps only the samples in `index`, in that order.
    #[must_use]
    pub fn subset(&self, index: &[usize]) -> Self {
        let values = match &self.values {
            AnnotationValues::Categorical { levels, codes } => AnnotationValues::Categorical {
                levels: levels.clone(),
                codes: index.iter().map(|&i| codes[i]).collect(),
            },
            AnnotationValues::Numeric(v) => AnnotationValues::Numeric(index.iter().map(|&i| v[i]).collect()),
        };
        Self { name: self.name.clone(), values }
    }

    /// A summary for display and JSON: levels with counts, or the numeric range.
    pub fn summary(&self) -> AnnotationSummary {
        match &self.values {
            AnnotationValues::Categorical { levels, codes } => {
                let mut counts = vec![0usize; levels.len()];
                let mut missing = 0;
                for c in codes {
                    match c {
                        Some(c) => counts[*c as usize] += 1,
                        None => missing += 1,
                    }
                }
                AnnotationSummary::Categorical {
                    name: self.name.clone(),
                    levels: levels.iter().cloned().zip(counts).collect(),
                    missing,
                }
            }
            AnnotationValues::Numeric(v) => {
                let present = v.iter().copied().filter(|x| !x.is_nan());
                let (min, max) = present.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
                AnnotationSummary::Numeric {
                    name: self.name.clone(),
                    min,
                    max,
                    missing: v.iter().filter(|x| x.is_nan()).count(),
                }
            }
        }
    }
}

/// Sorts levels numerically when they are all numbers (so "2" < "16"), else as text.
fn sort_levels(levels: &mut [String]) {
    let numbers: Option<Vec<f64>> = levels.iter().map(|l| l.parse::<f64>().ok()).collect();
    if numbers.is_some() {
        levels.sort_by(|a, b| {
            let (a, b) = (a.parse::<f64>().unwrap_or(0.0), b.parse::<f64>().unwrap_or(0.0));
            a.total_cmp(&b)
        });
    }
}

/// Formats a number compactly (integers without a decimal point).
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// What an annotation column holds, for display and `info --json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnnotationSummary {
    /// Classes and their sizes.
    Categorical {
        /// Column name.
        name: String,
        /// Each level with its count.
        levels: Vec<(String, usize)>,
        /// Samples without a value.
        missing: usize,
    },
    /// A numeric range.
    Numeric {
        /// Column name.
        name: String,
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
        /// Samples without a value.
        missing: usize,
    },
}

/// An annotations file as read: ids and text columns, one row per sample.
#[derive(Debug, Clone)]
pub struct AnnotationTable {
    /// Name of the id column.
    pub id_name: String,
    /// Sample ids in file order.
    pub ids: Vec<String>,
    /// Column names.
    pub names: Vec<String>,
    /// `cells[column][row]`.
    pub cells: Vec<Vec<Option<String>>>,
}

/// Reads an annotations file (CSV/TSV, plain or gzipped, or a sheet of a workbook: `sheet`,
/// else its first): first column sample ids, then one column per annotation. Every cell is
/// read as text, so ids keep leading zeros.
pub fn read_annotation_table(path: &Path, sheet: Option<&str>) -> Result<AnnotationTable, LoadError> {
    let raw = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    if super::io::sheet::is_workbook(&raw) {
        let sheet = super::io::sheet::sheet_as_text(path, &raw, sheet)?;
        let (name, first_column) = (sheet.name.clone(), sheet.first_column);
        return annotation_text(path, &sheet.bytes, b'\t').map_err(|e| e.in_sheet(&name, first_column));
    }
    let bytes = text::without_bom(text::maybe_gunzip(path, raw)?);
    text::check_text(path, &bytes)?;
    let delimiter = text::sniff_delimiter(&bytes);
    let (bytes, sep) = match delimiter {
        text::Delimiter::Byte(b) => (bytes, b),
        text::Delimiter::Whitespace => (text::whitespace_to_tabs(&bytes), b'\t'),
    };
    annotation_text(path, &bytes, sep)
}

fn annotation_text(path: &Path, bytes: &[u8], sep: u8) -> Result<AnnotationTable, LoadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(LoadError::file(path, LoadErrorKind::Empty));
    }
    let header = text::parse_header(path, bytes, sep)?;
    let expected = header.names.len() + 1;
    let mut ids = Vec::new();
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::new(); header.names.len()];
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut line_no = header.line;
    for line in text::lines(&bytes[header.data_offset..]) {
        line_no += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let fields = text::split_fields(line, sep);
        if fields.len() != expected {
            return Err(LoadError::at(path, line_no, None, LoadErrorKind::Ragged { expected, found: fields.len() }));
        }
        let mut fields = fields.into_iter();
        let id = fields.next().unwrap_or_default();
        if id.is_empty() {
            return Err(LoadError::at(path, line_no, None, LoadErrorKind::MissingId));
        }
        if let Some(first_line) = seen.insert(id.clone(), line_no) {
            return Err(LoadError::at(path, line_no, None, LoadErrorKind::DuplicateSampleId { id, first_line }));
        }
        ids.push(id);
        for (column, cell) in cells.iter_mut().zip(fields) {
            column.push((!text::is_missing_token(&cell)).then_some(cell));
        }
    }
    if ids.is_empty() {
        return Err(LoadError::at(path, header.line, None, LoadErrorKind::HeaderOnly));
    }
    Ok(AnnotationTable { id_name: header.id_name, ids, names: header.names, cells })
}

/// How an annotations file matched the matrix.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct JoinReport {
    /// Matrix samples that found a row in the file.
    pub matched: usize,
    /// Matrix samples with no row in the file (their values are missing).
    pub samples_without_annotation: Vec<String>,
    /// File ids that are not samples of the matrix (ignored).
    pub unknown_ids: Vec<String>,
    /// Columns added (a column of the same name is replaced).
    pub columns: Vec<String>,
}

impl JoinReport {
    /// One line for the status bar or the CLI.
    pub fn describe(&self) -> String {
        let total = self.matched + self.samples_without_annotation.len();
        let mut text = format!("{} of {} samples matched", self.matched, total);
        if !self.samples_without_annotation.is_empty() {
            let _ = write!(text, "; without annotation: {}", preview(&self.samples_without_annotation));
        }
        if !self.unknown_ids.is_empty() {
            let _ = write!(text, "; {} ids not in the matrix: {}", self.unknown_ids.len(), preview(&self.unknown_ids));
        }
        text
    }
}

fn preview(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    let head = ids.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > SHOWN { format!("{head}, … ({} in all)", ids.len()) } else { head }
}

/// Joins `table` onto samples `sample_ids`, returning the new columns and the report.
/// Fails when no id matches (naming the likely cause: the matrix may be transposed).
pub fn join(
    path: &Path,
    sample_ids: &[String],
    gene_ids: &[String],
    table: &AnnotationTable,
) -> Result<(Vec<Annotation>, JoinReport), LoadError> {
    let row_of: HashMap<&str, usize> = table.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let rows: Vec<Option<usize>> = sample_ids.iter().map(|s| row_of.get(s.as_str()).copied()).collect();
    let matched = rows.iter().flatten().count();
    if matched == 0 {
        let genes: std::collections::HashSet<&str> = gene_ids.iter().map(String::as_str).collect();
        let gene_hits = table.ids.iter().filter(|id| genes.contains(id.as_str())).count();
        let hint = if gene_hits > 0 {
            format!(" ({gene_hits} of them are gene ids: is the matrix transposed? Use Transpose)")
        } else {
            String::new()
        };
        return Err(LoadError::file(
            path,
            LoadErrorKind::Annotations(format!(
                "none of its {} ids matches a sample id of the matrix{hint}",
                table.ids.len()
            )),
        ));
    }
    let sample_set: std::collections::HashSet<&str> = sample_ids.iter().map(String::as_str).collect();
    let report = JoinReport {
        matched,
        samples_without_annotation: sample_ids
            .iter()
            .zip(&rows)
            .filter(|(_, r)| r.is_none())
            .map(|(s, _)| s.clone())
            .collect(),
        unknown_ids: table.ids.iter().filter(|id| !sample_set.contains(id.as_str())).cloned().collect(),
        columns: table.names.clone(),
    };
    let columns = table
        .names
        .iter()
        .zip(&table.cells)
        .map(|(name, cells)| {
            let aligned: Vec<Option<&str>> = rows.iter().map(|r| r.and_then(|r| cells[r].as_deref())).collect();
            Annotation::from_cells(name, &aligned)
        })
        .collect();
    Ok((columns, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_codes_are_categorical_and_sorted_numerically() {
        let a = Annotation::from_cells("stage", &[Some("16"), Some("2"), Some("4"), None]);
        let AnnotationValues::Categorical { levels, codes } = &a.values else {
            panic!("expected categorical");
        };
        assert_eq!(levels, &["2", "4", "16"]);
        assert_eq!(codes, &[Some(2), Some(0), Some(1), None]);
    }

    #[test]
    fn real_numbers_are_numeric() {
        let a = Annotation::from_cells("percent_mito", &[Some("0.02"), Some("0.5"), Some("NA")]);
        let AnnotationValues::Numeric(v) = &a.values else {
            panic!("expected numeric");
        };
        assert_eq!(v[..2], [0.02, 0.5]);
        assert!(v[2].is_nan());
    }

    #[test]
    fn label_columns_stay_categorical_even_with_many_numbers() {
        let cells: Vec<String> = (0..50).map(|i| i.to_string()).collect();
        let refs: Vec<Option<&str>> = cells.iter().map(|c| Some(c.as_str())).collect();
        assert!(matches!(Annotation::from_cells("label", &refs).values, AnnotationValues::Categorical { .. }));
        assert!(matches!(Annotation::from_cells("n_counts", &refs).values, AnnotationValues::Numeric(_)));
    }
}
