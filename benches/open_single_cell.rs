//! Wall time from asking the app to open a single-cell file to the first frame that shows its
//! stored UMAP coloured by cell type (issue 15 target: under 10 s for 100,000 cells × 20,000
//! genes). The app runs in an `egui_kittest` harness (no window, no GPU: the mesh path draws
//! the points). The file is `BIOLENS_BENCH_H5AD`, else `/work/bench-data/sc_100k.h5ad`
//! (written by `benches/single_cell/make_h5ad.py`); without it the bench says so and ends.
//!
//! `cargo bench --bench open_single_cell`

use std::time::{Duration, Instant};

use biolens::app::commands::Command;
use biolens::app::{BiolensApp, Startup, Tab};
use biolens::data::OpenRequest;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn main() {
    let path: std::path::PathBuf =
        std::env::var_os("BIOLENS_BENCH_H5AD").map_or_else(|| "/work/bench-data/sc_100k.h5ad".into(), Into::into);
    if !path.is_file() {
        println!("open_single_cell: no file at {} (make it with benches/single_cell/make_h5ad.py)", path.display());
        return;
    }
    let mut harness =
        Harness::builder().with_size([1400.0, 900.0]).build_eframe(|cc| BiolensApp::new(cc, Startup::Empty));
    harness.run_steps(1);
    let start = Instant::now();
    harness
        .state_mut()
        .push_command(Command::Open(Box::new(OpenRequest { matrix: path.clone(), ..OpenRequest::default() })));
    let deadline = start + Duration::from_mins(2);
    loop {
        harness.step();
        let app = harness.state();
        let shown = app.state().current.is_some()
            && app.tab() == Tab::Embeddings
            && harness.query_by_label_contains("Scatter plot:").is_some();
        if shown {
            break;
        }
        assert!(Instant::now() < deadline, "the scatter did not appear within 2 minutes");
        std::thread::sleep(Duration::from_millis(5));
    }
    let seconds = start.elapsed().as_secs_f64();
    let current = harness.state().state().current.as_ref().map(|c| (c.dataset.n_samples(), c.dataset.n_genes()));
    println!(
        "open_single_cell: {} {current:?} → stored UMAP on screen in {seconds:.2} s (target < 10 s)",
        path.display()
    );
}
