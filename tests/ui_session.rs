//! Sessions in the app: save, open in a fresh app and get the same settings, annotations,
//! selection and numbers; bad and newer session files leave the current session untouched; a
//! moved data file is asked for, a changed one needs the user's agreement.

mod common;

use std::collections::BTreeSet;

use common::{open_app, run_until, sample};

use biolens::analysis::classify::Model;
use biolens::app::commands::Command;
use biolens::app::views::classify::Detail;
use biolens::app::widgets::scatter::SelectionMode;
use biolens::app::{BiolensApp, Tab};
use biolens::data::annotations::AnnotationValues;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn empty_app() -> Harness<'static, BiolensApp> {
    Harness::builder().with_size([1400.0, 900.0]).build_eframe(|cc| BiolensApp::new(cc, biolens::app::Startup::Empty))
}

fn codes(app: &BiolensApp, name: &str) -> Option<Vec<Option<u32>>> {
    let dataset = &app.state().current.as_ref()?.dataset;
    match &dataset.annotations().iter().find(|a| a.name == name)?.values {
        AnnotationValues::Categorical { codes, .. } => Some(codes.clone()),
        AnnotationValues::Numeric(_) => None,
    }
}

fn pca_ratios(h: &mut Harness<'static, BiolensApp>) -> Vec<f64> {
    h.get_by_label("PCA").click();
    h.run_steps(1);
    run_until(h, "PCA", |app| app.pca_view().result.is_some() && !app.pca_view().is_running());
    h.state().pca_view().result.as_ref().expect("PCA").pca.explained_variance_ratio.clone()
}

#[test]
fn a_saved_session_reopens_with_the_same_settings_and_numbers() {
    let mut h = open_app("sklearn_iris", false);
    h.state_mut().clusters_view_mut().settings.k = 4;
    h.state_mut().tsne_view_mut().settings.params.seed = 7;
    h.state_mut().classify_view_mut().settings.seed = 3;
    h.state_mut().pca_view_mut().settings.params.scale = true;
    h.state_mut().push_command(Command::Select { samples: vec![0, 1, 2, 60], mode: SelectionMode::Replace });
    h.run_steps(1);
    h.state_mut().push_command(Command::AnnotationFromSelection);
    h.run_steps(1);
    run_until(&mut h, "the made annotation", |app| {
        app.state().data_job.is_none() && codes(app, "selection 1").is_some()
    });
    h.state_mut().push_command(Command::Select { samples: vec![5, 6], mode: SelectionMode::Replace });
    h.run_steps(1);
    // The classifiers and a grid search, run before saving, run again on opening.
    h.get_by_label("Predict").click();
    // Two frames: the Predict tab's panels settle before its Run button is clicked.
    h.run_steps(2);
    for (on, model) in &mut h.state_mut().classify_view_mut().settings.models {
        *on = matches!(model, Model::Knn { .. } | Model::GaussianNb);
    }
    h.get_by_label("▶ Run").click();
    h.run_steps(1);
    run_until(&mut h, "the run", |app| app.classify_view().result.is_some() && !app.classify_view().is_running());
    let knn = h
        .state()
        .classify_view()
        .result
        .as_ref()
        .unwrap()
        .outcomes
        .iter()
        .position(|o| matches!(o.model, Model::Knn { .. }))
        .unwrap();
    h.state_mut().classify_view_mut().settings.selected = knn;
    h.state_mut().classify_view_mut().detail = Detail::Search;
    h.run_steps(2);
    h.get_by_label("Grid search, nested CV and validation curve").click();
    h.run_steps(1);
    run_until(&mut h, "the search", |app| {
        app.classify_view().search.outcome.is_some() && !app.classify_view().is_running()
    });
    let accuracy = |app: &BiolensApp| -> Vec<f64> {
        let run = app.classify_view().result.clone().expect("a run");
        run.outcomes.iter().map(|o| o.mean_sd(|s| Some(s.accuracy)).0).collect()
    };
    let grid = |app: &BiolensApp| app.classify_view().search.outcome.as_ref().expect("a search").grid.scores.clone();
    let (accuracies, scores) = (accuracy(h.state()), grid(h.state()));
    let ratios = pca_ratios(&mut h);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iris.biolens.json");
    h.state_mut().save_session_to(&path);
    run_until(&mut h, "the save", |app| !app.is_saving());
    let saved = h.state().session().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"sha256\"") && text.contains("\"selection 1\"") && text.contains("\"k\": 4"), "{text}");

    let mut fresh = empty_app();
    fresh.state_mut().open_session_from(&path);
    fresh.run_steps(1);
    run_until(&mut fresh, "the session", |app| !app.is_restoring() && app.state().data_job.is_none());
    let app = fresh.state();
    assert_eq!(app.tab(), Tab::Pca, "the tab shown when saved");
    assert_eq!(app.clusters_view().settings.k, 4);
    assert_eq!(app.tsne_view().settings.params.seed, 7);
    assert_eq!(app.classify_view().settings.seed, 3);
    assert!(app.pca_view().settings.params.scale);
    assert_eq!(codes(app, "selection 1"), codes(h.state(), "selection 1"), "the made annotation, sample by sample");
    assert_eq!(app.state().selection.samples, BTreeSet::from([5, 6]));
    // Everything the session holds is the same, and so are the numbers recomputed from it.
    assert_eq!(app.session().unwrap(), saved);
    assert_eq!(accuracy(app), accuracies, "the classifiers' scores");
    assert_eq!(grid(app), scores, "the grid search");
    assert_eq!(pca_ratios(&mut fresh), ratios);
}

#[test]
fn bad_and_newer_session_files_leave_the_current_session_untouched() {
    let mut h = open_app("sklearn_iris", false);
    let before = h.state().state().current.as_ref().map(|c| c.generation);
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("garbage.json", "this is not JSON".to_owned(), "is not a Biolens session"),
        ("other.json", r#"{"name": "something else"}"#.to_owned(), "no \"biolens_session\""),
        (
            "newer.json",
            r#"{"biolens_session": 7, "written_by": "biolens 9.0"}"#.to_owned(),
            "written by a newer Biolens",
        ),
    ];
    for (name, text, message) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        h.state_mut().open_session_from(&path);
        h.run_steps(2);
        let notices: Vec<String> = h.state().state().notices.iter().map(|n| n.text.clone()).collect();
        assert!(notices.iter().any(|n| n.contains(message) && n.contains(name)), "{name}: {notices:?}");
        assert!(!h.state().is_restoring());
        assert_eq!(h.state().state().current.as_ref().map(|c| c.generation), before, "{name}: nothing changed");
    }
}

#[test]
fn a_moved_file_is_asked_for_and_a_changed_one_needs_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let matrix = dir.path().join("iris.csv");
    std::fs::copy(sample("sklearn_iris/expression.csv"), &matrix).unwrap();
    let mut h = empty_app();
    h.state_mut().push_command(Command::OpenMatrix(matrix.clone()));
    h.run_steps(1);
    run_until(&mut h, "the matrix", |app| app.state().current.is_some());
    let session = dir.path().join("s.json");
    h.state_mut().save_session_to(&session);
    run_until(&mut h, "the save", |app| !app.is_saving());

    // Moved: the app asks where it is now.
    let moved = dir.path().join("moved.csv");
    std::fs::rename(&matrix, &moved).unwrap();
    let mut fresh = empty_app();
    fresh.state_mut().open_session_from(&session);
    run_until(&mut fresh, "the question", BiolensApp::is_asking);
    fresh.get_by_label_contains("is not there any more");
    *fresh.state_mut().session_prompt_path().expect("the question") = moved.display().to_string();
    fresh.get_by_label("Use this file").click();
    fresh.run_steps(1);
    run_until(&mut fresh, "the moved file", |app| !app.is_restoring() && app.state().current.is_some());
    assert_eq!(fresh.state().state().current.as_ref().unwrap().dataset.n_samples(), 150);

    // Changed: a warning, and nothing happens unless the user agrees.
    let text = std::fs::read_to_string(&moved).unwrap().replacen("5.1", "5.2", 1);
    std::fs::write(&matrix, text).unwrap();
    let mut changed = empty_app();
    changed.state_mut().open_session_from(&session);
    run_until(&mut changed, "the question", BiolensApp::is_asking);
    changed.get_by_label_contains("changed since the session was saved");
    changed.get_by_label("Cancel").click();
    changed.run_steps(2);
    assert!(changed.state().state().current.is_none() && !changed.state().is_restoring());
    changed.state_mut().open_session_from(&session);
    run_until(&mut changed, "the question", BiolensApp::is_asking);
    changed.get_by_label("Open anyway").click();
    changed.run_steps(1);
    run_until(&mut changed, "the changed file", |app| !app.is_restoring() && app.state().current.is_some());
}
