//! Projector mode on the screens teaching happens on: 2× on 1920 × 1080 and 1.5× on
//! 1280 × 720 (the commonest projector). Every view is opened on the SRBCT data with its
//! analysis run, and must stay usable: every widget the view shows lies on the screen (panels
//! scroll or stack rather than push things off it), plots keep a minimum size, and the
//! Predict view's results table keeps its F1 and ROC AUC columns in reach. The single-cell
//! views (table, QC, stored embeddings, markers) are checked the same way on an h5ad file. A
//! screenshot of every view at both sizes is written to `$BIOLENS_SCREENSHOTS` (when set) as
//! `<width>_<view>.png` (`<width>_sc_<view>.png` for the single-cell file), the names of
//! `docs/projector/`, for looking at.

mod common;

use biolens::app::commands::Command;
use biolens::app::{BiolensApp, Tab};
use biolens::data::OpenRequest;
use common::{run_until, screenshot};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

/// The app at `pixels` on a screen, in projector mode at `scale`, with `open` opened.
fn projector(pixels: [f32; 2], scale: f32, open: Command) -> Harness<'static, BiolensApp> {
    let mut h =
        Harness::builder().with_size(pixels).build_eframe(|cc| BiolensApp::new(cc, biolens::app::Startup::Empty));
    h.state_mut().push_command(open);
    h.run_steps(1);
    run_until(&mut h, "the dataset", |app| app.state().current.is_some());
    h.state_mut().state_mut().settings.projector_scale = scale;
    h.state_mut().state_mut().settings.projector = true;
    h.run_steps(3);
    assert!((h.ctx.zoom_factor() - scale).abs() < 1e-6);
    h
}

/// Shows `tab` and runs what it needs to show results.
fn show(h: &mut Harness<'static, BiolensApp>, tab: Tab) {
    let title = h.state().view(tab).title();
    // Ctrl+PageDown walks the tabs in order, as a teacher at the keyboard would.
    for _ in 0..Tab::ALL.len() {
        if h.state().tab() == tab {
            break;
        }
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::PageDown);
        h.run_steps(1);
    }
    h.run_steps(1);
    assert_eq!(h.state().tab(), tab);
    let start = |h: &mut Harness<'static, BiolensApp>, label: &str| {
        if let Some(button) = h.query_by_label(label) {
            button.click();
            h.run_steps(2);
        }
    };
    match tab {
        Tab::Classify => start(h, "▶ Run"),
        Tab::Markers => start(h, "Rank genes"),
        Tab::Autoencoder => start(h, "▶ Train"),
        _ => {}
    }
    run_until(h, title, |app| !app.view(tab).is_busy());
    h.run_steps(4);
}

/// Every widget with a label lies within the screen's width (panels wrap, stack or fold
/// rather than push things off to the right; below the screen they scroll, which the
/// screenshots show), and the view's main plot (`plot`, by its accessible label's start) is
/// on the screen and at least `min_plot` points on each side.
fn check_fits(h: &Harness<'static, BiolensApp>, what: &str, plot: Option<&str>, min_plot: f32) {
    let screen = h.ctx.content_rect();
    let mut off = Vec::new();
    let mut found = plot.is_none();
    for node in h.root().children_recursive() {
        let Some(label) = node.accesskit_node().label() else { continue };
        let rect = node.rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            continue;
        }
        if rect.left() < screen.left() - 1.0 || rect.right() > screen.right() + 1.0 {
            off.push(format!("'{label}' at {rect:?}"));
        }
        if plot.is_some_and(|p| label.starts_with(p)) {
            found = true;
            assert!(
                rect.width() >= min_plot && rect.height() >= min_plot && screen.expand(1.0).contains_rect(rect),
                "{what}: the plot '{label}' is {rect:?} in {screen:?} (at least {min_plot} points a side, on screen)"
            );
        }
    }
    assert!(found, "{what}: no plot labelled '{}…'", plot.unwrap_or_default());
    assert!(off.is_empty(), "{what}: beyond the screen's width {screen:?}: {}", off.join("; "));
}

/// The accessible label of each view's main plot (Embeddings has one when the file stored
/// embeddings, as the single-cell file does).
fn main_plot(tab: Tab, single_cell: bool) -> Option<&'static str> {
    match tab {
        Tab::Pca | Tab::Tsne | Tab::Umap | Tab::Autoencoder => Some("Scatter plot"),
        Tab::Embeddings if single_cell => Some("Scatter plot"),
        _ => None,
    }
}

/// Shows each of `tabs`, screenshots it as `<width>_<prefix><view>` and checks it
/// fits (`prefix` is `sc_` for the single-cell file).
fn check_views(h: &mut Harness<'static, BiolensApp>, pixels: [f32; 2], tabs: &[Tab], prefix: &str) {
    let scale = h.ctx.zoom_factor();
    for &tab in tabs {
        show(h, tab);
        let title = h.state().view(tab).title().to_lowercase().replace([' ', '-'], "_");
        let what = format!("{prefix}{} at {}×{} ({scale}×)", h.state().view(tab).title(), pixels[0], pixels[1]);
        screenshot(h, &format!("{}_{prefix}{title}", pixels[0]));
        check_fits(h, &what, main_plot(tab, prefix == "sc_"), 150.0);
    }
}

fn every_view_at(pixels: [f32; 2], scale: f32) {
    let mut h = projector(pixels, scale, Command::OpenSample("khan_srbct"));
    check_views(&mut h, pixels, &Tab::ALL, "");
    // The results table of Predict keeps every column in reach.
    show(&mut h, Tab::Classify);
    for column in ["F1", "ROC AUC"] {
        let header = h.get_by_label(column);
        let screen = h.ctx.content_rect();
        assert!(screen.contains_rect(header.rect()), "{column} at {:?} in {screen:?}", header.rect());
    }
}

#[test]
fn every_view_fits_a_1920_by_1080_projector_at_2x() {
    every_view_at([1920.0, 1080.0], 2.0);
}

#[test]
fn every_view_fits_a_1280_by_720_projector_at_1_5x() {
    every_view_at([1280.0, 720.0], 1.5);
}

/// The single-cell views on an h5ad file (600 cells with a stored UMAP and cell types): the
/// sparse table, QC's histograms and its violins per cell type, the stored UMAP with its
/// legend, and the markers per cell type.
fn single_cell_views_at(pixels: [f32; 2], scale: f32) {
    let matrix = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats/counts_csr_gzip.h5ad");
    let mut h = projector(pixels, scale, Command::Open(Box::new(OpenRequest { matrix, ..OpenRequest::default() })));
    check_views(&mut h, pixels, &[Tab::Data, Tab::Qc, Tab::Embeddings, Tab::Markers], "sc_");
    // QC's violins, one per cell type.
    show(&mut h, Tab::Qc);
    h.get_by_label("Violins").click();
    h.run_steps(2);
    h.get_by_value("all cells").click();
    h.run_steps(2);
    h.get_by_label("cell_type").click();
    h.run_steps(3);
    assert_eq!(h.state().qc_view().violins_drawn().len(), 5, "a violin per cell type");
    screenshot(&mut h, &format!("{}_sc_qc_violins", pixels[0]));
    check_fits(&h, "QC violins", None, 0.0);
}

#[test]
fn single_cell_views_fit_a_1920_by_1080_projector_at_2x() {
    single_cell_views_at([1920.0, 1080.0], 2.0);
}

#[test]
fn single_cell_views_fit_a_1280_by_720_projector_at_1_5x() {
    single_cell_views_at([1280.0, 720.0], 1.5);
}
