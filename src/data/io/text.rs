//! Delimited text: bytes (plain or gzipped), delimiter sniffing, the header, and the
//! field splitter shared by the matrix parser and the annotations reader.
//!
//! # How it works
//! The file is read whole (and gunzipped when it starts with the gzip magic). The first
//! lines choose the delimiter: tab, comma, semicolon or pipe when every sampled line has
//! the same count of it, else runs of white space, which are rewritten to tabs so that the
//! parser only ever splits on one byte. We parse the header
//! ourselves (checking its names are unique); [`super::delimited`] parses the data lines.

use std::io::Read;
use std::path::Path;

use super::super::error::{ColumnRef, LoadError, LoadErrorKind};

/// Spellings of a missing value (compared after trimming).
pub const MISSING_TOKENS: [&str; 8] = ["", "NA", "N/A", "NaN", "nan", "NAN", "na", "null"];

/// True when `cell` spells a missing value.
pub fn is_missing_token(cell: &str) -> bool {
    MISSING_TOKENS.contains(&cell.trim())
}

/// A numeric cell as the matrix parser reads it: a number, `NaN` for a missing token (or a
/// literal NaN or infinity, which no analysis can use: they count as missing), `None` for
/// text.
pub fn parse_cell(cell: &[u8]) -> Option<f64> {
    let cell = cell.trim_ascii();
    if let Ok(v) = fast_float2::parse::<f64, _>(cell) {
        return Some(if v.is_finite() { v } else { f64::NAN });
    }
    MISSING_TOKENS.iter().any(|t| t.as_bytes() == cell).then_some(f64::NAN)
}

/// [`parse_cell`] for text: `Some(None)` for a missing value, `None` for text.
pub fn parse_number(cell: &str) -> Option<Option<f64>> {
    parse_cell(cell.as_bytes()).map(|v| (!v.is_nan()).then_some(v))
}

/// The field separator of a text table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    /// A single byte: `,` `\t` `;` `|`.
    Byte(u8),
    /// Runs of spaces and tabs (rewritten to tabs before parsing).
    Whitespace,
}

impl Delimiter {
    /// A human name for messages and reports.
    pub fn name(self) -> &'static str {
        match self {
            Delimiter::Byte(b',') => "comma",
            Delimiter::Byte(b'\t') => "tab",
            Delimiter::Byte(b';') => "semicolon",
            Delimiter::Byte(b'|') => "pipe",
            Delimiter::Byte(_) => "other",
            Delimiter::Whitespace => "white space",
        }
    }
}

/// Reads a file into memory, decompressing gzip (detected by its magic bytes).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, LoadError> {
    let raw = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    maybe_gunzip(path, raw)
}

/// Decompresses `raw` when it is gzip, else returns it unchanged.
pub fn maybe_gunzip(path: &Path, raw: Vec<u8>) -> Result<Vec<u8>, LoadError> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4));
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| LoadError::file(path, LoadErrorKind::Gzip(e.to_string())))?;
    Ok(out)
}

/// `bytes` without a leading UTF-8 byte-order mark (Excel writes one), which would
/// otherwise stick to the first header name.
pub fn without_bom(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    bytes
}

/// Rejects binary content: NUL bytes or invalid UTF-8 in the first 64 KiB.
pub fn check_text(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    const PROBE: usize = 64 * 1024;
    let head = &bytes[..bytes.len().min(PROBE)];
    if let Some(offset) = head.iter().position(|&b| b == 0) {
        return Err(LoadError::file(path, LoadErrorKind::Binary { offset }));
    }
    if let Err(err) = std::str::from_utf8(head) {
        // A multi-byte character cut by the probe boundary is fine.
        let cut_at_end = err.error_len().is_none() && head.len() == PROBE;
        if !cut_at_end {
            let offset = err.valid_up_to();
            return Err(LoadError::file(path, LoadErrorKind::Binary { offset }));
        }
    }
    Ok(())
}

/// Iterates the lines of `bytes` (without `\n` or `\r\n`), skipping nothing.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Counts `byte` outside double quotes.
fn count_unquoted(line: &[u8], byte: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if b == byte && !quoted {
            n += 1;
        }
    }
    n
}

/// Chooses the delimiter from the first non-blank lines.
pub fn sniff_delimiter(bytes: &[u8]) -> Delimiter {
    let sample: Vec<&[u8]> = lines(bytes).filter(|l| !is_blank(l)).take(20).collect();
    let Some((header, rest)) = sample.split_first() else {
        return Delimiter::Byte(b',');
    };
    for candidate in [b'\t', b',', b';', b'|'] {
        let in_header = count_unquoted(header, candidate);
        if in_header == 0 {
            continue;
        }
        // Data lines all agree; the header may have one field fewer (R's row-name style).
        let data_counts: Vec<usize> = rest.iter().map(|l| count_unquoted(l, candidate)).collect();
        let consistent = data_counts.windows(2).all(|w| w[0] == w[1]);
        let fits_header = data_counts.first().is_none_or(|&c| c == in_header || c == in_header + 1);
        if consistent && fits_header {
            return Delimiter::Byte(candidate);
        }
    }
    if header.iter().any(|&b| b == b' ' || b == b'\t') {
        Delimiter::Whitespace
    } else {
        // A single column (no delimiter at all): report it through the normal path.
        Delimiter::Byte(b',')
    }
}

/// Rewrites white-space separated text to tab-separated (leading/trailing space dropped).
pub fn whitespace_to_tabs(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for line in lines(bytes) {
        let mut first = true;
        for field in line.split(|b| *b == b' ' || *b == b'\t').filter(|f| !f.is_empty()) {
            if !first {
                out.push(b'\t');
            }
            out.extend_from_slice(field);
            first = false;
        }
        out.push(b'\n');
    }
    out
}

/// Splits one line into fields, honouring double quotes (`""` inside quotes is a quote).
pub fn split_fields(line: &[u8], sep: u8) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if quoted {
            if b == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    current.push(b'"');
                    i += 1;
                } else {
                    quoted = false;
                }
            } else {
                current.push(b);
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == sep {
            fields.push(String::from_utf8_lossy(&current).trim().to_owned());
            current.clear();
        } else {
            current.push(b);
        }
        i += 1;
    }
    fields.push(String::from_utf8_lossy(&current).trim().to_owned());
    fields
}

/// The header of a table: the id column's name and the other columns' names.
#[derive(Debug, Clone)]
pub struct Header {
    /// Name of the first (id) column; may be empty.
    pub id_name: String,
    /// Names of the value columns, in file order.
    pub names: Vec<String>,
    /// 1-based line of the header.
    pub line: usize,
    /// Byte offset where the data lines begin.
    pub data_offset: usize,
}

/// Finds the header (the first non-blank line) and checks its names are unique.
/// Accepts R's layout where the header lacks the row-name column.
pub fn parse_header(path: &Path, bytes: &[u8], sep: u8) -> Result<Header, LoadError> {
    let mut offset = 0;
    let mut line_no = 0;
    let mut header_line = None;
    for line in lines(bytes) {
        line_no += 1;
        let next = offset + line.len() + 1 + usize::from(bytes.get(offset + line.len()) == Some(&b'\r'));
        if !is_blank(line) {
            header_line = Some((line, next));
            break;
        }
        offset = next;
    }
    let Some((line, data_offset)) = header_line else {
        return Err(LoadError::file(path, LoadErrorKind::Empty));
    };
    let data_offset = data_offset.min(bytes.len());
    let mut fields = split_fields(line, sep);
    // R's write.table: the header has one field fewer than the data rows.
    let first_data = lines(&bytes[data_offset..]).find(|l| !is_blank(l));
    let Some(first_data) = first_data else {
        return Err(LoadError::at(path, line_no, None, LoadErrorKind::HeaderOnly));
    };
    if split_fields(first_data, sep).len() == fields.len() + 1 {
        fields.insert(0, String::new());
    }
    let id_name = fields.remove(0);
    let mut seen = std::collections::HashMap::with_capacity(fields.len());
    for (i, name) in fields.iter().enumerate() {
        if let Some(first) = seen.insert(name.as_str(), i + 2) {
            return Err(LoadError::at(
                path,
                line_no,
                Some(ColumnRef { number: i + 2, name: name.clone() }),
                LoadErrorKind::DuplicateColumn { id: name.clone(), first_column: first },
            ));
        }
    }
    Ok(Header { id_name, names: fields, line: line_no, data_offset })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_delimiters() {
        assert_eq!(sniff_delimiter(b"id,a,b\nx,1,2\n"), Delimiter::Byte(b','));
        assert_eq!(sniff_delimiter(b"id\ta\tb\nx\t1\t2\n"), Delimiter::Byte(b'\t'));
        assert_eq!(sniff_delimiter(b"id;a;b\nx;1,5;2\n"), Delimiter::Byte(b';'));
        assert_eq!(sniff_delimiter(b"id  a   b\nx 1  2\n"), Delimiter::Whitespace);
        // A comma inside quotes does not count.
        assert_eq!(sniff_delimiter(b"id\t\"a,b\"\nx\t1\n"), Delimiter::Byte(b'\t'));
    }

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(split_fields(br#""a,b",c,"say ""hi""""#, b','), vec!["a,b", "c", r#"say "hi""#]);
    }

    #[test]
    fn header_handles_r_row_names() {
        let h = parse_header(Path::new("t"), b"a,b\nr1,1,2\n", b',').unwrap();
        assert_eq!(h.id_name, "");
        assert_eq!(h.names, vec!["a", "b"]);
    }

    #[test]
    fn whitespace_rewrite() {
        assert_eq!(whitespace_to_tabs(b"  id a  b\nx 1 2\n"), b"id\ta\tb\nx\t1\t2\n");
    }

    #[test]
    fn numbers_and_missing_tokens() {
        assert_eq!(parse_number(" 1.5 "), Some(Some(1.5)));
        assert_eq!(parse_number("NA"), Some(None));
        assert_eq!(parse_number("NaN"), Some(None));
        assert_eq!(parse_number("abc"), None);
    }
}
