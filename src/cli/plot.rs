//! `biolens plot`: any plot view as a figure file (SVG, or PNG through the same SVG), at a
//! size in pixels, mm or inches, headless. The figures come from [`crate::export::plots`],
//! the builders the app's *Export figure…* uses.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::classify::{ClassifyArgs, ModelArg};
use super::cluster::ClusterMethodArg;
use super::{DataArgs, DistanceMetricArg, OutFile};
use crate::analysis::clustering::hierarchical::{Method, linkage};
use crate::analysis::clustering::kmeans::{KMeansParams, elbow};
use crate::analysis::clustering::order::{grouped_by, top_variable_z};
use crate::analysis::clustering::quality::silhouette;
use crate::analysis::distance::{self, Between, Metric};
use crate::analysis::pca::{PcaParams, pca};
use crate::analysis::tsne::TsneParams;
use crate::data::Dataset;
use crate::data::annotations::Annotation;
use crate::export::figure::{Figure, Legend, Scatter, Size, Style, Units, render};
use crate::export::heatmap::ColourScale;
use crate::export::plots::{self, Strip};
use crate::palette;

/// `biolens plot`.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // command-line switches are booleans by nature
pub struct PlotArgs {
    /// The view to draw.
    #[arg(value_enum)]
    pub view: PlotView,
    /// Loading and preprocessing.
    #[command(flatten)]
    pub data: DataArgs,
    /// Colour the points by this annotation (scatters), or show it as a strip (dendrogram,
    /// heatmap, distance map).
    #[arg(long = "colour-by", visible_alias = "color-by", value_name = "COLUMN")]
    pub colour_by: Option<String>,
    /// Outline these samples (comma-separated ids) in scatters: a selection.
    #[arg(long, value_name = "IDS")]
    pub highlight: Option<String>,
    /// The figure file: .svg or .png.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Width in `--units`.
    #[arg(long, default_value_t = 1200.0)]
    pub width: f64,
    /// Height in `--units`.
    #[arg(long, default_value_t = 900.0)]
    pub height: f64,
    /// Units of the size.
    #[arg(long, value_enum, default_value_t = UnitsArg::Px)]
    pub units: UnitsArg,
    /// Dots per inch, for mm and inches.
    #[arg(long, default_value_t = 300.0)]
    pub dpi: f64,
    /// Title over the plot (default: the dataset and the view).
    #[arg(long)]
    pub title: Option<String>,
    /// Font size in output pixels (default: from the size).
    #[arg(long)]
    pub font_size: Option<f64>,
    /// Marker radius in output pixels (default: from the size).
    #[arg(long)]
    pub marker_size: Option<f64>,
    /// Transparent instead of white background.
    #[arg(long)]
    pub transparent: bool,
    /// The projector look: larger text and markers, thicker lines.
    #[arg(long)]
    pub projector: bool,
    /// PCA: divide each gene by its SD after centring (the app's "Standardise genes").
    #[arg(long)]
    pub standardise: bool,
    /// PCA: the components on the axes (from 1).
    #[arg(long, default_value_t = 1)]
    pub x_pc: usize,
    /// PCA: the vertical component.
    #[arg(long, default_value_t = 2)]
    pub y_pc: usize,
    /// Scree: components shown.
    #[arg(long, default_value_t = 10)]
    pub components: usize,
    /// Loadings: the component (from 1).
    #[arg(long, default_value_t = 1)]
    pub component: usize,
    /// Loadings: genes shown (largest |loading| first).
    #[arg(long, default_value_t = 20)]
    pub genes: usize,
    /// t-SNE, k-means and classifier seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// t-SNE perplexity.
    #[arg(long, default_value_t = 30.0)]
    pub perplexity: f64,
    /// t-SNE iterations after early exaggeration.
    #[arg(long, default_value_t = 500)]
    pub iterations: usize,
    /// Dendrogram, silhouette and heatmap: the linkage.
    #[arg(long, value_enum, default_value_t = ClusterMethodArg::Average)]
    pub method: ClusterMethodArg,
    /// Dendrogram, silhouette, heatmap and distance map: the distance (default: Euclidean; the
    /// heatmap: correlation).
    #[arg(long, value_enum)]
    pub metric: Option<DistanceMetricArg>,
    /// Dendrogram and silhouette: clusters of the cut; elbow: the k marked.
    #[arg(long, default_value_t = 3)]
    pub k: usize,
    /// Dendrogram: cut at this height instead of into `--k` clusters.
    #[arg(long)]
    pub cut: Option<f64>,
    /// Heatmap: the most variable genes shown.
    #[arg(long, default_value_t = 200)]
    pub heatmap_genes: usize,
    /// Heatmap: the colour bar spans −R..R z-scores.
    #[arg(long, default_value_t = 2.5)]
    pub range: f64,
    /// Distance map: the order of the samples.
    #[arg(long, value_enum, default_value_t = MapOrderArg::Clustering)]
    pub order: MapOrderArg,
    /// Distance map: dark for large distances.
    #[arg(long)]
    pub reversed: bool,
    /// Elbow: k from 1 up to this.
    #[arg(long, default_value_t = 10)]
    pub max_k: usize,
    /// Confusion and ROC: the annotation to predict.
    #[arg(long)]
    pub target: Option<String>,
    /// Confusion and ROC: the model.
    #[arg(long, value_enum, default_value_t = ModelArg::Logreg)]
    pub model: ModelArg,
    /// Confusion and ROC: stratified folds.
    #[arg(long, default_value_t = 5)]
    pub cv: usize,
    /// Confusion: row shares instead of counts.
    #[arg(long)]
    pub normalised: bool,
}

/// `plot` views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlotView {
    /// Two principal components.
    Pca,
    /// The t-SNE embedding.
    Tsne,
    /// Variance explained by each component.
    Scree,
    /// The loadings of one component.
    Loadings,
    /// Hierarchical clustering's tree, cut into clusters.
    Dendrogram,
    /// The most variable genes, z-scored, with both trees.
    Heatmap,
    /// Sample × sample distances.
    DistanceMap,
    /// k-means inertia against k.
    Elbow,
    /// Silhouette widths of the dendrogram's clusters.
    Silhouette,
    /// The cross-validated confusion matrix of a classifier.
    Confusion,
    /// ROC curves of a classifier (one class against the rest).
    Roc,
}

/// `--units` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UnitsArg {
    /// Pixels.
    Px,
    /// Millimetres.
    Mm,
    /// Inches.
    In,
}

/// `--order` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapOrderArg {
    /// Average-linkage leaf order.
    Clustering,
    /// Grouped by `--colour-by`, clustering order within groups.
    Annotation,
    /// As loaded.
    Original,
}

fn annotation<'a>(dataset: &'a Dataset, name: &str, flag: &str) -> anyhow::Result<&'a Annotation> {
    dataset.annotations().iter().find(|a| a.name == name).with_context(|| {
        let names: Vec<&str> = dataset.annotations().iter().map(|a| a.name.as_str()).collect();
        format!("{flag}: no annotation '{name}'; the annotations are: {}", names.join(", "))
    })
}

impl PlotArgs {
    fn size(&self) -> Size {
        let units = match self.units {
            UnitsArg::Px => Units::Px,
            UnitsArg::Mm => Units::Mm,
            UnitsArg::In => Units::In,
        };
        Size { width: self.width, height: self.height, units, dpi: self.dpi }
    }

    fn style(&self) -> Style {
        let mut style = Style::for_size(self.size().pixels());
        if let Some(f) = self.font_size {
            style.font_size = f;
        }
        if let Some(m) = self.marker_size {
            style.marker_radius = m;
        }
        if self.transparent {
            style.background = None;
        }
        if self.projector { style.projector() } else { style }
    }

    fn linkage_method(&self) -> anyhow::Result<Method> {
        let method = self.method.linkage().context("--method: choose a linkage (average, ward, …)")?;
        if method.requires_euclidean() && self.metric.is_some_and(|m| Metric::from(m) != Metric::Euclidean) {
            anyhow::bail!("{} linkage needs Euclidean distances (as in SciPy); drop --metric", method.name());
        }
        Ok(method)
    }

    fn strip(&self, dataset: &Dataset) -> anyhow::Result<Option<Strip>> {
        self.colour_by.as_deref().map(|name| annotation(dataset, name, "--colour-by").map(Strip::of)).transpose()
    }
}

/// The scatter of `coords` coloured and highlighted as asked.
fn scatter(
    args: &PlotArgs,
    dataset: &Dataset,
    coords: (&[f64], &[f64]),
    labels: (String, String),
) -> anyhow::Result<Figure> {
    let n = dataset.n_samples();
    let (colours, legend) = match &args.colour_by {
        Some(name) => plots::annotation_colours(annotation(dataset, name, "--colour-by")?),
        None => (vec![palette::OKABE_ITO[4]; n], Legend::None),
    };
    let highlighted = match &args.highlight {
        Some(ids) => {
            let wanted: std::collections::HashSet<&str> = ids.split(',').map(str::trim).collect();
            dataset
                .sample_ids()
                .iter()
                .enumerate()
                .filter(|(_, id)| wanted.contains(id.as_str()))
                .map(|(i, _)| i)
                .collect()
        }
        None => Vec::new(),
    };
    Ok(Scatter {
        title: String::new(),
        x_label: labels.0,
        y_label: labels.1,
        points: (0..n).map(|i| (coords.0[i], coords.1[i], colours[i])).collect(),
        highlighted,
        legend,
    }
    .into())
}

/// The figure the arguments ask for, and a one-line summary.
pub(super) fn figure(args: &PlotArgs, dataset: &Dataset) -> anyhow::Result<(Figure, String)> {
    let x = dataset.matrix();
    let n = dataset.n_samples();
    let name = &dataset.name;
    let metric = |default: Metric| args.metric.map_or(default, Metric::from);
    let (mut fig, summary): (Figure, String) = match args.view {
        PlotView::Pca | PlotView::Scree | PlotView::Loadings => pca_figure(args, dataset)?,
        PlotView::Tsne => {
            let params = TsneParams {
                seed: args.seed,
                perplexity: args.perplexity,
                iterations: args.iterations,
                ..TsneParams::default()
            };
            let e = crate::analysis::tsne::run(x.view(), &params, None, |_, _| {})?;
            let (xs, ys) = (e.column(0).to_vec(), e.column(1).to_vec());
            let fig = scatter(args, dataset, (&xs, &ys), ("t-SNE 1".to_owned(), "t-SNE 2".to_owned()))?;
            (fig, format!("t-SNE of {n} samples"))
        }
        PlotView::Dendrogram | PlotView::Silhouette => {
            let method = args.linkage_method()?;
            let metric = if method.requires_euclidean() { Metric::Euclidean } else { metric(Metric::Euclidean) };
            let condensed = distance::condensed(x.view(), Between::Samples, metric, None, &mut |_| {})?;
            let tree = linkage(&mut condensed.clone(), n, method)?;
            let labels: Vec<Option<usize>> = match args.cut {
                Some(h) => tree.cut_height(h),
                None => tree.cut_k(args.k),
            }
            .into_iter()
            .map(Some)
            .collect();
            let clusters = labels.iter().flatten().max().map_or(0, |m| m + 1);
            if args.view == PlotView::Silhouette {
                let widths: Vec<f64> =
                    silhouette(&condensed, &labels).into_iter().map(|w| w.unwrap_or(f64::NAN)).collect();
                (plots::silhouette("", &labels, &widths), format!("silhouettes of {clusters} clusters"))
            } else {
                let strip = args.strip(dataset)?;
                let cut = Some(args.cut.unwrap_or_else(|| tree.height_for_k(args.k)));
                let label = format!("{} linkage height ({})", method.name(), metric.label());
                let fig = plots::Dendrogram {
                    title: "",
                    tree: &tree,
                    height_label: &label,
                    clusters: Some(&labels),
                    cut,
                    names: dataset.sample_ids(),
                    strip: strip.as_ref(),
                }
                .figure();
                (fig, format!("dendrogram of {n} samples, {clusters} clusters"))
            }
        }
        PlotView::Heatmap => {
            let method = args.linkage_method()?;
            let metric = if method.requires_euclidean() { Metric::Euclidean } else { metric(Metric::Correlation) };
            let (genes, z) = top_variable_z(x.view(), args.heatmap_genes);
            if genes.len() < 2 || n < 2 {
                anyhow::bail!("the heatmap needs at least 2 samples and 2 genes that vary");
            }
            let mut rows = distance::condensed(z.view(), Between::Samples, metric, None, &mut |_| {})?;
            let gene_tree = linkage(&mut rows, z.nrows(), method)?;
            let mut cols = distance::condensed(z.view(), Between::Genes, metric, None, &mut |_| {})?;
            let sample_tree = linkage(&mut cols, n, method)?;
            let names: Vec<String> = genes.iter().map(|&g| dataset.gene_ids()[g].clone()).collect();
            let strip = args.strip(dataset)?;
            let scale = ColourScale { low: -args.range, high: args.range, reversed: false, diverging: true };
            let fig = plots::ClusteredHeatmap {
                title: "",
                z: &z,
                genes: &names,
                samples: dataset.sample_ids(),
                gene_tree: &gene_tree,
                sample_tree: &sample_tree,
                scale,
                strip: strip.as_ref(),
            }
            .figure();
            (fig, format!("heatmap of {} genes × {n} samples", genes.len()))
        }
        PlotView::DistanceMap => distance_map(args, dataset, metric(Metric::Euclidean))?,
        PlotView::Elbow => {
            let ks: Vec<usize> = (1..=args.max_k.min(n)).collect();
            let params = KMeansParams { seed: args.seed, ..KMeansParams::default() };
            let curve = elbow(x.view(), &ks, &params, None, &mut |_| {})?;
            (plots::elbow("", &curve, args.k), format!("k-means elbow, k = 1..{}", ks.len()))
        }
        PlotView::Confusion | PlotView::Roc => {
            let target = args.target.clone().context("--target COLUMN: the annotation to predict")?;
            let seed = u32::try_from(args.seed).context("--seed must fit in 32 bits for the folds")?;
            let classify = ClassifyArgs::for_figure(args.data.clone(), target, args.model, args.cv, seed);
            let evaluation = super::classify::evaluate(&classify)?;
            let fig = if args.view == PlotView::Confusion {
                plots::confusion("", evaluation.confusion(), evaluation.classes(), args.normalised)
            } else {
                plots::roc("", &evaluation.cv.roc_curves(&evaluation.y, evaluation.classes()))
            };
            (fig, evaluation.summary())
        }
    };
    fig.title = args.title.clone().unwrap_or_else(|| format!("{name} — {}", default_title(args.view)));
    Ok((fig, summary))
}

/// PCA's scatter, scree plot or loadings.
fn pca_figure(args: &PlotArgs, dataset: &Dataset) -> anyhow::Result<(Figure, String)> {
    let x = dataset.matrix();
    let n = dataset.n_samples();
    let want = match args.view {
        PlotView::Pca => args.x_pc.max(args.y_pc),
        PlotView::Scree => args.components,
        _ => args.component,
    };
    if want == 0 {
        anyhow::bail!("components are numbered from 1");
    }
    let fit = pca(x.view(), &PcaParams::new(want).scale(args.standardise), None)?;
    let available = fit.explained_variance_ratio.len();
    Ok(match args.view {
        PlotView::Pca => {
            let (a, b) = (args.x_pc - 1, args.y_pc - 1);
            if a.max(b) >= available {
                anyhow::bail!("only {available} components can be computed");
            }
            let label =
                |k: usize| format!("PC{} ({:.1} % of variance)", k + 1, 100.0 * fit.explained_variance_ratio[k]);
            let (xs, ys) = (fit.scores.column(a).to_vec(), fit.scores.column(b).to_vec());
            let fig = scatter(args, dataset, (&xs, &ys), (label(a), label(b)))?;
            (fig, format!("PCA of {n} samples"))
        }
        PlotView::Scree => {
            (plots::scree("", &fit.explained_variance_ratio), format!("scree of {available} components"))
        }
        _ => {
            let c = args.component - 1;
            if c >= available {
                anyhow::bail!("only {available} components can be computed");
            }
            let col = fit.loadings.column(c);
            let mut genes: Vec<(String, f64)> =
                dataset.gene_ids().iter().zip(col.iter()).map(|(g, &v)| (g.clone(), v)).collect();
            genes.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
            genes.truncate(args.genes);
            (plots::loadings("", c, &genes), format!("loadings of PC{}", c + 1))
        }
    })
}

fn default_title(view: PlotView) -> &'static str {
    match view {
        PlotView::Pca => "PCA",
        PlotView::Tsne => "t-SNE",
        PlotView::Scree => "scree plot",
        PlotView::Loadings => "loadings",
        PlotView::Dendrogram => "dendrogram",
        PlotView::Heatmap => "clustered heatmap",
        PlotView::DistanceMap => "distance map",
        PlotView::Elbow => "k-means elbow",
        PlotView::Silhouette => "silhouettes",
        PlotView::Confusion => "confusion matrix",
        PlotView::Roc => "ROC curves",
    }
}

fn distance_map(args: &PlotArgs, dataset: &Dataset, metric: Metric) -> anyhow::Result<(Figure, String)> {
    let n = dataset.n_samples();
    if n > 10_000 {
        anyhow::bail!("the distance map shows at most 10,000 samples ({n} here)");
    }
    let square = distance::pairwise(dataset.matrix().view(), Between::Samples, metric, None, &mut |_| {})?;
    let mut condensed = crate::analysis::clustering::hierarchical::condensed(&square);
    let leaves = linkage(&mut condensed, n, Method::Average)?.leaf_order();
    let strip = args.strip(dataset)?;
    let order = match args.order {
        MapOrderArg::Clustering => leaves,
        MapOrderArg::Original => (0..n).collect(),
        MapOrderArg::Annotation => {
            let name = args.colour_by.as_deref().context("--order annotation needs --colour-by COLUMN")?;
            grouped_by(&leaves, &annotation(dataset, name, "--colour-by")?.values)
        }
    };
    let mut range = (f64::INFINITY, f64::NEG_INFINITY);
    for ((i, j), &v) in square.indexed_iter() {
        if i != j {
            range = (range.0.min(v), range.1.max(v));
        }
    }
    if !range.0.is_finite() {
        range = (0.0, 1.0);
    }
    let scale = ColourScale { low: range.0, high: range.1, reversed: args.reversed, diverging: false };
    let label = format!("{} distance", metric.label());
    let fig = plots::DistanceMap {
        title: "",
        matrix: &square,
        order: &order,
        names: dataset.sample_ids(),
        scale,
        label: &label,
        strip: strip.as_ref(),
    }
    .figure();
    Ok((fig, format!("distance map of {n} samples")))
}

pub(super) fn run(args: &PlotArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let png = crate::export::figure::is_png(&args.out)
        .with_context(|| format!("--out must end in .svg or .png: {}", args.out.display()))?;
    if !(args.width > 0.0 && args.height > 0.0 && args.dpi > 0.0) {
        anyhow::bail!("--width, --height and --dpi must be positive");
    }
    let file = OutFile::create(&args.out)?;
    let dataset = args.data.open()?;
    let (fig, summary) = figure(args, &dataset)?;
    let size = args.size();
    let bytes = render(&fig, &size, &args.style(), png)?;
    file.write_with(|w| w.write_all(&bytes))?;
    let pixels = size.pixels();
    writeln!(out, "{summary}: {} × {} px figure written to {}", pixels.0, pixels.1, args.out.display())?;
    Ok(())
}
