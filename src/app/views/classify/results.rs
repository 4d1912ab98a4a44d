//! The Classify view's results: the models × scores table and the detail panels of the
//! selected model (confusion matrix, per-class scores, ROC curves, predictions, importance,
//! hyperparameter search).

use std::collections::BTreeSet;

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::super::super::commands::Command;
use super::super::super::state::AppState;
use super::super::super::widgets::confusion::confusion_ui;
use super::super::super::widgets::scatter::SelectionMode;
use super::panels::{PERMUTED_GENES, param_choice_ui};
use super::{ClassifyRun, ClassifyView, Detail};
use crate::analysis::classify::metrics::per_class;
use crate::analysis::classify::search::Param;
use crate::analysis::classify::validation::CvOutcome;
use crate::data::Dataset;
use crate::data::annotations::format_number;
use crate::palette;

fn class_colour(c: usize, dark: bool) -> Color32 {
    let rgb = if dark { palette::categorical_on_dark(c) } else { palette::categorical(c) };
    Color32::from_rgb(rgb[0], rgb[1], rgb[2])
}

impl ClassifyView {
    pub(super) fn results_ui(
        &mut self,
        ui: &mut egui::Ui,
        run: &ClassifyRun,
        dataset: &Dataset,
        state: &AppState,
        commands: &mut Vec<Command>,
    ) {
        for notice in &run.notices {
            ui.label(RichText::new(format!("ℹ {notice}")).weak());
        }
        let validation = run.outcomes.first().map_or(0, |o| o.folds.len());
        ui.label(format!(
            "{} samples, {} classes, {validation} test folds: mean ± SD over folds. Click a model for its details.",
            run.y.len(),
            run.classes.len()
        ));
        self.table_ui(ui, run);
        self.tables_ui(ui, dataset);
        ui.separator();
        let Some(outcome) = run.outcomes.get(self.settings.selected) else { return };
        ui.horizontal(|ui| {
            ui.heading(outcome.model.name());
            ui.separator();
            for (detail, label) in [
                (Detail::Confusion, "Confusion matrix"),
                (Detail::PerClass, "Per class"),
                (Detail::Roc, "ROC curves"),
                (Detail::Predictions, "Predictions"),
                (Detail::Importance, "Gene importance"),
                (Detail::Search, "Tune"),
            ] {
                ui.selectable_value(&mut self.detail, detail, label);
            }
            if outcome.folds.iter().any(|f| f.history.is_some()) {
                ui.selectable_value(&mut self.detail, Detail::Training, "Training");
            }
        });
        match self.detail {
            Detail::Confusion => self.confusion_panel_ui(ui, run, outcome, commands),
            Detail::PerClass => per_class_ui(ui, run, outcome),
            Detail::Roc => roc_ui(ui, run, outcome),
            Detail::Predictions => predictions_ui(ui, run, outcome, dataset, &state.selection.samples, commands),
            Detail::Importance => self.importance_ui(ui, run, outcome, dataset, state),
            Detail::Search => self.search_ui(ui, run, outcome, state),
            Detail::Training => training_ui(ui, outcome),
        }
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, run: &ClassifyRun) {
        let pm = |(m, s): (f64, f64)| format!("{m:.3} ± {s:.3}");
        egui::Grid::new("classify_table").striped(true).min_col_width(60.0).show(ui, |ui| {
            for h in ["model", "accuracy", "balanced acc.", "precision", "recall", "F1", "ROC AUC"] {
                ui.label(RichText::new(h).strong());
            }
            if run.leaky.is_some() {
                ui.label(
                    RichText::new("accuracy, genes chosen on all samples").strong().color(ui.visuals().warn_fg_color),
                )
                .on_hover_text("Leakage: the genes were chosen with the test samples' labels in view");
            }
            ui.end_row();
            for (k, o) in run.outcomes.iter().enumerate() {
                if ui.selectable_label(self.settings.selected == k, o.model.name()).clicked() {
                    self.settings.selected = k;
                }
                if o.single_sample_folds() {
                    // Leave-one-out: scores over all predictions pooled (no SD).
                    let s = o.pooled(&run.y);
                    ui.label(RichText::new(format!("{:.3} (pooled)", s.accuracy)).strong());
                    for v in [s.balanced_accuracy, s.precision_macro, s.recall_macro, s.f1_macro] {
                        ui.label(format!("{v:.3}"));
                    }
                    ui.label(s.roc_auc.map_or("—".to_owned(), |a| format!("{a:.3}")));
                    if let Some(leaky) = &run.leaky {
                        ui.label(RichText::new(format!("{:.3}", leaky[k])).color(ui.visuals().warn_fg_color));
                    }
                    ui.end_row();
                    continue;
                }
                ui.label(RichText::new(pm(o.mean_sd(|s| Some(s.accuracy)))).strong());
                ui.label(pm(o.mean_sd(|s| Some(s.balanced_accuracy))));
                ui.label(pm(o.mean_sd(|s| Some(s.precision_macro))));
                ui.label(pm(o.mean_sd(|s| Some(s.recall_macro))));
                ui.label(pm(o.mean_sd(|s| Some(s.f1_macro))));
                let auc = o.folds.iter().any(|f| f.metrics.roc_auc.is_some());
                ui.label(if auc { pm(o.mean_sd(|s| s.roc_auc)) } else { "—".to_owned() });
                if let Some(leaky) = &run.leaky {
                    let honest = o.mean_sd(|s| Some(s.accuracy)).0;
                    ui.label(
                        RichText::new(format!("{:.3} (+{:.3})", leaky[k], leaky[k] - honest))
                            .color(ui.visuals().warn_fg_color),
                    );
                }
                ui.end_row();
            }
        });
    }

    /// CSV export of the results table, and of the selected model's confusion matrix and
    /// predictions.
    fn tables_ui(&mut self, ui: &mut egui::Ui, dataset: &Dataset) {
        let Some(run) = self.result.clone() else { return };
        self.tables.status_ui(ui);
        let k = self.settings.selected;
        self.export_figure(ui.ctx(), &run, &dataset.name);
        ui.horizontal_wrapped(|ui| {
            if ui.button("Export figure…").on_hover_text("SVG, PNG or PDF at a chosen size").clicked() {
                self.figure.open = true;
            }
            self.tables.button_ui(ui, "CV results (CSV)", "cv_results.csv", || {
                let r = std::sync::Arc::clone(&run);
                move |w| w.write_all(cv_results_csv(&r).as_bytes())
            });
            self.tables.button_ui(ui, "Confusion matrix (CSV)", "confusion_matrix.csv", || {
                let r = std::sync::Arc::clone(&run);
                move |w| w.write_all(confusion_csv(&r, k).as_bytes())
            });
            self.tables.button_ui(ui, "Predictions (CSV)", "predictions.csv", || {
                let (r, ids) = (std::sync::Arc::clone(&run), dataset.sample_ids().to_vec());
                move |w| w.write_all(predictions_csv(&r, k, &ids).as_bytes())
            });
        });
    }

    /// Builds and writes the figure the export window asks for: the selected model's confusion
    /// matrix or ROC curves, or the last grid search and validation curve.
    fn export_figure(&mut self, ctx: &egui::Context, run: &ClassifyRun, name: &str) {
        use crate::export::plots;
        self.figure.window_ui(ctx, "classify_figure");
        if !self.figure.requested {
            return;
        }
        let Some(outcome) = run.outcomes.get(self.settings.selected) else { return };
        let model = outcome.model.name();
        let found = self.search.outcome.clone().filter(|o| o.model.name() == model);
        let figure = match self.figure.plot {
            0 => plots::confusion(
                &format!("{name} — {model}"),
                &outcome.confusion(&run.y),
                &run.classes,
                self.settings.normalised,
            ),
            1 => plots::roc(&format!("{name} — {model}, ROC"), &outcome.roc_curves(&run.y, &run.classes)),
            k => {
                let Some(found) = found else {
                    self.figure.requested = false;
                    self.figure.last = Some(Err(format!("Run the grid search for {model} first (Tune panel).")));
                    return;
                };
                if k == 2 {
                    plots::grid(&format!("{name} — {model}, grid search"), &found.grid)
                } else {
                    plots::validation_curve(
                        &format!("{name} — {model}, validation curve"),
                        found.grid.rows.0.label(),
                        &found.curve,
                    )
                }
            }
        };
        let ctx = ctx.clone();
        self.figure.start(figure, std::sync::Arc::new(move || ctx.request_repaint()));
    }

    fn confusion_panel_ui(
        &mut self,
        ui: &mut egui::Ui,
        run: &ClassifyRun,
        outcome: &CvOutcome,
        commands: &mut Vec<Command>,
    ) {
        ui.horizontal(|ui| {
            ui.label("Summed over test folds; rows: true class.");
            ui.checkbox(&mut self.settings.normalised, "row shares");
        });
        let matrix = outcome.confusion(&run.y);
        let response = confusion_ui(ui, &matrix, &run.classes, self.settings.normalised);
        self.confusion_cells = response.cells;
        if let Some((t, p)) = response.clicked {
            let mut samples = BTreeSet::new();
            for fold in &outcome.folds {
                for (&i, &predicted) in fold.test.iter().zip(&fold.predicted) {
                    if run.y[i] == t && predicted == p {
                        samples.insert(run.samples[i]);
                    }
                }
            }
            commands.push(Command::Select { samples: samples.into_iter().collect(), mode: SelectionMode::Replace });
        }
    }

    fn importance_ui(
        &mut self,
        ui: &mut egui::Ui,
        run: &ClassifyRun,
        outcome: &CvOutcome,
        dataset: &Dataset,
        state: &AppState,
    ) {
        let genes = dataset.gene_ids();
        ui.columns(2, |cols| {
            let ui = &mut cols[0];
            ui.label(RichText::new("Impurity importance (random forest, tree)").strong());
            match outcome.importance() {
                Some(values) => bars_ui(ui, &top(&values, 25), genes),
                None if run.features.pca.is_some() => {
                    ui.label(RichText::new("The features are principal components, not genes.").weak());
                }
                None => {
                    ui.label(RichText::new("Only trees and forests have it; use permutation importance.").weak());
                }
            }
            let ui = &mut cols[1];
            ui.label(RichText::new("Permutation importance (any model)").strong());
            ui.label(
                RichText::new(format!(
                    "Accuracy lost when one gene is shuffled in the test folds, for the {PERMUTED_GENES} most variable genes."
                ))
                .weak(),
            );
            match (&self.importance_job, &self.permutation) {
                (Some((_, job)), _) => {
                    if super::super::job_progress_ui(ui, job) {
                        self.importance_job = None;
                    }
                }
                (None, Some((model, values))) if *model == self.settings.selected => {
                    let mut full = vec![0.0; genes.len()];
                    for &(g, v) in values {
                        if let Some(slot) = full.get_mut(g) {
                            *slot = v;
                        }
                    }
                    bars_ui(ui, &top(&full, 25), genes);
                }
                _ => {
                    if ui.button("Compute").clicked() {
                        self.start_permutation(state);
                    }
                }
            }
        });
    }

    fn search_ui(&mut self, ui: &mut egui::Ui, run: &ClassifyRun, outcome: &CvOutcome, state: &AppState) {
        let params = Param::of(&outcome.model);
        if params.is_empty() {
            ui.label(RichText::new("This model has no hyperparameters to tune.").weak());
            return;
        }
        if self.search.param2.is_some_and(|p| !params.contains(&p)) {
            self.search.param2 = None;
        }
        if self.search.param.is_none_or(|p| !params.contains(&p)) {
            self.search.param = Some(params[0]);
            self.search.values = params[0].suggested().iter().map(|v| format_number(*v)).collect::<Vec<_>>().join(", ");
            self.search.param2 = None;
        }
        param_choice_ui(ui, "search_param", &params, &mut self.search.param, &mut self.search.values, false);
        param_choice_ui(ui, "search_param2", &params, &mut self.search.param2, &mut self.search.values2, true);
        match &self.search.job {
            Some(job) => {
                let cancel = ui.horizontal(|ui| super::super::job_progress_ui(ui, job)).inner;
                if cancel {
                    self.search.job = None;
                }
            }
            None => {
                if ui.button("Grid search, nested CV and validation curve").clicked() {
                    self.start_search(state);
                }
            }
        }
        let cancel = ui
            .horizontal(|ui| {
                if let Some(job) = &self.search.random_job {
                    return super::super::job_progress_ui(ui, job);
                }
                ui.label("or random search:");
                ui.add(egui::DragValue::new(&mut self.search.draws).range(2..=500));
                if ui.button("draws between the smallest and largest values").clicked() {
                    self.start_random_search(state);
                }
                false
            })
            .inner;
        if cancel {
            self.search.random_job = None;
        }
        if let Some(err) = &self.search.error {
            ui.colored_label(ui.visuals().error_fg_color, err);
        }
        if let Some(random) = self.search.random.clone().filter(|r| r.base.name() == outcome.model.name()) {
            ui.label(RichText::new(format!("Random search, {} draws (best first):", random.draws.len())).strong());
            egui::Grid::new("random_search").striped(true).show(ui, |ui| {
                for (model, score) in random.draws.iter().take(8) {
                    ui.label(model.name());
                    ui.label(format!("{score:.3}"));
                    ui.end_row();
                }
            });
        }
        let Some(found) = self.search.outcome.clone().filter(|o| o.model.name() == outcome.model.name()) else {
            return;
        };
        let grid = &found.grid;
        let best = grid.scores[[grid.best.0, grid.best.1]];
        let nested = found.nested.iter().map(|(s, _)| s).sum::<f64>() / found.nested.len().max(1) as f64;
        ui.label(
            RichText::new(format!(
                "best cell {best:.3} (optimistic: chosen on the same folds); nested CV {nested:.3} (honest)"
            ))
            .strong(),
        );
        grid_ui(ui, grid);
        let _ = run;
        let train: Vec<[f64; 2]> = found.curve.iter().map(|&(v, t, _)| [v, t]).collect();
        let cv: Vec<[f64; 2]> = found.curve.iter().map(|&(v, _, c)| [v, c]).collect();
        let log = crate::export::plots::log_spaced(&grid.rows.1);
        let tx = |p: &[[f64; 2]]| -> Vec<[f64; 2]> {
            p.iter().map(|&[x, y]| [if log { x.log10() } else { x }, y]).collect()
        };
        ui.label(
            RichText::new(format!(
                "Validation curve over {}{}",
                grid.rows.0.label(),
                if log { " (log10 scale)" } else { "" }
            ))
            .strong(),
        );
        Plot::new("validation_curve").height(220.0).legend(Legend::default()).y_axis_label("accuracy").show(
            ui,
            |plot| {
                plot.line(Line::new("training", PlotPoints::from(tx(&train))).width(2.0));
                plot.line(Line::new("cross-validation", PlotPoints::from(tx(&cv))).width(2.0));
            },
        );
    }
}

/// Models × scores (mean and SD over folds) as CSV.
fn cv_results_csv(run: &ClassifyRun) -> String {
    use crate::export::csv::field;
    use std::fmt::Write as _;
    let mut out = String::from(
        "model,accuracy_mean,accuracy_sd,balanced_accuracy_mean,balanced_accuracy_sd,precision_macro_mean,recall_macro_mean,f1_macro_mean,f1_macro_sd,roc_auc_mean\n",
    );
    for o in &run.outcomes {
        let (a, asd) = o.mean_sd(|s| Some(s.accuracy));
        let (b, bsd) = o.mean_sd(|s| Some(s.balanced_accuracy));
        let (f, fsd) = o.mean_sd(|s| Some(s.f1_macro));
        let auc = if o.folds.iter().any(|f| f.metrics.roc_auc.is_some()) {
            o.mean_sd(|s| s.roc_auc).0.to_string()
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{},{a},{asd},{b},{bsd},{},{},{f},{fsd},{auc}",
            field(&o.model.name()),
            o.mean_sd(|s| Some(s.precision_macro)).0,
            o.mean_sd(|s| Some(s.recall_macro)).0
        );
    }
    out
}

/// The confusion matrix of model `k` as CSV (rows: true class).
fn confusion_csv(run: &ClassifyRun, k: usize) -> String {
    use crate::export::csv::field;
    use std::fmt::Write as _;
    let Some(o) = run.outcomes.get(k) else { return String::new() };
    let names: Vec<String> = run.classes.iter().map(|c| field(c).into_owned()).collect();
    let mut out = format!("true \\ predicted,{}\n", names.join(","));
    for (name, row) in names.iter().zip(o.confusion(&run.y)) {
        let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "{name},{}", cells.join(","));
    }
    out
}

/// Every test prediction of model `k` as CSV.
fn predictions_csv(run: &ClassifyRun, k: usize, ids: &[String]) -> String {
    use crate::export::csv::field;
    use std::fmt::Write as _;
    let Some(o) = run.outcomes.get(k) else { return String::new() };
    let mut out = String::from("sample_id,true,predicted,correct,fold\n");
    for (fold, f) in o.folds.iter().enumerate() {
        for (&i, &p) in f.test.iter().zip(&f.predicted) {
            let id = ids.get(run.samples[i]).map_or("", String::as_str);
            let t = run.y[i];
            let _ = writeln!(
                out,
                "{},{},{},{},{}",
                field(id),
                field(&run.classes[t]),
                field(&run.classes[p]),
                t == p,
                fold + 1
            );
        }
    }
    out
}

/// The `n` largest values with their indices, largest first.
fn top(values: &[f64], n: usize) -> Vec<(usize, f64)> {
    let mut order: Vec<(usize, f64)> = values.iter().copied().enumerate().collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1));
    order.truncate(n);
    order
}

fn bars_ui(ui: &mut egui::Ui, entries: &[(usize, f64)], genes: &[String]) {
    let max = entries.first().map_or(1.0, |e| e.1.max(f64::MIN_POSITIVE));
    egui::Grid::new(ui.next_auto_id()).show(ui, |ui| {
        for &(g, v) in entries {
            ui.label(genes.get(g).map_or("?", String::as_str));
            let width = ui.text_style_height(&egui::TextStyle::Body) * 10.0;
            let (rect, _) = ui.allocate_exact_size(
                egui::vec2(width, ui.text_style_height(&egui::TextStyle::Body) * 0.8),
                egui::Sense::hover(),
            );
            let w = (v.max(0.0) / max) as f32 * width;
            ui.painter().rect_filled(
                egui::Rect::from_min_size(rect.min, egui::vec2(w, rect.height())),
                2.0,
                Color32::from_rgb(0, 114, 178),
            );
            ui.label(format_number(v));
            ui.end_row();
        }
    });
}

fn per_class_ui(ui: &mut egui::Ui, run: &ClassifyRun, outcome: &CvOutcome) {
    let scores = per_class(&outcome.confusion(&run.y));
    egui::Grid::new("per_class").striped(true).show(ui, |ui| {
        for h in ["class", "precision", "recall", "F1", "samples"] {
            ui.label(RichText::new(h).strong());
        }
        ui.end_row();
        for (name, s) in run.classes.iter().zip(&scores) {
            ui.label(name);
            ui.label(format!("{:.3}", s.precision));
            ui.label(format!("{:.3}", s.recall));
            ui.label(format!("{:.3}", s.f1));
            ui.label(s.support.to_string());
            ui.end_row();
        }
    });
}

fn roc_ui(ui: &mut egui::Ui, run: &ClassifyRun, outcome: &CvOutcome) {
    ui.label(
        RichText::new("One class against the rest, test scores of every fold pooled; the diagonal is chance.").weak(),
    );
    let dark = ui.visuals().dark_mode;
    let curves = outcome.roc_curves(&run.y, &run.classes);
    Plot::new("roc")
        .data_aspect(1.0)
        .height(ui.available_height().max(320.0))
        .legend(Legend::default())
        .x_axis_label("false positive rate")
        .y_axis_label("true positive rate")
        .show(ui, |plot| {
            plot.line(
                Line::new("chance", PlotPoints::from(vec![[0.0, 0.0], [1.0, 1.0]]))
                    .color(Color32::GRAY)
                    .style(egui_plot::LineStyle::dashed_dense()),
            );
            for (c, (name, curve, auc)) in curves.into_iter().enumerate() {
                let points: Vec<[f64; 2]> = curve.into_iter().map(|(x, y)| [x, y]).collect();
                let auc = if auc.is_finite() { format!(" (AUC {auc:.3})") } else { String::new() };
                plot.line(
                    Line::new(format!("{name}{auc}"), PlotPoints::from(points)).color(class_colour(c, dark)).width(2.0),
                );
            }
        });
}

fn predictions_ui(
    ui: &mut egui::Ui,
    run: &ClassifyRun,
    outcome: &CvOutcome,
    dataset: &Dataset,
    selected: &BTreeSet<usize>,
    commands: &mut Vec<Command>,
) {
    let mut rows: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (fold, f) in outcome.folds.iter().enumerate() {
        for (&i, &p) in f.test.iter().zip(&f.predicted) {
            rows.push((i, run.y[i], p, fold));
        }
    }
    rows.sort_by_key(|&(i, t, p, _)| (t == p, i));
    let wrong = rows.iter().filter(|r| r.1 != r.2).count();
    ui.label(format!(
        "{wrong} of {} test predictions wrong (listed first). Click a row to select the sample.",
        rows.len()
    ));
    let ids = dataset.sample_ids();
    let error = ui.visuals().error_fg_color;
    egui::Grid::new("predictions").striped(true).show(ui, |ui| {
        for h in ["sample", "true", "predicted", "fold"] {
            ui.label(RichText::new(h).strong());
        }
        ui.end_row();
        for &(i, t, p, fold) in rows.iter().take(2000) {
            let sample = run.samples[i];
            let text = RichText::new(ids.get(sample).map_or("?", String::as_str));
            let text = if t == p { text } else { text.color(error).strong() };
            if ui.selectable_label(selected.contains(&sample), text).clicked() {
                commands.push(Command::SelectRow {
                    row: sample,
                    toggle: ui.input(|i| i.modifiers.command),
                    extend: ui.input(|i| i.modifiers.shift),
                });
            }
            ui.label(&run.classes[t]);
            let predicted = RichText::new(&run.classes[p]);
            ui.label(if t == p { predicted } else { predicted.color(error) });
            ui.label((fold + 1).to_string());
            ui.end_row();
        }
    });
}

/// The grid of mean CV accuracy, best cell framed.
fn grid_ui(ui: &mut egui::Ui, grid: &crate::analysis::classify::search::Grid) {
    let (lo, hi) = grid.scores.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    egui::Grid::new("search_grid").show(ui, |ui| {
        ui.label(
            RichText::new(format!("{} \\ {}", grid.rows.0.label(), grid.cols.as_ref().map_or("", |c| c.0.label())))
                .weak(),
        );
        match &grid.cols {
            Some((_, values)) => {
                for v in values {
                    ui.label(RichText::new(format_number(*v)).strong());
                }
            }
            None => {
                ui.label(RichText::new("CV accuracy").strong());
            }
        }
        ui.end_row();
        for (r, v) in grid.rows.1.iter().enumerate() {
            ui.label(RichText::new(format_number(*v)).strong());
            for c in 0..grid.scores.ncols() {
                let s = grid.scores[[r, c]];
                let t = if hi > lo { (s - lo) / (hi - lo) } else { 1.0 };
                let rgb = palette::viridis(t);
                let fill = Color32::from_rgb(rgb[0], rgb[1], rgb[2]);
                let text =
                    RichText::new(format!("{s:.3}")).color(if t > 0.6 { Color32::BLACK } else { Color32::WHITE });
                let best = (r, c) == grid.best;
                let button = egui::Button::new(if best { text.strong() } else { text }).fill(fill);
                let button =
                    if best { button.stroke(egui::Stroke::new(3.0, Color32::from_rgb(213, 94, 0))) } else { button };
                ui.add(button).on_hover_text(if best { "best" } else { "" });
            }
            ui.end_row();
        }
    });
}

/// A network's training curves, every fold (the last one strong), and where it stopped.
fn training_ui(ui: &mut egui::Ui, outcome: &crate::analysis::classify::validation::CvOutcome) {
    let runs: Vec<Vec<crate::analysis::nn::EpochRecord>> =
        outcome.folds.iter().filter_map(|f| f.history.clone()).collect();
    if runs.is_empty() {
        ui.label("This model does not train in epochs.");
        return;
    }
    let planned = match &outcome.model {
        crate::analysis::classify::Model::Mlp(p) => p.epochs,
        _ => runs.iter().map(Vec::len).max().unwrap_or(0),
    };
    let seconds: f64 = runs.iter().flatten().map(|r| r.seconds).sum();
    let epochs: usize = runs.iter().map(Vec::len).sum();
    ui.label(format!(
        "{} folds, {epochs} epochs in {seconds:.1} s ({:.0} ms an epoch). Training figures are measured as each batch \
         trains (with dropout); validation figures on the held-out part of each training fold.",
        runs.len(),
        1000.0 * seconds / epochs.max(1) as f64
    ));
    let height = (ui.available_height() * 0.6).clamp(180.0, 420.0);
    crate::app::widgets::training::curves_ui(ui, "fold_training", &runs, planned, height);
}
