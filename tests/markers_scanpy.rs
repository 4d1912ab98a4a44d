//! Marker genes against scanpy's `rank_genes_groups` on `pbmc68k_reduced` (`raw.X`, grouped by
//! `bulk_labels`; `tests/reference/markers_reference.json`, written by
//! `tests/reference/markers_make.py`): for every configuration and group, scanpy's top 100 genes
//! in its order, with scores and p-values equal to 1e-6 relative, adjusted p-values and log2
//! fold changes too.

mod common;

use std::path::Path;

use biolens::analysis::markers::MarkerMethod;
use biolens::data::{self, MatrixChoice, OpenRequest};
use biolens::recipes::markers::{MarkerSettings, run};
use serde_json::Value;

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a - b).abs() <= relative * a.abs().max(b.abs()) || (a - b).abs() < 1e-12
}

#[test]
fn every_configuration_equals_scanpy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: Value = serde_json::from_slice(
        &std::fs::read(root.join("tests/reference/markers_reference.json")).expect("the reference"),
    )
    .expect("JSON");
    let request = OpenRequest {
        matrix: root.join("sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad"),
        load: data::LoadOptions {
            choice: MatrixChoice { use_raw: true, ..MatrixChoice::default() },
            ..Default::default()
        },
        ..OpenRequest::default()
    };
    let dataset = data::open(&request, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((dataset.n_samples(), dataset.n_genes()), (700, 765));
    let configs = [
        ("wilcoxon", MarkerMethod::Wilcoxon, false, None),
        ("wilcoxon_tie_correct", MarkerMethod::Wilcoxon, true, None),
        ("t-test", MarkerMethod::TTest, false, None),
        ("t-test_overestim_var", MarkerMethod::TTestOverestimVar, false, None),
        ("wilcoxon_vs_reference", MarkerMethod::Wilcoxon, false, Some("CD19+ B")),
        ("t-test_vs_reference", MarkerMethod::TTest, false, Some("CD19+ B")),
    ];
    for (key, method, tie_correct, reference_group) in configs {
        let settings = MarkerSettings {
            groupby: Some("bulk_labels".into()),
            method,
            tie_correct,
            reference: reference_group.map(str::to_owned),
            n_genes: 100,
        };
        let ours = run(&dataset, &settings, biolens::recipes::Ctx::silent()).unwrap_or_else(|e| panic!("{key}: {e}"));
        let theirs = reference["configs"][key]["groups"].as_object().expect("groups");
        assert_eq!(ours.groups.len(), theirs.len(), "{key}: groups");
        for g in &ours.groups {
            let name = &ours.levels[g.group];
            let t = &theirs[name.as_str()];
            let names: Vec<&str> = t["names"].as_array().expect("names").iter().map(|v| v.as_str().unwrap()).collect();
            let number = |field: &str, k: usize| t[field][k].as_f64().unwrap_or(f64::NAN);
            for (k, gene) in names.iter().enumerate() {
                let j = ours.genes.iter().position(|id| id == gene).unwrap_or_else(|| panic!("{gene}"));
                let at = format!("{key}, {name}, rank {k}, {gene}");
                // scanpy stores scores and fold changes as float32.
                let fields = [
                    ("scores", &g.scores, 1e-6),
                    ("pvals", &g.pvals, 1e-6),
                    ("pvals_adj", &g.pvals_adj, 1e-6),
                    ("logfoldchanges", &g.logfoldchanges, 1e-5),
                ];
                for (field, values, tolerance) in fields {
                    let (a, b) = (values[j], number(field, k));
                    assert!(close(a, b, tolerance), "{at}: {field} {a} vs {b}");
                }
                // Our order: where scanpy's scores differ, so do our ranks.
                let ours_at = g.order.iter().position(|&i| i == j).expect("ranked");
                let tied = (0..names.len()).any(|m| {
                    m != k
                        && (number("scores", m) - number("scores", k)).abs()
                            < 1e-6 * number("scores", k).abs().max(1e-12)
                });
                assert!(tied || ours_at == k, "{at}: our rank {ours_at}");
            }
        }
    }
}

#[test]
fn the_command_line_writes_scanpys_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("markers.csv");
    let done = common::biolens(&[
        "markers",
        file.to_str().unwrap(),
        "--use-raw",
        "--groupby",
        "bulk_labels",
        "--n-genes",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let table = std::fs::read_to_string(&out).expect("written");
    let mut lines = table.lines();
    assert_eq!(lines.next(), Some("group,rank,gene,score,logfoldchange,pval,pval_adj"));
    assert_eq!(lines.count(), 10 * 3);
    assert!(table.contains("\"CD4+/CD25 T Reg\",1,CD3D,") || table.contains("CD4+/CD25 T Reg,1,CD3D,"), "{table}");
    // A numeric grouping exits 1, saying why.
    let bad = common::biolens(&["markers", file.to_str().unwrap(), "--use-raw", "--groupby", "percent_mito"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("numeric"), "{}", String::from_utf8_lossy(&bad.stderr));
}
