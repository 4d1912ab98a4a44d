//! The figure of every plot view, built from analysis results and the view's display choices:
//! the app's *Export figure…*, `biolens plot` and `biolens run` call the same builders, so a
//! figure made headless equals the one exported from the window. No egui.

use ndarray::Array2;

use super::figure::{Anchor, Axis, Figure, Legend, Mark, Raster, Segment};
use crate::analysis::classify::validation::RocCurve;

/// A named line of a chart: (name, points, colour).
pub type Series<'a> = (&'a str, Vec<(f64, f64)>, Rgb);
use super::heatmap::{ColourScale, Window, rasterise};
use crate::analysis::clustering::hierarchical::Tree;
use crate::data::annotations::{Annotation, AnnotationValues};
use crate::palette::{self, Rgb};

const GREY: Rgb = [110, 110, 110];
const BLUE: Rgb = palette::OKABE_ITO[4];
const ORANGE: Rgb = palette::OKABE_ITO[0];
const VERMILLION: Rgb = palette::OKABE_ITO[5];

/// An annotation shown as a strip of colours beside a matrix or under a dendrogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Strip {
    /// The annotation's name.
    pub name: String,
    /// The colour of every item (sample), by index.
    pub colours: Vec<Rgb>,
    /// Its classes and colours, for the legend.
    pub legend: Vec<(String, Rgb)>,
}

impl Strip {
    fn legends(strip: Option<&Self>) -> Vec<Legend> {
        strip.map_or_else(Vec::new, |s| vec![Legend::Heading(s.name.clone()), Legend::Classes(s.legend.clone())])
    }
}

/// Colours of every sample (light background) and the legend for an annotation: classes in
/// their level order, measurements on viridis, missing values grey.
pub fn annotation_colours(a: &Annotation) -> (Vec<palette::Rgb>, Legend) {
    annotation_colours_on(a, false)
}

/// [`annotation_colours`] for a light or dark background: the one rule every view, strip and
/// figure colours an annotation by.
pub fn annotation_colours_on(a: &Annotation, dark: bool) -> (Vec<palette::Rgb>, Legend) {
    annotation_colours_with(a, dark, None)
}

/// [`annotation_colours_on`], with the colours a file gave the levels (scanpy's
/// `uns/NAME_colors`) where it gave one that reads as `#rrggbb`.
pub fn annotation_colours_with(
    a: &Annotation,
    dark: bool,
    given: Option<&crate::data::io::hdf5::LevelColours>,
) -> (Vec<palette::Rgb>, Legend) {
    let file_colour = |k: usize| -> Option<palette::Rgb> {
        let AnnotationValues::Categorical { levels, .. } = &a.values else { return None };
        let level = levels.get(k)?;
        let (_, hex) = given?.colours.iter().find(|(l, _)| l == level)?;
        palette::parse_hex(hex)
    };
    let class = |k: usize| {
        file_colour(k).unwrap_or_else(|| if dark { palette::categorical_on_dark(k) } else { palette::categorical(k) })
    };
    match &a.values {
        AnnotationValues::Categorical { levels, codes } => (
            codes.iter().map(|c| c.map_or(palette::MISSING, |c| class(c as usize))).collect(),
            Legend::Classes(levels.iter().enumerate().map(|(k, l)| (l.clone(), class(k))).collect()),
        ),
        AnnotationValues::Numeric(values) => {
            let (colours, min, max) = numeric_colours(values);
            (colours, Legend::viridis(a.name.clone(), min, max))
        }
    }
}

/// Measurements on viridis from their smallest to their largest finite value (missing values
/// grey), with that range.
pub fn numeric_colours(values: &[f64]) -> (Vec<palette::Rgb>, f64, f64) {
    let (min, max) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let span = if max > min { max - min } else { 1.0 };
    let colours = values
        .iter()
        .map(|v| if v.is_finite() { palette::viridis((v - min) / span) } else { palette::MISSING })
        .collect();
    (colours, min, max)
}

impl Strip {
    /// The annotation as a strip (numeric annotations get six classes of the colour bar).
    pub fn of(a: &Annotation) -> Self {
        Self::of_on(a, false)
    }

    /// [`Strip::of`] for a light or dark background.
    pub fn of_on(a: &Annotation, dark: bool) -> Self {
        let (colours, legend) = annotation_colours_on(a, dark);
        let legend = match legend {
            Legend::Classes(entries) => entries,
            Legend::ColourBar { min, max, .. } => (0..=5u32)
                .map(|k| {
                    let t = f64::from(k) / 5.0;
                    (crate::data::annotations::format_number(min + t * (max - min)), palette::viridis(t))
                })
                .collect(),
            _ => Vec::new(),
        };
        Self { name: a.name.clone(), colours, legend }
    }
}

/// The scree plot: the share of variance of each component as bars, and the cumulative share
/// as a line, in per cent.
pub fn scree(title: &str, ratios: &[f64]) -> Figure {
    let k = ratios.len();
    let bars = ratios.iter().enumerate().map(|(i, r)| (i as f64 + 0.6, 0.0, i as f64 + 1.4, 100.0 * r, BLUE)).collect();
    let cumulative = ratios
        .iter()
        .scan(0.0, |sum, r| {
            *sum += 100.0 * r;
            Some(*sum)
        })
        .enumerate()
        .map(|(i, c)| (i as f64 + 1.0, c))
        .collect();
    Figure {
        title: title.to_owned(),
        x: Axis::linear_over("principal component", (0.3, k as f64 + 0.7)),
        y: Axis::linear_over("variance explained (%)", (0.0, 102.0)),
        marks: vec![Mark::Rects(bars), Mark::Line { points: cumulative, colour: ORANGE, dashed: false, dots: true }],
        legends: vec![Legend::Lines(vec![("each component".to_owned(), BLUE), ("cumulative".to_owned(), ORANGE)])],
        frame: true,
    }
}

/// The loadings of one component as horizontal bars, in the order given (top first):
/// positive in vermillion, negative in blue.
pub fn loadings(title: &str, component: usize, genes: &[(String, f64)]) -> Figure {
    let bars = genes
        .iter()
        .enumerate()
        .map(|(k, &(_, v))| (0.0, k as f64 + 0.15, v, k as f64 + 0.85, if v >= 0.0 { VERMILLION } else { BLUE }))
        .collect();
    let extent = genes.iter().map(|g| g.1.abs()).fold(0.0, f64::max).max(f64::MIN_POSITIVE) * 1.08;
    Figure {
        title: title.to_owned(),
        x: Axis::linear_over(format!("loading on PC{}", component + 1), (-extent, extent)),
        y: Axis::categories("", genes.iter().map(|g| g.0.clone()).collect()),
        marks: vec![Mark::Rule { value: 0.0, horizontal: false, colour: GREY, dashed: false }, Mark::Rects(bars)],
        legends: Vec::new(),
        frame: true,
    }
}

/// The segments of `tree` as (leaf axis, height axis) pairs: leaf `p` of the leaf order at
/// `leaf(p)`, a merge at `height(h)`; a branch takes its cluster's colour when every leaf
/// under it is in that cluster and it is not above the cut.
fn tree_segments(
    tree: &Tree,
    cluster_of: Option<&[Option<usize>]>,
    cut: f64,
    leaf: &dyn Fn(f64) -> f64,
    height: &dyn Fn(f64) -> f64,
) -> Vec<Segment> {
    let n = tree.n;
    let x = tree.node_x(&tree.leaf_order());
    let mut h = vec![0.0; n + tree.merges.len()];
    let mut cluster: Vec<Option<usize>> = vec![None; n + tree.merges.len()];
    for (item, c) in cluster.iter_mut().enumerate().take(n) {
        *c = cluster_of.and_then(|l| l.get(item).copied().flatten());
    }
    let colour = |c: Option<usize>| c.map_or(GREY, palette::categorical);
    let mut out = Vec::with_capacity(3 * tree.merges.len());
    for (k, m) in tree.merges.iter().enumerate() {
        let id = n + k;
        h[id] = m.height;
        let same = cluster[m.left].is_some() && cluster[m.left] == cluster[m.right];
        cluster[id] = if same && m.height <= cut { cluster[m.left] } else { None };
        let top = height(m.height);
        for child in [m.left, m.right] {
            let c = if cluster[id].is_some() { colour(cluster[id]) } else { colour(cluster[child]) };
            out.push(((leaf(x[child]), height(h[child])), (leaf(x[child]), top), c));
        }
        out.push(((leaf(x[m.left]), top), (leaf(x[m.right]), top), colour(cluster[id])));
    }
    out
}

/// The dendrogram of a hierarchical clustering, branches coloured by the clusters of the
/// cut, the cut line, ids under the leaves when they fit, and an annotation strip.
pub struct Dendrogram<'a> {
    /// The title.
    pub title: &'a str,
    /// The tree.
    pub tree: &'a Tree,
    /// The label of the height axis (linkage and distance).
    pub height_label: &'a str,
    /// The cluster of every item (`None`: grey).
    pub clusters: Option<&'a [Option<usize>]>,
    /// The cut height, drawn as a dashed line.
    pub cut: Option<f64>,
    /// Item names (sample ids), by index.
    pub names: &'a [String],
    /// An annotation strip under the leaves.
    pub strip: Option<&'a Strip>,
}

impl Dendrogram<'_> {
    /// The figure.
    pub fn figure(&self) -> Figure {
        let tree = self.tree;
        let n = tree.n;
        let top = tree.merges.iter().map(|m| m.height).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
        let cut = self.cut.unwrap_or(f64::INFINITY);
        let mut marks = vec![Mark::Segments(tree_segments(tree, self.clusters, cut, &|x| x, &|h| h))];
        let order = tree.leaf_order();
        let strip_band = (-0.07 * top, -0.02 * top);
        if let Some(strip) = self.strip {
            let rects = order
                .iter()
                .enumerate()
                .map(|(p, &item)| {
                    let c = strip.colours.get(item).copied().unwrap_or(palette::MISSING);
                    (p as f64, strip_band.0, p as f64 + 1.0, strip_band.1, c)
                })
                .collect();
            marks.push(Mark::Rects(rects));
        }
        if let Some(c) = self.cut.filter(|c| c.is_finite()) {
            marks.push(Mark::Rule { value: c, horizontal: true, colour: [0, 0, 0], dashed: true });
        }
        let x = if n <= 80 {
            let names = order.iter().map(|&i| self.names.get(i).cloned().unwrap_or_else(|| i.to_string())).collect();
            Axis { range: Some((0.0, n as f64)), ..Axis::categories(format!("{n} samples"), names) }
        } else {
            Axis::hidden(format!("{n} samples in leaf order"), (0.0, n.max(1) as f64))
        };
        let bottom = if self.strip.is_some() { strip_band.0 - 0.01 * top } else { 0.0 };
        let mut y = Axis::linear_over(self.height_label, (bottom, top * 1.04));
        y.ticks = Some((0.0, top * 1.04));
        Figure { title: self.title.to_owned(), x, y, marks, legends: Strip::legends(self.strip), frame: false }
    }
}

/// Pixels along an axis of `n` cells for a heatmap raster: whole pixels per cell up to about
/// a thousand, and at most 2,000 (more cells are box-filtered, as in the app).
fn raster_pixels(n: usize) -> usize {
    if n == 0 {
        1
    } else if n >= 2000 {
        2000
    } else {
        n * 1000usize.div_ceil(n)
    }
}

/// A matrix figure's colour bar, then its strip's legend.
fn matrix_legends(label: &str, scale: &ColourScale, strip: Option<&Strip>) -> Vec<Legend> {
    let mut legends = vec![Legend::ColourBar {
        label: label.to_owned(),
        min: scale.low,
        max: scale.high,
        colours: scale.colours(64),
    }];
    legends.extend(Strip::legends(strip));
    legends
}

/// The colour of every cell of a square strip band, along one axis.
fn strip_rects(strip: &Strip, order: &[usize], band: (f64, f64), across: bool) -> Mark {
    Mark::Rects(
        order
            .iter()
            .enumerate()
            .map(|(p, &item)| {
                let c = strip.colours.get(item).copied().unwrap_or(palette::MISSING);
                let p = p as f64;
                if across { (p, band.0, p + 1.0, band.1, c) } else { (band.0, p, band.1, p + 1.0, c) }
            })
            .collect(),
    )
}

/// The sample × sample distance map in `order`, with its colour bar and the strips.
pub struct DistanceMap<'a> {
    /// The title.
    pub title: &'a str,
    /// The distances.
    pub matrix: &'a Array2<f64>,
    /// Position → sample.
    pub order: &'a [usize],
    /// Sample ids, by index.
    pub names: &'a [String],
    /// The colours.
    pub scale: ColourScale,
    /// What the colours mean ("correlation distance").
    pub label: &'a str,
    /// An annotation strip along both axes.
    pub strip: Option<&'a Strip>,
}

impl DistanceMap<'_> {
    /// The figure.
    pub fn figure(&self) -> Figure {
        let n = self.order.len();
        let px = raster_pixels(n);
        let rgba = rasterise(self.matrix, self.order, self.order, Window::full(n, n), [px, px], &self.scale, &|| false)
            .unwrap_or_default();
        let mut marks = vec![Mark::Raster(Raster {
            width: px as u32,
            height: px as u32,
            rgba,
            x: (0.0, n as f64),
            y: (0.0, n as f64),
        })];
        let band = (n as f64 * 0.035).max(0.6);
        let start = if let Some(strip) = self.strip {
            marks.push(strip_rects(strip, self.order, (-band, -band * 0.2), true));
            marks.push(strip_rects(strip, self.order, (-band, -band * 0.2), false));
            -band
        } else {
            0.0
        };
        let names: Vec<String> =
            self.order.iter().map(|&i| self.names.get(i).cloned().unwrap_or_else(|| i.to_string())).collect();
        let axis = |label: &str| Axis { range: Some((start, n as f64)), ..Axis::categories(label, names.clone()) };
        let legends = matrix_legends(self.label, &self.scale, self.strip);
        Figure {
            title: self.title.to_owned(),
            x: axis(&format!("{n} samples")),
            y: axis(""),
            marks,
            legends,
            frame: false,
        }
    }
}

/// The clustered heatmap: genes × samples (z-scores) in the order of both trees, the trees in
/// the margins, a strip over the samples and the colour bar.
pub struct ClusteredHeatmap<'a> {
    /// The title.
    pub title: &'a str,
    /// Genes × samples.
    pub z: &'a Array2<f64>,
    /// Gene names, by row.
    pub genes: &'a [String],
    /// Sample ids, by column.
    pub samples: &'a [String],
    /// The gene tree.
    pub gene_tree: &'a Tree,
    /// The sample tree.
    pub sample_tree: &'a Tree,
    /// The colour scale.
    pub scale: ColourScale,
    /// An annotation strip over the samples.
    pub strip: Option<&'a Strip>,
}

impl ClusteredHeatmap<'_> {
    /// The figure.
    pub fn figure(&self) -> Figure {
        let (g, s) = self.z.dim();
        let rows = self.gene_tree.leaf_order();
        let cols = self.sample_tree.leaf_order();
        let (w, h) = (raster_pixels(s), raster_pixels(g));
        let rgba =
            rasterise(self.z, &rows, &cols, Window::full(g, s), [w, h], &self.scale, &|| false).unwrap_or_default();
        let mut marks = vec![Mark::Raster(Raster {
            width: w as u32,
            height: h as u32,
            rgba,
            x: (0.0, s as f64),
            y: (0.0, g as f64),
        })];
        let (tree_w, tree_h) = (s as f64 * 0.15, g as f64 * 0.15);
        let strip_h = if self.strip.is_some() { (g as f64 * 0.04).max(0.6) } else { 0.0 };
        if let Some(strip) = self.strip {
            marks.push(strip_rects(strip, &cols, (-strip_h, -strip_h * 0.15), true));
        }
        let max_height = |t: &Tree| t.merges.iter().map(|m| m.height).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
        let (hs, hg) = (max_height(self.sample_tree), max_height(self.gene_tree));
        let base = -strip_h - g as f64 * 0.01;
        let mut top = tree_segments(self.sample_tree, None, f64::INFINITY, &|x| x, &|v| base - v / hs * tree_h);
        let left_base = -(s as f64) * 0.01;
        let side = tree_segments(self.gene_tree, None, f64::INFINITY, &|y| y, &|v| left_base - v / hg * tree_w);
        top.extend(side.into_iter().map(|((a, b), (c, d), col)| ((b, a), (d, c), col)));
        marks.push(Mark::Segments(top));
        let name = |names: &[String], i: usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
        let legends = matrix_legends("z-score", &self.scale, self.strip);
        Figure {
            title: self.title.to_owned(),
            x: Axis {
                range: Some((left_base - tree_w * 1.02, s as f64)),
                ..Axis::categories(format!("{s} samples"), cols.iter().map(|&i| name(self.samples, i)).collect())
            },
            y: Axis {
                range: Some((base - tree_h * 1.02, g as f64)),
                ..Axis::categories("", rows.iter().map(|&i| name(self.genes, i)).collect())
            },
            marks,
            legends,
            frame: false,
        }
    }
}

/// A line chart of one or more series with dots, optional reference rules and a legend of the
/// series (when there are several).
pub fn lines(title: &str, x: Axis, y: Axis, series: &[Series<'_>], rules: Vec<Mark>) -> Figure {
    let mut marks = rules;
    for (_, points, colour) in series {
        marks.push(Mark::Line { points: points.clone(), colour: *colour, dashed: false, dots: points.len() <= 60 });
    }
    let legends = if series.len() > 1 {
        vec![Legend::Lines(series.iter().map(|(name, _, c)| ((*name).to_owned(), *c)).collect())]
    } else {
        Vec::new()
    };
    Figure { title: title.to_owned(), x, y, marks, legends, frame: true }
}

/// The k-means elbow: within-cluster sum of squares against k, the chosen k marked.
pub fn elbow(title: &str, curve: &[(usize, f64)], chosen: usize) -> Figure {
    let points = curve.iter().map(|&(k, v)| (k as f64, v)).collect();
    let rule = Mark::Rule { value: chosen as f64, horizontal: false, colour: GREY, dashed: true };
    lines(
        title,
        Axis::linear("k (clusters)"),
        Axis::linear("within-cluster sum of squares"),
        &[("inertia", points, BLUE)],
        vec![rule],
    )
}

/// The size of every cluster (Leiden, Louvain) as bars in the clusters' colours.
pub fn cluster_sizes(title: &str, labels: &[usize]) -> Figure {
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    let rects = sizes
        .iter()
        .enumerate()
        .map(|(c, &n)| (c as f64 + 0.1, 0.0, c as f64 + 0.9, n as f64, palette::categorical(c)))
        .collect();
    let mut y = Axis::linear("samples");
    y.range = Some((0.0, sizes.iter().copied().max().unwrap_or(1) as f64 * 1.05));
    Figure {
        title: title.to_owned(),
        x: Axis::categories("cluster", (1..=k).map(|c| c.to_string()).collect()),
        y,
        marks: vec![Mark::Rects(rects)],
        legends: vec![Legend::None],
        frame: true,
    }
}

/// DBSCAN's k-distance curve, sorted, with ε as a dashed line.
pub fn k_distance(title: &str, sorted: &[f64], k: usize, eps: f64) -> Figure {
    let points = sorted.iter().enumerate().map(|(i, &d)| (i as f64, d)).collect();
    let rule = Mark::Rule { value: eps, horizontal: true, colour: VERMILLION, dashed: true };
    lines(
        title,
        Axis::linear("samples, sorted"),
        Axis::linear(format!("distance to neighbour {k}")),
        &[("k-distance", points, BLUE)],
        vec![rule],
    )
}

/// Silhouette widths as horizontal bars, grouped by cluster (largest first within each), with
/// the mean as a dashed line.
pub fn silhouette(title: &str, labels: &[Option<usize>], widths: &[f64]) -> Figure {
    let clusters = labels.iter().flatten().copied().max().map_or(0, |m| m + 1);
    let gap = (labels.len() as f64 * 0.02).max(1.0);
    let mut rects = Vec::new();
    let mut y = 0.0;
    let mut legend = Vec::new();
    for c in 0..clusters {
        let mut w: Vec<f64> =
            labels.iter().zip(widths).filter(|(l, w)| **l == Some(c) && w.is_finite()).map(|(_, &w)| w).collect();
        if w.is_empty() {
            continue;
        }
        w.sort_by(|a, b| b.total_cmp(a));
        for v in &w {
            rects.push((0.0, y, *v, y + 1.0, palette::categorical(c)));
            y += 1.0;
        }
        y += gap;
        legend.push((format!("cluster {} ({})", c + 1, w.len()), palette::categorical(c)));
    }
    let valid: Vec<f64> =
        labels.iter().zip(widths).filter(|(l, w)| l.is_some() && w.is_finite()).map(|(_, &w)| w).collect();
    let mean = valid.iter().sum::<f64>() / valid.len().max(1) as f64;
    let low = valid.iter().copied().fold(0.0, f64::min).min(-0.1);
    Figure {
        title: title.to_owned(),
        x: Axis::linear_over(format!("silhouette width (mean {mean:.3})"), (low, 1.0)),
        y: Axis::hidden("samples by cluster", (-gap, y.max(1.0))),
        marks: vec![
            Mark::Rects(rects),
            Mark::Rule { value: mean, horizontal: false, colour: VERMILLION, dashed: true },
            Mark::Rule { value: 0.0, horizontal: false, colour: GREY, dashed: false },
        ],
        legends: vec![Legend::Classes(legend)],
        frame: true,
    }
}

/// White to dark blue, for counts and shares.
fn blues(t: f64) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    [mix(247.0, 8.0), mix(251.0, 48.0), mix(255.0, 107.0)]
}

/// A matrix of numbers as coloured cells with the numbers written in them.
fn cells(values: &Array2<f64>, text: &dyn Fn(usize, usize) -> String, colour: &dyn Fn(f64) -> Rgb) -> Vec<Mark> {
    let (r, c) = values.dim();
    let mut rects = Vec::with_capacity(r * c);
    let mut texts = Vec::new();
    for i in 0..r {
        for j in 0..c {
            let v = values[[i, j]];
            let fill = if v.is_finite() { colour(v) } else { palette::MISSING };
            rects.push((j as f64, i as f64, j as f64 + 1.0, i as f64 + 1.0, fill));
            let luminance = 0.2126 * f64::from(fill[0]) + 0.7152 * f64::from(fill[1]) + 0.0722 * f64::from(fill[2]);
            let ink = if luminance < 128.0 { [255, 255, 255] } else { [20, 20, 20] };
            if r * c <= 400 {
                texts.push(Mark::Text {
                    at: (j as f64 + 0.5, i as f64 + 0.5),
                    text: text(i, j),
                    colour: ink,
                    anchor: Anchor::Middle,
                });
            }
        }
    }
    let mut marks = vec![Mark::Rects(rects)];
    marks.extend(texts);
    marks
}

/// The confusion matrix: true classes down, predicted across; counts or row shares.
pub fn confusion(title: &str, matrix: &[Vec<usize>], names: &[String], normalised: bool) -> Figure {
    let k = names.len();
    let values = Array2::from_shape_fn((k, k), |(i, j)| {
        let count = matrix.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0) as f64;
        if normalised {
            let total: usize = matrix.get(i).map_or(0, |r| r.iter().sum());
            if total == 0 { f64::NAN } else { count / total as f64 }
        } else {
            count
        }
    });
    let max = if normalised { 1.0 } else { values.iter().copied().fold(1.0, f64::max) };
    let text = |i: usize, j: usize| {
        if normalised {
            let v = values[[i, j]];
            if v.is_finite() { format!("{v:.2}") } else { "–".to_owned() }
        } else {
            format!("{}", values[[i, j]])
        }
    };
    let marks = cells(&values, &text, &|v| blues(v / max));
    let colours = (0..64u32).map(|t| blues((f64::from(t) + 0.5) / 64.0)).collect();
    Figure {
        title: title.to_owned(),
        x: Axis::categories("predicted class", names.to_vec()),
        y: Axis::categories("true class", names.to_vec()),
        marks,
        legends: vec![Legend::ColourBar {
            label: if normalised { "share of the true class".to_owned() } else { "samples".to_owned() },
            min: 0.0,
            max,
            colours,
        }],
        frame: true,
    }
}

/// ROC curves, one per class (one against the rest), with their AUC and the chance diagonal.
pub fn roc(title: &str, curves: &[RocCurve]) -> Figure {
    let mut marks = vec![Mark::Line { points: vec![(0.0, 0.0), (1.0, 1.0)], colour: GREY, dashed: true, dots: false }];
    let mut legend = Vec::new();
    for (k, (name, points, auc)) in curves.iter().enumerate() {
        let colour = palette::categorical(k);
        marks.push(Mark::Line { points: points.clone(), colour, dashed: false, dots: false });
        legend.push((format!("{name} (AUC {auc:.3})"), colour));
    }
    Figure {
        title: title.to_owned(),
        x: Axis::linear_over("false positive rate", (-0.02, 1.02)),
        y: Axis::linear_over("true positive rate", (-0.02, 1.02)),
        marks,
        legends: vec![Legend::Lines(legend)],
        frame: true,
    }
}

/// A number for a grid label.
fn value_label(v: f64) -> String {
    crate::data::annotations::format_number(v)
}

/// The grid-search heatmap: mean CV accuracy of every cell, the best framed.
pub fn grid(title: &str, grid: &crate::analysis::classify::search::Grid) -> Figure {
    let rows: Vec<String> = grid.rows.1.iter().map(|&v| value_label(v)).collect();
    let (col_label, cols): (String, Vec<String>) = grid.cols.as_ref().map_or_else(
        || (String::new(), vec!["accuracy".to_owned()]),
        |(p, values)| (p.label().to_owned(), values.iter().map(|&v| value_label(v)).collect()),
    );
    let lo = grid.scores.iter().copied().filter(|v| v.is_finite()).fold(f64::INFINITY, f64::min);
    let hi = grid.scores.iter().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let text = |i: usize, j: usize| format!("{:.3}", grid.scores[[i, j]]);
    let mut marks = cells(&grid.scores, &text, &|v| palette::viridis((v - lo) / span));
    let (bi, bj) = grid.best;
    marks.push(Mark::Outline {
        rect: (bj as f64 + 0.04, bi as f64 + 0.04, bj as f64 + 0.96, bi as f64 + 0.96),
        colour: VERMILLION,
    });
    Figure {
        title: title.to_owned(),
        x: Axis::categories(col_label, cols),
        y: Axis::categories(grid.rows.0.label(), rows),
        marks,
        legends: vec![Legend::viridis("mean CV accuracy", lo.min(hi), hi.max(lo))],
        frame: true,
    }
}

/// True when values are positive and span more than 50×: shown on a log10 axis.
pub fn log_spaced(values: &[f64]) -> bool {
    let max = values.iter().copied().fold(0.0, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    !values.is_empty() && min > 0.0 && max / min > 50.0
}

/// The validation curve: training and cross-validated accuracy against a hyperparameter.
pub fn validation_curve(title: &str, param: &str, curve: &[(f64, f64, f64)]) -> Figure {
    let values: Vec<f64> = curve.iter().map(|c| c.0).collect();
    let log = log_spaced(&values);
    let tx = |v: f64| if log { v.log10() } else { v };
    let train = curve.iter().map(|&(v, t, _)| (tx(v), t)).collect();
    let cv = curve.iter().map(|&(v, _, c)| (tx(v), c)).collect();
    let x_label = if log { format!("log10 {param}") } else { param.to_owned() };
    lines(
        title,
        Axis::linear(x_label),
        Axis::linear("accuracy"),
        &[("training", train, BLUE), ("cross-validation", cv, ORANGE)],
        Vec::new(),
    )
}

/// Faded for the folds behind the mean: `c` mixed 70 % towards white.
fn faded(c: Rgb) -> Rgb {
    c.map(|v| (f64::from(v) + 0.7 * (255.0 - f64::from(v))).round() as u8)
}

/// The mean over runs of `value` at each epoch (runs of different lengths: over the runs that
/// reached it).
fn mean_curve(runs: &[Vec<(f64, f64)>]) -> Vec<(f64, f64)> {
    let longest = runs.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .filter_map(|e| {
            let vals: Vec<f64> = runs.iter().filter_map(|r| r.get(e).map(|p| p.1)).filter(|v| v.is_finite()).collect();
            (!vals.is_empty()).then(|| ((e + 1) as f64, vals.iter().sum::<f64>() / vals.len() as f64))
        })
        .collect()
}

/// A network's training curves, one run per fold: the training and validation loss (or
/// accuracy) against the epoch, each fold faint and their mean strong. The gap between the two
/// is overfitting.
pub fn training_curves(title: &str, runs: &[&[crate::analysis::nn::EpochRecord]], accuracy: bool) -> Figure {
    let pick = |f: &dyn Fn(&crate::analysis::nn::EpochRecord) -> Option<f64>| -> Vec<Vec<(f64, f64)>> {
        runs.iter().map(|run| run.iter().map(|r| (r.epoch as f64, f(r).unwrap_or(f64::NAN))).collect()).collect()
    };
    let (train, val) = if accuracy {
        (pick(&|r| Some(r.train_accuracy)), pick(&|r| r.val_accuracy))
    } else {
        (pick(&|r| Some(r.train_loss)), pick(&|r| r.val_loss))
    };
    let has_val = val.iter().flatten().any(|p| p.1.is_finite());
    let mut marks = Vec::new();
    let mut series = vec![("training", train, BLUE)];
    if has_val {
        series.push(("validation", val, VERMILLION));
    }
    if runs.len() > 1 {
        for (_, curves, colour) in &series {
            for c in curves {
                marks.push(Mark::Line { points: c.clone(), colour: faded(*colour), dashed: false, dots: false });
            }
        }
    }
    let mean_label = if runs.len() > 1 { format!(" (mean of {} folds)", runs.len()) } else { String::new() };
    let mut legend = Vec::new();
    for (name, curves, colour) in &series {
        marks.push(Mark::Line { points: mean_curve(curves), colour: *colour, dashed: false, dots: false });
        legend.push((format!("{name}{mean_label}"), *colour));
    }
    let y = if accuracy { Axis::linear_over("accuracy", (-0.02, 1.02)) } else { Axis::linear("cross-entropy loss") };
    Figure {
        title: title.to_owned(),
        x: Axis::linear("epoch"),
        y,
        marks,
        legends: vec![Legend::Lines(legend)],
        frame: true,
    }
}

/// An autoencoder's reconstruction error (mean squared error per value) against the epoch, on
/// the samples it trains on and on the validation part, and the KL term of a variational one.
pub fn reconstruction_curves(title: &str, history: &[crate::analysis::nn::autoencoder::AutoencoderEpoch]) -> Figure {
    let curve = |f: &dyn Fn(&crate::analysis::nn::autoencoder::AutoencoderEpoch) -> Option<f64>| -> Vec<(f64, f64)> {
        history.iter().filter_map(|r| f(r).map(|v| (r.epoch as f64, v))).collect()
    };
    let mut series = vec![("training", curve(&|r| Some(r.train_loss)), BLUE)];
    let val = curve(&|r| r.val_loss);
    if !val.is_empty() {
        series.push(("validation", val, VERMILLION));
    }
    let kl = curve(&|r| r.kl);
    if !kl.is_empty() {
        series.push(("KL term (per value)", kl, GREY));
    }
    let mut fig = lines(title, Axis::linear("epoch"), Axis::linear("reconstruction error (MSE)"), &series, Vec::new());
    for m in &mut fig.marks {
        if let Mark::Line { dots, .. } = m {
            *dots = false;
        }
    }
    fig
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::figure::{Size, Style, Units, figure_svg};

    fn svg(fig: &Figure) -> String {
        let size = Size { width: 800.0, height: 600.0, units: Units::Px, dpi: 300.0 };
        figure_svg(fig, &size, &Style::for_size(size.pixels()))
    }

    #[test]
    fn confusion_writes_every_count_and_class() {
        let fig = confusion("c", &[vec![5, 1], vec![0, 4]], &["a".into(), "b".into()], false);
        let s = svg(&fig);
        for text in [">5<", ">1<", ">0<", ">4<", ">a<", ">b<", "predicted class", "true class"] {
            assert!(s.contains(text), "{text} missing");
        }
    }

    #[test]
    fn scree_bars_follow_the_ratios() {
        let fig = scree("s", &[0.5, 0.3, 0.2]);
        let Mark::Rects(bars) = &fig.marks[0] else { panic!("bars first") };
        assert_eq!(bars.iter().map(|b| b.3).collect::<Vec<_>>(), [50.0, 30.0, 20.0]);
        let Mark::Line { points, .. } = &fig.marks[1] else { panic!("line second") };
        assert!((points[2].1 - 100.0).abs() < 1e-9);
    }

    #[test]
    fn dendrogram_has_three_segments_per_merge_and_colours_clusters() {
        let tree = Tree {
            n: 3,
            merges: vec![
                crate::analysis::clustering::hierarchical::Merge { left: 0, right: 1, height: 1.0, size: 2 },
                crate::analysis::clustering::hierarchical::Merge { left: 2, right: 3, height: 3.0, size: 3 },
            ],
        };
        let clusters = [Some(0), Some(0), Some(1)];
        let names = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let fig = Dendrogram {
            title: "d",
            tree: &tree,
            height_label: "height",
            clusters: Some(&clusters),
            cut: Some(2.0),
            names: &names,
            strip: None,
        }
        .figure();
        let Mark::Segments(segments) = &fig.marks[0] else { panic!("segments first") };
        assert_eq!(segments.len(), 6);
        // The first merge (a, b) is under the cut, in cluster 0; the root is grey.
        assert!(segments[..3].iter().all(|s| s.2 == palette::categorical(0)));
        assert_eq!(segments[5].2, GREY);
        assert!(svg(&fig).contains(">c<"));
    }
}
