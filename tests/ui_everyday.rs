//! Everyday paths through the real app: a workbook's sheet chosen in the app (for the matrix
//! and for annotations), a table pasted with Ctrl+V, a PDF figure through the *Save as…*
//! dialog (answered by the test as a user would), and scatters coloured by the first grouping
//! unless a session says otherwise.

mod common;

use std::path::{Path, PathBuf};

use biolens::app::commands::Command;
use biolens::app::{BiolensApp, Startup};
use biolens::recipes::Colouring;
use common::{answer_save_dialog, dismiss_save_dialog, open_app, run_until};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
}

fn empty_app() -> Harness<'static, BiolensApp> {
    Harness::builder().with_size([1400.0, 900.0]).build_eframe(|cc| BiolensApp::new(cc, Startup::Empty))
}

/// Runs `open` (a workbook with several sheets), waits for the question, picks `sheet`.
fn choose_sheet(h: &mut Harness<'static, BiolensApp>, open: Command, sheet: &str) {
    h.state_mut().push_command(open);
    h.run_steps(1);
    run_until(h, "the question", BiolensApp::is_asking_for_a_sheet);
    h.get_by_role_and_label(egui::accesskit::Role::RadioButton, sheet).click();
    h.get_by_label("Open sheet").click();
    h.run_steps(1);
}

#[test]
fn a_workbooks_sheets_are_chosen_in_the_app() {
    let mut h = empty_app();
    let book = fixture("spreadsheets/guo.xlsx");
    h.state_mut().push_command(Command::OpenMatrix(book.clone()));
    h.run_steps(1);
    // Two sheets: the app asks which, the first chosen.
    run_until(&mut h, "the question", BiolensApp::is_asking_for_a_sheet);
    h.get_by_label("guo.xlsx: which sheet?");
    assert!(h.state().state().current.is_none(), "nothing opens before the answer");
    h.get_by_label("Open sheet").click();
    h.run_steps(1);
    run_until(&mut h, "the matrix", |app| app.state().current.is_some());
    let current = h.state().state().current.as_ref().expect("open");
    assert_eq!(current.dataset.raw().sample_ids().len(), 428);
    assert_eq!(current.dataset.source.choice.sheet.as_deref(), Some("Expression"), "recorded for sessions");
    assert_eq!(h.state().pca_view().settings.colour_by, Colouring::Nothing, "no annotations yet");

    // The annotations: the second sheet of the same workbook.
    choose_sheet(&mut h, Command::OpenAnnotations(book), "Samples");
    run_until(&mut h, "the annotations", |app| {
        app.state().data_job.is_none()
            && app.state().current.as_ref().is_some_and(|c| c.dataset.annotations().iter().any(|a| a.name == "label"))
    });
    let current = h.state().state().current.as_ref().expect("open");
    assert_eq!(current.dataset.source.choice.annotations_sheet.as_deref(), Some("Samples"));
    // Their first grouping colours the scatters.
    h.run_steps(2);
    assert_eq!(h.state().pca_view().settings.colour_by, Colouring::Annotation("label".to_owned()));

    // A sheet with a word among its numbers: the message names the sheet and the cell, and the
    // data open before stay open.
    choose_sheet(&mut h, Command::OpenMatrix(fixture("spreadsheets/bad_cell.xlsx")), "Counts");
    run_until(&mut h, "the error", |app| app.state().data_job.is_none() && !app.state().notices.is_empty());
    let notice = h.state().state().notices.last().expect("a notice").text.clone();
    assert!(notice.contains("sheet 'Counts', cell E7 ('Sox2'): 'high' is not a number"), "{notice}");
    assert_eq!(h.state().state().current.as_ref().expect("kept").dataset.raw().sample_ids().len(), 428);
}

#[test]
fn a_pasted_table_opens_as_a_matrix_and_is_kept() {
    let mut h = empty_app();
    let dir = tempfile::tempdir().expect("a folder");
    h.state_mut().state_mut().paste_folder = Some(dir.path().to_path_buf());
    // What a spreadsheet puts on the clipboard for a block of cells: tabs, CRLF.
    let table = "gene\tcontrol_1\tcontrol_2\ttreated_1\r\nTP53\t5.1\t4.9\t8.2\r\nMYC\t2.0\t2.2\t0.4\r\nGAPDH\t10\t10.1\t9.9\r\n";
    h.event(egui::Event::Paste(table.to_owned()));
    h.run_steps(1);
    run_until(&mut h, "the pasted table", |app| app.state().current.is_some());
    let current = h.state().state().current.as_ref().expect("open");
    assert_eq!(current.dataset.sample_ids(), ["control_1", "control_2", "treated_1"], "genes in rows: 'gene'");
    assert_eq!(current.dataset.gene_ids(), ["TP53", "MYC", "GAPDH"]);
    let kept = dir.path().join("pasted-1.tsv");
    assert_eq!(current.dataset.source.matrix.as_deref(), Some(kept.as_path()), "a file sessions can name");
    assert!(std::fs::read_to_string(&kept).expect("kept").starts_with("gene\tcontrol_1"));
    // A word pasted is not a table: nothing else opens.
    h.event(egui::Event::Paste("TP53".to_owned()));
    h.run_steps(3);
    assert!(!dir.path().join("pasted-2.tsv").exists());
}

#[test]
fn a_figure_is_saved_as_pdf_through_the_dialog_replacing_only_when_confirmed() {
    let mut h = open_app("sklearn_iris", false);
    // Coloured by the first grouping the data have.
    assert_eq!(h.state().pca_view().settings.colour_by, Colouring::Annotation("label".to_owned()));
    h.get_by_label("PCA").click();
    run_until(&mut h, "PCA", |app| app.pca_view().result.is_some() && !app.pca_view().is_running());
    h.get_by_label("Export figure…").click();
    h.run_steps(2);
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("figure 1.pdf");
    std::fs::write(&path, b"an older figure").expect("write");
    // The dialog's answer (the desktop's dialog asked before replacing): a .pdf name asks for a PDF.
    answer_save_dialog(&h, &path);
    h.get_by_label("Export…").click();
    h.run_steps(1);
    run_until(&mut h, "the export", |app| {
        app.pca_view().panel.export.as_ref().is_some_and(|e| e.last.is_some() && !e.is_running())
    });
    let export = h.state().pca_view().panel.export.as_ref().expect("the window");
    assert!(matches!(&export.last, Some(Ok(m)) if m.contains("pt page")), "{:?}", export.last);
    assert_eq!(export.format, biolens::export::figure::FigureFormat::Pdf);
    let pdf = std::fs::read(&path).expect("the PDF");
    assert!(pdf.starts_with(b"%PDF-"), "replaced by the PDF");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left");
    // A dialog closed without a choice writes nothing.
    let before = std::fs::read(&path).expect("the PDF");
    dismiss_save_dialog(&h);
    h.get_by_label("Export…").click();
    h.run_steps(3);
    assert!(h.state().pca_view().panel.export.as_ref().is_some_and(|e| !e.is_running() && e.last.is_none()));
    assert_eq!(std::fs::read(&path).expect("the PDF"), before);
    // A folder that is gone: the message says so, nothing is written.
    let gone = dir.path().join("gone").join("figure.svg");
    answer_save_dialog(&h, &gone);
    h.run_steps(1);
    h.get_by_label("Export…").click();
    h.run_steps(1);
    run_until(&mut h, "the failure", |app| {
        app.pca_view().panel.export.as_ref().is_some_and(|e| e.last.is_some() && !e.is_running())
    });
    let last = h.state().pca_view().panel.export.as_ref().expect("the window").last.clone();
    assert!(matches!(&last, Some(Err(m)) if m.contains("cannot write") && m.contains("gone")), "{last:?}");
}

#[test]
fn a_sessions_colouring_wins_over_the_default() {
    let mut h = open_app("sklearn_iris", false);
    h.state_mut().push_command(Command::ColourBy(Colouring::Nothing));
    h.run_steps(2);
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("plain.biolens.json");
    h.state_mut().save_session_to(&path);
    run_until(&mut h, "the save", |app| !app.is_saving());
    let mut fresh = empty_app();
    fresh.state_mut().open_session_from(&path);
    fresh.run_steps(1);
    run_until(&mut fresh, "the session", |app| !app.is_restoring() && app.state().data_job.is_none());
    fresh.run_steps(2);
    assert_eq!(fresh.state().pca_view().settings.colour_by, Colouring::Nothing);
}
