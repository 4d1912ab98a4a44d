//! Spreadsheets: Excel (`.xlsx`, `.xlsm`, `.xlsb`, and 97–2003 `.xls`) and `OpenDocument`
//! (`.ods`) workbooks, read by `calamine` (pure Rust).
//!
//! # How it works
//! A workbook is recognised by its content, not its name: a zip archive (xlsx, xlsb, ods) or
//! an OLE compound file (xls). One sheet is read (the first visible one unless a name is
//! given) and written out as tab-separated text, which then goes through the very parser and
//! rules of a CSV file (`parse_table` in [`super`]): orientation, ids, text columns as
//! annotations, missing values. The text keeps the sheet's geometry: line `n` is row `n` of
//! the sheet, and column 1 is the sheet's first used column, so an error found in the text
//! names its cell (`sheet 'Counts', cell B17`) through [`LoadError::in_sheet`].
//!
//! Cells become text as a spreadsheet shows them unformatted: numbers in full (the shortest
//! text that reads back to the same `f64`), dates as ISO `2024-03-01` (with the time when
//! there is one), booleans as `TRUE`/`FALSE` (text, so a column of them is an annotation),
//! `#N/A` as missing (what `NA()` means), any other error (`#DIV/0!`) as its text, which a
//! numeric column then reports as not a number, naming the cell.
//!
//! calamine reads a whole sheet into memory (Excel's own limit is 16,384 columns), so a sheet
//! costs about 32 bytes a cell while it is converted; the text is then parsed like a file.

use std::fmt::Write as _;
use std::io::Cursor;
use std::path::Path;

use calamine::{CellErrorType, Data, Reader, SheetVisible, Sheets};

use super::super::error::{LoadError, LoadErrorKind};

/// True when `head` (a file's first bytes) starts like a workbook: a zip archive (xlsx,
/// xlsb, ods) or an OLE compound document (xls).
pub fn is_workbook(head: &[u8]) -> bool {
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    head.starts_with(b"PK\x03\x04") || head.starts_with(&OLE)
}

/// True when the file at `path` starts like a workbook (reads 8 bytes; false when unreadable:
/// opening it then reports why).
pub fn file_is_workbook(path: &Path) -> bool {
    super::file_head(path).is_ok_and(|head| is_workbook(&head))
}

/// One sheet of a workbook as tab-separated text.
#[derive(Debug, Clone)]
pub struct SheetText {
    /// The sheet's name.
    pub name: String,
    /// The kind of workbook, e.g. "Excel workbook (.xlsx)".
    pub format: String,
    /// The sheet as text: line `n` is row `n`, fields separated by tabs.
    pub bytes: Vec<u8>,
    /// The sheet's first used column (0-based), which is the text's column 1.
    pub first_column: usize,
    /// Every sheet of the workbook, in order.
    pub sheets: Vec<String>,
}

type Workbook<'a> = Sheets<Cursor<&'a [u8]>>;

fn open<'a>(path: &Path, raw: &'a [u8]) -> Result<Workbook<'a>, LoadError> {
    calamine::open_workbook_auto_from_rs(Cursor::new(raw)).map_err(|_| {
        let what = if raw.starts_with(b"PK") {
            "this zip archive is not a spreadsheet calamine can read (.xlsx, .xlsb or .ods)"
        } else {
            "this OLE document is not an Excel 97-2003 workbook (.xls) that can be read"
        };
        LoadError::file(path, LoadErrorKind::Workbook(what.to_owned()))
    })
}

fn format_name(book: &Workbook<'_>) -> &'static str {
    match book {
        Sheets::Xls(_) => "Excel 97-2003 workbook (.xls)",
        Sheets::Xlsx(_) => "Excel workbook (.xlsx)",
        Sheets::Xlsb(_) => "Excel binary workbook (.xlsb)",
        Sheets::Ods(_) => "OpenDocument spreadsheet (.ods)",
    }
}

/// The names of a workbook's sheets, in order (for a chooser).
pub fn sheet_names(path: &Path) -> Result<Vec<String>, LoadError> {
    let raw = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    if !is_workbook(&raw) {
        return Ok(Vec::new());
    }
    Ok(open(path, &raw)?.sheet_names())
}

/// Reads sheet `sheet` (the first visible one when `None`) of the workbook `raw` as text.
pub fn sheet_as_text(path: &Path, raw: &[u8], sheet: Option<&str>) -> Result<SheetText, LoadError> {
    let mut book = open(path, raw)?;
    let sheets = book.sheet_names();
    let name = if let Some(name) = sheet {
        if !sheets.iter().any(|s| s == name) {
            let message = format!("there is no sheet named '{name}' (its sheets: {})", list(&sheets));
            return Err(LoadError::file(path, LoadErrorKind::Workbook(message)));
        }
        name.to_owned()
    } else {
        let visible =
            book.sheets_metadata().iter().find(|s| s.visible == SheetVisible::Visible).map(|s| s.name.clone());
        let Some(name) = visible.or_else(|| sheets.first().cloned()) else {
            return Err(LoadError::file(path, LoadErrorKind::Workbook("the workbook has no sheets".to_owned())));
        };
        name
    };
    let format = format_name(&book).to_owned();
    let range = book.worksheet_range(&name).map_err(|e| {
        let message = format!("cannot read sheet '{name}': {e}");
        LoadError::file(path, LoadErrorKind::Workbook(message))
    })?;
    let Some((first_row, first_column)) = range.start() else {
        return Err(LoadError::file(path, LoadErrorKind::Empty).in_sheet(&name, 0));
    };
    let (rows, columns) = range.get_size();
    let mut bytes = Vec::with_capacity(rows * columns * 8 + first_row as usize);
    // Rows above the used range: blank lines, so that line n is row n.
    bytes.resize(first_row as usize, b'\n');
    let mut cell_text = String::new();
    for row in range.rows() {
        for (j, cell) in row.iter().enumerate() {
            if j > 0 {
                bytes.push(b'\t');
            }
            cell_text.clear();
            write_cell(cell, &mut cell_text);
            push_field(&cell_text, &mut bytes);
        }
        bytes.push(b'\n');
    }
    Ok(SheetText { name, format, bytes, first_column: first_column as usize, sheets })
}

/// "a, b, c" (at most ten names).
fn list(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let head: Vec<String> = names.iter().take(SHOWN).map(|n| format!("'{n}'")).collect();
    if names.len() > SHOWN { format!("{}, … ({} in all)", head.join(", "), names.len()) } else { head.join(", ") }
}

/// A cell as the text a CSV file would hold (see the module docs).
fn write_cell(cell: &Data, out: &mut String) {
    match cell {
        Data::Empty | Data::Error(CellErrorType::NA) => {}
        Data::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Data::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => out.push_str(s),
        Data::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, ms) = d.to_ymd_hms_milli();
            let _ = write!(out, "{y:04}-{mo:02}-{day:02}");
            if (h, mi, s, ms) != (0, 0, 0, 0) {
                let _ = write!(out, " {h:02}:{mi:02}:{s:02}");
                if ms > 0 {
                    let _ = write!(out, ".{ms:03}");
                }
            }
        }
        // A duration: its length in days, as the cell's number.
        Data::DateTime(d) => {
            let _ = write!(out, "{}", d.as_f64());
        }
        Data::Error(e) => {
            let _ = write!(out, "{e}");
        }
    }
}

/// Appends one field: tabs and line breaks inside a cell become spaces (they would split
/// it), and a cell with a double quote is quoted with the quote doubled, as CSV does.
fn push_field(text: &str, out: &mut Vec<u8>) {
    let clean = |b: u8| if matches!(b, b'\t' | b'\n' | b'\r') { b' ' } else { b };
    if text.contains('"') {
        out.push(b'"');
        for b in text.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(clean(b));
        }
        out.push(b'"');
    } else {
        out.extend(text.bytes().map(clean));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_csv_would_hold_them() {
        let text = |cell: Data| {
            let mut s = String::new();
            write_cell(&cell, &mut s);
            s
        };
        assert_eq!(text(Data::Float(0.1 + 0.2)), "0.30000000000000004");
        assert_eq!(text(Data::Float(12_345.0)), "12345");
        assert_eq!(text(Data::Int(-7)), "-7");
        assert_eq!(text(Data::Bool(true)), "TRUE");
        assert_eq!(text(Data::Error(CellErrorType::NA)), "");
        assert_eq!(text(Data::Error(CellErrorType::Div0)), "#DIV/0!");
        let day = calamine::ExcelDateTime::new(45_352.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(text(Data::DateTime(day)), "2024-03-01");
        let noon = calamine::ExcelDateTime::new(45_352.5, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(text(Data::DateTime(noon)), "2024-03-01 12:00:00");
    }

    #[test]
    fn fields_keep_one_line_and_their_quotes() {
        let mut out = Vec::new();
        push_field("a\tb\nc", &mut out);
        out.push(b'\t');
        push_field("5\" long", &mut out);
        assert_eq!(out, b"a b c\t\"5\"\" long\"");
        assert_eq!(super::super::text::split_fields(&out, b'\t'), vec!["a b c", "5\" long"]);
    }

    #[test]
    fn workbooks_are_known_by_their_first_bytes() {
        assert!(is_workbook(b"PK\x03\x04rest"));
        assert!(is_workbook(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]));
        assert!(!is_workbook(b"gene,a,b\n"));
    }
}
