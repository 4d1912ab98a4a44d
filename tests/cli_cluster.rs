//! `biolens cluster`: `SciPy`'s linkage layout (the whole iris Ward merge list), cut labels,
//! k-means and DBSCAN label files, and clear errors for impossible requests.

mod common;

use std::process::Command;

use common::sample;

fn biolens(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_biolens")).args(args).output().expect("run biolens")
}

fn ok(args: &[&str]) -> String {
    let out = biolens(args);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn labels(path: &std::path::Path) -> Vec<(String, i64)> {
    let text = std::fs::read_to_string(path).expect("labels file");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sample_id,cluster"));
    lines
        .map(|l| {
            let (id, c) = l.rsplit_once(',').expect("two fields");
            (id.to_owned(), c.parse().expect("an integer"))
        })
        .collect()
}

#[test]
fn ward_linkage_csv_is_scipys_merge_list_and_cuts_into_k() {
    let m = sample("sklearn_iris/expression.csv");
    let dir = tempfile::tempdir().unwrap();
    let (merges, out) = (dir.path().join("merges.csv"), dir.path().join("labels.csv"));
    let args = ["cluster", m.to_str().unwrap(), "--method", "ward", "--linkage-out", merges.to_str().unwrap()];
    let summary = ok(&[&args[..], &["--k", "3", "--out", out.to_str().unwrap()]].concat());
    assert!(summary.contains("ward linkage"), "{summary}");

    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sample("../tests/reference/scipy_linkage.json")).expect("reference"),
    )
    .expect("JSON");
    let case = reference["cases"].as_array().unwrap().iter().find(|c| c["method"] == "ward").unwrap();
    let text = std::fs::read_to_string(&merges).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("left,right,height,size"));
    let rows: Vec<&str> = lines.collect();
    let want = case["merges"].as_array().unwrap();
    assert_eq!(rows.len(), 149);
    for (row, want) in rows.iter().zip(want) {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f[0].parse::<u64>().unwrap(), want[0].as_u64().unwrap(), "{row}");
        assert_eq!(f[1].parse::<u64>().unwrap(), want[1].as_u64().unwrap(), "{row}");
        let h: f64 = f[2].parse().unwrap();
        assert!((h - want[2].as_f64().unwrap()).abs() <= 1e-9 * h, "{row}");
        assert_eq!(f[3].parse::<u64>().unwrap(), want[3].as_u64().unwrap(), "{row}");
    }
    let cut = labels(&out);
    assert_eq!(cut.len(), 150);
    let distinct: std::collections::BTreeSet<i64> = cut.iter().map(|(_, c)| *c).collect();
    assert_eq!(distinct, [0, 1, 2].into());
}

#[test]
fn kmeans_and_dbscan_write_labels() {
    let m = sample("sklearn_iris/expression.csv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("km.csv");
    let summary = ok(&[
        "cluster",
        m.to_str().unwrap(),
        "--method",
        "kmeans",
        "--k",
        "3",
        "--seed",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(summary.contains("inertia"), "{summary}");
    let km = labels(&out);
    assert_eq!(km.len(), 150);
    assert!(km.iter().all(|(_, c)| (0..3).contains(c)));

    let out = dir.path().join("db.csv");
    let summary =
        ok(&["cluster", m.to_str().unwrap(), "--method", "dbscan", "--eps", "0.5", "--out", out.to_str().unwrap()]);
    // scikit-learn: DBSCAN(eps=0.5, min_samples=5) on iris finds 2 clusters and 17 noise samples.
    assert!(summary.contains("2 clusters, 17 noise"), "{summary}");
    assert_eq!(labels(&out).iter().filter(|(_, c)| *c == -1).count(), 17);
}

#[test]
fn impossible_requests_are_clear_errors() {
    let m = sample("sklearn_iris/expression.csv");
    let m = m.to_str().unwrap();
    for (args, message) in [
        (
            vec!["cluster", m, "--method", "ward", "--metric", "correlation", "--linkage-out", "x.csv"],
            "needs Euclidean",
        ),
        (vec!["cluster", m, "--method", "average"], "nothing to write"),
        (vec!["cluster", m, "--method", "kmeans", "--out", "x.csv"], "needs --k"),
        (vec!["cluster", m, "--method", "dbscan", "--out", "x.csv"], "needs --eps"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_biolens")).current_dir(dir.path()).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}
