//! The command line on single-cell files: `info` describes an h5ad, `qc` summarises and
//! writes the per-cell metrics, scanpy's steps as flags give scanpy's PCA and HVG count, and
//! a broken file or a missing layer exits 1 with the file and the HDF5 path.

mod common;

use std::path::{Path, PathBuf};

use common::{biolens, biolens_json as json};

fn file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats").join(name)
}

fn reference() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/scanpy_reference.json");
    serde_json::from_slice(&std::fs::read(path).expect("reference")).expect("JSON")
}

#[test]
fn info_describes_an_h5ad() {
    let counts = file("counts_csr_gzip.h5ad");
    let v = json(&["info", counts.to_str().expect("utf-8"), "--json"]);
    assert_eq!((v["samples"].as_u64(), v["genes"].as_u64()), (Some(600), Some(1000)));
    assert_eq!(v["sparse"]["non_zeros"], 52_033);
    assert_eq!(v["single_cell"]["matrix"], "X");
    assert_eq!(v["single_cell"]["layers"], serde_json::json!(["counts"]));
    assert_eq!(v["single_cell"]["has_raw"], true);
    assert_eq!(v["single_cell"]["embeddings"], serde_json::json!(["X_pca", "X_umap"]));
    let text = String::from_utf8(biolens(&["info", counts.to_str().expect("utf-8")]).stdout).expect("utf-8");
    assert!(text.contains("52,033 non-zeros") && text.contains("raw (--use-raw)"), "{text}");
}

#[test]
fn qc_summarises_and_writes_every_cell() {
    let counts = file("counts_csr_gzip.h5ad");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("qc.csv");
    let v = json(&["qc", counts.to_str().expect("utf-8"), "--json", "--out", out.to_str().expect("utf-8")]);
    assert_eq!(v["cells"], 600);
    assert_eq!(v["mito_genes"], 10);
    // scanpy's normalize_total target is the median of the totals: 171.
    let median = reference()["normalize_total"]["target_sum"].as_f64().expect("target");
    assert!((v["metrics"]["total_counts"]["median"].as_f64().expect("median") - median).abs() < 1e-9);
    let csv = std::fs::read_to_string(&out).expect("the CSV");
    assert_eq!(csv.lines().count(), 601);
    assert!(csv.starts_with("cell_id,total_counts,n_genes_by_counts,pct_counts_mt\nCELL0000-1,"));
}

#[test]
fn scanpy_steps_as_flags_give_scanpys_numbers() {
    let counts = file("counts_csr_gzip.h5ad");
    let path = counts.to_str().expect("utf-8");
    let reference = reference();
    let v = json(&["pca", path, "--normalize-total", "--log1p", "--hvg", "200", "--clip", "10", "--json"]);
    let theirs = reference["pca"]["scaled"]["explained_variance_ratio"].as_array().expect("EVR");
    let ours = v["explained_variance_ratio"].as_array().expect("EVR");
    assert_eq!(ours.len(), 50);
    for (k, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let (a, b) = (a.as_f64().expect("number"), b.as_f64().expect("number"));
        assert!((a - b).abs() < 1e-4, "PC{}: {a} vs {b}", k + 1);
    }
    // scanpy's cut-offs (min_mean 0.0125, max_mean 3, min_disp 0.5) keep 205 genes here.
    let cut = json(&["info", path, "--normalize-total", "--log1p", "--hvg-min-disp", "0.5", "--json"]);
    assert_eq!(cut["genes"].as_u64(), reference["hvg"]["seurat_cutoffs"]["n_hvg"].as_u64());
    let filtered = json(&["info", path, "--filter-cells-min-genes", "30", "--filter-genes-min-cells", "5", "--json"]);
    assert_eq!(filtered["samples"].as_u64(), reference["filters"]["filter_cells_min_genes"]["n_kept"].as_u64());
}

#[test]
fn bad_files_and_choices_exit_1_naming_the_place() {
    for (args, expect) in [
        (vec!["info", "truncated.h5ad"], "truncated.h5ad"),
        (vec!["info", "bad_indices.h5ad"], "/X/indices"),
        (vec!["info", "counts_csr_gzip.h5ad", "--layer", "spliced"], "no layer 'spliced'"),
    ] {
        let mut args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        args[1] = file(&args[1]).to_string_lossy().into_owned();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = biolens(&refs);
        assert_eq!(out.status.code(), Some(1), "{refs:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expect), "{refs:?}: {stderr}");
    }
}

#[test]
fn group_means_turn_cells_into_one_sample_per_group() {
    let counts = file("counts_csr_gzip.h5ad");
    let counts = counts.to_str().expect("utf-8");
    let v = json(&["info", counts, "--normalize-total", "--log1p", "--group-means", "cell_type", "--json"]);
    assert_eq!((v["samples"].as_u64(), v["genes"].as_u64()), (Some(5), Some(1000)));
    // Hierarchical clustering of the five means: four merges.
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("linkage.csv");
    let done = biolens(&[
        "cluster",
        counts,
        "--method",
        "average",
        "--normalize-total",
        "--log1p",
        "--group-means",
        "cell_type",
        "--linkage-out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let linkage = std::fs::read_to_string(&out).expect("written");
    assert_eq!(linkage.lines().filter(|l| !l.trim().is_empty()).count(), 1 + 4, "{linkage}");
    // A grouping that is not categorical exits 1, naming it.
    let bad = biolens(&["info", counts, "--group-means", "n_guides"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("n_guides"));
}
