//! The QC tab on a single-cell file: the metrics of every cell as histograms, a threshold
//! set with its checkbox and moved by dragging its line, the cells passing counted, and
//! *Apply* writing the filters into the preprocessing; violins per cell type, on which the
//! lines drag the same way.

mod common;

use common::{drag, run_until, screenshot};

use biolens::app::Tab;
use biolens::data::Step;
use egui_kittest::kittest::Queryable as _;

#[test]
fn thresholds_are_set_by_dragging_and_applied_as_filter_steps() {
    let mut h = common::open_test_file("counts_csr_gzip.h5ad");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num0);
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
    drag(&mut h, start, end, 5);
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

#[test]
fn violins_per_group_show_each_groups_cells_and_keep_the_lines() {
    let mut h = common::open_test_file("counts_csr_gzip.h5ad");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num0);
    h.run_steps(2);
    run_until(&mut h, "the QC metrics", |app| !app.view(Tab::Qc).is_busy());
    h.get_by_label("Violins").click();
    h.run_steps(2);
    assert_eq!(h.state().qc_view().violins_drawn(), vec![("all cells".to_owned(), 600)]);
    h.get_by_value("all cells").click();
    h.run_steps(2);
    h.get_by_label("cell_type").click();
    h.run_steps(2);
    let mut drawn = h.state().qc_view().violins_drawn();
    drawn.sort();
    let expected = [("B cell", 150), ("Dendritic", 60), ("Monocyte", 90), ("NK", 90), ("T cell", 210)];
    assert_eq!(drawn, expected.map(|(g, n)| (g.to_owned(), n)).to_vec());
    // The maximum % mito, set with its checkbox, is dragged left along the violins' axis.
    h.get_all_by_label("max").last().expect("the mito maximum").click();
    h.run_steps(2);
    let first = h.state().qc_view().draft.max_mito_pct.expect("a maximum");
    let title = h.get_by_label("% counts in mitochondrial genes").rect();
    let y = title.bottom() + 30.0;
    let width = h.ctx.content_rect().width();
    let start = egui::pos2(width - 10.0, y);
    let end = egui::pos2(width * 0.3, y);
    drag(&mut h, start, end, 5);
    let dragged = h.state().qc_view().draft.max_mito_pct.expect("still a maximum");
    assert!(dragged < first, "dragging left lowered the maximum: {first} → {dragged}");
    screenshot(&mut h, "qc_violins_by_cell_type");
}
