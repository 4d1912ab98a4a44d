//! The Clusters view driven through the real app: the dendrogram of hierarchical clustering,
//! its cut published as an annotation every view can use (without rerunning PCA), a click on a
//! branch selecting a subtree, k-means with its elbow and silhouettes, DBSCAN with noise.

mod common;

use common::{answer_save_dialog, open_app, press, run_until, screenshot};

use biolens::app::views::clusters::ClusterMethod;
use biolens::app::{BiolensApp, Tab};
use biolens::data::annotations::AnnotationValues;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn annotation_levels(app: &BiolensApp, name: &str) -> Option<Vec<String>> {
    let dataset = &app.state().current.as_ref()?.dataset;
    match &dataset.annotations().iter().find(|a| a.name == name)?.values {
        AnnotationValues::Categorical { levels, .. } => Some(levels.clone()),
        AnnotationValues::Numeric(_) => None,
    }
}

fn clustered(app: &BiolensApp) -> bool {
    let view = app.clusters_view();
    view.labels().is_some()
        && view.silhouette_widths().is_some()
        && !view.is_running()
        && app.state().data_job.is_none()
}

fn open_clusters(h: &mut Harness<'static, BiolensApp>) {
    h.get_by_label("Clusters").click();
    h.run_steps(1);
    assert_eq!(h.state().tab(), Tab::Clusters);
}

#[test]
fn dendrogram_cut_becomes_an_annotation_without_rerunning_pca() {
    let mut h = open_app("khan_srbct", false);
    h.get_by_label("PCA").click();
    run_until(&mut h, "PCA", |app| app.pca_view().result.is_some() && !app.pca_view().is_running());
    let pca_generation = h.state().pca_view().result.as_ref().unwrap().generation;

    open_clusters(&mut h);
    run_until(&mut h, "the tree and its annotation", |app| {
        clustered(app) && annotation_levels(app, "hierarchical clusters").is_some()
    });
    h.get_by_label("Dendrogram: 83 leaves");
    assert_eq!(annotation_levels(h.state(), "hierarchical clusters").unwrap(), ["1", "2", "3"]);
    // The class labels are compared: ARI and contingency table.
    h.get_by_label_contains("adjusted Rand index");
    h.get_by_label_contains("Silhouette plot: mean");
    screenshot(&mut h, "clusters_dendrogram_khan");

    // Five clusters: the annotation follows.
    h.state_mut().clusters_view_mut().settings.k = 5;
    h.run_steps(2);
    run_until(&mut h, "five clusters", |app| {
        clustered(app) && annotation_levels(app, "hierarchical clusters").is_some_and(|l| l.len() == 5)
    });
    // Adding annotations did not rerun PCA.
    h.get_by_label("PCA").click();
    h.run_steps(5);
    assert!(!h.state().pca_view().is_running());
    assert_eq!(h.state().pca_view().result.as_ref().unwrap().generation, pca_generation);

    // The labels and the merge list, as CSV.
    open_clusters(&mut h);
    h.run_steps(2);
    let dir = tempfile::tempdir().unwrap();
    for (button, file, lines) in [
        ("Cluster labels (CSV)", "hierarchical_clusters.csv", 84),
        ("Merge list, SciPy layout (CSV)", "linkage.csv", 83),
    ] {
        answer_save_dialog(&h, &dir.path().join(file));
        h.get_by_label(&format!("{button}…")).click();
        h.run_steps(1);
        run_until(&mut h, button, |app| {
            !app.clusters_view().tables.is_running() && app.clusters_view().tables.last.is_some()
        });
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert_eq!(text.lines().count(), lines, "{file}");
    }

    // Drag the cut line down: more clusters, published once the drag ends.
    let rect = h.get_by_label("Dendrogram: 83 leaves").rect();
    let y = h.state().clusters_view().cut_line_y.expect("a cut line");
    let (from, to) = (egui::pos2(rect.center().x, y), egui::pos2(rect.center().x, y + rect.height() * 0.25));
    h.event(egui::Event::PointerMoved(from));
    press(&h, from, true);
    h.run_steps(1);
    for k in 1..=6 {
        h.event(egui::Event::PointerMoved(from + (to - from) * (k as f32 / 6.0)));
        h.run_steps(1);
    }
    let k_while_dragging = h.state().clusters_view().settings.k;
    assert!(k_while_dragging > 5, "dragging the cut down gave {k_while_dragging} clusters");
    assert_eq!(annotation_levels(h.state(), "hierarchical clusters").map(|l| l.len()), Some(5), "published mid-drag");
    press(&h, to, false);
    h.run_steps(2);
    run_until(&mut h, "the dragged cut's annotation", |app| {
        clustered(app) && annotation_levels(app, "hierarchical clusters").is_some_and(|l| l.len() == k_while_dragging)
    });

    // A click on a branch selects its samples: a subtree, so contiguous in leaf order.
    let at = egui::pos2(rect.center().x, rect.top() + rect.height() * 0.55);
    h.event(egui::Event::PointerMoved(at));
    press(&h, at, true);
    h.run_steps(1);
    press(&h, at, false);
    h.run_steps(2);
    let selected: Vec<usize> = h.state().state().selection.samples.iter().copied().collect();
    assert!(!selected.is_empty(), "a click on the dendrogram selected nothing");
    let order = h.state().clusters_view().tree().unwrap().order.clone();
    let mut positions: Vec<usize> = selected.iter().map(|s| order.iter().position(|o| o == s).unwrap()).collect();
    positions.sort_unstable();
    assert_eq!(positions.last().unwrap() - positions[0] + 1, positions.len(), "not one subtree: {positions:?}");
}

#[test]
fn kmeans_shows_the_elbow_and_dbscan_shows_noise() {
    let mut h = open_app("sklearn_iris", false);
    open_clusters(&mut h);
    h.get_by_label("k-means").click();
    h.run_steps(1);
    assert_eq!(h.state().clusters_view().settings.method, ClusterMethod::KMeans);
    run_until(&mut h, "k-means", |app| clustered(app) && annotation_levels(app, "k-means clusters").is_some());
    assert_eq!(annotation_levels(h.state(), "k-means clusters").unwrap().len(), 3);
    h.get_by_label_contains(" after ");
    screenshot(&mut h, "clusters_kmeans_iris");

    h.get_by_label("DBSCAN").click();
    h.run_steps(1);
    run_until(&mut h, "DBSCAN", |app| clustered(app) && annotation_levels(app, "DBSCAN clusters").is_some());
    // scikit-learn: eps 0.5, min_samples 5 on iris gives 2 clusters and 17 noise samples.
    assert_eq!(annotation_levels(h.state(), "DBSCAN clusters").unwrap(), ["1", "2", "noise"]);
    h.get_by_label_contains("noise (17)");
    screenshot(&mut h, "clusters_dbscan_iris");
}

#[test]
fn clustered_heatmap_orders_genes_and_samples_by_their_trees() {
    let mut h = open_app("khan_srbct", false);
    h.get_by_label("Heatmap").click();
    h.run_steps(1);
    assert_eq!(h.state().tab(), Tab::Heatmap);
    run_until(&mut h, "the clustered heatmap", |app| {
        app.heatmap_view().result.is_some() && !app.heatmap_view().is_running()
    });
    h.get_by_label("Heatmap: 200 × 83");
    let app = h.state();
    let map = app.heatmap_view().result.as_ref().unwrap();
    // Every gene row is z-scored: mean 0, population SD 1.
    for row in map.z.rows() {
        let mean = row.mean().unwrap();
        let sd = row.std(0.0);
        assert!(mean.abs() < 1e-9 && (sd - 1.0).abs() < 1e-9, "mean {mean}, sd {sd}");
    }
    assert_eq!(map.gene_tree.order.len(), 200);
    assert_eq!(map.sample_tree.order.len(), 83);
    screenshot(&mut h, "clustered_heatmap_khan");
    // Hover names gene, sample and values.
    let rect = h.get_by_label("Heatmap: 200 × 83").rect();
    h.hover_at(rect.center());
    h.run_steps(60);
    h.get_by_label_contains("z-score ");
}

/// Leiden in the Clusters tab: the neighbour graph's communities of `pbmc68k_reduced` become the
/// annotation `leiden`, with the modularity shown; its partition agrees with the cell types
/// (ARI well above chance); Louvain runs on the same graph.
#[test]
fn leiden_clusters_the_neighbour_graph() {
    use biolens::analysis::clustering::quality::{adjusted_rand_index, contingency};
    let mut h = open_app("pbmc68k_reduced", false);
    // The UMAP tab builds the neighbour graph first; Leiden then uses that same graph.
    h.get_by_label("UMAP").click();
    h.run_steps(1);
    run_until(&mut h, "the UMAP's graph", |app| app.umap_view().latest.is_some());
    let umap_graph = std::sync::Arc::clone(&h.state().umap_view().latest.as_ref().expect("a layout").graph);
    open_clusters(&mut h);
    h.get_by_label("Leiden").click();
    h.run_steps(1);
    assert_eq!(h.state().clusters_view().settings.method, ClusterMethod::Leiden);
    run_until(&mut h, "Leiden", clustered);
    let levels = annotation_levels(h.state(), "leiden").expect("the leiden annotation");
    assert!((4..=20).contains(&levels.len()), "{levels:?}");
    h.get_by_label_contains("modularity");
    let labels = h.state().clusters_view().labels().expect("labels");
    let dataset = std::sync::Arc::clone(&h.state().state().current.as_ref().unwrap().dataset);
    let truth = dataset.annotations().iter().find(|a| a.name == "label").expect("label");
    let AnnotationValues::Categorical { codes, .. } = &truth.values else { panic!("categorical") };
    let truth: Vec<Option<usize>> = codes.iter().map(|c| c.map(|c| c as usize)).collect();
    let ari = adjusted_rand_index(&contingency(&labels, &truth));
    assert!(ari > 0.3, "ARI against the cell types {ari}");
    let generation = h.state().state().current.as_ref().unwrap().matrix_generation;
    let settings = &h.state().clusters_view().settings;
    let graph_settings = biolens::recipes::clusters::community_graph(&settings.graph, &settings.communities);
    let kept = h.state().state().graphs.get(generation, &graph_settings).expect("the kept graph");
    assert!(std::sync::Arc::ptr_eq(&kept, &umap_graph), "Leiden reused the UMAP view's graph");
    screenshot(&mut h, "clusters_leiden");
    h.get_by_label("Louvain").click();
    h.run_steps(1);
    run_until(&mut h, "Louvain", clustered);
    assert!(annotation_levels(h.state(), "louvain").is_some());
}
