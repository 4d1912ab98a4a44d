//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use biolens::app::BiolensApp;
use biolens::data::{self, Dataset, LoadOptions, OpenRequest};
use egui_kittest::Harness;

/// (reference key, dataset folder, expression file) of every bundled dataset in
/// `sample-data/reference_sklearn_scipy.json`.
pub const SHARED_DATASETS: [(&str, &str, &str); 7] = [
    ("tissue_gene_expression", "tissue_gene_expression", "expression.csv"),
    ("nci60", "nci60", "expression.csv"),
    ("khan_srbct", "khan_srbct", "expression.csv"),
    ("guo_qpcr", "guo_qpcr", "expression.csv"),
    ("pbmc68k_reduced", "pbmc68k_reduced", "expression.csv"),
    ("pbmc68k_reduced[lognorm]", "pbmc68k_reduced", "expression_lognorm.csv"),
    ("sklearn_iris", "sklearn_iris", "expression.csv"),
];

/// A file or folder under the bundled `sample-data/`.
pub fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data").join(rel)
}

/// Loads a matrix with default options, panicking with the loader's message.
pub fn load(path: &Path) -> data::io::Loaded {
    data::io::load_matrix(path, &LoadOptions::default(), &|_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// Loads a matrix and expects an error; returns its message.
pub fn load_err(path: &Path) -> String {
    match data::io::load_matrix(path, &LoadOptions::default(), &|_, _| {}) {
        Ok(l) => panic!("expected an error, loaded {:?}", l.data.matrix().dim()),
        Err(e) => e.to_string(),
    }
}

/// Opens a bundled dataset (expression.csv + samples.csv).
pub fn open_sample(name: &str) -> Dataset {
    let request = OpenRequest {
        matrix: sample(&format!("{name}/expression.csv")),
        annotations: vec![sample(&format!("{name}/samples.csv"))],
        ..OpenRequest::default()
    };
    data::open(&request, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// Writes `content` to a file named `name` in a fresh temporary directory.
pub fn write_temp(name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write temp file");
    (dir, path)
}

/// Steps the app's frames until `done` holds (jobs run on worker threads), then a few more
/// so the UI shows the result; fails after a minute.
pub fn run_until(harness: &mut Harness<'static, BiolensApp>, what: &str, done: impl Fn(&BiolensApp) -> bool) {
    let deadline = Instant::now() + Duration::from_mins(1);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_steps(3);
}
