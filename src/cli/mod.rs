//! The command line: the same data and analysis code as the app, no window.
//!
//! Every subcommand that reads a matrix flattens [`DataArgs`] (the file, annotations,
//! orientation, missing values and preprocessing flags), so later analyses (`pca`,
//! `tsne`, `cluster`, …) accept exactly the flags of `info`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::analysis::distance::{Between, Metric};
use crate::analysis::pca::{PcaParams, PcaSolver};
use crate::analysis::tsne::{TsneEngine, TsneGradient, TsneMetric, TsneNeighbors, TsneParams};
use crate::analysis::{self};
use crate::data::{self, Dataset, MissingPolicy, OpenRequest, Orientation, Pipeline, Step};
use crate::export;
use crate::recipes::distance_map::{ComputeDevice, Device};
use crate::recipes::{self, Ctx};

mod autoencoder;
mod classify;
mod cluster;
mod plot;
mod regress;
mod run;
pub use classify::{ClassifyArgs, ModelArg};
pub use cluster::{ClusterArgs, ClusterMethodArg};
pub use plot::{PlotArgs, PlotView};
pub use run::{RunArgs, session_script};

/// Biolens: explore expression matrices. Without a subcommand, starts the app.
#[derive(Debug, Parser)]
#[command(name = "biolens", version, about)]
pub struct Cli {
    /// What to do; none starts the app.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe a matrix: shape, orientation, values, missing cells, annotations.
    Info(InfoArgs),
    /// Principal components: explained variance and scores.
    Pca(PcaArgs),
    /// A t-SNE embedding (openTSNE's defaults).
    Tsne(TsneArgs),
    /// The full distance matrix between samples or genes (GPU or CPU).
    Distances(DistancesArgs),
    /// Time the GPU distance shader: kernel time, GFLOP/s, share of the FP32 peak.
    BenchGpu(BenchGpuArgs),
    /// Hierarchical clustering (`SciPy`'s linkage layout), k-means or DBSCAN.
    Cluster(ClusterArgs),
    /// Cross-validated classification of an annotation (no leakage).
    Classify(ClassifyArgs),
    /// Cross-validated regression of a numeric annotation or a gene (no leakage): R², RMSE,
    /// MAE, the coefficients of linear models and the regularisation path.
    Regress(Box<regress::RegressArgs>),
    /// A view as a figure file (SVG, PNG or PDF) of a chosen size.
    Plot(Box<PlotArgs>),
    /// Recompute a saved session: every table and figure into a folder (or print it as a script).
    Run(RunArgs),
    /// Quality metrics per cell (scanpy's `calculate_qc_metrics`): counts, genes detected,
    /// % mitochondrial; summaries printed, per-cell values with `--out`.
    Qc(QcArgs),
    /// Marker genes of each group of an annotation (scanpy's `rank_genes_groups`): Wilcoxon or
    /// t-test against the rest or a reference group; scores, log2 fold changes, p-values.
    Markers(MarkersArgs),
    /// A UMAP embedding of the neighbour graph (scanpy's `sc.pp.neighbors` + `sc.tl.umap`).
    Umap(UmapArgs),
    /// Differential expression of two sets of samples: Welch's t-test or Wilcoxon rank-sum
    /// (tie-corrected), Benjamini–Hochberg adjusted; `SciPy`'s p-values.
    De(DeArgs),
    /// An autoencoder's code of every sample (a non-linear alternative to PCA; `--vae` for a
    /// variational one), its training history and its comparison with PCA.
    Autoencoder(Box<autoencoder::AutoencoderArgs>),
}

/// Reading a matrix and preprocessing it; shared by every subcommand.
#[derive(Debug, Clone, Args)]
#[allow(clippy::struct_excessive_bools)] // command-line switches are booleans by nature
pub struct DataArgs {
    /// Matrix file (CSV, TSV, white-space text, optionally .gz; a spreadsheet: .xlsx, .xls,
    /// .ods; a GEO series matrix; Parquet; .mtx; h5ad, Loom, Cell Ranger .h5) or 10x directory.
    /// (Optional only where a subcommand takes another input instead: `cluster --distances`.)
    #[arg(required = true)]
    pub matrix: Option<PathBuf>,
    /// Sample annotations file (CSV/TSV or a spreadsheet, first column sample ids); repeatable.
    #[arg(long, short = 'a')]
    pub annotations: Vec<PathBuf>,
    /// The file has one row per gene (overrides detection).
    #[arg(long, conflicts_with = "samples_in_rows")]
    pub genes_in_rows: bool,
    /// The file has one row per sample (overrides detection).
    #[arg(long)]
    pub samples_in_rows: bool,
    /// h5ad/Loom: read this layer instead of X (`info` lists the layers).
    #[arg(long, value_name = "NAME", conflicts_with = "use_raw")]
    pub layer: Option<String>,
    /// h5ad: read `raw/X` (and its genes) instead of X.
    #[arg(long)]
    pub use_raw: bool,
    /// Cell Ranger v2 HDF5: the genome to read when the file holds several.
    #[arg(long, value_name = "NAME")]
    pub genome: Option<String>,
    /// Cell Ranger v3 HDF5: the feature type to keep ("Gene Expression" unless given, e.g.
    /// "Antibody Capture").
    #[arg(long, value_name = "TYPE")]
    pub feature_type: Option<String>,
    /// Spreadsheet: the sheet holding the matrix (default: the first; `info` lists them).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Spreadsheet annotation files (`-a`): the sheet to read (default: their first).
    #[arg(long, value_name = "NAME")]
    pub annotations_sheet: Option<String>,
    /// What to do with missing values.
    #[arg(long, value_enum, default_value_t = MissingPolicy::default())]
    pub missing: MissingPolicy,
    /// Keep samples whose annotation COLUMN is one of the values: COLUMN=V1,V2 (first step).
    #[arg(long, value_name = "COLUMN=VALUES")]
    pub subset: Option<String>,
    /// Keep N samples drawn at random (seed 0, scanpy's `pp.subsample`), after `--subset`.
    #[arg(long, value_name = "N")]
    pub subsample: Option<usize>,
    /// Stratify `--subsample` by this categorical annotation: each level keeps its share.
    #[arg(long, value_name = "COLUMN", requires = "subsample")]
    pub subsample_by: Option<String>,
    /// Keep cells with at least N genes detected (scanpy's `filter_cells(min_genes=N)`).
    #[arg(long, value_name = "N")]
    pub filter_cells_min_genes: Option<usize>,
    /// Keep cells with at most N genes detected.
    #[arg(long, value_name = "N")]
    pub filter_cells_max_genes: Option<usize>,
    /// Keep cells with at least N counts.
    #[arg(long, value_name = "N")]
    pub filter_cells_min_counts: Option<f64>,
    /// Keep cells with at most N counts.
    #[arg(long, value_name = "N")]
    pub filter_cells_max_counts: Option<f64>,
    /// Keep cells with at most PCT % of their counts in mitochondrial genes.
    #[arg(long, value_name = "PCT")]
    pub filter_cells_max_mito: Option<f64>,
    /// The prefix of mitochondrial gene ids (matched ignoring case: MT- also matches mt-).
    #[arg(long, value_name = "PREFIX", default_value = crate::data::single_cell::MITO_PREFIX)]
    pub mito_prefix: String,
    /// Keep genes detected in at least N cells (scanpy's `filter_genes(min_cells=N)`).
    #[arg(long, value_name = "N")]
    pub filter_genes_min_cells: Option<usize>,
    /// Scale every cell to the same total (scanpy's `normalize_total`); without a value, the
    /// median of the cells' totals.
    #[arg(long, value_name = "TARGET", num_args = 0..=1)]
    pub normalize_total: Option<Option<f64>>,
    /// ln(x + 1) (scanpy's `log1p`; the same as --ln).
    #[arg(long, conflicts_with_all = ["log2", "ln"])]
    pub log1p: bool,
    /// Keep the N highly variable genes (scanpy's `highly_variable_genes(n_top_genes=N)`).
    #[arg(long, value_name = "N")]
    pub hvg: Option<usize>,
    /// How highly variable genes are found.
    #[arg(long, value_enum, default_value_t = crate::data::single_cell::HvgFlavor::default())]
    pub hvg_flavor: crate::data::single_cell::HvgFlavor,
    /// Highly variable genes by scanpy's cut-offs instead of the top N: mean above this
    /// (the log of the mean plus one for `seurat`; 0.0125 when only other cut-offs are given).
    #[arg(long, value_name = "X", conflicts_with = "hvg")]
    pub hvg_min_mean: Option<f64>,
    /// Cut-offs: mean below this (3 unless given).
    #[arg(long, value_name = "X", conflicts_with = "hvg")]
    pub hvg_max_mean: Option<f64>,
    /// Cut-offs: normalised dispersion above this (0.5 unless given).
    #[arg(long, value_name = "X", conflicts_with = "hvg")]
    pub hvg_min_disp: Option<f64>,
    /// Cut-offs: normalised dispersion below this (no ceiling unless given).
    #[arg(long, value_name = "X", conflicts_with = "hvg")]
    pub hvg_max_disp: Option<f64>,
    /// Scale every gene to unit variance and clip at ±V (scanpy's `scale(max_value=V)`); the
    /// matrix becomes dense.
    #[arg(long, value_name = "V")]
    pub clip: Option<f64>,
    /// Library-size normalise to counts per million (before the log).
    #[arg(long)]
    pub cpm: bool,
    /// log2(x + 1).
    #[arg(long, conflicts_with = "ln")]
    pub log2: bool,
    /// ln(x + 1).
    #[arg(long)]
    pub ln: bool,
    /// Drop genes with (near) zero variance.
    #[arg(long)]
    pub drop_constant: bool,
    /// Keep the N most variable genes.
    #[arg(long, value_name = "N")]
    pub top_genes: Option<usize>,
    /// Z-score every gene (population SD, as scikit-learn's `StandardScaler`); last step.
    #[arg(long)]
    pub scale: bool,
    /// The whole preprocessing as JSON, steps in any order (as a session saves it), instead
    /// of the step flags: `{"missing":"impute_mean","steps":[{"step":"log2"}]}`. `--top-genes`
    /// and `--scale` still add their steps after it (in `classify`, inside each fold).
    #[arg(long, value_name = "JSON", conflicts_with_all = [
        "subset", "subsample", "cpm", "log2", "ln", "log1p", "drop_constant", "filter_cells_min_genes",
        "filter_cells_max_genes", "filter_cells_min_counts", "filter_cells_max_counts", "filter_cells_max_mito",
        "filter_genes_min_cells", "normalize_total", "hvg", "hvg_min_mean", "hvg_max_mean", "hvg_min_disp",
        "hvg_max_disp", "clip",
    ])]
    pub pipeline: Option<String>,
    /// Average the samples of each group of this categorical annotation into one (pseudobulk,
    /// as scanpy's `sc.get.aggregate(…, func="mean")`) after the preprocessing above ran on
    /// them; the command then works on the means (one sample per group).
    #[arg(long, value_name = "COLUMN")]
    pub group_means: Option<String>,
    /// With --group-means: preprocessing of the means (JSON, as --pipeline).
    #[arg(long, value_name = "JSON", requires = "group_means")]
    pub means_pipeline: Option<String>,
}

impl DataArgs {
    /// The pipeline the flags describe, in a fixed order: subset, subsample, filter cells,
    /// filter genes, normalise total, CPM, log, drop constant, highly variable genes, top
    /// genes, scale with clip, z-score.
    pub fn pipeline(&self) -> anyhow::Result<Pipeline> {
        if let Some(json) = &self.pipeline {
            let mut pipeline: Pipeline =
                serde_json::from_str(json).with_context(|| format!("--pipeline: not a pipeline: {json}"))?;
            if let Some(n) = self.top_genes {
                pipeline.steps.push(Step::TopVariable { n });
            }
            if self.scale {
                pipeline.steps.push(Step::ZScore);
            }
            return Ok(pipeline);
        }
        let mut steps = Vec::new();
        if let Some(spec) = &self.subset {
            let (column, values) = spec.split_once('=').context("--subset takes COLUMN=VALUE1,VALUE2")?;
            steps.push(Step::SubsetSamples {
                column: column.to_owned(),
                keep: values.split(',').map(str::to_owned).collect(),
            });
        }
        if let Some(n) = self.subsample {
            steps.push(Step::Subsample { n, seed: 0, by: self.subsample_by.clone() });
        }
        let filter = crate::data::single_cell::CellFilter {
            min_genes: self.filter_cells_min_genes,
            max_genes: self.filter_cells_max_genes,
            min_counts: self.filter_cells_min_counts,
            max_counts: self.filter_cells_max_counts,
            max_mito_pct: self.filter_cells_max_mito,
            mito_prefix: (self.mito_prefix != crate::data::single_cell::MITO_PREFIX).then(|| self.mito_prefix.clone()),
        };
        if filter.is_set() {
            steps.push(Step::FilterCells(filter));
        }
        if let Some(min_cells) = self.filter_genes_min_cells {
            steps.push(Step::FilterGenes { min_cells });
        }
        if let Some(target) = self.normalize_total {
            steps.push(Step::NormalizeTotal { target });
        }
        if self.cpm {
            steps.push(Step::Cpm);
        }
        if self.log2 {
            steps.push(Step::Log2);
        }
        if self.ln || self.log1p {
            steps.push(Step::Ln);
        }
        if self.drop_constant {
            steps.push(Step::DropConstant);
        }
        if let Some(n) = self.hvg {
            steps.push(Step::HighlyVariable(crate::data::single_cell::HvgSettings::top(self.hvg_flavor, n)));
        } else if self.hvg_min_mean.is_some()
            || self.hvg_max_mean.is_some()
            || self.hvg_min_disp.is_some()
            || self.hvg_max_disp.is_some()
        {
            let defaults = crate::data::single_cell::HvgSettings::default();
            steps.push(Step::HighlyVariable(crate::data::single_cell::HvgSettings {
                flavor: self.hvg_flavor,
                n_top: None,
                min_mean: self.hvg_min_mean.unwrap_or(defaults.min_mean),
                max_mean: self.hvg_max_mean.unwrap_or(defaults.max_mean),
                min_disp: self.hvg_min_disp.unwrap_or(defaults.min_disp),
                max_disp: self.hvg_max_disp,
                n_bins: defaults.n_bins,
            }));
        }
        if let Some(n) = self.top_genes {
            steps.push(Step::TopVariable { n });
        }
        if let Some(clip) = self.clip {
            steps.push(Step::Scale { clip: Some(clip) });
        }
        if self.scale {
            steps.push(Step::ZScore);
        }
        Ok(Pipeline { missing: self.missing, steps })
    }

    /// The matrix file (clap requires it wherever no other input replaces it).
    pub fn matrix(&self) -> anyhow::Result<&std::path::Path> {
        self.matrix.as_deref().context("no matrix file given")
    }

    /// The open request the flags describe.
    pub fn request(&self) -> anyhow::Result<OpenRequest> {
        let orientation = if self.genes_in_rows {
            Some(Orientation::GenesInRows)
        } else if self.samples_in_rows {
            Some(Orientation::SamplesInRows)
        } else {
            None
        };
        Ok(OpenRequest {
            matrix: self.matrix()?.to_path_buf(),
            annotations: self.annotations.clone(),
            load: data::LoadOptions {
                orientation,
                choice: data::MatrixChoice {
                    layer: self.layer.clone(),
                    use_raw: self.use_raw,
                    genome: self.genome.clone(),
                    feature_type: self.feature_type.clone(),
                    sheet: self.sheet.clone(),
                    annotations_sheet: self.annotations_sheet.clone(),
                },
            },
            pipeline: match &self.means_pipeline {
                Some(json) if self.group_means.is_some() => {
                    serde_json::from_str(json).with_context(|| format!("--means-pipeline: not a pipeline: {json}"))?
                }
                _ if self.group_means.is_some() => Pipeline::default(),
                _ => self.pipeline()?,
            },
            name: None,
            group_means: match &self.group_means {
                Some(by) => Some(data::GroupMeans { by: by.clone(), members: self.pipeline()? }),
                None => None,
            },
        })
    }

    /// Opens the dataset.
    pub fn open(&self) -> anyhow::Result<Dataset> {
        let request = self.request()?;
        Ok(data::open(&request, &|_, _| {})?)
    }
}

/// `biolens info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Loading and preprocessing.
    #[command(flatten)]
    pub data: DataArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `biolens pca`.
#[derive(Debug, Args)]
pub struct PcaArgs {
    /// Loading and preprocessing (`--scale` standardises the genes: PCA on z-scores).
    #[command(flatten)]
    pub data: DataArgs,
    /// Components to compute (capped at min(samples, genes)).
    #[arg(long, short = 'k', default_value_t = PcaParams::default().components)]
    pub components: usize,
    /// SVD: exact for small matrices, randomized (Halko) for large ones.
    #[arg(long, value_enum, default_value_t = PcaParams::default().solver)]
    pub solver: PcaSolver,
    /// Seed of the randomized solver.
    #[arg(long, default_value_t = PcaParams::default().seed)]
    pub seed: u64,
    /// Divide each gene by its SD after centring (PCA on z-scores, as the app's option).
    #[arg(long)]
    pub standardise: bool,
    /// Write the loadings as CSV: `gene_id,PC1,PC2,…`.
    #[arg(long, value_name = "FILE")]
    pub loadings_out: Option<PathBuf>,
    /// Write the scores as CSV: `sample_id,PC1,PC2,…`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// An output file, created before the analysis runs so a bad path fails at once, not after
/// a long computation; `write` fills it. It is written beside its target and renamed into
/// place ([`export::file::AtomicFile`]), so a failed run leaves an existing file as it was.
struct OutFile {
    file: export::file::AtomicFile,
}

impl OutFile {
    fn create(path: &std::path::Path) -> anyhow::Result<Self> {
        let file =
            export::file::AtomicFile::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Self { file })
    }

    /// Writes the file with `write`.
    fn write_with(mut self, write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> anyhow::Result<()> {
        let path = self.file.target().to_owned();
        write(&mut self.file)
            .and_then(|()| self.file.commit())
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Writes `values` as CSV with `ids` as the first column and `names` as the header.
    fn write(
        mut self,
        id_header: &str,
        ids: &[String],
        names: &[String],
        values: ndarray::ArrayView2<'_, f64>,
    ) -> anyhow::Result<()> {
        let path = self.file.target().to_owned();
        export::csv::write_matrix(&mut self.file, id_header, ids, names, values)
            .and_then(|()| self.file.commit())
            .with_context(|| format!("cannot write {}", path.display()))
    }
}

/// Runs a subcommand, writing its output to `out`.
pub fn run(command: &Command, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    match command {
        Command::Info(args) => info(args, out),
        Command::Pca(args) => pca(args, out),
        Command::Tsne(args) => tsne(args, out),
        Command::Distances(args) => distances(args, out),
        Command::BenchGpu(args) => bench_gpu(args, out),
        Command::Cluster(args) => cluster::run(args, out),
        Command::Classify(args) => classify::run(args, out),
        Command::Regress(args) => regress::run(args, out),
        Command::Plot(args) => plot::run(args, out),
        Command::Run(args) => run::run(args, out),
        Command::Qc(args) => qc(args, out),
        Command::Markers(args) => markers(args, out),
        Command::Umap(args) => umap(args, out),
        Command::De(args) => de(args, out),
        Command::Autoencoder(args) => autoencoder::run(args, out),
    }
}

/// `biolens tsne`.
#[derive(Debug, Args)]
pub struct TsneArgs {
    /// Loading and preprocessing.
    #[command(flatten)]
    pub data: DataArgs,
    /// Perplexity (lowered to (n − 1)/3 for small n).
    #[arg(long, default_value_t = TsneParams::default().perplexity)]
    pub perplexity: f64,
    /// Iterations after the 250 of early exaggeration.
    #[arg(long, default_value_t = TsneParams::default().iterations)]
    pub iterations: usize,
    /// Principal components used as input.
    #[arg(long, default_value_t = TsneParams::default().pca_components)]
    pub pca_components: usize,
    /// Distance in the PCA space.
    #[arg(long, value_enum, default_value_t = TsneParams::default().metric)]
    pub metric: TsneMetric,
    /// Seed.
    #[arg(long, default_value_t = TsneParams::default().seed)]
    pub seed: u64,
    /// Repulsion: Barnes–Hut below 10,000 samples and FFT interpolation from there up
    /// (auto, as openTSNE), or either one.
    #[arg(long, value_enum, default_value_t = TsneParams::default().gradient)]
    pub gradient: TsneGradient,
    /// Implementation: ours (stepwise) or linfa-tsne.
    #[arg(long, value_enum, default_value_t = TsneParams::default().engine)]
    pub engine: TsneEngine,
    /// Neighbour search of the affinities: exact below 10,000 samples and approximate from
    /// there (auto), or either.
    #[arg(long, value_enum, default_value_t = TsneParams::default().neighbors)]
    pub neighbors: TsneNeighbors,
    /// Write the embedding as CSV: `sample_id,tSNE1,tSNE2`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

fn tsne(args: &TsneArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let file = OutFile::create(&args.out)?;
    let dataset = args.data.open()?;
    let params = TsneParams {
        perplexity: args.perplexity,
        iterations: args.iterations,
        pca_components: args.pca_components,
        metric: args.metric,
        seed: args.seed,
        gradient: args.gradient,
        engine: args.engine,
        neighbors: args.neighbors,
        ..TsneParams::default()
    };
    let mut last = None;
    let mut method = None;
    let mut search = None;
    let embedding = recipes::tsne::run(dataset.dense()?.view(), &params, Ctx::silent(), |t, info| {
        last = Some(info);
        method = Some(t.gradient);
        search = Some(t.neighbors);
    })?;
    let names = vec!["tSNE1".to_owned(), "tSNE2".to_owned()];
    file.write("sample_id", dataset.sample_ids(), &names, embedding.view())?;
    let kl = last.and_then(|i| i.kl_divergence).unwrap_or(f64::NAN);
    let method = match (params.engine, method) {
        (TsneEngine::Linfa, _) => "linfa-tsne",
        (_, Some(m)) => m.label(),
        (_, None) => "no iterations",
    };
    let search = search.map_or(String::new(), |s| format!("{}, ", s.label()));
    writeln!(
        out,
        "{} samples: t-SNE done ({} iterations, {method}, {search}KL divergence {kl:.4}); written to {}",
        dataset.n_samples(),
        params.exaggeration_iterations + params.iterations,
        args.out.display()
    )?;
    Ok(())
}

/// The JSON `pca --json` prints.
#[derive(Debug, Serialize)]
struct PcaJson<'a> {
    samples: usize,
    genes: usize,
    components: usize,
    solver: PcaSolver,
    scaled: bool,
    explained_variance_ratio: &'a [f64],
    explained_variance: &'a [f64],
    cumulative_explained_variance_ratio: Vec<f64>,
    total_variance: f64,
    pipeline: &'a [Step],
}

impl PcaArgs {
    /// The fit the flags describe.
    pub fn params(&self) -> PcaParams {
        PcaParams {
            components: self.components,
            scale: self.standardise,
            solver: self.solver,
            seed: self.seed,
            ..PcaParams::default()
        }
    }
}

/// The scores (`sample_id,PC1,…`) and loadings (`gene_id,PC1,…`) of a fit, to the files given.
fn write_pca_tables(
    fit: &analysis::pca::Pca,
    dataset: &Dataset,
    scores: Option<OutFile>,
    loadings: Option<OutFile>,
) -> anyhow::Result<()> {
    let names: Vec<String> = (1..=fit.explained_variance_ratio.len()).map(|c| format!("PC{c}")).collect();
    if let Some(file) = scores {
        file.write("sample_id", dataset.sample_ids(), &names, fit.scores.view())?;
    }
    if let Some(file) = loadings {
        file.write("gene_id", dataset.gene_ids(), &names, fit.loadings.view())?;
    }
    Ok(())
}

fn pca(args: &PcaArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let file = args.out.as_deref().map(OutFile::create).transpose()?;
    let loadings_file = args.loadings_out.as_deref().map(OutFile::create).transpose()?;
    let dataset = args.data.open()?;
    let params = args.params();
    let fit = recipes::pca::run_values(dataset.values(), &params, Ctx::silent())?;
    let k = fit.explained_variance_ratio.len();
    write_pca_tables(&fit, &dataset, file, loadings_file)?;
    let cumulative: Vec<f64> = fit
        .explained_variance_ratio
        .iter()
        .scan(0.0, |acc, r| {
            *acc += r;
            Some(*acc)
        })
        .collect();
    if args.json {
        let json = PcaJson {
            samples: dataset.n_samples(),
            genes: dataset.n_genes(),
            components: k,
            solver: fit.solver,
            scaled: params.scale,
            explained_variance_ratio: &fit.explained_variance_ratio,
            explained_variance: &fit.explained_variance,
            cumulative_explained_variance_ratio: cumulative,
            total_variance: fit.total_variance,
            pipeline: &dataset.pipeline().steps,
        };
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} samples × {} genes, {k} components ({:?} SVD)",
        dataset.n_samples(),
        dataset.n_genes(),
        fit.solver
    )?;
    writeln!(out, "component  explained variance  ratio     cumulative")?;
    for (c, ((v, r), cum)) in
        fit.explained_variance.iter().zip(&fit.explained_variance_ratio).zip(&cumulative).enumerate()
    {
        writeln!(out, "PC{:<8} {v:>18.6}  {r:>8.6}  {cum:>9.6}", c + 1)?;
    }
    if let Some(path) = &args.out {
        writeln!(out, "scores written to {}", path.display())?;
    }
    Ok(())
}

/// The JSON `info --json` prints.
#[derive(Debug, Serialize)]
struct InfoJson<'a> {
    file: &'a std::path::Path,
    name: &'a str,
    format: &'a str,
    samples: usize,
    genes: usize,
    orientation: Orientation,
    orientation_reason: &'a str,
    orientation_by_shape: bool,
    value_min: f64,
    value_max: f64,
    missing: usize,
    missing_policy: MissingPolicy,
    annotations: Vec<data::annotations::AnnotationSummary>,
    annotation_joins: &'a [data::annotations::JoinReport],
    pipeline: &'a [Step],
    notes: Vec<String>,
    /// Sparse data: the values stored and their share of all.
    sparse: Option<SparseJson>,
    /// Single-cell files: the matrix read, layers, raw, embeddings, gene annotations.
    #[serde(skip_serializing_if = "Option::is_none")]
    single_cell: Option<&'a data::io::hdf5::SingleCellInfo>,
}

/// `info --json`'s description of a sparse matrix.
#[derive(Debug, Serialize)]
struct SparseJson {
    non_zeros: usize,
    density: f64,
}

fn info(args: &InfoArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let dataset = args.data.open()?;
    let summary = dataset.summary();
    let report = &dataset.load_report;
    let orientation_note = shape_guess_note(&dataset);
    let notes: Vec<String> =
        orientation_note.iter().chain(&report.notes).chain(dataset.pipeline_notes()).cloned().collect();
    let file = args.data.matrix()?;
    if args.json {
        let json = InfoJson {
            file,
            name: &dataset.name,
            format: &report.format,
            samples: summary.samples,
            genes: summary.genes,
            orientation: report.orientation,
            orientation_reason: &report.orientation_reason,
            orientation_by_shape: report.orientation_by_shape,
            value_min: summary.value_min,
            value_max: summary.value_max,
            missing: summary.missing,
            missing_policy: dataset.pipeline().missing,
            annotations: summary.annotations,
            annotation_joins: &dataset.join_reports,
            pipeline: &dataset.pipeline().steps,
            notes,
            sparse: dataset.values().as_sparse().map(|s| SparseJson { non_zeros: s.nnz(), density: s.density() }),
            single_cell: report.single_cell.as_ref(),
        };
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{}  ({})", file.display(), report.format)?;
    writeln!(out, "samples      {}", summary.samples)?;
    writeln!(out, "genes        {}", summary.genes)?;
    writeln!(out, "orientation  {} ({})", report.orientation.describe(), report.orientation_reason)?;
    // Said at once, not among the notes at the end: a wrong guess transposes every analysis.
    if let Some(note) = &orientation_note {
        writeln!(out, "note         {note}")?;
    }
    writeln!(out, "values       {} … {}", summary.value_min, summary.value_max)?;
    if let Some(s) = dataset.values().as_sparse() {
        writeln!(
            out,
            "sparse       {} non-zeros ({:.2} % of the values)",
            crate::memory::thousands(s.nnz()),
            100.0 * s.density()
        )?;
    }
    if let Some(sc) = &report.single_cell {
        writeln!(out, "matrix       {}", sc.matrix)?;
        let list = |v: &[String]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
        writeln!(out, "layers       {}{}", list(&sc.layers), if sc.has_raw { "; raw (--use-raw)" } else { "" })?;
        writeln!(out, "embeddings   {}", list(&sc.embeddings))?;
        writeln!(out, "gene columns {}", list(&sc.gene_columns))?;
        if !sc.groups.is_empty() {
            writeln!(out, "groups       {}", list(&sc.groups))?;
        }
    }
    writeln!(out, "missing      {} ({})", summary.missing, dataset.pipeline().missing.describe())?;
    for step in &dataset.pipeline().steps {
        writeln!(out, "step         {}", step.describe())?;
    }
    for join in &dataset.join_reports {
        writeln!(out, "annotations  {}", join.describe())?;
    }
    for a in &summary.annotations {
        match a {
            data::annotations::AnnotationSummary::Categorical { name, levels, missing } => {
                let levels: Vec<String> = levels.iter().map(|(l, n)| format!("{l} ({n})")).collect();
                let missing = if *missing > 0 { format!(", {missing} missing") } else { String::new() };
                writeln!(out, "  {name}: {} levels{missing}: {}", levels.len(), levels.join(", "))?;
            }
            data::annotations::AnnotationSummary::Numeric { name, min, max, missing } => {
                writeln!(out, "  {name}: numeric {min} … {max}, {missing} missing")?;
            }
        }
    }
    for note in notes.iter().skip(usize::from(orientation_note.is_some())) {
        writeln!(out, "note         {note}")?;
    }
    Ok(())
}

/// `biolens de`.
#[derive(Debug, Args)]
pub struct DeArgs {
    /// Loading and preprocessing.
    #[command(flatten)]
    pub data: DataArgs,
    /// The first set: `COLUMN=VALUE[,VALUE…]` (samples with one of those values) or
    /// `ID,ID,…` (sample ids).
    #[arg(long, value_name = "SET")]
    pub group1: String,
    /// The second set, as --group1; every other sample when not given.
    #[arg(long, value_name = "SET")]
    pub group2: Option<String>,
    /// The test.
    #[arg(long, value_enum, default_value_t = crate::recipes::markers::DeMethod::default())]
    pub method: crate::recipes::markers::DeMethod,
    /// Write `rank,gene,score,logfoldchange,pval,pval_adj,mean1,mean2` (every gene, by score).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print one JSON object (sizes, and every gene's statistics in the matrix's order).
    #[arg(long)]
    pub json: bool,
}

/// The samples a set names: `COLUMN=V1,V2` or sample ids.
pub(crate) fn de_set(dataset: &Dataset, spec: &str, flag: &str) -> anyhow::Result<Vec<bool>> {
    use crate::data::annotations::AnnotationValues;
    if let Some((column, values)) = spec.split_once('=') {
        let a = dataset
            .annotations()
            .iter()
            .find(|a| a.name == column)
            .with_context(|| format!("{flag} {spec}: no annotation named '{column}'"))?;
        let AnnotationValues::Categorical { levels, codes } = &a.values else {
            anyhow::bail!("{flag} {spec}: '{column}' is numeric; name values of a categorical annotation");
        };
        let wanted: Vec<&str> = values.split(',').collect();
        for w in &wanted {
            anyhow::ensure!(
                levels.iter().any(|l| l == w),
                "{flag} {spec}: '{column}' has no value '{w}'; its values are: {}",
                levels.join(", ")
            );
        }
        return Ok(codes.iter().map(|c| c.is_some_and(|c| wanted.contains(&levels[c as usize].as_str()))).collect());
    }
    let ids: std::collections::HashSet<&str> = spec.split(',').collect();
    let chosen: Vec<bool> = dataset.sample_ids().iter().map(|id| ids.contains(id.as_str())).collect();
    let found = chosen.iter().filter(|&&c| c).count();
    anyhow::ensure!(
        found == ids.len(),
        "{flag}: {} of the {} sample ids are not in the data",
        ids.len() - found,
        ids.len()
    );
    Ok(chosen)
}

fn de(args: &DeArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let dataset = args.data.open()?;
    let first = de_set(&dataset, &args.group1, "--group1")?;
    let second = match &args.group2 {
        Some(spec) => de_set(&dataset, spec, "--group2")?,
        None => first.iter().map(|&f| !f).collect(),
    };
    let result =
        crate::recipes::markers::compare(&dataset, &first, &second, args.method, crate::recipes::Ctx::silent())
            .map_err(|e| anyhow::anyhow!("{e}").context("de"))?;
    let g = &result.stats;
    if let Some(path) = &args.out {
        crate::export::file::write_atomic(path, result.table_csv().as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let significant = result.significant(0.05);
    if args.json {
        let number = |v: f64| if v.is_finite() { serde_json::json!(v) } else { serde_json::Value::Null };
        let json = serde_json::json!({
            "method": args.method.name(),
            "n1": g.cells, "n2": result.n2, "genes": dataset.gene_ids(), "significant_05": significant,
            "score": g.scores.iter().map(|&v| number(v)).collect::<Vec<_>>(),
            "pval": g.pvals.iter().map(|&v| number(v)).collect::<Vec<_>>(),
            "pval_adj": g.pvals_adj.iter().map(|&v| number(v)).collect::<Vec<_>>(),
            "logfoldchange": g.logfoldchanges.iter().map(|&v| number(v)).collect::<Vec<_>>(),
        });
        serde_json::to_writer(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} samples against {}: {significant} of {} genes with adjusted p < 0.05",
        g.cells,
        result.n2,
        dataset.n_genes()
    )?;
    Ok(())
}

/// The neighbour graph's flags, shared by `umap` and `cluster --method leiden|louvain`; the
/// defaults are [`GraphSettings`](crate::recipes::neighbors::GraphSettings)'s.
#[derive(Debug, Clone, Args)]
pub struct GraphArgs {
    /// Principal components the neighbours are found in.
    #[arg(long, default_value_t = crate::recipes::neighbors::GraphSettings::default().pcs)]
    pub pcs: usize,
    /// Neighbours per sample (the sample included, as scanpy's `n_neighbors`).
    #[arg(long, default_value_t = crate::recipes::neighbors::GraphSettings::default().neighbors)]
    pub neighbors: usize,
    /// Find the neighbours in this stored embedding (e.g. `X_pca` of an h5ad) instead.
    #[arg(long, value_name = "NAME")]
    pub use_rep: Option<String>,
    /// Neighbour search: exact below 8,192 samples and approximate from there (auto), or either.
    #[arg(long, value_enum, default_value_t = crate::recipes::neighbors::GraphSettings::default().search)]
    pub knn: crate::recipes::neighbors::Search,
    /// Edge weights: UMAP's fuzzy union, or scanpy's Gaussian kernel.
    #[arg(long, value_enum, default_value_t = crate::recipes::neighbors::GraphSettings::default().connectivity)]
    pub connectivity: crate::recipes::neighbors::Connectivity,
}

impl GraphArgs {
    /// The graph settings these flags describe (`seed`: of the approximate search).
    pub fn settings(&self, seed: u64) -> crate::recipes::neighbors::GraphSettings {
        crate::recipes::neighbors::GraphSettings {
            neighbors: self.neighbors,
            pcs: self.pcs,
            use_rep: self.use_rep.clone(),
            search: self.knn,
            seed,
            connectivity: self.connectivity,
        }
    }
}

/// `biolens umap`.
#[derive(Debug, Args)]
pub struct UmapArgs {
    /// Loading and preprocessing.
    #[command(flatten)]
    pub data: DataArgs,
    /// The neighbour graph.
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Smallest distance between points in the layout.
    #[arg(long, default_value_t = crate::analysis::umap::UmapParams::default().min_dist)]
    pub min_dist: f64,
    /// Scale of the layout's distances.
    #[arg(long, default_value_t = crate::analysis::umap::UmapParams::default().spread)]
    pub spread: f64,
    /// Epochs (default: 500 up to 10,000 samples, else 200).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// The start.
    #[arg(long, value_enum, default_value_t = crate::analysis::umap::UmapInit::Spectral)]
    pub init: crate::analysis::umap::UmapInit,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the embedding as CSV: `sample_id,UMAP1,UMAP2`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print one JSON object (times of the graph and of the whole).
    #[arg(long)]
    pub json: bool,
    /// Also measure how well the layout keeps each sample's 15 nearest neighbours of the
    /// representation (an exact search in both: O(n²), minutes at 100,000 samples).
    #[arg(long)]
    pub knn_preservation: bool,
}

fn umap(args: &UmapArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    use crate::recipes::umap::UmapSettings;
    let file = OutFile::create(&args.out)?;
    let dataset = args.data.open()?;
    let settings = UmapSettings {
        graph: args.graph.settings(args.seed),
        params: crate::analysis::umap::UmapParams {
            min_dist: args.min_dist,
            spread: args.spread,
            epochs: args.epochs,
            init: args.init,
            seed: args.seed,
            ..Default::default()
        },
        ..UmapSettings::default()
    };
    let started = std::time::Instant::now();
    let graph = crate::recipes::neighbors::build(&dataset, &settings.graph, Ctx::silent())?;
    let seconds_graph = started.elapsed().as_secs_f64();
    let mut layout = crate::recipes::umap::start(&graph, &settings.params, Ctx::silent())?;
    while !layout.is_done() {
        layout.step();
    }
    let seconds = started.elapsed().as_secs_f64();
    let embedding = layout.embedding();
    let names = vec!["UMAP1".to_owned(), "UMAP2".to_owned()];
    file.write("sample_id", dataset.sample_ids(), &names, embedding.view())?;
    let (epochs, _) = layout.progress();
    let (a, b) = layout.ab();
    if args.json {
        let preservation = args
            .knn_preservation
            .then(|| crate::analysis::umap::knn_preservation(graph.representation.view(), embedding.view(), 15));
        let json = serde_json::json!({
            "samples": dataset.n_samples(), "representation": graph.from, "neighbors": graph.knn.k,
            "approximate_neighbors": graph.approximate, "seconds_graph": seconds_graph,
            "epochs": epochs, "a": a, "b": b, "seconds": seconds, "knn_preservation_k15": preservation,
        });
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} samples: UMAP of the {}-neighbour graph in {} done ({epochs} epochs, a = {a:.4}, b = {b:.4}, \
         {seconds:.2} s); written to {}",
        dataset.n_samples(),
        graph.knn.k,
        graph.from,
        args.out.display()
    )?;
    Ok(())
}

/// `biolens markers`.
#[derive(Debug, Args)]
pub struct MarkersArgs {
    /// Loading and preprocessing (rank log1p data, as scanpy: e.g. --normalize-total --log1p).
    #[command(flatten)]
    pub data: DataArgs,
    /// The categorical annotation whose groups are compared.
    #[arg(long, value_name = "COLUMN")]
    pub groupby: String,
    /// The test.
    #[arg(long, value_enum, default_value_t = crate::analysis::markers::MarkerMethod::Wilcoxon)]
    pub method: crate::analysis::markers::MarkerMethod,
    /// Compare each group with the rest, or with this group.
    #[arg(long, value_name = "rest|GROUP", default_value = "rest")]
    pub reference: String,
    /// Wilcoxon: correct the variance for ties.
    #[arg(long)]
    pub tie_correct: bool,
    /// Genes per group written and printed.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub n_genes: usize,
    /// Write `group,rank,gene,score,logfoldchange,pval,pval_adj` to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print one JSON object (per group, its top genes with their statistics).
    #[arg(long)]
    pub json: bool,
    /// Also order the groups by their dendrogram (`sc.tl.dendrogram`: correlation of the
    /// groups' means in the stored `X_pca` or 50 principal components, complete linkage).
    #[arg(long)]
    pub dendrogram: bool,
}

fn markers(args: &MarkersArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    use crate::recipes::markers::{self, MarkerSettings};
    let dataset = args.data.open()?;
    let settings = MarkerSettings {
        groupby: Some(args.groupby.clone()),
        method: args.method,
        reference: (args.reference != "rest").then(|| args.reference.clone()),
        tie_correct: args.tie_correct,
        n_genes: args.n_genes,
        dendrogram: args.dendrogram,
    };
    let started = std::time::Instant::now();
    let result = markers::run(&dataset, &settings, crate::recipes::Ctx::silent())?;
    if let Some(path) = &args.out {
        crate::export::file::write_atomic(path, result.table_csv(args.n_genes).as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        let number = |v: f64| if v.is_finite() { serde_json::json!(v) } else { serde_json::Value::Null };
        let groups: serde_json::Map<String, serde_json::Value> = result
            .groups
            .iter()
            .map(|g| {
                let top: Vec<serde_json::Value> = g
                    .order
                    .iter()
                    .take(args.n_genes)
                    .map(|&j| {
                        serde_json::json!({
                            "gene": result.genes[j], "score": number(g.scores[j]),
                            "logfoldchange": number(g.logfoldchanges[j]), "pval": number(g.pvals[j]),
                            "pval_adj": number(g.pvals_adj[j]),
                        })
                    })
                    .collect();
                (result.levels[g.group].clone(), serde_json::json!({ "cells": g.cells, "genes": top }))
            })
            .collect();
        let json = serde_json::json!({
            "method": args.method.name(), "groupby": args.groupby, "reference": args.reference,
            "tie_correct": args.tie_correct, "cells": dataset.n_samples(), "genes": dataset.n_genes(),
            "groups": groups,
            "dendrogram_order": result.tree.as_ref().map(|t| t.order.iter().map(|&g| result.levels[g].clone()).collect::<Vec<_>>()),
        });
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} markers of {} groups of '{}' ({} cells × {} genes) in {:.2} s",
        args.method.name(),
        result.groups.len(),
        args.groupby,
        dataset.n_samples(),
        dataset.n_genes(),
        started.elapsed().as_secs_f64()
    )?;
    if let Some(caution) = &result.caution {
        writeln!(out, "note: {caution}")?;
    }
    if let Some(tree) = &result.tree {
        let names: Vec<&str> = tree.order.iter().map(|&g| result.levels[g].as_str()).collect();
        writeln!(out, "dendrogram order (on {}): {}", result.tree_from, names.join(", "))?;
    }
    for g in &result.groups {
        let top: Vec<&str> = g.order.iter().take(5.min(args.n_genes)).map(|&j| result.genes[j].as_str()).collect();
        writeln!(out, "  {} ({} cells): {}", result.levels[g.group], g.cells, top.join(", "))?;
    }
    Ok(())
}

/// `biolens qc`.
#[derive(Debug, Args)]
pub struct QcArgs {
    /// Loading and preprocessing (the metrics are of the processed matrix: usually give no
    /// steps, or only filters).
    #[command(flatten)]
    pub data: DataArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write every cell's metrics to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Summary of one QC metric over the cells.
#[derive(Debug, Serialize)]
struct MetricSummary {
    min: f64,
    p5: f64,
    median: f64,
    mean: f64,
    p95: f64,
    max: f64,
}

impl MetricSummary {
    fn of(values: &[f64]) -> Self {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if sorted.is_empty() {
                return f64::NAN;
            }
            let pos = q * (sorted.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        };
        let mean = if sorted.is_empty() { f64::NAN } else { sorted.iter().sum::<f64>() / sorted.len() as f64 };
        Self { min: at(0.0), p5: at(0.05), median: at(0.5), mean, p95: at(0.95), max: at(1.0) }
    }
}

fn qc(args: &QcArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let dataset = args.data.open()?;
    let metrics = crate::data::single_cell::cell_qc(dataset.values(), dataset.gene_ids(), &args.data.mito_prefix);
    let genes: Vec<f64> = metrics.n_genes.iter().map(|&n| n as f64).collect();
    let summaries = [
        ("total_counts", MetricSummary::of(&metrics.total_counts)),
        ("n_genes_by_counts", MetricSummary::of(&genes)),
        ("pct_counts_mt", MetricSummary::of(&metrics.pct_mito)),
    ];
    if let Some(path) = &args.out {
        let mut text = String::from("cell_id,total_counts,n_genes_by_counts,pct_counts_mt\n");
        for (i, id) in dataset.sample_ids().iter().enumerate() {
            use std::fmt::Write as _;
            let _ = writeln!(
                text,
                "{},{},{},{}",
                crate::export::csv::field(id),
                metrics.total_counts[i],
                metrics.n_genes[i],
                if metrics.pct_mito[i].is_nan() { String::new() } else { metrics.pct_mito[i].to_string() }
            );
        }
        crate::export::file::write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        let json = serde_json::json!({
            "cells": dataset.n_samples(),
            "genes": dataset.n_genes(),
            "mito_prefix": args.data.mito_prefix,
            "mito_genes": metrics.mito_genes,
            "metrics": summaries.iter().map(|(name, s)| ((*name).to_owned(), serde_json::to_value(s).unwrap_or_default())).collect::<serde_json::Map<_, _>>(),
        });
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} cells × {} genes; {} genes start with '{}'",
        dataset.n_samples(),
        dataset.n_genes(),
        metrics.mito_genes,
        args.data.mito_prefix
    )?;
    writeln!(
        out,
        "{:<18} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "metric", "min", "5 %", "median", "mean", "95 %", "max"
    )?;
    for (name, s) in &summaries {
        writeln!(
            out,
            "{name:<18} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
            s.min, s.p5, s.median, s.mean, s.p95, s.max
        )?;
    }
    Ok(())
}

/// When nothing but the table's shape decided the orientation: a note saying so, with the
/// table's shape as read from the file and the flag that reads it the other way.
fn shape_guess_note(dataset: &Dataset) -> Option<String> {
    let report = &dataset.load_report;
    if !report.orientation_by_shape {
        return None;
    }
    let (samples, genes) = dataset.raw().matrix().dim();
    let (rows, columns, other, flag) = match report.orientation {
        Orientation::GenesInRows => (genes, samples, "samples", "--samples-in-rows"),
        Orientation::SamplesInRows => (samples, genes, "genes", "--genes-in-rows"),
    };
    Some(format!(
        "orientation was guessed from the shape alone ({rows} rows × {columns} columns, read as {}): \
         if rows are {other}, give {flag}",
        report.orientation.describe()
    ))
}

/// `biolens distances`.
#[derive(Debug, Args)]
pub struct DistancesArgs {
    /// Loading and preprocessing.
    #[command(flatten)]
    pub data: DataArgs,
    /// The distance.
    #[arg(long, value_enum, default_value_t = Metric::default())]
    pub metric: Metric,
    /// Between samples (rows of the result: samples) or genes.
    #[arg(long, value_enum, default_value_t = Between::Samples)]
    pub between: Between,
    /// Where to compute: auto (a real GPU if there is one, else the CPU), cpu or gpu (even a
    /// software adapter; an error when there is none).
    #[arg(long, value_enum, default_value_t = ComputeDevice::default())]
    pub device: ComputeDevice,
    /// Write the square matrix as CSV, ids as the header row and first column.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

fn distances(args: &DistancesArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let file = OutFile::create(&args.out)?;
    let dataset = args.data.open()?;
    let prepared = analysis::distance::prepare(dataset.dense()?.view(), args.between, args.metric)?;
    let started = std::time::Instant::now();
    let (matrix, device) = device(args.device)?.distances(&prepared, Ctx::silent(), &|_| {})?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("device: {device}");
    let (ids, header, items) = match args.between {
        Between::Samples => (dataset.sample_ids(), "sample_id", "samples"),
        Between::Genes => (dataset.gene_ids(), "gene_id", "genes"),
    };
    file.write(header, ids, ids, matrix.view())?;
    writeln!(
        out,
        "{n} × {n} {} distances between {items} in {seconds:.2} s on {device}; written to {}",
        args.metric.label(),
        args.out.display(),
        n = matrix.nrows(),
    )?;
    Ok(())
}

/// The device `choice` asks for: on the command line a forced GPU without an adapter is an
/// error, not a fallback.
pub(crate) fn device(choice: ComputeDevice) -> anyhow::Result<Device> {
    #[cfg(feature = "gpu")]
    {
        use crate::gpu::Gpu;
        Ok(match choice {
            ComputeDevice::Cpu => Device::new(None, choice),
            ComputeDevice::Gpu => Device::new(Some(Gpu::headless()?), choice),
            ComputeDevice::Auto => match Gpu::headless_hardware() {
                Ok(Ok(gpu)) => Device::new(Some(gpu), choice),
                Ok(Err(software)) => Device::passing_over(software),
                Err(_) => Device::new(None, choice),
            },
        })
    }
    #[cfg(not(feature = "gpu"))]
    {
        if choice == ComputeDevice::Gpu {
            anyhow::bail!("this build has no GPU support (built without the `gpu` feature)");
        }
        Ok(Device::cpu())
    }
}

/// `biolens bench-gpu`.
#[derive(Debug, Args)]
pub struct BenchGpuArgs {
    /// Items (rows).
    #[arg(long, default_value_t = 10_000)]
    pub n: usize,
    /// Values per item.
    #[arg(long, default_value_t = 2_000)]
    pub dims: usize,
    /// Also time the CPU path on the same data, for the ratio.
    #[arg(long)]
    pub cpu: bool,
}

#[cfg(feature = "gpu")]
fn bench_gpu(args: &BenchGpuArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    use crate::analysis::distance::{Between, Metric, pairwise_prepared, prepare};
    use crate::gpu::Gpu;
    let gpu = Gpu::headless()?;
    let mut rng = analysis::rng::Rng::new(0);
    let x = ndarray::Array2::from_shape_fn((args.n, args.dims), |_| rng.normal());
    let prepared = prepare(x.view(), Between::Samples, Metric::Euclidean)?;
    let report = gpu.bench_kernel(&prepared)?;
    let gflops = report.flops / report.kernel_seconds / 1e9;
    writeln!(out, "adapter: {}", gpu.label())?;
    writeln!(
        out,
        "{} × {} Euclidean, {} dims: kernel {:.3} s ({gflops:.1} GFLOP/s, 3 flops per value pair), \
         with upload and read-back {:.3} s",
        args.n, args.n, args.dims, report.kernel_seconds, report.total_seconds
    )?;
    match crate::gpu::fp32_peak_tflops(&gpu.info().name) {
        Some(peak) => writeln!(out, "FP32 peak {peak:.1} TFLOP/s: {:.1} % of peak", gflops / (peak * 1e3) * 100.0)?,
        None => writeln!(out, "FP32 peak unknown for this adapter")?,
    }
    if args.cpu {
        let started = std::time::Instant::now();
        let _ = pairwise_prepared(&prepared, None, &mut |_| {})?;
        let cpu = started.elapsed().as_secs_f64();
        writeln!(out, "CPU path {cpu:.3} s: GPU end to end is {:.2}× the CPU's time", report.total_seconds / cpu)?;
    }
    Ok(())
}

#[cfg(not(feature = "gpu"))]
fn bench_gpu(_: &BenchGpuArgs, _: &mut dyn std::io::Write) -> anyhow::Result<()> {
    anyhow::bail!("this build has no GPU support (built without the `gpu` feature)")
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory as _, Parser as _};

    use super::{Cli, Command};

    #[test]
    fn every_subcommand_passes_clap_checks() {
        Cli::command().debug_assert();
    }

    #[test]
    fn cluster_takes_a_matrix_or_distances_but_not_both() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["biolens", "cluster"], args].concat());
        let Ok(Cli { command: Some(Command::Cluster(args)) }) =
            parse(&["--distances", "d.csv", "--method", "average", "--linkage-out", "m.csv"])
        else {
            panic!("--distances without a matrix should parse");
        };
        assert!(args.data.matrix.is_none());
        assert!(parse(&["--method", "average"]).is_err(), "neither input");
        assert!(parse(&["m.csv", "--distances", "d.csv", "--method", "average"]).is_err(), "both inputs");
        assert!(parse(&["--distances", "d.csv", "--log2", "--method", "average"]).is_err(), "preprocessing");
        assert!(parse(&["m.csv", "--method", "average", "--k", "2", "--height", "1"]).is_err(), "two cuts");
        // Everywhere else the matrix stays required.
        assert!(Cli::try_parse_from(["biolens", "info"]).is_err());
    }
}
