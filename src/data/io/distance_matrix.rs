//! Reading a precomputed square distance matrix: ids as the header row and the first column,
//! as `biolens distances --out` writes it (CSV, TSV or white space; optionally gzipped).
//!
//! # How it works
//! The file is validated while it is read, row by row, keeping only the upper triangle (the
//! condensed matrix, as `SciPy`'s `squareform(checks=False)` takes it): each row's id must be
//! the header's id at the same position; every cell a finite number, at least 0; the diagonal
//! 0; each cell below the diagonal equal to its mirror above it (read earlier) within 1e-9
//! relative. The first problem in file order is reported with its line and column.

use std::borrow::Cow;
use std::path::Path;

use super::super::error::{Asymmetry, ColumnRef, IdMismatch, LoadError, LoadErrorKind, short};
use super::text;

/// Relative difference above which a cell and its mirror across the diagonal disagree.
pub const SYMMETRY_TOLERANCE: f64 = 1e-9;

/// A validated distance matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct DistanceMatrix {
    /// The items' ids, in order.
    pub ids: Vec<String>,
    /// The upper triangle, row by row (`SciPy`'s condensed layout).
    pub condensed: Vec<f64>,
}

/// Reads and validates a square distance matrix file.
pub fn read_distance_matrix(path: &Path) -> Result<DistanceMatrix, LoadError> {
    let bytes = text::read_bytes(path)?;
    parse_distance_matrix(path, bytes)
}

/// [`read_distance_matrix`] on bytes already in memory (`path` names them in messages).
pub fn parse_distance_matrix(path: &Path, bytes: Vec<u8>) -> Result<DistanceMatrix, LoadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(LoadError::file(path, LoadErrorKind::Empty));
    }
    let bytes = text::without_bom(bytes);
    text::check_text(path, &bytes)?;
    let (bytes, sep) = match text::sniff_delimiter(&bytes) {
        text::Delimiter::Byte(b) => (bytes, b),
        text::Delimiter::Whitespace => (text::whitespace_to_tabs(&bytes), b'\t'),
    };
    let header = text::parse_header(path, &bytes, sep)?;
    let ids = header.names;
    let n = ids.len();
    if n == 0 {
        return Err(LoadError::at(path, header.line, None, LoadErrorKind::NotSquare { ids: 0, rows: 0 }));
    }
    let column = |j: usize| Some(ColumnRef { number: j + 2, name: ids[j].clone() });
    let mut condensed = vec![0.0; n * (n - 1) / 2];
    let mut row_lines = Vec::with_capacity(n);
    let mut line_number = header.line;
    for line in text::lines(&bytes[header.data_offset..]) {
        line_number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let i = row_lines.len();
        // Unquoted lines (all that `distances` writes for plain ids) split without copying.
        let fields: Vec<Cow<'_, str>> = if line.contains(&b'"') {
            text::split_fields(line, sep).into_iter().map(Cow::Owned).collect()
        } else {
            line.split(|&b| b == sep).map(|f| String::from_utf8_lossy(f.trim_ascii())).collect()
        };
        if fields.len() != n + 1 {
            return Err(LoadError::at(
                path,
                line_number,
                None,
                LoadErrorKind::Ragged { expected: n + 1, found: fields.len() },
            ));
        }
        if i >= n {
            let rows = i
                + 1
                + text::lines(&bytes[header.data_offset..])
                    .skip(line_number - header.line)
                    .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                    .count();
            return Err(LoadError::at(path, line_number, None, LoadErrorKind::NotSquare { ids: n, rows }));
        }
        if fields[0] != ids[i] {
            let kind =
                LoadErrorKind::IdMismatch(Box::new(IdMismatch { row: short(&fields[0]), header: short(&ids[i]) }));
            let place = ColumnRef { number: 1, name: header.id_name.clone() };
            return Err(LoadError::at(path, line_number, Some(place), kind));
        }
        row_lines.push(line_number);
        for (j, cell) in fields[1..].iter().enumerate() {
            let at = |kind| LoadError::at(path, line_number, column(j), kind);
            let value: f64 = cell.parse().map_err(|_| at(LoadErrorKind::NotADistance(short(cell))))?;
            if !value.is_finite() {
                return Err(at(LoadErrorKind::NotFiniteDistance(short(cell))));
            }
            if value < 0.0 {
                return Err(at(LoadErrorKind::NegativeDistance(value)));
            }
            match j.cmp(&i) {
                std::cmp::Ordering::Equal if value != 0.0 => {
                    return Err(at(LoadErrorKind::NonZeroDiagonal(value)));
                }
                std::cmp::Ordering::Equal => {}
                std::cmp::Ordering::Greater => condensed[condensed_index(n, i, j)] = value,
                std::cmp::Ordering::Less => {
                    let mirror = condensed[condensed_index(n, j, i)];
                    if (value - mirror).abs() > SYMMETRY_TOLERANCE * value.abs().max(mirror.abs()) {
                        return Err(at(LoadErrorKind::Asymmetric(Box::new(Asymmetry {
                            value,
                            mirror,
                            mirror_line: row_lines[j],
                            mirror_column: i + 2,
                            mirror_name: short(&ids[i]),
                        }))));
                    }
                }
            }
        }
    }
    if row_lines.len() != n {
        return Err(LoadError::file(path, LoadErrorKind::NotSquare { ids: n, rows: row_lines.len() }));
    }
    Ok(DistanceMatrix { ids, condensed })
}

/// The index of pair `(i, j)`, `i < j`, in the condensed matrix of `n` items.
fn condensed_index(n: usize, i: usize, j: usize) -> usize {
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DistanceMatrix, String> {
        parse_distance_matrix(Path::new("d.csv"), text.as_bytes().to_vec()).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_upper_triangle() {
        let m = parse("id,a,b,c\na,0,1,2\nb,1,0,3\nc,2,3,0\n").unwrap();
        assert_eq!(m.ids, vec!["a", "b", "c"]);
        assert_eq!(m.condensed, vec![1.0, 2.0, 3.0]);
        // Tabs, a blank line, and a mirror that differs only by rounding.
        let m = parse("id\ta\tb\n\na\t0\t0.30000000000000004\nb\t0.3\t0\n").unwrap();
        assert_eq!(m.condensed, vec![0.300_000_000_000_000_04]);
    }

    #[test]
    fn problems_name_the_line_and_column() {
        for (text, message) in [
            ("id,a,b\na,0,1\n", "d.csv: not a square distance matrix: the header names 2 ids but there are 1 rows"),
            (
                "id,a\na,0\nb,0\n",
                "d.csv, line 3: not a square distance matrix: the header names 1 ids but there are 2 rows",
            ),
            ("id,a,b\na,0,1\nb,1\n", "d.csv, line 3: this row has 2 fields but the header has 3"),
            (
                "id,a,b\na,0,1\nc,1,0\n",
                "d.csv, line 3, column 1 ('id'): this row's id 'c' differs from the header's id 'b'",
            ),
            ("id,a,b\na,0,x\nb,1,0\n", "d.csv, line 2, column 3 ('b'): 'x' is not a number"),
            ("id,a,b\na,0,inf\nb,1,0\n", "d.csv, line 2, column 3 ('b'): 'inf' is not a finite distance"),
            ("id,a,b\na,0,-1\nb,-1,0\n", "d.csv, line 2, column 3 ('b'): the distance -1 is negative"),
            ("id,a,b\na,0.5,1\nb,1,0\n", "d.csv, line 2, column 2 ('a'): the diagonal holds 0.5"),
            (
                "id,a,b\na,0,1\nb,1.1,0\n",
                "d.csv, line 3, column 2 ('a'): the matrix is not symmetric: 1.1 here but 1 at line 2, column 3 ('b')",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with(message), "{text:?}: {err}");
        }
    }
}
