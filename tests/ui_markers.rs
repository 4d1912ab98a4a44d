//! The Markers tab: rank the genes of each group, see the dot plot in dendrogram order, click a
//! gene to colour every scatter by it; select samples and compare them with the rest as a
//! volcano plot.

mod common;

use common::{press, run_until, screenshot};

use biolens::app::commands::Command;
use biolens::app::views::View as _;
use biolens::app::views::markers::Show;
use biolens::recipes::Colouring;
use egui_kittest::kittest::Queryable as _;

#[test]
fn ranking_plots_and_comparing() {
    let mut h = common::open_app("pbmc68k_reduced", false);
    h.get_by_label("Markers").click();
    h.run_steps(2);
    h.state_mut().markers_view_mut().settings.groupby = Some("label".into());
    h.run_steps(1);
    h.get_by_label("Rank genes").click();
    h.run_steps(1);
    run_until(&mut h, "the ranking", |app| app.markers_view().result.is_some());
    let ranked = h.state().markers_view().result.clone().expect("ranked");
    assert_eq!(ranked.plot.rows.len(), 10);
    assert_eq!(ranked.plot.columns.len(), 10 * h.state().markers_view().plot.genes_per_group);
    assert!(ranked.markers.tree.is_some(), "groups ordered by their dendrogram");
    // The bundled table is scaled: the tab says log fold changes assume log1p values.
    let caution = ranked.markers.caution.clone().expect("a caution about scaled values");
    assert!(caution.contains("below 0"), "{caution}");
    h.get_by_label(&caution);
    run_until(&mut h, "the dot plot drawn", |app| app.markers_view().figure_shown());
    screenshot(&mut h, "markers_dotplot");
    assert_eq!(ranked.markers.tree_from, "50 principal components");
    // Once the UMAP tab has built the neighbour graph, ranking again takes its 50 PCs for the
    // dendrogram instead of computing them: the same order.
    h.get_by_label("UMAP").click();
    h.run_steps(1);
    run_until(&mut h, "the UMAP's graph", |app| app.umap_view().latest.is_some());
    h.get_by_label("Markers").click();
    h.run_steps(1);
    h.get_by_label("Rank genes").click();
    h.run_steps(1);
    run_until(&mut h, "the ranking again", |app| {
        app.markers_view().result.as_ref().is_some_and(|r| r.markers.tree_from.contains("neighbour graph"))
    });
    let again = h.state().markers_view().result.clone().expect("ranked");
    assert_eq!(again.plot.row_names, ranked.plot.row_names, "the same dendrogram order");
    run_until(&mut h, "the dot plot drawn", |app| app.markers_view().figure_shown());
    // A click on the first gene's column (middle of the first row) colours every scatter by it.
    let gene = ranked.plot.genes[0].clone();
    let at = h.state().markers_view().screen_position(0.5, 0.5).expect("on screen");
    h.event(egui::Event::PointerMoved(at));
    h.run_steps(2);
    press(&h, at, true);
    h.run_steps(1);
    press(&h, at, false);
    h.run_steps(3);
    assert_eq!(h.state().pca_view().settings.colour_by, Colouring::Gene(gene.clone()));
    assert_eq!(h.state().umap_view().settings.colour_by, Colouring::Gene(gene));
    // Other plots of the same ranking.
    for name in ["Stacked violins", "Heatmap", "Matrix plot"] {
        // The last of that name: "Heatmap" is also a tab.
        h.get_all_by_label(name).last().expect(name).click();
        h.run_steps(1);
        run_until(&mut h, name, |app| app.markers_view().figure_shown());
    }
    screenshot(&mut h, "markers_matrixplot");
    // Compare the first 60 samples with the rest.
    h.state_mut().push_command(Command::Select {
        samples: (0..60).collect(),
        mode: biolens::app::widgets::scatter::SelectionMode::Replace,
    });
    h.run_steps(2);
    h.get_by_label_contains("60 selected against the other 640");
    h.get_by_label("Compare").click();
    h.run_steps(1);
    run_until(&mut h, "the comparison", |app| app.markers_view().comparison.is_some());
    assert_eq!(h.state().markers_view().show, Show::Volcano);
    let c = h.state().markers_view().comparison.clone().expect("compared");
    assert_eq!((c.stats.cells, c.n2), (60, 640));
    run_until(&mut h, "the volcano drawn", |app| app.markers_view().figure_shown());
    screenshot(&mut h, "markers_volcano");
    // A session keeps what was ranked, and ranks it again when opened.
    let mut views = biolens::session::Views::default();
    h.state().markers_view().save(&mut views);
    assert!(views.markers.ran);
    assert_eq!(views.markers.settings.groupby.as_deref(), Some("label"));
    let text = serde_json::to_string(&views).expect("serialise");
    let back: biolens::session::Views = serde_json::from_str(&text).expect("deserialise");
    let mut fresh = common::open_app("pbmc68k_reduced", false);
    fresh.state_mut().markers_view_mut().restore(&back);
    fresh.run_steps(2);
    run_until(&mut fresh, "the ranking again", |app| app.markers_view().result.is_some());
    assert_eq!(fresh.state().markers_view().result.as_ref().expect("ranked").plot.rows.len(), 10);
}

/// In projector mode (F11: 2× scale, light theme) at 1920 × 1080 and 1280 × 720 the Markers
/// tab's main controls stay on screen (the rest of the side panel scrolls) and the dot plot is
/// drawn at the larger scale.
#[test]
fn markers_fit_on_a_projector() {
    for (w, h_px) in [(1920.0, 1080.0), (1280.0, 720.0)] {
        let mut h = egui_kittest::Harness::builder()
            .with_size([w, h_px])
            .build_eframe(|cc| biolens::app::BiolensApp::new(cc, biolens::app::Startup::Empty));
        h.state_mut().push_command(Command::OpenSample("pbmc68k_reduced"));
        h.run_steps(1);
        run_until(&mut h, "the dataset", |app| app.state().current.is_some());
        h.key_press(egui::Key::F11);
        h.run_steps(3);
        assert!(h.state().state().settings.projector);
        h.get_by_label("Markers").click();
        h.run_steps(1);
        h.state_mut().markers_view_mut().settings.groupby = Some("label".into());
        h.get_by_label("Rank genes").click();
        h.run_steps(1);
        run_until(&mut h, "the ranking", |app| app.markers_view().result.is_some());
        run_until(&mut h, "the dot plot", |app| app.markers_view().figure_shown());
        let screen = h.ctx.content_rect();
        for label in ["Rank genes", "Export figure…"] {
            let rect = h.get_by_label(label).rect();
            assert!(screen.contains_rect(rect), "{label} at {rect:?} outside {screen:?} ({w} × {h_px})");
        }
        // The figure's first gene column is on screen.
        let at = h.state().markers_view().screen_position(0.5, 0.5).expect("drawn");
        assert!(screen.contains(at), "{at:?} ({w} × {h_px})");
        screenshot(&mut h, &format!("projector_markers_{w}x{h_px}"));
    }
}
