//! `biolens run SESSION --out-dir DIR`: every table and figure of a saved session, headless.
//!
//! A session becomes a list of `biolens` command lines ([`commands`]); `run` parses and
//! executes each in this process, and [`session_script`] writes the same lines as a shell
//! script (*File ▸ Export as script…* in the app, `biolens run SESSION --script`), so the two
//! cannot disagree.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Parser as _};

use crate::analysis::classify::Model;
use crate::analysis::classify::svm::Kernel;
use crate::analysis::classify::validation::GeneSelection;
use crate::analysis::distance::Metric;
use crate::recipes::Colouring;
use crate::recipes::classify::Validation;
use crate::recipes::clusters::ClusterMethod;
use crate::recipes::distance_map::MapOrder;
use crate::session::{FileCheck, Session};

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
    if s.pipeline != crate::data::Pipeline::default() {
        args.extend([Arg::Text("--pipeline".to_owned()), Arg::Text(serde_json::to_string(&s.pipeline)?)]);
    }
    Ok(args)
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Euclidean => "euclidean",
        Metric::SqEuclidean => "sqeuclidean",
        Metric::Manhattan => "manhattan",
        Metric::Cosine => "cosine",
        Metric::Correlation => "correlation",
        Metric::Spearman => "spearman",
    }
}

fn linkage_name(m: crate::analysis::clustering::hierarchical::Method) -> String {
    m.name().to_lowercase()
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
    }
}

/// The session's tables and figures as command lines, and notes on what they cannot show.
fn commands(s: &Session, ext: &str) -> anyhow::Result<(Vec<Line>, Vec<String>)> {
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
    let colour = |c: &Colouring| match c {
        Colouring::Annotation(name) => text(&["--colour-by", name]),
        _ => Vec::new(),
    };
    let v = &s.views;
    // PCA: scores and loadings, the scatter, the scree plot and the loadings.
    let pca = &v.pca.params;
    let mut pca_flags = text(&["--components", &pca.components.to_string(), "--seed", &pca.seed.to_string()]);
    if pca.scale {
        pca_flags.push(Arg::Text("--standardise".to_owned()));
    }
    let mut tables = pca_flags.clone();
    tables.extend(out("pca_scores.csv"));
    tables.extend([Arg::Text("--loadings-out".to_owned()), Arg::Out("pca_loadings.csv".to_owned())]);
    push(&["pca"], tables, None);
    let (x, y) = ((v.pca.axes.0 + 1).to_string(), (v.pca.axes.1 + 1).to_string());
    let mut scatter = text(&["--x-pc", &x, "--y-pc", &y]);
    if pca.scale {
        scatter.push(Arg::Text("--standardise".to_owned()));
    }
    scatter.extend(colour(&v.pca.colour_by));
    scatter.extend(out(&format!("pca.{ext}")));
    push(&["plot", "pca"], scatter, None);
    let mut scree = text(&["--components", &pca.components.to_string()]);
    scree.extend(out(&format!("scree.{ext}")));
    push(&["plot", "scree"], scree, None);
    let mut loadings = text(&["--component", &(v.pca.loadings_pc + 1).to_string()]);
    loadings.extend(out(&format!("loadings.{ext}")));
    push(&["plot", "loadings"], loadings, None);
    if matches!(v.pca.colour_by, Colouring::Gene(_)) || matches!(v.tsne.colour_by, Colouring::Gene(_)) {
        notes.push("scatters coloured by a gene are drawn in one colour (plot colours by annotations)".to_owned());
    }
    // t-SNE.
    let t = &v.tsne.params;
    let expressible = crate::analysis::tsne::TsneParams {
        seed: t.seed,
        perplexity: t.perplexity,
        iterations: t.iterations,
        ..crate::analysis::tsne::TsneParams::default()
    };
    if expressible != *t {
        notes.push(
            "the t-SNE figure uses the session's seed, perplexity and iterations with the default engine settings"
                .to_owned(),
        );
    }
    let mut tsne = text(&[
        "--seed",
        &t.seed.to_string(),
        "--perplexity",
        &t.perplexity.to_string(),
        "--iterations",
        &t.iterations.to_string(),
    ]);
    tsne.extend(colour(&v.tsne.colour_by));
    tsne.extend(out(&format!("tsne.{ext}")));
    push(&["plot", "tsne"], tsne, None);
    // The distance map.
    let d = &v.distance_map;
    let mut distances = text(&["--metric", metric_name(d.metric)]);
    distances.extend(out("distances.csv"));
    push(&["distances"], distances, None);
    let mut map = text(&["--metric", metric_name(d.metric)]);
    if d.reversed {
        map.push(Arg::Text("--reversed".to_owned()));
    }
    match &d.order {
        MapOrder::Clustering => {}
        MapOrder::Original => map.extend(text(&["--order", "original"])),
        MapOrder::Annotation(name) => map.extend(text(&["--order", "annotation", "--colour-by", name])),
    }
    if let (Some(strip), false) = (&d.strip, matches!(d.order, MapOrder::Annotation(_)))
        && !strip.is_empty()
    {
        map.extend(text(&["--colour-by", strip]));
    }
    map.extend(out(&format!("distance_map.{ext}")));
    push(&["plot", "distance-map"], map, None);
    cluster_lines(s, ext, &mut push, &mut notes);
    // Classify: every model on, with the view's features and validation.
    classify_lines(s, ext, &mut push, &mut notes);
    Ok((lines, notes))
}

type Push<'a> = dyn FnMut(&[&str], Vec<Arg>, Option<&str>) + 'a;

/// The Clusters view's method and the clustered heatmap.
fn cluster_lines(s: &Session, ext: &str, push: &mut Push<'_>, notes: &mut Vec<String>) {
    // Clusters: the method shown.
    let v = &s.views;
    let out = |name: &str| vec![Arg::Text("--out".to_owned()), Arg::Out(name.to_owned())];
    let c = &v.clusters;
    let strip = c.compare.iter().filter(|n| !n.is_empty()).flat_map(|n| text(&["--colour-by", n])).collect::<Vec<_>>();
    match c.method {
        ClusterMethod::Hierarchical => {
            let metric = if c.linkage.requires_euclidean() { Metric::Euclidean } else { c.metric };
            let how = text(&["--method", &linkage_name(c.linkage), "--metric", metric_name(metric)]);
            let cut = match c.cut {
                Some(h) => text(&["--cut", &h.to_string()]),
                None => text(&["--k", &c.k.to_string()]),
            };
            let mut cluster = how.clone();
            cluster.extend([Arg::Text("--linkage-out".to_owned()), Arg::Out("linkage.csv".to_owned())]);
            if c.cut.is_none() {
                cluster.extend(text(&["--k", &c.k.to_string()]));
                cluster.extend(out("clusters.csv"));
            } else {
                notes
                    .push("the tree was cut at a height: clusters.csv is not written (cluster cuts into k)".to_owned());
            }
            push(&["cluster"], cluster, None);
            for (view, file) in [("dendrogram", "dendrogram"), ("silhouette", "silhouette")] {
                let mut args = how.clone();
                args.extend(cut.clone());
                args.extend(strip.clone());
                args.extend(out(&format!("{file}.{ext}")));
                push(&["plot", view], args, None);
            }
        }
        ClusterMethod::KMeans => {
            let k = &c.kmeans;
            let mut cluster = text(&[
                "--method",
                "kmeans",
                "--k",
                &k.k.to_string(),
                "--seed",
                &k.seed.to_string(),
                "--n-init",
                &k.n_init.to_string(),
                "--max-iter",
                &k.max_iter.to_string(),
            ]);
            cluster.extend(out("clusters.csv"));
            push(&["cluster"], cluster, None);
            let mut elbow =
                text(&["--max-k", &c.elbow_max.to_string(), "--k", &k.k.to_string(), "--seed", &k.seed.to_string()]);
            elbow.extend(out(&format!("elbow.{ext}")));
            push(&["plot", "elbow"], elbow, None);
        }
        ClusterMethod::Dbscan => {
            let mut cluster = text(&[
                "--method",
                "dbscan",
                "--metric",
                metric_name(c.metric),
                "--eps",
                &c.dbscan.eps.to_string(),
                "--min-samples",
                &c.dbscan.min_samples.to_string(),
            ]);
            cluster.extend(out("clusters.csv"));
            push(&["cluster"], cluster, None);
        }
    }
    // The clustered heatmap.
    let h = &v.heatmap;
    let metric = if h.method.requires_euclidean() { Metric::Euclidean } else { h.metric };
    let mut heatmap = text(&[
        "--heatmap-genes",
        &h.top_genes.to_string(),
        "--method",
        &linkage_name(h.method),
        "--metric",
        metric_name(metric),
        "--range",
        &h.range.to_string(),
    ]);
    if let Some(strip) = h.strip.as_ref().filter(|s| !s.is_empty()) {
        heatmap.extend(text(&["--colour-by", strip]));
    }
    heatmap.extend(out(&format!("heatmap.{ext}")));
    push(&["plot", "heatmap"], heatmap, None);
}

fn classify_lines(s: &Session, ext: &str, push: &mut Push<'_>, notes: &mut Vec<String>) {
    let c = &s.views.classify.settings;
    let Some(target) = &c.target else {
        notes.push("no annotation was chosen to predict: no classifier tables".to_owned());
        return;
    };
    let mut common = text(&["--target", target, "--seed", &c.seed.to_string()]);
    match c.features {
        crate::recipes::classify::FeatureChoice::All => {}
        crate::recipes::classify::FeatureChoice::TopGenes => {
            common.extend(text(&["--top-genes", &c.top_genes.to_string()]));
            if c.selection == GeneSelection::AnovaF {
                common.extend(text(&["--select", "anova"]));
            }
        }
        crate::recipes::classify::FeatureChoice::Pcs => common.extend(text(&["--pca", &c.pcs.to_string()])),
    }
    if c.scale {
        common.push(Arg::Text("--scale".to_owned()));
    }
    match &c.validation {
        Validation::KFold { folds, repeats, .. } => {
            common.extend(text(&["--cv", &folds.to_string(), "--repeats", &repeats.to_string()]));
        }
        Validation::LeaveOneOut => common.push(Arg::Text("--loo".to_owned())),
        Validation::ByAnnotation { column, value } => common.extend(text(&["--split", &format!("{column}={value}")])),
        Validation::Random { .. } => {
            notes.push("a random train/test split has no command-line form: 5-fold CV is used".to_owned());
        }
    }
    for (k, (_, model)) in c.models.iter().enumerate().filter(|(_, (on, _))| *on) {
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

/// The annotations made from selections as CSV: `sample_id` and one column per annotation.
fn made_csv(s: &Session) -> anyhow::Result<Option<String>> {
    if s.made_annotations.is_empty() {
        return Ok(None);
    }
    let dataset = crate::data::open(
        &crate::data::OpenRequest {
            matrix: s.data.matrix.path.clone(),
            annotations: Vec::new(),
            load: crate::data::LoadOptions { orientation: s.data.orientation },
            pipeline: crate::data::Pipeline::default(),
            name: None,
        },
        &|_, _| {},
    )?;
    let mut csv = String::from("sample_id");
    for a in &s.made_annotations {
        csv.push(',');
        csv.push_str(&crate::export::csv::field(&a.name));
    }
    csv.push('\n');
    let sets: Vec<std::collections::HashSet<&str>> =
        s.made_annotations.iter().map(|a| a.selected.iter().map(String::as_str).collect()).collect();
    for id in dataset.raw().sample_ids() {
        csv.push_str(&crate::export::csv::field(id));
        for set in &sets {
            csv.push_str(if set.contains(id.as_str()) { ",selected" } else { ",not selected" });
        }
        csv.push('\n');
    }
    Ok(Some(csv))
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
    let (lines, notes) = commands(s, if png { "png" } else { "svg" })?;
    let mut out = String::from("#!/bin/sh\n");
    let _ = writeln!(out, "# Reproduces a Biolens session headless: every table and figure into one folder.");
    let _ = writeln!(out, "# Written by {}. Data files (SHA-256):", s.written_by);
    for f in std::iter::once(&s.data.matrix).chain(&s.data.annotations) {
        let _ = writeln!(out, "#   {}  {}", f.sha256, f.path.display());
    }
    for n in &notes {
        let _ = writeln!(out, "# Note: {n}");
    }
    out.push_str("set -e\nOUT=\"${1:-biolens-out}\"\nmkdir -p \"$OUT\"\n");
    if let Some(csv) = made_csv(s)? {
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
    if let Some(csv) = made_csv(&s)? {
        std::fs::write(dir.join(MADE), csv)?;
    }
    let (lines, notes) = commands(&s, if args.png { "png" } else { "svg" })?;
    for n in &notes {
        writeln!(out, "note: {n}")?;
    }
    for line in &lines {
        let argv: Vec<String> = std::iter::once("biolens".to_owned())
            .chain(line.args.iter().map(|a| match a {
                Arg::Text(t) => t.clone(),
                Arg::Out(name) => dir.join(name).display().to_string(),
            }))
            .collect();
        let cli = super::Cli::try_parse_from(&argv).map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(command) = cli.command else { continue };
        let label = format!("{} {}", argv[1], line.stdout.as_deref().unwrap_or(""));
        if let Some(file) = &line.stdout {
            let mut f = std::fs::File::create(dir.join(file))?;
            super::run(&command, &mut f).with_context(|| label.clone())?;
            writeln!(out, "{label}: {}", dir.join(file).display())?;
        } else {
            let mut said = Vec::new();
            super::run(&command, &mut said).with_context(|| label.clone())?;
            write!(out, "{}", String::from_utf8_lossy(&said))?;
        }
    }
    writeln!(out, "{} commands; tables and figures in {}", lines.len(), dir.display())?;
    Ok(())
}
