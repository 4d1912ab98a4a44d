//! Reading single-cell files (h5ad from anndata 0.5 to today, Loom, Cell Ranger v2/v3 HDF5
//! and 10x directories) against what anndata/scanpy read from the same files
//! (`tests/reference/scanpy_reference.json`, written by `tests/reference/scanpy_make.py`).

mod common;

use std::path::{Path, PathBuf};

use biolens::data::annotations::AnnotationValues;
use biolens::data::io::{LoadOptions, Loaded, load_matrix};
use biolens::data::{Matrix, MatrixChoice};
use serde_json::Value;

fn reference() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/scanpy_reference.json");
    serde_json::from_slice(&std::fs::read(path).expect("the scanpy reference")).expect("JSON")
}

fn formats(name: &str) -> PathBuf {
    common::sample(&format!("formats/{name}"))
}

fn ours(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats").join(name)
}

fn read(path: &Path, choice: MatrixChoice) -> Loaded {
    load_matrix(path, &LoadOptions { orientation: None, choice }, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn read_err(path: &Path, choice: MatrixChoice) -> String {
    match load_matrix(path, &LoadOptions { orientation: None, choice }, &|_, _| {}) {
        Ok(l) => panic!("{}: expected an error, read {:?}", path.display(), l.data.matrix().dim()),
        Err(e) => e.to_string(),
    }
}

/// Non-zeros and the sum of every value, in f64.
fn nnz_and_sum(m: &Matrix) -> (usize, f64) {
    match m {
        Matrix::Sparse(s, _) => {
            (s.data().iter().filter(|&&v| v != 0.0).count(), s.data().iter().map(|&v| f64::from(v)).sum())
        }
        Matrix::Dense(d) => (d.iter().filter(|&&v| v != 0.0).count(), d.sum()),
    }
}

/// Shape, non-zeros, sum and the first names as anndata read them.
fn matches_anndata(loaded: &Loaded, entry: &Value, what: &str) {
    let data = &loaded.data;
    let n_obs = entry["n_obs"].as_u64().expect("n_obs") as usize;
    let n_vars = entry["n_vars"].as_u64().expect("n_vars") as usize;
    assert_eq!(data.matrix().dim(), (n_obs, n_vars), "{what}: shape");
    let (nnz, sum) = nnz_and_sum(data.matrix());
    assert_eq!(
        nnz as u64,
        entry["X"]["n_nonzero"].as_u64().or(entry["X"]["nnz"].as_u64()).expect("nnz"),
        "{what}: non-zeros"
    );
    let expected = entry["X"]["sum"].as_f64().expect("sum");
    assert!((sum - expected).abs() <= 1e-6 * expected.abs().max(1.0), "{what}: sum {sum} vs {expected}");
    let first = |key: &str| -> Vec<String> {
        entry[key].as_array().expect("names").iter().map(|v| v.as_str().expect("text").to_owned()).collect()
    };
    assert_eq!(data.sample_ids()[..3].to_vec(), first("obs_names_first3"), "{what}: cells");
    assert_eq!(data.gene_ids()[..3].to_vec(), first("var_names_first3"), "{what}: genes");
}

#[test]
fn every_real_file_reads_as_anndata_reads_it() {
    let reference = reference();
    let files = &reference["files"];
    for (name, key) in [
        ("anndata_v0.5.0.h5ad", "shared/anndata_v0.5.0.h5ad"),
        ("anndata_v0.7.0.h5ad", "shared/anndata_v0.7.0.h5ad"),
        ("pbmc68k_reduced_current.h5ad", "shared/pbmc68k_reduced_current.h5ad"),
        ("pbmc68k_reduced.loom", "shared/pbmc68k_reduced.loom[index]"),
        ("cellranger_v3_filtered.h5", "shared/cellranger_v3_filtered.h5"),
        ("cellranger_v2_filtered.h5", "shared/cellranger_v2_filtered.h5"),
        ("cellranger_v3_filtered_mtx", "shared/cellranger_v3_filtered_mtx"),
    ] {
        let loaded = read(&formats(name), MatrixChoice::default());
        matches_anndata(&loaded, &files[key], name);
    }
    for name in ["counts_csr_gzip.h5ad", "counts_csc_lzf.h5ad", "dense_x.h5ad", "counts.loom"] {
        let loaded = read(&ours(name), MatrixChoice::default());
        matches_anndata(&loaded, &files[&format!("tests/data/formats/{name}")], name);
    }
}

#[test]
fn counts_stay_sparse_and_csr_csc_and_loom_agree() {
    let csr = read(&ours("counts_csr_gzip.h5ad"), MatrixChoice::default());
    let csc = read(&ours("counts_csc_lzf.h5ad"), MatrixChoice::default());
    let loom = read(&ours("counts.loom"), MatrixChoice::default());
    assert!(csr.data.matrix().is_sparse() && csc.data.matrix().is_sparse() && loom.data.matrix().is_sparse());
    assert_eq!(csr.data.matrix(), csc.data.matrix(), "CSR (gzip) and CSC (LZF) hold the same counts");
    assert_eq!(csr.data.matrix(), loom.data.matrix(), "and so does the Loom file");
    assert_eq!(csr.data.sample_ids(), loom.data.sample_ids());
    let mtx = read(&formats("cellranger_v3_filtered_mtx"), MatrixChoice::default());
    let h5 = read(&formats("cellranger_v3_filtered.h5"), MatrixChoice::default());
    assert!(mtx.data.matrix().is_sparse(), "10x directories are read sparse");
    assert_eq!(mtx.data.matrix(), h5.data.matrix(), "the 10x directory and the HDF5 file agree");
    assert_eq!(mtx.data.gene_ids(), h5.data.gene_ids());
}

#[test]
fn obs_columns_become_annotations_of_every_kind() {
    let loaded = read(&ours("counts_csr_gzip.h5ad"), MatrixChoice::default());
    let reference = reference();
    let obs = &reference["files"]["tests/data/formats/counts_csr_gzip.h5ad"]["obs"];
    let find =
        |name: &str| loaded.data.annotations().iter().find(|a| a.name == name).unwrap_or_else(|| panic!("no '{name}'"));
    for (name, column) in obs.as_object().expect("obs columns") {
        let ours = find(name);
        let first3: Vec<Option<String>> = (0..3).map(|i| ours.value_text(i)).collect();
        let theirs: Vec<Option<String>> = column["first3"]
            .as_array()
            .expect("first3")
            .iter()
            .map(|v| v.as_str().filter(|s| !matches!(*s, "<NA>" | "nan" | "None")).map(str::to_owned))
            .collect();
        match column["kind"].as_str().expect("kind") {
            "category" | "bool" | "nullable_bool" => {
                assert!(matches!(ours.values, AnnotationValues::Categorical { .. }), "{name} categorical");
                assert_eq!(first3, theirs, "{name}");
            }
            _ => {
                let AnnotationValues::Numeric(values) = &ours.values else { panic!("{name} numeric") };
                let nums = column["first3_num"].as_array().expect("first3_num");
                for (v, t) in values.iter().zip(nums) {
                    match t.as_f64() {
                        Some(t) => assert!((v - t).abs() < 1e-9 * t.abs().max(1.0), "{name}: {v} vs {t}"),
                        None => assert!(v.is_nan(), "{name}: missing"),
                    }
                }
            }
        }
    }
    let embeddings: Vec<&str> = loaded.data.single_cell().embeddings.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(embeddings, ["X_pca", "X_umap"]);
    let colours = &loaded.data.single_cell().colours;
    let cell_type = colours.iter().find(|c| c.annotation == "cell_type").expect("cell_type colours");
    let uns = &reference["files"]["tests/data/formats/counts_csr_gzip.h5ad"]["uns_colors"]["cell_type_colors"];
    let written: Vec<&str> = uns.as_array().expect("colours").iter().map(|v| v.as_str().expect("text")).collect();
    assert_eq!(cell_type.colours.iter().map(|(_, c)| c.as_str()).collect::<Vec<_>>(), written);
}

#[test]
fn layers_raw_and_old_encodings() {
    let counts =
        read(&ours("counts_csr_gzip.h5ad"), MatrixChoice { layer: Some("counts".into()), ..MatrixChoice::default() });
    let x = read(&ours("counts_csr_gzip.h5ad"), MatrixChoice::default());
    assert_eq!(counts.data.matrix(), x.data.matrix(), "the counts layer holds X's counts");
    let raw = read(&ours("counts_csr_gzip.h5ad"), MatrixChoice { use_raw: true, ..MatrixChoice::default() });
    let reference = reference();
    let raw_shape = &reference["files"]["tests/data/formats/counts_csr_gzip.h5ad"]["raw"]["shape"];
    assert_eq!(raw.data.matrix().ncols() as u64, raw_shape[1].as_u64().expect("raw genes"));
    assert_eq!(raw.report.single_cell.as_ref().map(|s| s.matrix.as_str()), Some("raw/X"));
    // anndata 0.5: compound obs with categories under uns, raw.X, obsm fields.
    let old = read(&formats("anndata_v0.5.0.h5ad"), MatrixChoice::default());
    let labels = old.data.annotations().iter().find(|a| a.name == "bulk_labels").expect("bulk_labels");
    let current = read(&formats("pbmc68k_reduced_current.h5ad"), MatrixChoice::default());
    let now = current.data.annotations().iter().find(|a| a.name == "bulk_labels").expect("bulk_labels");
    assert_eq!(labels, now, "0.5's compound categorical equals today's");
    assert_eq!(old.data.single_cell().embeddings.len(), 2);
    assert_eq!(old.data.single_cell().embeddings[1].coords, current.data.single_cell().embeddings[1].coords);
    let old_raw = read(&formats("anndata_v0.5.0.h5ad"), MatrixChoice { use_raw: true, ..MatrixChoice::default() });
    assert!(old_raw.data.matrix().is_sparse());
    // 0.7: `__categories`.
    let v07 = read(&formats("anndata_v0.7.0.h5ad"), MatrixChoice::default());
    assert!(
        v07.data
            .annotations()
            .iter()
            .any(|a| a.name == "obs_cat" && matches!(a.values, AnnotationValues::Categorical { .. }))
    );
}

#[test]
fn bad_files_name_the_file_and_the_hdf5_path() {
    let no_x = read_err(&formats("anndata_v0.11.4.h5ad"), MatrixChoice::default());
    assert!(no_x.contains("anndata_v0.11.4.h5ad") && no_x.contains("/X") && no_x.contains("no X matrix"), "{no_x}");
    for (file, object, why) in [
        ("bad_indices.h5ad", "/X/indices", "out of range"),
        ("bad_indptr.h5ad", "/X/indptr", "decreases"),
        ("bad_indptr_last.h5ad", "/X/indptr", "ends at"),
        ("shape_mismatch.h5ad", "/X", "rows"),
        ("unknown_encoding.h5ad", "/X", "weird-matrix"),
    ] {
        let message = read_err(&ours(file), MatrixChoice::default());
        assert!(message.contains(file) && message.contains(object) && message.contains(why), "{file}: {message}");
    }
    let truncated = read_err(&ours("truncated.h5ad"), MatrixChoice::default());
    assert!(truncated.contains("truncated.h5ad") && truncated.contains("HDF5"), "{truncated}");
    let layer = read_err(
        &ours("counts_csr_gzip.h5ad"),
        MatrixChoice { layer: Some("spliced".into()), ..MatrixChoice::default() },
    );
    assert!(layer.contains("no layer 'spliced'") && layer.contains("counts"), "{layer}");
    let genome = read_err(
        &formats("cellranger_v2_filtered.h5"),
        MatrixChoice { genome: Some("mm10".into()), ..MatrixChoice::default() },
    );
    assert!(genome.contains("hg19_chr21"), "{genome}");
}
