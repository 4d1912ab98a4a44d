//! Training on burn: the network as a burn module, the epoch loop, and the devices.
//!
//! # Devices
//! The CPU is burn's `flex` backend (pure Rust; its matrix products use every core through
//! rayon). The GPU is burn's wgpu backend on *our* wgpu device ([`crate::gpu::Gpu`]): the
//! app registers the device eframe renders with ([`register_gpu`]), the command line a
//! headless one, so there is one wgpu and one device. burn mints a new id each time a device
//! is handed to it, so each [`Gpu`](crate::gpu::Gpu) is handed over once and the burn device
//! kept beside it. Under [`TrainDevice::Auto`] a software adapter (lavapipe) counts as no GPU.

use std::time::Instant;

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Tensor, TensorData, activation};
use ndarray::{Array1, Array2, ArrayView2};

use super::{Activation, EpochRecord, MlpModel, MlpParams, NetworkSnapshot, NnError, Optimizer, TrainDevice};
use crate::analysis::regress::linear::Loss;
use crate::analysis::rng::Rng;
use crate::jobs::CancelToken;

/// The network: linear layers, input side first.
#[derive(Module, Debug)]
struct Net {
    layers: Vec<Linear>,
}

impl Net {
    /// A network with the given f32 weights (`fan_in` × `fan_out`, row-major) and biases.
    fn from_weights(init: &[(Vec<f32>, Vec<f32>)], sizes: &[usize], device: &Device) -> Self {
        let layers = init
            .iter()
            .zip(sizes.windows(2))
            .map(|((w, b), s)| {
                let mut layer = LinearConfig::new(s[0], s[1]).init(device);
                layer.weight = burn::module::Param::from_data(TensorData::new(w.clone(), [s[0], s[1]]), device);
                layer.bias = Some(burn::module::Param::from_data(TensorData::new(b.clone(), [s[1]]), device));
                layer
            })
            .collect();
        Self { layers }
    }

    /// Logits; `masks` (one per hidden layer) are the dropout masks, already scaled.
    fn forward(&self, x: Tensor<2>, activation: Activation, masks: Option<&[Tensor<2>]>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        let mut h = x;
        for (l, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if l < last {
                h = match activation {
                    Activation::Relu => activation::relu(h),
                    Activation::Tanh => activation::tanh(h),
                    Activation::Sigmoid => activation::sigmoid(h),
                    Activation::Gelu => activation::gelu(h),
                };
                if let Some(m) = masks.and_then(|m| m.get(l)) {
                    h = h * m.clone();
                }
            }
        }
        h
    }

    /// Weights and biases as f32 vectors, layer by layer.
    fn weights(&self) -> Vec<(Vec<f32>, Vec<f32>)> {
        self.layers
            .iter()
            .map(|layer| {
                let w = layer.weight.val().into_data().try_into_vec_as::<f32>().unwrap_or_default();
                let b = layer
                    .bias
                    .as_ref()
                    .map(|b| b.val().into_data().try_into_vec_as::<f32>().unwrap_or_default())
                    .unwrap_or_default();
                (w, b)
            })
            .collect()
    }
}

/// Weights and biases of each layer as f32 (fan-in × fan-out, row-major).
type Weights = Vec<(Vec<f32>, Vec<f32>)>;

/// The CPU device's label.
pub const CPU_LABEL: &str = "CPU (burn flex)";

/// Where `choice` trains: the burn device and its label.
fn device_for(choice: TrainDevice) -> Result<(Device, String), NnError> {
    #[cfg(feature = "gpu")]
    {
        if choice != TrainDevice::Cpu {
            match gpu::device(choice == TrainDevice::Auto) {
                Ok(Some(found)) => return Ok(found),
                Err(e) if choice == TrainDevice::Gpu => return Err(NnError::NoGpu(e)),
                // No usable GPU under Auto: the CPU.
                Ok(None) | Err(_) => {}
            }
        }
    }
    #[cfg(not(feature = "gpu"))]
    if choice == TrainDevice::Gpu {
        return Err(NnError::NoGpu("this build has no GPU support (built without the `gpu` feature)".to_owned()));
    }
    Ok((Device::flex(), CPU_LABEL.to_owned()))
}

#[cfg(feature = "gpu")]
pub use gpu::register_gpu;

#[cfg(feature = "gpu")]
mod gpu {
    use std::sync::{Mutex, OnceLock};

    use burn::backend::wgpu::{RuntimeOptions, WgpuSetup, try_init_device};
    use burn::tensor::Device;

    use crate::gpu::Gpu;

    /// The registered GPU and its burn device (made on first use).
    /// A GPU and, once made, its burn device.
    type Registered = Option<(Gpu, Option<Device>)>;

    static REGISTERED: OnceLock<Mutex<Registered>> = OnceLock::new();

    fn slot() -> &'static Mutex<Registered> {
        REGISTERED.get_or_init(|| Mutex::new(None))
    }

    /// Registers the GPU to train on (the app: eframe's device). Only the first call counts: burn
    /// keeps every device it was given for the life of the process.
    pub fn register_gpu(gpu: &Gpu) {
        if let Ok(mut s) = slot().lock()
            && s.is_none()
        {
            *s = Some((gpu.clone(), None));
        }
    }

    /// The registered GPU's burn device (registering a headless one first if there is none);
    /// `Ok(None)` when `hardware_only` and the adapter is a software one.
    pub(super) fn device(hardware_only: bool) -> Result<Option<(Device, String)>, String> {
        let mut s = slot().lock().map_err(|_| "the GPU registry is poisoned".to_owned())?;
        if s.is_none() {
            let gpu = Gpu::headless().map_err(|e| e.to_string())?;
            *s = Some((gpu, None));
        }
        let Some((gpu, device)) = s.as_mut() else { return Ok(None) };
        if hardware_only && gpu.is_software() {
            return Ok(None);
        }
        if device.is_none() {
            let (instance, adapter, wgpu_device, queue) = gpu.parts();
            let setup =
                WgpuSetup { instance, backend: adapter.get_info().backend, adapter, device: wgpu_device, queue };
            let registered = try_init_device(setup, RuntimeOptions::default())
                .map_err(|e| format!("burn cannot use {}: {e}", gpu.label()))?;
            *device = Some(Device::from(registered));
        }
        Ok(device.clone().map(|d| (d, format!("GPU: {}", gpu.label()))))
    }
}

/// burn's optimiser for ours: Adam with ε 1e-8, or SGD with classical momentum.
fn optimizer_for(optimizer: Optimizer) -> ModuleOptimizer {
    match optimizer {
        Optimizer::Adam => AdamConfig::new().with_epsilon(1e-8).init(),
        Optimizer::Sgd { momentum } if momentum > 0.0 => SgdConfig::new()
            .with_momentum(Some(MomentumConfig::new().with_momentum(momentum).with_dampening(0.0).with_nesterov(false)))
            .init(),
        Optimizer::Sgd { .. } => SgdConfig::new().init(),
    }
}

/// Waits between batches while `paused` says so; `Err(Cancelled)` once `cancelled`.
fn wait_while_paused(paused: &dyn Fn() -> bool, cancelled: &dyn Fn() -> bool) -> Result<(), NnError> {
    while paused() && !cancelled() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    if cancelled() { Err(NnError::Cancelled) } else { Ok(()) }
}

/// scikit-learn's L2 term for a batch of `b`: `alpha / (2 b) · Σ‖W‖²` over the layers' weights
/// (not the biases); `None` when `alpha` is 0.
fn l2_penalty<'a>(layers: impl IntoIterator<Item = &'a Linear>, alpha: f64, b: usize) -> Option<Tensor<1>> {
    if alpha <= 0.0 {
        return None;
    }
    let sum = layers.into_iter().map(|l| l.weight.val().square().sum()).reduce(|a, c| a + c)?;
    Some(sum.mul_scalar((alpha / (2.0 * b as f64)) as f32))
}

/// f32 weights and biases (`fan_in` × `fan_out`, row-major) as f64 layers.
fn f64_layers(weights: &[(Vec<f32>, Vec<f32>)], sizes: &[usize]) -> Vec<(Array2<f64>, Array1<f64>)> {
    weights
        .iter()
        .zip(sizes.windows(2))
        .map(|((w, b), s)| {
            (
                Array2::from_shape_fn((s[0], s[1]), |(i, j)| f64::from(w[i * s[1] + j])),
                Array1::from_iter(b.iter().map(|&v| f64::from(v))),
            )
        })
        .collect()
}

/// A matrix converted to f32 once, for the batches of many epochs.
struct RowsF32 {
    data: Vec<f32>,
    cols: usize,
}

impl RowsF32 {
    fn new(x: ArrayView2<'_, f64>) -> Self {
        Self { data: x.iter().map(|&v| v as f32).collect(), cols: x.ncols() }
    }

    /// The rows `rows`, row-major.
    fn gather(&self, rows: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(rows.len() * self.cols);
        for &r in rows {
            out.extend_from_slice(&self.data[r * self.cols..(r + 1) * self.cols]);
        }
        out
    }
}

/// The samples of `x` at `rows` as f32, row-major.
fn gather(x: ArrayView2<'_, f64>, rows: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows.len() * x.ncols());
    for &r in rows {
        out.extend(x.row(r).iter().map(|&v| v as f32));
    }
    out
}

/// Splits `0..y.len()` into (training, validation) with `fraction` of each class (rounded,
/// keeping at least one training sample per class) in validation, drawn by `rng`.
fn stratified_holdout(y: &[usize], classes: usize, fraction: f64, rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
    if fraction <= 0.0 {
        return ((0..y.len()).collect(), Vec::new());
    }
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for c in 0..classes {
        let mut members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        rng.shuffle(&mut members);
        let n_val = ((members.len() as f64 * fraction).round() as usize).min(members.len().saturating_sub(1));
        val.extend_from_slice(&members[..n_val]);
        train.extend_from_slice(&members[n_val..]);
    }
    train.sort_unstable();
    val.sort_unstable();
    (train, val)
}

/// Mean cross-entropy and accuracy of logits (rows × classes, f32) against `y`.
fn loss_accuracy(logits: &[f32], y: &[usize], classes: usize) -> (f64, f64) {
    let (mut loss, mut right) = (0.0, 0usize);
    for (row, &t) in logits.chunks(classes).zip(y) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let log_sum = f64::from(max) + row.iter().map(|&v| f64::from(v - max).exp()).sum::<f64>().ln();
        loss += log_sum - f64::from(row[t]);
        let best = row.iter().enumerate().fold(0, |b, (c, &v)| if v > row[b] { c } else { b });
        right += usize::from(best == t);
    }
    let n = y.len().max(1) as f64;
    (loss / n, right as f64 / n)
}

/// Trains an MLP classifier on `x` (samples × features) with classes `y` in `0..classes`.
/// Each epoch is reported to `params.monitor`; Cancel is checked between batches and Pause
/// waits there.
pub fn fit(
    x: ArrayView2<'_, f64>,
    y: &[usize],
    classes: usize,
    params: &MlpParams,
    cancel: Option<&CancelToken>,
) -> Result<MlpModel, NnError> {
    fit_head(x, &Head::Classes { y, classes }, params, cancel)
}

/// Trains an MLP regressor (one linear output) on `x` with targets `y`, minimising `loss`:
/// squared (scikit-learn's `MLPRegressor`: half the mean squared error), absolute, or Huber with
/// δ = ε × the SD of the training targets. The records' accuracies are R².
pub fn fit_regressor(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    params: &MlpParams,
    loss: Loss,
    cancel: Option<&CancelToken>,
) -> Result<MlpRegressor, NnError> {
    let n = y.len().max(1) as f64;
    let mean = y.iter().sum::<f64>() / n;
    let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let delta = match loss {
        Loss::Huber { epsilon } => epsilon * if sd > 0.0 { sd } else { 1.0 },
        _ => 0.0,
    };
    let model = fit_head(x, &Head::Values { y, loss, delta }, params, cancel)?;
    Ok(MlpRegressor(model))
}

/// An MLP with one linear output: a regressor.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpRegressor(pub MlpModel);

impl crate::analysis::regress::FittedRegressor for MlpRegressor {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        self.0.logits(x).column(0).to_vec()
    }

    fn history(&self) -> Option<&[EpochRecord]> {
        Some(&self.0.history)
    }

    fn device(&self) -> Option<&str> {
        Some(&self.0.device)
    }
}

/// What the output layer predicts, and how it is scored.
enum Head<'a> {
    /// Classes: softmax cross-entropy, accuracy.
    Classes { y: &'a [usize], classes: usize },
    /// Numbers: one output, `loss`, R².
    Values { y: &'a [f64], loss: Loss, delta: f64 },
}

impl Head<'_> {
    fn outputs(&self) -> usize {
        match self {
            Self::Classes { classes, .. } => *classes,
            Self::Values { .. } => 1,
        }
    }

    fn samples(&self) -> usize {
        match self {
            Self::Classes { y, .. } => y.len(),
            Self::Values { y, .. } => y.len(),
        }
    }

    /// (training, validation) samples: stratified for classes, at random for numbers.
    fn holdout(&self, fraction: f64, rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
        match self {
            Self::Classes { y, classes } => stratified_holdout(y, *classes, fraction, rng),
            Self::Values { y, .. } => {
                let mut all: Vec<usize> = (0..y.len()).collect();
                if fraction <= 0.0 {
                    return (all, Vec::new());
                }
                rng.shuffle(&mut all);
                let n_val = ((y.len() as f64 * fraction).round() as usize).min(y.len().saturating_sub(2));
                let mut val = all[..n_val].to_vec();
                let mut train = all[n_val..].to_vec();
                train.sort_unstable();
                val.sort_unstable();
                (train, val)
            }
        }
    }

    /// The differentiable mean loss of a batch's outputs for samples `rows`.
    fn batch_loss(&self, out: Tensor<2>, rows: &[usize], device: &Device) -> Tensor<1> {
        let b = rows.len();
        match self {
            Self::Classes { y, classes } => {
                let mut onehot = vec![0f32; b * classes];
                for (r, &i) in rows.iter().enumerate() {
                    onehot[r * classes + y[i]] = 1.0;
                }
                let onehot = Tensor::<2>::from_data(TensorData::new(onehot, [b, *classes]), device);
                let log_p = activation::log_softmax(out, 1);
                (log_p * onehot).sum().neg().div_scalar(b as f32)
            }
            Self::Values { y, loss, delta } => {
                let t: Vec<f32> = rows.iter().map(|&i| y[i] as f32).collect();
                let t = Tensor::<2>::from_data(TensorData::new(t, [b, 1]), device);
                let r = out - t;
                match loss {
                    Loss::Squared => r.square().mean().div_scalar(2.0),
                    Loss::Absolute => r.abs().mean(),
                    Loss::Huber { .. } => {
                        let abs = r.abs();
                        let inside = abs.clone().clamp_max(*delta as f32);
                        let outside = abs - inside.clone();
                        (inside.square().mul_scalar(0.5) + outside.mul_scalar(*delta as f32)).mean()
                    }
                }
            }
        }
    }

    /// (mean loss, accuracy or R²) of outputs (rows × outputs, f32) for samples `rows`.
    fn score(&self, out: &[f32], rows: &[usize]) -> (f64, f64) {
        match self {
            Self::Classes { y, classes } => {
                let truth: Vec<usize> = rows.iter().map(|&i| y[i]).collect();
                loss_accuracy(out, &truth, *classes)
            }
            Self::Values { y, loss, delta } => {
                let truth: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
                let predicted: Vec<f64> = out.iter().map(|&v| f64::from(v)).collect();
                let n = truth.len().max(1) as f64;
                let value = match loss {
                    Loss::Squared => {
                        truth.iter().zip(&predicted).map(|(t, p)| (t - p).powi(2)).sum::<f64>() / (2.0 * n)
                    }
                    Loss::Absolute => truth.iter().zip(&predicted).map(|(t, p)| (t - p).abs()).sum::<f64>() / n,
                    Loss::Huber { .. } => crate::analysis::regress::metrics::huber_loss(&truth, &predicted, *delta),
                };
                (value, crate::analysis::regress::metrics::regression_scores(&truth, &predicted).r2)
            }
        }
    }
}

/// The epoch loop for either head.
#[allow(clippy::too_many_lines)]
fn fit_head(
    x: ArrayView2<'_, f64>,
    head: &Head<'_>,
    params: &MlpParams,
    cancel: Option<&CancelToken>,
) -> Result<MlpModel, NnError> {
    if let Some(problem) = params.problems().into_iter().next() {
        return Err(NnError::Settings(problem));
    }
    let cancelled = || cancel.is_some_and(CancelToken::is_cancelled);
    let (base, device_label) = device_for(params.device)?;
    let device = base.autodiff();
    let inner = device.clone().inner();
    let mut rng = Rng::new(params.seed);
    let (train, val) = head.holdout(params.validation_fraction, &mut rng);
    let outputs = head.outputs();
    let features = x.ncols();
    let mut sizes = vec![features];
    sizes.extend_from_slice(&params.hidden);
    sizes.push(outputs);
    let mut net = Net::from_weights(&super::initial_weights(&sizes, params.activation, params.seed), &sizes, &device);
    let mut optimizer = optimizer_for(params.optimizer);
    let val_x = (!val.is_empty())
        .then(|| Tensor::<2>::from_data(TensorData::new(gather(x, &val), [val.len(), features]), &inner));
    let drawable = params.monitor.is_watching()
        && sizes.windows(2).map(|w| w[0] * w[1]).sum::<usize>() <= NetworkSnapshot::MAX_WEIGHTS;
    params.monitor.begin_run(params.epochs, &device_label);
    debug_assert_eq!(head.samples(), x.nrows());

    let batch = params.batch_size.min(train.len()).max(1);
    let mut order = train.clone();
    let mut history = Vec::with_capacity(params.epochs);
    let x32 = RowsF32::new(x);
    // Early stopping: the best validation loss, its epoch and its weights.
    let mut best: Option<(f64, usize, Weights)> = None;
    for epoch in 1..=params.epochs {
        let started = Instant::now();
        rng.shuffle(&mut order);
        let (mut loss_sum, mut score_sum) = (0.0, 0.0);
        for rows in order.chunks(batch) {
            wait_while_paused(&|| params.monitor.is_paused(), &cancelled)?;
            let b = rows.len();
            let xb = Tensor::<2>::from_data(TensorData::new(x32.gather(rows), [b, features]), &device);
            let masks: Option<Vec<Tensor<2>>> = (params.dropout > 0.0).then(|| {
                let keep = 1.0 - params.dropout;
                params
                    .hidden
                    .iter()
                    .map(|&units| {
                        let m: Vec<f32> = (0..b * units)
                            .map(|_| if rng.uniform() < keep { (1.0 / keep) as f32 } else { 0.0 })
                            .collect();
                        Tensor::<2>::from_data(TensorData::new(m, [b, units]), &device)
                    })
                    .collect()
            });
            let out = net.forward(xb, params.activation, masks.as_deref());
            let data_loss = head.batch_loss(out.clone(), rows, &device);
            let mut loss = data_loss.clone();
            if let Some(penalty) = l2_penalty(&net.layers, params.weight_decay, b) {
                loss = loss + penalty;
            }
            let batch_loss = f64::from(data_loss.into_scalar::<f32>());
            let out = out.detach().into_data().try_into_vec_as::<f32>().unwrap_or_default();
            score_sum += head.score(&out, rows).1 * b as f64;
            loss_sum += batch_loss * b as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optimizer.step(params.learning_rate, net, grads);
        }
        let train_loss = loss_sum / order.len() as f64;
        if !train_loss.is_finite() {
            return Err(NnError::Diverged(epoch));
        }
        let (val_loss, val_accuracy) = match &val_x {
            Some(vx) => {
                let out = net.valid().forward(vx.clone(), params.activation, None);
                let out = out.into_data().try_into_vec_as::<f32>().unwrap_or_default();
                let (l, a) = head.score(&out, &val);
                (Some(l), Some(a))
            }
            None => (None, None),
        };
        let record = EpochRecord {
            epoch,
            train_loss,
            train_accuracy: score_sum / order.len() as f64,
            val_loss,
            val_accuracy,
            seconds: started.elapsed().as_secs_f64(),
        };
        history.push(record);
        let snapshot = drawable.then(|| NetworkSnapshot {
            sizes: sizes.clone(),
            weights: net.valid().weights().into_iter().map(|(w, _)| w).collect(),
        });
        params.monitor.record(record, snapshot);
        if let (Some(patience), Some(vl)) = (params.early_stopping, val_loss) {
            match &best {
                Some((best_loss, _, _)) if vl >= *best_loss => {}
                _ => best = Some((vl, epoch, net.valid().weights())),
            }
            if best.as_ref().is_some_and(|(_, e, _)| epoch - e >= patience) {
                break;
            }
        }
    }
    let (weights, best_epoch) = match best {
        Some((_, e, w)) => (w, e),
        None => (net.valid().weights(), history.len()),
    };
    Ok(to_model(&weights, &sizes, params.activation, history, best_epoch, device_label))
}

/// The f64 model of f32 weights.
fn to_model(
    weights: &[(Vec<f32>, Vec<f32>)],
    sizes: &[usize],
    activation: Activation,
    history: Vec<EpochRecord>,
    best_epoch: usize,
    device: String,
) -> MlpModel {
    let (ws, bs) = f64_layers(weights, sizes).into_iter().unzip();
    MlpModel { weights: ws, biases: bs, activation, history, best_epoch, device }
}

/// An autoencoder as one burn module (so one optimiser steps both halves).
#[derive(Module, Debug)]
struct AutoencoderNet {
    encoder: Net,
    decoder: Net,
}

/// Rows encoded at once when the code of every sample is computed.
const ENCODE_CHUNK: usize = 4096;

/// The first `units` outputs of `encoder` (μ) for every sample of `x`, in chunks.
fn encode_all(
    encoder: &Net,
    x: ArrayView2<'_, f64>,
    units: usize,
    activation: Activation,
    device: &Device,
) -> Array2<f64> {
    let (n, d) = x.dim();
    let mut out = Array2::zeros((n, units));
    let rows: Vec<usize> = (0..n).collect();
    for chunk in rows.chunks(ENCODE_CHUNK) {
        let t = Tensor::<2>::from_data(TensorData::new(gather(x, chunk), [chunk.len(), d]), device);
        let code = encoder.forward(t, activation, None).narrow(1, 0, units);
        let values = code.into_data().try_into_vec_as::<f32>().unwrap_or_default();
        for (r, &i) in chunk.iter().enumerate() {
            for j in 0..units {
                out[[i, j]] = f64::from(values.get(r * units + j).copied().unwrap_or(f32::NAN));
            }
        }
    }
    out
}

/// Mean squared error between `x` and its reconstruction through μ, for the samples `rows`.
fn reconstruction_mse(
    net: &AutoencoderNet,
    x: ArrayView2<'_, f64>,
    rows: &[usize],
    params: &super::autoencoder::AutoencoderParams,
    device: &Device,
) -> f64 {
    let d = x.ncols();
    let mut sum = 0.0;
    for chunk in rows.chunks(ENCODE_CHUNK) {
        let t = Tensor::<2>::from_data(TensorData::new(gather(x, chunk), [chunk.len(), d]), device);
        let code = net.encoder.forward(t, params.activation, None).narrow(1, 0, params.code);
        let back = net.decoder.forward(code, params.activation, None);
        let back = back.into_data().try_into_vec_as::<f32>().unwrap_or_default();
        let rows = chunk.iter().flat_map(|&r| x.row(r).into_iter().copied());
        sum += rows.zip(&back).map(|(a, &b)| f64::from(a as f32 - b).powi(2)).sum::<f64>();
    }
    sum / (rows.len() * d).max(1) as f64
}

/// Trains an autoencoder; see [`super::autoencoder`] for the network, the loss and the
/// arguments.
#[allow(clippy::too_many_lines)]
pub fn fit_autoencoder(
    x: ArrayView2<'_, f64>,
    params: &super::autoencoder::AutoencoderParams,
    cancel: Option<&CancelToken>,
    paused: &dyn Fn() -> bool,
    observe: &mut super::autoencoder::Observer<'_>,
) -> Result<super::autoencoder::Autoencoder, NnError> {
    use super::autoencoder::{Autoencoder, AutoencoderEpoch};
    if let Some(problem) = params.problems().into_iter().next() {
        return Err(NnError::Settings(problem));
    }
    let (n, d) = x.dim();
    if n < 2 || d == 0 {
        return Err(NnError::Settings(format!(
            "an autoencoder needs at least two samples and one input; this matrix is {n} × {d}"
        )));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(NnError::Settings(
            "the matrix has missing or infinite values: impute or filter them in preprocessing first".to_owned(),
        ));
    }
    let cancelled = || cancel.is_some_and(CancelToken::is_cancelled);
    let (base, device_label) = device_for(params.device)?;
    let device = base.autodiff();
    let inner = device.clone().inner();
    let mut rng = Rng::new(params.seed);
    let everyone = vec![0usize; n];
    let (train, val) = stratified_holdout(&everyone, 1, params.validation_fraction, &mut rng);
    let (enc_sizes, dec_sizes) = (params.encoder_sizes(d), params.decoder_sizes(d));
    let act = params.activation;
    let mut net = AutoencoderNet {
        encoder: Net::from_weights(&super::initial_weights(&enc_sizes, act, params.seed), &enc_sizes, &device),
        decoder: Net::from_weights(
            &super::initial_weights(&dec_sizes, act, params.seed.wrapping_add(1)),
            &dec_sizes,
            &device,
        ),
    };
    let mut optimizer = optimizer_for(params.optimizer);
    let c = params.code;
    let batch = params.batch_size.min(train.len()).max(1);
    let mut order = train.clone();
    let mut history = Vec::with_capacity(params.epochs);
    let x32 = RowsF32::new(x);
    for epoch in 1..=params.epochs {
        let started = Instant::now();
        rng.shuffle(&mut order);
        let (mut mse_sum, mut kl_sum) = (0.0, 0.0);
        for rows in order.chunks(batch) {
            wait_while_paused(paused, &cancelled)?;
            let b = rows.len();
            let xb = Tensor::<2>::from_data(TensorData::new(x32.gather(rows), [b, d]), &device);
            let out = net.encoder.forward(xb.clone(), act, None);
            let (z, kl) = if params.variational {
                let mu = out.clone().narrow(1, 0, c);
                let log_var = out.narrow(1, c, c);
                let eps: Vec<f32> = (0..b * c).map(|_| rng.normal() as f32).collect();
                let eps = Tensor::<2>::from_data(TensorData::new(eps, [b, c]), &device);
                let z = mu.clone() + eps * log_var.clone().mul_scalar(0.5).exp();
                let kl = (log_var.clone().add_scalar(1.0) - mu.square() - log_var.exp())
                    .sum()
                    .mul_scalar((-0.5 / (b * d) as f64) as f32);
                (z, Some(kl))
            } else {
                (out, None)
            };
            let back = net.decoder.forward(z, act, None);
            let mse = (back - xb).square().mean();
            let mut loss = mse.clone();
            if let Some(kl) = &kl {
                loss = loss + kl.clone().mul_scalar(params.beta as f32);
            }
            if let Some(penalty) =
                l2_penalty(net.encoder.layers.iter().chain(&net.decoder.layers), params.weight_decay, b)
            {
                loss = loss + penalty;
            }
            mse_sum += f64::from(mse.into_scalar::<f32>()) * b as f64;
            if let Some(kl) = kl {
                kl_sum += f64::from(kl.into_scalar::<f32>()) * b as f64;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optimizer.step(params.learning_rate, net, grads);
        }
        let train_loss = mse_sum / order.len() as f64;
        if !train_loss.is_finite() {
            return Err(NnError::Diverged(epoch));
        }
        let valid = net.valid();
        let val_loss = (!val.is_empty()).then(|| reconstruction_mse(&valid, x, &val, params, &inner));
        let record = AutoencoderEpoch {
            epoch,
            train_loss,
            kl: params.variational.then(|| kl_sum / order.len() as f64),
            val_loss,
            seconds: started.elapsed().as_secs_f64(),
        };
        history.push(record);
        observe(&record, &device_label, &|| encode_all(&valid.encoder, x, c, act, &inner));
    }
    let valid = net.valid();
    let mut model = Autoencoder {
        encoder: f64_layers(&valid.encoder.weights(), &enc_sizes),
        decoder: f64_layers(&valid.decoder.weights(), &dec_sizes),
        activation: act,
        code_units: c,
        variational: params.variational,
        code: Array2::zeros((0, c)),
        history,
        device: device_label,
    };
    model.code = model.encode(x);
    Ok(model)
}
