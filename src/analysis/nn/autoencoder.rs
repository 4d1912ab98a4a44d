//! Autoencoders: a network that squeezes each sample through a narrow code (2-D by default)
//! and rebuilds it, the non-linear cousin of PCA; optionally variational.
//!
//! # The network
//! Encoder: the input, then `hidden` layers with the activation, then a linear layer to the
//! code (`code` units; a variational encoder has two such heads, the mean μ and the log
//! variance log σ²). Decoder: its own hidden sizes (by default the encoder's in reverse) with
//! the activation, then a linear layer back to the input. Weights start as [`super::initial_weights`] draws them (Glorot),
//! from the seed.
//!
//! # The loss
//! The reconstruction error is the mean squared error over every value of the batch. A
//! variational autoencoder adds `β · KL / d`, where KL = −½ Σ (1 + log σ² − μ² − σ²) is summed
//! over the code and averaged over the batch, and `d` is the number of inputs: per input value,
//! like the reconstruction term (with β = 1 this is the evidence lower bound of a Gaussian
//! decoder of variance ½, scaled by 1/d). The code drawn while training is
//! `z = μ + σ · ε` with ε from our seeded [`Rng`](crate::analysis::rng::Rng); the code
//! reported is μ. An L2 penalty `weight_decay / (2 · batch) · Σ‖W‖²` is added as for the MLP.
//! Training is Adam (β = 0.9, 0.999, ε = 1e-8) or SGD with momentum, in shuffled batches.
//!
//! # Validation
//! `validation_fraction` of the samples (drawn by the seed) are not trained on; their
//! reconstruction error after each epoch is the validation curve. Every sample gets a code.

use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{Activation, Optimizer, TrainDevice};

/// What is told of each epoch: its record, the device's label, and a function computing the
/// current code of every sample (call it only when the code is wanted: it is a forward pass
/// over all samples).
pub type Observer<'a> = dyn FnMut(&AutoencoderEpoch, &str, &dyn Fn() -> Array2<f64>) + 'a;

/// An autoencoder's architecture and training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutoencoderParams {
    /// Units of the encoder's hidden layers, input side first.
    pub hidden: Vec<usize>,
    /// Units of the decoder's hidden layers, code side first (`None`: the encoder's, mirrored).
    pub decoder: Option<Vec<usize>>,
    /// Units of the code (the bottleneck): 2 to draw it.
    pub code: usize,
    /// Activation of the hidden units (the code and the output are linear).
    pub activation: Activation,
    /// A variational autoencoder (a Gaussian code, a KL term in the loss).
    pub variational: bool,
    /// Weight of the KL term (variational only).
    pub beta: f64,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// Step size.
    pub learning_rate: f64,
    /// Samples per batch.
    pub batch_size: usize,
    /// Passes over the training samples.
    pub epochs: usize,
    /// L2 penalty on the weights.
    pub weight_decay: f64,
    /// Share of the samples held out for the validation curve (0: none).
    pub validation_fraction: f64,
    /// The seed of the weights, the shuffles, the validation part and ε.
    pub seed: u64,
    /// Where it trains.
    pub device: TrainDevice,
}

impl Default for AutoencoderParams {
    fn default() -> Self {
        Self {
            hidden: vec![256, 64],
            decoder: None,
            code: 2,
            activation: Activation::Relu,
            variational: false,
            beta: 1.0,
            optimizer: Optimizer::Adam,
            learning_rate: 1e-3,
            batch_size: 64,
            epochs: 100,
            weight_decay: 0.0,
            validation_fraction: 0.1,
            seed: 0,
            device: TrainDevice::Auto,
        }
    }
}

impl AutoencoderParams {
    /// "autoencoder 256-64-2 `ReLU`", "autoencoder 256-64-2-32-256 `ReLU`" with a decoder of its
    /// own, or "VAE …".
    pub fn name(&self) -> String {
        let mut layers: Vec<String> = self.hidden.iter().chain([&self.code]).map(ToString::to_string).collect();
        if let Some(decoder) = &self.decoder {
            layers.extend(decoder.iter().map(ToString::to_string));
        }
        let kind = if self.variational { "VAE" } else { "autoencoder" };
        format!("{kind} {} {}", layers.join("-"), self.activation.label())
    }

    /// Layer sizes of the encoder for `inputs` values: inputs, hidden…, code (twice the code
    /// for a variational encoder, μ and log σ²).
    pub fn encoder_sizes(&self, inputs: usize) -> Vec<usize> {
        let mut sizes = vec![inputs];
        sizes.extend_from_slice(&self.hidden);
        sizes.push(if self.variational { 2 * self.code } else { self.code });
        sizes
    }

    /// Layer sizes of the decoder: code, its hidden layers (the encoder's reversed unless it
    /// has its own)…, inputs.
    pub fn decoder_sizes(&self, inputs: usize) -> Vec<usize> {
        let mut sizes = vec![self.code];
        match &self.decoder {
            Some(own) => sizes.extend(own),
            None => sizes.extend(self.hidden.iter().rev()),
        }
        sizes.push(inputs);
        sizes
    }

    /// The settings' problems, in words (empty: fine).
    pub fn problems(&self) -> Vec<String> {
        let mut out = super::Training {
            hidden: &self.hidden,
            optimizer: self.optimizer,
            learning_rate: self.learning_rate,
            weight_decay: self.weight_decay,
            batch_size: self.batch_size,
            epochs: self.epochs,
            validation_fraction: self.validation_fraction,
        }
        .problems();
        if self.code == 0 {
            out.push("the code needs at least one unit".to_owned());
        }
        if self.decoder.as_ref().is_some_and(|d| d.contains(&0)) {
            out.push("every decoder layer needs at least one unit".to_owned());
        }
        if !(self.beta >= 0.0 && self.beta.is_finite()) {
            out.push("β must be 0 or more".to_owned());
        }
        out
    }
}

/// One epoch of an autoencoder's training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderEpoch {
    /// From 1.
    pub epoch: usize,
    /// Mean reconstruction error (mean squared error per value) over the epoch's batches, as
    /// they were trained.
    pub train_loss: f64,
    /// Mean KL term per input value (`None` unless variational).
    pub kl: Option<f64>,
    /// Reconstruction error of the validation part after the epoch (from μ).
    pub val_loss: Option<f64>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// A trained autoencoder: the encoder's and decoder's weights (f64, `fan_in` × `fan_out`), the
/// code of every training sample and the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Autoencoder {
    /// Encoder layers (weights, biases), input side first.
    pub encoder: Vec<(Array2<f64>, Array1<f64>)>,
    /// Decoder layers.
    pub decoder: Vec<(Array2<f64>, Array1<f64>)>,
    /// Hidden activation.
    pub activation: Activation,
    /// Code units.
    pub code_units: usize,
    /// Variational (the encoder's last layer gives μ then log σ²).
    pub variational: bool,
    /// Samples × code units: μ of every sample trained on (validation part included).
    pub code: Array2<f64>,
    /// Each epoch.
    pub history: Vec<AutoencoderEpoch>,
    /// Where it trained.
    pub device: String,
}

impl Autoencoder {
    /// The code (μ) of samples `x` (samples × inputs).
    pub fn encode(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let out = super::forward(self.encoder.iter().map(|(w, b)| (w, b)), self.activation, x);
        out.slice(ndarray::s![.., ..self.code_units]).to_owned()
    }

    /// The reconstruction of codes (samples × code units).
    pub fn decode(&self, code: ArrayView2<'_, f64>) -> Array2<f64> {
        super::forward(self.decoder.iter().map(|(w, b)| (w, b)), self.activation, code)
    }

    /// Mean squared reconstruction error of `x` through μ.
    pub fn reconstruction_error(&self, x: ArrayView2<'_, f64>) -> f64 {
        let back = self.decode(self.encode(x).view());
        let n = x.len().max(1) as f64;
        x.iter().zip(back.iter()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / n
    }
}

/// Trains an autoencoder on `x` (samples × inputs). `paused` is asked between batches (the
/// trainer waits while it says so); `observe` is called after each epoch with its record and a
/// function that computes the current code of every sample (call it only when the code is
/// wanted: it is a forward pass over all samples).
#[cfg(feature = "nn")]
pub fn fit(
    x: ArrayView2<'_, f64>,
    params: &AutoencoderParams,
    cancel: Option<&crate::jobs::CancelToken>,
    paused: &dyn Fn() -> bool,
    observe: &mut Observer<'_>,
) -> Result<Autoencoder, super::NnError> {
    super::train::fit_autoencoder(x, params, cancel, paused, observe)
}

/// Without the `nn` feature there is nothing to train with.
#[cfg(not(feature = "nn"))]
pub fn fit(
    _x: ArrayView2<'_, f64>,
    _params: &AutoencoderParams,
    _cancel: Option<&crate::jobs::CancelToken>,
    _paused: &dyn Fn() -> bool,
    _observe: &mut Observer<'_>,
) -> Result<Autoencoder, super::NnError> {
    Err(super::NnError::Unavailable)
}
