//! The Autoencoder view: a network squeezes every sample through a 2-D code and rebuilds it;
//! the code moves live while it trains (as t-SNE and UMAP do), beside the reconstruction-error
//! curves of the samples it trains on and of a held-out part, with Pause, Resume and Stop.
//! Colour by an annotation or a gene, select, export the code or the curves as a figure; *Use as
//! embedding* adds the code to the dataset's stored embeddings (`X_autoencoder`), where UMAP and
//! Leiden/Louvain can find neighbours in it like in principal components. When training ends,
//! the code is compared with PCA of the same input: how many of each sample's 15 nearest
//! neighbours each keeps, and how well each rebuilds the input.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};
use ndarray::Array2;

use super::super::commands::Command;
use super::super::state::AppState;
use super::embedding::EmbeddingPanel;
use crate::analysis::nn::Activation;
use crate::analysis::nn::autoencoder::AutoencoderEpoch;
use crate::recipes::autoencoder::{AutoencoderSettings, COMPARE_UP_TO, Comparison};

/// Time between codes sent to the view (20 a second).
const FRAME_INTERVAL: Duration = Duration::from_millis(50);

/// The name the code is published under.
pub const EMBEDDING_NAME: &str = "X_autoencoder";

/// One code and where training was.
#[derive(Debug, Clone)]
pub struct AutoencoderFrame {
    /// Samples × 2 (the code's first two units).
    pub code: Arc<Array2<f64>>,
    /// Samples × code units.
    pub full_code: Arc<Array2<f64>>,
    /// Every epoch so far.
    pub history: Arc<Vec<AutoencoderEpoch>>,
    /// Epochs planned.
    pub epochs: usize,
    /// Where it trains.
    pub device: String,
    /// "2,000 most variable genes, standardised".
    pub input: String,
    /// Dataset generation it belongs to.
    pub generation: u64,
    /// The comparison with PCA (when training ended, up to [`COMPARE_UP_TO`] samples).
    pub comparison: Option<Comparison>,
}

/// State of the Autoencoder view.
pub struct AutoencoderView {
    /// The settings of the next run and the colouring (saved with a session as they are).
    pub settings: AutoencoderSettings,
    run: Option<super::LiveRun<AutoencoderFrame>>,
    /// The newest code (partial while training).
    pub latest: Option<AutoencoderFrame>,
    started_for: Option<u64>,
    error: Option<String>,
    /// The hidden layers as typed ("256, 64").
    hidden_text: String,
    /// The decoder's layers as typed (empty: the encoder's, mirrored).
    decoder_text: String,
    /// Colouring, legend and scatter.
    pub panel: EmbeddingPanel,
}

impl Default for AutoencoderView {
    fn default() -> Self {
        let settings = AutoencoderSettings::default();
        Self {
            hidden_text: layers_text(&settings.params.hidden),
            decoder_text: settings.params.decoder.as_deref().map(layers_text).unwrap_or_default(),
            settings,
            run: None,
            latest: None,
            started_for: None,
            error: None,
            panel: EmbeddingPanel::with_export("autoencoder", vec!["code", "reconstruction curves"]),
        }
    }
}

/// "256, 64".
fn layers_text(hidden: &[usize]) -> String {
    hidden.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// The sizes typed, or `None` when they do not read as positive numbers.
fn parse_layers(text: &str) -> Option<Vec<usize>> {
    text.split([',', ' ', '-'])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<usize>().ok().filter(|&n| n > 0))
        .collect()
}

impl AutoencoderView {
    /// True while training (paused or not).
    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// True while paused.
    pub fn is_paused(&self) -> bool {
        self.run.as_ref().is_some_and(super::LiveRun::is_paused)
    }

    /// The last failure, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Pauses or resumes training (as the Pause button does).
    pub fn set_paused(&self, paused: bool) {
        if let Some(run) = &self.run {
            run.set_paused(paused);
        }
    }

    fn start(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        self.started_for = Some(current.matrix_generation);
        self.error = None;
        let mut settings = self.settings.clone();
        settings.params.device = state.settings.compute_device.train_device();
        if let Some(problem) = settings.params.problems().into_iter().next() {
            self.error = Some(problem);
            return;
        }
        let values = match current.dataset.dense_arc() {
            Ok(v) => v,
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        let generation = current.matrix_generation;
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        let run = super::LiveRun::spawn("Autoencoder", waker, move |ctx, worker_paused| {
            let prepared = crate::recipes::in_job(ctx, |c| {
                c.progress(None, "Selecting genes");
                crate::recipes::autoencoder::prepare(values.view(), &settings)
            })?;
            let input = prepared.describe(settings.scale);
            let epochs = settings.params.epochs;
            let frame = |code: Array2<f64>, history: &[AutoencoderEpoch], device: &str| {
                let two = code.slice(ndarray::s![.., ..2.min(code.ncols())]).to_owned();
                AutoencoderFrame {
                    code: Arc::new(two),
                    full_code: Arc::new(code),
                    history: Arc::new(history.to_vec()),
                    epochs,
                    device: device.to_owned(),
                    input: input.clone(),
                    generation,
                    comparison: None,
                }
            };
            let mut history = Vec::with_capacity(epochs);
            let mut last_sent: Option<Instant> = None;
            let model = crate::recipes::in_job(ctx, |c| {
                crate::recipes::autoencoder::train(
                    &prepared,
                    &settings.params,
                    c,
                    &|| worker_paused.load(Ordering::Relaxed),
                    &mut |record, on, code| {
                        history.push(*record);
                        if last_sent.is_none_or(|t| t.elapsed() >= FRAME_INTERVAL) {
                            ctx.partial(frame(code(), &history, on));
                            last_sent = Some(Instant::now());
                        }
                    },
                )
            })?;
            let mut last = frame(model.code.clone(), &model.history, &model.device);
            if prepared.x.nrows() <= COMPARE_UP_TO {
                ctx.partial(last.clone());
                last.comparison =
                    Some(crate::recipes::in_job(ctx, |c| crate::recipes::autoencoder::compare(&prepared, &model, c))?);
            }
            Ok(last)
        });
        self.run = Some(run);
    }

    /// Takes new codes and the finished one (also while not shown).
    pub fn poll(&mut self) {
        super::LiveRun::poll(&mut self.run, &mut self.latest, &mut self.error);
    }

    fn update(&mut self, state: &AppState) {
        self.poll();
        let Some(current) = &state.current else { return };
        if self.run.is_none() && self.started_for != Some(current.matrix_generation) {
            self.latest = None;
            self.start(state);
        }
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.update(state);
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset to train an autoencoder."));
            return;
        };
        egui::Panel::top("autoencoder_toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| self.network_ui(ui));
            ui.horizontal_wrapped(|ui| self.run_ui(ui, state));
            ui.horizontal_wrapped(|ui| {
                self.panel.colouring_ui(ui, &current.dataset, &mut self.settings.colour_by);
                ui.separator();
                self.panel.tools_ui(ui, state.selection.samples.len(), commands);
                ui.separator();
                self.publish_ui(ui, state, commands);
            });
        });
        let body = ui.text_style_height(&egui::TextStyle::Body);
        egui::Panel::left("autoencoder_curves")
            .resizable(true)
            .default_size(body * 24.0)
            .min_size(body * 20.0)
            .show(ui, |ui| self.curves_ui(ui));
        let coords = self.latest.as_ref().filter(|f| f.generation == current.matrix_generation).map(|f| &f.code);
        self.panel.live_ui(
            ui,
            ("autoencoder", "autoencoder"),
            current,
            coords,
            self.error.as_deref(),
            |_, _| {},
            &self.settings.colour_by,
            &state.selection.samples,
            commands,
        );
        self.export_curves(ui.ctx(), &current.dataset.name);
    }

    /// The network's settings (disabled while training).
    fn network_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_enabled_ui(self.run.is_none(), |ui| {
            let p = &mut self.settings.params;
            ui.label("Encoder");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.hidden_text)
                        .desired_width(ui.text_style_height(&egui::TextStyle::Body) * 5.0),
                )
                .on_hover_text("Units of each hidden layer, input side first (e.g. 256, 64); the decoder mirrors them");
            if edit.changed()
                && let Some(layers) = parse_layers(&self.hidden_text)
            {
                p.hidden = layers;
            }
            if edit.lost_focus() {
                self.hidden_text = layers_text(&p.hidden);
            }
            ui.label("code");
            ui.add(egui::DragValue::new(&mut p.code).range(2..=32))
                .on_hover_text("Units of the bottleneck: the first two are drawn");
            ui.label("Decoder");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.decoder_text)
                        .hint_text("mirror")
                        .desired_width(ui.text_style_height(&egui::TextStyle::Body) * 5.0),
                )
                .on_hover_text("Units of the decoder's hidden layers, code side first; empty: the encoder's, mirrored");
            if edit.changed() {
                if self.decoder_text.trim().is_empty() {
                    p.decoder = None;
                } else if let Some(layers) = parse_layers(&self.decoder_text) {
                    p.decoder = Some(layers);
                }
            }
            if edit.lost_focus() {
                self.decoder_text = p.decoder.as_deref().map(layers_text).unwrap_or_default();
            }
            egui::ComboBox::from_id_salt("ae_activation").selected_text(p.activation.label()).show_ui(ui, |ui| {
                for a in Activation::ALL {
                    ui.selectable_value(&mut p.activation, a, a.label());
                }
            });
            ui.checkbox(&mut p.variational, "variational (VAE)")
                .on_hover_text("A Gaussian code: the loss adds β × the KL divergence from N(0, 1)");
            if p.variational {
                ui.label("β");
                ui.add(egui::DragValue::new(&mut p.beta).range(0.0..=100.0).speed(0.05));
            }
            ui.separator();
            ui.label("Epochs");
            ui.add(egui::DragValue::new(&mut p.epochs).range(1..=10_000).speed(5));
            ui.label("Batch");
            ui.add(egui::DragValue::new(&mut p.batch_size).range(1..=4096));
            ui.label("Learning rate");
            ui.add(egui::DragValue::new(&mut p.learning_rate).range(1e-6..=1.0).speed(1e-4).max_decimals(5));
            ui.label("L2");
            ui.add(egui::DragValue::new(&mut p.weight_decay).range(0.0..=10.0).speed(1e-4).max_decimals(5));
            ui.label("Held out");
            ui.add(egui::DragValue::new(&mut p.validation_fraction).range(0.0..=0.5).speed(0.01).max_decimals(2))
                .on_hover_text(
                    "Share of the samples not trained on: their reconstruction error is the validation curve",
                );
            ui.label("Seed");
            ui.add(egui::DragValue::new(&mut p.seed));
            ui.separator();
            ui.label("Genes");
            ui.add(egui::DragValue::new(&mut self.settings.genes).range(0..=100_000).speed(50))
                .on_hover_text("The most variable genes it learns from (0: all)");
            ui.checkbox(&mut self.settings.scale, "standardise")
                .on_hover_text("Divide each gene by its standard deviation after centring");
        });
    }

    /// Train / Pause / Stop, and where training is.
    fn run_ui(&mut self, ui: &mut egui::Ui, state: &AppState) {
        if self.run.is_some() {
            super::LiveRun::controls_ui(&mut self.run, ui, "Keep the code as it is now");
        } else if ui.button("▶ Train").clicked() {
            self.start(state);
        }
        ui.separator();
        match &self.latest {
            Some(frame) => {
                let epoch = frame.history.len();
                ui.label(RichText::new(format!("epoch {epoch} / {}", frame.epochs)).strong());
                let doing = if self.run.is_some() { "training" } else { "trained" };
                ui.label(format!("{doing} on {}", frame.device));
                if let Some(last) = frame.history.last() {
                    let val = last.val_loss.map(|v| format!(", held out {v:.4}")).unwrap_or_default();
                    ui.label(format!("error {:.4}{val}", last.train_loss));
                }
                ui.label(RichText::new(&frame.input).weak());
            }
            None if self.run.is_some() => {
                ui.spinner();
                ui.label(self.run.as_ref().map_or_else(String::new, super::LiveRun::message));
            }
            None => {
                ui.label(RichText::new(state.compute_device_effect().replace("Distances run", "Training runs")).weak());
            }
        }
    }

    /// Use the code as an embedding, and the comparison with PCA.
    fn publish_ui(&self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        let Some(frame) = &self.latest else { return };
        let ready =
            self.run.is_none() && state.current.as_ref().is_some_and(|c| c.matrix_generation == frame.generation);
        if ui
            .add_enabled(ready, egui::Button::new("Use as embedding"))
            .on_hover_text(format!(
                "Adds the code as the stored embedding '{EMBEDDING_NAME}': UMAP and Leiden/Louvain (Clusters) can \
                 find neighbours in it, and the Embeddings tab shows it"
            ))
            .clicked()
        {
            commands
                .push(Command::SetEmbedding { name: EMBEDDING_NAME.to_owned(), coords: (*frame.full_code).clone() });
        }
        if let Some(c) = &frame.comparison {
            ui.label(format!(
                "{}-NN kept: code {:.3}, PCA (PC1–{}) {:.3} · reconstruction error: code {:.4}, PCA {:.4}",
                c.k,
                c.autoencoder,
                frame.full_code.ncols(),
                c.pca,
                c.reconstruction,
                c.pca_reconstruction
            ))
            .on_hover_text(
                "The share of each sample's 15 nearest neighbours (in the network's input) that stay among its 15 \
                 nearest in the code, and in as many principal components of the same input",
            );
        } else if self.run.is_none() && frame.full_code.nrows() > COMPARE_UP_TO {
            ui.label(
                RichText::new(format!(
                    "(comparison with PCA: above {COMPARE_UP_TO} samples use `biolens autoencoder --compare-pca`)"
                ))
                .weak(),
            );
        }
    }

    /// The reconstruction-error curves.
    fn curves_ui(&self, ui: &mut egui::Ui) {
        ui.label(RichText::new("Reconstruction error").strong());
        let Some(frame) = &self.latest else {
            ui.label("Curves appear as it trains.");
            return;
        };
        let height = (ui.available_height() - ui.spacing().item_spacing.y).max(120.0);
        super::super::widgets::training::reconstruction_ui(
            ui,
            "autoencoder_loss",
            &frame.history,
            frame.epochs,
            height,
        );
    }

    /// The curves as a figure, when the export window asks for them.
    fn export_curves(&mut self, ctx: &egui::Context, name: &str) {
        let (Some(export), Some(frame)) = (&mut self.panel.export, &self.latest) else { return };
        if !export.wants(1) {
            return;
        }
        let fig = crate::export::plots::reconstruction_curves(&format!("{name} — autoencoder"), &frame.history);
        let ctx = ctx.clone();
        export.start(fig, Arc::new(move || ctx.request_repaint()));
    }
}

impl super::View for AutoencoderView {
    fn title(&self) -> &'static str {
        "Autoencoder"
    }

    fn poll(&mut self, _state: &AppState, _commands: &mut Vec<Command>) {
        AutoencoderView::poll(self);
    }

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        AutoencoderView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        self.is_running() && !self.is_paused()
    }

    fn save(&self, views: &mut crate::session::Views) {
        views.autoencoder = self.settings.clone();
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.settings = views.autoencoder.clone();
        self.hidden_text = layers_text(&self.settings.params.hidden);
        self.decoder_text = self.settings.params.decoder.as_deref().map(layers_text).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_read_with_commas_spaces_or_dashes() {
        assert_eq!(parse_layers("256, 64"), Some(vec![256, 64]));
        assert_eq!(parse_layers("128-32"), Some(vec![128, 32]));
        assert_eq!(parse_layers(""), Some(vec![]));
        assert_eq!(parse_layers("64, x"), None);
        assert_eq!(parse_layers("0"), None);
        assert_eq!(layers_text(&[256, 64]), "256, 64");
    }
}
