//! Classifiers against scikit-learn (`tests/reference/sklearn_classify.json`, made by
//! `tests/reference/classify.py`, and the shared `reference_sklearn_scipy.json`): the folds of
//! `StratifiedKFold(5, shuffle=True, random_state=0)` sample for sample, and the 5-fold CV accuracy
//! of logistic regression, random forest, linear SVM, 5-NN and Gaussian naive Bayes within 0.03
//! of scikit-learn's mean on every shared dataset.

mod common;

use biolens::analysis::classify::Model;
use biolens::analysis::classify::folds::{stratified_fold_of, stratified_k_fold};
use biolens::analysis::classify::forest::{MaxFeatures, TreeParams};
use biolens::analysis::classify::models::KnnWeights;
use biolens::analysis::classify::svm::Kernel;
use biolens::analysis::classify::validation::{Features, cross_validate};
use common::{SHARED_DATASETS, sample};
use ndarray::Array2;

fn dataset(folder: &str, file: &str) -> (Array2<f64>, Vec<usize>, usize) {
    common::labelled(folder, file)
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

/// Grid search over k of k-NN (iris, `khan_srbct`) and the validation curve of a linear SVM over C
/// (iris) equal scikit-learn's `GridSearchCV` and `validation_curve` on the same folds.
#[test]
fn grid_search_and_validation_curve_match_scikit_learn() {
    use biolens::analysis::classify::search::{Param, Problem, grid_search, nested_cv, validation_curve};
    let reference = reference();
    let scaled = Features { scale: true, ..Features::default() };
    for (name, folder) in [("sklearn_iris", "sklearn_iris"), ("khan_srbct", "khan_srbct")] {
        let (x, y, classes) = dataset(folder, "expression.csv");
        let splits = stratified_k_fold(&y, 5, true, 0).unwrap();
        let problem = Problem { x: x.view(), y: &y, classes, features: &scaled, splits: &splits };
        let entry = &reference["datasets"][name];
        let ks: Vec<f64> = entry["knn_grid"]["k"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let want: Vec<f64> =
            entry["knn_grid"]["mean"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let base = Model::Knn { k: 5, weights: KnnWeights::Uniform };
        let grid = grid_search(&problem, &base, (Param::K, ks.clone()), None, None, &mut |_, _| {}).unwrap();
        for (r, w) in want.iter().enumerate() {
            assert!((grid.scores[[r, 0]] - w).abs() < 1e-9, "{name} k = {}: {} vs {w}", ks[r], grid.scores[[r, 0]]);
        }
        let best = want.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!((grid.scores[[grid.best.0, 0]] - best).abs() < 1e-12);
        // Nested CV: five outer scores, each from a k chosen inside its training fold.
        let nested = nested_cv(&problem, &base, 3, &(Param::K, ks, None), 0, None, &mut |_, _| {}).unwrap();
        assert_eq!(nested.len(), 5);
        assert!(nested.iter().all(|(score, _)| (0.0..=1.0).contains(score)));
        if name == "sklearn_iris" {
            let curve = &entry["svm_curve"];
            let cs: Vec<f64> = curve["c"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            let ours = validation_curve(
                &problem,
                &Model::Svm { kernel: Kernel::Linear, c: 1.0 },
                Param::C,
                &cs,
                None,
                &mut |_, _| {},
            )
            .unwrap();
            for (k, (c, train, test)) in ours.iter().enumerate() {
                let (want_train, want_test) = (curve["train"][k].as_f64().unwrap(), curve["test"][k].as_f64().unwrap());
                assert!(
                    (train - want_train).abs() < 1e-9 && (test - want_test).abs() < 1e-9,
                    "C = {c}: {train}/{test} vs {want_train}/{want_test}"
                );
            }
        }
    }
}

/// The leakage lesson: on random labels (three shuffles), choosing the 50 genes most associated
/// with the labels inside each training fold gives chance accuracy (0.25 for four classes);
/// choosing them on all samples first (test folds included) inflates it well above chance.
#[test]
fn selection_on_all_data_inflates_the_score_on_random_labels() {
    use biolens::analysis::classify::validation::GeneSelection;
    let (x, y, classes) = dataset("khan_srbct", "expression.csv");
    let model = Model::Svm { kernel: Kernel::Linear, c: 1.0 };
    let honest = Features { top_genes: Some(50), selection: GeneSelection::AnovaF, scale: true, ..Features::default() };
    let leaky = Features { select_on_all_data: true, ..honest.clone() };
    let (mut honest_sum, mut leaky_sum) = (0.0, 0.0);
    for seed in [11, 12, 13] {
        let mut shuffled = y.clone();
        biolens::analysis::rng::Rng::new(seed).shuffle(&mut shuffled);
        let splits = stratified_k_fold(&shuffled, 5, true, 0).unwrap();
        let score = |f: &Features| {
            let cv = cross_validate(x.view(), &shuffled, classes, &model, f, &splits, None, &mut |_| {}).unwrap();
            cv.mean_sd(|s| Some(s.accuracy)).0
        };
        honest_sum += score(&honest);
        leaky_sum += score(&leaky);
    }
    let (honest, leaky) = (honest_sum / 3.0, leaky_sum / 3.0);
    eprintln!("random labels: honest {honest:.3}, leaky {leaky:.3}");
    assert!(honest < 0.35, "honest CV on random labels should be near chance (0.25), got {honest}");
    assert!(leaky > honest + 0.15, "selection on all data should inflate the score: {leaky} vs {honest}");
}

/// Two classes: logistic regression is scikit-learn's binary model (one coefficient vector,
/// penalty ½‖w‖²), not a softmax with a doubled penalty — probabilities to 1e-5.
#[test]
fn binary_logistic_regression_is_scikit_learns() {
    use biolens::analysis::classify::Fitted as _;
    use biolens::analysis::classify::models::Logistic;
    let reference = reference();
    let (x, y, _) = dataset("sklearn_iris", "expression.csv");
    // Classes sorted: setosa 0, versicolor 1, virginica 2; keep 1 and 2 as 0 and 1.
    let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] > 0).collect();
    let sub = x.select(ndarray::Axis(0), &rows);
    let yy: Vec<usize> = rows.iter().map(|&i| y[i] - 1).collect();
    let fit = Logistic::fit(sub.view(), &yy, 2, 1.0, None).unwrap();
    let proba = fit.scores(sub.view());
    let want = reference["datasets"]["sklearn_iris"]["binary_logreg_proba"].as_array().unwrap();
    for (r, w) in want.iter().enumerate() {
        let w = w.as_f64().unwrap();
        assert!((proba[[r, 1]] - w).abs() < 1e-5, "sample {r}: {} vs {w}", proba[[r, 1]]);
    }
}
