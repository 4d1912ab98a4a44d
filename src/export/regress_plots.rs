//! The figures of regression: predicted against true, residuals against predicted, the
//! regularisation path (coefficients against log α) and its CV error curve, and the learning
//! curve, as `biolens plot` and `biolens run` write them. No egui.

use super::figure::{Anchor, Axis, Figure, Legend, Mark};
use crate::analysis::regress::validation::{CurvePoint, RegPath};
use crate::palette::{self, Rgb};

const GREY: Rgb = [110, 110, 110];
const BLUE: Rgb = palette::OKABE_ITO[4];
const ORANGE: Rgb = palette::OKABE_ITO[0];
const VERMILLION: Rgb = palette::OKABE_ITO[5];
const GREEN: Rgb = palette::OKABE_ITO[2];

/// Points coloured `colours` (one per point, or all blue when empty).
fn points(xy: impl Iterator<Item = (f64, f64)>, colours: &[Rgb], highlighted: &[usize]) -> Mark {
    Mark::Points {
        points: xy.enumerate().map(|(i, (x, y))| (x, y, colours.get(i).copied().unwrap_or(BLUE))).collect(),
        highlighted: highlighted.to_vec(),
    }
}

/// The range of finite values, padded 5 %.
fn padded(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    (lo - pad, hi + pad)
}

/// Test predictions against the truth, with the identity line; `colours` per point (empty:
/// one colour), `highlighted` (the selection) outlined.
pub fn predicted_vs_true(
    title: &str,
    target: &str,
    truth: &[f64],
    predicted: &[f64],
    colours: &[Rgb],
    highlighted: &[usize],
) -> Figure {
    let range = padded(truth.iter().chain(predicted).copied());
    let diagonal =
        Mark::Line { points: vec![(range.0, range.0), (range.1, range.1)], colour: GREY, dashed: true, dots: false };
    Figure {
        title: title.to_owned(),
        x: Axis::linear_over(format!("true {target}"), range),
        y: Axis::linear_over(format!("predicted {target}"), range),
        marks: vec![diagonal, points(truth.iter().copied().zip(predicted.iter().copied()), colours, highlighted)],
        legends: Vec::new(),
        frame: true,
    }
}

/// Residuals (true − predicted) against the prediction, with the zero line.
pub fn residuals(
    title: &str,
    target: &str,
    truth: &[f64],
    predicted: &[f64],
    colours: &[Rgb],
    highlighted: &[usize],
) -> Figure {
    let residual = truth.iter().zip(predicted).map(|(t, p)| t - p);
    Figure {
        title: title.to_owned(),
        x: Axis::linear(format!("predicted {target}")),
        y: Axis::linear("residual (true − predicted)"),
        marks: vec![
            Mark::Rule { value: 0.0, horizontal: true, colour: GREY, dashed: true },
            points(predicted.iter().copied().zip(residual), colours, highlighted),
        ],
        legends: Vec::new(),
        frame: true,
    }
}

/// Vertical rules at the two chosen α values, labelled.
fn alpha_rules(path: &RegPath, top: f64) -> Vec<Mark> {
    let best = path.path.alphas[path.best].log10();
    let one_se = path.path.alphas[path.one_se].log10();
    let mut marks = vec![
        Mark::Rule { value: best, horizontal: false, colour: VERMILLION, dashed: true },
        Mark::Text { at: (best, top), text: "min".into(), colour: VERMILLION, anchor: Anchor::Start },
    ];
    if path.one_se != path.best {
        marks.push(Mark::Rule { value: one_se, horizontal: false, colour: GREEN, dashed: true });
        marks.push(Mark::Text { at: (one_se, top), text: "1 SE".into(), colour: GREEN, anchor: Anchor::End });
    }
    marks
}

/// Most coefficient lines drawn (the largest at the smallest α).
pub const PATH_LINES: usize = 300;

/// The regularisation path: each feature's coefficient against log₁₀ α (largest α right, as
/// glmnet draws it: the penalty weakens to the left), the α of the smallest CV error and of
/// the one-SE rule marked, the features largest at the one-SE α named.
pub fn path(title: &str, path: &RegPath) -> Figure {
    let log_alpha: Vec<f64> = path.path.alphas.iter().map(|a| a.log10()).collect();
    let order = path.drawn(PATH_LINES);
    let top = path.path.coefficients.iter().flatten().copied().fold(0.0f64, f64::max);
    let mut marks = alpha_rules(path, top);
    marks.push(Mark::Rule { value: 0.0, horizontal: true, colour: GREY, dashed: false });
    let named: Vec<usize> = path.nonzero(path.one_se).into_iter().take(8).map(|(i, _)| i).collect();
    for (k, &f) in order.iter().enumerate() {
        let colour = palette::OKABE_ITO[k % palette::OKABE_ITO.len()];
        let points = log_alpha.iter().zip(&path.path.coefficients).map(|(&a, c)| (a, c[f])).collect();
        marks.push(Mark::Line { points, colour, dashed: false, dots: false });
    }
    for &f in &named {
        let at = (log_alpha[path.one_se], path.path.coefficients[path.one_se][f]);
        marks.push(Mark::Text { at, text: path.feature_names[f].clone(), colour: GREY, anchor: Anchor::Start });
    }
    Figure {
        title: title.to_owned(),
        x: Axis::linear("log10 α"),
        y: Axis::linear("coefficient"),
        marks,
        legends: vec![Legend::Lines(vec![
            (format!("smallest CV error (α = {})", short(path.path.alphas[path.best])), VERMILLION),
            (format!("one-SE rule (α = {})", short(path.path.alphas[path.one_se])), GREEN),
        ])],
        frame: true,
    }
}

fn faded(c: Rgb) -> Rgb {
    c.map(|v| (f64::from(v) + 0.75 * (255.0 - f64::from(v))).round() as u8)
}

/// A number in 4 significant digits.
fn short(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        format!("{v:.3e}")
    } else {
        format!("{}", (v * 1e4).round() / 1e4)
    }
}

/// The path's cross-validated mean squared error against log₁₀ α, ± one standard error, with
/// the two chosen α marked.
pub fn path_cv(title: &str, path: &RegPath) -> Figure {
    let log_alpha: Vec<f64> = path.path.alphas.iter().map(|a| a.log10()).collect();
    let mean: Vec<(f64, f64)> = log_alpha.iter().zip(&path.cv_mse).map(|(&a, &(m, _))| (a, m)).collect();
    let bars = log_alpha
        .iter()
        .zip(&path.cv_mse)
        .map(|(&a, &(m, se))| ((a, m - se), (a, m + se), faded(VERMILLION)))
        .collect();
    let top = path.cv_mse.iter().map(|(m, se)| m + se).fold(f64::NEG_INFINITY, f64::max);
    let mut marks = vec![Mark::Segments(bars)];
    marks.push(Mark::Line { points: mean, colour: VERMILLION, dashed: false, dots: true });
    marks.extend(alpha_rules(path, top));
    Figure {
        title: title.to_owned(),
        x: Axis::linear("log10 α"),
        y: Axis::linear("CV mean squared error (± 1 SE)"),
        marks,
        legends: Vec::new(),
        frame: true,
    }
}

/// The learning curve: training and test error against the number of training samples, mean ±
/// SD over the splits; RMSE, or R² when `r2`.
pub fn learning_curve(title: &str, curve: &[CurvePoint], r2: bool) -> Figure {
    let pick = |train: bool| -> Vec<(f64, f64, f64)> {
        curve
            .iter()
            .map(|p| {
                let (m, sd) = match (train, r2) {
                    (true, false) => p.train_rmse,
                    (false, false) => p.test_rmse,
                    (true, true) => p.train_r2,
                    (false, true) => p.test_r2,
                };
                (p.value, m, sd)
            })
            .collect()
    };
    let mut marks = Vec::new();
    let mut legend = Vec::new();
    for (name, train, colour) in [("training", true, BLUE), ("validation (test folds)", false, ORANGE)] {
        let values = pick(train);
        marks
            .push(Mark::Segments(values.iter().map(|&(x, m, sd)| ((x, m - sd), (x, m + sd), faded(colour))).collect()));
        marks.push(Mark::Line {
            points: values.iter().map(|&(x, m, _)| (x, m)).collect(),
            colour,
            dashed: false,
            dots: true,
        });
        legend.push((name.to_owned(), colour));
    }
    Figure {
        title: title.to_owned(),
        x: Axis::linear("training samples"),
        y: Axis::linear(if r2 { "R² (mean ± SD over folds)" } else { "RMSE (mean ± SD over folds)" }),
        marks,
        legends: vec![Legend::Lines(legend)],
        frame: true,
    }
}
