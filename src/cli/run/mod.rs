//! `biolens run SESSION --out-dir DIR`: every table and figure of a saved session, headless.
//!
//! `run` opens the session's data once (its files read and preprocessed once), runs each
//! view's recipe once on it — one PCA for the scores, loadings, scatter and scree plot, one
//! distance matrix for the table and the map, one tree for the linkage, labels, dendrogram and
//! silhouettes — and writes every table and figure with the functions `biolens pca`,
//! `cluster`, `classify` and `plot` use. [`session_script`] writes the same outputs as a shell
//! script of `biolens` command lines (*File ▸ Export as script…* in the app, `biolens run
//! SESSION --script`); a test checks that the script reproduces `run` byte for byte.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use super::OutFile;
use super::plot::{self, PlotView};
use crate::analysis::classify::Model;
use crate::analysis::classify::forest::MaxFeatures;
use crate::analysis::classify::svm::Kernel;
use crate::analysis::classify::validation::GeneSelection;
use crate::analysis::pca::PcaParams;
use crate::analysis::tsne::TsneParams;
use crate::data::{LoadError, LoadOptions, OpenRequest, Pipeline};
use crate::export::figure::Figure;
use crate::export::plots;
use crate::recipes::classify::Validation;
use crate::recipes::clusters::{self, ClusterMethod};
use crate::recipes::distance_map::{ComputeDevice, MapOrder};
use crate::recipes::heatmap::HeatmapSettings;
use crate::recipes::{self, Colouring, Ctx};
use crate::session::{FileCheck, Session};

mod regress;
use regress::regress_lines;

/// `biolens run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The session file (saved with File ▸ Save session).
    pub session: PathBuf,
    /// Where the tables and figures go (created).
    #[arg(long, value_name = "DIR", required_unless_present = "script")]
    pub out_dir: Option<PathBuf>,
    /// Print the session as a shell script of `biolens` commands instead of running it.
    #[arg(long)]
    pub script: bool,
    /// Go on when a data file's contents changed since the session was saved.
    #[arg(long)]
    pub allow_changed: bool,
    /// Figures as PNG instead of SVG.
    #[arg(long)]
    pub png: bool,
}

/// One argument: literal text, or a file in the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    Text(String),
    Out(String),
}

/// One command line, and the file its standard output goes to (if any).
#[derive(Debug, Clone)]
struct Line {
    args: Vec<Arg>,
    stdout: Option<String>,
}

/// The file name of the annotations made from selections, in the output folder.
const MADE: &str = "made_annotations.csv";

fn text(items: &[&str]) -> Vec<Arg> {
    items.iter().map(|s| Arg::Text((*s).to_owned())).collect()
}

/// The loading arguments every command shares.
fn data_args(s: &Session) -> anyhow::Result<Vec<Arg>> {
    let path = |p: &Path| p.to_str().map(str::to_owned).with_context(|| format!("{}: not UTF-8", p.display()));
    let mut args = vec![Arg::Text(path(&s.data.matrix.path)?)];
    for a in &s.data.annotations {
        args.extend([Arg::Text("-a".to_owned()), Arg::Text(path(&a.path)?)]);
    }
    if !s.made_annotations.is_empty() {
        args.extend([Arg::Text("-a".to_owned()), Arg::Out(MADE.to_owned())]);
    }
    match s.data.orientation {
        Some(crate::data::Orientation::GenesInRows) => args.push(Arg::Text("--genes-in-rows".to_owned())),
        Some(crate::data::Orientation::SamplesInRows) => args.push(Arg::Text("--samples-in-rows".to_owned())),
        None => {}
    }
    // Which matrix of the file (a layer, raw, a genome, a feature type, a sheet).
    let choice = &s.data.choice;
    for (flag, value) in [
        ("--layer", &choice.layer),
        ("--genome", &choice.genome),
        ("--feature-type", &choice.feature_type),
        ("--sheet", &choice.sheet),
        ("--annotations-sheet", &choice.annotations_sheet),
    ] {
        if let Some(value) = value {
            args.extend([Arg::Text(flag.to_owned()), Arg::Text(value.clone())]);
        }
    }
    if choice.use_raw {
        args.push(Arg::Text("--use-raw".to_owned()));
    }
    let json = |pipeline: &crate::data::Pipeline| serde_json::to_string(pipeline).map(Arg::Text);
    if let Some(means) = &s.data.group_means {
        args.extend([Arg::Text("--group-means".to_owned()), Arg::Text(means.by.clone())]);
        if means.members != crate::data::Pipeline::default() {
            args.extend([Arg::Text("--pipeline".to_owned()), json(&means.members)?]);
        }
        if s.pipeline != crate::data::Pipeline::default() {
            args.extend([Arg::Text("--means-pipeline".to_owned()), json(&s.pipeline)?]);
        }
    } else if s.pipeline != crate::data::Pipeline::default() {
        args.extend([Arg::Text("--pipeline".to_owned()), json(&s.pipeline)?]);
    }
    Ok(args)
}

/// The command-line name of a value (`sqeuclidean`, `randomized`).
fn flag(value: &impl clap::ValueEnum) -> String {
    value.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
}

/// The t-SNE settings the command line can express: seed, perplexity and iterations.
fn tsne_params(t: &TsneParams) -> TsneParams {
    TsneParams { seed: t.seed, perplexity: t.perplexity, iterations: t.iterations, ..TsneParams::default() }
}

/// The flags of a view's strip or comparison choice: a name is `--colour-by`, an empty name is
/// `--no-colour`, no choice is `plot`'s default, which is the app's.
fn choice_flags(choice: Option<&str>) -> Vec<Arg> {
    match choice {
        Some("") => text(&["--no-colour"]),
        Some(name) => text(&["--colour-by", name]),
        None => Vec::new(),
    }
}

/// The `classify` flags of an MLP.
fn mlp_args(p: &crate::analysis::nn::MlpParams) -> Vec<String> {
    use crate::analysis::nn::{Activation, Optimizer, TrainDevice};
    let hidden = p.hidden.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    let activation = match p.activation {
        Activation::Relu => "relu",
        Activation::Tanh => "tanh",
        Activation::Sigmoid => "sigmoid",
        Activation::Gelu => "gelu",
    };
    let device = match p.device {
        TrainDevice::Auto => "auto",
        TrainDevice::Cpu => "cpu",
        TrainDevice::Gpu => "gpu",
    };
    let mut v: Vec<String> = [
        "--model",
        "mlp",
        "--hidden",
        &hidden,
        "--activation",
        activation,
        "--epochs",
        &p.epochs.to_string(),
        "--batch",
        &p.batch_size.to_string(),
        "--lr",
        &p.learning_rate.to_string(),
        "--dropout",
        &p.dropout.to_string(),
        "--weight-decay",
        &p.weight_decay.to_string(),
        "--validation-fraction",
        &p.validation_fraction.to_string(),
        "--device",
        device,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    match p.optimizer {
        Optimizer::Adam => v.extend(["--optimizer".to_owned(), "adam".to_owned()]),
        Optimizer::Sgd { momentum } => {
            v.extend(["--optimizer".to_owned(), "sgd".to_owned(), "--momentum".to_owned(), momentum.to_string()]);
        }
    }
    if let Some(patience) = p.early_stopping {
        v.extend(["--early-stopping".to_owned(), patience.to_string()]);
    }
    v
}

/// The `classify` flags of a model, and a short name for its files.
fn model_args(m: &Model) -> (&'static str, Vec<String>) {
    let tree = |p: &crate::analysis::classify::forest::TreeParams| {
        let mut v = vec!["--min-samples-split".to_owned(), p.min_samples_split.to_string()];
        if let Some(d) = p.max_depth {
            v.extend(["--max-depth".to_owned(), d.to_string()]);
        }
        v
    };
    let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    match m {
        Model::Logistic { c } => ("logreg", s(&["--model", "logreg", "--c", &c.to_string()])),
        Model::Tree { params } => ("tree", [s(&["--model", "tree"]), tree(params)].concat()),
        Model::Forest { trees, params, .. } => {
            ("rf", [s(&["--model", "rf", "--trees", &trees.to_string()]), tree(params)].concat())
        }
        Model::Svm { kernel: Kernel::Linear, c } => {
            ("svm-linear", s(&["--model", "svm-linear", "--c", &c.to_string()]))
        }
        Model::Svm { kernel: Kernel::Rbf { gamma }, c } => {
            let mut v = s(&["--model", "svm-rbf", "--c", &c.to_string()]);
            if let Some(g) = gamma {
                v.extend(["--gamma".to_owned(), g.to_string()]);
            }
            ("svm-rbf", v)
        }
        Model::Knn { k, weights } => {
            let mut v = s(&["--model", "knn", "--k", &k.to_string()]);
            if *weights == crate::analysis::classify::models::KnnWeights::Distance {
                v.push("--distance-weights".to_owned());
            }
            ("knn", v)
        }
        Model::GaussianNb => ("gnb", s(&["--model", "gnb"])),
        Model::Baseline => ("baseline", s(&["--model", "baseline"])),
        Model::Mlp(p) => ("mlp", mlp_args(p)),
    }
}

/// What the outputs cannot show of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Note {
    /// True of `run` and the script alike.
    Both(String),
    /// True of the script only (`run` computes it as the session says).
    Script(String),
}

/// The annotations a session's views can name in its data: the data's own and those made from
/// selections. The labels of a clustering, which the app publishes as annotations, are not kept
/// in a session.
struct Names(std::collections::HashSet<String>);

impl Names {
    fn of(s: &Session, dataset: &crate::data::Dataset) -> Self {
        let made = s.made_annotations.iter().map(|a| a.name.clone());
        Self(dataset.annotations().iter().map(|a| a.name.clone()).chain(made).collect())
    }

    /// `choice` (a view's colouring, strip or comparison) as the data can honour it: an
    /// annotation they lack is none (`Some("")`), with a note; `run` draws it so too.
    fn honour<'c>(&self, choice: Option<&'c str>, what: &str, notes: &mut Vec<Note>) -> Option<&'c str> {
        match choice {
            Some(name) if !name.is_empty() && !self.0.contains(name) => {
                notes.push(Note::Both(format!(
                    "{what} names '{name}', which the data lack (a clustering's labels are not kept in a \
                     session): drawn without it"
                )));
                Some("")
            }
            other => other,
        }
    }
}

/// The session's tables and figures as command lines, and notes on what they cannot show.
fn commands(s: &Session, ext: &str, names: &Names) -> anyhow::Result<(Vec<Line>, Vec<Note>)> {
    let data = data_args(s)?;
    let mut lines = Vec::new();
    let mut notes = Vec::new();
    let mut push = |head: &[&str], rest: Vec<Arg>, stdout: Option<&str>| {
        let mut args = text(head);
        args.extend(data.iter().cloned());
        args.extend(rest);
        lines.push(Line { args, stdout: stdout.map(str::to_owned) });
    };
    let out = |name: &str| vec![Arg::Text("--out".to_owned()), Arg::Out(name.to_owned())];
    // A scatter in one colour (or a gene's, which plot cannot draw) is asked for as such.
    let colour = |c: &Colouring, what: &str, notes: &mut Vec<Note>| {
        choice_flags(names.honour(Some(c.annotation_name().unwrap_or_default()), what, notes))
    };
    let v = &s.views;
    // PCA: scores and loadings, the scatter, the scree plot and the loadings.
    let pca = &v.pca.params;
    let mut pca_flags = text(&["--components", &pca.components.to_string(), "--seed", &pca.seed.to_string()]);
    if pca.scale {
        pca_flags.push(Arg::Text("--standardise".to_owned()));
    }
    if pca.solver != PcaParams::default().solver {
        pca_flags.extend(text(&["--solver", &flag(&pca.solver)]));
    }
    let mut tables = pca_flags.clone();
    tables.extend(out("pca_scores.csv"));
    tables.extend([Arg::Text("--loadings-out".to_owned()), Arg::Out("pca_loadings.csv".to_owned())]);
    push(&["pca"], tables, None);
    let (x, y) = ((v.pca.axes.0 + 1).to_string(), (v.pca.axes.1 + 1).to_string());
    let mut scatter = pca_flags.clone();
    scatter.extend(text(&["--x-pc", &x, "--y-pc", &y]));
    scatter.extend(colour(&v.pca.colour_by, "the PCA scatter's colouring", &mut notes));
    scatter.extend(out(&format!("pca.{ext}")));
    push(&["plot", "pca"], scatter, None);
    let mut scree = pca_flags.clone();
    scree.extend(out(&format!("scree.{ext}")));
    push(&["plot", "scree"], scree, None);
    let mut loadings = pca_flags;
    loadings.extend(text(&["--component", &(v.pca.loadings_pc + 1).to_string()]));
    loadings.extend(out(&format!("loadings.{ext}")));
    push(&["plot", "loadings"], loadings, None);
    let expressible_pca = PcaParams {
        components: pca.components,
        scale: pca.scale,
        solver: pca.solver,
        seed: pca.seed,
        ..PcaParams::default()
    };
    if expressible_pca != *pca {
        notes.push(Note::Script(
            "the script's PCA uses the session's components, scaling, solver and seed with the default sketch"
                .to_owned(),
        ));
    }
    if matches!(v.pca.colour_by, Colouring::Gene(_)) || matches!(v.tsne.colour_by, Colouring::Gene(_)) {
        notes.push(Note::Both(
            "scatters coloured by a gene are drawn in one colour (plot colours by annotations)".to_owned(),
        ));
    }
    // t-SNE.
    let t = &v.tsne.params;
    if tsne_params(t) != *t {
        notes.push(Note::Both(
            "the t-SNE figure uses the session's seed, perplexity and iterations with the default engine settings"
                .to_owned(),
        ));
    }
    let mut tsne = text(&[
        "--seed",
        &t.seed.to_string(),
        "--perplexity",
        &t.perplexity.to_string(),
        "--iterations",
        &t.iterations.to_string(),
    ]);
    tsne.extend(colour(&v.tsne.colour_by, "the t-SNE scatter's colouring", &mut notes));
    tsne.extend(out(&format!("tsne.{ext}")));
    push(&["plot", "tsne"], tsne, None);
    // The distance map.
    let d = &v.distance_map;
    let mut distances = text(&["--metric", &flag(&d.metric)]);
    distances.extend(out("distances.csv"));
    push(&["distances"], distances, None);
    let mut map = text(&["--metric", &flag(&d.metric)]);
    if d.reversed {
        map.push(Arg::Text("--reversed".to_owned()));
    }
    let map_strip = names.honour(d.strip.as_deref(), "the distance map's strip", &mut notes);
    match &d.order {
        MapOrder::Clustering => map.extend(choice_flags(map_strip)),
        MapOrder::Original => {
            map.extend(text(&["--order", "original"]));
            map.extend(choice_flags(map_strip));
        }
        // Ordered by an annotation the data lack: in clustering order, as the map falls back.
        MapOrder::Annotation(name) if names.honour(Some(name), "the distance map's order", &mut notes) == Some("") => {
            map.extend(choice_flags(map_strip));
        }
        MapOrder::Annotation(name) => {
            map.extend(text(&["--order", "annotation", "--colour-by", name]));
            if d.strip.as_ref().is_some_and(|strip| strip != name) {
                notes.push(Note::Script(format!(
                    "the script's distance map shows its ordering annotation '{name}' as the strip"
                )));
            }
        }
    }
    map.extend(out(&format!("distance_map.{ext}")));
    push(&["plot", "distance-map"], map, None);
    cluster_lines(s, ext, names, &mut push, &mut notes);
    // Classify: every model on, with the view's features and validation.
    classify_lines(s, ext, &mut push, &mut notes);
    regress_lines(s, ext, &mut push);
    Ok((lines, notes))
}

type Push<'a> = dyn FnMut(&[&str], Vec<Arg>, Option<&str>) + 'a;

/// The Clusters view's method and the clustered heatmap.
fn cluster_lines(s: &Session, ext: &str, names: &Names, push: &mut Push<'_>, notes: &mut Vec<Note>) {
    // Clusters: the method shown.
    let v = &s.views;
    let out = |name: &str| vec![Arg::Text("--out".to_owned()), Arg::Out(name.to_owned())];
    let c = &v.clusters;
    match c.method {
        ClusterMethod::Hierarchical => {
            let how = text(&["--method", c.linkage.name(), "--metric", &flag(&c.effective_metric())]);
            let cut = match c.cut {
                Some(h) => text(&["--cut", &h.to_string()]),
                None => text(&["--k", &c.k.to_string()]),
            };
            let mut cluster = how.clone();
            cluster.extend([Arg::Text("--linkage-out".to_owned()), Arg::Out("linkage.csv".to_owned())]);
            match c.cut {
                Some(h) => cluster.extend(text(&["--height", &h.to_string()])),
                None => cluster.extend(text(&["--k", &c.k.to_string()])),
            }
            cluster.extend(out("clusters.csv"));
            push(&["cluster"], cluster, None);
            // The comparison is the dendrogram's strip (the silhouettes draw none).
            let strip = choice_flags(names.honour(c.compare.as_deref(), "the dendrogram's strip", notes));
            for (view, file, strip) in [("dendrogram", "dendrogram", strip), ("silhouette", "silhouette", Vec::new())] {
                let mut args = how.clone();
                args.extend(cut.clone());
                args.extend(strip);
                args.extend(out(&format!("{file}.{ext}")));
                push(&["plot", view], args, None);
            }
        }
        ClusterMethod::KMeans => {
            let k = &c.kmeans;
            if k.tol.to_bits() != crate::analysis::clustering::kmeans::KMeansParams::default().tol.to_bits() {
                notes.push(Note::Script(
                    "the script's k-means uses scikit-learn's tolerance (biolens run uses the session's)".to_owned(),
                ));
            }
            let (n_init, max_iter) = (k.n_init.to_string(), k.max_iter.to_string());
            let fit = text(&["--k", &k.k.to_string(), "--seed", &k.seed.to_string(), "--n-init", &n_init]);
            let fit = [fit, text(&["--max-iter", &max_iter])].concat();
            let cluster = [text(&["--method", "kmeans"]), fit.clone(), out("clusters.csv")].concat();
            push(&["cluster"], cluster, None);
            let elbow =
                [text(&["--max-k", &c.elbow_max.max(k.k).to_string()]), fit, out(&format!("elbow.{ext}"))].concat();
            push(&["plot", "elbow"], elbow, None);
        }
        ClusterMethod::Dbscan => {
            let mut cluster = text(&[
                "--method",
                "dbscan",
                "--metric",
                &flag(&c.metric),
                "--eps",
                &c.dbscan.eps.to_string(),
                "--min-samples",
                &c.dbscan.min_samples.to_string(),
            ]);
            cluster.extend(out("clusters.csv"));
            push(&["cluster"], cluster, None);
        }
        ClusterMethod::Leiden | ClusterMethod::Louvain => {
            let (g, m) = (&c.graph, &c.communities);
            let mut cluster = text(&[
                "--method",
                if c.method == ClusterMethod::Leiden { "leiden" } else { "louvain" },
                "--resolution",
                &m.resolution.to_string(),
                "--iterations",
                &m.iterations.to_string(),
                "--objective",
                &flag(&m.objective),
                "--neighbors",
                &g.neighbors.to_string(),
                "--pcs",
                &g.pcs.to_string(),
                "--knn",
                &flag(&g.search),
                "--connectivity",
                &flag(&g.connectivity),
                "--seed",
                &m.seed.to_string(),
            ]);
            if let Some(rep) = &g.use_rep {
                cluster.extend(text(&["--use-rep", rep]));
            }
            cluster.extend(out("clusters.csv"));
            push(&["cluster"], cluster, None);
        }
    }
    // The clustered heatmap.
    let h = &v.heatmap;
    let mut heatmap = text(&[
        "--heatmap-genes",
        &h.top_genes.to_string(),
        "--method",
        h.method.name(),
        "--metric",
        &flag(&h.effective_metric()),
        "--range",
        &h.range.to_string(),
    ]);
    heatmap.extend(choice_flags(names.honour(h.strip.as_deref(), "the heatmap's strip", notes)));
    heatmap.extend(out(&format!("heatmap.{ext}")));
    push(&["plot", "heatmap"], heatmap, None);
}

fn classify_lines(s: &Session, ext: &str, push: &mut Push<'_>, notes: &mut Vec<Note>) {
    let c = &s.views.classify.settings;
    let Some(target) = &c.target else {
        notes.push(Note::Both("no annotation was chosen to predict: no classifier tables".to_owned()));
        return;
    };
    let mut common = text(&["--target", target, "--seed", &c.seed.to_string()]);
    common.extend(feature_args(c.features, c.top_genes, c.selection, c.pcs, c.scale));
    match validation_args(&c.validation) {
        Some(args) => common.extend(args),
        None => notes.push(Note::Script(
            "a random train/test split has no command-line form: the script's classify lines use 5-fold CV \
             (biolens run uses the split)"
                .to_owned(),
        )),
    }
    let unexpressible = c.models.iter().filter(|(on, _)| *on).any(|(_, m)| match m {
        Model::Forest { params, .. } => params.max_features != MaxFeatures::Sqrt,
        Model::Tree { params } => params.max_features != MaxFeatures::All,
        _ => false,
    });
    if unexpressible {
        notes.push(Note::Script(
            "the script's trees and forests choose genes per split as scikit-learn's defaults (biolens run uses \
             the session's)"
                .to_owned(),
        ));
    }
    // `selected` counts the models switched on (the run's outcomes).
    for (k, model) in c.models.iter().filter(|(on, _)| *on).map(|(_, m)| m).enumerate() {
        let (name, flags) = model_args(model);
        let mut args = common.clone();
        args.extend(flags.into_iter().map(Arg::Text));
        args.push(Arg::Text("--json".to_owned()));
        if k == c.selected {
            args.extend([Arg::Text("--confusion-figure".to_owned()), Arg::Out(format!("confusion_{name}.{ext}"))]);
            if c.normalised {
                args.push(Arg::Text("--normalised".to_owned()));
            }
            args.extend([Arg::Text("--roc-figure".to_owned()), Arg::Out(format!("roc_{name}.{ext}"))]);
        }
        push(&["classify"], args, Some(&format!("classify_{name}.json")));
    }
}

/// The flags of the per-fold features `classify` and `regress` share.
fn feature_args(
    choice: crate::recipes::classify::FeatureChoice,
    top_genes: usize,
    selection: GeneSelection,
    pcs: usize,
    scale: bool,
) -> Vec<Arg> {
    let mut args = match choice {
        crate::recipes::classify::FeatureChoice::All => Vec::new(),
        crate::recipes::classify::FeatureChoice::TopGenes if selection == GeneSelection::AnovaF => {
            text(&["--top-genes", &top_genes.to_string(), "--select", "anova"])
        }
        crate::recipes::classify::FeatureChoice::TopGenes => text(&["--top-genes", &top_genes.to_string()]),
        crate::recipes::classify::FeatureChoice::Pcs => text(&["--pca", &pcs.to_string()]),
    };
    if scale {
        args.push(Arg::Text("--scale".to_owned()));
    }
    args
}

/// The validation flags `classify` and `regress` share; `None` for a random split, which only
/// `regress` expresses (`--holdout`).
fn validation_args(validation: &Validation) -> Option<Vec<Arg>> {
    Some(match validation {
        Validation::KFold { folds, repeats, shuffle } => {
            let mut args = text(&["--cv", &folds.to_string(), "--repeats", &repeats.to_string()]);
            if !shuffle {
                args.push(Arg::Text("--no-shuffle".to_owned()));
            }
            args
        }
        Validation::LeaveOneOut => text(&["--loo"]),
        Validation::ByAnnotation { column, value } => text(&["--split", &format!("{column}={value}")]),
        Validation::Random { .. } => return None,
    })
}

/// The annotations made from selections as CSV: `sample_id` and one column per annotation,
/// over the raw samples `ids`.
fn made_csv(s: &Session, ids: &[String]) -> Option<String> {
    if s.made_annotations.is_empty() {
        return None;
    }
    let mut csv = String::from("sample_id");
    for a in &s.made_annotations {
        csv.push(',');
        csv.push_str(&crate::export::csv::field(&a.name));
    }
    csv.push('\n');
    let sets: Vec<std::collections::HashSet<&str>> =
        s.made_annotations.iter().map(|a| a.selected.iter().map(String::as_str).collect()).collect();
    for id in ids {
        csv.push_str(&crate::export::csv::field(id));
        for set in &sets {
            csv.push_str(if set.contains(id.as_str()) { ",selected" } else { ",not selected" });
        }
        csv.push('\n');
    }
    Some(csv)
}

/// The request that opens the session's data (without the annotations made from selections).
fn request(s: &Session) -> OpenRequest {
    OpenRequest {
        matrix: s.data.matrix.path.clone(),
        annotations: s.data.annotations.iter().map(|a| a.path.clone()).collect(),
        load: LoadOptions { orientation: s.data.orientation, choice: s.data.choice.clone() },
        pipeline: s.pipeline.clone(),
        name: None,
        group_means: s.data.group_means.clone(),
    }
}

/// Quotes an argument for POSIX sh.
fn quote(arg: &Arg) -> String {
    match arg {
        Arg::Text(t) if !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+".contains(c)) => {
            t.clone()
        }
        Arg::Text(t) => format!("'{}'", t.replace('\'', r"'\''")),
        Arg::Out(name) => format!("\"$OUT/{name}\""),
    }
}

/// The session as a POSIX shell script of `biolens` commands (its first argument is the
/// output folder, `biolens-out` by default).
pub fn session_script(s: &Session, png: bool) -> anyhow::Result<String> {
    // The data as loaded (with their annotation files, before the pipeline): which annotations
    // the views can name, and the raw samples' ids for the annotations made from selections.
    let raw = OpenRequest { pipeline: Pipeline::default(), ..request(s) };
    let dataset = crate::data::open(&raw, &|_, _| {})?;
    let (lines, notes) = commands(s, if png { "png" } else { "svg" }, &Names::of(s, &dataset))?;
    let mut out = String::from("#!/bin/sh\n");
    let _ = writeln!(out, "# Reproduces a Biolens session headless: every table and figure into one folder.");
    let _ = writeln!(out, "# Written by {}. Data files (SHA-256):", s.written_by);
    for f in std::iter::once(&s.data.matrix).chain(&s.data.annotations) {
        let _ = writeln!(out, "#   {}  {}", f.sha256, f.path.display());
    }
    for Note::Both(n) | Note::Script(n) in &notes {
        let _ = writeln!(out, "# Note: {n}");
    }
    out.push_str("set -e\nOUT=\"${1:-biolens-out}\"\nmkdir -p \"$OUT\"\n");
    if let Some(csv) = made_csv(s, dataset.raw().sample_ids()) {
        let _ = write!(out, "cat > \"$OUT/{MADE}\" <<'BIOLENS_EOF'\n{csv}BIOLENS_EOF\n");
    }
    for line in &lines {
        let args: Vec<String> = line.args.iter().map(quote).collect();
        let _ = write!(out, "biolens {}", args.join(" "));
        if let Some(file) = &line.stdout {
            let _ = write!(out, " > \"$OUT/{file}\"");
        }
        out.push('\n');
    }
    Ok(out)
}

pub(super) fn run(args: &RunArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let s = Session::load(&args.session)?;
    for (file, check) in s.check_files() {
        match check {
            FileCheck::Missing => anyhow::bail!(
                "{}: the session's data file {} is not there (moved? open the session in the app to locate it)",
                args.session.display(),
                file.path.display()
            ),
            FileCheck::Changed if !args.allow_changed => anyhow::bail!(
                "{}: the data file {} changed since the session was saved (its SHA-256 differs); \
                 give --allow-changed to go on with the new contents",
                args.session.display(),
                file.path.display()
            ),
            _ => writeln!(out, "warning: {} changed since the session was saved", file.path.display())?,
        }
    }
    if args.script {
        write!(out, "{}", session_script(&s, args.png)?)?;
        return Ok(());
    }
    let dir = args.out_dir.as_deref().context("--out-dir DIR")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ext = if args.png { "png" } else { "svg" };
    // The data, read and preprocessed once; the made annotations joined before the pipeline.
    let made = dir.join(MADE);
    let dataset = crate::data::open_with(&request(&s), &|_, _| {}, |raw| match made_csv(&s, raw.sample_ids()) {
        Some(csv) => std::fs::write(&made, csv).map(|()| Some(made.clone())).map_err(|e| LoadError::io(&made, e)),
        None => Ok(None),
    })?;
    let (_, notes) = commands(&s, ext, &Names::of(&s, &dataset))?;
    for note in &notes {
        if let Note::Both(n) = note {
            writeln!(out, "note: {n}")?;
        }
    }
    let mut runner = Runner { s: &s, dataset, dir, ext, written: Vec::new() };
    runner.check()?;
    if !s.made_annotations.is_empty() {
        runner.written.push(MADE.to_owned());
    }
    runner.pca()?;
    runner.tsne()?;
    runner.distance_map()?;
    runner.clusters()?;
    runner.heatmap()?;
    runner.classify()?;
    runner.regress()?;
    for file in &runner.written {
        writeln!(out, "{}", dir.join(file).display())?;
    }
    writeln!(out, "{} files; tables and figures in {}", runner.written.len(), dir.display())?;
    Ok(())
}

/// A session's recipes run on its one dataset, each table and figure written as the
/// corresponding command writes it.
struct Runner<'a> {
    s: &'a Session,
    dataset: crate::data::Dataset,
    dir: &'a Path,
    /// "svg" or "png".
    ext: &'static str,
    /// The files written, in order.
    written: Vec<String>,
}

impl Runner<'_> {
    /// The annotation a scatter's `colouring` names, when the data have it (else one colour,
    /// as the script asks; [`Names::honour`] notes it).
    fn colouring<'c>(&self, colouring: &'c Colouring) -> Option<&'c str> {
        colouring.annotation_name().filter(|_| colouring.applies_to(&self.dataset))
    }

    /// Creates `name` in the output folder (so a bad folder fails before the computation).
    fn file(&self, name: &str) -> anyhow::Result<OutFile> {
        OutFile::create(&self.dir.join(name))
    }

    /// Writes a figure of `view` as `biolens plot` does at its default size.
    fn figure(&mut self, stem: &str, view: PlotView, mut fig: Figure) -> anyhow::Result<()> {
        fig.title = plot::default_title(&self.dataset, view);
        let name = format!("{stem}.{}", self.ext);
        plot::write_default(&fig, &self.dir.join(&name))?;
        self.written.push(name);
        Ok(())
    }

    /// Writes a table with `write`.
    fn table(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        self.file(name)?.write_with(write)?;
        self.written.push(name.to_owned());
        Ok(())
    }

    /// Every view's memory rule and limits, before anything is computed: a session too large
    /// for this machine is refused at once, not after minutes of t-SNE.
    fn check(&self) -> anyhow::Result<()> {
        let (n, genes) = (self.dataset.n_samples(), self.dataset.n_genes());
        let v = &self.s.views;
        recipes::pca::memory(&v.pca.params, n, genes).check(n, genes)?;
        recipes::tsne::MEMORY.check(n, genes)?;
        recipes::distance_map::check(n, genes)?;
        v.clusters.memory().check(n, genes)?;
        if v.clusters.method == ClusterMethod::Hierarchical {
            clusters::check_silhouettes(n, genes)?;
            // The tree's distances and the copy the silhouettes keep.
            let both = crate::memory::MemoryRule {
                what: "hierarchical clustering with silhouettes",
                bytes: |n, genes| clusters::TREE_MEMORY.need(n, genes) + crate::memory::condensed_bytes(n),
            };
            both.check(n, genes)?;
        }
        recipes::heatmap::MEMORY.check(n, v.heatmap.top_genes.min(genes))?;
        if v.classify.settings.target.is_some() {
            recipes::classify::MEMORY.check(n, genes)?;
        }
        if v.classify.regress_ran {
            recipes::regress::MEMORY.check(n, genes)?;
        }
        Ok(())
    }

    fn x(&self) -> Result<ndarray::ArrayView2<'_, f64>, crate::memory::MemoryError> {
        Ok(self.dataset.dense()?.view())
    }

    /// One PCA: the scores and loadings, the scatter, the scree plot and the loadings plot.
    fn pca(&mut self) -> anyhow::Result<()> {
        let v = &self.s.views.pca;
        let fit = recipes::pca::run_values(self.dataset.values(), &v.params, Ctx::silent())?;
        let (scores, loadings) = (self.file("pca_scores.csv")?, self.file("pca_loadings.csv")?);
        super::write_pca_tables(&fit, &self.dataset, Some(scores), Some(loadings))?;
        self.written.extend(["pca_scores.csv".to_owned(), "pca_loadings.csv".to_owned()]);
        let colour_by = self.colouring(&v.colour_by);
        // Components beyond those computed show the last one, as in the app.
        let last = fit.explained_variance_ratio.len().saturating_sub(1);
        let axes = (v.axes.0.min(last), v.axes.1.min(last));
        let scatter = plot::pca_scatter(&self.dataset, &fit, axes, colour_by, None)?;
        self.figure("pca", PlotView::Pca, scatter)?;
        self.figure("scree", PlotView::Scree, plots::scree("", &fit.explained_variance_ratio))?;
        let loadings = plot::loadings_figure(&self.dataset, &fit, v.loadings_pc.min(last), plot::LOADINGS_GENES)?;
        self.figure("loadings", PlotView::Loadings, loadings)
    }

    fn tsne(&mut self) -> anyhow::Result<()> {
        let v = &self.s.views.tsne;
        let embedding = recipes::tsne::run(self.x()?, &tsne_params(&v.params), Ctx::silent(), |_, _| {})?;
        let fig = plot::tsne_scatter(&self.dataset, &embedding, self.colouring(&v.colour_by), None)?;
        self.figure("tsne", PlotView::Tsne, fig)
    }

    /// One distance matrix: the table and the map.
    fn distance_map(&mut self) -> anyhow::Result<()> {
        let d = &self.s.views.distance_map;
        let device = super::device(ComputeDevice::Auto)?;
        let map = recipes::distance_map::run(self.x()?, d.metric, &device, Ctx::silent())?;
        let ids = self.dataset.sample_ids().to_vec();
        self.table("distances.csv", |w| {
            crate::export::csv::write_matrix(w, "sample_id", &ids, &ids, map.matrix.view())
        })?;
        let strip = plot::strip(&self.dataset, d.strip_name(&self.dataset).as_deref())?;
        let fig = plot::distance_map_figure(&self.dataset, &map, &d.order, d.reversed, strip.as_ref());
        self.figure("distance_map", PlotView::DistanceMap, fig)
    }

    /// The method shown: its labels and plots (one distance matrix for the tree and the
    /// silhouettes).
    fn clusters(&mut self) -> anyhow::Result<()> {
        let c = self.s.views.clusters.clone();
        let ids = self.dataset.sample_ids().to_vec();
        let labels: Vec<Option<usize>> = match c.method {
            ClusterMethod::Hierarchical => {
                let metric = c.effective_metric();
                let condensed = clusters::distances_for(clusters::TREE_MEMORY, self.x()?, metric, Ctx::silent())?;
                let n = ids.len();
                let for_silhouettes = (n <= clusters::MAX_SILHOUETTE).then(|| condensed.clone());
                let tree = clusters::tree_of_distances(condensed, n, c.linkage, Ctx::silent())?;
                self.table("linkage.csv", |w| crate::export::csv::write_merges(w, &tree.merges))?;
                let labels: Vec<Option<usize>> = c.cut(&tree).into_iter().map(Some).collect();
                let strip = plot::strip(&self.dataset, c.compare_name(&self.dataset).as_deref())?;
                let fig = plot::dendrogram_figure(&self.dataset, &tree, &c, strip.as_ref());
                self.figure("dendrogram", PlotView::Dendrogram, fig)?;
                let d = for_silhouettes.context("silhouettes: too many samples (checked above)")?;
                let widths = crate::analysis::clustering::quality::silhouette(&d, &labels);
                self.figure("silhouette", PlotView::Silhouette, plot::silhouette_figure(&labels, &widths))?;
                labels
            }
            ClusterMethod::KMeans => {
                let fit = clusters::kmeans_fit(self.x()?, &c.kmeans, Ctx::silent())?;
                let curve = clusters::elbow_curve(self.x()?, &c.kmeans, c.elbow_max.max(c.kmeans.k), Ctx::silent())?;
                self.figure("elbow", PlotView::Elbow, plots::elbow("", &curve, c.kmeans.k))?;
                fit.labels.into_iter().map(Some).collect()
            }
            ClusterMethod::Dbscan => clusters::dbscan_labels(self.x()?, c.dbscan, c.metric, Ctx::silent())?,
            ClusterMethod::Leiden | ClusterMethod::Louvain => {
                let refine = c.method == ClusterMethod::Leiden;
                let found = clusters::communities(&self.dataset, &c.graph, &c.communities, refine, Ctx::silent())?;
                found.labels.into_iter().map(Some).collect()
            }
        };
        self.table("clusters.csv", |w| crate::export::csv::write_labels(w, &ids, &labels))
    }

    fn heatmap(&mut self) -> anyhow::Result<()> {
        let h = &self.s.views.heatmap;
        let settings = HeatmapSettings { metric: h.effective_metric(), ..h.clone() };
        let map = recipes::heatmap::run(self.x()?, &settings, Ctx::silent())?;
        let strip = plot::strip(&self.dataset, h.strip_name(&self.dataset).as_deref())?;
        let fig = plot::heatmap_figure(&self.dataset, &map, h.range, strip.as_ref());
        self.figure("heatmap", PlotView::Heatmap, fig)
    }

    /// Every model switched on, on the same splits; the figures of the model shown.
    fn classify(&mut self) -> anyhow::Result<()> {
        let c = &self.s.views.classify.settings;
        if c.target.is_none() {
            return Ok(());
        }
        let target = c.target_in(&self.dataset).context("no categorical annotation to predict")?;
        let features = c.fold_features();
        let stem = self.s.data.matrix.path.file_stem().and_then(|s| s.to_str()).unwrap_or("data").to_owned();
        // `selected` counts the models switched on (the run's outcomes).
        for (k, model) in c.chosen_models().into_iter().enumerate() {
            let evaluation =
                super::classify::evaluate_on(&self.dataset, &target, &c.validation, c.seed, &model, &features)?;
            let (name, _) = model_args(&model);
            let json = format!("classify_{name}.json");
            self.table(&json, |w| writeln!(w, "{}", evaluation.json()))?;
            if k == c.selected {
                let title = format!("{stem} — {}", evaluation.model_name());
                let confusion = format!("confusion_{name}.{}", self.ext);
                let roc = format!("roc_{name}.{}", self.ext);
                super::classify::write_figures(
                    &evaluation,
                    &title,
                    Some(&self.dir.join(&confusion)),
                    c.normalised,
                    Some(&self.dir.join(&roc)),
                )?;
                self.written.extend([confusion, roc]);
            }
        }
        Ok(())
    }
}
