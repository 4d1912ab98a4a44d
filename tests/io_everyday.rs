//! Everyday files in: spreadsheets (.xlsx, .xls, .ods, written by openpyxl, xlwt and odfpy:
//! tests/data/spreadsheets/make.py) and GEO series matrix files (GEO's documented layout:
//! tests/data/geo/make.py), read under the same rules as CSV, with errors that name the
//! sheet and cell.

mod common;

use std::path::{Path, PathBuf};

use biolens::data::annotations::AnnotationValues;
use biolens::data::{self, LoadOptions, MatrixChoice, OpenRequest, Orientation};
use common::{biolens, load, sample};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
}

fn with_sheet(sheet: &str) -> LoadOptions {
    LoadOptions {
        choice: MatrixChoice { sheet: Some(sheet.to_owned()), ..MatrixChoice::default() },
        ..LoadOptions::default()
    }
}

fn load_with(path: &Path, options: &LoadOptions) -> Result<data::io::Loaded, String> {
    data::io::load_matrix(path, options, &|_, _| {}).map_err(|e| e.to_string())
}

/// Annotation `name`'s value for each sample, as text.
fn column(d: &data::Dataset, name: &str) -> Vec<Option<String>> {
    let a = d.annotations().iter().find(|a| a.name == name).unwrap_or_else(|| panic!("no annotation {name}"));
    (0..d.n_samples()).map(|i| a.value_text(i)).collect()
}

#[test]
fn a_workbook_reads_as_its_csv_does_in_every_format() {
    let csv = load(&sample("guo_qpcr/expression.csv"));
    let csv_matrix = csv.data.matrix().dense().expect("dense").clone();
    for file in ["guo.xlsx", "guo.xls", "guo.ods"] {
        let path = fixture(&format!("spreadsheets/{file}"));
        // The first sheet by default: the matrix.
        let book = load(&path);
        assert_eq!(book.data.sample_ids(), csv.data.sample_ids(), "{file}");
        assert_eq!(book.data.gene_ids(), csv.data.gene_ids(), "{file}");
        let m = book.data.matrix().dense().expect("dense");
        assert_eq!(m.dim(), csv_matrix.dim());
        // Bit for bit: a cell's number is the CSV text's number.
        assert!(m.iter().zip(&csv_matrix).all(|(a, b)| a.to_bits() == b.to_bits()), "{file}: values differ");
        assert_eq!(book.report.orientation, csv.report.orientation);
        assert!(book.report.format.contains("sheet 'Expression'"), "{}", book.report.format);
        assert!(
            book.report.notes.iter().any(|n| n.contains("one of 2 sheets") && n.contains("Samples")),
            "{file}: the other sheet is named: {:?}",
            book.report.notes
        );
    }
    assert!(load(&fixture("spreadsheets/guo.xls")).report.format.starts_with("Excel 97-2003 workbook"));
    assert!(load(&fixture("spreadsheets/guo.ods")).report.format.starts_with("OpenDocument spreadsheet"));
}

#[test]
fn an_annotations_sheet_joins_like_an_annotations_file() {
    let from_csv = common::open_sample("guo_qpcr");
    for file in ["guo.xlsx", "guo.xls", "guo.ods"] {
        let path = fixture(&format!("spreadsheets/{file}"));
        let request = OpenRequest {
            matrix: path.clone(),
            annotations: vec![path.clone()],
            load: LoadOptions {
                choice: MatrixChoice {
                    sheet: Some("Expression".to_owned()),
                    annotations_sheet: Some("Samples".to_owned()),
                    ..MatrixChoice::default()
                },
                ..LoadOptions::default()
            },
            ..OpenRequest::default()
        };
        let d = data::open(&request, &|_, _| {}).unwrap_or_else(|e| panic!("{file}: {e}"));
        let names: Vec<&str> = d.annotations().iter().map(|a| a.name.as_str()).collect();
        let csv_names: Vec<&str> = from_csv.annotations().iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, csv_names, "{file}");
        for a in from_csv.annotations() {
            assert_eq!(column(&d, &a.name), column(&from_csv, &a.name), "{file}: {}", a.name);
        }
        // Added afterwards (the app's "Add annotations"), the sheet is recorded for sessions.
        let bare = OpenRequest { annotations: Vec::new(), ..request.clone() };
        let base = data::open(&bare, &|_, _| {}).expect("the matrix");
        let joined = data::add_annotations(&base, &path, Some("Samples")).expect("the sheet joins");
        assert_eq!(joined.source.choice.annotations_sheet.as_deref(), Some("Samples"));
        assert_eq!(column(&joined, "label"), column(&from_csv, "label"));
    }
}

#[test]
fn a_bad_cell_is_named_by_sheet_and_cell() {
    for file in ["bad_cell.xlsx", "bad_cell.xls"] {
        let path = fixture(&format!("spreadsheets/{file}"));
        // The first sheet holds a note, not a table.
        let err = load_with(&path, &LoadOptions::default()).expect_err("the notes sheet is no matrix");
        assert!(err.contains("sheet 'Notes'"), "{err}");
        // The table starts at B2; 'high' sits at E7 among numbers.
        let err = load_with(&path, &with_sheet("Counts")).expect_err("a word among numbers");
        assert!(err.contains(&format!("{file}, sheet 'Counts', cell E7 ('Sox2'): 'high' is not a number")), "{err}");
        let err = load_with(&path, &with_sheet("Count")).expect_err("no such sheet");
        assert!(err.contains("there is no sheet named 'Count' (its sheets: 'Notes', 'Counts', 'Clean')"), "{err}");
    }
}

#[test]
fn an_empty_spreadsheet_cell_is_a_missing_value() {
    // The same table without the word (sheet 'Clean'): its empty cell, sheet D5, is missing.
    let path = fixture("spreadsheets/bad_cell.xlsx");
    let loaded = load_with(&path, &with_sheet("Clean")).expect("the clean sheet loads");
    assert_eq!(loaded.report.missing, 1);
    let m = loaded.data.matrix().dense().expect("dense");
    let (row, col) = (
        loaded.data.sample_ids().iter().position(|s| s == "c3").expect("c3"),
        loaded.data.gene_ids().iter().position(|g| g == "Gapdh").expect("Gapdh"),
    );
    assert!(m[[row, col]].is_nan());
    assert_eq!(m[[0, 0]].to_bits(), 1.5f64.to_bits());
    // The command line takes the sheet, and names the cell.
    let out = biolens(&["info", path.to_str().expect("utf-8"), "--sheet", "Counts"]);
    assert!(!out.status.success(), "the word at E7 stops it");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sheet 'Counts', cell E7"), "{stderr}");
}

#[test]
fn geo_series_matrix_gives_probes_and_sample_characteristics() {
    let expected_matrix = load(&fixture("geo/expected_matrix.csv"));
    let want = expected_matrix.data.matrix().dense().expect("dense").clone();
    for file in ["GSE99999_series_matrix.txt", "GSE99999_series_matrix.txt.gz"] {
        let path = fixture(&format!("geo/{file}"));
        let loaded = load(&path);
        assert_eq!(loaded.report.orientation, Orientation::GenesInRows, "ID_REF names probes");
        assert!(loaded.report.format.contains("GEO series matrix (GSE99999)"), "{}", loaded.report.format);
        // Probe ids that look like numbers stay as written.
        assert_eq!(
            loaded.data.gene_ids(),
            ["1007_s_at", "1053_at", "117_at", "121_at", "7892501", "7892502", "0101", "2E5", "1.5"]
        );
        assert_eq!(loaded.data.sample_ids(), expected_matrix.data.sample_ids());
        let got = loaded.data.matrix().dense().expect("dense");
        assert_eq!(got.dim(), want.dim());
        for (a, b) in got.iter().zip(&want) {
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{a} vs {b}");
        }
        assert_eq!(loaded.report.missing, 2, "the two `null` cells");
    }
    // The annotations equal the expected table's, read as any annotation file is.
    let geo = data::open(
        &OpenRequest { matrix: fixture("geo/GSE99999_series_matrix.txt.gz"), ..OpenRequest::default() },
        &|_, _| {},
    )
    .expect("opens");
    let expected = data::open(
        &OpenRequest {
            matrix: fixture("geo/expected_matrix.csv"),
            annotations: vec![fixture("geo/expected_samples.csv")],
            ..OpenRequest::default()
        },
        &|_, _| {},
    )
    .expect("opens");
    let names: Vec<&str> = geo.annotations().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["title", "source", "disease state", "age", "Sex", "rin"]);
    for name in names {
        assert_eq!(column(&geo, name), column(&expected, name), "{name}");
    }
    // Measurements are numbers (one given as NA); five ages in whole years are classes in
    // numeric order, as a column of few whole numbers is in any annotation file.
    let rin = geo.annotations().iter().find(|a| a.name == "rin").expect("rin");
    assert!(matches!(&rin.values, AnnotationValues::Numeric(v) if v.iter().filter(|x| x.is_nan()).count() == 1));
    let age = geo.annotations().iter().find(|a| a.name == "age").expect("age");
    assert!(
        matches!(&age.values, AnnotationValues::Categorical { levels, .. } if levels == &["68", "77", "81", "85", "90"])
    );
    let disease = geo.annotations().iter().find(|a| a.name == "disease state").expect("disease");
    assert!(matches!(&disease.values, AnnotationValues::Categorical { levels, .. } if levels.len() == 2));
    // Colour by the first grouping: not the titles (one per sample) nor the one source, but
    // the disease state.
    assert_eq!(
        biolens::recipes::Colouring::first_for(&geo),
        biolens::recipes::Colouring::Annotation("disease state".to_owned())
    );
}

#[test]
fn a_cut_geo_file_says_so() {
    let text = std::fs::read_to_string(fixture("geo/GSE99999_series_matrix.txt")).expect("fixture");
    let cut = text.replace("!series_matrix_table_end\n", "");
    let (_dir, path) = common::write_temp("GSE1_series_matrix.txt", cut.as_bytes());
    let err = common::load_err(&path);
    assert!(err.contains("GSE1_series_matrix.txt") && err.contains("cut short"), "{err}");
    // A word among the numbers is named at its line of the file.
    let bad = text.replace("9.0986", "n.d.");
    let (_dir2, path) = common::write_temp("GSE2_series_matrix.txt", bad.as_bytes());
    let err = common::load_err(&path);
    let line = bad.lines().position(|l| l.contains("n.d.")).expect("the line") + 1;
    assert!(err.contains(&format!("line {line}")) && err.contains("'n.d.' is not a number"), "{err}");
}

#[test]
fn the_cli_reads_sheets_and_geo_files() {
    let book = fixture("spreadsheets/guo.xlsx");
    let book = book.to_str().expect("utf-8");
    let out = biolens(&["info", book, "--sheet", "Expression", "-a", book, "--annotations-sheet", "Samples", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let text = info.to_string();
    assert!(text.contains("Excel workbook (.xlsx), sheet 'Expression'"), "{text}");
    assert!(text.contains("\"label\""), "the Samples sheet's annotations: {text}");
    let geo = fixture("geo/GSE99999_series_matrix.txt.gz");
    let out = biolens(&["info", geo.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("GEO series matrix (GSE99999)") && text.contains("disease state"), "{text}");
}
