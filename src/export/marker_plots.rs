//! The figures of marker genes — dot plot, matrix plot, stacked violins, heatmap (scanpy's
//! `rank_genes_groups_dotplot` and its siblings) — and the volcano plot of a two-set
//! comparison. Groups are rows (in dendrogram order, with the dendrogram drawn on the right when
//! there is one), genes are columns under a bracket naming the group they mark. The app's
//! *Markers* view shows exactly these figures, and `biolens plot` writes them.

use super::figure::{Anchor, Axis, Figure, Legend, Mark, Raster, Segment};
use crate::palette::{self, Rgb};
use crate::recipes::markers::{MarkerPlot, MarkerPlotData};

const INK: Rgb = [34, 34, 34];
const GREY: Rgb = [170, 170, 170];

/// The colour value of every cell (`[row][column]`): each column scaled to 0–1 over the rows
/// when `scale_per_gene`, the means as they are otherwise; and the range they span.
pub fn colour_values(data: &MarkerPlotData, scale_per_gene: bool) -> (Vec<Vec<f64>>, (f64, f64)) {
    let rows = data.mean.len();
    let cols = data.columns.len();
    let mut values = data.mean.clone();
    if scale_per_gene {
        for k in 0..cols {
            let lo = (0..rows).map(|r| data.mean[r][k]).fold(f64::INFINITY, f64::min);
            let hi = (0..rows).map(|r| data.mean[r][k]).fold(f64::NEG_INFINITY, f64::max);
            for row in &mut values {
                row[k] = if hi > lo { (row[k] - lo) / (hi - lo) } else { 0.0 };
            }
        }
        return (values, (0.0, 1.0));
    }
    let lo = values.iter().flatten().copied().filter(|v| v.is_finite()).fold(f64::INFINITY, f64::min);
    let hi = values.iter().flatten().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let range = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else if lo.is_finite() {
        (lo, lo + 1.0)
    } else {
        (0.0, 1.0)
    };
    (values, range)
}

/// The largest fraction a dot stands for, as scanpy: the largest fraction shown rounded up to
/// a tenth.
pub fn dot_max(data: &MarkerPlotData) -> f64 {
    let top = data.fraction.iter().flatten().copied().fold(0.0, f64::max);
    ((top * 10.0).ceil() / 10.0).max(0.1)
}

/// A dot's size (0–1 of the largest) for `fraction`: its area grows as (fraction / max)^1.5,
/// scanpy's `size_exponent`.
pub fn dot_size(fraction: f64, max: f64) -> f64 {
    (fraction / max).clamp(0.0, 1.0).powf(0.75)
}

fn bar(label: &str, range: (f64, f64), colour: fn(f64) -> Rgb) -> Legend {
    let colours = (0..64u32).map(|k| colour((f64::from(k) + 0.5) / 64.0)).collect();
    Legend::ColourBar { label: label.to_owned(), min: range.0, max: range.1, colours }
}

/// The figure of `kind` for `data`.
pub fn marker_figure(data: &MarkerPlotData, kind: MarkerPlot, scale_per_gene: bool, title: &str) -> Figure {
    let rows = data.row_names.len();
    let cols = data.columns.len();
    let (values, range) = colour_values(data, scale_per_gene);
    let value_label = if scale_per_gene { "Mean in group (scaled per gene)" } else { "Mean expression in group" };
    let mut legends = Vec::new();
    let mut x_start = 0.0;
    let mut marks = match kind {
        MarkerPlot::Dotplot => {
            let (marks, sizes) = dot_marks(data, &values, range);
            legends.push(bar(value_label, range, palette::reds));
            legends.push(sizes);
            marks
        }
        MarkerPlot::Matrixplot => {
            legends.push(bar(value_label, range, palette::viridis));
            matrix_marks(&values, range)
        }
        MarkerPlot::Violin => {
            legends.push(bar(value_label, range, palette::blues));
            violin_marks(data, &values, range)
        }
        MarkerPlot::Heatmap => {
            let (marks, legend) = heatmap_marks(data, scale_per_gene);
            legends.push(legend);
            x_start = -0.7;
            marks
        }
    };
    let mut segments = brackets(data, &mut marks);
    // The dendrogram right of the columns: leaves at the rows, merges further right.
    let mut x_end = cols as f64;
    if let Some(tree) = &data.tree {
        let width = (cols as f64 * 0.15).clamp(1.0, 4.0);
        let x0 = cols as f64 + 0.2;
        let top = tree.merges.iter().map(|m| m.height).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
        let y = tree.node_x(&tree.leaf_order());
        let mut height = vec![0.0; tree.n + tree.merges.len()];
        for (k, m) in tree.merges.iter().enumerate() {
            height[tree.n + k] = m.height;
            let hx = x0 + m.height / top * width;
            for child in [m.left, m.right] {
                segments.push(((x0 + height[child] / top * width, y[child]), (hx, y[child]), INK));
            }
            segments.push(((hx, y[m.left]), (hx, y[m.right]), INK));
        }
        x_end = x0 + width + 0.1;
    }
    marks.push(Mark::Segments(segments));
    let mut x = Axis::categories("", data.genes.clone());
    x.range = Some((x_start, x_end));
    let mut y = Axis::categories(data.groupby.clone(), data.row_names.clone());
    y.range = Some((-1.0, rows as f64));
    Figure { title: title.to_owned(), x, y, marks, legends, frame: false }
}

fn unit(v: f64, range: (f64, f64)) -> f64 {
    (v - range.0) / (range.1 - range.0)
}

/// Dots sized by the fraction expressing and coloured by the mean; the size legend.
fn dot_marks(data: &MarkerPlotData, values: &[Vec<f64>], range: (f64, f64)) -> (Vec<Mark>, Legend) {
    let max = dot_max(data);
    let mut dots = Vec::new();
    for (r, (fractions, colours)) in data.fraction.iter().zip(values).enumerate() {
        for (k, (&f, &v)) in fractions.iter().zip(colours).enumerate() {
            dots.push((k as f64 + 0.5, r as f64 + 0.5, dot_size(f, max), palette::reds(unit(v, range))));
        }
    }
    let step = if max > 0.5 { 0.2 } else { 0.1 };
    let steps = (max / step + 1e-9).floor() as u32;
    let entries =
        (1..=steps).map(|k| f64::from(k) * step).map(|f| (format!("{:.0}", f * 100.0), dot_size(f, max))).collect();
    (vec![Mark::Dots(dots)], Legend::sizes("Fraction of cells in group (%)", entries))
}

/// A cell per group and gene, coloured by the mean.
fn matrix_marks(values: &[Vec<f64>], range: (f64, f64)) -> Vec<Mark> {
    let mut rects = Vec::new();
    for (r, row) in values.iter().enumerate() {
        for (k, &v) in row.iter().enumerate() {
            let (x, y) = (k as f64, r as f64);
            rects.push((x, y, x + 1.0, y + 1.0, palette::viridis(unit(v, range))));
        }
    }
    vec![Mark::Rects(rects)]
}

/// A violin per group and gene (values up the cell, over the gene's range in every group;
/// widths scaled to the cell), filled by the mean.
fn violin_marks(data: &MarkerPlotData, values: &[Vec<f64>], range: (f64, f64)) -> Vec<Mark> {
    let mut marks = Vec::new();
    for (r, (violins, colours)) in data.violins.iter().zip(values).enumerate() {
        for (k, (violin, &v)) in violins.iter().zip(colours).enumerate() {
            let Some(d) = violin else { continue };
            let (lo, hi) = data.column_range[k];
            let span = if hi > lo { hi - lo } else { 1.0 };
            let y = |v: f64| r as f64 + 0.95 - 0.9 * (v - lo) / span;
            let centre = k as f64 + 0.5;
            let every = (d.values.len() / 60).max(1);
            let mut side: Vec<(f64, f64)> = d
                .values
                .iter()
                .enumerate()
                .filter(|(i, _)| i % every == 0 || *i == d.values.len() - 1)
                .map(|(i, &w)| (0.45 * w, y(d.start + d.step * i as f64)))
                .collect();
            side.dedup();
            let mut points: Vec<(f64, f64)> = side.iter().map(|&(w, y)| (centre + w, y)).collect();
            points.extend(side.iter().rev().map(|&(w, y)| (centre - w, y)));
            marks.push(Mark::Polygon { points, fill: palette::blues(unit(v, range)) });
        }
    }
    marks
}

/// Every group's band of cells × genes as a raster (viridis), the groups' colours in a strip
/// on the left; the colour bar.
fn heatmap_marks(data: &MarkerPlotData, scale_per_gene: bool) -> (Vec<Mark>, Legend) {
    let rows = data.row_names.len();
    let cols = data.columns.len();
    let lines = data.heatmap.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let span = |k: Option<usize>| {
        data.heatmap
            .iter()
            .flatten()
            .flat_map(|l| l.iter().enumerate().filter(move |(j, _)| k.is_none_or(|k| k == *j)).map(|(_, &v)| v))
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)))
    };
    let all = span(None);
    let per_column: Vec<(f64, f64)> = (0..cols).map(|k| if scale_per_gene { span(Some(k)) } else { all }).collect();
    let mut rgba = Vec::with_capacity(cols * rows * lines * 4);
    for band in &data.heatmap {
        for line in 0..lines {
            let source = if band.is_empty() { None } else { band.get(line * band.len() / lines) };
            for (k, &(a, b)) in per_column.iter().enumerate() {
                let c = source
                    .map_or(palette::MISSING, |l| palette::viridis(if b > a { (l[k] - a) / (b - a) } else { 0.0 }));
                rgba.extend_from_slice(&[c[0], c[1], c[2], 255]);
            }
        }
    }
    let marks = vec![
        Mark::Raster(Raster {
            width: cols as u32,
            height: (rows * lines) as u32,
            rgba,
            x: (0.0, cols as f64),
            y: (0.0, rows as f64),
        }),
        // The groups' colours in a strip left of the cells.
        Mark::Rects(
            (0..rows).map(|r| (-0.6, r as f64, -0.1, r as f64 + 1.0, palette::categorical(data.rows[r]))).collect(),
        ),
    ];
    let (label, range) = if scale_per_gene {
        ("Expression (scaled per gene)", (0.0, 1.0))
    } else {
        ("Expression", if all.1 > all.0 { all } else { (0.0, 1.0) })
    };
    (marks, bar(label, range, palette::viridis))
}

/// Brackets over the columns naming the group whose markers they are (names as text marks).
fn brackets(data: &MarkerPlotData, marks: &mut Vec<Mark>) -> Vec<Segment> {
    let mut segments = Vec::new();
    for (name, a, b) in &data.brackets {
        let (x0, x1) = (*a as f64 + 0.15, *b as f64 - 0.15);
        segments.push(((x0, -0.2), (x1, -0.2), INK));
        segments.push(((x0, -0.2), (x0, -0.05), INK));
        segments.push(((x1, -0.2), (x1, -0.05), INK));
        marks.push(Mark::FittedText {
            at: (f64::midpoint(x0, x1), -0.6),
            text: name.clone(),
            width: (b - a) as f64 - 0.1,
            colour: INK,
        });
    }
    segments
}

/// The volcano plot's point of every gene: (log2 fold change, −log10 adjusted p), the p-value
/// floored at 1e-300 so that a p of 0 stays on the plot.
pub fn volcano_points(logfoldchanges: &[f64], pvals_adj: &[f64]) -> Vec<(f64, f64)> {
    logfoldchanges.iter().zip(pvals_adj).map(|(&l, &p)| (l, -(p.max(1e-300)).log10())).collect()
}

/// Thresholds of a volcano plot: adjusted p and |log2 fold change|.
pub const VOLCANO_ALPHA: f64 = 0.05;
/// The fold-change threshold (2×).
pub const VOLCANO_LFC: f64 = 1.0;

/// A volcano plot: grey genes, red those up and blue those down past both thresholds, the
/// `label` most significant named, `chosen` (a gene index) outlined.
pub fn volcano(
    title: &str,
    genes: &[String],
    logfoldchanges: &[f64],
    pvals_adj: &[f64],
    label: usize,
    chosen: Option<usize>,
) -> Figure {
    let points = volcano_points(logfoldchanges, pvals_adj);
    let up = palette::OKABE_ITO[5];
    let down = palette::OKABE_ITO[4];
    let colour = |j: usize| {
        let (l, p) = (logfoldchanges[j], pvals_adj[j]);
        if p < VOLCANO_ALPHA && l >= VOLCANO_LFC {
            up
        } else if p < VOLCANO_ALPHA && l <= -VOLCANO_LFC {
            down
        } else {
            GREY
        }
    };
    // Grey first so that the called genes are drawn over them.
    let mut order: Vec<usize> = (0..points.len()).filter(|&j| points[j].0.is_finite()).collect();
    order.sort_by_key(|&j| colour(j) != GREY);
    let drawn: Vec<(f64, f64, Rgb)> = order.iter().map(|&j| (points[j].0, points[j].1, colour(j))).collect();
    let highlighted = chosen.and_then(|c| order.iter().position(|&j| j == c)).into_iter().collect();
    let mut marks = vec![
        Mark::Rule { value: -(VOLCANO_ALPHA.log10()), horizontal: true, colour: GREY, dashed: true },
        Mark::Rule { value: VOLCANO_LFC, horizontal: false, colour: GREY, dashed: true },
        Mark::Rule { value: -VOLCANO_LFC, horizontal: false, colour: GREY, dashed: true },
        Mark::Points { points: drawn, highlighted },
    ];
    let mut top: Vec<usize> = order.iter().copied().filter(|&j| colour(j) != GREY).collect();
    top.sort_by(|&a, &b| points[b].1.total_cmp(&points[a].1).then(a.cmp(&b)));
    let widest = order.iter().map(|&j| points[j].0.abs()).fold(0.0, f64::max);
    for &j in top.iter().take(label) {
        // Names point inwards near the edges, so they stay on the plot.
        let x = points[j].0;
        let inward = x.abs() > 0.6 * widest;
        let anchor = if (x < 0.0) == inward { Anchor::Start } else { Anchor::End };
        marks.push(Mark::Text { at: points[j], text: format!(" {} ", genes[j]), colour: INK, anchor });
    }
    let count = |c: Rgb| order.iter().filter(|&&j| colour(j) == c).count();
    Figure {
        title: title.to_owned(),
        x: Axis::linear("log2 fold change"),
        y: Axis::linear("−log10 adjusted p"),
        marks,
        legends: vec![Legend::Classes(vec![
            (format!("up ({})", count(up)), up),
            (format!("down ({})", count(down)), down),
            ("not called".to_owned(), GREY),
        ])],
        frame: true,
    }
}
