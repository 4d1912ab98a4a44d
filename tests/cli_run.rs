//! `biolens run SESSION --out-dir DIR` and the session's shell script: every table and figure,
//! the same numbers as the individual commands, the script reproducing `run` byte for byte,
//! and clear refusals for moved, changed or bad session files.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use biolens::data::{Pipeline, Step};
use biolens::session::{DataSource, FileRef, MadeAnnotation, Session};
use common::sample;

fn biolens(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_biolens")).args(args).output().expect("run biolens")
}

/// A session of a copy of iris in `dir`: log2 then z-score, a made annotation, k-means shown.
fn iris_session(dir: &Path) -> (PathBuf, PathBuf) {
    let matrix = dir.join("iris.csv");
    let annotations = dir.join("iris_samples.csv");
    std::fs::copy(sample("sklearn_iris/expression.csv"), &matrix).expect("test setup");
    std::fs::copy(sample("sklearn_iris/samples.csv"), &annotations).expect("test setup");
    let data = DataSource {
        matrix: FileRef::of(&matrix).expect("test setup"),
        annotations: vec![FileRef::of(&annotations).expect("test setup")],
        orientation: None,
        choice: biolens::data::MatrixChoice::default(),
        name: None,
        group_means: None,
    };
    let pipeline = Pipeline { steps: vec![Step::Log2, Step::ZScore], ..Pipeline::default() };
    let mut s = Session::new(data, pipeline);
    s.made_annotations.push(MadeAnnotation { name: "selection 1".into(), selected: vec!["iris_001".into()] });
    s.views.pca.colour_by = biolens::recipes::Colouring::Annotation("selection 1".into());
    s.views.clusters.method = biolens::recipes::clusters::ClusterMethod::KMeans;
    s.views.clusters.kmeans.k = 3;
    s.views.classify.settings.target = Some("label".into());
    s.views.classify.settings.models.retain(|(_, m)| {
        matches!(m, biolens::analysis::classify::Model::Knn { .. } | biolens::analysis::classify::Model::GaussianNb)
    });
    s.views.tsne.params.iterations = 100;
    let path = dir.join("iris.biolens.json");
    s.save(&path).expect("test setup");
    (path, matrix)
}

#[test]
fn run_writes_every_table_and_figure_with_the_commands_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (session, matrix) = iris_session(dir.path());
    let out = dir.path().join("out");
    let run = biolens(&["run", session.to_str().unwrap(), "--out-dir", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for file in [
        "pca_scores.csv",
        "pca_loadings.csv",
        "pca.svg",
        "scree.svg",
        "loadings.svg",
        "tsne.svg",
        "distances.csv",
        "distance_map.svg",
        "clusters.csv",
        "elbow.svg",
        "heatmap.svg",
        "classify_knn.json",
        "classify_gnb.json",
        "made_annotations.csv",
    ] {
        assert!(out.join(file).is_file(), "{file} written");
    }
    let confusion = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("confusion_"))
        .count();
    assert_eq!(confusion, 1, "the confusion matrix of the model shown");
    // The same numbers as `biolens pca` with the same preprocessing flags.
    let direct = dir.path().join("direct.csv");
    let pca = biolens(&[
        "pca",
        matrix.to_str().unwrap(),
        "--log2",
        "--scale",
        "--components",
        "10",
        "--out",
        direct.to_str().unwrap(),
    ]);
    assert!(pca.status.success(), "{}", String::from_utf8_lossy(&pca.stderr));
    assert_eq!(std::fs::read(out.join("pca_scores.csv")).unwrap(), std::fs::read(&direct).unwrap());
    // The made annotation colours the PCA figure.
    assert!(std::fs::read_to_string(out.join("pca.svg")).unwrap().contains(">not selected<"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("classify_knn.json")).unwrap()).unwrap();
    assert_eq!(json["samples"], 150);

    script_reproduces(dir.path(), &session, &out);
}

/// The session's script writes what `run` wrote into `out`: the same tables and figures, byte
/// for byte. Returns the script.
fn script_reproduces(dir: &Path, session: &Path, out: &Path) -> String {
    let script = biolens(&["run", session.to_str().expect("a UTF-8 path"), "--script"]);
    assert!(script.status.success(), "{}", String::from_utf8_lossy(&script.stderr));
    let script_path = dir.join("session.sh");
    std::fs::write(&script_path, &script.stdout).expect("write the script");
    let bin = Path::new(env!("CARGO_BIN_EXE_biolens")).parent().expect("the binary's folder");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let by_script = dir.join("by_script");
    let sh = Command::new("sh").arg(&script_path).arg(&by_script).env("PATH", path).output().expect("run sh");
    assert!(sh.status.success(), "{}", String::from_utf8_lossy(&sh.stderr));
    for entry in std::fs::read_dir(out).expect("the output folder").filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().extension().is_some_and(|e| e == "json") {
            continue; // timings differ
        }
        let (by_run, by_script) = (std::fs::read(entry.path()), std::fs::read(by_script.join(&name)));
        assert_eq!(by_run.expect("run's file"), by_script.expect("the script's file"), "{name}");
    }
    String::from_utf8(script.stdout).expect("a UTF-8 script")
}

/// Views naming annotations the data lack (a clustering's labels, which the app publishes but
/// a session does not keep) are drawn without them by `run` and its script alike, with notes:
/// a scatter in one colour, no strip, a map ordered by the missing annotation in clustering
/// order.
#[test]
fn views_naming_annotations_the_data_lack_are_drawn_without_them_by_run_and_script_alike() {
    use biolens::recipes::Colouring;
    use biolens::recipes::clusters::ClusterMethod;
    use biolens::recipes::distance_map::MapOrder;
    let dir = tempfile::tempdir().unwrap();
    let (session, _) = iris_session(dir.path());
    let mut s = Session::load(&session).unwrap();
    s.views.pca.colour_by = Colouring::Annotation("leiden".into());
    s.views.heatmap.strip = Some("hierarchical clusters".into());
    s.views.distance_map.order = MapOrder::Annotation("k-means clusters".into());
    s.views.clusters.method = ClusterMethod::Hierarchical;
    s.views.clusters.compare = Some("DBSCAN clusters".into());
    s.save(&session).unwrap();
    let out = dir.path().join("out");
    let run = biolens(&["run", session.to_str().unwrap(), "--out-dir", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let said = String::from_utf8_lossy(&run.stdout).into_owned();
    for name in ["leiden", "hierarchical clusters", "k-means clusters", "DBSCAN clusters"] {
        assert!(said.contains(&format!("names '{name}', which the data lack")), "a note on {name}: {said}");
    }
    let script = script_reproduces(dir.path(), &session, &out);
    assert!(script.contains("# Note: the heatmap's strip names 'hierarchical clusters'"), "{script}");
    // The silhouettes draw no strip, so their line does not name one.
    let silhouette = script.lines().find(|l| l.contains("plot silhouette")).expect("a silhouette line");
    assert!(!silhouette.contains("colour"), "{silhouette}");
}

#[test]
fn run_refuses_moved_changed_and_bad_sessions_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (session, matrix) = iris_session(dir.path());
    let out = dir.path().join("out");
    let fail = |extra: &[&str]| {
        let mut args = vec!["run", session.to_str().unwrap(), "--out-dir", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let run = biolens(&args);
        (run.status.success(), String::from_utf8_lossy(&run.stderr).into_owned())
    };
    let text = std::fs::read_to_string(&matrix).unwrap();
    std::fs::write(&matrix, text.replacen("5.1", "5.3", 1)).unwrap();
    let (ok, err) = fail(&[]);
    assert!(!ok && err.contains("changed since the session was saved") && err.contains("--allow-changed"), "{err}");
    let (ok, _) = fail(&["--allow-changed"]);
    assert!(ok, "goes on when asked");
    std::fs::remove_file(&matrix).unwrap();
    let (ok, err) = fail(&[]);
    assert!(!ok && err.contains("is not there"), "{err}");
    std::fs::write(&session, "{\"biolens_session\": 2}").unwrap();
    let (ok, err) = fail(&[]);
    assert!(!ok && err.contains("newer Biolens"), "{err}");
}

#[test]
fn the_figures_are_those_of_the_model_shown_after_a_switched_off_one() {
    let dir = tempfile::tempdir().unwrap();
    let (session, _) = iris_session(dir.path());
    let mut s = Session::load(&session).unwrap();
    // Every default model; the decision tree (7th) is off, so the baseline is the 7th run.
    let defaults = biolens::recipes::classify::ClassifySettings::default();
    s.views.classify.settings.models = defaults.models;
    let on: Vec<_> = s.views.classify.settings.models.iter().filter(|(on, _)| *on).map(|(_, m)| m.clone()).collect();
    let shown = on.iter().position(|m| matches!(m, biolens::analysis::classify::Model::Baseline)).unwrap();
    assert!(shown < s.views.classify.settings.models.len() - 1, "a model before it is off");
    s.views.classify.settings.selected = shown;
    s.save(&session).unwrap();
    let out = dir.path().join("out");
    let run = biolens(&["run", session.to_str().unwrap(), "--out-dir", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(out.join("confusion_baseline.svg").is_file(), "the baseline's confusion matrix");
    assert!(out.join("roc_baseline.svg").is_file());
    let script = biolens(&["run", session.to_str().unwrap(), "--script"]);
    let script = String::from_utf8_lossy(&script.stdout);
    let line = script.lines().find(|l| l.contains("--confusion-figure")).expect("one line draws it");
    assert!(line.contains("--model baseline"), "{line}");
}
