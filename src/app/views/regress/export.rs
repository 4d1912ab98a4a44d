//! *Export figure…* and the CSV tables of the regression side: the selected model's predicted
//! against true and residuals, the regularisation path (coefficients, or the CV error), and the
//! learning curve, drawn by the same builders as `biolens plot` (`export::regress_plots`).

use std::fmt::Write as _;
use std::sync::Arc;

use eframe::egui;

use super::super::super::state::AppState;
use super::super::figure_export::FigureExport;
use super::{RegressRun, RegressView};
use crate::export::csv::field;
use crate::export::regress_plots;

/// The figures offered, in the chooser's order.
pub const FIGURES: [&str; 5] =
    ["predicted vs true", "residuals", "regularisation path", "regularisation path: CV error", "learning curve"];

/// The export window's state (a newtype, so the view keeps `Default`).
pub struct RegressFigure(pub FigureExport);

impl Default for RegressFigure {
    fn default() -> Self {
        Self(FigureExport::with_choices("regression", FIGURES.to_vec()))
    }
}

impl RegressView {
    /// The buttons under the table: the figure window and the CSV tables.
    pub(super) fn exports_ui(&mut self, ui: &mut egui::Ui, run: &Arc<RegressRun>, state: &AppState) {
        let Some(current) = &state.current else { return };
        self.export_figure(ui.ctx(), run, state);
        self.tables.status_ui(ui);
        let m = self.settings.selected;
        ui.horizontal_wrapped(|ui| {
            if ui.button("Export figure…").on_hover_text("SVG, PNG or PDF at a chosen size").clicked() {
                self.figure.0.open = true;
            }
            self.tables.button_ui(ui, "CV results (CSV)", "regression_cv.csv", || {
                let r = Arc::clone(run);
                move |w| w.write_all(cv_results_csv(&r).as_bytes())
            });
            self.tables.button_ui(ui, "Predictions (CSV)", "regression_predictions.csv", || {
                let (r, ids) = (Arc::clone(run), current.dataset.sample_ids().to_vec());
                move |w| w.write_all(predictions_csv(&r, m, &ids).as_bytes())
            });
        });
    }

    /// Builds and writes the figure the export window asks for.
    fn export_figure(&mut self, ctx: &egui::Context, run: &RegressRun, state: &AppState) {
        let export = &mut self.figure.0;
        export.window_ui(ctx, "regress_figure");
        if !export.requested {
            return;
        }
        let Some(cv) = run.outcomes.get(self.settings.selected) else { return };
        let name = state.current.as_ref().map_or_else(String::new, |c| c.dataset.name.clone());
        let model = cv.model.name();
        let target = run.problem.target.label();
        let missing = |what: &str| Err(format!("Compute the {what} first (its panel)."));
        let figure = match export.plot {
            0 | 1 => {
                let tested = cv.tested(&run.problem.y);
                let truth: Vec<f64> = tested.iter().map(|t| t.1).collect();
                let predicted: Vec<f64> = tested.iter().map(|t| t.2).collect();
                let highlighted: Vec<usize> = if export.highlight_selection {
                    (0..tested.len())
                        .filter(|&k| state.selection.samples.contains(&run.problem.samples[tested[k].0]))
                        .collect()
                } else {
                    Vec::new()
                };
                let title = format!("{name} — {model}");
                Ok(if export.plot == 0 {
                    regress_plots::predicted_vs_true(&title, &target, &truth, &predicted, &[], &highlighted)
                } else {
                    regress_plots::residuals(&title, &target, &truth, &predicted, &[], &highlighted)
                })
            }
            2 | 3 => match &self.path {
                Some(path) if export.plot == 2 => Ok(regress_plots::path(&format!("{name} — {target}"), path)),
                Some(path) => Ok(regress_plots::path_cv(&format!("{name} — {target}, CV error"), path)),
                None => missing("regularisation path"),
            },
            _ => match &self.learning {
                Some(curve) => Ok(regress_plots::learning_curve(&format!("{name} — {model}"), curve, false)),
                None => missing("learning curve"),
            },
        };
        match figure {
            Ok(figure) => {
                let ctx = ctx.clone();
                export.start(figure, Arc::new(move || ctx.request_repaint()));
            }
            Err(message) => {
                export.requested = false;
                export.last = Some(Err(message));
            }
        }
    }
}

/// Every model's scores: mean and SD over folds.
pub fn cv_results_csv(run: &RegressRun) -> String {
    let mut out = String::from(
        "model,r2_mean,r2_sd,rmse_mean,rmse_sd,mae_mean,mae_sd,median_ae_mean,median_ae_sd,train_r2_mean\n",
    );
    for cv in &run.outcomes {
        let (r2, r2_sd) = cv.mean_sd(|s| s.r2);
        let (rmse, rmse_sd) = cv.mean_sd(|s| s.rmse);
        let (mae, mae_sd) = cv.mean_sd(|s| s.mae);
        let (med, med_sd) = cv.mean_sd(|s| s.median_ae);
        let train = cv.train_r2_mean();
        let _ = writeln!(
            out,
            "{},{r2},{r2_sd},{rmse},{rmse_sd},{mae},{mae_sd},{med},{med_sd},{train}",
            field(&cv.model.name())
        );
    }
    out
}

/// The selected model's test prediction of every sample, largest absolute error first.
pub fn predictions_csv(run: &RegressRun, m: usize, sample_ids: &[String]) -> String {
    let mut out = String::from("sample,true,predicted,error\n");
    let Some(cv) = run.outcomes.get(m) else { return out };
    let mut tested = cv.tested(&run.problem.y);
    tested.sort_by(|a, b| (b.1 - b.2).abs().total_cmp(&(a.1 - a.2).abs()));
    for (i, truth, predicted) in tested {
        let id = sample_ids.get(run.problem.samples[i]).map_or("", String::as_str);
        let _ = writeln!(out, "{},{truth},{predicted},{}", field(id), truth - predicted);
    }
    out
}
