//! The clustered heatmap: the N most variable genes × samples, each gene z-scored, genes and
//! samples each ordered by their own hierarchical clustering.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::clusters::tree_metric;
use super::{Ctx, RecipeError};
use crate::analysis::clustering::hierarchical::{Method, Tree, linkage};
use crate::analysis::clustering::order::top_variable_z;
use crate::analysis::distance::{self, Between, Metric};
use crate::memory::{MemoryRule, condensed_bytes, matrix_bytes};

/// The clustered heatmap's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeatmapSettings {
    /// Genes shown (the most variable).
    pub top_genes: usize,
    /// Linkage of both trees.
    pub method: Method,
    /// Distance of both trees (Euclidean for the linkages that need it).
    pub metric: Metric,
    /// The colour bar spans ±range (z-scores beyond are clipped).
    pub range: f64,
    /// The annotation strip over the samples (`None`: the first annotation; empty: none).
    pub strip: Option<String>,
}

impl Default for HeatmapSettings {
    fn default() -> Self {
        Self { top_genes: 200, method: Method::Average, metric: Metric::Correlation, range: 2.5, strip: None }
    }
}

impl HeatmapSettings {
    /// The distance both trees really use.
    pub fn effective_metric(&self) -> Metric {
        tree_metric(self.method, self.metric)
    }

    /// The annotation drawn as the strip (none chosen: the first annotation).
    pub fn strip_name(&self, dataset: &crate::data::Dataset) -> Option<String> {
        super::chosen_annotation(self.strip.as_deref(), dataset, || super::first_annotation(dataset))
    }
}

/// The z-scored genes × samples, the distances between genes and between samples.
pub const MEMORY: MemoryRule = MemoryRule {
    what: "the clustered heatmap",
    bytes: |n, genes| matrix_bytes(n, genes) + condensed_bytes(n) + condensed_bytes(genes),
};

/// A computed heatmap.
#[derive(Debug, Clone)]
pub struct ClusteredHeatmap {
    /// Genes × samples, z-scored per gene.
    pub z: Array2<f64>,
    /// Processed-matrix column of each row.
    pub genes: Vec<usize>,
    /// Gene tree (rows).
    pub gene_tree: Tree,
    /// Sample tree (columns).
    pub sample_tree: Tree,
}

/// The heatmap of `x` (samples × genes) with `settings`.
pub fn run(x: ArrayView2<'_, f64>, settings: &HeatmapSettings, ctx: Ctx<'_>) -> Result<ClusteredHeatmap, RecipeError> {
    let n = x.nrows();
    MEMORY.check(n, settings.top_genes.min(x.ncols()))?;
    ctx.progress(Some(0.0), "Choosing genes");
    let (genes, z) = top_variable_z(x, settings.top_genes);
    if genes.len() < 2 || n < 2 {
        return Err(RecipeError::Invalid("the heatmap needs at least 2 samples and 2 genes that vary".to_owned()));
    }
    let metric = settings.effective_metric();
    let tree = |items: Between, what: &str, from: f32| -> Result<Tree, RecipeError> {
        ctx.progress(Some(from), &format!("Clustering {what}"));
        let mut d = distance::condensed(z.view(), items, metric, ctx.cancel_token(), &mut |_| {})?;
        let count = match items {
            Between::Samples => z.nrows(),
            Between::Genes => z.ncols(),
        };
        linkage(&mut d, count, settings.method).map_err(|e| ctx.failed(e))
    };
    // z is genes × samples: its rows are genes.
    let gene_tree = tree(Between::Samples, "genes", 0.1)?;
    let sample_tree = tree(Between::Genes, "samples", 0.55)?;
    Ok(ClusteredHeatmap { z, genes, gene_tree, sample_tree })
}
