//! Projector mode and keyboard navigation through the real app: F11 scales everything by the
//! projector scale (2× by default) with the high-contrast light theme, every view tab still fits
//! the window, and Ctrl+PageDown / Ctrl+PageUp walk through the views.

mod common;

use common::{open_app, run_until, screenshot};

use biolens::app::Tab;
use egui_kittest::kittest::Queryable as _;

#[test]
fn projector_mode_scales_and_the_views_still_fit() {
    let mut h = open_app("sklearn_iris", false);
    assert!((h.ctx.zoom_factor() - 1.0).abs() < 1e-6);
    h.key_press(egui::Key::F11);
    h.run_steps(3);
    assert!(h.state().state().settings.projector);
    assert!((h.ctx.zoom_factor() - 2.0).abs() < 1e-6, "zoom {}", h.ctx.zoom_factor());
    assert!(!h.ctx.global_style().visuals.dark_mode, "the projector theme is light");
    let screen = h.ctx.content_rect();
    for tab in Tab::ALL {
        // Every widget with the title (the Data menu and the Data tab, say) is on screen.
        let title = h.state().view(tab).title();
        for node in h.get_all_by_label(title) {
            let rect = node.rect();
            assert!(
                rect.right() <= screen.right() + 0.5 && rect.bottom() <= screen.bottom(),
                "{title} does not fit: {rect:?} in {screen:?}"
            );
        }
    }
    // The PCA view still lays out and computes at this scale.
    h.get_by_label("PCA").click();
    run_until(&mut h, "PCA", |app| app.pca_view().result.is_some() && !app.pca_view().is_running());
    h.get_by_label("Scatter plot: 150 points");
    screenshot(&mut h, "projector_pca_iris");
    // F11 again: back to normal.
    h.key_press(egui::Key::F11);
    h.run_steps(3);
    assert!((h.ctx.zoom_factor() - 1.0).abs() < 1e-6);
    assert!(h.ctx.global_style().visuals.dark_mode);
}

#[test]
fn ctrl_page_down_and_up_walk_through_the_views() {
    let mut h = open_app("sklearn_iris", false);
    assert_eq!(h.state().tab(), Tab::Data);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::PageDown);
    h.run_steps(1);
    assert_eq!(h.state().tab(), Tab::Pca);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::PageUp);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::PageUp);
    h.run_steps(1);
    assert_eq!(h.state().tab(), *Tab::ALL.last().unwrap(), "wraps around");
}
