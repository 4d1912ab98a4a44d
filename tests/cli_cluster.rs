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
        (vec!["cluster", m, "--method", "average", "--out", "x.csv"], "--out needs --k or --height"),
        (vec!["cluster", m, "--method", "kmeans", "--height", "1", "--out", "x.csv"], "for the hierarchical methods"),
        (
            vec!["cluster", m, "--method", "average", "--k", "2", "--height", "1", "--out", "x.csv"],
            "cannot be used with",
        ),
        (vec!["cluster", "--method", "average", "--linkage-out", "x.csv"], "<MATRIX|--distances <FILE>>"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_biolens")).current_dir(dir.path()).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

/// `tests/reference/cli_checks.json`, made by `tests/reference/cli_checks.py`.
fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(sample("../tests/reference/cli_checks.json")).expect("reference file");
    serde_json::from_str(&text).expect("reference JSON")
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
}

fn integers(v: &serde_json::Value) -> Vec<i64> {
    v.as_array().expect("an array").iter().map(|x| x.as_i64().expect("an integer")).collect()
}

/// True when `a` and `b` split the items the same way (equal up to renumbering).
fn same_partition(a: &[i64], b: &[i64]) -> bool {
    let (mut forward, mut backward) = (std::collections::HashMap::new(), std::collections::HashMap::new());
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| *forward.entry(x).or_insert(y) == y && *backward.entry(y).or_insert(x) == x)
}

/// Reads a square CSV: (the header's ids, the first column's ids, the rows of values).
fn read_square(path: &std::path::Path) -> (Vec<String>, Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).expect("the written CSV");
    let mut lines = text.lines();
    let header = lines.next().expect("a header").split(',').skip(1).map(str::to_owned).collect();
    let (mut ids, mut rows) = (Vec::new(), Vec::new());
    for line in lines {
        let mut fields = line.split(',');
        ids.push(fields.next().expect("an id").to_owned());
        rows.push(fields.map(|v| v.parse().expect("a number")).collect());
    }
    (header, ids, rows)
}

/// Writes the square distance matrix of a bundled dataset with `biolens distances`.
fn distances_file(dir: &std::path::Path, dataset: &str, metric: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{dataset}_{metric}.csv"));
    let m = sample(&format!("{dataset}/expression.csv"));
    ok(&[
        "distances",
        m.to_str().expect("UTF-8 path"),
        "--metric",
        metric,
        "--device",
        "cpu",
        "--out",
        path.to_str().expect("UTF-8 path"),
    ]);
    path
}

#[test]
fn height_cuts_are_scipys_fcluster_distance() {
    let reference = reference();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("labels.csv");
    let cases = reference["fcluster"].as_array().unwrap();
    assert_eq!(cases.len(), 9, "iris for every method, nci60 centroid and median");
    for case in cases {
        let m = sample(&format!("{}/expression.csv", case["dataset"].as_str().unwrap()));
        let method = case["method"].as_str().unwrap();
        for ((t, want), clusters) in
            floats(&case["thresholds"]).iter().zip(case["labels"].as_array().unwrap()).zip(integers(&case["clusters"]))
        {
            let t = t.to_string();
            let summary = ok(&[
                "cluster",
                m.to_str().unwrap(),
                "--method",
                method,
                "--height",
                &t,
                "--out",
                out.to_str().unwrap(),
            ]);
            let what = format!("{} {method} at {t}", case["dataset"]);
            assert!(summary.contains(&format!("cut at height {t}: {clusters} clusters")), "{what}: {summary}");
            let got: Vec<i64> = labels(&out).into_iter().map(|(_, c)| c).collect();
            assert_eq!(got.iter().max().map(|m| m + 1), Some(clusters), "{what}: labels from 0");
            assert!(same_partition(&got, &integers(want)), "{what}: not SciPy's clusters");
        }
    }
}

/// Checks a cophenetic CSV against `SciPy`'s condensed cophenetic distances and the summary's
/// cophenetic correlation against `SciPy`'s.
fn assert_cophenetic(path: &std::path::Path, summary: &str, case: &serde_json::Value, ids: &[String]) {
    let what = format!("{} {}", case["dataset"], case["method"]);
    let (header, row_ids, rows) = read_square(path);
    assert_eq!((&header, &row_ids), (&ids.to_vec(), &ids.to_vec()), "{what}: ids across and down");
    let want = floats(&case["condensed"]);
    let mut k = 0;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), ids.len(), "{what}: row {i}");
        assert!(row[i].abs() <= 0.0, "{what}: diagonal {i}");
        for j in i + 1..row.len() {
            assert_eq!(row[j].to_bits(), rows[j][i].to_bits(), "{what}: [{i},{j}] not symmetric");
            assert!(
                (row[j] - want[k]).abs() <= 1e-9 * want[k].abs().max(1.0),
                "{what} [{i},{j}]: {} vs {}",
                row[j],
                want[k]
            );
            k += 1;
        }
    }
    assert_eq!(k, want.len());
    let r: f64 = summary
        .split("cophenetic correlation ")
        .nth(1)
        .and_then(|rest| rest.split([',', ' ']).next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no cophenetic correlation in {summary}"));
    let want_r = case["correlation"].as_f64().expect("a correlation");
    assert!((r - want_r).abs() <= 1e-9, "{what}: cophenetic correlation {r} vs SciPy {want_r}");
}

fn sample_ids(dataset: &str) -> Vec<String> {
    let text = std::fs::read_to_string(sample(&format!("{dataset}/samples.csv"))).expect("samples.csv");
    text.lines().skip(1).map(|l| l.split(',').next().expect("an id").to_owned()).collect()
}

#[test]
fn cophenetic_distances_and_correlation_are_scipys() {
    let reference = reference();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cophenetic.csv");
    let cases = reference["cophenetic"].as_array().unwrap();
    // From the matrix: iris average, nci60 centroid (a tree with inversions).
    for case in cases.iter().filter(|c| c["metric"] == "euclidean") {
        let dataset = case["dataset"].as_str().unwrap();
        let m = sample(&format!("{dataset}/expression.csv"));
        let method = case["method"].as_str().unwrap();
        let summary =
            ok(&["cluster", m.to_str().unwrap(), "--method", method, "--cophenetic-out", path.to_str().unwrap()]);
        assert_cophenetic(&path, &summary, case, &sample_ids(dataset));
    }
    // From the distance matrix `distances` writes: khan_srbct, average linkage on 1 − r.
    let case = cases.iter().find(|c| c["metric"] == "correlation").unwrap();
    let d = distances_file(dir.path(), "khan_srbct", "correlation");
    let summary = ok(&[
        "cluster",
        "--distances",
        d.to_str().unwrap(),
        "--method",
        "average",
        "--cophenetic-out",
        path.to_str().unwrap(),
    ]);
    assert!(summary.contains("precomputed distances"), "{summary}");
    assert_cophenetic(&path, &summary, case, &sample_ids("khan_srbct"));
}

#[test]
fn precomputed_distances_cluster_as_the_matrix_does() {
    let dir = tempfile::tempdir().unwrap();
    let iris = distances_file(dir.path(), "sklearn_iris", "euclidean");
    let d = iris.to_str().unwrap();
    // Ward from the square matrix: SciPy's whole merge list, with a note on the assumption.
    let merges = dir.path().join("merges.csv");
    let out = biolens(&["cluster", "--distances", d, "--method", "ward", "--linkage-out", merges.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ward linkage takes the precomputed distances to be Euclidean"), "{stderr}");
    let linkage: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sample("../tests/reference/scipy_linkage.json")).expect("reference"),
    )
    .expect("JSON");
    let want = &linkage["cases"].as_array().unwrap().iter().find(|c| c["method"] == "ward").unwrap()["merges"];
    let text = std::fs::read_to_string(&merges).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 149);
    for (row, want) in rows.iter().zip(want.as_array().unwrap()) {
        let f: Vec<f64> = row.split(',').map(|v| v.parse().unwrap()).collect();
        let want = floats(want);
        assert_eq!((f[0], f[1], f[3]), (want[0], want[1], want[3]), "{row}");
        assert!((f[2] - want[2]).abs() <= 1e-9 * want[2], "{row}");
    }
    // DBSCAN on the square matrix: scikit-learn's DBSCAN(metric="precomputed").
    let reference = reference();
    let labels_path = dir.path().join("db.csv");
    for case in reference["dbscan_precomputed"].as_array().unwrap() {
        let dataset = case["dataset"].as_str().unwrap();
        let file =
            if dataset == "sklearn_iris" { iris.clone() } else { distances_file(dir.path(), dataset, "correlation") };
        let (eps, min_samples) = (case["eps"].to_string(), case["min_samples"].to_string());
        ok(&[
            "cluster",
            "--distances",
            file.to_str().unwrap(),
            "--method",
            "dbscan",
            "--eps",
            &eps,
            "--min-samples",
            &min_samples,
            "--out",
            labels_path.to_str().unwrap(),
        ]);
        let got = labels(&labels_path);
        let want = integers(&case["labels"]);
        let ids: Vec<String> = got.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(ids, sample_ids(dataset));
        let got: Vec<i64> = got.into_iter().map(|(_, c)| c).collect();
        let noise = |l: &[i64]| l.iter().map(|&c| c == -1).collect::<Vec<bool>>();
        assert_eq!(noise(&got), noise(&want), "{dataset}: noise");
        assert!(same_partition(&got, &want), "{dataset}: not scikit-learn's clusters");
    }
    // k-means needs coordinates.
    let out = biolens(&["cluster", "--distances", d, "--method", "kmeans", "--k", "3", "--out", "x.csv"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("k-means needs the samples' coordinates"));
}

#[test]
fn bad_distance_files_name_the_place() {
    for (body, place, message) in [
        (
            "id,a,b,c\na,0,1,2\nb,1,0,3\n",
            "bad.csv:",
            "not a square distance matrix: the header names 3 ids but there are 2 rows",
        ),
        (
            "id,a,b\na,0,1\nb,1,0\nc,2,3\n",
            "bad.csv, line 4:",
            "not a square distance matrix: the header names 2 ids but there are 3 rows",
        ),
        ("id,a,b\na,0,1\nb,1,0,4\n", "bad.csv, line 3:", "this row has 4 fields but the header has 3"),
        (
            "id,a,b\na,0,1\nB,1,0\n",
            "bad.csv, line 3, column 1 ('id'):",
            "this row's id 'B' differs from the header's id 'b'",
        ),
        ("id,a,b\na,0,one\nb,1,0\n", "bad.csv, line 2, column 3 ('b'):", "'one' is not a number"),
        ("id,a,b\na,0,1\nb,-1,0\n", "bad.csv, line 3, column 2 ('a'):", "the distance -1 is negative"),
        ("id,a,b\na,0,NaN\nb,1,0\n", "bad.csv, line 2, column 3 ('b'):", "'NaN' is not a finite distance"),
        ("id,a,b\na,0,1\nb,1,1e-3\n", "bad.csv, line 3, column 3 ('b'):", "the diagonal holds 0.001"),
        (
            "id,a,b,c\na,0,1,2\nb,1,0,3\nc,2,3.0001,0\n",
            "bad.csv, line 4, column 3 ('b'):",
            "the matrix is not symmetric: 3.0001 here but 3 at line 3, column 4 ('c')",
        ),
    ] {
        let (_dir, path) = common::write_temp("bad.csv", body.as_bytes());
        let out = biolens(&[
            "cluster",
            "--distances",
            path.to_str().unwrap(),
            "--method",
            "average",
            "--linkage-out",
            "/dev/null",
        ]);
        assert_eq!(out.status.code(), Some(1), "{body:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("{place} {message}")), "{body:?}: {stderr}");
    }
    // Within 1e-9 relative the mirror counts as equal (rounding in whoever wrote the file).
    let (_dir, path) = common::write_temp("ok.csv", b"id,a,b\na,0,0.1\nb,0.10000000000000002,0\n");
    let summary =
        ok(&["cluster", "--distances", path.to_str().unwrap(), "--method", "single", "--linkage-out", "/dev/null"]);
    assert!(summary.contains("top height 0.1"), "{summary}");
}
