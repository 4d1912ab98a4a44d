//! `biolens plot`: any plot view as a figure file (SVG, or PNG or PDF through the same SVG), at
//! a size in pixels, mm or inches (a PDF's page size), headless. Each view runs its recipe ([`crate::recipes`]) and
//! draws the result with the builders the app's *Export figure…* uses
//! ([`crate::export::plots`]); `biolens run` calls the same figure functions on results it
//! computed once.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::classify::{ClassifyArgs, ModelArg};
use super::cluster::ClusterMethodArg;
use super::{DataArgs, OutFile};
use crate::analysis::clustering::hierarchical::Tree;
use crate::analysis::clustering::kmeans::KMeansParams;
use crate::analysis::distance::Metric;
use crate::analysis::markers::MarkerMethod;
use crate::analysis::pca::{Pca, PcaParams, PcaSolver};
use crate::analysis::tsne::TsneParams;
use crate::analysis::umap::UmapParams;
use crate::data::Dataset;
use crate::data::annotations::Annotation;
use crate::export::figure::{Figure, FigureFormat, Legend, Scatter, Size, Style, Units, render};
use crate::export::heatmap::ColourScale;
use crate::export::plots::{self, Strip};
use crate::palette;
use crate::recipes::Colouring;
use crate::recipes::clusters::{self as clusters, ClusterSettings};
use crate::recipes::distance_map::{ComputeDevice, DistanceMap, MapOrder};
use crate::recipes::heatmap::{ClusteredHeatmap, HeatmapSettings};
use crate::recipes::markers::{DeMethod, MarkerPlot, MarkerPlotSettings, MarkerSettings};
use crate::recipes::neighbors::GraphSettings;
use crate::recipes::pca::PcaSettings;
use crate::recipes::{Ctx, distance_map};

/// Genes in a loadings figure unless asked otherwise.
pub const LOADINGS_GENES: usize = 20;

/// The size of a figure unless asked otherwise: 1200 × 900 px (300 dpi for mm and inches).
pub const DEFAULT_SIZE: Size = Size { width: 1200.0, height: 900.0, units: Units::Px, dpi: 300.0 };

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
    /// heatmap, distance map). Without it, as in the app: scatters (PCA, t-SNE, UMAP,
    /// autoencoder) by the first annotation that groups the samples, the heatmap's and distance
    /// map's strip the first annotation, the dendrogram's the first categorical one that is not
    /// a clustering's labels; the regression plots in one colour.
    #[arg(long = "colour-by", visible_alias = "color-by", value_name = "COLUMN")]
    pub colour_by: Option<String>,
    /// One colour and no strips (instead of the default colouring).
    #[arg(long = "no-colour", visible_alias = "no-color", conflicts_with = "colour_by")]
    pub no_colour: bool,
    /// Outline these samples (comma-separated ids) in scatters: a selection.
    #[arg(long, value_name = "IDS")]
    pub highlight: Option<String>,
    /// The figure file: .svg, .png or .pdf (vector, fonts embedded; the size is the page's).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Width in `--units`.
    #[arg(long, default_value_t = DEFAULT_SIZE.width)]
    pub width: f64,
    /// Height in `--units`.
    #[arg(long, default_value_t = DEFAULT_SIZE.height)]
    pub height: f64,
    /// Units of the size.
    #[arg(long, value_enum, default_value_t = DEFAULT_SIZE.units)]
    pub units: Units,
    /// Dots per inch, for mm and inches.
    #[arg(long, default_value_t = DEFAULT_SIZE.dpi)]
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
    #[arg(long, default_value_t = PcaSettings::default().axes.0 + 1)]
    pub x_pc: usize,
    /// PCA: the vertical component.
    #[arg(long, default_value_t = PcaSettings::default().axes.1 + 1)]
    pub y_pc: usize,
    /// PCA, scree and loadings: components computed (the scree shows them all).
    #[arg(long, default_value_t = PcaParams::default().components)]
    pub components: usize,
    /// PCA, scree and loadings: the SVD.
    #[arg(long, value_enum, default_value_t = PcaParams::default().solver)]
    pub solver: PcaSolver,
    /// Loadings: the component (from 1).
    #[arg(long, default_value_t = PcaSettings::default().loadings_pc + 1)]
    pub component: usize,
    /// Loadings: genes shown (largest |loading| first).
    #[arg(long, default_value_t = LOADINGS_GENES)]
    pub genes: usize,
    /// PCA (randomized SVD), t-SNE, k-means and classifier seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// t-SNE perplexity.
    #[arg(long, default_value_t = TsneParams::default().perplexity)]
    pub perplexity: f64,
    /// t-SNE iterations after early exaggeration.
    #[arg(long, default_value_t = TsneParams::default().iterations)]
    pub iterations: usize,
    /// Dendrogram, silhouette and heatmap: the linkage.
    #[arg(long, value_enum, default_value_t = ClusterMethodArg::of(ClusterSettings::default().linkage))]
    pub method: ClusterMethodArg,
    /// Dendrogram, silhouette, heatmap and distance map: the distance (default: Euclidean; the
    /// heatmap: correlation).
    #[arg(long, value_enum)]
    pub metric: Option<Metric>,
    /// Dendrogram and silhouette: clusters of the cut; elbow: the k marked.
    #[arg(long, default_value_t = ClusterSettings::default().k)]
    pub k: usize,
    /// Dendrogram: cut at this height instead of into `--k` clusters.
    #[arg(long)]
    pub cut: Option<f64>,
    /// Heatmap: the most variable genes shown.
    #[arg(long, default_value_t = HeatmapSettings::default().top_genes)]
    pub heatmap_genes: usize,
    /// Heatmap: the colour bar spans −R..R z-scores.
    #[arg(long, default_value_t = HeatmapSettings::default().range)]
    pub range: f64,
    /// Distance map: the order of the samples.
    #[arg(long, value_enum, default_value_t = MapOrderArg::Clustering)]
    pub order: MapOrderArg,
    /// Distance map: dark for large distances.
    #[arg(long)]
    pub reversed: bool,
    /// Elbow: k from 1 up to this.
    #[arg(long, default_value_t = ClusterSettings::default().elbow_max)]
    pub max_k: usize,
    /// Elbow: k-means seedings per k.
    #[arg(long, default_value_t = KMeansParams::default().n_init)]
    pub n_init: usize,
    /// Elbow: k-means iterations per seeding.
    #[arg(long, default_value_t = KMeansParams::default().max_iter)]
    pub max_iter: usize,
    /// Confusion and ROC: the annotation to predict.
    #[arg(long)]
    pub target: Option<String>,
    /// Confusion and ROC: the model.
    #[arg(long, value_enum, default_value_t = ModelArg::Logreg)]
    pub model: ModelArg,
    /// Regression views: predict this gene from the others (instead of `--target`).
    #[arg(long, value_name = "GENE", conflicts_with = "target")]
    pub target_gene: Option<String>,
    /// Regression views: the model (default: lasso for `path`, ridge otherwise).
    #[arg(long, value_enum)]
    pub regressor: Option<super::regress::RegModelArg>,
    /// Regression views: the penalty α of ridge, lasso and elastic net.
    #[arg(long = "alpha", default_value_t = crate::analysis::regress::Regressor::DEFAULT_ALPHA)]
    pub regress_alpha: f64,
    /// `path`: draw the cross-validated error against α instead of the coefficients.
    #[arg(long)]
    pub cv_error: bool,
    /// `learning-curve`: R² instead of RMSE.
    #[arg(long)]
    pub r2: bool,
    /// Confusion and ROC: stratified folds.
    #[arg(long, default_value_t = crate::recipes::classify::DEFAULT_FOLDS)]
    pub cv: usize,
    /// Confusion: row shares instead of counts.
    #[arg(long)]
    pub normalised: bool,
    /// UMAP: principal components the neighbours are found in.
    #[arg(long, default_value_t = GraphSettings::default().pcs)]
    pub pcs: usize,
    /// UMAP: neighbours per sample (itself included, as scanpy's `n_neighbors`).
    #[arg(long, default_value_t = GraphSettings::default().neighbors)]
    pub neighbors: usize,
    /// UMAP: the least distance between embedded points.
    #[arg(long, default_value_t = UmapParams::default().min_dist)]
    pub min_dist: f64,
    /// UMAP: the scale of embedded distances.
    #[arg(long, default_value_t = UmapParams::default().spread)]
    pub spread: f64,
    /// Marker plots (dotplot, matrixplot, violin, marker-heatmap): the groups (a categorical
    /// annotation).
    #[arg(long, value_name = "COLUMN")]
    pub groupby: Option<String>,
    /// Marker plots: the test ranking the genes.
    #[arg(long, value_enum, default_value_t = MarkerSettings::default().method)]
    pub marker_method: MarkerMethod,
    /// Marker plots: each group's top markers shown.
    #[arg(long, default_value_t = MarkerPlotSettings::default().genes_per_group)]
    pub genes_per_group: usize,
    /// Marker plots: these genes (comma-separated) instead of each group's top markers.
    #[arg(long, value_name = "GENES")]
    pub gene_list: Option<String>,
    /// Marker plots: scale each gene to 0–1 over the groups (scanpy's `standard_scale="var"`).
    #[arg(long)]
    pub scale_per_gene: bool,
    /// Marker plots: keep the annotation's order instead of the groups' dendrogram.
    #[arg(long)]
    pub no_dendrogram: bool,
    /// Volcano: the first set, `COLUMN=VALUE[,VALUE…]` or sample ids.
    #[arg(long, value_name = "SET")]
    pub group1: Option<String>,
    /// Volcano: the second set (default: every other sample).
    #[arg(long, value_name = "SET")]
    pub group2: Option<String>,
    /// Volcano: the test.
    #[arg(long, value_enum, default_value_t = DeMethod::default())]
    pub de_method: DeMethod,
    /// Volcano: the most significant genes named.
    #[arg(long, default_value_t = 10)]
    pub label: usize,
    /// Training curves and autoencoder: the network (training curves train an MLP classifier
    /// of `--target` under `--cv` folds).
    #[command(flatten)]
    pub network: super::classify::MlpArgs,
    /// Autoencoder: the code and the input.
    #[command(flatten)]
    pub autoencoder: super::classify::AutoencoderExtraArgs,
    /// Training curves: accuracy instead of the loss.
    #[arg(long)]
    pub accuracy: bool,
    /// Autoencoder: draw the reconstruction error against the epoch instead of the code.
    #[arg(long)]
    pub loss: bool,
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
    /// The UMAP embedding of the neighbour graph.
    Umap,
    /// Marker genes: fraction expressing (size) and mean (colour) per group.
    Dotplot,
    /// Marker genes: mean per group.
    Matrixplot,
    /// Marker genes: stacked violins per group.
    Violin,
    /// Marker genes: every cell's values, grouped.
    MarkerHeatmap,
    /// Two sets compared: log2 fold change against −log10 adjusted p.
    Volcano,
    /// An MLP classifier's training and validation loss (or `--accuracy`) per epoch, per fold.
    TrainingCurves,
    /// An autoencoder's 2-D code of every sample (or `--loss`: its reconstruction error per
    /// epoch).
    Autoencoder,
    /// A regressor's cross-validated predictions against the truth (`--target` a numeric
    /// annotation or `--target-gene`, `--regressor`).
    Predicted,
    /// A regressor's residuals against its cross-validated predictions.
    Residuals,
    /// The regularisation path of lasso, ridge or elastic net: coefficients against log α (or
    /// `--cv-error`: the CV error curve), the α of the smallest error and the one-SE α marked.
    Path,
    /// Training and test error against the training-set size (`--r2`: R² instead of RMSE).
    LearningCurve,
}

impl PlotView {
    /// The default title after the dataset's name.
    pub fn title(self) -> &'static str {
        match self {
            Self::Pca => "PCA",
            Self::Tsne => "t-SNE",
            Self::Scree => "scree plot",
            Self::Loadings => "loadings",
            Self::Dendrogram => "dendrogram",
            Self::Heatmap => "clustered heatmap",
            Self::DistanceMap => "distance map",
            Self::Elbow => "k-means elbow",
            Self::Silhouette => "silhouettes",
            Self::Confusion => "confusion matrix",
            Self::Roc => "ROC curves",
            Self::Umap => "UMAP",
            Self::Dotplot => "marker genes (dot plot)",
            Self::Matrixplot => "marker genes (matrix plot)",
            Self::Violin => "marker genes (stacked violins)",
            Self::MarkerHeatmap => "marker genes (heatmap)",
            Self::Volcano => "volcano plot",
            Self::TrainingCurves => "training curves",
            Self::Autoencoder => "autoencoder",
            Self::Predicted => "predicted against true",
            Self::Residuals => "residuals",
            Self::Path => "regularisation path",
            Self::LearningCurve => "learning curve",
        }
    }
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

/// The annotation strip `--colour-by` names, if any.
pub(super) fn strip(dataset: &Dataset, name: Option<&str>) -> anyhow::Result<Option<Strip>> {
    name.map(|name| annotation(dataset, name, "--colour-by").map(Strip::of)).transpose()
}

impl PlotArgs {
    /// The colouring asked for: an annotation, `Some("")` for none (`--no-colour`), `None` for
    /// the view's default (the settings' own convention for strips).
    fn colour_choice(&self) -> Option<&str> {
        if self.no_colour { Some("") } else { self.colour_by.as_deref() }
    }

    /// The annotation scatters are coloured by: the one asked for, else the app's default
    /// ([`Colouring::first_for`]).
    fn scatter_colour(&self, dataset: &Dataset) -> Option<String> {
        match self.colour_choice() {
            Some("") => None,
            Some(name) => Some(name.to_owned()),
            None => Colouring::first_for(dataset).annotation_name().map(str::to_owned),
        }
    }

    fn size(&self) -> Size {
        Size { width: self.width, height: self.height, units: self.units, dpi: self.dpi }
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

    /// The PCA the flags describe: enough components for the axes or the loadings shown.
    fn pca_params(&self) -> PcaParams {
        let want = self.components.max(self.x_pc).max(self.y_pc).max(self.component);
        PcaParams {
            components: want,
            scale: self.standardise,
            solver: self.solver,
            seed: self.seed,
            ..PcaParams::default()
        }
    }

    /// The t-SNE the flags describe.
    fn tsne_params(&self) -> TsneParams {
        TsneParams {
            seed: self.seed,
            perplexity: self.perplexity,
            iterations: self.iterations,
            ..TsneParams::default()
        }
    }

    /// The hierarchical clustering the flags describe (the linkage's distance checked).
    fn cluster_settings(&self) -> anyhow::Result<ClusterSettings> {
        let linkage = self.method.linkage().context("--method: choose a linkage (average, ward, …)")?;
        let asked = self.metric.unwrap_or(ClusterSettings::default().metric);
        let metric =
            clusters::checked_tree_metric(linkage, asked).map_err(|e| anyhow::anyhow!("{e}; drop --metric"))?;
        let compare = self.colour_choice().map(str::to_owned);
        Ok(ClusterSettings { linkage, metric, k: self.k, cut: self.cut, compare, ..ClusterSettings::default() })
    }

    /// The heatmap the flags describe.
    fn heatmap_settings(&self) -> anyhow::Result<HeatmapSettings> {
        let method = self.method.linkage().context("--method: choose a linkage (average, ward, …)")?;
        let defaults = HeatmapSettings::default();
        let metric = match self.metric {
            Some(m) => clusters::checked_tree_metric(method, m).map_err(|e| anyhow::anyhow!("{e}; drop --metric"))?,
            None => clusters::tree_metric(method, defaults.metric),
        };
        let strip = self.colour_choice().map(str::to_owned);
        Ok(HeatmapSettings { top_genes: self.heatmap_genes, method, metric, range: self.range, strip })
    }

    /// The distance map's order the flags describe.
    fn map_order(&self) -> anyhow::Result<MapOrder> {
        Ok(match self.order {
            MapOrderArg::Clustering => MapOrder::Clustering,
            MapOrderArg::Original => MapOrder::Original,
            MapOrderArg::Annotation => {
                MapOrder::Annotation(self.colour_by.clone().context("--order annotation needs --colour-by COLUMN")?)
            }
        })
    }
}

/// The scatter of `coords` coloured by `colour_by` and with `highlight` (comma-separated ids)
/// outlined.
fn scatter(
    dataset: &Dataset,
    coords: (&[f64], &[f64]),
    labels: (String, String),
    colour_by: Option<&str>,
    highlight: Option<&str>,
) -> anyhow::Result<Figure> {
    let n = dataset.n_samples();
    let (colours, legend) = match colour_by {
        Some(name) => plots::annotation_colours(annotation(dataset, name, "--colour-by")?),
        None => (vec![palette::OKABE_ITO[4]; n], Legend::None),
    };
    let highlighted = match highlight {
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
        legend_title: colour_by.unwrap_or_default().to_owned(),
    }
    .into())
}

/// PCs `axes` (from 0) of a fit as a scatter.
pub(super) fn pca_scatter(
    dataset: &Dataset,
    fit: &Pca,
    axes: (usize, usize),
    colour_by: Option<&str>,
    highlight: Option<&str>,
) -> anyhow::Result<Figure> {
    let available = fit.explained_variance_ratio.len();
    if axes.0.max(axes.1) >= available {
        anyhow::bail!("only {available} components can be computed");
    }
    let label = |k: usize| format!("PC{} ({:.1} % of variance)", k + 1, 100.0 * fit.explained_variance_ratio[k]);
    let (xs, ys) = (fit.scores.column(axes.0).to_vec(), fit.scores.column(axes.1).to_vec());
    scatter(dataset, (&xs, &ys), (label(axes.0), label(axes.1)), colour_by, highlight)
}

/// The `genes` largest |loadings| of component `c` (from 0).
pub(super) fn loadings_figure(dataset: &Dataset, fit: &Pca, c: usize, genes: usize) -> anyhow::Result<Figure> {
    let available = fit.explained_variance_ratio.len();
    if c >= available {
        anyhow::bail!("only {available} components can be computed");
    }
    let col = fit.loadings.column(c);
    let mut top: Vec<(String, f64)> = dataset.gene_ids().iter().zip(col.iter()).map(|(g, &v)| (g.clone(), v)).collect();
    top.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    top.truncate(genes);
    Ok(plots::loadings("", c, &top))
}

/// A t-SNE embedding as a scatter.
pub(super) fn tsne_scatter(
    dataset: &Dataset,
    embedding: &ndarray::Array2<f64>,
    colour_by: Option<&str>,
    highlight: Option<&str>,
) -> anyhow::Result<Figure> {
    let (xs, ys) = (embedding.column(0).to_vec(), embedding.column(1).to_vec());
    scatter(dataset, (&xs, &ys), ("t-SNE 1".to_owned(), "t-SNE 2".to_owned()), colour_by, highlight)
}

/// The dendrogram of `tree`, cut as `settings` say, with an annotation strip.
pub(super) fn dendrogram_figure(
    dataset: &Dataset,
    tree: &Tree,
    settings: &ClusterSettings,
    strip: Option<&Strip>,
) -> Figure {
    let labels: Vec<Option<usize>> = settings.cut(tree).into_iter().map(Some).collect();
    let cut = Some(settings.cut.unwrap_or_else(|| tree.height_for_k(settings.k)));
    let label = format!("{} linkage height ({})", settings.linkage.name(), settings.effective_metric().label());
    plots::Dendrogram {
        title: "",
        tree,
        height_label: &label,
        clusters: Some(&labels),
        cut,
        names: dataset.sample_ids(),
        strip,
    }
    .figure()
}

/// The silhouettes of `labels` from their widths.
pub(super) fn silhouette_figure(labels: &[Option<usize>], widths: &[Option<f64>]) -> Figure {
    let widths: Vec<f64> = widths.iter().map(|w| w.unwrap_or(f64::NAN)).collect();
    plots::silhouette("", labels, &widths)
}

/// A clustered heatmap with its colour range and strip.
pub(super) fn heatmap_figure(dataset: &Dataset, map: &ClusteredHeatmap, range: f64, strip: Option<&Strip>) -> Figure {
    let names: Vec<String> = map.genes.iter().map(|&g| dataset.gene_ids()[g].clone()).collect();
    plots::ClusteredHeatmap {
        title: "",
        z: &map.z,
        genes: &names,
        samples: dataset.sample_ids(),
        gene_tree: &map.gene_tree,
        sample_tree: &map.sample_tree,
        scale: ColourScale { low: -range, high: range, reversed: false, diverging: true },
        strip,
    }
    .figure()
}

/// A distance map in `order`, its strip grouped or not.
pub(super) fn distance_map_figure(
    dataset: &Dataset,
    map: &DistanceMap,
    order: &MapOrder,
    reversed: bool,
    strip: Option<&Strip>,
) -> Figure {
    let positions = distance_map::positions(&map.leaf_order, order, dataset);
    let scale = ColourScale { low: map.range.0, high: map.range.1, reversed, diverging: false };
    let label = format!("{} distance", map.metric.label());
    plots::DistanceMap {
        title: "",
        matrix: &map.matrix,
        order: &positions,
        names: dataset.sample_ids(),
        scale,
        label: &label,
        strip,
    }
    .figure()
}

/// The figure the arguments ask for, and a one-line summary.
pub(super) fn figure(args: &PlotArgs, dataset: &Dataset) -> anyhow::Result<(Figure, String)> {
    // Dense only for the views that need every value (a sparse PCA stays sparse).
    let x = || -> Result<ndarray::ArrayView2<'_, f64>, crate::memory::MemoryError> { Ok(dataset.dense()?.view()) };
    let n = dataset.n_samples();
    if let Some(name) = &args.colour_by {
        annotation(dataset, name, "--colour-by")?;
    }
    let colour = args.scatter_colour(dataset);
    let colour_by = colour.as_deref();
    let highlight = args.highlight.as_deref();
    let (mut fig, summary): (Figure, String) = match args.view {
        PlotView::Umap
        | PlotView::Dotplot
        | PlotView::Matrixplot
        | PlotView::Violin
        | PlotView::MarkerHeatmap
        | PlotView::Volcano => single_cell_figure(args, dataset)?,
        PlotView::Pca | PlotView::Scree | PlotView::Loadings => {
            let fit = crate::recipes::pca::run_values(dataset.values(), &args.pca_params(), Ctx::silent())?;
            let k = fit.explained_variance_ratio.len();
            match args.view {
                PlotView::Pca => {
                    let axes = (args.x_pc.checked_sub(1), args.y_pc.checked_sub(1));
                    let (Some(a), Some(b)) = axes else { anyhow::bail!("components are numbered from 1") };
                    (pca_scatter(dataset, &fit, (a, b), colour_by, highlight)?, format!("PCA of {n} samples"))
                }
                PlotView::Scree => {
                    (plots::scree("", &fit.explained_variance_ratio), format!("scree of {k} components"))
                }
                _ => {
                    let c = args.component.checked_sub(1).context("components are numbered from 1")?;
                    (loadings_figure(dataset, &fit, c, args.genes)?, format!("loadings of PC{}", c + 1))
                }
            }
        }
        PlotView::Tsne => {
            let e = crate::recipes::tsne::run(x()?, &args.tsne_params(), Ctx::silent(), |_, _| {})?;
            (tsne_scatter(dataset, &e, colour_by, highlight)?, format!("t-SNE of {n} samples"))
        }
        PlotView::Dendrogram | PlotView::Silhouette => {
            let settings = args.cluster_settings()?;
            let metric = settings.effective_metric();
            let silhouettes = args.view == PlotView::Silhouette;
            if silhouettes {
                clusters::check_silhouettes(n, dataset.n_genes())?;
            }
            // One distance matrix: the tree's scratch, and a copy for the silhouettes.
            let condensed = clusters::distances_for(clusters::TREE_MEMORY, x()?, metric, Ctx::silent())?;
            let kept = silhouettes.then(|| condensed.clone());
            let tree = clusters::tree_of_distances(condensed, n, settings.linkage, Ctx::silent())?;
            let labels: Vec<Option<usize>> = settings.cut(&tree).into_iter().map(Some).collect();
            let count = labels.iter().flatten().max().map_or(0, |m| m + 1);
            if let Some(d) = kept {
                let widths = crate::analysis::clustering::quality::silhouette(&d, &labels);
                (silhouette_figure(&labels, &widths), format!("silhouettes of {count} clusters"))
            } else {
                let strip = strip(dataset, settings.compare_name(dataset).as_deref())?;
                let fig = dendrogram_figure(dataset, &tree, &settings, strip.as_ref());
                (fig, format!("dendrogram of {n} samples, {count} clusters"))
            }
        }
        PlotView::Heatmap => {
            let settings = args.heatmap_settings()?;
            let map = crate::recipes::heatmap::run(x()?, &settings, Ctx::silent())?;
            let strip = strip(dataset, settings.strip_name(dataset).as_deref())?;
            let fig = heatmap_figure(dataset, &map, settings.range, strip.as_ref());
            (fig, format!("heatmap of {} genes × {n} samples", map.genes.len()))
        }
        PlotView::DistanceMap => {
            let order = args.map_order()?;
            let metric = args.metric.unwrap_or(crate::recipes::distance_map::DistanceMapSettings::default().metric);
            let device = super::device(ComputeDevice::Auto)?;
            let map = distance_map::run(x()?, metric, &device, Ctx::silent())?;
            let settings = crate::recipes::distance_map::DistanceMapSettings {
                metric,
                order: order.clone(),
                strip: args.colour_choice().map(str::to_owned),
                reversed: args.reversed,
            };
            let strip = strip(dataset, settings.strip_name(dataset).as_deref())?;
            (
                distance_map_figure(dataset, &map, &order, args.reversed, strip.as_ref()),
                format!("distance map of {n} samples"),
            )
        }
        PlotView::Elbow => {
            let params = KMeansParams {
                seed: args.seed,
                n_init: args.n_init,
                max_iter: args.max_iter,
                ..KMeansParams::default()
            };
            let curve = clusters::elbow_curve(x()?, &params, args.max_k, Ctx::silent())?;
            (plots::elbow("", &curve, args.k), format!("k-means elbow, k = 1..{}", curve.len()))
        }
        PlotView::TrainingCurves | PlotView::Autoencoder => network_figure(args, dataset)?,
        PlotView::Predicted | PlotView::Residuals | PlotView::Path | PlotView::LearningCurve => {
            regression_figure(args, dataset)?
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
    fig.title = args.title.clone().unwrap_or_else(|| default_title(dataset, args.view));
    Ok((fig, summary))
}

/// The regression views: predictions, residuals, the regularisation path, the learning curve.
fn regression_figure(args: &PlotArgs, dataset: &Dataset) -> anyhow::Result<(Figure, String)> {
    use super::regress::{RegModelArg, RegressArgs};
    use crate::export::regress_plots;
    let seed = u32::try_from(args.seed).context("--seed must fit in 32 bits for the folds")?;
    let default = if args.view == PlotView::Path { RegModelArg::Lasso } else { RegModelArg::Ridge };
    let mut regress = RegressArgs::for_figure(args.data.clone(), args.regressor.unwrap_or(default), args.cv, seed);
    regress.target.clone_from(&args.target);
    regress.target_gene.clone_from(&args.target_gene);
    regress.alpha = args.regress_alpha;
    regress.mlp = args.network.clone();
    if regress.target.is_none() && regress.target_gene.is_none() {
        anyhow::bail!("--target COLUMN (a numeric annotation) or --target-gene GENE: what to predict");
    }
    if args.view == PlotView::Path
        && !matches!(regress.model, RegModelArg::Ridge | RegModelArg::Lasso | RegModelArg::Elasticnet)
    {
        anyhow::bail!("the path is drawn for --regressor lasso, ridge or elasticnet");
    }
    // The figure's dataset is already processed by the same flags, but the in-fold steps must be
    // refitted per fold: the regression opens its own copy with them taken out.
    let mut data = regress.data.clone();
    let settings = regress.settings(&mut data)?;
    let processed = data.open()?;
    if args.view == PlotView::LearningCurve {
        let problem = crate::recipes::regress::prepare(
            &processed,
            settings.target.as_ref().context("no target")?,
            &settings.validation,
            seed,
        )?;
        let model = settings.chosen_models().remove(0);
        let curve = crate::recipes::regress::learning(&settings, &problem, &model, Ctx::silent())?;
        let summary = format!("learning curve of {} predicting {}", model.name(), problem.target.label());
        return Ok((regress_plots::learning_curve("", &curve, args.r2), summary));
    }
    let regression = super::regress::evaluate_on(&processed, &settings, args.view == PlotView::Path)?;
    if let Some(path) = &regression.path {
        let fig = if args.cv_error { regress_plots::path_cv("", path) } else { regress_plots::path("", path) };
        return Ok((fig, regression.summary()));
    }
    let problem = &regression.problem;
    let (tested, (truth, predicted)): (Vec<usize>, (Vec<f64>, Vec<f64>)) =
        regression.tested().into_iter().map(|(i, t, p)| (i, (t, p))).unzip();
    // One colour unless asked (the app draws these in one colour); a legend of classes is
    // headed by the annotation's name, as the scatters' are.
    let (colours, legend) = match args.colour_by.as_deref() {
        Some(name) => {
            let (all, legend) = plots::annotation_colours(annotation(dataset, name, "--colour-by")?);
            let heading = matches!(legend, Legend::Classes(_)).then(|| Legend::Heading(name.to_owned()));
            (tested.iter().map(|&i| all[problem.samples[i]]).collect(), heading.into_iter().chain([legend]).collect())
        }
        None => (Vec::new(), Vec::new()),
    };
    let wanted: Vec<&str> =
        args.highlight.as_deref().map(|h| h.split(',').map(str::trim).collect()).unwrap_or_default();
    let highlighted: Vec<usize> =
        (0..tested.len()).filter(|&k| wanted.contains(&regression.sample_ids[tested[k]].as_str())).collect();
    let target = regression.target().to_owned();
    let mut fig = if args.view == PlotView::Predicted {
        regress_plots::predicted_vs_true("", &target, &truth, &predicted, &colours, &highlighted)
    } else {
        regress_plots::residuals("", &target, &truth, &predicted, &colours, &highlighted)
    };
    fig.legends.extend(legend);
    Ok((fig, regression.summary()))
}

/// The views that train a network: the MLP's training curves and the autoencoder.
fn network_figure(args: &PlotArgs, dataset: &Dataset) -> anyhow::Result<(Figure, String)> {
    if args.view == PlotView::TrainingCurves {
        let target = args.target.clone().context("--target COLUMN: the annotation the MLP learns to predict")?;
        let seed = u32::try_from(args.seed).context("--seed must fit in 32 bits for the folds")?;
        let mut classify = ClassifyArgs::for_figure(args.data.clone(), target, ModelArg::Mlp, args.cv, seed);
        classify.mlp = args.network.clone();
        let evaluation = super::classify::evaluate(&classify)?;
        if let Some(path) = &args.network.history_out {
            super::OutFile::create(path)?.write_with(|w| super::classify::write_history(w, &evaluation.cv))?;
        }
        let runs: Vec<&[crate::analysis::nn::EpochRecord]> =
            evaluation.cv.folds.iter().filter_map(|f| f.history.as_deref()).collect();
        let fig = plots::training_curves("", &runs, args.accuracy);
        return Ok((fig, evaluation.summary()));
    }
    let settings = args.autoencoder.settings(&args.network, args.seed)?;
    let (prepared, model) = crate::recipes::autoencoder::run(dataset, &settings, Ctx::silent(), &mut |_, _, _| {})?;
    if let Some(path) = &args.network.history_out {
        super::OutFile::create(path)?.write_with(|w| super::autoencoder::write_history(w, &model.history))?;
    }
    let summary = format!(
        "{} of {} samples ({}), {} epochs on {}, reconstruction error {:.4}",
        settings.params.name(),
        dataset.n_samples(),
        prepared.describe(settings.scale),
        model.history.len(),
        model.device,
        model.reconstruction_error(prepared.x.view())
    );
    if args.loss {
        return Ok((plots::reconstruction_curves("", &model.history), summary));
    }
    if model.code_units < 2 {
        anyhow::bail!("--code 1: a one-unit code cannot be drawn as a scatter (use --loss, or --code 2)");
    }
    let names = super::autoencoder::code_names(model.code_units, model.variational);
    let (xs, ys) = (model.code.column(0).to_vec(), model.code.column(1).to_vec());
    let labels = (names[0].clone(), names[1].clone());
    let colour = args.scatter_colour(dataset);
    let fig = scatter(dataset, (&xs, &ys), labels, colour.as_deref(), args.highlight.as_deref())?;
    Ok((fig, summary))
}

/// The single-cell views: UMAP, the marker plots and the volcano plot.
fn single_cell_figure(args: &PlotArgs, dataset: &Dataset) -> anyhow::Result<(Figure, String)> {
    let n = dataset.n_samples();
    let kind = match args.view {
        PlotView::Umap => {
            let settings = crate::recipes::umap::UmapSettings {
                graph: GraphSettings {
                    pcs: args.pcs,
                    neighbors: args.neighbors,
                    seed: args.seed,
                    ..GraphSettings::default()
                },
                params: UmapParams {
                    min_dist: args.min_dist,
                    spread: args.spread,
                    seed: args.seed,
                    ..UmapParams::default()
                },
                ..Default::default()
            };
            let (graph, layout) = crate::recipes::umap::run(dataset, &settings, Ctx::silent())?;
            let e = layout.embedding();
            let (xs, ys) = (e.column(0).to_vec(), e.column(1).to_vec());
            let labels = ("UMAP 1".to_owned(), "UMAP 2".to_owned());
            let colour = args.scatter_colour(dataset);
            let fig = scatter(dataset, (&xs, &ys), labels, colour.as_deref(), args.highlight.as_deref())?;
            return Ok((fig, format!("UMAP of {n} samples ({}-neighbour graph on {})", graph.knn.k, graph.from)));
        }
        PlotView::Volcano => {
            let spec = args.group1.as_deref().context("--group1 SET: the samples compared (COLUMN=VALUE or ids)")?;
            let first = super::de_set(dataset, spec, "--group1")?;
            let second = match &args.group2 {
                Some(spec) => super::de_set(dataset, spec, "--group2")?,
                None => first.iter().map(|&f| !f).collect(),
            };
            let c = crate::recipes::markers::compare(dataset, &first, &second, args.de_method, Ctx::silent())?;
            let fig = crate::export::marker_plots::volcano(
                "",
                &c.genes,
                &c.stats.logfoldchanges,
                &c.stats.pvals_adj,
                args.label,
                None,
            );
            let summary = format!(
                "{} samples against {}: {} genes with adjusted p < 0.05",
                c.stats.cells,
                c.n2,
                c.significant(0.05)
            );
            return Ok((fig, summary));
        }
        PlotView::Dotplot => MarkerPlot::Dotplot,
        PlotView::Matrixplot => MarkerPlot::Matrixplot,
        PlotView::Violin => MarkerPlot::Violin,
        _ => MarkerPlot::Heatmap,
    };
    let groupby = args.groupby.clone().context("--groupby COLUMN: the groups whose markers are shown")?;
    let settings = MarkerSettings {
        groupby: Some(groupby.clone()),
        method: args.marker_method,
        dendrogram: !args.no_dendrogram,
        ..MarkerSettings::default()
    };
    let markers = crate::recipes::markers::run(dataset, &settings, Ctx::silent())?;
    let plot = MarkerPlotSettings {
        kind,
        genes_per_group: args.genes_per_group,
        genes: args
            .gene_list
            .as_deref()
            .map(|l| l.split(',').map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()).collect())
            .unwrap_or_default(),
        scale_per_gene: args.scale_per_gene,
    };
    let data = crate::recipes::markers::plot_data(dataset, &markers, &plot)?;
    let fig = crate::export::marker_plots::marker_figure(&data, kind, plot.scale_per_gene, "");
    Ok((fig, format!("{} of {} genes × {} groups of '{groupby}'", kind.title(), data.genes.len(), data.rows.len())))
}

/// "iris — PCA".
pub(super) fn default_title(dataset: &Dataset, view: PlotView) -> String {
    format!("{} — {}", dataset.name, view.title())
}

/// Writes `fig` to `path` at the default size (SVG, PNG or PDF by the extension), as
/// `classify`'s figures and `biolens run` write them.
pub(super) fn write_default(fig: &Figure, path: &std::path::Path) -> anyhow::Result<()> {
    let format = FigureFormat::from_path(path)
        .with_context(|| format!("figures must end in .svg, .png or .pdf: {}", path.display()))?;
    let bytes = render(fig, &DEFAULT_SIZE, &Style::for_size(DEFAULT_SIZE.pixels()), format)?;
    OutFile::create(path)?.write_with(|w| w.write_all(&bytes))
}

pub(super) fn run(args: &PlotArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let format = FigureFormat::from_path(&args.out)
        .with_context(|| format!("--out must end in .svg, .png or .pdf: {}", args.out.display()))?;
    if !(args.width > 0.0 && args.height > 0.0 && args.dpi > 0.0) {
        anyhow::bail!("--width, --height and --dpi must be positive");
    }
    let file = OutFile::create(&args.out)?;
    let dataset = args.data.open()?;
    let (fig, summary) = figure(args, &dataset)?;
    let size = args.size();
    let bytes = render(&fig, &size, &args.style(), format)?;
    file.write_with(|w| w.write_all(&bytes))?;
    let pixels = size.pixels();
    if format == FigureFormat::Pdf {
        let (w, h) = size.points();
        writeln!(out, "{summary}: {w:.1} × {h:.1} pt PDF page written to {}", args.out.display())?;
    } else {
        writeln!(out, "{summary}: {} × {} px figure written to {}", pixels.0, pixels.1, args.out.display())?;
    }
    Ok(())
}
