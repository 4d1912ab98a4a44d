//! `biolens classify`: the JSON report (scikit-learn's 5-fold accuracy on `khan_srbct`), a split
//! from an annotation, in-fold scaling, and clear errors.

mod common;

use std::process::Command;

use common::sample;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_biolens")).args(args).output().expect("run biolens")
}

/// `classify` on a bundled dataset's expression and samples files, predicting `label`.
fn classify(folder: &str, extra: &[&str]) -> serde_json::Value {
    let m = sample(&format!("{folder}/expression.csv"));
    let a = sample(&format!("{folder}/samples.csv"));
    let mut args = vec![
        "classify",
        m.to_str().expect("UTF-8 path"),
        "-a",
        a.to_str().expect("UTF-8 path"),
        "--target",
        "label",
        "--json",
    ];
    args.extend_from_slice(extra);
    json(&args)
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn json_report_has_the_scores_and_the_confusion_matrix() {
    let v = classify("nci60", &["--model", "svm-linear", "--scale"]);
    // scikit-learn: 5-fold stratified CV (shuffled, seed 0) of StandardScaler + SVC(linear): 0.6103.
    assert!((v["accuracy_mean"].as_f64().unwrap() - 0.6103).abs() < 1e-4, "{v}");
    for key in ["accuracy_sd", "balanced_accuracy_mean", "f1_macro_mean", "roc_auc_mean"] {
        assert!(v[key].as_f64().is_some(), "{key} missing");
    }
    let classes = v["classes"].as_array().unwrap().len();
    let matrix = v["confusion_matrix"].as_array().unwrap();
    assert_eq!(matrix.len(), classes);
    let total: u64 = matrix.iter().flat_map(|r| r.as_array().unwrap()).map(|c| c.as_u64().unwrap()).sum();
    assert_eq!(total, 64, "every sample is tested once");
    // nci60 has classes with fewer samples than folds: said, not hidden.
    assert!(v["notices"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("fewer than 5 folds")));
}

#[test]
fn split_from_an_annotation_and_the_baseline() {
    let m = sample("khan_srbct/expression.csv");
    let a = sample("khan_srbct/samples.csv");
    let (m, a) = (m.to_str().unwrap(), a.to_str().unwrap());
    let v = json(&["classify", m, "-a", a, "--target", "label", "--model", "knn", "--split", "split=test", "--json"]);
    assert_eq!(v["folds"], 1);
    let tested: u64 = v["confusion_matrix"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert!(tested > 0 && tested < 83, "{tested} test samples");
    let base = json(&["classify", m, "-a", a, "--target", "label", "--model", "baseline", "--json"]);
    // The majority class of SRBCT is 29 of 83 samples.
    assert!((base["accuracy_mean"].as_f64().unwrap() - 29.0 / 83.0).abs() < 0.03, "{base}");
}

#[test]
fn bad_targets_are_clear_errors() {
    let m = sample("khan_srbct/expression.csv");
    let a = sample("khan_srbct/samples.csv");
    // A numeric annotation (measurements, not classes) for every khan sample.
    let ids: Vec<String> =
        std::fs::read_to_string(&a).unwrap().lines().skip(1).map(|l| l.split(',').next().unwrap().to_owned()).collect();
    let body: String = ids.iter().enumerate().fold(String::new(), |mut acc, (i, id)| {
        use std::fmt::Write as _;
        let _ = writeln!(acc, "{id},{}.5", i * 3 % 17);
        acc
    });
    let (_dir, numeric) = common::write_temp("age.csv", format!("sample_id,age\n{body}").as_bytes());
    let (m, a, numeric) = (m.to_str().unwrap(), a.to_str().unwrap(), numeric.to_str().unwrap());
    for (target, message) in
        [("nonexistent", "no annotation 'nonexistent'"), ("age", "holds measurements, not classes")]
    {
        let out = run(&["classify", m, "-a", a, "-a", numeric, "--target", target, "--model", "gnb"]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{stderr}");
    }
}

#[test]
fn leave_one_out_pools_the_predictions() {
    let v = classify("sklearn_iris", &["--model", "knn", "--scale", "--loo"]);
    assert_eq!(v["folds"], 150);
    // scikit-learn: cross_val_predict(StandardScaler + KNN(5), LeaveOneOut()) is right for 142 of 150.
    assert!((v["accuracy_mean"].as_f64().unwrap() - 142.0 / 150.0).abs() < 1e-12, "{v}");
    assert!((v["balanced_accuracy_mean"].as_f64().unwrap() - 142.0 / 150.0).abs() < 1e-12, "{v}");
    assert!(v["roc_auc_mean"].as_f64().is_some(), "pooled scores have an AUC");
}

/// `tests/reference/cli_checks.json`, made by `tests/reference/cli_checks.py`.
fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(sample("../tests/reference/cli_checks.json")).expect("reference file");
    serde_json::from_str(&text).expect("reference JSON")
}

/// One row of a `--folds-out` file.
#[derive(Debug, Clone, PartialEq)]
struct FoldRow {
    id: String,
    repeat: usize,
    fold: usize,
    truth: String,
    predicted: String,
}

/// Runs `classify` on a bundled dataset with `--folds-out` and reads the file back.
fn folds_out(folder: &str, extra: &[&str]) -> (serde_json::Value, Vec<FoldRow>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("folds.csv");
    let v = classify(folder, &[extra, &["--folds-out", path.to_str().expect("UTF-8 path")]].concat());
    let text = std::fs::read_to_string(&path).expect("the folds file");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sample_id,repeat,fold,true,predicted"));
    let rows = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 5, "{l}");
            FoldRow {
                id: f[0].to_owned(),
                repeat: f[1].parse().expect("a repeat number"),
                fold: f[2].parse().expect("a fold number"),
                truth: f[3].to_owned(),
                predicted: f[4].to_owned(),
            }
        })
        .collect();
    (v, rows)
}

/// (sample id, label, split) of a bundled dataset's samples.csv (split empty where absent).
fn samples(folder: &str) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(sample(&format!("{folder}/samples.csv"))).expect("samples.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let split = header.iter().position(|h| *h == "split");
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned(), split.map_or(String::new(), |s| f[s].to_owned()))
        })
        .collect()
}

fn folds_of(case: &serde_json::Value) -> Vec<usize> {
    case["fold"].as_array().expect("folds").iter().map(|f| f.as_u64().expect("a fold") as usize).collect()
}

#[test]
fn no_shuffle_folds_are_scikit_learns_stratified_k_fold() {
    let reference = reference();
    let cases = reference["stratified_no_shuffle"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let folder = case["dataset"].as_str().unwrap();
        let k = case["folds"].to_string();
        let (v, rows) = folds_out(folder, &["--model", "baseline", "--no-shuffle", "--cv", &k]);
        assert_eq!(v["validation"], format!("stratified {k}-fold, not shuffled"));
        let want = samples(folder);
        assert_eq!(rows.len(), want.len(), "{folder}: one row per sample");
        let got: Vec<usize> = rows.iter().map(|r| r.fold).collect();
        assert_eq!(got, folds_of(case), "{folder} {k}-fold: not StratifiedKFold(shuffle=False)'s folds");
        for (row, (id, label, _)) in rows.iter().zip(&want) {
            assert_eq!((&row.id, &row.truth, row.repeat), (id, label, 0), "{folder}");
        }
    }
    // Without shuffling, every repeat would be the same folds.
    let m = sample("sklearn_iris/expression.csv");
    let a = sample("sklearn_iris/samples.csv");
    let out = run(&[
        "classify",
        m.to_str().unwrap(),
        "-a",
        a.to_str().unwrap(),
        "--target",
        "label",
        "--model",
        "gnb",
        "--no-shuffle",
        "--repeats",
        "2",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("every repeat would be the same folds"));
}

#[test]
fn folds_out_has_scikit_learns_folds_and_predictions() {
    let reference = reference();
    // Shuffled, seeds 3 and 4 (`--seed 3 --repeats 2`): StratifiedKFold(5, shuffle=True, random_state=s).
    for folder in ["sklearn_iris", "khan_srbct"] {
        let (_, rows) = folds_out(folder, &["--model", "baseline", "--seed", "3", "--repeats", "2"]);
        let n = samples(folder).len();
        assert_eq!(rows.len(), 2 * n, "{folder}: one row per sample per repeat");
        for (repeat, seed) in [(0, 3), (1, 4)] {
            let case = reference["stratified_shuffled"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["dataset"] == folder && c["seed"] == seed)
                .unwrap();
            let got: Vec<usize> = rows[repeat * n..(repeat + 1) * n]
                .iter()
                .inspect(|r| assert_eq!(r.repeat, repeat))
                .map(|r| r.fold)
                .collect();
            assert_eq!(got, folds_of(case), "{folder} seed {seed}");
        }
    }
    // The predictions: cross_val_predict(GaussianNB(), cv=StratifiedKFold(5)) on iris.
    let (v, rows) = folds_out("sklearn_iris", &["--model", "gnb", "--no-shuffle"]);
    let want: Vec<&str> =
        reference["gnb_no_shuffle_predicted"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    let got: Vec<&str> = rows.iter().map(|r| r.predicted.as_str()).collect();
    assert_eq!(got, want);
    let right = rows.iter().filter(|r| r.truth == r.predicted).count();
    let confusion_diagonal: u64 = (0..3).map(|c| v["confusion_matrix"][c][c].as_u64().unwrap()).sum();
    assert_eq!(right as u64, confusion_diagonal);
}

#[test]
fn folds_out_for_leave_one_out_and_a_split() {
    let reference = reference();
    // Leave-one-out: split k tests sample k, as scikit-learn's LeaveOneOut.
    let (v, rows) = folds_out("sklearn_iris", &["--model", "knn", "--scale", "--loo"]);
    let loo: Vec<usize> =
        reference["loo_test_index"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect();
    assert_eq!(rows.len(), 150);
    for (k, &i) in loo.iter().enumerate() {
        assert_eq!((rows[i].repeat, rows[i].fold), (0, k));
    }
    let right = rows.iter().filter(|r| r.truth == r.predicted).count() as f64;
    assert!((right / 150.0 - v["accuracy_mean"].as_f64().unwrap()).abs() < 1e-12);
    // A split: the test samples only, fold 0.
    let (_, rows) = folds_out("khan_srbct", &["--model", "knn", "--split", "split=test"]);
    let test: Vec<(String, String)> =
        samples("khan_srbct").into_iter().filter(|s| s.2 == "test").map(|(id, label, _)| (id, label)).collect();
    assert!(!test.is_empty());
    let got: Vec<(String, String)> = rows.iter().map(|r| (r.id.clone(), r.truth.clone())).collect();
    assert_eq!(got, test);
    assert!(rows.iter().all(|r| r.repeat == 0 && r.fold == 0));
}

/// `--model mlp`: the JSON names the device and the epochs each fold trained (early stopping
/// stops some early), and `--history-out` has one row per fold and epoch with both curves.
#[test]
fn mlp_reports_its_device_and_epochs_and_writes_its_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let history = dir.path().join("history.csv");
    let report = classify(
        "khan_srbct",
        &[
            "--model",
            "mlp",
            "--hidden",
            "16",
            "--epochs",
            "40",
            "--batch",
            "16",
            "--device",
            "cpu",
            "--early-stopping",
            "5",
            "--history-out",
            history.to_str().expect("UTF-8 path"),
        ],
    );
    assert_eq!(report["model"], "MLP 16 ReLU, Adam");
    assert_eq!(report["network"]["device"], "CPU (burn flex)");
    let epochs: Vec<u64> = report["network"]["epochs_trained"]
        .as_array()
        .expect("epochs")
        .iter()
        .map(|e| e.as_u64().expect("n"))
        .collect();
    assert_eq!(epochs.len(), 5);
    assert!(epochs.iter().all(|&e| (1..=40).contains(&e)), "{epochs:?}");
    assert!(report["accuracy_mean"].as_f64().expect("accuracy") > 0.8, "{report}");
    let text = std::fs::read_to_string(&history).expect("history written");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("fold,epoch,train_loss,val_loss,train_accuracy,val_accuracy,seconds"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len() as u64, epochs.iter().sum::<u64>());
    for (fold, &trained) in epochs.iter().enumerate() {
        let n = rows.iter().filter(|r| r[0] == fold.to_string()).count() as u64;
        assert_eq!(n, trained);
    }
    assert!(rows.iter().all(|r| r.len() == 7 && r[2].parse::<f64>().is_ok() && r[3].parse::<f64>().is_ok()));
    // A network flag on another model is refused rather than ignored.
    let other = run(&[
        "classify",
        sample("khan_srbct/expression.csv").to_str().expect("path"),
        "--annotations",
        sample("khan_srbct/samples.csv").to_str().expect("path"),
        "--target",
        "label",
        "--model",
        "logreg",
        "--history-out",
        history.to_str().expect("path"),
    ]);
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("--model mlp"));
}
