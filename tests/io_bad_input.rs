//! Every kind of bad input gives one clear message naming the file and, where it applies,
//! the line and column — and never a panic.

mod common;

use std::fmt::Write as _;
use std::io::Write as _;

use biolens::data::LoadOptions;
use biolens::data::io::read_text_table;
use common::{load_err, open_sample, sample, write_temp};

fn assert_contains(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "message {message:?} lacks {part:?}");
    }
}

#[test]
fn empty_file() {
    let (_d, path) = write_temp("empty.csv", b"");
    assert_contains(&load_err(&path), &["empty.csv", "the file is empty"]);
    let (_d, path) = write_temp("blank.csv", b"\n\n  \n");
    assert_contains(&load_err(&path), &["blank.csv", "the file is empty"]);
}

#[test]
fn header_only() {
    let (_d, path) = write_temp("header.csv", b"sample_id,g1,g2\n");
    assert_contains(&load_err(&path), &["header.csv", "line 1", "header but no data rows"]);
}

#[test]
fn row_with_too_many_fields() {
    let (_d, path) = write_temp("ragged.csv", b"sample_id,g1,g2\na,1,2\nb,3,4,5\nc,6,7\n");
    assert_contains(&load_err(&path), &["ragged.csv", "line 3", "4 fields but the header has 3"]);
}

#[test]
fn row_with_too_few_fields() {
    let (_d, path) = write_temp("short.csv", b"sample_id,g1,g2\na,1,2\nb,3,4\nc,6\n");
    assert_contains(&load_err(&path), &["short.csv", "line 4", "2 fields but the header has 3"]);
}

#[test]
fn non_numeric_cell_early_in_the_block() {
    let (_d, path) = write_temp("cell.csv", b"sample_id,g1,g2,g3\na,1,2,3\nb,3,oops,5\nc,6,7,8\nd,1,1,1\n");
    assert_contains(&load_err(&path), &["cell.csv", "line 3", "column 3 ('g2')", "'oops' is not a number"]);
}

#[test]
fn non_numeric_cell_far_down_the_file() {
    // Past the rows the column types are guessed from: polars fails, our scan finds it.
    let mut text = String::from("sample_id,g1,g2\n");
    for i in 0..3000 {
        let v = if i == 2500 { "1.2.3".to_owned() } else { format!("{i}.5") };
        let _ = writeln!(text, "s{i},{v},1");
    }
    let (_d, path) = write_temp("late.csv", text.as_bytes());
    assert_contains(&load_err(&path), &["late.csv", "line 2502", "column 2 ('g1')", "'1.2.3' is not a number"]);
}

#[test]
fn duplicate_sample_ids() {
    let (_d, path) = write_temp("dup.csv", b"sample_id,g1\na,1\nb,2\na,3\n");
    assert_contains(&load_err(&path), &["dup.csv", "line 4", "duplicate sample id 'a' (first seen on line 2)"]);
}

#[test]
fn duplicate_gene_ids_in_the_header() {
    let (_d, path) = write_temp("dupg.csv", b"sample_id,g1,g2,g1\na,1,2,3\n");
    assert_contains(&load_err(&path), &["dupg.csv", "line 1", "column 4 ('g1')", "duplicate column name 'g1'"]);
}

#[test]
fn duplicate_gene_ids_in_rows() {
    let (_d, path) = write_temp("dupr.tsv", b"gene_id\ts1\ts2\nTP53\t1\t2\nMYC\t1\t2\nTP53\t3\t4\n");
    assert_contains(&load_err(&path), &["dupr.tsv", "line 4", "duplicate gene id 'TP53'"]);
}

#[test]
fn binary_garbage() {
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let (_d, path) = write_temp("garbage.csv", &garbage);
    assert_contains(&load_err(&path), &["garbage.csv", "not a text table"]);
}

#[test]
fn truncated_gzip() {
    let full = std::fs::read(sample("nci60/expression.tsv.gz")).unwrap();
    let (_d, path) = write_temp("cut.tsv.gz", &full[..full.len() / 2]);
    assert_contains(&load_err(&path), &["cut.tsv.gz", "gzip data is truncated or corrupt"]);
}

#[test]
fn a_file_that_vanished() {
    let (dir, path) = write_temp("gone.csv", b"sample_id,g\na,1\n");
    std::fs::remove_file(&path).unwrap();
    assert_contains(&load_err(&path), &["gone.csv", "file not found"]);
    drop(dir);
}

#[test]
fn row_without_an_id() {
    let (_d, path) = write_temp("noid.csv", b"sample_id,g1\na,1\n,2\n");
    assert_contains(&load_err(&path), &["noid.csv", "line 3", "no id"]);
}

#[test]
fn annotations_that_match_nothing_name_the_likely_cause() {
    let base = open_sample("sklearn_iris");
    let (_d, path) = write_temp("genes_as_ids.csv", b"id,kind\npetal_width_(cm),x\nsomething,y\n");
    let err = biolens::data::add_annotations(&base, &path, None).unwrap_err().to_string();
    assert_contains(&err, &["genes_as_ids.csv", "none of its 2 ids matches", "transposed"]);
}

#[test]
fn ragged_annotations_file() {
    let base = open_sample("sklearn_iris");
    let (_d, path) = write_temp("ann.csv", b"sample_id,a,b\niris_001,x,y\niris_002,x\n");
    let err = biolens::data::add_annotations(&base, &path, None).unwrap_err().to_string();
    assert_contains(&err, &["ann.csv", "line 3", "2 fields but the header has 3"]);
}

#[test]
fn truncated_matrix_market() {
    let text = std::fs::read_to_string(sample("pbmc68k_reduced/mtx_v2/matrix.mtx")).unwrap();
    let mut cut = text.lines().take(100).collect::<Vec<_>>().join("\n");
    cut.push('\n');
    let (_d, path) = write_temp("m.mtx", cut.as_bytes());
    assert_contains(&load_err(&path), &["m.mtx", "promises 174400 entries"]);
}

#[test]
fn random_bytes_never_panic() {
    // A cheap, deterministic stand-in for the fuzz target (fuzz/): mutate real text.
    let seed_text = b"sample_id,g1,g2\n\"a\",1,2\nb,NA,3e5\n\tc;4|5\n";
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2000 {
        let mut bytes = seed_text.to_vec();
        for _ in 0..(next() % 8) {
            let pos = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[pos] = next() as u8,
                1 => bytes.insert(pos, b",\n\"\t;0.-eNA"[(next() % 11) as usize]),
                _ => {
                    bytes.remove(pos);
                }
            }
        }
        let _ = read_text_table(std::path::Path::new("fuzz.csv"), bytes, &LoadOptions::default(), false, &|_, _| {});
    }
}

#[test]
fn errors_are_one_line() {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b"sample_id,g\na,1\n").unwrap();
    let bytes = enc.finish().unwrap();
    let (_d, path) = write_temp("x.csv.gz", &bytes[..bytes.len() - 6]);
    let message = load_err(&path);
    assert!(!message.contains('\n'), "{message:?}");
}
