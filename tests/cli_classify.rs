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
