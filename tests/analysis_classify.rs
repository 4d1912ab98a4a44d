//! Classifiers against scikit-learn (`tests/reference/sklearn_classify.json`, made by
//! `tests/reference/classify.py`, and the shared `reference_sklearn_scipy.json`): the folds of
//! `StratifiedKFold(5, shuffle=True, random_state=0)` sample for sample, and the 5-fold CV accuracy
//! of logistic regression, random forest, linear SVM, 5-NN and Gaussian naive Bayes within 0.03
//! of scikit-learn's mean on every shared dataset.

mod common;

use biolens::analysis::classify::folds::{stratified_fold_of, stratified_k_fold};
use biolens::analysis::classify::forest::{MaxFeatures, TreeParams};
use biolens::analysis::classify::models::KnnWeights;
use biolens::analysis::classify::svm::Kernel;
use biolens::analysis::classify::validation::{Features, cross_validate};
use biolens::analysis::classify::{Model, encode_labels};
use common::{SHARED_DATASETS, sample};
use ndarray::Array2;

fn dataset(folder: &str, file: &str) -> (Array2<f64>, Vec<usize>, usize) {
    let x = common::load(&sample(&format!("{folder}/{file}"))).data.matrix().clone();
    let text = std::fs::read_to_string(sample(&format!("{folder}/samples.csv"))).expect("samples.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let column = header.iter().position(|h| *h == "label").expect("a label column");
    let labels: Vec<Option<String>> = lines.map(|l| l.split(',').nth(column).map(str::to_owned)).collect();
    let (names, codes) = encode_labels(&labels);
    (x, codes.into_iter().map(|c| c.expect("labelled")).collect(), names.len())
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(sample("../tests/reference/sklearn_classify.json")).expect("reference");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn stratified_folds_are_scikit_learns() {
    let reference = reference();
    for (name, folder, file) in SHARED_DATASETS {
        let (_, y, _) = dataset(folder, file);
        let want: Vec<usize> = reference["datasets"][name]["folds"]
            .as_array()
            .expect("folds")
            .iter()
            .map(|v| v.as_u64().expect("fold") as usize)
            .collect();
        assert_eq!(stratified_fold_of(&y, 5, true, 0).unwrap(), want, "{name}");
    }
}

#[test]
fn cv_accuracy_is_within_003_of_scikit_learn() {
    let reference = reference();
    let scaled = Features { scale: true, ..Features::default() };
    let models: [(&str, Model, Features); 5] = [
        ("logreg", Model::Logistic { c: 1.0 }, scaled.clone()),
        (
            "rf100",
            Model::Forest {
                trees: 100,
                params: TreeParams { max_features: MaxFeatures::Sqrt, ..TreeParams::default() },
                seed: 0,
            },
            Features::default(),
        ),
        ("linsvm", Model::Svm { kernel: Kernel::Linear, c: 1.0 }, scaled.clone()),
        ("knn5", Model::Knn { k: 5, weights: KnnWeights::Uniform }, scaled.clone()),
        ("gnb", Model::GaussianNb, scaled),
    ];
    let mut report = Vec::new();
    for (name, folder, file) in SHARED_DATASETS {
        let (x, y, classes) = dataset(folder, file);
        let splits = stratified_k_fold(&y, 5, true, 0).unwrap();
        for (key, model, features) in &models {
            let cv = cross_validate(x.view(), &y, classes, model, features, &splits, None, &mut |_| {}).unwrap();
            let ours: Vec<f64> = cv.folds.iter().map(|f| f.metrics.accuracy).collect();
            let theirs: Vec<f64> = reference["datasets"][name]["accuracy"][key]
                .as_array()
                .expect("accuracies")
                .iter()
                .map(|v| v.as_f64().expect("f64"))
                .collect();
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let gap = (mean(&ours) - mean(&theirs)).abs();
            report.push(format!(
                "{name:26} {key:7} ours {:.4} scikit-learn {:.4}{}",
                mean(&ours),
                mean(&theirs),
                if gap <= 0.03 {
                    String::new()
                } else {
                    format!("  <- off by {gap:.4}; folds {ours:.3?} vs {theirs:.3?}")
                }
            ));
        }
    }
    let report = report.join("\n");
    eprintln!("{report}");
    assert!(!report.contains("<- off"), "{report}");
}
