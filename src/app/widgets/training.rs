//! A network's training, drawn: loss and accuracy per epoch (training against validation, the
//! gap the overfitting lesson is about) and a picture of a small network whose lines follow its
//! weights.

use eframe::egui;
use egui::{Color32, Pos2, Stroke};
use egui_plot::{Corner, Legend, Line, Plot, PlotPoints};

use crate::analysis::nn::{EpochRecord, NetworkSnapshot};

/// Colours of the training and validation curves (Okabe–Ito blue and vermillion).
const TRAIN: Color32 = Color32::from_rgb(0, 114, 178);
const VALIDATION: Color32 = Color32::from_rgb(213, 94, 0);

/// Loss and accuracy curves of `runs` (one per fold; the last drawn strong, the earlier ones
/// faint), side by side, each `height` tall; the x axis spans `planned_epochs`.
pub fn curves_ui(ui: &mut egui::Ui, id: &str, runs: &[Vec<EpochRecord>], planned_epochs: usize, height: f32) {
    let width = (ui.available_width() / 2.0 - ui.spacing().item_spacing.x).max(120.0);
    ui.horizontal(|ui| {
        let size = [width, height];
        curve_plot(
            ui,
            &format!("{id}_loss"),
            "cross-entropy loss",
            runs,
            planned_epochs,
            size,
            Corner::RightTop,
            |r| (Some(r.train_loss), r.val_loss),
        );
        curve_plot(ui, &format!("{id}_accuracy"), "accuracy", runs, planned_epochs, size, Corner::RightBottom, |r| {
            (Some(r.train_accuracy), r.val_accuracy)
        });
    });
}

#[allow(clippy::too_many_arguments)] // one plot's layout, all needed
fn curve_plot(
    ui: &mut egui::Ui,
    id: &str,
    y_label: &str,
    runs: &[Vec<EpochRecord>],
    planned_epochs: usize,
    size: [f32; 2],
    legend: Corner,
    value: impl Fn(&EpochRecord) -> (Option<f64>, Option<f64>),
) {
    let last = runs.len().saturating_sub(1);
    Plot::new(id.to_owned())
        .width(size[0])
        .height(size[1])
        .legend(Legend::default().position(legend))
        .x_axis_label("epoch")
        .y_axis_label(y_label.to_owned())
        .include_x(0.0)
        .include_x(planned_epochs.max(1) as f64)
        .include_y(0.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            for (i, run) in runs.iter().enumerate() {
                let faint = i != last;
                let points = |pick: usize| -> Vec<[f64; 2]> {
                    run.iter()
                        .filter_map(|r| {
                            let (t, v) = value(r);
                            [t, v][pick].map(|y| [r.epoch as f64, y])
                        })
                        .collect()
                };
                for (pick, (name, colour)) in [("training", TRAIN), ("validation", VALIDATION)].into_iter().enumerate()
                {
                    let pts = points(pick);
                    if pts.is_empty() {
                        continue;
                    }
                    let line = Line::new(
                        if faint { format!("{name} (earlier folds)") } else { name.to_owned() },
                        PlotPoints::from(pts),
                    );
                    plot.line(if faint {
                        line.color(colour.gamma_multiply(0.25)).width(1.0)
                    } else {
                        line.color(colour).width(2.5)
                    });
                }
            }
        });
}

/// The network as columns of units joined by its weights (width: |w|, colour: sign: blue
/// positive, red negative), in a box `height` tall. Inputs beyond 24 are summarised.
pub fn network_ui(ui: &mut egui::Ui, net: &NetworkSnapshot, height: f32) {
    const MAX_UNITS: usize = 24;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), height), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let layers = net.sizes.len();
    if layers < 2 {
        return;
    }
    let shown: Vec<usize> = net.sizes.iter().map(|&s| s.min(MAX_UNITS)).collect();
    let x = |l: usize| rect.left() + rect.width() * (0.08 + 0.84 * l as f32 / (layers - 1) as f32);
    let body = rect.height() - 18.0;
    let y = |l: usize, u: usize| rect.top() + body * (u as f32 + 0.5) / shown[l] as f32;
    let max_w = net.weights.iter().flatten().fold(0f32, |m, w| m.max(w.abs())).max(1e-6);
    for (l, w) in net.weights.iter().enumerate() {
        let fan_out = net.sizes[l + 1];
        for i in 0..shown[l] {
            for j in 0..shown[l + 1] {
                let v = w.get(i * fan_out + j).copied().unwrap_or(0.0);
                let strength = v.abs() / max_w;
                if strength < 0.05 {
                    continue;
                }
                let colour = if v >= 0.0 { TRAIN } else { VALIDATION };
                painter.line_segment(
                    [Pos2::new(x(l), y(l, i)), Pos2::new(x(l + 1), y(l + 1, j))],
                    Stroke::new(0.3 + 3.0 * strength, colour.gamma_multiply(0.2 + 0.8 * strength)),
                );
            }
        }
    }
    let radius = (body / (2.5 * *shown.iter().max().unwrap_or(&1) as f32)).clamp(2.0, 9.0);
    let text = ui.visuals().text_color();
    for (l, &units) in shown.iter().enumerate() {
        for u in 0..units {
            painter.circle(Pos2::new(x(l), y(l, u)), radius, ui.visuals().extreme_bg_color, Stroke::new(1.0, text));
        }
        let label = match l {
            0 => format!("{} inputs", net.sizes[0]),
            l if l == layers - 1 => format!("{} classes", net.sizes[l]),
            l => format!("{} units", net.sizes[l]),
        };
        painter.text(
            Pos2::new(x(l), rect.bottom()),
            egui::Align2::CENTER_BOTTOM,
            label,
            egui::TextStyle::Small.resolve(ui.style()),
            text,
        );
    }
}

/// An autoencoder's reconstruction error per epoch: on the samples it trains on, on the
/// held-out part, and the KL term of a variational one; `height` tall, the x axis spanning
/// `planned_epochs`.
pub fn reconstruction_ui(
    ui: &mut egui::Ui,
    id: &str,
    history: &[crate::analysis::nn::autoencoder::AutoencoderEpoch],
    planned_epochs: usize,
    height: f32,
) {
    type Pick = fn(&crate::analysis::nn::autoencoder::AutoencoderEpoch) -> Option<f64>;
    let series: [(&str, Color32, Pick); 3] = [
        ("training", TRAIN, |r| Some(r.train_loss)),
        ("held out", VALIDATION, |r| r.val_loss),
        ("KL term", Color32::GRAY, |r| r.kl),
    ];
    Plot::new(id.to_owned())
        .width(ui.available_width())
        .height(height)
        .legend(Legend::default().position(Corner::RightTop))
        .x_axis_label("epoch")
        .y_axis_label("mean squared error")
        .include_x(0.0)
        .include_x(planned_epochs.max(1) as f64)
        .include_y(0.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            for (name, colour, pick) in series {
                let pts: Vec<[f64; 2]> = history.iter().filter_map(|r| pick(r).map(|v| [r.epoch as f64, v])).collect();
                if !pts.is_empty() {
                    plot.line(Line::new(name, PlotPoints::from(pts)).color(colour).width(2.0));
                }
            }
        });
}
