//! Drives the real app with `egui_kittest`: open a bundled dataset through the menus and
//! find its table; bad files keep the previous dataset open.

mod common;

use common::run_until;

use biolens::app::commands::Command;
use biolens::app::{BiolensApp, Startup};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn harness() -> Harness<'static, BiolensApp> {
    Harness::builder().with_size([1280.0, 800.0]).build_eframe(|cc| BiolensApp::new(cc, Startup::Empty))
}

#[test]
fn open_a_sample_dataset_from_the_menu_and_see_its_table() {
    let mut h = harness();
    h.run_steps(2);
    h.get_by_label("No dataset open");
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Sample datasets").hover();
    h.run_steps(2);
    h.get_by_label("khan_srbct").click();
    h.run_steps(1);
    run_until(&mut h, "khan_srbct to load", |app| app.state().current.is_some());
    let current = h.state().state().current.as_ref().unwrap();
    assert_eq!(current.dataset.name, "khan_srbct");
    assert_eq!((current.dataset.n_samples(), current.dataset.n_genes()), (83, 2308));
    // 3 annotation columns + 2308 genes.
    h.get_by_label_contains("Data table: 83 rows × 2311 columns");
    h.get_by_label_contains("label — 4 levels");
}

#[test]
fn a_bad_file_shows_a_message_and_keeps_the_dataset() {
    let mut h = harness();
    h.state_mut().push_command(Command::OpenSample("sklearn_iris"));
    h.run_steps(1);
    run_until(&mut h, "iris to load", |app| app.state().current.is_some());
    let (_dir, bad) = common::write_temp("broken.csv", b"sample_id,g1\na,1\nb,1,2\n");
    h.state_mut().push_command(Command::OpenMatrix(bad));
    h.run_steps(1);
    run_until(&mut h, "the error", |app| app.state().data_job.is_none());
    let state = h.state().state();
    assert_eq!(state.current.as_ref().unwrap().dataset.name, "sklearn_iris");
    assert!(state.notices.iter().any(|n| n.is_error && n.text.contains("broken.csv, line 3")));
    h.get_by_label_contains("broken.csv, line 3");
}

#[test]
fn preprocessing_from_the_panel_reruns_the_pipeline() {
    let mut h = harness();
    h.state_mut().push_command(Command::OpenSample("khan_srbct"));
    h.run_steps(1);
    run_until(&mut h, "khan to load", |app| app.state().current.is_some());
    h.get_by_label("➕ Add step").click();
    h.run_steps(2);
    h.get_by_label("keep the 1000 most variable genes").click();
    h.run_steps(1);
    run_until(&mut h, "the pipeline", |app| {
        app.state().data_job.is_none()
            && app.state().current.as_ref().is_some_and(|c| !c.dataset.pipeline().steps.is_empty())
    });
    assert_eq!(h.state().state().current.as_ref().unwrap().dataset.n_genes(), 1000);
    // Selecting a row in the table shows the count in the status bar.
    h.state_mut().push_command(Command::SelectRow { row: 3, toggle: false, extend: false });
    h.run_steps(2);
    h.get_by_label("1 selected");
}

/// A file dropped onto the window, as the windowing layer hands it to egui.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropping_a_matrix_and_its_annotations_opens_both() {
    let mut h = harness();
    h.run_steps(1);
    let files: Vec<egui::DroppedFileHandle> = vec![
        std::sync::Arc::new(Dropped(common::sample("guo_qpcr/samples.csv"))),
        std::sync::Arc::new(Dropped(common::sample("guo_qpcr/expression.csv"))),
    ];
    h.input_mut().dropped_files = files;
    h.run_steps(1);
    run_until(&mut h, "the dropped files to open", |app| app.state().current.is_some());
    let d = &h.state().state().current.as_ref().unwrap().dataset;
    // The larger file is the matrix, the other its annotations.
    assert_eq!((d.n_samples(), d.n_genes()), (428, 48));
    assert_eq!(d.join_reports[0].matched, 428);
    assert!(d.annotations().iter().any(|a| a.name == "label"));
}

#[test]
fn an_orientation_guessed_from_the_shape_is_said_with_transpose() {
    // Six rows × three numbers, no id-column name, no text: only the shape decides.
    let (_dir, path) =
        common::write_temp("measures.csv", b"x,a,b,c\nr1,1,2,3\nr2,4,5,7\nr3,2,2,1\nr4,9,1,2\nr5,3,3,8\nr6,5,0,1\n");
    let request = biolens::data::OpenRequest { matrix: path, ..biolens::data::OpenRequest::default() };
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| BiolensApp::new(cc, Startup::Open(Box::new(request.clone()))));
    run_until(&mut h, "the table", |app| app.state().current.is_some());
    assert!(h.state().orientation_guessed());
    h.get_by_label_contains("Orientation guessed from the shape alone: read as genes in rows (3 samples × 6 genes)");
    common::screenshot(&mut h, "orientation_banner");
    // The banner's button (the Data tab's summary has one too; either reads the file again).
    h.get_all_by_label("Transpose").last().expect("a Transpose button").click();
    h.run_steps(1);
    run_until(&mut h, "the transposed table", |app| {
        app.state().data_job.is_none() && app.state().current.as_ref().is_some_and(|c| c.dataset.n_samples() == 6)
    });
    assert!(!h.state().orientation_guessed(), "chosen by the user: no banner");
    assert!(h.query_by_label_contains("Orientation guessed").is_none());
}
