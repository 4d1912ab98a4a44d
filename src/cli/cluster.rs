//! `biolens cluster`: hierarchical clustering with `SciPy`'s linkage layout, k-means and DBSCAN,
//! of a matrix's samples or of a precomputed distance matrix (`--distances`).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{ArgGroup, Args, ValueEnum};

use super::{DataArgs, OutFile};
use crate::analysis::clustering::dbscan::{DbscanParams, dbscan};
use crate::analysis::clustering::hierarchical::{Method, cophenetic_correlation};
use crate::analysis::clustering::kmeans::KMeansParams;
use crate::analysis::distance::Metric;
use crate::data::io::distance_matrix::{DistanceMatrix, read_distance_matrix};
use crate::export;
use crate::recipes::Ctx;
use crate::recipes::clusters::{self as recipe, ClusterSettings};

/// `biolens cluster`.
#[derive(Debug, Args)]
// The matrix is one of two inputs here: it or `--distances`, exactly one.
#[command(mut_arg("matrix", |a| a.required(false)))]
#[command(group(ArgGroup::new("input").required(true).args(["matrix", "distances"])))]
pub struct ClusterArgs {
    /// Loading and preprocessing.
    #[command(flatten)]
    pub data: DataArgs,
    /// Cluster a precomputed square distance matrix instead of MATRIX: a CSV with the ids as the
    /// header row and the first column, as `biolens distances --out` writes it (hierarchical
    /// methods and DBSCAN; Ward, centroid and median take the distances to be Euclidean).
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "metric", "annotations", "genes_in_rows", "samples_in_rows", "missing", "subset", "cpm", "log2", "ln",
        "drop_constant", "top_genes", "scale", "pipeline", "subsample",
    ])]
    pub distances: Option<PathBuf>,
    /// A linkage method (hierarchical), kmeans or dbscan.
    #[arg(long, value_enum)]
    pub method: ClusterMethodArg,
    /// The distance between samples (hierarchical and DBSCAN; k-means is Euclidean). Ward,
    /// centroid and median need Euclidean, as in `SciPy`.
    #[arg(long, value_enum, default_value_t = ClusterSettings::default().metric)]
    pub metric: Metric,
    /// Write the merges as CSV in `SciPy`'s linkage layout: left,right,height,size (samples are
    /// 0..n−1, merge k makes cluster n + k).
    #[arg(long, value_name = "FILE")]
    pub linkage_out: Option<PathBuf>,
    /// Write the cophenetic distances (the height at which each pair first joins) as a square CSV
    /// like `distances` writes (`SciPy`'s `squareform(cophenet(Z))`); the summary adds the
    /// cophenetic correlation.
    #[arg(long, value_name = "FILE")]
    pub cophenetic_out: Option<PathBuf>,
    /// Clusters: where to cut the tree (hierarchical), or k (k-means).
    #[arg(long)]
    pub k: Option<usize>,
    /// Cut the tree at this height instead (hierarchical): `SciPy`'s `fcluster(Z, H,
    /// criterion="distance")`, no cluster with a cophenetic distance above H.
    #[arg(long, value_name = "H", conflicts_with = "k")]
    pub height: Option<f64>,
    /// Write the labels: one row per sample, its id and cluster (clusters from 0; −1 is DBSCAN noise).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// k-means random seed.
    #[arg(long, default_value_t = KMeansParams::default().seed)]
    pub seed: u64,
    /// k-means seedings (the lowest inertia wins).
    #[arg(long, default_value_t = KMeansParams::default().n_init)]
    pub n_init: usize,
    /// k-means iterations per seeding.
    #[arg(long, default_value_t = KMeansParams::default().max_iter)]
    pub max_iter: usize,
    /// DBSCAN neighbourhood radius.
    #[arg(long)]
    pub eps: Option<f64>,
    /// DBSCAN samples within eps (itself included) that make a core sample.
    #[arg(long, default_value_t = DbscanParams::default().min_samples)]
    pub min_samples: usize,
    /// Leiden/Louvain: the neighbour graph.
    #[command(flatten)]
    pub graph: super::GraphArgs,
    /// Leiden/Louvain: resolution (higher: more clusters).
    #[arg(long, default_value_t = crate::analysis::leiden::LeidenParams::default().resolution)]
    pub resolution: f64,
    /// Leiden: runs, each from the last partition (scanpy: 2).
    #[arg(long, default_value_t = crate::analysis::leiden::LeidenParams::default().iterations)]
    pub iterations: usize,
    /// Leiden/Louvain: the quality maximised.
    #[arg(long, value_enum, default_value_t = crate::analysis::leiden::LeidenParams::default().objective)]
    pub objective: crate::analysis::leiden::Objective,
}

/// `--method` values of `cluster`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClusterMethodArg {
    /// Nearest pair (hierarchical).
    Single,
    /// Farthest pair (hierarchical).
    Complete,
    /// Mean over pairs, UPGMA (hierarchical).
    Average,
    /// WPGMA (hierarchical).
    Weighted,
    /// Ward's minimum variance (hierarchical, Euclidean).
    Ward,
    /// Centroid distance (hierarchical, Euclidean).
    Centroid,
    /// Median (hierarchical, Euclidean).
    Median,
    /// k-means (k-means++ seeding).
    Kmeans,
    /// DBSCAN.
    Dbscan,
    /// Leiden on the neighbour graph (scanpy's `sc.tl.leiden`).
    Leiden,
    /// Louvain on the neighbour graph.
    Louvain,
}

impl ClusterMethodArg {
    /// The value of a linkage method.
    pub fn of(method: Method) -> Self {
        match method {
            Method::Single => Self::Single,
            Method::Complete => Self::Complete,
            Method::Average => Self::Average,
            Method::Weighted => Self::Weighted,
            Method::Ward => Self::Ward,
            Method::Centroid => Self::Centroid,
            Method::Median => Self::Median,
        }
    }

    pub(super) fn linkage(self) -> Option<Method> {
        Some(match self {
            Self::Single => Method::Single,
            Self::Complete => Method::Complete,
            Self::Average => Method::Average,
            Self::Weighted => Method::Weighted,
            Self::Ward => Method::Ward,
            Self::Centroid => Method::Centroid,
            Self::Median => Method::Median,
            Self::Kmeans | Self::Dbscan | Self::Leiden | Self::Louvain => return None,
        })
    }
}

/// Leiden or Louvain on the UMAP connectivities of the exact k-NN in the principal components
/// (or a stored embedding): the labels and the summary.
fn graph_clusters(
    args: &ClusterArgs,
    dataset: &crate::data::Dataset,
) -> anyhow::Result<(Option<Vec<Option<usize>>>, String)> {
    let settings = args.graph.settings(args.seed);
    let community = crate::recipes::clusters::CommunitySettings {
        resolution: args.resolution,
        iterations: args.iterations,
        objective: args.objective,
        seed: args.seed,
    };
    let refine = args.method == ClusterMethodArg::Leiden;
    let c = crate::recipes::clusters::communities(dataset, &settings, &community, refine, Ctx::silent())?;
    let summary = format!(
        "{} (resolution {}) on the {} of {} samples: {} clusters, modularity {:.4} \
         (graph {:.2} s, clustering {:.2} s)",
        if refine { "Leiden" } else { "Louvain" },
        args.resolution,
        c.graph,
        dataset.n_samples(),
        c.clusters,
        c.modularity,
        c.seconds_graph,
        c.seconds_clustering
    );
    Ok((Some(c.labels.iter().map(|&c| Some(c)).collect()), summary))
}

/// What is clustered: a matrix's samples, or the items of a distance matrix file.
enum Input {
    Matrix(Box<crate::data::Dataset>),
    Distances(DistanceMatrix),
}

impl Input {
    fn ids(&self) -> &[String] {
        match self {
            Self::Matrix(dataset) => dataset.sample_ids(),
            Self::Distances(d) => &d.ids,
        }
    }

    /// The condensed distances between the items for an analysis needing `rule`: computed
    /// from the matrix, or moved out of the file's (call once).
    fn take_condensed(&mut self, rule: crate::memory::MemoryRule, metric: Metric) -> anyhow::Result<Vec<f64>> {
        Ok(match self {
            Self::Matrix(dataset) => recipe::distances_for(rule, dataset.dense()?.view(), metric, Ctx::silent())?,
            Self::Distances(d) => std::mem::take(&mut d.condensed),
        })
    }

    /// "Euclidean" or "precomputed distances", for the summary.
    fn distance_label(&self, metric: Metric) -> String {
        match self {
            Self::Matrix(_) => metric.label().to_owned(),
            Self::Distances(_) => "precomputed distances".to_owned(),
        }
    }
}

/// Refuses flag combinations that cannot work, before any file is created or read.
fn check_flags(args: &ClusterArgs, metric: Metric) -> anyhow::Result<()> {
    let precomputed = args.distances.is_some();
    let Some(method) = args.method.linkage() else {
        let name = match args.method {
            ClusterMethodArg::Kmeans => "k-means",
            ClusterMethodArg::Dbscan => "DBSCAN",
            _ => "Leiden and Louvain",
        };
        if args.linkage_out.is_some() || args.cophenetic_out.is_some() || args.height.is_some() {
            anyhow::bail!("--linkage-out, --cophenetic-out and --height are for the hierarchical methods, not {name}");
        }
        if args.out.is_none() {
            anyhow::bail!("give --out FILE for the cluster labels");
        }
        if matches!(args.method, ClusterMethodArg::Leiden | ClusterMethodArg::Louvain) && precomputed {
            anyhow::bail!("Leiden and Louvain find neighbours in the matrix's principal components: give the matrix");
        }
        if args.method == ClusterMethodArg::Kmeans && precomputed {
            anyhow::bail!(
                "k-means needs the samples' coordinates, not their distances: give the matrix instead of \
                 --distances, or use a hierarchical method or DBSCAN"
            );
        }
        return Ok(());
    };
    if !precomputed {
        recipe::checked_tree_metric(method, metric).map_err(|e| anyhow::anyhow!("{e}; drop --metric"))?;
    }
    if args.linkage_out.is_none() && args.cophenetic_out.is_none() && args.out.is_none() {
        anyhow::bail!(
            "nothing to write: give --linkage-out FILE, --cophenetic-out FILE and/or --k K (or --height H) --out FILE"
        );
    }
    if args.out.is_some() && args.k.is_none() && args.height.is_none() {
        anyhow::bail!("--out needs --k or --height: where to cut the tree (into K clusters, or at height H)");
    }
    Ok(())
}

pub(super) fn run(args: &ClusterArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let metric = args.metric;
    check_flags(args, metric)?;
    let labels_file = args.out.as_deref().map(OutFile::create).transpose()?;
    let linkage_file = args.linkage_out.as_deref().map(OutFile::create).transpose()?;
    let cophenetic_file = args.cophenetic_out.as_deref().map(OutFile::create).transpose()?;
    let mut input = match &args.distances {
        Some(path) => Input::Distances(read_distance_matrix(path)?),
        None => Input::Matrix(Box::new(args.data.open()?)),
    };
    let n = input.ids().len();
    let started = std::time::Instant::now();
    let (clusters, summary): (Option<Vec<Option<usize>>>, String) = match args.method {
        ClusterMethodArg::Leiden | ClusterMethodArg::Louvain => {
            let Input::Matrix(dataset) = &input else { anyhow::bail!("Leiden needs the matrix") };
            graph_clusters(args, dataset)?
        }
        ClusterMethodArg::Kmeans => {
            let Input::Matrix(dataset) = &input else { anyhow::bail!("k-means needs the matrix") };
            let k = args.k.context("k-means needs --k")?;
            let params = KMeansParams {
                k,
                n_init: args.n_init,
                max_iter: args.max_iter,
                seed: args.seed,
                ..KMeansParams::default()
            };
            let fit = recipe::kmeans_fit(dataset.dense()?.view(), &params, Ctx::silent())?;
            let summary = format!("k-means, k = {k}, of {n} samples: inertia {:.6}", fit.inertia);
            (Some(fit.labels.into_iter().map(Some).collect()), summary)
        }
        ClusterMethodArg::Dbscan => {
            let eps = args.eps.context("DBSCAN needs --eps (see the k-distance plot in the app)")?;
            let condensed = input.take_condensed(recipe::DBSCAN_MEMORY, metric)?;
            let labels = dbscan(&condensed, n, DbscanParams { eps, min_samples: args.min_samples });
            let clusters = labels.iter().flatten().max().map_or(0, |m| m + 1);
            let noise = labels.iter().filter(|l| l.is_none()).count();
            let summary = format!(
                "DBSCAN (eps {eps}, min_samples {}, {}) of {n} samples: {clusters} clusters, {noise} noise",
                args.min_samples,
                input.distance_label(metric)
            );
            (Some(labels), summary)
        }
        other => {
            let method = other.linkage().context("a linkage method")?;
            if method.requires_euclidean() && matches!(input, Input::Distances(_)) {
                eprintln!(
                    "note: {} linkage takes the precomputed distances to be Euclidean (as SciPy does); on \
                     other distances its heights mean nothing geometric",
                    method.name()
                );
            }
            let rule = if cophenetic_file.is_some() { recipe::COPHENETIC_MEMORY } else { recipe::TREE_MEMORY };
            let condensed = input.take_condensed(rule, metric)?;
            // The cophenetic correlation compares with the distances, which linkage overwrites.
            let original = cophenetic_file.is_some().then(|| condensed.clone());
            let tree = recipe::tree_of_distances(condensed, n, method, Ctx::silent())?;
            if let Some(file) = linkage_file {
                file.write_with(|w| export::csv::write_merges(w, &tree.merges))?;
            }
            // Centroid and median trees can invert: the top is the highest merge, not the last.
            let top = tree.merges.iter().map(|m| m.height).fold(0.0, f64::max);
            let mut summary = format!(
                "{} linkage ({}) of {n} samples: {} merges, top height {top}",
                method.name(),
                input.distance_label(metric),
                tree.merges.len()
            );
            if let (Some(file), Some(original)) = (cophenetic_file, original) {
                let cophenetic = tree.cophenetic();
                let r = cophenetic_correlation(&original, &cophenetic);
                file.write_with(|w| export::csv::write_condensed_square(w, "sample_id", input.ids(), &cophenetic))?;
                write!(summary, ", cophenetic correlation {r}")?;
            }
            let labels = match (args.k, args.height) {
                (Some(k), _) => Some(tree.cut_k(k)),
                (None, Some(h)) => {
                    let labels = tree.cut_height(h);
                    let clusters = labels.iter().max().map_or(0, |m| m + 1);
                    write!(summary, ", cut at height {h}: {clusters} clusters")?;
                    Some(labels)
                }
                (None, None) => None,
            };
            (labels.map(|l| l.into_iter().map(Some).collect()), summary)
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    if let (Some(file), Some(clusters)) = (labels_file, &clusters) {
        file.write_with(|w| export::csv::write_labels(w, input.ids(), clusters))?;
    }
    writeln!(out, "{summary} ({seconds:.2} s)")?;
    Ok(())
}
