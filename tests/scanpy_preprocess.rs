//! scanpy's preprocessing, step by step, against scanpy 1.11 on the same file
//! (`tests/reference/scanpy_reference.json` and `scanpy_log1p.h5ad`, written by
//! `tests/reference/scanpy_make.py`): QC metrics exactly, the filters' kept cells and genes,
//! the normalised and log matrix to 1e-6 relative, each flavour's HVG set, and PCA's
//! explained-variance ratios on the scaled HVGs within 1e-4 of `svd_solver="arpack"`.

use std::path::{Path, PathBuf};

use biolens::analysis::pca::{PcaParams, PcaSolver, pca};
use biolens::data::single_cell::{self, CellFilter, HvgFlavor, HvgSettings, MITO_PREFIX};
use biolens::data::{self, Dataset, Matrix, OpenRequest, Pipeline, Step};
use serde_json::Value;

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn reference() -> Value {
    serde_json::from_slice(&std::fs::read(path("tests/reference/scanpy_reference.json")).expect("reference"))
        .expect("JSON")
}

fn open(steps: Vec<Step>) -> Dataset {
    let request = OpenRequest {
        matrix: path("tests/data/formats/counts_csr_gzip.h5ad"),
        pipeline: Pipeline { steps, ..Pipeline::default() },
        ..OpenRequest::default()
    };
    data::open(&request, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().expect("a list").iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array().expect("a list").iter().map(|x| x.as_str().expect("text").to_owned()).collect()
}

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= relative * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn qc_metrics_equal_scanpy() {
    let reference = reference();
    let qc = &reference["qc"];
    let d = open(Vec::new());
    let ours = single_cell::cell_qc(d.values(), d.gene_ids(), MITO_PREFIX);
    assert_eq!(ours.total_counts, numbers(&qc["obs"]["total_counts"]), "total counts");
    let genes: Vec<f64> = ours.n_genes.iter().map(|&n| n as f64).collect();
    assert_eq!(genes, numbers(&qc["obs"]["n_genes_by_counts"]), "genes detected");
    for (i, (a, b)) in ours.pct_mito.iter().zip(numbers(&qc["obs"]["pct_counts_mt"])).enumerate() {
        assert!(close(*a, b, 1e-6), "cell {i}: {a}% vs {b}%");
    }
    assert_eq!(ours.mito_genes, qc["mt_genes"].as_array().expect("list").len());
    let cells: Vec<f64> = single_cell::gene_cells(d.values()).iter().map(|&n| n as f64).collect();
    assert_eq!(cells, numbers(&qc["var"]["n_cells_by_counts"]));
}

#[test]
fn filters_keep_the_cells_and_genes_scanpy_keeps() {
    let reference = reference();
    let filters = &reference["filters"];
    let cases = [
        (
            "filter_cells_min_genes",
            "min_genes",
            Step::FilterCells(CellFilter { min_genes: Some(30), ..CellFilter::default() }),
        ),
        (
            "filter_cells_min_counts",
            "min_counts",
            Step::FilterCells(CellFilter { min_counts: Some(55.0), ..CellFilter::default() }),
        ),
        (
            "filter_cells_max_counts",
            "max_counts",
            Step::FilterCells(CellFilter { max_counts: Some(420.0), ..CellFilter::default() }),
        ),
    ];
    for (key, arg, step) in cases {
        // The thresholds scanpy ran with are the ones given here.
        let threshold = filters[key]["args"][arg].as_f64().expect("threshold");
        assert!(step.describe().contains(&format!("{threshold}")), "{key}: {}", step.describe());
        let d = open(vec![step]);
        assert_eq!(d.sample_ids().to_vec(), texts(&filters[key]["kept"]), "{key}");
    }
    let d = open(vec![Step::FilterGenes { min_cells: 5 }]);
    assert_eq!(d.gene_ids().to_vec(), texts(&filters["filter_genes_min_cells"]["kept"]));
}

#[test]
fn normalised_log_matrix_equals_scanpy_to_1e_6() {
    let reference = reference();
    let d = open(vec![Step::NormalizeTotal { target: None }, Step::Ln]);
    assert!(d.pipeline_notes().iter().any(|n| n.contains("171")), "{:?}", d.pipeline_notes());
    let theirs =
        data::io::load_matrix(&path("tests/reference/scanpy_log1p.h5ad"), &data::LoadOptions::default(), &|_, _| {})
            .unwrap_or_else(|e| panic!("{e}"));
    let (Matrix::Sparse(a, _), Matrix::Sparse(b, _)) = (d.values(), theirs.data.matrix()) else {
        panic!("both sparse")
    };
    assert_eq!(a.indptr(), b.indptr());
    assert_eq!(a.indices(), b.indices());
    for (k, (x, y)) in a.data().iter().zip(b.data()).enumerate() {
        assert!(close(f64::from(*x), f64::from(*y), 1e-6), "value {k}: {x} vs {y}");
    }
    let sum: f64 = a.data().iter().map(|&v| f64::from(v)).sum();
    assert!(close(sum, reference["log1p"]["sum"].as_f64().expect("sum"), 1e-6));
}

#[test]
fn highly_variable_genes_equal_scanpy_for_each_flavour() {
    let reference = reference();
    let hvg = &reference["hvg"];
    let log = vec![Step::NormalizeTotal { target: None }, Step::Ln];
    let cutoffs = HvgSettings { n_top: None, ..HvgSettings::default() };
    for (key, settings) in [
        ("seurat_n_top_200", HvgSettings::top(HvgFlavor::Seurat, 200)),
        ("seurat_cutoffs", cutoffs),
        ("cell_ranger_n_top_200", HvgSettings::top(HvgFlavor::CellRanger, 200)),
    ] {
        let base = open(log.clone());
        let stats = single_cell::highly_variable(base.values(), &settings).expect("log data");
        for (name, ours, theirs) in [
            ("means", &stats.means, numbers(&hvg[key]["means"])),
            ("dispersions", &stats.dispersions, numbers(&hvg[key]["dispersions"])),
            ("dispersions_norm", &stats.dispersions_norm, numbers(&hvg[key]["dispersions_norm"])),
        ] {
            for (j, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                // scanpy's expm1 runs in float32 as ours does; its variances differ from ours
                // in the last float32 digits, which matters only relative to a log near 0.
                assert!(close(*a, *b, 1e-5) || (a - b).abs() < 1e-6, "{key} {name} gene {j}: {a} vs {b}");
            }
        }
        let mut steps = log.clone();
        steps.push(Step::HighlyVariable(settings));
        let d = open(steps);
        assert_eq!(d.gene_ids().to_vec(), texts(&hvg[key]["hvg"]), "{key}");
    }
}

#[test]
fn seurat_v3_reads_the_counts_and_picks_scanpys_genes() {
    let reference = reference();
    let v3 = &reference["hvg"]["seurat_v3_n_top_200"];
    // After normalisation and log, seurat_v3 still reads the raw counts (scanpy's layer="counts").
    let steps = vec![
        Step::NormalizeTotal { target: None },
        Step::Ln,
        Step::HighlyVariable(HvgSettings::top(HvgFlavor::SeuratV3, 200)),
    ];
    let d = open(steps);
    assert_eq!(d.gene_ids().to_vec(), texts(&v3["hvg"]));
    let counts = open(Vec::new());
    let stats =
        single_cell::highly_variable(counts.values(), &HvgSettings::top(HvgFlavor::SeuratV3, 200)).expect("counts");
    for (name, ours, theirs) in [
        ("means", &stats.means, numbers(&v3["means"])),
        ("variances", &stats.dispersions, numbers(&v3["variances"])),
        ("variances_norm", &stats.dispersions_norm, numbers(&v3["variances_norm"])),
    ] {
        for (j, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!(close(*a, *b, 1e-9) || (a - b).abs() < 1e-12, "{name} gene {j}: {a} vs {b}");
        }
    }
    // Non-integer values are refused, naming the file, the HDF5 path, the cell and the gene.
    let request = OpenRequest {
        matrix: path("tests/data/formats/noninteger_counts.h5ad"),
        pipeline: Pipeline {
            steps: vec![Step::HighlyVariable(HvgSettings::top(HvgFlavor::SeuratV3, 50))],
            ..Pipeline::default()
        },
        ..OpenRequest::default()
    };
    let message = data::open(&request, &|_, _| {}).expect_err("refused").to_string();
    assert!(message.contains("seurat_v3") && message.contains("raw counts"), "{message}");
    // The file and the HDF5 path of the matrix read, then the cell and gene.
    assert!(message.contains("noninteger_counts.h5ad, /X holds "), "{message}");
    assert!(message.contains(" at sample '") && message.contains("gene '"), "{message}");
    let value: f64 = message
        .split(" holds ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|v| v.parse().ok())
        .expect("the value named");
    assert!(value.fract() != 0.0, "{message}");
}

#[test]
fn pca_of_the_scaled_hvgs_matches_arpack() {
    let reference = reference();
    let scaled = &reference["pca"]["scaled"];
    let d = open(vec![
        Step::NormalizeTotal { target: None },
        Step::Ln,
        Step::HighlyVariable(HvgSettings::top(HvgFlavor::Seurat, 200)),
        Step::Scale { clip: Some(10.0) },
    ]);
    assert!(!d.values().is_sparse(), "scaling makes the matrix dense, as in scanpy");
    assert_eq!(d.gene_ids().to_vec(), texts(&scaled["genes"]));
    let x = d.dense().expect("dense");
    let theirs_max = scaled["scaled_max"].as_f64().expect("max");
    let ours_max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(close(ours_max, theirs_max, 1e-5), "clipped maximum {ours_max} vs {theirs_max}");
    let fit = pca(x.view(), &PcaParams::new(50).solver(PcaSolver::Exact), None).expect("PCA");
    let theirs = numbers(&scaled["explained_variance_ratio"]);
    for (k, (a, b)) in fit.explained_variance_ratio.iter().zip(&theirs).enumerate() {
        assert!((a - b).abs() < 1e-4, "PC{}: {a} vs {b}", k + 1);
    }
}

#[test]
fn group_means_equal_scanpys_aggregate() {
    let reference = reference();
    let theirs = &reference["group_means"];
    // As a session reopens them: the cells normalised and logged, then averaged by cell type.
    let request = OpenRequest {
        matrix: path("tests/data/formats/counts_csr_gzip.h5ad"),
        group_means: Some(data::GroupMeans {
            by: "cell_type".to_owned(),
            members: Pipeline { steps: vec![Step::NormalizeTotal { target: None }, Step::Ln], ..Pipeline::default() },
        }),
        ..OpenRequest::default()
    };
    let d = data::open(&request, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.gene_ids().to_vec(), texts(&theirs["genes"]));
    let groups = texts(&theirs["groups"]);
    assert_eq!(d.n_samples(), groups.len());
    let values = d.dense().expect("5 × 1,000 fits");
    for (g, group) in groups.iter().enumerate() {
        let i = d.sample_ids().iter().position(|s| s == group).unwrap_or_else(|| panic!("no group {group}"));
        for (j, (a, b)) in values.row(i).iter().zip(numbers(&theirs["mean"][g])).enumerate() {
            assert!(close(*a, b, 1e-6) || (a - b).abs() < 1e-9, "{group}, gene {j}: {a} vs {b}");
        }
    }
    // Opened, then averaged in the app: the same dataset.
    let cells = open(vec![Step::NormalizeTotal { target: None }, Step::Ln]);
    let averaged = data::group_means::group_means(&cells, "cell_type").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(averaged.sample_ids(), d.sample_ids());
    assert!(averaged.values().same_values(d.values()));
    assert_eq!(averaged.source.group_means, request.group_means);
}
