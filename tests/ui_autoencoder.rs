//! The Autoencoder tab: the 2-D code moves while the network trains (frames arrive before the
//! last epoch), Pause holds the epochs, the curves and the comparison with PCA appear, and *Use
//! as embedding* adds the code to the dataset, where a neighbour graph (UMAP, Leiden) can be
//! built in it.
#![cfg(feature = "nn")]

mod common;

use common::{open_app, run_until, screenshot};

use biolens::app::Tab;
use egui_kittest::kittest::Queryable as _;

#[test]
fn the_code_trains_live_pauses_and_becomes_an_embedding() {
    let mut h = open_app("tissue_gene_expression", false);
    {
        let view = h.state_mut().autoencoder_view_mut();
        view.settings.params.epochs = 150;
        view.settings.genes = 300;
        view.settings.colour_by = biolens::recipes::Colouring::Annotation("label".into());
    }
    h.get_by_label("Autoencoder").click();
    h.run_steps(2);
    assert_eq!(h.state().tab(), Tab::Autoencoder);
    run_until(&mut h, "a first code", |app| app.autoencoder_view().latest.is_some());
    assert!(h.state().autoencoder_view().is_running(), "the first code arrives while it trains");
    let first = h.state().autoencoder_view().latest.clone().expect("a frame");
    assert!(first.history.len() < 150, "a frame before the last epoch ({})", first.history.len());
    assert_eq!(first.code.dim(), (189, 2));
    // Pause holds the epochs; Resume goes on.
    h.get_by_label("⏸ Pause").click();
    h.run_steps(2);
    assert!(h.state().autoencoder_view().is_paused());
    std::thread::sleep(std::time::Duration::from_millis(300));
    h.run_steps(3);
    let held = h.state().autoencoder_view().latest.as_ref().map_or(0, |f| f.history.len());
    std::thread::sleep(std::time::Duration::from_millis(500));
    h.run_steps(3);
    assert_eq!(h.state().autoencoder_view().latest.as_ref().map_or(0, |f| f.history.len()), held);
    if held < 150 {
        assert!(h.state().autoencoder_view().is_running());
    }
    h.get_by_label("▶ Resume").click();
    run_until(&mut h, "the last epoch and the comparison", |app| {
        let v = app.autoencoder_view();
        !v.is_running() && v.latest.as_ref().is_some_and(|f| f.history.len() == 150 && f.comparison.is_some())
    });
    assert_eq!(h.state().autoencoder_view().error(), None);
    let frame = h.state().autoencoder_view().latest.clone().expect("the code");
    let c = frame.comparison.expect("compared");
    assert!(c.autoencoder > 0.0 && c.pca > 0.0 && c.reconstruction < c.pca_reconstruction, "{c:?}");
    h.run_steps(2);
    h.get_by_label("Scatter plot: 189 points");
    h.get_by_label_contains("epoch 150 / 150");
    h.get_by_label_contains("trained on CPU");
    h.get_by_label_contains("15-NN kept: code");
    screenshot(&mut h, "autoencoder");
    // The code becomes a stored embedding, and a neighbour graph can be built in it.
    h.get_by_label("Use as embedding").click();
    run_until(&mut h, "the embedding", |app| {
        app.state()
            .current
            .as_ref()
            .is_some_and(|c| c.dataset.raw().single_cell().embeddings.iter().any(|e| e.name == "X_autoencoder"))
    });
    let dataset = std::sync::Arc::clone(&h.state().state().current.as_ref().expect("data").dataset);
    let stored = dataset.raw().single_cell().embeddings.iter().find(|e| e.name == "X_autoencoder").expect("stored");
    assert_eq!(stored.coords, *frame.full_code, "the raw rows are the processed samples here");
    let settings = biolens::recipes::neighbors::GraphSettings {
        use_rep: Some("X_autoencoder".into()),
        neighbors: 10,
        ..Default::default()
    };
    let graph =
        biolens::recipes::neighbors::build(&dataset, &settings, biolens::recipes::Ctx::silent()).expect("graph");
    assert_eq!(graph.from, "X_autoencoder");
    assert_eq!(graph.representation.dim(), (189, 2));
    // The matrix did not change, so the code is not retrained.
    h.run_steps(3);
    assert!(!h.state().autoencoder_view().is_running());
}
