//! Loading the bundled real datasets in every supported format and orientation.

// Parsed values must be bit-identical to the text: exact comparison is the point.
#![allow(clippy::float_cmp)]

mod common;

use std::io::Write;

use biolens::data::annotations::AnnotationValues;
use biolens::data::io::{Orientation, load_matrix};
use biolens::data::{LoadOptions, MissingPolicy, Pipeline};
use common::{load, load_err, open_sample, sample, write_temp};

#[test]
fn bundled_datasets_have_their_documented_shapes() {
    // (name, samples, genes) as stated in each PROVENANCE.txt.
    for (name, samples, genes) in [
        ("tissue_gene_expression", 189, 500),
        ("khan_srbct", 83, 2308),
        ("nci60", 64, 6830),
        ("pbmc68k_reduced", 700, 765),
        ("guo_qpcr", 428, 48),
        ("sklearn_iris", 150, 4),
    ] {
        let loaded = load(&sample(&format!("{name}/expression.csv")));
        assert_eq!(loaded.data.matrix().dense().expect("dense").dim(), (samples, genes), "{name}");
        assert_eq!(loaded.report.orientation, Orientation::SamplesInRows, "{name}");
        assert_eq!(loaded.report.missing, 0, "{name}");
        assert_eq!(loaded.data.sample_ids().len(), samples);
        assert_eq!(loaded.data.gene_ids().len(), genes);
    }
}

#[test]
fn both_orientations_give_the_identical_matrix() {
    let tall = load(&sample("tissue_gene_expression/expression_genes_x_samples.csv"));
    let wide = load(&sample("tissue_gene_expression/expression.csv"));
    assert_eq!(tall.report.orientation, Orientation::GenesInRows, "{}", tall.report.orientation_reason);
    assert_eq!(wide.report.orientation, Orientation::SamplesInRows);
    assert_eq!(tall.data.sample_ids(), wide.data.sample_ids());
    assert_eq!(tall.data.gene_ids(), wide.data.gene_ids());
    assert_eq!(tall.data.matrix().dense().expect("dense"), wide.data.matrix().dense().expect("dense"));
}

#[test]
fn forcing_the_orientation_transposes() {
    let forced = load_matrix(
        &sample("tissue_gene_expression/expression.csv"),
        &LoadOptions { orientation: Some(Orientation::GenesInRows), ..LoadOptions::default() },
        &|_, _| {},
    )
    .unwrap();
    let normal = load(&sample("tissue_gene_expression/expression.csv"));
    assert_eq!(forced.data.matrix().dense().expect("dense").dim(), (500, 189));
    assert_eq!(forced.data.matrix().dense().expect("dense"), &normal.data.matrix().dense().expect("dense").t());
    assert_eq!(forced.report.orientation_reason, "chosen by the user");
}

#[test]
fn gzipped_tsv_equals_plain_csv() {
    let gz = load(&sample("nci60/expression.tsv.gz"));
    let csv = load(&sample("nci60/expression.csv"));
    assert!(gz.report.format.contains("gzipped TSV"), "{}", gz.report.format);
    assert_eq!(gz.data.sample_ids(), csv.data.sample_ids());
    assert_eq!(gz.data.gene_ids(), csv.data.gene_ids());
    assert_eq!(gz.data.matrix().dense().expect("dense"), csv.data.matrix().dense().expect("dense"));
}

#[test]
fn annotations_join_by_sample_id() {
    let d = open_sample("khan_srbct");
    let report = &d.join_reports[0];
    assert_eq!(report.matched, 83);
    assert!(report.samples_without_annotation.is_empty());
    assert!(report.unknown_ids.is_empty());
    let names: Vec<&str> = d.annotations().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["label", "split", "class_name_inferred"]);
    let AnnotationValues::Categorical { levels, codes } = &d.annotations()[0].values else {
        panic!("label should be categorical");
    };
    assert_eq!(levels, &["1", "2", "3", "4"]);
    let counts: Vec<usize> = (0..4).map(|c| codes.iter().filter(|&&x| x == Some(c)).count()).collect();
    assert_eq!(counts, [11, 29, 18, 25]); // PROVENANCE label_counts
}

#[test]
fn annotation_join_reports_unmatched_ids() {
    let (_dir, path) = write_temp("ann.csv", b"sample_id,group\niris_001,a\niris_002,b\nnot_a_sample,c\n");
    let base = open_sample("sklearn_iris");
    let d = biolens::data::add_annotations(&base, &path, None).unwrap();
    let report = d.join_reports.last().unwrap();
    assert_eq!(report.matched, 2);
    assert_eq!(report.unknown_ids, ["not_a_sample"]);
    assert_eq!(report.samples_without_annotation.len(), 148);
    assert!(report.describe().contains("2 of 150 samples matched"));
    let group = d.annotations().iter().find(|a| a.name == "group").unwrap();
    assert_eq!(group.value_text(0).as_deref(), Some("a"));
    assert_eq!(group.value_text(2), None);
}

#[test]
fn ids_stay_text_with_leading_zeros() {
    let (_dir, path) = write_temp("m.csv", b"sample_id,g1,g2\n001,1,2\n002,3,4\n010,5,6\n");
    let l = load(&path);
    assert_eq!(l.data.sample_ids(), ["001", "002", "010"]);
    let (_dir2, ann) = write_temp("s.csv", b"sample_id,batch\n001,x\n002,y\n010,x\n");
    let d = biolens::data::open(
        &biolens::data::OpenRequest { matrix: path, annotations: vec![ann], ..Default::default() },
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(d.join_reports[0].matched, 3);
}

#[test]
fn text_columns_of_a_samples_table_become_annotations() {
    let (_dir, path) =
        write_temp("m.csv", b"id,tissue,g1,g2,g3\ns1,liver,1,2,3\ns2,kidney,4,5,6\ns3,liver,7,8,9\ns4,liver,1,1,1\n");
    let l = load(&path);
    assert_eq!(l.report.orientation, Orientation::SamplesInRows);
    assert_eq!(l.data.matrix().dense().expect("dense").dim(), (4, 3));
    assert_eq!(l.data.annotations()[0].name, "tissue");
    assert_eq!(l.data.annotations()[0].value_text(1).as_deref(), Some("kidney"));
}

#[test]
fn whitespace_separated_text_loads() {
    let (_dir, path) = write_temp("m.txt", b"gene   s1  s2\nA  1.5   2\nB 3 4\nC 5 6\n");
    let l = load(&path);
    assert_eq!(l.report.orientation, Orientation::GenesInRows);
    assert_eq!(l.data.sample_ids(), ["s1", "s2"]);
    assert_eq!(l.data.matrix().dense().expect("dense")[[0, 0]], 1.5);
    assert_eq!(l.data.matrix().dense().expect("dense")[[1, 2]], 6.0);
}

#[test]
fn r_style_header_without_a_row_name_cell() {
    let (_dir, path) = write_temp("m.tsv", b"g1\tg2\tg3\ns1\t1\t2\t3\ns2\t4\t5\t6\n");
    let l = load(&path);
    assert_eq!(l.data.gene_ids(), ["g1", "g2", "g3"]);
    assert_eq!(l.data.sample_ids(), ["s1", "s2"]);
    assert_eq!(l.data.matrix().dense().expect("dense")[[1, 2]], 6.0);
}

#[test]
fn quoted_ids_and_crlf_line_ends() {
    let (_dir, path) = write_temp("m.csv", b"\"sample_id\",\"g,1\",\"g2\"\r\n\"a\",1,2\r\n\"b\",3,4\r\n");
    let l = load(&path);
    assert_eq!(l.data.gene_ids(), ["g,1", "g2"]);
    assert_eq!(l.data.sample_ids(), ["a", "b"]);
    assert_eq!(l.data.matrix().dense().expect("dense")[[1, 1]], 4.0);
}

#[test]
fn missing_values_are_counted_then_imputed_or_dropped() {
    let (_dir, path) = write_temp("m.csv", b"sample_id,g1,g2,g3\na,1,NA,3\nb,,2,3\nc,3,NaN,3\nd,4,4,3\n");
    let l = load(&path);
    assert_eq!(l.report.missing, 3);
    let request = |missing| biolens::data::OpenRequest {
        matrix: path.clone(),
        pipeline: Pipeline { missing, steps: vec![] },
        ..Default::default()
    };
    let imputed = biolens::data::open(&request(MissingPolicy::ImputeMean), &|_, _| {}).unwrap();
    assert_eq!(imputed.n_genes(), 3);
    assert!((imputed.dense().expect("dense")[[1, 0]] - 8.0 / 3.0).abs() < 1e-12);
    assert_eq!(imputed.dense().expect("dense")[[0, 1]], 3.0);
    let dropped = biolens::data::open(&request(MissingPolicy::DropGenes), &|_, _| {}).unwrap();
    assert_eq!(dropped.gene_ids(), ["g3"]);
}

#[test]
fn parquet_loads_like_csv() {
    use polars::prelude::*;
    let csv = load(&sample("sklearn_iris/expression.csv"));
    let m = csv.data.matrix().dense().expect("dense");
    let mut columns = vec![Column::new("sample_id".into(), csv.data.sample_ids().to_vec())];
    for (j, name) in csv.data.gene_ids().iter().enumerate() {
        columns.push(Column::new(name.as_str().into(), m.column(j).to_vec()));
    }
    let mut df = DataFrame::new_infer_height(columns).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iris.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut df).unwrap();
    let pq = load(&path);
    assert_eq!(pq.report.format, "Parquet");
    assert_eq!(pq.data.sample_ids(), csv.data.sample_ids());
    assert_eq!(pq.data.gene_ids(), csv.data.gene_ids());
    assert_eq!(pq.data.matrix().dense().expect("dense"), csv.data.matrix().dense().expect("dense"));
    assert!(!pq.report.orientation_by_shape, "named by its id column");
    // An id column with no telling name: only the shape decides, and the report says so.
    df.rename("sample_id", "name".into()).unwrap();
    let guessed_path = dir.path().join("guessed.parquet");
    ParquetWriter::new(std::fs::File::create(&guessed_path).unwrap()).finish(&mut df).unwrap();
    let guessed = load(&guessed_path);
    assert_eq!(guessed.report.orientation, Orientation::GenesInRows);
    assert!(guessed.report.orientation_by_shape);
}

#[test]
fn tenx_directories_match_the_csv() {
    let csv = load(&sample("pbmc68k_reduced/expression_lognorm.csv"));
    for dir in ["pbmc68k_reduced/mtx_v2", "pbmc68k_reduced/mtx_v3"] {
        let mtx = load(&sample(dir));
        assert_eq!(mtx.data.matrix().dense().expect("dense").dim(), (700, 765), "{dir}");
        assert_eq!(mtx.data.sample_ids(), csv.data.sample_ids(), "{dir}");
        assert_eq!(mtx.data.gene_ids(), csv.data.gene_ids(), "{dir}");
        // The MTX files hold four significant digits.
        for (a, b) in mtx.data.matrix().dense().expect("dense").iter().zip(csv.data.matrix().dense().expect("dense")) {
            assert!((a - b).abs() <= 1e-3 * b.abs().max(1.0), "{dir}: {a} vs {b}");
        }
    }
}

#[test]
fn gzip_is_detected_by_content_not_name() {
    let plain = std::fs::read(sample("sklearn_iris/expression.csv")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&plain).unwrap();
    let (_dir, path) = write_temp("iris_no_extension", &enc.finish().unwrap());
    assert_eq!(
        load(&path).data.matrix().dense().expect("dense"),
        load(&sample("sklearn_iris/expression.csv")).data.matrix().dense().expect("dense")
    );
    // And a non-matrix still fails clearly.
    let (_d2, text) = write_temp("notes.csv", b"notes\nhello\nworld\n");
    assert!(load_err(&text).contains("no numeric columns"));
}
