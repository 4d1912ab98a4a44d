//! The distance map: every pairwise distance between samples, and the order to show them in
//! (average-linkage leaf order, grouped by an annotation, or as loaded).
//!
//! The distances run on the [`Device`] asked for (a GPU through wgpu, or the CPU path); a GPU
//! failure falls back to the CPU and says so in [`DistanceMap::device`].

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{Ctx, RecipeError};
use crate::analysis::clustering::hierarchical::{Method, condensed, linkage};
use crate::analysis::distance::{Between, Metric, Prepared, prepare};
use crate::data::Dataset;
use crate::memory::{MemoryRule, condensed_bytes, matrix_bytes};

/// The order of the samples on both axes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MapOrder {
    /// Average-linkage leaf order (`SciPy`'s `leaves_list`).
    #[default]
    Clustering,
    /// Grouped by an annotation, clustering order within each group.
    Annotation(String),
    /// As loaded.
    Original,
}

/// The distance map's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DistanceMapSettings {
    /// The distance.
    pub metric: Metric,
    /// The order.
    pub order: MapOrder,
    /// The annotation drawn as strips (`None`: the ordering annotation when the map is ordered
    /// by one, else the first annotation; empty: none).
    pub strip: Option<String>,
    /// Dark for large distances.
    pub reversed: bool,
}

impl DistanceMapSettings {
    /// The annotation drawn as strips: the chosen one, else the one the map is ordered by, else
    /// (also when the data lack the ordering one, and the map falls back to clustering order)
    /// the first annotation.
    pub fn strip_name(&self, dataset: &Dataset) -> Option<String> {
        super::chosen_annotation(self.strip.as_deref(), dataset, || match &self.order {
            MapOrder::Annotation(name) if dataset.annotations().iter().any(|a| &a.name == name) => Some(name.clone()),
            _ => super::first_annotation(dataset),
        })
    }
}

/// Above this many samples the map is not computed: its average-linkage order has no Cancel
/// and takes minutes, and the picture cannot show more rows than a screen has anyway.
pub const MAX_SAMPLES: usize = 10_000;

/// The square matrix, the condensed copy its clustering order needs, and the prepared rows.
pub const MEMORY: MemoryRule = MemoryRule {
    what: "the distance map",
    bytes: |n, genes| matrix_bytes(n, n) + condensed_bytes(n) + matrix_bytes(n, genes),
};

/// The square distance matrix alone (`biolens distances`), beside the prepared rows.
pub const DISTANCES: MemoryRule =
    MemoryRule { what: "the distance matrix", bytes: |n, values| matrix_bytes(n, n) + matrix_bytes(n, values) };

/// A computed map.
#[derive(Debug, Clone)]
pub struct DistanceMap {
    /// Samples × samples.
    pub matrix: std::sync::Arc<Array2<f64>>,
    /// Average-linkage leaf order (position → sample).
    pub leaf_order: std::sync::Arc<[usize]>,
    /// The metric.
    pub metric: Metric,
    /// Where the distances ran ("GPU: …" or "CPU (…)").
    pub device: String,
    /// Seconds for distances and clustering.
    pub seconds: f64,
    /// Smallest and largest distance between different samples (0..1 when there are none).
    pub range: (f64, f64),
}

/// `Ok` when a map of `samples` × `genes` can be computed here; else why not.
pub fn check(samples: usize, genes: usize) -> Result<(), RecipeError> {
    if samples < 2 {
        return Err(RecipeError::Invalid("the distance map needs at least 2 samples".to_owned()));
    }
    if samples > MAX_SAMPLES {
        return Err(RecipeError::Invalid(format!(
            "the distance map shows at most {} samples ({} here); keep a subset of the samples, or write \
             the distances with `biolens distances`",
            crate::memory::thousands(MAX_SAMPLES),
            crate::memory::thousands(samples)
        )));
    }
    MEMORY.check(samples, genes)?;
    Ok(())
}

/// Distances between the samples of `x` (samples × genes) on `device`, then the average-linkage
/// leaf order.
pub fn run(x: ArrayView2<'_, f64>, metric: Metric, device: &Device, ctx: Ctx<'_>) -> Result<DistanceMap, RecipeError> {
    let started = std::time::Instant::now();
    check(x.nrows(), x.ncols())?;
    ctx.progress(None, "Preparing");
    let prepared = prepare(x, Between::Samples, metric)?;
    let progress = |f: f32| ctx.progress(Some(f * 0.9), "Computing distances");
    let (square, device) = device.distances(&prepared, ctx, &progress)?;
    ctx.check()?;
    ctx.progress(Some(0.9), "Clustering for the order (average linkage)");
    let n = square.nrows();
    let tree = linkage(&mut condensed(&square), n, Method::Average).map_err(|e| ctx.failed(e))?;
    ctx.check()?;
    let range = off_diagonal_range(&square);
    Ok(DistanceMap {
        matrix: std::sync::Arc::new(square),
        leaf_order: tree.leaf_order().into(),
        metric,
        device,
        seconds: started.elapsed().as_secs_f64(),
        range,
    })
}

/// Smallest and largest value off the diagonal (0..1 when there is none).
fn off_diagonal_range(square: &Array2<f64>) -> (f64, f64) {
    let mut range = (f64::INFINITY, f64::NEG_INFINITY);
    for ((i, j), &v) in square.indexed_iter() {
        if i != j {
            range = (range.0.min(v), range.1.max(v));
        }
    }
    if range.0.is_finite() { range } else { (0.0, 1.0) }
}

/// Position → sample for `order` (an annotation that is not there falls back to the clustering).
pub fn positions(leaf_order: &[usize], order: &MapOrder, dataset: &Dataset) -> Vec<usize> {
    match order {
        MapOrder::Clustering => leaf_order.to_vec(),
        MapOrder::Original => (0..leaf_order.len()).collect(),
        MapOrder::Annotation(name) => match dataset.annotations().iter().find(|a| &a.name == name) {
            Some(a) => crate::analysis::clustering::order::grouped_by(leaf_order, &a.values),
            None => leaf_order.to_vec(),
        },
    }
}

/// Where distances are computed (the app's setting, `--device`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ComputeDevice {
    /// A real GPU when there is one, else the CPU (a software adapter counts as none).
    #[default]
    Auto,
    /// The GPU adapter, even a software one.
    Gpu,
    /// The CPU.
    Cpu,
}

impl ComputeDevice {
    /// Where networks train under this setting (the same three choices).
    pub fn train_device(self) -> crate::analysis::nn::TrainDevice {
        match self {
            Self::Auto => crate::analysis::nn::TrainDevice::Auto,
            Self::Gpu => crate::analysis::nn::TrainDevice::Gpu,
            Self::Cpu => crate::analysis::nn::TrainDevice::Cpu,
        }
    }

    /// A label for menus.
    pub fn label(self) -> &'static str {
        match self {
            Self::Auto => "Auto",
            Self::Gpu => "GPU",
            Self::Cpu => "CPU",
        }
    }
}

/// Where distances are computed: the GPU asked for (if any) and the choice.
#[derive(Debug, Clone, Default)]
pub struct Device {
    #[cfg(feature = "gpu")]
    gpu: Option<crate::gpu::Gpu>,
    #[cfg(feature = "gpu")]
    choice: ComputeDevice,
    /// A software adapter `Auto` passed over without creating its device (its label).
    #[cfg(feature = "gpu")]
    passed_over: Option<String>,
}

impl Device {
    /// The CPU path.
    pub fn cpu() -> Self {
        Self {
            #[cfg(feature = "gpu")]
            gpu: None,
            #[cfg(feature = "gpu")]
            choice: ComputeDevice::Cpu,
            #[cfg(feature = "gpu")]
            passed_over: None,
        }
    }

    /// `Auto` on a machine whose only adapter is the software one labelled `label`: the CPU,
    /// saying why.
    #[cfg(feature = "gpu")]
    pub fn passing_over(label: String) -> Self {
        Self { gpu: None, choice: ComputeDevice::Auto, passed_over: Some(label) }
    }

    /// `choice` with the adapter `gpu` (if there is one).
    #[cfg(feature = "gpu")]
    pub fn new(gpu: Option<crate::gpu::Gpu>, choice: ComputeDevice) -> Self {
        Self { gpu, choice, passed_over: None }
    }

    /// The square distance matrix of `prepared` and where it ran; a failing GPU falls back to
    /// the CPU.
    pub fn distances(
        &self,
        prepared: &Prepared,
        ctx: Ctx<'_>,
        progress: &dyn Fn(f32),
    ) -> Result<(Array2<f64>, String), RecipeError> {
        DISTANCES.check(prepared.rows.nrows(), prepared.rows.ncols())?;
        let mut progress = |f: f32| progress(f);
        #[cfg(feature = "gpu")]
        {
            use crate::gpu::{ComputeError, GpuError, distances_on};
            let token = ctx.cancel_token();
            let computed = match distances_on(self.gpu.as_ref(), self.choice, prepared, token, &mut progress) {
                Ok((m, _)) if self.gpu.is_none() && self.passed_over.is_some() => {
                    let label = self.passed_over.as_deref().unwrap_or_default();
                    Ok((m, format!("{}; {label} skipped: a software adapter is slower", crate::gpu::cpu_label())))
                }
                Err(err) if !err.is_cancelled() && self.gpu.is_some() && self.choice != ComputeDevice::Cpu => {
                    distances_on(None, ComputeDevice::Cpu, prepared, token, &mut progress)
                        .map(|(m, device)| (m, format!("{device}; the GPU failed: {err}")))
                }
                other => other,
            };
            computed.map_err(|e| match e {
                ComputeError::Cpu(d) => d.into(),
                ComputeError::Gpu(GpuError::Cancelled) => RecipeError::Cancelled,
                ComputeError::Gpu(GpuError::Memory(m)) => RecipeError::Memory(m),
                ComputeError::Gpu(other) => RecipeError::Failed(other.to_string()),
            })
        }
        #[cfg(not(feature = "gpu"))]
        {
            let m = crate::analysis::distance::pairwise_prepared(prepared, ctx.cancel_token(), &mut progress)?;
            Ok((m, format!("CPU ({} threads)", std::thread::available_parallelism().map_or(1, usize::from))))
        }
    }
}
