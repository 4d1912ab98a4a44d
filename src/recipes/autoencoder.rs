//! An autoencoder of a dataset: its most variable genes, centred (and standardised), squeezed
//! through a small code by [`crate::analysis::nn::autoencoder`]; and the comparison with PCA
//! that the lesson needs (how well each keeps every sample's nearest neighbours).

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{Colouring, Ctx, RecipeError};
use crate::analysis::nn::NnError;
use crate::analysis::nn::autoencoder::{Autoencoder, AutoencoderEpoch, AutoencoderParams, Observer};
use crate::memory::{MemoryRule, matrix_bytes};

/// Interactive views compare the code with PCA ([`compare`], an exact O(n²) neighbour search)
/// up to this many samples; above it they leave it to `biolens autoencoder --compare-pca`.
pub const COMPARE_UP_TO: usize = 3000;

/// Neighbours counted by [`Comparison`] (as the t-SNE and UMAP benchmarks count them).
pub const PRESERVATION_K: usize = 15;

/// The input (samples × kept genes as f64, twice: the values and a batch's f32 copy) and the
/// network's activations.
pub const MEMORY: MemoryRule = MemoryRule { what: "the autoencoder", bytes: |n, genes| 3 * matrix_bytes(n, genes) };

/// What the Autoencoder view and `biolens autoencoder` run (saved with a session as it is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutoencoderSettings {
    /// The network and its training.
    pub params: AutoencoderParams,
    /// The most variable genes of the processed matrix it learns from (0: every gene).
    pub genes: usize,
    /// Divide each gene by its standard deviation after centring.
    pub scale: bool,
    /// What the points are coloured by.
    pub colour_by: Colouring,
}

impl Default for AutoencoderSettings {
    fn default() -> Self {
        Self { params: AutoencoderParams::default(), genes: 2000, scale: true, colour_by: Colouring::Nothing }
    }
}

/// The matrix the network learns from.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Samples × kept genes, centred (and standardised).
    pub x: Array2<f64>,
    /// The kept genes (columns of the processed matrix), in their order.
    pub genes: Vec<usize>,
}

impl Prepared {
    /// "2,000 most variable genes, standardised".
    pub fn describe(&self, scale: bool) -> String {
        format!("{} most variable genes, {}", self.genes.len(), if scale { "standardised" } else { "centred" })
    }
}

/// The input of the network: the `settings.genes` most variable genes of the processed values,
/// centred, and standardised when `settings.scale`.
pub fn prepare(x: ArrayView2<'_, f64>, settings: &AutoencoderSettings) -> Result<Prepared, RecipeError> {
    let (n, all) = x.dim();
    let keep = if settings.genes == 0 { all } else { settings.genes.min(all) };
    MEMORY.check(n, keep)?;
    if n < 2 {
        return Err(RecipeError::Invalid(format!("an autoencoder needs at least two samples; there are {n}")));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(RecipeError::Invalid(
            "the matrix has missing values: impute or drop them in preprocessing first".to_owned(),
        ));
    }
    let (genes, z) = crate::analysis::clustering::order::top_variable_z(x, keep);
    if genes.is_empty() {
        return Err(RecipeError::Invalid("every gene is constant: there is nothing to learn".to_owned()));
    }
    let x = if settings.scale {
        z.t().as_standard_layout().into_owned()
    } else {
        let mut kept = x.select(ndarray::Axis(1), &genes);
        for mut col in kept.columns_mut() {
            let mean = col.sum() / n as f64;
            col.mapv_inplace(|v| v - mean);
        }
        kept
    };
    Ok(Prepared { x, genes })
}

/// Trains the network on prepared input; `paused` and `observe` as
/// [`crate::analysis::nn::autoencoder::fit`] takes them.
pub fn train(
    prepared: &Prepared,
    params: &AutoencoderParams,
    ctx: Ctx<'_>,
    paused: &dyn Fn() -> bool,
    observe: &mut Observer<'_>,
) -> Result<Autoencoder, RecipeError> {
    ctx.progress(Some(0.0), "training");
    let epochs = params.epochs.max(1);
    let mut report = |e: &AutoencoderEpoch, device: &str, code: &dyn Fn() -> Array2<f64>| {
        ctx.progress(Some(e.epoch as f32 / epochs as f32), &format!("epoch {} / {epochs} on {device}", e.epoch));
        observe(e, device, code);
    };
    crate::analysis::nn::autoencoder::fit(prepared.x.view(), params, ctx.cancel_token(), paused, &mut report).map_err(
        |e| match e {
            NnError::Cancelled => RecipeError::Cancelled,
            NnError::Settings(s) => RecipeError::Invalid(s),
            other => RecipeError::Failed(other.to_string()),
        },
    )
}

/// The whole run (the command line): prepare and train, every epoch reported to `observe`.
pub fn run(
    dataset: &crate::data::Dataset,
    settings: &AutoencoderSettings,
    ctx: Ctx<'_>,
    observe: &mut Observer<'_>,
) -> Result<(Prepared, Autoencoder), RecipeError> {
    ctx.progress(None, "Selecting genes");
    let prepared = prepare(dataset.dense()?.view(), settings)?;
    ctx.check()?;
    let model = train(&prepared, &settings.params, ctx, &|| false, observe)?;
    Ok((prepared, model))
}

/// How well the code keeps each sample's neighbours, against PCA with as many components.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// Neighbours counted.
    pub k: usize,
    /// Mean share of each sample's `k` nearest neighbours in the input that are among its `k`
    /// nearest in the code.
    pub autoencoder: f64,
    /// The same for the first principal components of the input (as many as the code has).
    pub pca: f64,
    /// Reconstruction error (mean squared error per value) of the input from the code.
    pub reconstruction: f64,
    /// The same from the principal components (the best any linear code of that size can do).
    pub pca_reconstruction: f64,
}

/// Compares the code of `model` with PCA of the same input, with as many components.
pub fn compare(prepared: &Prepared, model: &Autoencoder, ctx: Ctx<'_>) -> Result<Comparison, RecipeError> {
    let units = model.code_units.min(prepared.x.ncols()).min(prepared.x.nrows());
    let params = crate::analysis::pca::PcaParams { components: units, ..Default::default() };
    let pca = super::pca::run(prepared.x.view(), &params, ctx)?;
    let k = PRESERVATION_K.min(prepared.x.nrows().saturating_sub(1)).max(1);
    ctx.progress(None, "Comparing neighbours");
    let ours = crate::analysis::tsne::knn_preservation(prepared.x.view(), model.code.view(), k);
    let theirs = crate::analysis::tsne::knn_preservation(prepared.x.view(), pca.scores.view(), k);
    // PCA's reconstruction: scores times loadings (the input is centred, so no mean to add).
    let back = pca.scores.dot(&pca.loadings.t());
    let n = prepared.x.len().max(1) as f64;
    let pca_reconstruction = prepared.x.iter().zip(back.iter()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / n;
    Ok(Comparison {
        k,
        autoencoder: ours,
        pca: theirs,
        reconstruction: model.reconstruction_error(prepared.x.view()),
        pca_reconstruction,
    })
}
