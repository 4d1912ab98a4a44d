//! The Predict view's regression panels: predicted against true and residuals, the samples,
//! the coefficients, the regularisation path, learning and validation curves, and the loss
//! lesson.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Legend, Line, Plot, PlotPoints, Points, VLine};

use super::super::super::commands::Command;
use super::super::super::state::AppState;
use super::super::super::widgets::scatter::SelectionMode;
use super::{LossLesson, RegressRun, RegressView};
use crate::analysis::regress::linear::LinearFit;
use crate::analysis::regress::validation::{CurvePoint, PathKind, RegParam};
use crate::recipes::Colouring;

impl RegressView {
    /// (processed sample, truth, prediction) of every sample tested.
    pub(super) fn tested(run: &RegressRun, m: usize) -> Vec<(usize, f64, f64)> {
        let Some(cv) = run.outcomes.get(m) else { return Vec::new() };
        cv.tested(&run.problem.y).into_iter().map(|(i, t, p)| (run.problem.samples[i], t, p)).collect()
    }

    pub(super) fn predictions_ui(
        &mut self,
        ui: &mut egui::Ui,
        run: &RegressRun,
        state: &AppState,
        commands: &mut Vec<Command>,
    ) {
        let tested = Self::tested(run, self.settings.selected);
        let target = run.problem.target.label();
        let height = (ui.available_height() * 0.45).clamp(200.0, 420.0);
        ui.label(RichText::new("Click a point to select its sample (Ctrl: add, Shift: remove).").weak());
        let points: Vec<[f64; 2]> = tested.iter().map(|&(_, t, p)| [t, p]).collect();
        let (lo, hi) = tested
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(_, t, p)| (a.min(t.min(p)), b.max(t.max(p))));
        let (chosen, screen) = clickable_scatter(
            ui,
            "regress_predicted",
            &points,
            &tested,
            state,
            height,
            &format!("true {target}"),
            "predicted",
            |plot| {
                plot.line(
                    Line::new("y = x", PlotPoints::from(vec![[lo, lo], [hi, hi]]))
                        .style(egui_plot::LineStyle::dashed_dense()),
                );
            },
        );
        let residuals: Vec<[f64; 2]> = tested.iter().map(|&(_, t, p)| [p, t - p]).collect();
        self.predicted_points = tested.iter().map(|t| t.0).zip(screen).collect();
        let (chosen2, _) = clickable_scatter(
            ui,
            "regress_residuals",
            &residuals,
            &tested,
            state,
            height * 0.7,
            "predicted",
            "residual (true − predicted)",
            |plot| {
                plot.hline(egui_plot::HLine::new("0", 0.0).style(egui_plot::LineStyle::dashed_dense()));
            },
        );
        if let Some(c) = chosen.or(chosen2) {
            commands.push(c);
        }
    }

    pub(super) fn samples_ui(
        &mut self,
        ui: &mut egui::Ui,
        run: &RegressRun,
        state: &AppState,
        commands: &mut Vec<Command>,
    ) {
        let mut tested = Self::tested(run, self.settings.selected);
        tested.sort_by(|a, b| (b.1 - b.2).abs().total_cmp(&(a.1 - a.2).abs()));
        let ids: &[String] = state.current.as_ref().map_or(&[], |c| c.dataset.sample_ids());
        ui.label(RichText::new("Largest errors first; click a row to select the sample.").weak());
        egui::Grid::new("regress_samples").striped(true).show(ui, |ui| {
            for h in ["sample", "true", "predicted", "residual"] {
                ui.strong(h);
            }
            ui.end_row();
            for &(i, t, p) in tested.iter().take(500) {
                let name = ids.get(i).cloned().unwrap_or_default();
                if ui.selectable_label(state.selection.samples.contains(&i), name).clicked() {
                    let mode = SelectionMode::from_modifiers(ui.input(|inp| inp.modifiers));
                    commands.push(Command::Select { samples: vec![i], mode });
                }
                ui.label(format!("{t:.4}"));
                ui.label(format!("{p:.4}"));
                ui.label(format!("{:+.4}", t - p));
                ui.end_row();
            }
        });
        if tested.len() > 500 {
            ui.label(RichText::new(format!("… {} more", tested.len() - 500)).weak());
        }
    }

    pub(super) fn coefficients_ui(&mut self, ui: &mut egui::Ui, run: &RegressRun, commands: &mut Vec<Command>) {
        let Some(Some(fit)) = run.full_fits.get(self.settings.selected) else {
            ui.label("Coefficients are shown for the linear models on genes (not on PCs or products).");
            return;
        };
        gene_list_ui(ui, "regress_coefficients", fit, &run.problem.genes, commands);
    }

    pub(super) fn path_ui(
        &mut self,
        ui: &mut egui::Ui,
        run: &RegressRun,
        state: &AppState,
        commands: &mut Vec<Command>,
    ) {
        ui.horizontal(|ui| {
            let kind = &mut self.settings.path.kind;
            ui.selectable_value(kind, PathKind::ElasticNet { l1_ratio: 1.0 }, "lasso");
            ui.selectable_value(kind, PathKind::Ridge, "ridge");
            let enet = matches!(kind, PathKind::ElasticNet { l1_ratio } if *l1_ratio < 1.0);
            if ui.selectable_label(enet, "elastic net").clicked() && !enet {
                *kind = PathKind::ElasticNet { l1_ratio: 0.5 };
            }
            if let PathKind::ElasticNet { l1_ratio } = kind
                && *l1_ratio < 1.0
            {
                ui.add(egui::Slider::new(l1_ratio, 0.05..=0.95).text("l1 ratio"));
            }
            match &self.path_job {
                Some(job) => {
                    if super::super::job_progress_ui(ui, job) {
                        self.path_job = None;
                    }
                }
                None => {
                    if ui.button("Compute path").clicked() {
                        self.start_path(state);
                    }
                }
            }
        });
        let Some(path) = self.path.clone() else {
            ui.label(
                RichText::new("Coefficients against the penalty α, with the cross-validated error beneath.").weak(),
            );
            return;
        };
        let log_a: Vec<f64> = path.path.alphas.iter().map(|a| a.log10()).collect();
        let (best, one_se) = (log_a[path.best], log_a[path.one_se]);
        let height = (ui.available_height() * 0.4).clamp(180.0, 360.0);
        let order = path.drawn(crate::export::regress_plots::PATH_LINES);
        let dark = ui.visuals().dark_mode;
        Plot::new("regress_path").height(height).x_axis_label("log10 α").y_axis_label("coefficient").show(ui, |plot| {
            for (k, &f) in order.iter().enumerate() {
                let rgb = if dark { crate::palette::categorical_on_dark(k) } else { crate::palette::categorical(k) };
                let points: Vec<[f64; 2]> =
                    log_a.iter().zip(&path.path.coefficients).map(|(&a, c)| [a, c[f]]).collect();
                plot.line(
                    Line::new(path.feature_names[f].clone(), PlotPoints::from(points))
                        .color(Color32::from_rgb(rgb[0], rgb[1], rgb[2])),
                );
            }
            plot.vline(VLine::new("smallest CV error", best).color(Color32::from_rgb(213, 94, 0)));
            plot.vline(VLine::new("one-SE rule", one_se).color(Color32::from_rgb(0, 158, 115)));
        });
        Plot::new("regress_path_cv")
            .height(height * 0.6)
            .x_axis_label("log10 α")
            .y_axis_label("CV MSE ± SE")
            .legend(Legend::default())
            .show(ui, |plot| {
                let mean: Vec<[f64; 2]> = log_a.iter().zip(&path.cv_mse).map(|(&a, &(m, _))| [a, m]).collect();
                let upper: Vec<[f64; 2]> = log_a.iter().zip(&path.cv_mse).map(|(&a, &(m, se))| [a, m + se]).collect();
                let lower: Vec<[f64; 2]> = log_a.iter().zip(&path.cv_mse).map(|(&a, &(m, se))| [a, m - se]).collect();
                plot.line(Line::new("mean", PlotPoints::from(mean)).width(2.0));
                plot.line(Line::new("± 1 SE", PlotPoints::from(upper)).style(egui_plot::LineStyle::dashed_dense()));
                plot.line(Line::new("± 1 SE", PlotPoints::from(lower)).style(egui_plot::LineStyle::dashed_dense()));
                plot.vline(VLine::new("smallest CV error", best).color(Color32::from_rgb(213, 94, 0)));
                plot.vline(VLine::new("one-SE rule", one_se).color(Color32::from_rgb(0, 158, 115)));
            });
        ui.horizontal(|ui| {
            ui.selectable_value(
                &mut self.path_one_se,
                false,
                format!("smallest error: α = {:.4}", path.path.alphas[path.best]),
            );
            ui.selectable_value(
                &mut self.path_one_se,
                true,
                format!("one-SE rule: α = {:.4}", path.path.alphas[path.one_se]),
            );
        });
        let a = if self.path_one_se { path.one_se } else { path.best };
        let kept = path.nonzero(a);
        ui.label(format!(
            "{} features with a non-zero coefficient (click a gene to colour every scatter by it):",
            kept.len()
        ));
        ui.horizontal_wrapped(|ui| {
            for (f, w) in kept.iter().take(200) {
                let name = &path.feature_names[*f];
                let gene = path.feature_genes.as_ref().and_then(|g| g.get(*f)).map(|&g| run.problem.genes[g].clone());
                let button = ui.add_enabled(gene.is_some(), egui::Button::new(format!("{name} {w:+.3}")).small());
                if button.clicked()
                    && let Some(gene) = gene
                {
                    commands.push(Command::ColourBy(Colouring::Gene(gene)));
                }
            }
        });
    }

    pub(super) fn curves_ui(&mut self, ui: &mut egui::Ui, state: &AppState) {
        let Some(model) = self.selected_model() else { return };
        ui.horizontal(|ui| {
            ui.label(format!("{}:", model.name()));
            match &self.learning_job {
                Some(job) => {
                    if super::super::job_progress_ui(ui, job) {
                        self.learning_job = None;
                    }
                }
                None => {
                    if ui
                        .button("Learning curve")
                        .on_hover_text("Training and test error against the number of training samples")
                        .clicked()
                    {
                        self.start_learning(state);
                    }
                }
            }
            for param in RegParam::of(&model) {
                match &self.curve_job {
                    Some(_) => {}
                    None => {
                        if ui.button(format!("Validation curve over {}", param.label())).clicked() {
                            self.start_curve(state, param);
                        }
                    }
                }
            }
            if let Some(job) = &self.curve_job
                && super::super::job_progress_ui(ui, job)
            {
                self.curve_job = None;
            }
        });
        let height = (ui.available_height() * 0.4).clamp(180.0, 360.0);
        if let Some(points) = self.learning.clone() {
            ui.label(
                RichText::new("A gap that stays: variance (more data helps). Both high: bias (a richer model helps).")
                    .weak(),
            );
            error_plot(ui, "regress_learning", "training samples", &points, false, height);
        }
        if let Some((param, points)) = self.curve.clone() {
            let values: Vec<f64> = points.iter().map(|p| p.value).collect();
            error_plot(
                ui,
                "regress_validation_curve",
                param.label(),
                &points,
                crate::export::plots::log_spaced(&values),
                height,
            );
        }
    }

    pub(super) fn losses_ui(&mut self, ui: &mut egui::Ui, run: &RegressRun, state: &AppState) {
        let problem = &run.problem;
        let lesson = self.lesson.lesson.get_or_insert_with(|| LossLesson::new(problem));
        ui.horizontal(|ui| {
            ui.label("Feature:");
            egui::ComboBox::from_id_salt("regress_loss_gene")
                .selected_text(problem.genes[lesson.gene].as_str())
                .show_ui(ui, |ui| {
                    for (g, name) in problem.genes.iter().enumerate().take(2000) {
                        ui.selectable_value(&mut lesson.gene, g, name);
                    }
                });
            let push = format!("Push the selected samples up by {} SD", LossLesson::PUSH_SD);
            if ui.button(push).clicked() {
                lesson.push(problem, |s| state.selection.samples.contains(&s));
            }
            if ui.button("Reset").clicked() {
                lesson.moved.clear();
            }
        });
        ui.label(RichText::new("Drag a point up or down to make it an outlier: the squared-loss line follows it, the absolute and Huber lines hold.").weak());
        let (x, y) = lesson.points(problem);
        if self.lesson.fits.as_ref().is_none_or(|(at, _)| at != &*lesson) {
            self.lesson.fits = Some((lesson.clone(), LossLesson::fits(&(x.clone(), y.clone()))));
        }
        let fits = self.lesson.fits.as_ref().map(|(_, f)| f.clone()).unwrap_or_default();
        let (lo, hi) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let height = (ui.available_height() * 0.6).clamp(220.0, 480.0);
        let response = Plot::new("regress_losses")
            .height(height)
            .legend(Legend::default())
            .allow_drag(false)
            .x_axis_label(problem.genes[lesson.gene].clone())
            .y_axis_label(problem.target.label())
            .show(ui, |plot| {
                let (moved, still): (Vec<usize>, Vec<usize>) = (0..x.len()).partition(|i| lesson.moved.contains_key(i));
                plot.points(
                    Points::new("samples", PlotPoints::from(still.iter().map(|&i| [x[i], y[i]]).collect::<Vec<_>>()))
                        .radius(2.5)
                        .color(Color32::from_gray(140)),
                );
                plot.points(
                    Points::new("outliers", PlotPoints::from(moved.iter().map(|&i| [x[i], y[i]]).collect::<Vec<_>>()))
                        .radius(3.5)
                        .color(Color32::from_rgb(213, 94, 0)),
                );
                for (loss, fit) in &fits {
                    if let Some(fit) = fit {
                        let w = fit.coefficients[0];
                        let ends = vec![[lo, fit.intercept + w * lo], [hi, fit.intercept + w * hi]];
                        plot.line(Line::new(loss.label(), PlotPoints::from(ends)).width(2.0));
                    }
                }
            });
        let t = &response.transform;
        let r = &response.response;
        self.lesson_points =
            x.iter().zip(&y).map(|(&a, &b)| t.position_from_point(&egui_plot::PlotPoint::new(a, b))).collect();
        // A drag starts once the pointer has moved a little: find the point where it was pressed.
        if r.drag_started()
            && let Some(pos) = ui.input(|i| i.pointer.press_origin())
        {
            self.lesson.dragging = nearest(&x, &y, t, pos, 12.0);
        }
        if let (Some(i), Some(pos)) = (self.lesson.dragging, r.interact_pointer_pos())
            && r.dragged()
        {
            let value = t.value_from_position(pos).y;
            lesson.moved.insert(i, value - problem.y[i]);
        }
        if r.drag_stopped() {
            self.lesson.dragging = None;
        }
        for (loss, fit) in &fits {
            if let Some(fit) = fit {
                ui.label(format!("{}: slope {:.4}, intercept {:.4}", loss.label(), fit.coefficients[0], fit.intercept));
            }
        }
    }
}

/// The index of the point nearest `pos` on screen within `radius` pixels.
fn nearest(x: &[f64], y: &[f64], t: &egui_plot::PlotTransform, pos: egui::Pos2, radius: f32) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for i in 0..x.len() {
        let p = t.position_from_point(&egui_plot::PlotPoint::new(x[i], y[i]));
        let d = p.distance(pos);
        if d <= radius && best.is_none_or(|(_, b)| d < b) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

/// A scatter whose points select their samples when clicked; returns the command and where
/// each point was drawn.
#[allow(clippy::too_many_arguments)]
fn clickable_scatter(
    ui: &mut egui::Ui,
    id: &str,
    points: &[[f64; 2]],
    tested: &[(usize, f64, f64)],
    state: &AppState,
    height: f32,
    x_label: &str,
    y_label: &str,
    extra: impl FnOnce(&mut egui_plot::PlotUi<'_>),
) -> (Option<Command>, Vec<egui::Pos2>) {
    let selected: Vec<[f64; 2]> = tested
        .iter()
        .zip(points)
        .filter(|((s, _, _), _)| state.selection.samples.contains(s))
        .map(|(_, p)| *p)
        .collect();
    let response = Plot::new(id).height(height).x_axis_label(x_label).y_axis_label(y_label).show(ui, |plot| {
        extra(plot);
        plot.points(Points::new("samples", PlotPoints::from(points.to_vec())).radius(2.5));
        if !selected.is_empty() {
            plot.points(
                Points::new("selected", PlotPoints::from(selected)).radius(4.0).color(Color32::from_rgb(230, 159, 0)),
            );
        }
    });
    let screen =
        points.iter().map(|p| response.transform.position_from_point(&egui_plot::PlotPoint::new(p[0], p[1]))).collect();
    let clicked = response.response.clicked().then(|| response.response.interact_pointer_pos()).flatten();
    let Some(pos) = clicked else { return (None, screen) };
    let xs: Vec<f64> = points.iter().map(|p| p[0]).collect();
    let ys: Vec<f64> = points.iter().map(|p| p[1]).collect();
    let command = nearest(&xs, &ys, &response.transform, pos, 10.0).map(|i| {
        let mode = SelectionMode::from_modifiers(ui.input(|inp| inp.modifiers));
        Command::Select { samples: vec![tested[i].0], mode }
    });
    (command, screen)
}

/// Training and test error (RMSE, mean ± SD) against `x`.
fn error_plot(ui: &mut egui::Ui, id: &str, x_label: &str, points: &[CurvePoint], log_x: bool, height: f32) {
    let tx = |v: f64| if log_x { v.log10() } else { v };
    let x_label = if log_x { format!("log10 {x_label}") } else { x_label.to_owned() };
    Plot::new(id).height(height).legend(Legend::default()).x_axis_label(x_label).y_axis_label("RMSE (mean ± SD)").show(
        ui,
        |plot| {
            for (name, pick, colour) in [
                ("training", true, Color32::from_rgb(0, 114, 178)),
                ("validation (test folds)", false, Color32::from_rgb(230, 159, 0)),
            ] {
                let at = |p: &CurvePoint| if pick { p.train_rmse } else { p.test_rmse };
                let line: Vec<[f64; 2]> = points.iter().map(|p| [tx(p.value), at(p).0]).collect();
                plot.line(Line::new(name, PlotPoints::from(line)).width(2.0).color(colour));
                for sign in [1.0, -1.0] {
                    let band: Vec<[f64; 2]> = points.iter().map(|p| [tx(p.value), at(p).0 + sign * at(p).1]).collect();
                    plot.line(
                        Line::new(name, PlotPoints::from(band))
                            .color(colour.gamma_multiply(0.6))
                            .style(egui_plot::LineStyle::dashed_dense()),
                    );
                }
            }
        },
    );
}

/// Gene coefficients, largest |w| first; clicking colours every scatter by the gene.
fn gene_list_ui(ui: &mut egui::Ui, id: &str, fit: &LinearFit, genes: &[String], commands: &mut Vec<Command>) {
    let mut order: Vec<usize> = (0..fit.coefficients.len()).filter(|&g| fit.coefficients[g] != 0.0).collect();
    order.sort_by(|&a, &b| fit.coefficients[b].abs().total_cmp(&fit.coefficients[a].abs()));
    ui.label(format!(
        "Fitted on all samples: intercept {:.4}, {} non-zero coefficients. Click a gene to colour every scatter by it.",
        fit.intercept,
        order.len()
    ));
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        for &g in order.iter().take(300) {
            if ui.link(&genes[g]).clicked() {
                commands.push(Command::ColourBy(Colouring::Gene(genes[g].clone())));
            }
            ui.label(format!("{:+.5}", fit.coefficients[g]));
            ui.end_row();
        }
    });
}
