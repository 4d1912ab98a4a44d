//! Clustering: hierarchical (the whole merge tree, `SciPy`'s linkage), k-means with its elbow
//! curve, DBSCAN with its k-distance curve, and silhouettes of any labels.
//!
//! The rule that Ward, centroid and median linkage need Euclidean distances (as in `SciPy`)
//! lives here, in [`tree_metric`] and [`checked_tree_metric`].

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::{Ctx, RecipeError};
use crate::analysis::clustering::dbscan::{DbscanParams, dbscan, k_distances};
use crate::analysis::clustering::hierarchical::{Method, Tree, linkage};
use crate::analysis::clustering::kmeans::{KMeans, KMeansParams, elbow, kmeans};
use crate::analysis::clustering::quality::silhouette;
use crate::analysis::distance::{self, Between, Metric};
use crate::memory::{MemoryRule, condensed_bytes, matrix_bytes};

/// The clustering method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterMethod {
    /// Agglomerative.
    #[default]
    Hierarchical,
    /// k-means.
    KMeans,
    /// DBSCAN.
    Dbscan,
    /// Leiden on the neighbour graph (scanpy's `sc.tl.leiden`).
    Leiden,
    /// Louvain on the neighbour graph (Leiden without refinement).
    Louvain,
}

impl ClusterMethod {
    /// The annotation its labels are published as (scanpy's keys for the graph methods, which
    /// the UMAP view's Leiden button shares).
    pub fn annotation_name(self) -> &'static str {
        match self {
            Self::Hierarchical => "hierarchical clusters",
            Self::KMeans => "k-means clusters",
            Self::Dbscan => "DBSCAN clusters",
            Self::Leiden => "leiden",
            Self::Louvain => "louvain",
        }
    }

    /// True for the methods on the neighbour graph.
    pub fn is_graph(self) -> bool {
        matches!(self, Self::Leiden | Self::Louvain)
    }
}

/// Leiden and Louvain settings (the graph they run on is [`ClusterSettings::graph`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommunitySettings {
    /// γ: larger gives more, smaller clusters.
    pub resolution: f64,
    /// Runs, each from the previous partition (scanpy: 2).
    pub iterations: usize,
    /// Modularity (scanpy's default) or the Constant Potts Model.
    pub objective: crate::analysis::leiden::Objective,
    /// The seed (of the moves, and of the approximate neighbours).
    pub seed: u64,
}

impl Default for CommunitySettings {
    fn default() -> Self {
        let p = crate::analysis::leiden::LeidenParams::default();
        Self { resolution: p.resolution, iterations: p.iterations, objective: p.objective, seed: p.seed }
    }
}

/// Leiden's or Louvain's clusters and what they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Communities {
    /// Cluster of each sample (largest first).
    pub labels: Vec<usize>,
    /// Clusters.
    pub clusters: usize,
    /// Modularity of the partition (γ = 1).
    pub modularity: f64,
    /// "15-neighbour graph (exact) in 50 principal components".
    pub graph: String,
    /// Seconds building the graph.
    pub seconds_graph: f64,
    /// Seconds clustering it.
    pub seconds_clustering: f64,
}

/// Leiden (`refine`) or Louvain on the neighbour graph of `dataset` (built as `graph` says,
/// seeded by the clustering's seed).
pub fn communities(
    dataset: &crate::data::Dataset,
    graph: &super::neighbors::GraphSettings,
    settings: &CommunitySettings,
    refine: bool,
    ctx: Ctx<'_>,
) -> Result<Communities, RecipeError> {
    let graph = community_graph(graph, settings);
    let started = std::time::Instant::now();
    let built = super::neighbors::build(dataset, &graph, ctx)?;
    let seconds_graph = started.elapsed().as_secs_f64();
    partition(&built, settings, refine, seconds_graph, ctx)
}

/// The graph settings Leiden and Louvain use: `graph`, seeded by the clustering's seed.
pub fn community_graph(
    graph: &super::neighbors::GraphSettings,
    settings: &CommunitySettings,
) -> super::neighbors::GraphSettings {
    super::neighbors::GraphSettings { seed: settings.seed, ..graph.clone() }
}

/// Leiden (`refine`) or Louvain on a built graph (`seconds_graph`: what building it took).
pub fn partition(
    built: &super::neighbors::Graph,
    settings: &CommunitySettings,
    refine: bool,
    seconds_graph: f64,
    ctx: Ctx<'_>,
) -> Result<Communities, RecipeError> {
    let started = std::time::Instant::now();
    ctx.progress(None, if refine { "Leiden" } else { "Louvain" });
    let params = crate::analysis::leiden::LeidenParams {
        resolution: settings.resolution,
        iterations: settings.iterations,
        seed: settings.seed,
        objective: settings.objective,
        refine,
        ..crate::analysis::leiden::LeidenParams::default()
    };
    let token = ctx.cancel_token();
    let cancelled = || token.is_some_and(crate::jobs::CancelToken::is_cancelled);
    let partition =
        crate::analysis::leiden::leiden(&built.connectivities, params, &cancelled).ok_or(RecipeError::Cancelled)?;
    Ok(Communities {
        labels: partition.membership.iter().map(|&c| c as usize).collect(),
        clusters: partition.clusters,
        modularity: partition.modularity,
        graph: format!(
            "{}-neighbour graph ({}) in {}",
            built.knn.k,
            if built.approximate { "approximate" } else { "exact" },
            built.from
        ),
        seconds_graph,
        seconds_clustering: started.elapsed().as_secs_f64(),
    })
}

/// Clustering settings (the Clusters view, sessions, `biolens cluster`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterSettings {
    /// The method.
    pub method: ClusterMethod,
    /// The linkage (hierarchical).
    pub linkage: Method,
    /// The distance (hierarchical and DBSCAN; k-means is Euclidean).
    pub metric: Metric,
    /// Clusters of the cut (hierarchical).
    pub k: usize,
    /// The cut height, when set (hierarchical; else `k`).
    pub cut: Option<f64>,
    /// k-means, its seed included.
    pub kmeans: KMeansParams,
    /// The elbow runs k = 1 up to this.
    pub elbow_max: usize,
    /// DBSCAN.
    pub dbscan: DbscanParams,
    /// The annotation compared with (`None`: the first categorical annotation that is not a
    /// clustering's own; empty: none).
    pub compare: Option<String>,
    /// The neighbour graph of Leiden and Louvain.
    pub graph: super::neighbors::GraphSettings,
    /// Leiden and Louvain.
    pub communities: CommunitySettings,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        Self {
            method: ClusterMethod::default(),
            linkage: Method::Average,
            metric: Metric::Euclidean,
            k: 3,
            cut: None,
            kmeans: KMeansParams::default(),
            elbow_max: 10,
            dbscan: DbscanParams::default(),
            compare: None,
            graph: super::neighbors::GraphSettings::default(),
            communities: CommunitySettings::default(),
        }
    }
}

impl ClusterSettings {
    /// The annotation the clusters are compared with (its strip under the dendrogram, its
    /// contingency table): the chosen one, else the first categorical annotation that is not
    /// the clusters of one of the methods here.
    pub fn compare_name(&self, dataset: &crate::data::Dataset) -> Option<String> {
        let ours = [
            ClusterMethod::Hierarchical,
            ClusterMethod::KMeans,
            ClusterMethod::Dbscan,
            ClusterMethod::Leiden,
            ClusterMethod::Louvain,
        ]
        .map(ClusterMethod::annotation_name);
        super::chosen_annotation(self.compare.as_deref(), dataset, || {
            dataset
                .annotations()
                .iter()
                .find(|a| {
                    matches!(a.values, crate::data::annotations::AnnotationValues::Categorical { .. })
                        && !ours.contains(&a.name.as_str())
                })
                .map(|a| a.name.clone())
        })
    }

    /// The distance the method really uses (k-means and the Euclidean-only linkages: Euclidean).
    pub fn effective_metric(&self) -> Metric {
        match self.method {
            ClusterMethod::Hierarchical => tree_metric(self.linkage, self.metric),
            ClusterMethod::KMeans | ClusterMethod::Leiden | ClusterMethod::Louvain => Metric::Euclidean,
            ClusterMethod::Dbscan => self.metric,
        }
    }

    /// What the method needs in memory.
    pub fn memory(&self) -> MemoryRule {
        match self.method {
            ClusterMethod::Hierarchical => TREE_MEMORY,
            ClusterMethod::KMeans => KMEANS_MEMORY,
            ClusterMethod::Dbscan => DBSCAN_MEMORY,
            ClusterMethod::Leiden | ClusterMethod::Louvain => GRAPH_MEMORY,
        }
    }

    /// The labels of a finished run: the tree cut (at the height if set, else into `k`).
    pub fn cut(&self, tree: &Tree) -> Vec<usize> {
        match self.cut {
            Some(height) => tree.cut_height(height),
            None => tree.cut_k(self.k),
        }
    }
}

/// The distance a linkage uses: Euclidean for Ward, centroid and median (`SciPy`'s rule), else
/// the one asked for.
pub fn tree_metric(method: Method, asked: Metric) -> Metric {
    if method.requires_euclidean() { Metric::Euclidean } else { asked }
}

/// [`tree_metric`], but an error when the metric asked for would be replaced (the command line
/// says so rather than silently use another distance).
pub fn checked_tree_metric(method: Method, asked: Metric) -> Result<Metric, RecipeError> {
    let metric = tree_metric(method, asked);
    if metric == asked {
        Ok(metric)
    } else {
        Err(RecipeError::Invalid(format!(
            "{} linkage needs Euclidean distances (as in SciPy), not {}",
            method.name(),
            asked.label()
        )))
    }
}

/// The condensed distances (n(n−1)/2 f64) and the tree's bookkeeping.
pub const TREE_MEMORY: MemoryRule = MemoryRule {
    what: "hierarchical clustering",
    bytes: |n, genes| condensed_bytes(n) + matrix_bytes(n, genes) + 64 * n as u128,
};

/// The tree with its cophenetic distances and their correlation with the distances: three
/// condensed matrices at once.
pub const COPHENETIC_MEMORY: MemoryRule = MemoryRule {
    what: "hierarchical clustering with cophenetic distances",
    bytes: |n, genes| TREE_MEMORY.need(n, genes) + 2 * condensed_bytes(n),
};

/// The condensed distances and the neighbour lists.
pub const DBSCAN_MEMORY: MemoryRule =
    MemoryRule { what: "DBSCAN", bytes: |n, genes| condensed_bytes(n) + matrix_bytes(n, genes) + 64 * n as u128 };

/// Leiden and Louvain: the principal components, the neighbours and the graph (linear in n).
pub const GRAPH_MEMORY: MemoryRule =
    MemoryRule { what: "the neighbour graph", bytes: |n, genes| matrix_bytes(n, 50.min(genes)) * 2 + 400 * n as u128 };

/// Silhouettes need every pairwise distance.
pub const SILHOUETTE_MEMORY: MemoryRule =
    MemoryRule { what: "silhouettes", bytes: |n, genes| condensed_bytes(n) + matrix_bytes(n, genes) };

/// Silhouettes are computed up to this many samples: beyond, the n² loop takes minutes.
pub const MAX_SILHOUETTE: usize = 10_000;

/// k-means: a copy of the data, the centres and the labels.
pub const KMEANS_MEMORY: MemoryRule =
    MemoryRule { what: "k-means", bytes: |n, genes| 2 * matrix_bytes(n, genes) + 16 * n as u128 };

fn too_few(n: usize) -> Result<(), RecipeError> {
    if n < 2 {
        return Err(RecipeError::Invalid(format!("clustering needs at least 2 samples ({n} here)")));
    }
    Ok(())
}

/// The condensed distances between the samples of `x` once `rule` allows them, with progress
/// scaled into `0..share`: the one path every clustering's distances take.
fn checked_distances(
    rule: MemoryRule,
    x: ArrayView2<'_, f64>,
    metric: Metric,
    share: f32,
    ctx: Ctx<'_>,
) -> Result<Vec<f64>, RecipeError> {
    too_few(x.nrows())?;
    rule.check(x.nrows(), x.ncols())?;
    Ok(distance::condensed(x, Between::Samples, metric, ctx.cancel_token(), &mut |f| {
        ctx.progress(Some(f * share), "Computing distances");
    })?)
}

/// The condensed distances between the samples of `x` for an analysis whose memory `rule`
/// is checked first (hierarchical clustering, DBSCAN, silhouettes).
pub fn distances_for(
    rule: MemoryRule,
    x: ArrayView2<'_, f64>,
    metric: Metric,
    ctx: Ctx<'_>,
) -> Result<Vec<f64>, RecipeError> {
    checked_distances(rule, x, metric, 1.0, ctx)
}

/// The merge tree of the rows of `x` (samples × genes) by `method` on `metric` (replaced by
/// Euclidean where the method needs it: [`tree_metric`]).
pub fn tree(x: ArrayView2<'_, f64>, method: Method, metric: Metric, ctx: Ctx<'_>) -> Result<Tree, RecipeError> {
    let d = checked_distances(TREE_MEMORY, x, tree_metric(method, metric), 0.6, ctx)?;
    ctx.progress(Some(0.6), &format!("{} linkage", method.name()));
    tree_of_distances(d, x.nrows(), method, ctx)
}

/// The tree of items whose distances are given (condensed; `SciPy`'s `linkage(y)`).
pub fn tree_of_distances(mut condensed: Vec<f64>, n: usize, method: Method, ctx: Ctx<'_>) -> Result<Tree, RecipeError> {
    too_few(n)?;
    linkage(&mut condensed, n, method).map_err(|e| ctx.failed(e))
}

/// k-means, and the elbow curve for k = 1 ..= max(`elbow_max`, k) (capped at the samples).
pub fn kmeans_with_elbow(
    x: ArrayView2<'_, f64>,
    params: &KMeansParams,
    elbow_max: usize,
    ctx: Ctx<'_>,
) -> Result<(KMeans, Vec<(usize, f64)>), RecipeError> {
    let fit = kmeans_fit(x, params, ctx)?;
    let ks: Vec<usize> = (1..=elbow_max.max(params.k).min(x.nrows())).collect();
    let curve = elbow(x, &ks, params, ctx.cancel_token(), &mut |f| ctx.progress(Some(f), "Elbow curve"))
        .map_err(|e| ctx.failed(e))?;
    Ok((fit, curve))
}

/// k-means alone.
pub fn kmeans_fit(x: ArrayView2<'_, f64>, params: &KMeansParams, ctx: Ctx<'_>) -> Result<KMeans, RecipeError> {
    KMEANS_MEMORY.check(x.nrows(), x.ncols())?;
    ctx.progress(Some(0.0), "k-means");
    kmeans(x, params, ctx.cancel_token()).map_err(|e| ctx.failed(e))
}

/// The elbow curve alone, for k = 1 ..= `max_k` (capped at the samples).
pub fn elbow_curve(
    x: ArrayView2<'_, f64>,
    params: &KMeansParams,
    max_k: usize,
    ctx: Ctx<'_>,
) -> Result<Vec<(usize, f64)>, RecipeError> {
    KMEANS_MEMORY.check(x.nrows(), x.ncols())?;
    let ks: Vec<usize> = (1..=max_k.min(x.nrows())).collect();
    elbow(x, &ks, params, ctx.cancel_token(), &mut |f| ctx.progress(Some(f), "Elbow curve")).map_err(|e| ctx.failed(e))
}

/// DBSCAN labels (`None`: noise) and the sorted k-distance curve (k = `min_samples` − 1).
pub fn dbscan_with_curve(
    x: ArrayView2<'_, f64>,
    params: DbscanParams,
    metric: Metric,
    ctx: Ctx<'_>,
) -> Result<(Vec<Option<usize>>, Vec<f64>), RecipeError> {
    let n = x.nrows();
    let d = checked_distances(DBSCAN_MEMORY, x, metric, 0.7, ctx)?;
    ctx.check()?;
    ctx.progress(Some(0.7), "DBSCAN");
    let labels = dbscan(&d, n, params);
    ctx.check()?;
    let curve = k_distances(&d, n, params.min_samples.saturating_sub(1).max(1));
    Ok((labels, curve))
}

/// DBSCAN labels alone (`None`: noise), without the k-distance curve.
pub fn dbscan_labels(
    x: ArrayView2<'_, f64>,
    params: DbscanParams,
    metric: Metric,
    ctx: Ctx<'_>,
) -> Result<Vec<Option<usize>>, RecipeError> {
    let d = distances_for(DBSCAN_MEMORY, x, metric, ctx)?;
    Ok(dbscan(&d, x.nrows(), params))
}

/// `Ok` when silhouettes of `samples` × `genes` can be computed here; else why not.
pub fn check_silhouettes(samples: usize, genes: usize) -> Result<(), RecipeError> {
    if samples > MAX_SILHOUETTE {
        return Err(RecipeError::Invalid(format!(
            "silhouettes are computed up to {} samples ({} here): they need all pairwise distances",
            crate::memory::thousands(MAX_SILHOUETTE),
            crate::memory::thousands(samples)
        )));
    }
    SILHOUETTE_MEMORY.check(samples, genes)?;
    Ok(())
}

/// The silhouette width of every sample of `x` under `labels` (`None`: noise), on `metric`.
pub fn silhouettes(
    x: ArrayView2<'_, f64>,
    labels: &[Option<usize>],
    metric: Metric,
    ctx: Ctx<'_>,
) -> Result<Vec<Option<f64>>, RecipeError> {
    check_silhouettes(x.nrows(), x.ncols())?;
    let d = checked_distances(SILHOUETTE_MEMORY, x, metric, 1.0, ctx)?;
    ctx.check()?;
    Ok(silhouette(&d, labels))
}
