//! The PCA view driven through the real app: the tab runs PCA, the scatter appears,
//! colour-by fills the legend, and a box drag selects samples in every view.

mod common;

use common::{answer_save_dialog, press, run_until};

use biolens::app::commands::Command;
use biolens::app::{BiolensApp, Startup, Tab};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

#[test]
fn pca_tab_scatter_colour_and_box_selection() {
    let mut h = Harness::builder().with_size([1400.0, 900.0]).build_eframe(|cc| BiolensApp::new(cc, Startup::Empty));
    h.state_mut().push_command(Command::OpenSample("tissue_gene_expression"));
    h.run_steps(1);
    run_until(&mut h, "the dataset", |app| app.state().current.is_some());

    h.get_by_label("PCA").click();
    h.run_steps(1);
    assert_eq!(h.state().tab(), Tab::Pca);
    run_until(&mut h, "PCA", |app| app.pca_view().result.is_some());
    let evr = &h.state().pca_view().result.as_ref().unwrap().pca.explained_variance_ratio;
    assert!((evr[0] - 0.336_206).abs() < 1e-4, "PC1 {}", evr[0]); // scikit-learn, centred
    h.get_by_label("Scatter plot: 189 points");

    // Coloured at once by the first grouping, the tissue label: the legend lists the classes
    // with their sizes.
    assert_eq!(h.state().pca_view().settings.colour_by, biolens::recipes::Colouring::Annotation("label".to_owned()));
    h.get_by_value("label");
    h.get_by_label_contains("cerebellum (38)");

    // Hide a class from the legend: the scatter draws one class fewer.
    h.get_by_label_contains("cerebellum (38)").click();
    h.run_steps(2);
    h.get_by_label("Scatter plot: 151 points");
    h.get_by_label_contains("cerebellum (38)").click();
    h.run_steps(2);

    // Drag a box over the whole plot: every visible sample is selected, everywhere.
    let rect = h.get_by_label("Scatter plot: 189 points").rect();
    let (start, end) = (rect.min + egui::vec2(60.0, 6.0), rect.max - egui::vec2(10.0, 40.0));
    h.event(egui::Event::PointerMoved(start));
    press(&h, start, true);
    h.run_steps(1);
    for k in 1..=10 {
        h.event(egui::Event::PointerMoved(start + (end - start) * (k as f32 / 10.0)));
        h.run_steps(1);
    }
    press(&h, end, false);
    h.run_steps(3);
    let selected = h.state().state().selection.samples.len();
    assert!(selected > 150, "box over the plot selected {selected}");
    // Shown in the status bar and in the PCA toolbar.
    assert_eq!(h.get_all_by_label(&format!("{selected} selected")).count(), 2);

    // Save what a user would see, for the docs.
    if let Ok(image) = h.render() {
        let _ = image.save(std::env::temp_dir().join("biolens_pca_view.png"));
    }
}

/// Opening a dataset with fewer genes while the PCA tab shows the old result: the loadings
/// table and biplot label the old result with its own genes (this used to index the new
/// dataset's gene list and panic), and PCA reruns for the new data.
#[test]
fn switching_to_a_smaller_dataset_keeps_the_pca_tab_alive() {
    let mut h = Harness::builder().with_size([1400.0, 900.0]).build_eframe(|cc| BiolensApp::new(cc, Startup::Empty));
    h.state_mut().push_command(Command::OpenSample("khan_srbct"));
    h.run_steps(1);
    run_until(&mut h, "the dataset", |app| app.state().current.is_some());
    h.get_by_label("PCA").click();
    h.run_steps(1);
    h.state_mut().pca_view_mut().settings.biplot_genes = 5;
    run_until(&mut h, "PCA on khan", |app| app.pca_view().result.is_some());
    let khan_generation = h.state().pca_view().result.as_ref().unwrap().generation;

    h.state_mut().push_command(Command::OpenSample("sklearn_iris"));
    h.run_steps(1);
    run_until(&mut h, "iris and its PCA", |app| {
        app.pca_view().result.as_ref().is_some_and(|r| r.generation != khan_generation && r.gene_ids.len() == 4)
    });
    h.get_by_label("Scatter plot: 150 points");
}

/// Export figure… writes what the scatter shows: every visible sample as one mark, the asked
/// size, the selection outlined.
#[test]
fn export_figure_writes_the_scatter_as_shown() {
    let mut h = common::open_app("sklearn_iris", false);
    h.get_by_label("PCA").click();
    run_until(&mut h, "PCA", |app| app.pca_view().result.is_some() && !app.pca_view().is_running());
    h.state_mut().pca_view_mut().settings.colour_by = biolens::recipes::Colouring::Annotation("label".to_owned());
    h.state_mut().push_command(Command::Select {
        samples: vec![0, 1, 2],
        mode: biolens::app::widgets::scatter::SelectionMode::Replace,
    });
    h.run_steps(2);
    h.get_by_label("Export figure…").click();
    h.run_steps(2);
    let dir = tempfile::tempdir().unwrap();
    for (name, expect_png) in [("pca.svg", false), ("pca.png", true)] {
        let path = dir.path().join(name);
        {
            let export = h.state_mut().pca_view_mut().panel.export.as_mut().unwrap();
            export.units = biolens::export::figure::Units::Px;
            export.width = 300.0;
            export.height = 200.0;
        }
        answer_save_dialog(&h, &path);
        h.get_by_label("Export…").click();
        h.run_steps(1);
        run_until(&mut h, "the export", |app| {
            app.pca_view().panel.export.as_ref().is_some_and(|e| e.last.is_some() && !e.is_running())
        });
        let export = h.state().pca_view().panel.export.as_ref().unwrap();
        assert!(matches!(&export.last, Some(Ok(_))), "{:?}", export.last);
        let bytes = std::fs::read(&path).unwrap();
        if expect_png {
            let be = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
            assert_eq!((be(16), be(20)), (300, 200));
        } else {
            let svg = String::from_utf8(bytes).unwrap();
            let points = svg.split(r#"<g stroke="none">"#).nth(1).and_then(|s| s.split("</g>").next()).unwrap();
            assert_eq!(points.matches("<circle").count(), 150, "one mark per sample");
            let outlined =
                svg.split(r##"<g fill="none" stroke="#000000""##).nth(1).and_then(|s| s.split("</g>").next()).unwrap();
            assert_eq!(outlined.matches("<circle").count(), 3, "the selection outlined");
            assert!(svg.contains(">setosa</text>"), "the legend");
            assert!(svg.contains(">label</text>"), "the legend names what it colours by");
        }
    }
    // Copy as image: the same figure, rasterised for the clipboard.
    h.get_by_label("Copy as image").click();
    h.run_steps(1);
    run_until(&mut h, "the copy", |app| {
        app.pca_view()
            .panel
            .export
            .as_ref()
            .is_some_and(|e| !e.is_running() && matches!(&e.last, Some(Ok(m)) if m.starts_with("Copied")))
    });
    let message = h.state().pca_view().panel.export.as_ref().unwrap().last.clone().unwrap().unwrap();
    assert_eq!(message, "Copied a 300 × 200 image to the clipboard.");
    // Export data: the coordinates behind the plot, with the colouring and the selection.
    answer_save_dialog(&h, &dir.path().join("pca.csv"));
    h.get_by_label("Export data (CSV)…").click();
    h.run_steps(1);
    run_until(&mut h, "the table", |app| {
        app.pca_view()
            .panel
            .export
            .as_ref()
            .is_some_and(|e| !e.is_running() && matches!(&e.last, Some(Ok(m)) if m.ends_with(".csv.")))
    });
    let table = std::fs::read_to_string(dir.path().join("pca.csv")).unwrap();
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("sample_id,PC1 (") && header.ends_with(",label,selected"), "{header}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 150);
    assert_eq!(rows.iter().filter(|r| r.ends_with(",true")).count(), 3);

    // Loadings behind the side panel, as CSV.
    answer_save_dialog(&h, &dir.path().join("pca_loadings.csv"));
    h.get_by_label("Loadings (CSV)…").click();
    h.run_steps(1);
    run_until(&mut h, "the loadings", |app| {
        !app.pca_view().tables.is_running() && app.pca_view().tables.last.is_some()
    });
    let loadings = std::fs::read_to_string(dir.path().join("pca_loadings.csv")).unwrap();
    assert!(loadings.starts_with("gene_id,PC1,"), "{loadings}");
    assert_eq!(loadings.lines().count(), 5, "header and four genes");
}
