//! The Predict view's regression side driven through the real app: petal width of the iris
//! flowers predicted from the other measurements (R² as scikit-learn's on the same folds), a
//! click on a predicted-against-true point selects its sample, the lasso path finds its genes
//! and one colours every scatter, learning and validation curves are drawn, and dragging a point
//! in the loss lesson moves the squared-loss line but hardly the absolute-loss one; *Export
//! figure…* writes the panels and the CSV tables hold every model and every sample.

mod common;

use common::{answer_save_dialog, drag, export_figure, open_app, press, run_until, screenshot};

use biolens::analysis::classify::models::KnnWeights;
use biolens::analysis::regress::Regressor;
use biolens::app::Tab;
use biolens::app::views::regress::{RegressPanel, RegressTarget};
use biolens::recipes::Colouring;
use egui_kittest::kittest::Queryable as _;

fn reference_r2(key: &str, model: &str) -> f64 {
    let text = std::fs::read_to_string(common::sample("../tests/reference/sklearn_regress.json")).expect("reference");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let folds: Vec<f64> = json["problems"][key]["cv_r2"][model]
        .as_array()
        .expect("folds")
        .iter()
        .map(|v| v.as_f64().expect("R²"))
        .collect();
    folds.iter().sum::<f64>() / folds.len() as f64
}

#[test]
fn regress_select_path_curves_and_losses() {
    let mut h = open_app("sklearn_iris", false);
    h.get_by_label("Predict").click();
    h.run_steps(2);
    assert_eq!(h.state().tab(), Tab::Classify);
    h.get_by_label("a number (regression)").click();
    h.run_steps(2);
    {
        let view = &mut h.state_mut().classify_view_mut().regress;
        view.settings.target = Some(RegressTarget::Gene("petal_width_(cm)".into()));
        view.settings.models = vec![
            (true, Regressor::Ols),
            (true, Regressor::Ridge { alpha: 1.0 }),
            (true, Regressor::Knn { k: 5, weights: KnnWeights::Uniform }),
            (true, Regressor::Baseline),
        ];
    }
    h.run_steps(1);
    h.get_by_label("▶ Run").click();
    h.run_steps(1);
    run_until(&mut h, "the run", |app| {
        app.classify_view().regress.result.is_some() && !app.classify_view().regress.is_running()
    });
    let run = h.state().classify_view().regress.result.clone().unwrap();
    assert_eq!(run.outcomes.len(), 4);
    let r2 = |m: usize| run.outcomes[m].mean_sd(|s| s.r2).0;
    assert!((r2(0) - reference_r2("iris_petal_width", "ols")).abs() < 1e-9, "OLS as LinearRegression");
    assert!((r2(1) - reference_r2("iris_petal_width", "ridge")).abs() < 1e-9, "ridge as Ridge");
    // iris has tied distances: which of the tied 5th neighbours counts differs from scikit-learn's
    // k-d tree, by 0.0006 in R² here.
    assert!((r2(2) - reference_r2("iris_petal_width", "knn")).abs() < 2e-3, "5-NN as KNeighborsRegressor");
    assert!(r2(3) < 0.0, "the mean baseline explains nothing");
    screenshot(&mut h, "regress_iris");

    // Click a point of predicted against true: its sample is selected everywhere.
    let (sample, at) = h.state().classify_view().regress.predicted_points[10];
    h.event(egui::Event::PointerMoved(at));
    press(&h, at, true);
    press(&h, at, false);
    h.run_steps(2);
    assert!(h.state().state().selection.samples.contains(&sample));

    // The lasso path: coefficients shrink to zero; the one-SE α is at least the best α; a gene
    // button colours every scatter by that gene.
    h.state_mut().classify_view_mut().regress.panel = RegressPanel::Path;
    h.run_steps(2);
    h.get_by_label("Compute path").click();
    h.run_steps(1);
    run_until(&mut h, "the path", |app| app.classify_view().regress.path.is_some());
    let path = h.state().classify_view().regress.path.clone().unwrap();
    assert_eq!(path.path.alphas.len(), 100);
    // At the largest α every coefficient is zero (to rounding: the grid starts exactly at
    // scikit-learn's α_max, where it too can keep one at 1e-16).
    assert!(path.path.coefficients[0].iter().all(|&w| w.abs() < 1e-12));
    assert!(path.one_se <= path.best);
    h.run_steps(2);
    screenshot(&mut h, "regress_path");
    let (first, _) = path.nonzero(path.best)[0];
    let name = path.feature_names[first].clone();
    let label = format!("{name} {:+.3}", path.path.coefficients[path.best][first]);
    h.get_by_label(&label).click();
    h.run_steps(2);
    assert_eq!(h.state().pca_view().settings.colour_by, Colouring::Gene(name));

    // Learning curve and validation curve of ridge.
    h.state_mut().classify_view_mut().regress.settings.selected = 1;
    h.state_mut().classify_view_mut().regress.panel = RegressPanel::Curves;
    h.run_steps(2);
    h.get_by_label("Learning curve").click();
    h.run_steps(1);
    run_until(&mut h, "the learning curve", |app| app.classify_view().regress.learning.is_some());
    let learning = h.state().classify_view().regress.learning.clone().unwrap();
    assert_eq!(learning.len(), biolens::recipes::regress::LEARNING_SHARES.len());
    assert!(learning.windows(2).all(|w| w[0].value < w[1].value), "sizes grow");
    h.get_by_label("Validation curve over α").click();
    h.run_steps(1);
    run_until(&mut h, "the validation curve", |app| app.classify_view().regress.curve.is_some());
    let (_, curve) = h.state().classify_view().regress.curve.clone().unwrap();
    let (first, last) = (curve.first().unwrap(), curve.last().unwrap());
    assert!(last.train_rmse.0 > first.train_rmse.0, "a large α fits the training folds worse");
    h.run_steps(2);
    screenshot(&mut h, "regress_curves");

    // The loss lesson: drag one point far up.
    h.state_mut().classify_view_mut().regress.panel = RegressPanel::Losses;
    h.run_steps(3);
    let points = h.state().classify_view().regress.lesson_points.clone();
    let start = points[0];
    drag(&mut h, start, start - egui::vec2(0.0, 150.0), 6);
    h.run_steps(2);
    let lesson = h.state().classify_view().regress.lesson.lesson.clone().expect("the lesson was drawn");
    assert_eq!(lesson.moved.len(), 1, "one point was moved");
    assert!(lesson.moved.values().all(|&d| d > 0.5), "upwards, far");
    screenshot(&mut h, "regress_losses");
}

#[test]
fn regression_figures_and_tables_export_what_the_panels_show() {
    let mut h = open_app("sklearn_iris", false);
    h.get_by_label("Predict").click();
    h.run_steps(2);
    h.get_by_label("a number (regression)").click();
    h.run_steps(2);
    {
        let view = &mut h.state_mut().classify_view_mut().regress;
        view.settings.target = Some(RegressTarget::Gene("petal_width_(cm)".into()));
        view.settings.models = vec![(true, Regressor::Ols), (true, Regressor::Baseline)];
    }
    h.run_steps(1);
    h.get_by_label("▶ Run").click();
    h.run_steps(1);
    run_until(&mut h, "the run", |app| {
        app.classify_view().regress.result.is_some() && !app.classify_view().regress.is_running()
    });
    let run = h.state().classify_view().regress.result.clone().expect("a run");
    let ids = h.state().state().current.as_ref().expect("data").dataset.sample_ids().to_vec();
    h.state_mut().state_mut().selection.samples.extend([0, 1, 2]);

    h.get_by_label("Export figure…").click();
    h.run_steps(2);
    let dir = tempfile::tempdir().expect("a folder");
    let svg_path = dir.path().join("predicted.svg");
    let svg = export_figure(&mut h, |app| &mut app.classify_view_mut().regress.figure.0, 0, &svg_path);
    let svg = String::from_utf8(svg).expect("SVG");
    assert_eq!(svg.matches("<circle").count(), 150 + 3, "every sample, and the 3 selected outlined");
    assert!(svg.contains(">true gene petal_width_(cm)<"), "the target on the x axis");
    // The path was not computed: the export says what to do instead of writing.
    let missing = dir.path().join("path.svg");
    {
        let e = &mut h.state_mut().classify_view_mut().regress.figure.0;
        e.plot = 2;
        e.last = None;
    }
    answer_save_dialog(&h, &missing);
    h.run_steps(1);
    h.get_by_label("Export…").click();
    h.run_steps(3);
    assert!(!missing.exists());
    let last = h.state().classify_view().regress.figure.0.last.clone();
    assert!(matches!(&last, Some(Err(m)) if m.contains("regularisation path")), "{last:?}");

    // The tables: every model's scores, and every sample's prediction, largest error first.
    let cv = biolens::app::views::regress::export::cv_results_csv(&run);
    assert_eq!(cv.lines().count(), 3);
    assert!(cv.lines().nth(1).expect("OLS").starts_with("linear regression (OLS),"));
    let predictions = biolens::app::views::regress::export::predictions_csv(&run, 0, &ids);
    let errors: Vec<f64> = predictions
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().expect("error").parse::<f64>().expect("a number").abs())
        .collect();
    assert_eq!(errors.len(), 150);
    assert!(errors.windows(2).all(|w| w[0] >= w[1]), "largest errors first");
}
