//! Neural networks for teaching: a multilayer perceptron classifier trained epoch by epoch,
//! with its history and a live view of its training, and an autoencoder ([`autoencoder`]).
//!
//! # Library
//! Training runs on burn (feature `nn`): its autodiff, its Adam and SGD optimisers, and its
//! backends: `flex`, pure Rust, on the CPU, and with the `gpu` feature its wgpu backend on
//! our own wgpu device (the one the app renders with; see [`train`]). burn's `ndarray` backend is
//! not used (it needs ndarray 0.17, a second copy beside ours).
//!
//! What is ours rather than burn's, and why:
//! - **Initialisation, shuffling and dropout masks** come from our seeded [`Rng`](crate::analysis::rng::Rng):
//!   burn's random numbers come from one process-wide stream on `flex`, which any other
//!   training running at the same time would interleave with, so seeded runs would not be
//!   reproducible. Ours are, bit for bit on the CPU, and the GPU starts from the same weights.
//! - **The weight penalty** is added to the loss (weights only, not biases, as scikit-learn's
//!   `alpha`): burn's weight decay applies to every parameter.
//! - **Prediction** of a trained network runs here in f64 on the plain weights
//!   ([`MlpModel`]): fitted models must be `Send + Sync` and cheap to keep, and a forward pass
//!   is a few matrix products.
//!
//! # Matching scikit-learn's `MLPClassifier`
//! Weights and biases start uniform in ±√(6 / (`fan_in` + `fan_out`)) (√(2 / …) for the logistic
//! activation); the loss is the mean cross-entropy of a softmax output over the batch plus
//! `alpha / (2 · batch) · Σ‖W‖²`; batches are drawn from a fresh shuffle each epoch, the last
//! one smaller; Adam has β = (0.9, 0.999), ε = 1e-8; SGD's momentum is the classical
//! (non-Nesterov) one. Two differences: two classes get a two-unit softmax (scikit-learn uses
//! one logistic unit; the same model, other initial weights), and training runs exactly
//! `epochs` epochs unless early stopping is on (scikit-learn also stops when the training loss
//! stalls).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::analysis::classify::Fitted;

pub mod autoencoder;
#[cfg(feature = "nn")]
pub mod train;

/// A hidden unit's activation function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(0, x).
    #[default]
    Relu,
    /// tanh x.
    Tanh,
    /// The logistic function 1 / (1 + e^−x).
    Sigmoid,
    /// x · Φ(x), the Gaussian error linear unit (exact, with erf).
    Gelu,
}

impl Activation {
    /// Every activation, for menus.
    pub const ALL: [Self; 4] = [Self::Relu, Self::Tanh, Self::Sigmoid, Self::Gelu];

    /// A label for menus and tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Relu => "ReLU",
            Self::Tanh => "tanh",
            Self::Sigmoid => "sigmoid",
            Self::Gelu => "GELU",
        }
    }

    /// Applies the function to one value (prediction in f64).
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Self::Relu => x.max(0.0),
            Self::Tanh => x.tanh(),
            Self::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Self::Gelu => 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
        }
    }

    /// The Glorot factor of scikit-learn's initialisation: 2 for the logistic function, else 6.
    fn glorot_factor(self) -> f64 {
        if self == Self::Sigmoid { 2.0 } else { 6.0 }
    }
}

/// The optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[derive(Default)]
pub enum Optimizer {
    /// Stochastic gradient descent with classical momentum (0: none).
    Sgd {
        /// Momentum, 0 ≤ m < 1.
        momentum: f64,
    },
    /// Adam (β₁ 0.9, β₂ 0.999, ε 1e-8).
    #[default]
    Adam,
}

impl Optimizer {
    /// A label for menus and tables.
    pub fn label(self) -> String {
        match self {
            Self::Sgd { momentum } if momentum > 0.0 => format!("SGD (momentum {momentum})"),
            Self::Sgd { .. } => "SGD".to_owned(),
            Self::Adam => "Adam".to_owned(),
        }
    }
}

/// Where a network trains.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainDevice {
    /// A real GPU when there is one, else the CPU (a software adapter counts as none).
    #[default]
    Auto,
    /// The GPU adapter, even a software one.
    Gpu,
    /// The CPU.
    Cpu,
}

/// An MLP's architecture and training; defaults are scikit-learn's `MLPClassifier`'s where it
/// has the setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MlpParams {
    /// Units of each hidden layer, input side first.
    pub hidden: Vec<usize>,
    /// Activation of the hidden units.
    pub activation: Activation,
    /// Dropout probability after each hidden layer while training (0: none).
    pub dropout: f64,
    /// L2 penalty on the weights, scikit-learn's `alpha`: `alpha / (2 · batch) · Σ‖W‖²` is added
    /// to each batch's mean loss.
    pub weight_decay: f64,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// Step size.
    pub learning_rate: f64,
    /// Samples per batch (at most the training samples).
    pub batch_size: usize,
    /// Passes over the training samples (fewer when early stopping ends training).
    pub epochs: usize,
    /// Share of the training samples held out (stratified) as the validation part whose loss
    /// and accuracy are drawn each epoch; 0: none.
    pub validation_fraction: f64,
    /// Stop when the validation loss has not improved for this many epochs, and keep the
    /// weights of its best epoch (needs a validation part).
    pub early_stopping: Option<usize>,
    /// Seed of the initial weights, the shuffles and the dropout masks.
    pub seed: u64,
    /// Where it trains.
    pub device: TrainDevice,
    /// Live view of the training (not saved).
    #[serde(skip)]
    pub monitor: Monitor,
}

impl Default for MlpParams {
    fn default() -> Self {
        Self {
            hidden: vec![100],
            activation: Activation::Relu,
            dropout: 0.0,
            weight_decay: 1e-4,
            optimizer: Optimizer::Adam,
            learning_rate: 1e-3,
            batch_size: 200,
            epochs: 200,
            validation_fraction: 0.1,
            early_stopping: None,
            seed: 0,
            device: TrainDevice::Auto,
            monitor: Monitor::default(),
        }
    }
}

impl MlpParams {
    /// "MLP 100-50 `ReLU`, Adam".
    pub fn name(&self) -> String {
        let layers = self.hidden.iter().map(ToString::to_string).collect::<Vec<_>>().join("-");
        format!("MLP {layers} {}, {}", self.activation.label(), self.optimizer.label())
    }

    /// The settings' problems, in words (empty: fine).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Training {
            hidden: &self.hidden,
            optimizer: self.optimizer,
            learning_rate: self.learning_rate,
            weight_decay: self.weight_decay,
            batch_size: self.batch_size,
            epochs: self.epochs,
            validation_fraction: self.validation_fraction,
        }
        .problems();
        if !(0.0..1.0).contains(&self.dropout) {
            out.push("dropout must be in [0, 1)".to_owned());
        }
        if self.early_stopping.is_some() && self.validation_fraction <= 0.0 {
            out.push("early stopping needs a validation part".to_owned());
        }
        out
    }
}

/// What every network's training has, for the checks they share.
pub(crate) struct Training<'a> {
    pub hidden: &'a [usize],
    pub optimizer: Optimizer,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub batch_size: usize,
    pub epochs: usize,
    pub validation_fraction: f64,
}

impl Training<'_> {
    /// The problems, in words (empty: fine).
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.hidden.contains(&0) {
            out.push("every hidden layer needs at least one unit".to_owned());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            out.push("the learning rate must be positive".to_owned());
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            out.push("the weight decay must be 0 or more".to_owned());
        }
        if self.batch_size == 0 {
            out.push("the batch size must be at least 1".to_owned());
        }
        if self.epochs == 0 {
            out.push("train for at least one epoch".to_owned());
        }
        if !(0.0..0.9).contains(&self.validation_fraction) {
            out.push("the validation part must be a fraction in [0, 0.9)".to_owned());
        }
        if let Optimizer::Sgd { momentum } = self.optimizer
            && !(0.0..1.0).contains(&momentum)
        {
            out.push("momentum must be in [0, 1)".to_owned());
        }
        out
    }
}

/// One epoch of training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// From 1.
    pub epoch: usize,
    /// Mean cross-entropy over the epoch's batches (as they were trained, with dropout; the
    /// weight penalty not included).
    pub train_loss: f64,
    /// Share of the epoch's training samples the network got right as it met them (a
    /// regressor: the R² of its predictions as it met them).
    pub train_accuracy: f64,
    /// Cross-entropy on the validation part after the epoch (`None`: no validation part).
    pub val_loss: Option<f64>,
    /// Accuracy (a regressor: R²) on the validation part after the epoch.
    pub val_accuracy: Option<f64>,
    /// Wall-clock seconds the epoch took.
    pub seconds: f64,
}

/// A trained network: weights and biases per layer (input side first), in f64.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpModel {
    /// `weights[l]` is `fan_in` × `fan_out`.
    pub weights: Vec<Array2<f64>>,
    /// `biases[l]` has `fan_out` entries.
    pub biases: Vec<Array1<f64>>,
    /// Hidden activation.
    pub activation: Activation,
    /// Epochs as trained.
    pub history: Vec<EpochRecord>,
    /// The epoch whose weights these are (early stopping keeps the best one).
    pub best_epoch: usize,
    /// Where it trained ("CPU (flex)" or the adapter's name).
    pub device: String,
}

impl MlpModel {
    /// Output-layer logits (samples × classes).
    pub fn logits(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        forward(self.weights.iter().zip(&self.biases), self.activation, x)
    }
}

impl Fitted for MlpModel {
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut p = self.logits(x);
        for mut row in p.outer_iter_mut() {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            row.mapv_inplace(|v| (v - max).exp());
            let sum = row.sum();
            row.mapv_inplace(|v| v / sum);
        }
        p
    }

    fn history(&self) -> Option<&[EpochRecord]> {
        Some(&self.history)
    }

    fn device(&self) -> Option<&str> {
        Some(&self.device)
    }
}

/// A network's forward pass in f64: each layer is `h · W + b`, with the activation between
/// layers and none after the last.
pub fn forward<'a>(
    layers: impl ExactSizeIterator<Item = (&'a Array2<f64>, &'a Array1<f64>)>,
    activation: Activation,
    x: ArrayView2<'_, f64>,
) -> Array2<f64> {
    let last = layers.len().saturating_sub(1);
    let mut h = x.to_owned();
    for (l, (w, b)) in layers.enumerate() {
        h = h.dot(w) + b;
        if l < last {
            h.mapv_inplace(|v| activation.apply(v));
        }
    }
    h
}

/// Initial weights and biases as scikit-learn draws them (uniform in ±√(f / (in + out))),
/// from `seed`, as f32 rows (`fan_in` × `fan_out`, row-major).
pub fn initial_weights(sizes: &[usize], activation: Activation, seed: u64) -> Vec<(Vec<f32>, Vec<f32>)> {
    let mut rng = crate::analysis::rng::Rng::new(seed);
    sizes
        .windows(2)
        .map(|w| {
            let (fan_in, fan_out) = (w[0], w[1]);
            let bound = (activation.glorot_factor() / (fan_in + fan_out) as f64).sqrt();
            let mut draw =
                |n: usize| -> Vec<f32> { (0..n).map(|_| ((rng.uniform() * 2.0 - 1.0) * bound) as f32).collect() };
            let weights = draw(fan_in * fan_out);
            let biases = draw(fan_out);
            (weights, biases)
        })
        .collect()
}

/// A picture of a network for drawing: layer sizes and weights (f32, `fan_in` × `fan_out`).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSnapshot {
    /// Units per layer, input first.
    pub sizes: Vec<usize>,
    /// Weights per layer.
    pub weights: Vec<Vec<f32>>,
}

impl NetworkSnapshot {
    /// Networks with at most this many weights are drawn.
    pub const MAX_WEIGHTS: usize = 4096;
}

/// What a live view sees of a training in progress.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    /// Epoch records of each training run so far (one run per fold).
    pub runs: Vec<Vec<EpochRecord>>,
    /// Epochs each run will train at most.
    pub planned_epochs: usize,
    /// The network's latest weights (small networks only).
    pub network: Option<NetworkSnapshot>,
    /// Where it trains.
    pub device: String,
    /// Bumped on every change, so a view redraws only when something changed.
    pub version: u64,
}

/// A live view of trainings, shared between the trainer and the app (cheap to clone; the
/// default watches nothing). Also carries Pause: a paused trainer waits between batches.
#[derive(Clone, Default)]
pub struct Monitor(Option<Arc<MonitorShared>>);

struct MonitorShared {
    state: Mutex<LiveState>,
    paused: AtomicBool,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Monitor(watching)" } else { "Monitor(none)" })
    }
}

/// Monitors never make settings differ.
impl PartialEq for Monitor {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Monitor {
    /// A monitor that records.
    pub fn watching() -> Self {
        Self(Some(Arc::new(MonitorShared { state: Mutex::new(LiveState::default()), paused: AtomicBool::new(false) })))
    }

    /// A copy of what has been recorded (`None`: this monitor watches nothing).
    pub fn snapshot(&self) -> Option<LiveState> {
        self.0.as_ref().map(|s| s.state.lock().map(|g| g.clone()).unwrap_or_default())
    }

    /// The version of the recorded state (0 when nothing is watched).
    pub fn version(&self) -> u64 {
        self.0.as_ref().map_or(0, |s| s.state.lock().map_or(0, |g| g.version))
    }

    /// Pauses or resumes the trainer.
    pub fn set_paused(&self, paused: bool) {
        if let Some(s) = &self.0 {
            s.paused.store(paused, Ordering::Relaxed);
        }
    }

    /// True while paused.
    pub fn is_paused(&self) -> bool {
        self.0.as_ref().is_some_and(|s| s.paused.load(Ordering::Relaxed))
    }

    fn update(&self, f: impl FnOnce(&mut LiveState)) {
        if let Some(s) = &self.0
            && let Ok(mut state) = s.state.lock()
        {
            f(&mut state);
            state.version += 1;
        }
    }

    /// A new run starts (trainer side).
    pub fn begin_run(&self, planned_epochs: usize, device: &str) {
        self.update(|s| {
            s.runs.push(Vec::new());
            s.planned_epochs = planned_epochs;
            device.clone_into(&mut s.device);
        });
    }

    /// An epoch ended (trainer side).
    pub fn record(&self, record: EpochRecord, network: Option<NetworkSnapshot>) {
        self.update(|s| {
            if let Some(run) = s.runs.last_mut() {
                run.push(record);
            }
            if network.is_some() {
                s.network = network;
            }
        });
    }

    /// True when something watches (the trainer then takes snapshots).
    pub fn is_watching(&self) -> bool {
        self.0.is_some()
    }
}

/// Why a network could not be trained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NnError {
    /// The settings do not make sense.
    #[error("{0}")]
    Settings(String),
    /// Built without the `nn` feature.
    #[error("this build of Biolens has no neural networks (built without the `nn` feature)")]
    Unavailable,
    /// The GPU was asked for and there is none.
    #[error("no GPU to train on: {0}")]
    NoGpu(String),
    /// The loss became NaN or infinite (a learning rate too large).
    #[error("training diverged at epoch {0} (the loss is not finite): lower the learning rate")]
    Diverged(usize),
    /// Cancelled.
    #[error("cancelled")]
    Cancelled,
}
