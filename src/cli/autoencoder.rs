//! `biolens autoencoder`: the code of every sample from an autoencoder of the processed matrix
//! ([`crate::recipes::autoencoder`]), its training history, and how it keeps neighbours
//! compared with PCA.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::classify::{AutoencoderExtraArgs, MlpArgs};
use super::{DataArgs, OutFile};
use crate::analysis::nn::autoencoder::AutoencoderEpoch;
use crate::recipes::Ctx;

/// `biolens autoencoder`.
#[derive(Debug, Args)]
pub struct AutoencoderArgs {
    /// Loading and preprocessing.
    #[command(flatten)]
    pub data: DataArgs,
    /// The network and its training.
    #[command(flatten)]
    pub network: MlpArgs,
    /// The code, the variational switch and the input.
    #[command(flatten)]
    pub extra: AutoencoderExtraArgs,
    /// Seed of the weights, the batches, the validation part and the VAE's noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the code as CSV: `sample_id,AE1,AE2,…`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print one JSON object: the device, epochs, losses, seconds and the comparison with PCA.
    #[arg(long)]
    pub json: bool,
    /// Also compare with PCA: the share of each sample's 15 nearest neighbours (of the input)
    /// kept by the code and by as many principal components, and both reconstruction errors
    /// (an exact search: O(n²)).
    #[arg(long)]
    pub compare_pca: bool,
}

/// Writes `epoch,train_loss,val_loss,kl,seconds` (empty cells where there is no value).
pub(super) fn write_history(out: &mut dyn std::io::Write, history: &[AutoencoderEpoch]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    writeln!(out, "epoch,train_loss,val_loss,kl,seconds")?;
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in history {
        writeln!(out, "{},{},{},{},{}", r.epoch, r.train_loss, opt(r.val_loss), opt(r.kl), r.seconds)?;
    }
    out.flush()
}

/// The code's column names: AE1, AE2, … (VAE1, … for a variational one).
pub(super) fn code_names(units: usize, variational: bool) -> Vec<String> {
    let prefix = if variational { "VAE" } else { "AE" };
    (1..=units).map(|k| format!("{prefix}{k}")).collect()
}

pub(super) fn run(args: &AutoencoderArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let settings = args.extra.settings(&args.network, args.seed)?;
    let file = OutFile::create(&args.out)?;
    let history_file = args.network.history_out.as_deref().map(OutFile::create).transpose()?;
    let dataset = args.data.open()?;
    let started = std::time::Instant::now();
    let (prepared, model) = crate::recipes::autoencoder::run(&dataset, &settings, Ctx::silent(), &mut |_, _, _| {})?;
    let seconds = started.elapsed().as_secs_f64();
    let names = code_names(model.code_units, model.variational);
    file.write("sample_id", dataset.sample_ids(), &names, model.code.view())?;
    if let Some(f) = history_file {
        f.write_with(|w| write_history(w, &model.history))?;
    }
    let comparison =
        args.compare_pca.then(|| crate::recipes::autoencoder::compare(&prepared, &model, Ctx::silent())).transpose()?;
    let last = model.history.last();
    if args.json {
        let json = serde_json::json!({
            "samples": dataset.n_samples(),
            "input": prepared.describe(settings.scale),
            "network": settings.params.name(),
            "device": model.device,
            "epochs_trained": model.history.len(),
            "train_loss": last.map(|r| r.train_loss),
            "val_loss": last.and_then(|r| r.val_loss),
            "kl": last.and_then(|r| r.kl),
            "reconstruction_error": model.reconstruction_error(prepared.x.view()),
            "seconds": seconds,
            "seconds_per_epoch": model.history.iter().map(|r| r.seconds).sum::<f64>() / model.history.len().max(1) as f64,
            "comparison": comparison,
        });
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} samples, {}: {} trained {} epochs on {} in {seconds:.2} s; reconstruction error {:.4}{}; code written to {}",
        dataset.n_samples(),
        prepared.describe(settings.scale),
        settings.params.name(),
        model.history.len(),
        model.device,
        model.reconstruction_error(prepared.x.view()),
        last.and_then(|r| r.val_loss).map(|v| format!(" (validation {v:.4})")).unwrap_or_default(),
        args.out.display()
    )?;
    if let Some(c) = comparison {
        writeln!(
            out,
            "{}-NN preservation: autoencoder {:.3}, PCA ({} components) {:.3}; reconstruction error: autoencoder {:.4}, PCA {:.4}",
            c.k, c.autoencoder, model.code_units, c.pca, c.reconstruction, c.pca_reconstruction
        )?;
    }
    Ok(())
}
