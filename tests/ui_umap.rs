//! The UMAP tab on a single-cell file: the neighbour graph is built and the layout animates to
//! its last epoch; *Leiden clusters* publishes the annotation `leiden` and colours by it.

mod common;

use common::{run_until, screenshot};

use biolens::app::Tab;
use biolens::recipes::Colouring;
use egui_kittest::kittest::Queryable as _;

#[test]
fn the_layout_animates_and_leiden_colours_it() {
    let mut h = common::open_test_file("counts_csr_gzip.h5ad");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num4);
    h.run_steps(2);
    assert_eq!(h.state().tab(), Tab::Umap);
    // Frames arrive while it runs; it ends at its last epoch.
    run_until(&mut h, "a first layout", |app| app.umap_view().latest.is_some());
    run_until(&mut h, "the last epoch", |app| {
        !app.umap_view().is_running() && app.umap_view().latest.as_ref().is_some_and(|f| f.epoch.0 == f.epoch.1)
    });
    let frame = h.state().umap_view().latest.clone().expect("a layout");
    assert_eq!(frame.epoch, (500, 500));
    assert_eq!(frame.embedding.nrows(), 600);
    assert!(frame.embedding.iter().all(|v| v.is_finite()));
    h.run_steps(2);
    h.get_by_label("Scatter plot: 600 points");
    h.get_by_label_contains("epoch 500 / 500");
    h.get_by_label("Leiden clusters").click();
    h.run_steps(1);
    run_until(&mut h, "the leiden annotation", |app| {
        app.state().current.as_ref().is_some_and(|c| c.dataset.annotations().iter().any(|a| a.name == "leiden"))
    });
    h.run_steps(2);
    assert_eq!(h.state().umap_view().settings.colour_by, Colouring::Annotation("leiden".into()));
    let summary = h.state().umap_view().leiden_summary.clone().expect("a summary");
    assert!(summary.contains("clusters, modularity"), "{summary}");
    h.get_by_label_contains("modularity");
    screenshot(&mut h, "umap_leiden");
}
