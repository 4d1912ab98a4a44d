//! Jobs run to the end whatever tab is shown: the app polls every view each frame.

mod common;

use common::{open_app, run_until};

use biolens::app::Tab;
use egui_kittest::kittest::Queryable as _;

#[test]
fn a_job_started_in_a_tab_finishes_while_another_tab_is_shown() {
    let mut h = open_app("khan_srbct", false);
    h.state_mut().tsne_view_mut().settings.params.iterations = 2_000;
    // Clusters starts hierarchical clustering when its tab opens (in the frame's drawing, after
    // the frame's polling, so no result can be taken while the tab is shown); leave at once.
    h.get_by_label("Clusters").click();
    h.run_steps(1);
    assert_eq!(h.state().tab(), Tab::Clusters);
    // t-SNE starts too; then show the Data tab and never come back.
    h.get_by_label("t-SNE").click();
    h.run_steps(1);
    assert_eq!(h.state().tab(), Tab::Tsne);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num1);
    h.run_steps(1);
    assert_eq!(h.state().tab(), Tab::Data);
    run_until(&mut h, "clustering and t-SNE in hidden tabs", |app| {
        !app.clusters_view().is_running() && !app.tsne_view().is_running() && app.state().data_job.is_none()
    });
    assert_eq!(h.state().tab(), Tab::Data, "still on the Data tab");
    let labels = h.state().clusters_view().labels().expect("the tree was taken in while hidden");
    let dataset = &h.state().state().current.as_ref().unwrap().dataset;
    assert_eq!(labels.len(), dataset.n_samples());
    assert_eq!(labels.iter().flatten().max(), Some(&2), "cut into the default 3 clusters");
    // The cut was published as an annotation from the hidden tab.
    assert!(dataset.annotations().iter().any(|a| a.name == "hierarchical clusters"));
    let frame = h.state().tsne_view().latest.clone().expect("an embedding");
    assert_eq!(frame.info.iteration, frame.info.total, "t-SNE ran to its last iteration");
}
