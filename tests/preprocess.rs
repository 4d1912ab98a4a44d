//! The recorded preprocessing pipeline on real data.

// Parsed values must be bit-identical to the text: exact comparison is the point.
#![allow(clippy::float_cmp)]

mod common;

use biolens::data::preprocess::{self, mean_var};
use biolens::data::{Dataset, MissingPolicy, Pipeline, Step};
use common::{load, open_sample, sample, write_temp};

fn with(d: &Dataset, steps: Vec<Step>) -> Dataset {
    d.with_pipeline(Pipeline { missing: MissingPolicy::ImputeMean, steps }).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn log_transforms() {
    let d = open_sample("guo_qpcr");
    let raw = d.dense().expect("dense").clone();
    // guo has negative Ct values: log must refuse with a clear message.
    let err = d.with_pipeline(Pipeline { steps: vec![Step::Log2], ..Pipeline::default() }).unwrap_err().to_string();
    assert!(err.contains("needs values > −1") && err.contains("sample '"), "{err}");
    let t = open_sample("tissue_gene_expression");
    let log2 = with(&t, vec![Step::Log2]);
    let ln = with(&t, vec![Step::Ln]);
    assert!((log2.dense().expect("dense")[[3, 7]] - (t.dense().expect("dense")[[3, 7]] + 1.0).log2()).abs() < 1e-15);
    assert!((ln.dense().expect("dense")[[3, 7]] - (t.dense().expect("dense")[[3, 7]] + 1.0).ln()).abs() < 1e-15);
    assert_eq!(d.dense().expect("dense"), &raw, "the original dataset is untouched");
}

#[test]
fn cpm_rows_sum_to_a_million() {
    let (_dir, path) = write_temp("counts.csv", b"sample_id,g1,g2,g3\na,10,30,60\nb,0,5,5\n");
    let d = biolens::data::open(
        &biolens::data::OpenRequest {
            matrix: path,
            pipeline: Pipeline { steps: vec![Step::Cpm], ..Pipeline::default() },
            ..Default::default()
        },
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(d.dense().expect("dense").row(0).to_vec(), vec![1e5, 3e5, 6e5]);
    assert!((d.dense().expect("dense").row(1).sum() - 1e6).abs() < 1e-6);
    // Negative values are refused.
    let t = open_sample("khan_srbct");
    let err = t.with_pipeline(Pipeline { steps: vec![Step::Cpm], ..Pipeline::default() }).unwrap_err().to_string();
    assert!(err.contains("counts ≥ 0"), "{err}");
}

#[test]
fn zscore_matches_standard_scaler() {
    let d = with(&open_sample("khan_srbct"), vec![Step::ZScore]);
    let (mean, var) = mean_var(d.dense().expect("dense").view());
    for j in 0..d.n_genes() {
        assert!(mean[j].abs() < 1e-12, "gene {j} mean {}", mean[j]);
        assert!((var[j] - 1.0).abs() < 1e-10, "gene {j} var {}", var[j]);
    }
}

#[test]
fn tiny_sd_genes_are_constant_not_blown_up() {
    // FPKM-like: a gene of zeros and 1e-138, and a truly constant one.
    let (_dir, path) =
        write_temp("fpkm.csv", b"sample_id,real,tiny,flat\na,1,0,5\nb,2,1e-138,5\nc,3,0,5\nd,4,1e-138,5\n");
    let base =
        biolens::data::open(&biolens::data::OpenRequest { matrix: path, ..Default::default() }, &|_, _| {}).unwrap();
    let z = with(&base, vec![Step::ZScore]);
    assert!(z.dense().expect("dense").column(1).iter().all(|&v| v == 0.0));
    assert!(z.dense().expect("dense").column(2).iter().all(|&v| v == 0.0));
    assert!(z.dense().expect("dense").iter().all(|v| v.abs() < 10.0));
    let dropped = with(&base, vec![Step::DropConstant]);
    assert_eq!(dropped.gene_ids(), ["real"]);
    assert!(dropped.pipeline_notes().iter().any(|n| n.contains("2 constant genes dropped")));
}

#[test]
fn top_variable_genes_keep_the_highest_variance_in_order() {
    let d = open_sample("nci60");
    let top = with(&d, vec![Step::TopVariable { n: 100 }]);
    assert_eq!(top.n_genes(), 100);
    let (_, var_all) = mean_var(d.dense().expect("dense").view());
    let (_, var_top) = mean_var(top.dense().expect("dense").view());
    let min_kept = var_top.iter().copied().fold(f64::INFINITY, f64::min);
    let above = var_all.iter().filter(|&&v| v > min_kept).count();
    assert!(above < 100, "{above} genes have more variance than the least kept one");
    // Original order is kept.
    let positions: Vec<usize> =
        top.gene_ids().iter().map(|g| d.gene_ids().iter().position(|x| x == g).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn subset_samples_by_annotation() {
    let d = open_sample("khan_srbct");
    let train = with(&d, vec![Step::SubsetSamples { column: "split".into(), keep: vec!["train".into()] }]);
    assert_eq!(train.n_samples(), 63);
    assert!(train.sample_ids().iter().all(|s| s.starts_with("train_")));
    assert_eq!(train.annotations()[1].value_text(0).as_deref(), Some("train"));
    let err = d
        .with_pipeline(Pipeline {
            steps: vec![Step::SubsetSamples { column: "nope".into(), keep: vec![] }],
            ..Pipeline::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("no categorical annotation named 'nope'"));
}

#[test]
fn pipeline_reruns_from_raw_and_does_not_compound() {
    let d = open_sample("tissue_gene_expression");
    let once = with(&d, vec![Step::Log2]);
    let twice = with(&once, vec![Step::Log2]);
    assert_eq!(
        once.dense().expect("dense"),
        twice.dense().expect("dense"),
        "re-applying the same pipeline gives the same data"
    );
    let back = with(&once, vec![]);
    assert_eq!(back.dense().expect("dense"), d.dense().expect("dense"), "removing the step restores the raw data");
}

#[test]
fn steps_run_in_order() {
    let d = open_sample("tissue_gene_expression");
    let a = with(&d, vec![Step::ZScore, Step::TopVariable { n: 50 }]);
    let b = with(&d, vec![Step::TopVariable { n: 50 }, Step::ZScore]);
    assert_eq!(a.n_genes(), 50);
    assert_eq!(b.n_genes(), 50);
    assert_ne!(a.gene_ids(), b.gene_ids(), "after a z-score every gene has variance 1, so the choice differs");
}

#[test]
fn apply_directly_reports_kept_indices() {
    let raw = load(&sample("sklearn_iris/expression.csv")).data;
    let out =
        preprocess::apply(&raw, &Pipeline { steps: vec![Step::TopVariable { n: 2 }], ..Pipeline::default() }).unwrap();
    // Petal length (var 3.10) and sepal length (0.68) vary most.
    assert_eq!(out.genes, vec![0, 2]);
    assert_eq!(out.samples.len(), 150);
}

/// Values at the edges: a byte-order mark, infinities (missing), −1 under a log (refused:
/// log(0) is −∞), and a drop-genes policy that leaves nothing (an error, not an empty matrix).
#[test]
fn edge_values_are_refused_or_counted_as_missing() {
    let (_dir, path) = write_temp("bom.csv", b"\xEF\xBB\xBFsample_id,g1,g2\na,1,inf\nb,-1,2\nc,3,4\n");
    let loaded = load(&path);
    assert_eq!(loaded.data.gene_ids(), ["g1", "g2"]);
    assert!(loaded.data.matrix().dense().expect("dense")[[0, 1]].is_nan(), "inf is missing");
    assert_eq!(loaded.report.missing, 1);
    let open = |pipeline: Pipeline| {
        biolens::data::open(
            &biolens::data::OpenRequest { matrix: path.clone(), pipeline, ..Default::default() },
            &|_, _| {},
        )
    };
    let err = open(Pipeline { steps: vec![Step::Log2], ..Pipeline::default() }).unwrap_err().to_string();
    assert!(err.contains("needs values > −1") && err.contains("'b'"), "{err}");
    let (_dir2, all_missing) = write_temp("holes.csv", b"sample_id,g1,g2\na,1,NA\nb,NA,2\n");
    let err = biolens::data::open(
        &biolens::data::OpenRequest {
            matrix: all_missing,
            pipeline: Pipeline { missing: MissingPolicy::DropGenes, ..Pipeline::default() },
            ..Default::default()
        },
        &|_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no genes are left"), "{err}");
}
