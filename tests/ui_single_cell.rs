//! The app on a single-cell file: an h5ad with a stored UMAP opens on the Embeddings tab,
//! coloured by the file's cell types in the file's own colours; sparse data fill the table.

mod common;

use common::{run_until, screenshot};

use biolens::app::commands::Command;
use biolens::app::{BiolensApp, Startup, Tab};
use biolens::data::OpenRequest;
use biolens::recipes::Colouring;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

#[test]
fn an_h5ad_opens_on_its_stored_umap_coloured_by_cell_type() {
    let mut h = common::open_test_file("counts_csr_gzip.h5ad");
    let app = h.state();
    let current = app.state().current.as_ref().expect("open");
    assert!(current.dataset.values().is_sparse(), "counts stay sparse");
    assert_eq!((current.dataset.n_samples(), current.dataset.n_genes()), (600, 1000));
    assert_eq!(app.tab(), Tab::Embeddings, "a file with its own UMAP shows it at once");
    h.run_steps(3);
    assert_eq!(h.state().embeddings_view().colour_by, Colouring::Annotation("cell_type".into()));
    assert_eq!(h.state().embeddings_view().key.as_deref(), Some("X_umap"));
    // The legend lists the cell types with their counts.
    h.get_by_label_contains("Monocyte");
    screenshot(&mut h, "h5ad_embeddings");
    // The table of the sparse matrix.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num1);
    h.run_steps(3);
    assert_eq!(h.state().tab(), Tab::Data);
    h.get_by_label_contains("Data table: 600 rows");
    screenshot(&mut h, "h5ad_table");
}

/// The points are drawn by the GPU (instanced, through eframe's wgpu renderer) when the app
/// runs on wgpu: the rendered frame holds the file's cell-type colours.
#[test]
fn the_gpu_draws_the_points_in_the_files_colours() {
    let mut h =
        Harness::builder().with_size([1400.0, 900.0]).wgpu().build_eframe(|cc| BiolensApp::new(cc, Startup::Empty));
    let matrix = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats/counts_csr_gzip.h5ad");
    h.state_mut().push_command(Command::Open(Box::new(OpenRequest { matrix, ..OpenRequest::default() })));
    h.run_steps(1);
    run_until(&mut h, "the h5ad file", |app| app.state().current.is_some());
    h.run_steps(3);
    assert!(biolens::app::widgets::scatter_gpu::available(&h.ctx), "the app installed the GPU points");
    let image = h.render().expect("render the frame");
    screenshot(&mut h, "h5ad_embeddings_gpu");
    // T cells (#1f77b4) and NK cells (#2ca02c) as the file colours them.
    let near = |p: &image::Rgba<u8>, c: [u8; 3]| (0..3).all(|k| p[k].abs_diff(c[k]) <= 12);
    let count = |c: [u8; 3]| image.pixels().filter(|p| near(p, c)).count();
    let (t_cells, nk) = (count([0x1f, 0x77, 0xb4]), count([0x2c, 0xa0, 0x2c]));
    assert!(t_cells > 2000 && nk > 800, "T cell pixels {t_cells}, NK pixels {nk}");
}

/// scanpy's steps set from the app: the Data tab shows the mean–dispersion plot of the
/// highly-variable-genes step with the kept genes counted.
#[test]
fn the_hvg_step_shows_its_mean_dispersion_plot() {
    use biolens::data::single_cell::{HvgFlavor, HvgSettings};
    use biolens::data::{Pipeline, Step};
    let mut h = common::open_test_file("counts_csr_gzip.h5ad");
    let steps = vec![
        Step::NormalizeTotal { target: None },
        Step::Ln,
        Step::HighlyVariable(HvgSettings::top(HvgFlavor::Seurat, 200)),
    ];
    h.state_mut().push_command(Command::SetPipeline(Pipeline { steps, ..Pipeline::default() }));
    h.run_steps(1);
    run_until(&mut h, "the HVGs", |app| app.state().current.as_ref().is_some_and(|c| c.dataset.n_genes() == 200));
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num1);
    h.run_steps(3);
    h.get_by_label_contains("Highly variable genes: 200 of 1000");
    screenshot(&mut h, "hvg_plot");
}
