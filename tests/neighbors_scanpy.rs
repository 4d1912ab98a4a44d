//! The neighbour graph and Leiden against scanpy on `pbmc68k_reduced`'s stored PCs
//! (`tests/reference/neighbors_reference.json`, written by `tests/reference/neighbors_make.py`):
//! the exact 15 nearest neighbours and their distances, the UMAP connectivities (scanpy's
//! `method="umap"`) and the Gaussian ones (`method="gauss"`) to float32 rounding, and Leiden
//! partitions of the same graph as close to scanpy's `flavor="igraph"` ones as scanpy's own
//! seeds are to each other (ARI ≥ 0.8), with the modularity within 1 %.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use biolens::analysis::clustering::quality::adjusted_rand_index;
use biolens::analysis::leiden::{LeidenParams, leiden};
use biolens::analysis::neighbors::{exact_knn, umap_connectivities};
use biolens::data::{self, OpenRequest};
use serde_json::Value;

fn ari(a: &[usize], b: &[usize]) -> f64 {
    let rows = a.iter().max().map_or(0, |m| m + 1);
    let cols = b.iter().max().map_or(0, |m| m + 1);
    let mut table = vec![vec![0usize; cols]; rows];
    for (&x, &y) in a.iter().zip(b) {
        table[x][y] += 1;
    }
    adjusted_rand_index(&table)
}

/// `graph` has exactly scanpy's edges (`reference`: row, col and value lists), weights to 1e-4.
fn same_edges(graph: &biolens::data::Csr, reference: &Value, what: &str) {
    let (rows, cols, values) = (
        reference["row"].as_array().expect("the reference"),
        reference["col"].as_array().expect("the reference"),
        reference["value"].as_array().expect("the reference"),
    );
    assert_eq!(graph.nnz(), values.len(), "the same {what} edges");
    for ((r, col), v) in rows.iter().zip(cols).zip(values) {
        let (r, col, v) = (
            r.as_u64().expect("the reference") as usize,
            col.as_u64().expect("the reference") as usize,
            v.as_f64().expect("the reference"),
        );
        let ours = graph.get(r, col);
        assert!((ours - v).abs() <= 1e-4 * v.max(1e-3), "{what} edge {r}–{col}: {ours} vs {v}");
    }
}

#[test]
fn neighbours_connectivities_and_leiden_match_scanpy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: Value = serde_json::from_slice(
        &std::fs::read(root.join("tests/reference/neighbors_reference.json")).expect("reference"),
    )
    .expect("JSON");
    let request =
        OpenRequest { matrix: root.join("sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad"), ..OpenRequest::default() };
    let dataset = data::open(&request, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    let pcs = &dataset.raw().single_cell().embeddings.iter().find(|e| e.name == "X_pca").expect("X_pca").coords;
    assert_eq!(pcs.dim(), (700, 50));

    let knn = exact_knn(pcs.view(), 15, &|| false).expect("not cancelled");
    let theirs = reference["knn_indices"].as_array().expect("indices");
    let their_distances = reference["knn_distances"].as_array().expect("distances");
    for i in 0..700 {
        let (idx, dist) = knn.row(i);
        let ours: BTreeSet<u64> = idx.iter().map(|&j| u64::from(j)).collect();
        let expected: BTreeSet<u64> = theirs[i].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(ours, expected, "cell {i}");
        for (k, d) in dist.iter().enumerate() {
            let t = their_distances[i][k].as_f64().unwrap();
            assert!((d - t).abs() <= 1e-5 * t.max(1e-3), "cell {i}, neighbour {k}: {d} vs {t}");
        }
    }

    let graph = umap_connectivities(&knn);
    same_edges(&graph, &reference["connectivities"], "UMAP");
    // scanpy's method="gauss" on the same neighbours.
    same_edges(
        &biolens::analysis::neighbors::gauss_connectivities(&knn),
        &reference["connectivities_gauss"],
        "Gaussian",
    );

    let scanpy: Vec<(Vec<usize>, f64)> = (0..5)
        .map(|seed| {
            let run = &reference["leiden"][seed.to_string()];
            let labels = run["labels"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
            (labels, run["modularity"].as_f64().unwrap())
        })
        .collect();
    let their_modularity = scanpy.iter().map(|(_, m)| m).sum::<f64>() / 5.0;
    for seed in 0..5 {
        let ours = leiden(&graph, LeidenParams { seed, ..LeidenParams::default() }, &|| false).expect("ran");
        let labels: Vec<usize> = ours.membership.iter().map(|&c| c as usize).collect();
        let aris: Vec<f64> = scanpy.iter().map(|(theirs, _)| ari(&labels, theirs)).collect();
        let mean = aris.iter().sum::<f64>() / 5.0;
        println!(
            "seed {seed}: {} clusters, modularity {:.4} (scanpy {their_modularity:.4}), ARI {aris:.3?}",
            ours.clusters, ours.modularity
        );
        assert!(mean >= 0.8, "seed {seed}: mean ARI against scanpy's seeds {mean:.3} ({aris:.3?})");
        assert!(
            (ours.modularity - their_modularity).abs() <= 0.01 * their_modularity,
            "seed {seed}: modularity {} vs scanpy's {their_modularity}",
            ours.modularity
        );
    }
}

#[test]
fn the_command_line_clusters_with_leiden_and_louvain() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad");
    let file = file.to_str().expect("utf-8");
    let dir = tempfile::tempdir().expect("temp dir");
    let reference: Value = serde_json::from_slice(
        &std::fs::read(root.join("tests/reference/neighbors_reference.json")).expect("reference"),
    )
    .expect("JSON");
    let theirs: Vec<usize> =
        reference["leiden"]["0"]["labels"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    for method in ["leiden", "louvain"] {
        let out = dir.path().join(format!("{method}.csv"));
        let done = common::biolens(&[
            "cluster",
            file,
            "--method",
            method,
            "--use-rep",
            "X_pca",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
        let summary = String::from_utf8_lossy(&done.stdout);
        assert!(
            summary.contains("15-neighbour graph (exact) in X_pca of 700 samples") && summary.contains("modularity"),
            "{summary}"
        );
        let table = std::fs::read_to_string(&out).expect("labels");
        let labels: Vec<usize> =
            table.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().parse().unwrap()).collect();
        assert_eq!(labels.len(), 700);
        let agreement = ari(&labels, &theirs);
        assert!(agreement >= 0.7, "{method}: ARI {agreement} against scanpy's Leiden");
    }
    let bad = common::biolens(&["cluster", file, "--method", "leiden", "--use-rep", "X_nope", "--out", "/dev/null"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("X_pca, X_umap"));
}

#[test]
fn umap_keeps_neighbourhoods_as_well_as_umap_learn() {
    use biolens::recipes::umap::{UmapSettings, run};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: Value = serde_json::from_slice(
        &std::fs::read(root.join("tests/reference/neighbors_reference.json")).expect("reference"),
    )
    .expect("JSON");
    let umap_learn = &reference["umap"];
    let theirs: Vec<f64> =
        umap_learn["preservation_k15"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).collect();
    let theirs = theirs.iter().sum::<f64>() / theirs.len() as f64;
    let request =
        OpenRequest { matrix: root.join("sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad"), ..OpenRequest::default() };
    let dataset = data::open(&request, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    let mut ours = Vec::new();
    for seed in 0..3 {
        let mut settings = UmapSettings::default();
        settings.graph.use_rep = Some("X_pca".into());
        settings.params.seed = seed;
        let (graph, layout) =
            run(&dataset, &settings, biolens::recipes::Ctx::silent()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(layout.progress(), (500, 500));
        let (a, b) = layout.ab();
        let ab = umap_learn["ab_1_0.5"].as_array().unwrap();
        assert!((a - ab[0].as_f64().unwrap()).abs() < 1e-4 && (b - ab[1].as_f64().unwrap()).abs() < 1e-4);
        let embedding = layout.embedding();
        ours.push(biolens::analysis::umap::knn_preservation(graph.representation.view(), embedding.view(), 15));
    }
    let mean = ours.iter().sum::<f64>() / 3.0;
    println!("k-NN preservation (k = 15): ours {ours:.3?}, umap-learn {theirs:.3}");
    assert!(mean >= theirs - 0.03, "ours {mean:.3} against umap-learn's {theirs:.3}");
}

#[test]
fn the_command_line_writes_a_umap() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("umap.csv");
    let v = common::biolens_json(&[
        "umap",
        file.to_str().unwrap(),
        "--use-rep",
        "X_pca",
        "--epochs",
        "100",
        "--knn-preservation",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        (v["samples"].as_u64(), v["epochs"].as_u64(), v["neighbors"].as_u64()),
        (Some(700), Some(100), Some(15))
    );
    assert_eq!(v["approximate_neighbors"], false);
    assert!(v["knn_preservation_k15"].as_f64().unwrap() > 0.3, "{v}");
    let table = std::fs::read_to_string(&out).expect("written");
    assert_eq!(table.lines().next(), Some("sample_id,UMAP1,UMAP2"));
    assert_eq!(table.lines().count(), 701);
    // Without --knn-preservation it is not measured.
    let quick = common::biolens_json(&[
        "umap",
        file.to_str().unwrap(),
        "--use-rep",
        "X_pca",
        "--epochs",
        "10",
        "--knn",
        "approximate",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(quick["knn_preservation_k15"].is_null());
    assert_eq!(quick["approximate_neighbors"], true);
}

/// UMAP quality beyond `pbmc68k_reduced`: on every shared expression set the mean k-NN
/// preservation (k = 15, in the principal components, seeds 0–2) is at most 0.03 below
/// umap-learn's through scanpy on the same number of components
/// (`tests/reference/umap_shared_make.py`).
#[test]
fn umap_keeps_neighbourhoods_on_the_shared_datasets() {
    use biolens::recipes::umap::{UmapSettings, run};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: Value = serde_json::from_slice(
        &std::fs::read(root.join("tests/reference/umap_shared_reference.json")).expect("reference"),
    )
    .expect("JSON");
    let mut report = Vec::new();
    for (name, entry) in reference["sets"].as_object().expect("sets") {
        let dataset = common::open_sample(name);
        let mut ours = Vec::new();
        for seed in 0..3 {
            let mut settings = UmapSettings::default();
            settings.graph.pcs = entry["pcs"].as_u64().unwrap() as usize;
            settings.params.seed = seed;
            let (graph, layout) =
                run(&dataset, &settings, biolens::recipes::Ctx::silent()).unwrap_or_else(|e| panic!("{name}: {e}"));
            ours.push(biolens::analysis::umap::knn_preservation(
                graph.representation.view(),
                layout.embedding().view(),
                15,
            ));
        }
        let mean = ours.iter().sum::<f64>() / 3.0;
        let theirs = entry["mean"].as_f64().unwrap();
        report.push(format!("{name}: ours {mean:.3} {ours:.3?}, umap-learn {theirs:.3}"));
        assert!(mean >= theirs - 0.03, "{report:#?}");
    }
    println!("{report:#?}");
}
