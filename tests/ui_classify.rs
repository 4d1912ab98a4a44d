//! The Classify view driven through the real app: Run validates the chosen models (scikit-learn's
//! accuracies on `khan_srbct`), the table compares them with the baseline, a confusion-matrix cell
//! selects its samples, and Tune runs grid search, nested CV and the validation curve.

mod common;

use common::{answer_save_dialog, open_app, press, run_until, screenshot};

use biolens::analysis::classify::Model;
use biolens::app::Tab;
use biolens::app::views::classify::Detail;
use egui_kittest::kittest::Queryable as _;

#[test]
fn run_compare_confusion_and_tune() {
    let mut h = open_app("khan_srbct", false);
    h.get_by_label("Predict").click();
    h.run_steps(2);
    assert_eq!(h.state().tab(), Tab::Classify);
    // A quick set of models: linear SVM, 5-NN, naive Bayes and the baseline.
    for (on, model) in &mut h.state_mut().classify_view_mut().settings.models {
        *on = matches!(
            model,
            Model::Svm { kernel: biolens::analysis::classify::svm::Kernel::Linear, .. }
                | Model::Knn { .. }
                | Model::GaussianNb
                | Model::Baseline
        );
    }
    h.get_by_label("▶ Run").click();
    h.run_steps(1);
    run_until(&mut h, "the run", |app| app.classify_view().result.is_some() && !app.classify_view().is_running());
    let run = h.state().classify_view().result.clone().unwrap();
    assert_eq!(run.outcomes.len(), 4);
    let accuracy = |name: &str| {
        let o = run.outcomes.iter().find(|o| o.model.name() == name).unwrap();
        o.mean_sd(|s| Some(s.accuracy)).0
    };
    // scikit-learn, same folds: StandardScaler + SVC(linear) 1.0, + KNN(5) 0.8419, + GaussianNB 0.9515.
    assert!((accuracy("linear SVM (C = 1)") - 1.0).abs() < 1e-9);
    assert!((accuracy("5-NN") - 0.8419).abs() < 1e-4);
    assert!((accuracy("Gaussian naive Bayes") - 0.9515).abs() < 1e-4);
    assert!(accuracy("majority baseline") < 0.4);
    screenshot(&mut h, "classify_khan");

    // Click the first diagonal cell of the (linear SVM's) confusion matrix: class 1's samples.
    h.get_by_label("Confusion matrix: 4 classes");
    let y = &run.y;
    let class_one: std::collections::BTreeSet<usize> =
        (0..y.len()).filter(|&i| y[i] == 0).map(|i| run.samples[i]).collect();
    let at = h.state().classify_view().confusion_cell_centre(0, 0).expect("the matrix was drawn");
    h.event(egui::Event::PointerMoved(at));
    press(&h, at, true);
    press(&h, at, false);
    h.run_steps(2);
    assert_eq!(h.state().state().selection.samples, class_one);

    // Tune 5-NN: grid over k, nested CV, validation curve.
    let knn = run.outcomes.iter().position(|o| o.model.name() == "5-NN").unwrap();
    h.state_mut().classify_view_mut().settings.selected = knn;
    h.state_mut().classify_view_mut().detail = Detail::Search;
    h.run_steps(2);
    h.get_by_label("Grid search, nested CV and validation curve").click();
    h.run_steps(1);
    run_until(&mut h, "the search", |app| {
        app.classify_view().search.outcome.is_some() && !app.classify_view().is_running()
    });
    let outcome = h.state().classify_view().search.outcome.clone().unwrap();
    assert_eq!(outcome.grid.scores.nrows(), 7);
    assert_eq!(outcome.nested.len(), 5);
    h.get_by_label_contains("(honest)");

    // Random search: 20 k drawn between 1 and 21, best first.
    h.get_by_label("draws between the smallest and largest values").click();
    h.run_steps(1);
    run_until(&mut h, "the random search", |app| {
        app.classify_view().search.random.is_some() && !app.classify_view().is_running()
    });
    let random = h.state().classify_view().search.random.clone().unwrap();
    assert_eq!(random.draws.len(), 20);
    assert!(random.draws.windows(2).all(|w| w[0].1 >= w[1].1), "best first");
    for (model, _) in &random.draws {
        let Model::Knn { k, .. } = model else { panic!("not k-NN: {model:?}") };
        assert!((1..=21).contains(k), "k = {k}");
    }
    screenshot(&mut h, "classify_tune_khan");

    // The tables behind the results, as CSV.
    let dir = tempfile::tempdir().unwrap();
    for (button, file) in [
        ("CV results (CSV)", "cv_results.csv"),
        ("Confusion matrix (CSV)", "confusion_matrix.csv"),
        ("Predictions (CSV)", "predictions.csv"),
    ] {
        answer_save_dialog(&h, &dir.path().join(file));
        h.get_by_label(&format!("{button}…")).click();
        h.run_steps(1);
        run_until(&mut h, button, |app| {
            !app.classify_view().tables.is_running() && app.classify_view().tables.last.is_some()
        });
        assert!(matches!(&h.state().classify_view().tables.last, Some(Ok(_))), "{button}");
        assert!(dir.path().join(file).exists(), "{file}");
    }
    let cv = std::fs::read_to_string(dir.path().join("cv_results.csv")).unwrap();
    assert_eq!(cv.lines().count(), 5, "header and four models");
    assert!(cv.lines().nth(1).unwrap().starts_with("linear SVM (C = 1),1,"));
    let predictions = std::fs::read_to_string(dir.path().join("predictions.csv")).unwrap();
    assert_eq!(predictions.lines().count(), 84, "header and every sample once");
}

/// A network in Classify: the live training panel draws each epoch's curves and the network
/// while the job runs, Pause holds the trainer (no epoch completes while paused) and Resume
/// lets it finish; afterwards the model's *Training* panel shows every fold's curves.
#[test]
fn mlp_trains_live_with_pause_and_shows_its_curves() {
    use biolens::analysis::nn::{MlpParams, TrainDevice};
    let mut h = open_app("sklearn_iris", true);
    h.get_by_label("Predict").click();
    h.run_steps(2);
    for (on, model) in &mut h.state_mut().classify_view_mut().settings.models {
        *on = matches!(model, Model::Mlp(_));
        if let Model::Mlp(p) = model {
            *p = MlpParams {
                hidden: vec![8, 4],
                epochs: 400,
                batch_size: 8,
                device: TrainDevice::Cpu,
                ..MlpParams::default()
            };
        }
    }
    h.get_by_label("▶ Run").click();
    h.run_steps(1);
    let epochs = |app: &biolens::app::BiolensApp| {
        app.classify_view()
            .training
            .as_ref()
            .and_then(biolens::analysis::nn::Monitor::snapshot)
            .map_or(0, |s| s.runs.iter().map(Vec::len).sum::<usize>())
    };
    run_until(&mut h, "the first epochs", |app| epochs(app) >= 3);
    h.get_by_label("Training");
    h.get_by_label("⏸ Pause").click();
    h.run_steps(1);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let held = epochs(h.state());
    std::thread::sleep(std::time::Duration::from_millis(500));
    h.run_steps(2);
    assert_eq!(epochs(h.state()), held, "an epoch completed while paused");
    assert!(h.state().classify_view().is_running());
    screenshot(&mut h, "classify_mlp_live");
    h.get_by_label("▶ Resume").click();
    h.run_steps(1);
    run_until(&mut h, "the training", |app| app.classify_view().result.is_some() && !app.classify_view().is_running());
    let run = h.state().classify_view().result.clone().unwrap();
    let outcome = &run.outcomes[0];
    assert_eq!(outcome.folds.len(), 5);
    assert!(outcome.folds.iter().all(|f| f.history.as_ref().is_some_and(|h| h.len() == 400)));
    assert!(outcome.mean_sd(|s| Some(s.accuracy)).0 > 0.9);
    h.get_by_label("Training").click();
    h.run_steps(2);
    assert_eq!(h.state().classify_view().detail, Detail::Training);
    h.get_by_label_contains("5 folds, 2000 epochs");
    screenshot(&mut h, "classify_mlp_training");
}
