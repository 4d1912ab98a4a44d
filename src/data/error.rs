//! Errors of loading: one message that names the file and, where it applies, the line and
//! column, so a user can open the file and find the problem.

use std::fmt;
use std::path::{Path, PathBuf};

/// A column of the input file, 1-based as a spreadsheet or text editor would number it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRef {
    /// 1-based column number in the file.
    pub number: usize,
    /// The column's header text.
    pub name: String,
}

/// What went wrong while loading a file. Displayed through [`LoadError`], which adds where.
#[derive(Debug, thiserror::Error)]
pub enum LoadErrorKind {
    /// The file does not exist (any more).
    #[error("file not found (was it moved or deleted?)")]
    NotFound,
    /// Any other I/O failure.
    #[error("cannot read the file: {0}")]
    Io(std::io::Error),
    /// Zero bytes, or only blank lines.
    #[error("the file is empty")]
    Empty,
    /// A header line and nothing else.
    #[error("the file has a header but no data rows")]
    HeaderOnly,
    /// NUL bytes or invalid UTF-8 near the start: not a text table.
    #[error("this is not a text table (binary data at byte {offset})")]
    Binary {
        /// Byte offset of the first binary byte (in the decompressed stream).
        offset: usize,
    },
    /// The gzip stream could not be decompressed.
    #[error("the gzip data is truncated or corrupt ({0})")]
    Gzip(String),
    /// A row with a different number of fields than the header.
    #[error("this row has {found} fields but the header has {expected}")]
    Ragged {
        /// Fields in the header.
        expected: usize,
        /// Fields in the offending row.
        found: usize,
    },
    /// A cell in the numeric block that is not a number.
    #[error("'{value}' is not a number (the other values in this column are numbers)")]
    NotNumeric {
        /// The offending cell, truncated for display.
        value: String,
    },
    /// The same sample id twice.
    #[error("duplicate sample id '{id}' (first seen on line {first_line})")]
    DuplicateSampleId {
        /// The repeated id.
        id: String,
        /// Line of its first occurrence.
        first_line: usize,
    },
    /// The same gene id twice.
    #[error("duplicate gene id '{id}' (first seen on line {first_line})")]
    DuplicateGeneId {
        /// The repeated id.
        id: String,
        /// Line of its first occurrence.
        first_line: usize,
    },
    /// The same id twice in the header (orientation not yet known).
    #[error("duplicate column name '{id}' (first seen in column {first_column})")]
    DuplicateColumn {
        /// The repeated name.
        id: String,
        /// Column of its first occurrence.
        first_column: usize,
    },
    /// A row without an id in its first column.
    #[error("this row has no id in its first column")]
    MissingId,
    /// Only one column, or no numeric column at all.
    #[error("no numeric columns: a matrix needs an id column and at least one column of numbers")]
    NoNumericColumns,
    /// The parquet reader failed.
    #[error("cannot read this Parquet file: {0}")]
    Parquet(String),
    /// The CSV parser failed in a way our diagnosis could not pin down.
    #[error("cannot parse this table: {0}")]
    Parse(String),
    /// An HDF5 file (h5ad, Loom, Cell Ranger) that cannot be read as such: the object at
    /// fault and why.
    #[error("HDF5 object {}: {}", .0.object, .0.message)]
    Hdf5(Box<Hdf5Fault>),
    /// A Matrix Market file that does not follow the format.
    #[error("not a valid Matrix Market file: {0}")]
    Mtx(String),
    /// A spreadsheet that cannot be read, or a sheet it does not have.
    #[error("{0}")]
    Workbook(String),
    /// The annotation file shares no sample id with the matrix.
    #[error("{0}")]
    Annotations(String),
    /// A distance matrix whose rows do not match its header's ids in number.
    #[error("not a square distance matrix: the header names {ids} ids but there are {rows} rows")]
    NotSquare {
        /// Ids in the header.
        ids: usize,
        /// Data rows.
        rows: usize,
    },
    /// A distance matrix row whose id is not the header's id at the same position.
    #[error(
        "this row's id '{}' differs from the header's id '{}' in its place: a distance matrix names the same \
         ids in the same order across and down",
        .0.row,
        .0.header
    )]
    IdMismatch(Box<IdMismatch>),
    /// A cell of a distance matrix that is not a number.
    #[error("'{0}' is not a number")]
    NotADistance(String),
    /// A distance that is NaN or infinite.
    #[error("'{0}' is not a finite distance")]
    NotFiniteDistance(String),
    /// A negative distance.
    #[error("the distance {0} is negative")]
    NegativeDistance(f64),
    /// A non-zero distance of an item to itself.
    #[error("the diagonal holds {0}: an item's distance to itself must be 0")]
    NonZeroDiagonal(f64),
    /// A distance that differs from its mirror image across the diagonal.
    #[error(
        "the matrix is not symmetric: {} here but {} at line {}, column {} ('{}')",
        .0.value,
        .0.mirror,
        .0.mirror_line,
        .0.mirror_column,
        .0.mirror_name
    )]
    Asymmetric(Box<Asymmetry>),
}

/// The object and message of [`LoadErrorKind::Hdf5`] (boxed: errors stay small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hdf5Fault {
    /// The HDF5 path, e.g. `/obs/cell_type/codes`.
    pub object: String,
    /// What is wrong.
    pub message: String,
}

/// The ids of [`LoadErrorKind::IdMismatch`] (boxed: errors stay small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMismatch {
    /// The row's id.
    pub row: String,
    /// The header's id at the row's position.
    pub header: String,
}

/// The cells of [`LoadErrorKind::Asymmetric`] (boxed: errors stay small).
#[derive(Debug, Clone, PartialEq)]
pub struct Asymmetry {
    /// This cell's value.
    pub value: f64,
    /// The mirrored cell's value.
    pub mirror: f64,
    /// The mirrored cell's line.
    pub mirror_line: usize,
    /// The mirrored cell's 1-based column.
    pub mirror_column: usize,
    /// The mirrored cell's column id.
    pub mirror_name: String,
}

/// A loading error with its place: file, and line and column where they apply.
#[derive(Debug)]
pub struct LoadError {
    /// The file being read.
    pub path: PathBuf,
    /// 1-based line in the (decompressed) file.
    pub line: Option<usize>,
    /// The column, where one is at fault.
    pub column: Option<ColumnRef>,
    /// What went wrong.
    pub kind: LoadErrorKind,
    /// In a spreadsheet: the sheet, and the sheet's first used column (0-based) that became
    /// column 1 of the table, so that `line` and `column` name a cell (`B17`).
    pub sheet: Option<Box<(String, usize)>>,
}

impl LoadError {
    /// An error about the whole file.
    pub fn file(path: &Path, kind: LoadErrorKind) -> Self {
        Self { path: path.to_path_buf(), line: None, column: None, kind, sheet: None }
    }

    /// An error at a line (and optionally a column).
    pub fn at(path: &Path, line: usize, column: Option<ColumnRef>, kind: LoadErrorKind) -> Self {
        Self { path: path.to_path_buf(), line: Some(line), column, kind, sheet: None }
    }

    /// An I/O error, with "not found" told apart.
    pub fn io(path: &Path, err: std::io::Error) -> Self {
        let kind =
            if err.kind() == std::io::ErrorKind::NotFound { LoadErrorKind::NotFound } else { LoadErrorKind::Io(err) };
        Self::file(path, kind)
    }

    /// The same error found in the table read from sheet `name` whose first used column is
    /// `first_column` (0-based): lines are the sheet's rows, columns its letters.
    #[must_use]
    pub fn in_sheet(mut self, name: &str, first_column: usize) -> Self {
        self.sheet = Some(Box::new((name.to_owned(), first_column)));
        self
    }
}

/// A spreadsheet's column letters for a 1-based column number: 1 → `A`, 27 → `AA`.
pub fn column_letters(number: usize) -> String {
    let mut n = number.max(1);
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(place) = &self.sheet {
            let (sheet, first_column) = &**place;
            write!(f, ", sheet '{}'", short(sheet))?;
            match (self.line, &self.column) {
                (Some(line), Some(col)) => {
                    write!(f, ", cell {}{line} ('{}')", column_letters(col.number + first_column), short(&col.name))?;
                }
                (Some(line), None) => write!(f, ", row {line}")?,
                (None, Some(col)) => {
                    write!(f, ", column {} ('{}')", column_letters(col.number + first_column), short(&col.name))?;
                }
                (None, None) => {}
            }
            return write!(f, ": {}", self.kind);
        }
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(col) = &self.column {
            write!(f, ", column {} ('{}')", col.number, short(&col.name))?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            LoadErrorKind::Io(err) => Some(err),
            _ => None,
        }
    }
}

/// Truncates a cell or name for a one-line message.
pub(crate) fn short(text: &str) -> String {
    const MAX: usize = 40;
    let printable: String = text.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect();
    if printable.chars().count() <= MAX {
        printable
    } else {
        let head: String = printable.chars().take(MAX).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_run_as_a_spreadsheets() {
        let letters: Vec<String> = [1, 2, 26, 27, 28, 52, 53, 702, 703, 16_384].map(column_letters).into();
        assert_eq!(letters, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]);
    }

    #[test]
    fn in_a_sheet_the_message_names_the_cell() {
        let err = LoadError::at(
            Path::new("book.xlsx"),
            17,
            Some(ColumnRef { number: 2, name: "TP53".into() }),
            LoadErrorKind::NotNumeric { value: "high".into() },
        )
        .in_sheet("Counts", 0);
        assert_eq!(
            err.to_string(),
            "book.xlsx, sheet 'Counts', cell B17 ('TP53'): 'high' is not a number (the other values in this column are numbers)"
        );
        let shifted = LoadError::at(Path::new("b.ods"), 3, None, LoadErrorKind::MissingId).in_sheet("S", 2);
        assert_eq!(shifted.to_string(), "b.ods, sheet 'S', row 3: this row has no id in its first column");
    }

    #[test]
    fn message_names_file_line_and_column() {
        let err = LoadError::at(
            Path::new("x.csv"),
            7,
            Some(ColumnRef { number: 3, name: "TP53".into() }),
            LoadErrorKind::NotNumeric { value: "abc".into() },
        );
        let text = err.to_string();
        assert!(text.starts_with("x.csv, line 7, column 3 ('TP53'): 'abc' is not a number"));
    }

    #[test]
    fn long_values_are_truncated() {
        let long = "a".repeat(100);
        assert_eq!(short(&long).chars().count(), 41);
    }
}
