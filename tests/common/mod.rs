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

/// Runs the `biolens` binary with `args`.
pub fn biolens(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_biolens")).args(args).output().expect("run biolens")
}

/// Runs `biolens` expecting success and one JSON object on stdout.
pub fn biolens_json(args: &[&str]) -> serde_json::Value {
    let out = biolens(args);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// Loads a matrix with default options, panicking with the loader's message.
pub fn load(path: &Path) -> data::io::Loaded {
    data::io::load_matrix(path, &LoadOptions::default(), &|_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// Loads a matrix and expects an error; returns its message.
pub fn load_err(path: &Path) -> String {
    match data::io::load_matrix(path, &LoadOptions::default(), &|_, _| {}) {
        Ok(l) => panic!("expected an error, loaded {:?}", l.data.matrix().dense().expect("dense").dim()),
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

/// Renders the app and, when `BIOLENS_SCREENSHOTS` names a folder, saves the frame there as
/// `name.png` (for looking at what users see; nothing is compared).
pub fn screenshot(harness: &mut Harness<'static, BiolensApp>, name: &str) {
    let Some(dir) = std::env::var_os("BIOLENS_SCREENSHOTS") else { return };
    let image = harness.render().expect("render the frame");
    image.save(Path::new(&dir).join(format!("{name}.png"))).expect("save the screenshot");
}

/// Presses or releases the primary button at `pos`.
pub fn press(harness: &Harness<'static, BiolensApp>, pos: egui::Pos2, pressed: bool) {
    harness.event(egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    });
}

/// Drags with the primary button from `start` to `end` in `moves` pointer moves, a frame each.
#[allow(dead_code)]
pub fn drag(harness: &mut Harness<'static, BiolensApp>, start: egui::Pos2, end: egui::Pos2, moves: usize) {
    harness.event(egui::Event::PointerMoved(start));
    press(harness, start, true);
    harness.run_steps(1);
    for k in 1..=moves {
        harness.event(egui::Event::PointerMoved(start + (end - start) * (k as f32 / moves as f32)));
        harness.run_steps(1);
    }
    press(harness, end, false);
    harness.run_steps(2);
}

/// Starts the app with nothing open and opens one of the single-cell test files
/// (`tests/data/formats/`), waiting for it.
pub fn open_test_file(name: &str) -> Harness<'static, BiolensApp> {
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(|cc| BiolensApp::new(cc, biolens::app::Startup::Empty));
    let matrix = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats").join(name);
    let request = biolens::data::OpenRequest { matrix, ..biolens::data::OpenRequest::default() };
    h.state_mut().push_command(biolens::app::commands::Command::Open(Box::new(request)));
    h.run_steps(1);
    run_until(&mut h, name, |app| app.state().current.is_some());
    h
}

/// Starts the app with nothing open (`wgpu`: with a wgpu renderer, whose device the app
/// borrows for compute), opens a bundled dataset and waits for it.
pub fn open_app(name: &'static str, wgpu: bool) -> Harness<'static, BiolensApp> {
    let builder = Harness::builder().with_size([1400.0, 900.0]);
    let builder = if wgpu { builder.wgpu() } else { builder };
    let mut harness = builder.build_eframe(|cc| BiolensApp::new(cc, biolens::app::Startup::Empty));
    harness.state_mut().push_command(biolens::app::commands::Command::OpenSample(name));
    harness.run_steps(1);
    run_until(&mut harness, "the dataset", |app| app.state().current.is_some());
    harness
}

/// A shared dataset's matrix (samples × genes), each sample's class from the `label` column
/// of its samples.csv (classes sorted as scikit-learn's `classes_`), and the number of classes.
pub fn labelled(folder: &str, file: &str) -> (ndarray::Array2<f64>, Vec<usize>, usize) {
    let x = load(&sample(&format!("{folder}/{file}"))).data.matrix().dense().expect("dense").clone();
    let text = std::fs::read_to_string(sample(&format!("{folder}/samples.csv"))).expect("samples.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let column = header.iter().position(|h| *h == "label").expect("a label column");
    let labels: Vec<Option<String>> = lines.map(|l| l.split(',').nth(column).map(str::to_owned)).collect();
    let (names, codes) = biolens::analysis::classify::encode_labels(&labels);
    (x, codes.into_iter().map(|c| c.expect("labelled")).collect(), names.len())
}

/// The GPU's result, or `None` (with a SKIPPED line) when there is no GPU to train on; with
/// `BIOLENS_REQUIRE_GPU` set (CI, on lavapipe), no GPU is a failure.
pub fn on_gpu_or_skip<T, E: std::fmt::Display>(result: Result<T, E>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(err) if std::env::var_os("BIOLENS_REQUIRE_GPU").is_some() => {
            panic!("BIOLENS_REQUIRE_GPU is set but the GPU cannot train: {err}")
        }
        Err(err) => {
            eprintln!("SKIPPED: no GPU to train on ({err}); set BIOLENS_REQUIRE_GPU=1 to make this a failure");
            None
        }
    }
}

/// Sets the export window of `view` to write plot `plot` to `path` at 400 × 300 px, clicks
/// Export and waits for the file.
pub fn export_figure(
    h: &mut Harness<'static, BiolensApp>,
    view: fn(&mut BiolensApp) -> &mut biolens::app::views::figure_export::FigureExport,
    plot: usize,
    path: &std::path::Path,
) -> Vec<u8> {
    {
        let e = view(h.state_mut());
        e.units = biolens::export::figure::Units::Px;
        e.width = 400.0;
        e.height = 300.0;
        e.plot = plot;
        e.last = None;
    }
    answer_save_dialog(h, path);
    h.run_steps(1);
    egui_kittest::kittest::Queryable::get_by_label(&*h, "Export…").click();
    h.run_steps(1);
    run_until(h, "the export", |_| path.exists());
    h.run_steps(3);
    std::fs::read(path).expect("the figure")
}

/// The next *Save as…* dialog answers `path` (as a user choosing it, and confirming a
/// replacement, would).
pub fn answer_save_dialog(h: &Harness<'static, BiolensApp>, path: &Path) {
    biolens::app::file_dialog::answer_next_save(&h.ctx, Some(path.to_path_buf()));
}

/// The next *Save as…* dialog is closed without a choice.
pub fn dismiss_save_dialog(h: &Harness<'static, BiolensApp>) {
    biolens::app::file_dialog::answer_next_save(&h.ctx, None);
}
