//! A 100,000-sample table, as a new user might open: every tab opens without killing the app,
//! and every subcommand exits 0 or 1 — analyses that would need more memory than there is
//! (hierarchical clustering wants a 40 GB condensed matrix) refuse with a message instead of
//! aborting.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use biolens::app::{BiolensApp, Startup, Tab};
use biolens::data::OpenRequest;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

const SAMPLES: usize = 100_000;
const FEATURES: usize = 50;
/// Caps what Biolens may use, so the refusals below hold on larger machines too.
const LIMIT: &str = "16G";

/// Writes the table: `sample_id`, 50 numeric features from three groups, and the group.
fn write_table(dir: &Path) -> PathBuf {
    let path = dir.join("big.csv");
    let mut text = String::with_capacity(SAMPLES * FEATURES * 8);
    text.push_str("sample_id");
    for j in 0..FEATURES {
        let _ = write!(text, ",f{j}");
    }
    text.push_str(",group\n");
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..SAMPLES {
        let group = i % 3;
        let _ = write!(text, "s{i}");
        for j in 0..FEATURES {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let centre = if j % 3 == group { 2.0 } else { 0.0 };
            let _ = write!(text, ",{:.3}", centre + noise);
        }
        let _ = writeln!(text, ",g{group}");
    }
    std::fs::write(&path, text).expect("write the table");
    path
}

/// Steps the app until a label containing `text` is shown; fails after a minute.
fn shown(h: &mut Harness<'static, BiolensApp>, text: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while h.query_by_label_contains(text).is_none() {
        assert!(std::time::Instant::now() < deadline, "never shown: {text}");
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn every_tab_opens_on_a_100000_sample_table() {
    biolens::memory::set_limit(Some(16 << 30));
    let dir = tempfile::tempdir().unwrap();
    let path = write_table(dir.path());
    let request = OpenRequest { matrix: path, ..OpenRequest::default() };
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| BiolensApp::new(cc, Startup::Open(Box::new(request.clone()))));
    common::run_until(&mut h, "the table", |app| app.state().current.is_some());
    assert_eq!(h.state().state().current.as_ref().unwrap().dataset.n_samples(), SAMPLES);
    let keys = [egui::Key::Num1, egui::Key::Num2, egui::Key::Num3, egui::Key::Num4, egui::Key::Num5];
    let keys =
        keys.into_iter().chain([egui::Key::Num6, egui::Key::Num7, egui::Key::Num8, egui::Key::Num9, egui::Key::Num0]);
    for (tab, key) in Tab::ALL.into_iter().zip(keys) {
        h.key_press_modifiers(egui::Modifiers::COMMAND, key);
        h.run_steps(3);
        assert_eq!(h.state().tab(), tab);
    }
    // The refusals are shown where the user looks for the result.
    h.get_by_label("Distance map").click();
    h.run_steps(3);
    h.get_by_label_contains("the distance map shows at most 10,000 samples (100,000 here)");
    h.get_by_label("Heatmap").click();
    shown(&mut h, "the clustered heatmap of 100,000 samples needs 40.0 GB");
    h.get_by_label("Clusters").click();
    shown(&mut h, "hierarchical clustering of 100,000 samples needs 40.0 GB");
    h.get_by_label_contains("samples fit: keep a subset");
    common::screenshot(&mut h, "big_table_clusters");
    // Or the means of each group (pseudobulk): one sample per group, and the way back.
    h.get_by_label("Average each group (pseudobulk)").click();
    h.run_steps(2);
    h.get_by_label("by group").click();
    h.run_steps(1);
    common::run_until(&mut h, "the group means", |app| {
        app.state().data_job.is_none() && app.state().current.as_ref().is_some_and(|c| c.dataset.n_samples() == 3)
    });
    let means = &h.state().state().current.as_ref().unwrap().dataset;
    assert_eq!(means.sample_ids(), ["g0", "g1", "g2"]);
    assert_eq!(means.source.group_means.as_ref().map(|g| g.by.as_str()), Some("group"));
    shown(&mut h, "Each group of 'group' is now one sample");
    // The menu bar's Data menu (the Data tab comes after it).
    h.get_all_by_label("Data").next().expect("the Data menu").click();
    h.run_steps(2);
    h.get_by_label("Back to the samples").click();
    h.run_steps(1);
    common::run_until(&mut h, "the samples again", |app| {
        app.state().data_job.is_none() && app.state().current.as_ref().is_some_and(|c| c.dataset.n_samples() == SAMPLES)
    });
    // Still on the Clusters tab, which refuses the 100,000 samples again.
    assert_eq!(h.state().tab(), Tab::Clusters);
    shown(&mut h, "hierarchical clustering of 100,000 samples needs 40.0 GB");
    // The refusal offers a subset: one click keeps 10,000 random samples, and every view
    // works on them.
    h.get_by_label("Keep a random subset of 10,000 samples").click();
    h.run_steps(1);
    common::run_until(&mut h, "the subset", |app| {
        app.state().data_job.is_none() && app.state().current.as_ref().is_some_and(|c| c.dataset.n_samples() == 10_000)
    });
    let pipeline = h.state().state().current.as_ref().unwrap().dataset.pipeline().clone();
    assert_eq!(pipeline.steps, vec![biolens::data::Step::Subsample { n: 10_000, seed: 0, by: None }]);
    // The app is alive and still holds all the data (the subset is a step, undone in the Data tab).
    assert_eq!(h.state().state().current.as_ref().unwrap().dataset.raw().sample_ids().len(), SAMPLES);
    assert!(h.state().pca_view().result.is_some() || h.state().pca_view().is_running());
}

/// A session of the table with every view at its defaults (t-SNE with no iterations after
/// the early exaggeration), saved in `dir`.
fn session(dir: &Path, table: &Path) -> String {
    use biolens::session::{DataSource, FileRef, Session};
    let data = DataSource {
        matrix: FileRef::of(table).expect("the table"),
        annotations: Vec::new(),
        orientation: None,
        choice: biolens::data::MatrixChoice::default(),
        name: None,
        group_means: None,
    };
    let mut s = Session::new(data, biolens::data::Pipeline::default());
    s.views.tsne.params.iterations = 0;
    s.views.classify.settings.target = Some("group".into());
    let path = dir.join("big.biolens.json");
    s.save(&path).expect("save the session");
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn biolens(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_biolens"))
        .args(args)
        .env("BIOLENS_MEMORY_LIMIT", LIMIT)
        .output()
        .expect("run biolens")
}

#[test]
fn every_subcommand_exits_0_or_1_on_a_100000_sample_table() {
    let dir = tempfile::tempdir().unwrap();
    let table = write_table(dir.path());
    let m = table.to_str().unwrap().to_owned();
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let cases: Vec<(Vec<String>, Option<&str>)> = vec![
        (vec!["info".into(), m.clone()], None),
        (vec!["pca".into(), m.clone(), "--out".into(), out("pca.csv")], None),
        (vec!["distances".into(), m.clone(), "--out".into(), out("d.csv")], Some("the distance matrix of 100,000")),
        (
            vec![
                "cluster".into(),
                m.clone(),
                "--method".into(),
                "average".into(),
                "--linkage-out".into(),
                out("l.csv"),
            ],
            Some("hierarchical clustering of 100,000 samples needs 40.0 GB"),
        ),
        (
            vec!["cluster".into(), m.clone(), "--method".into(), "dbscan".into(), "--eps".into(), "1".into()]
                .into_iter()
                .chain(["--out".into(), out("db.csv")])
                .collect(),
            Some("DBSCAN of 100,000 samples needs"),
        ),
        (
            vec!["cluster".into(), m.clone(), "--method".into(), "kmeans".into(), "--k".into(), "3".into()]
                .into_iter()
                .chain(["--n-init".into(), "1".into(), "--out".into(), out("km.csv")])
                .collect(),
            None,
        ),
        (vec!["classify".into(), m.clone(), "--target".into(), "group".into(), "--model".into(), "gnb".into()], None),
        (vec!["plot".into(), "dendrogram".into(), m.clone(), "--out".into(), out("den.svg")], Some("needs 40.0 GB")),
        (vec!["plot".into(), "heatmap".into(), m.clone(), "--out".into(), out("h.svg")], Some("needs 40.0 GB")),
        (vec!["plot".into(), "distance-map".into(), m.clone(), "--out".into(), out("dm.svg")], Some("at most 10,000")),
        (
            vec!["plot".into(), "silhouette".into(), m.clone(), "--out".into(), out("s.svg")],
            Some("up to 10,000 samples"),
        ),
        (vec!["plot".into(), "scree".into(), m.clone(), "--out".into(), out("scree.svg")], None),
        // t-SNE runs (its 250 iterations of early exaggeration take about 2 minutes here).
        (vec!["tsne".into(), m.clone(), "--iterations".into(), "0".into(), "--out".into(), out("t.csv")], None),
        // A session of every view: refused before anything is computed (the distance map).
        (
            vec!["run".into(), session(dir.path(), &table), "--out-dir".into(), out("run")],
            Some("the distance map shows at most 10,000 samples"),
        ),
    ];
    for (args, refusal) in cases {
        let output = biolens(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code();
        assert!(matches!(code, Some(0 | 1)), "{args:?}: exit {code:?} (not 0 or 1), stderr: {stderr}");
        match refusal {
            Some(message) => {
                assert_eq!(code, Some(1), "{args:?} should refuse: {stderr}");
                assert!(stderr.contains(message), "{args:?}: {stderr}");
            }
            None => assert_eq!(code, Some(0), "{args:?}: {stderr}"),
        }
    }
}
