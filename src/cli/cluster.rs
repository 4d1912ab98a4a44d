//! `biolens cluster`: hierarchical clustering with `SciPy`'s linkage layout, k-means and DBSCAN.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::{DataArgs, DistanceMetricArg, OutFile};
use crate::analysis::clustering::dbscan::{DbscanParams, dbscan};
use crate::analysis::clustering::hierarchical::{Method, linkage};
use crate::analysis::clustering::kmeans::{KMeansParams, kmeans};
use crate::analysis::distance::{self, Between, Metric};
use crate::export;

/// `biolens cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Loading and preprocessing.
    #[command(flatten)]
    pub data: DataArgs,
    /// A linkage method (hierarchical), kmeans or dbscan.
    #[arg(long, value_enum)]
    pub method: ClusterMethodArg,
    /// The distance between samples (hierarchical and DBSCAN; k-means is Euclidean). Ward,
    /// centroid and median need Euclidean, as in `SciPy`.
    #[arg(long, value_enum, default_value_t = DistanceMetricArg::Euclidean)]
    pub metric: DistanceMetricArg,
    /// Write the merges as CSV in `SciPy`'s linkage layout: left,right,height,size (samples are
    /// 0..n−1, merge k makes cluster n + k).
    #[arg(long, value_name = "FILE")]
    pub linkage_out: Option<PathBuf>,
    /// Clusters: where to cut the tree (hierarchical), or k (k-means).
    #[arg(long)]
    pub k: Option<usize>,
    /// Write the labels: one row per sample, its id and cluster (clusters from 0; −1 is DBSCAN noise).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// k-means random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// k-means seedings (the lowest inertia wins).
    #[arg(long, default_value_t = 10)]
    pub n_init: usize,
    /// k-means iterations per seeding.
    #[arg(long, default_value_t = 300)]
    pub max_iter: usize,
    /// DBSCAN neighbourhood radius.
    #[arg(long)]
    pub eps: Option<f64>,
    /// DBSCAN samples within eps (itself included) that make a core sample.
    #[arg(long, default_value_t = 5)]
    pub min_samples: usize,
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
}

impl ClusterMethodArg {
    pub(super) fn linkage(self) -> Option<Method> {
        Some(match self {
            Self::Single => Method::Single,
            Self::Complete => Method::Complete,
            Self::Average => Method::Average,
            Self::Weighted => Method::Weighted,
            Self::Ward => Method::Ward,
            Self::Centroid => Method::Centroid,
            Self::Median => Method::Median,
            Self::Kmeans | Self::Dbscan => return None,
        })
    }
}

pub(super) fn run(args: &ClusterArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let metric: Metric = args.metric.into();
    let labels_file = args.out.as_deref().map(OutFile::create).transpose()?;
    let linkage_file = args.linkage_out.as_deref().map(OutFile::create).transpose()?;
    match args.method.linkage() {
        Some(method) => {
            if method.requires_euclidean() && metric != Metric::Euclidean {
                anyhow::bail!("{} linkage needs Euclidean distances (as in SciPy); drop --metric", method.name());
            }
            if linkage_file.is_none() && labels_file.is_none() {
                anyhow::bail!("nothing to write: give --linkage-out FILE and/or --k K --out FILE");
            }
            if labels_file.is_some() && args.k.is_none() {
                anyhow::bail!("--out needs --k: the number of clusters to cut the tree into");
            }
        }
        None if args.linkage_out.is_some() => anyhow::bail!("--linkage-out is for the hierarchical methods"),
        None if labels_file.is_none() => anyhow::bail!("give --out FILE for the cluster labels"),
        None => {}
    }
    let dataset = args.data.open()?;
    let x = dataset.matrix();
    let n = x.nrows();
    let started = std::time::Instant::now();
    let (clusters, summary): (Option<Vec<Option<usize>>>, String) = match args.method {
        ClusterMethodArg::Kmeans => {
            let k = args.k.context("k-means needs --k")?;
            let params = KMeansParams {
                k,
                n_init: args.n_init,
                max_iter: args.max_iter,
                seed: args.seed,
                ..KMeansParams::default()
            };
            let fit = kmeans(x.view(), &params, None)?;
            let summary = format!("k-means, k = {k}, of {n} samples: inertia {:.6}", fit.inertia);
            (Some(fit.labels.into_iter().map(Some).collect()), summary)
        }
        ClusterMethodArg::Dbscan => {
            let eps = args.eps.context("DBSCAN needs --eps (see the k-distance plot in the app)")?;
            let condensed = distance::condensed(x.view(), Between::Samples, metric, None, &mut |_| {})?;
            let labels = dbscan(&condensed, n, DbscanParams { eps, min_samples: args.min_samples });
            let clusters = labels.iter().flatten().max().map_or(0, |m| m + 1);
            let noise = labels.iter().filter(|l| l.is_none()).count();
            let summary = format!(
                "DBSCAN (eps {eps}, min_samples {}) of {n} samples: {clusters} clusters, {noise} noise",
                args.min_samples
            );
            (Some(labels), summary)
        }
        other => {
            let method = other.linkage().context("a linkage method")?;
            let mut condensed = distance::condensed(x.view(), Between::Samples, metric, None, &mut |_| {})?;
            let tree = linkage(&mut condensed, n, method)?;
            drop(condensed);
            if let Some(file) = linkage_file {
                file.write_with(|w| export::csv::write_merges(w, &tree.merges))?;
            }
            // Centroid and median trees can invert: the top is the highest merge, not the last.
            let top = tree.merges.iter().map(|m| m.height).fold(0.0, f64::max);
            let summary = format!(
                "{} linkage ({}) of {n} samples: {} merges, top height {top}",
                method.name(),
                metric.label(),
                tree.merges.len()
            );
            (args.k.map(|k| tree.cut_k(k).into_iter().map(Some).collect()), summary)
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    if let (Some(file), Some(clusters)) = (labels_file, &clusters) {
        file.write_with(|w| export::csv::write_labels(w, dataset.sample_ids(), clusters))?;
    }
    writeln!(out, "{summary} ({seconds:.2} s)")?;
    Ok(())
}
