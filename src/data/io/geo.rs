//! GEO series matrix files (`GSE…_series_matrix.txt[.gz]`), as GEO documents them: header
//! lines `!Series_…` and `!Sample_…` (tab-separated, values in double quotes, one value per
//! sample), then the expression table between `!series_matrix_table_begin` and
//! `!series_matrix_table_end` (`ID_REF` and one column per sample accession, probes in rows,
//! missing values as `null` or empty).
//!
//! # How it works
//! The table is passed to the CSV rules (`parse_table` in [`super`]) as it stands, with the lines
//! before it blanked, so that a bad cell is reported at its line of the file. Its first
//! column is `ID_REF`, so probes are rows; probe ids are always text (`1053` stays `1053`, and
//! `1007_s_at` is no number either). The samples' annotations come from the `!Sample_` lines:
//! `title`, `source` (`source_name_ch1`), and each `characteristics_ch1` value split at its
//! first `": "` into a column named by its key (`disease state: AD` → column `disease state`,
//! value `AD`). GEO puts the i-th characteristic of every sample on the i-th line, so a key
//! can move between lines when samples have different sets: values are gathered by key, not
//! by line. A value without a key goes to a column `characteristics_ch1`. Values are matched
//! to the table's columns through `!Sample_geo_accession`, and each column is numeric when
//! its values are numbers, by the same rule as any annotation file.

use std::collections::HashMap;
use std::path::Path;

use super::super::annotations::Annotation;
use super::super::error::{LoadError, LoadErrorKind};
use super::text;
use super::{LoadOptions, Loaded, Progress};

const BEGIN: &[u8] = b"!series_matrix_table_begin";
const END: &[u8] = b"!series_matrix_table_end";

/// True when `bytes` (a decompressed text file) is a GEO series matrix: it starts with a
/// `!Series_` line and holds the table's begin marker.
pub fn is_series_matrix(bytes: &[u8]) -> bool {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    bytes[start..].starts_with(b"!Series_") && memchr::memmem::find(bytes, BEGIN).is_some()
}

/// Reads a series matrix: the table as the matrix, the `!Sample_` lines as annotations.
pub fn load(
    path: &Path,
    bytes: &[u8],
    gzipped: bool,
    options: &LoadOptions,
    progress: Progress<'_>,
) -> Result<Loaded, LoadError> {
    let mut table = Vec::with_capacity(bytes.len());
    let mut samples = SampleLines::default();
    let mut series = None;
    let mut state = State::Header;
    for line in text::lines(bytes) {
        match state {
            State::Header => {
                if line.starts_with(BEGIN) {
                    state = State::Table;
                } else if let Some(rest) = line.strip_prefix(b"!Sample_") {
                    samples.add(rest);
                } else if let Some(rest) = line.strip_prefix(b"!Series_geo_accession") {
                    series = text::split_fields(rest, b'\t').into_iter().find(|f| !f.is_empty());
                }
                table.push(b'\n');
            }
            State::Table => {
                if line.starts_with(END) {
                    state = State::Done;
                    table.push(b'\n');
                } else {
                    table.extend_from_slice(line);
                    table.push(b'\n');
                }
            }
            State::Done => break,
        }
    }
    if state == State::Table {
        let message = "the table has no '!series_matrix_table_end' line: the file is cut short".to_owned();
        return Err(LoadError::file(path, LoadErrorKind::Parse(message)));
    }
    let name = series.map_or_else(|| "GEO series matrix".to_owned(), |gse| format!("GEO series matrix ({gse})"));
    let format = if gzipped { format!("gzipped {name}") } else { name };
    let mut loaded = super::parse_table(path, table, b'\t', format, options, progress)?;
    let columns = samples.annotations(loaded.data.sample_ids());
    if !columns.is_empty() {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        loaded.report.notes.push(format!("sample annotations from the !Sample_ lines: {}", names.join(", ")));
        loaded.data.set_annotations(columns);
    }
    Ok(loaded)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Table,
    Done,
}

/// The `!Sample_` lines that become annotations, as read.
#[derive(Debug, Default)]
struct SampleLines {
    accessions: Vec<String>,
    title: Option<Vec<String>>,
    source: Option<Vec<String>>,
    /// Every `characteristics_ch1` line, in order.
    characteristics: Vec<Vec<String>>,
}

impl SampleLines {
    /// Takes one line after its `!Sample_` prefix.
    fn add(&mut self, rest: &[u8]) {
        let mut fields = text::split_fields(rest, b'\t');
        if fields.is_empty() {
            return;
        }
        let key = fields.remove(0);
        match key.as_str() {
            "geo_accession" => self.accessions = fields,
            "title" => self.title = Some(fields),
            "source_name_ch1" => self.source = Some(fields),
            "characteristics_ch1" => self.characteristics.push(fields),
            _ => {}
        }
    }

    /// The annotation columns, aligned on `sample_ids` (the table's columns).
    fn annotations(&self, sample_ids: &[String]) -> Vec<Annotation> {
        let n = self.accessions.len().max(self.title.as_ref().map_or(0, Vec::len));
        // Position of each table sample among the header lines' values.
        let position: Vec<Option<usize>> = if self.accessions.is_empty() {
            (0..sample_ids.len()).map(|i| (i < n).then_some(i)).collect()
        } else {
            let index: HashMap<&str, usize> =
                self.accessions.iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect();
            sample_ids.iter().map(|s| index.get(s.as_str()).copied()).collect()
        };
        let column = |name: &str, values: &[Option<String>]| {
            let cells: Vec<Option<&str>> =
                position.iter().map(|p| p.and_then(|p| values.get(p)).and_then(Option::as_deref)).collect();
            Annotation::from_cells(name, &cells)
        };
        let present = |values: &[String]| -> Vec<Option<String>> {
            values.iter().map(|v| (!text::is_missing_token(v)).then(|| v.clone())).collect()
        };
        let mut columns = Vec::new();
        if let Some(title) = &self.title {
            columns.push(column("title", &present(title)));
        }
        if let Some(source) = &self.source {
            columns.push(column("source", &present(source)));
        }
        // Characteristics by key, in order of first appearance.
        let mut keys: Vec<String> = Vec::new();
        let mut by_key: HashMap<String, Vec<Option<String>>> = HashMap::new();
        for line in &self.characteristics {
            for (i, cell) in line.iter().enumerate() {
                if text::is_missing_token(cell) {
                    continue;
                }
                let (key, value) = match cell.split_once(": ") {
                    Some((key, value)) if !key.trim().is_empty() => (key.trim().to_owned(), value.trim().to_owned()),
                    _ => ("characteristics_ch1".to_owned(), cell.trim().to_owned()),
                };
                let values = by_key.entry(key.clone()).or_insert_with(|| {
                    keys.push(key);
                    vec![None; n.max(line.len())]
                });
                if values.len() <= i {
                    values.resize(i + 1, None);
                }
                if values[i].is_none() && !text::is_missing_token(&value) {
                    values[i] = Some(value);
                }
            }
        }
        for key in keys {
            let name = if key == "title" || key == "source" { format!("{key} (characteristic)") } else { key.clone() };
            columns.push(column(&name, &by_key[&key]));
        }
        columns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_matrix_is_known_by_its_lines() {
        assert!(is_series_matrix(b"!Series_title\t\"x\"\n!series_matrix_table_begin\n\"ID_REF\"\t\"GSM1\"\n"));
        assert!(!is_series_matrix(b"gene,a\nx,1\n"));
        assert!(!is_series_matrix(b"!Series_title\t\"x\"\n"));
    }

    #[test]
    fn characteristics_are_gathered_by_key_not_by_line() {
        let mut lines = SampleLines::default();
        lines.add(b"geo_accession\t\"GSM1\"\t\"GSM2\"\t\"GSM3\"");
        lines.add(b"characteristics_ch1\t\"age: 45\"\t\"age: 50\"\t\"tissue: liver\"");
        lines.add(b"characteristics_ch1\t\"tissue: liver\"\t\"tissue: lung\"\t\"\"");
        lines.add(b"characteristics_ch1\t\"note: a: b\"\t\"\"\t\"\"");
        let ids: Vec<String> = ["GSM3", "GSM1", "GSM2"].map(String::from).into();
        let columns = lines.annotations(&ids);
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["age", "tissue", "note"]);
        let text = |c: &Annotation| (0..3).map(|i| c.value_text(i)).collect::<Vec<_>>();
        assert_eq!(text(&columns[0]), [None, Some("45".to_owned()), Some("50".to_owned())]);
        assert_eq!(text(&columns[1]), [Some("liver".to_owned()), Some("liver".to_owned()), Some("lung".to_owned())]);
        assert_eq!(text(&columns[2]), [None, Some("a: b".to_owned()), None]);
    }
}
