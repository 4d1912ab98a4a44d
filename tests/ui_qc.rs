//! The QC tab on a single-cell file: the metrics of every cell as histograms, a threshold
//! set with its checkbox and moved by dragging its line, the cells passing counted, and
//! *Apply* writing the filters into the preprocessing.

mod common;

use common::{press, run_until, screenshot};

use biolens::app::Tab;
use biolens::data::Step;
use egui_kittest::kittest::Queryable as _;

#[test]
fn thresholds_are_set_by_dragging_and_applied_as_filter_steps() {
    let mut h = common::open_test_file("counts_csr_gzip.h5ad");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num9);
    h.run_steps(2);
    assert_eq!(h.state().tab(), Tab::Qc);
    run_until(&mut h, "the QC metrics", |app| !app.view(Tab::Qc).is_busy());
    h.get_by_label_contains("600 of 600 cells and 1,000 of 1,000 genes pass");
    // A minimum of total counts: the checkbox sets it at the 1st percentile.
    h.get_all_by_label("min").next().expect("the counts minimum").click();
    h.run_steps(2);
    let first = h.state().qc_view().draft.min_counts.expect("a minimum");
    // Drag its line to the middle of the histogram.
    let title = h.get_by_label("Total counts per cell").rect();
    let y = title.bottom() + 40.0;
    let start = egui::pos2(title.left() + 2.0, y);
    let width = h.ctx.content_rect().width();
    let end = egui::pos2(width * 0.3, y);
    h.event(egui::Event::PointerMoved(start));
    press(&h, start, true);
    h.run_steps(1);
    for k in 1..=5 {
        h.event(egui::Event::PointerMoved(start + (end - start) * (k as f32 / 5.0)));
        h.run_steps(1);
    }
    press(&h, end, false);
    h.run_steps(2);
    let dragged = h.state().qc_view().draft.min_counts.expect("still a minimum");
    assert!(dragged > first, "dragging right raised the minimum: {first} → {dragged}");
    screenshot(&mut h, "qc_thresholds");
    h.get_by_label("Apply to the preprocessing").click();
    h.run_steps(1);
    run_until(&mut h, "the filtered data", |app| {
        app.state().current.as_ref().is_some_and(|c| c.dataset.n_samples() < 600)
    });
    let current = h.state().state().current.as_ref().expect("open");
    assert!(matches!(&current.dataset.pipeline().steps[0], Step::FilterCells(f) if f.min_counts == Some(dragged)));
}
