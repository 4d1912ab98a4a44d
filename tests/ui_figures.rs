//! *Export figure…* from the views beyond the scatters: the Clusters view's dendrogram and
//! silhouettes, and the distance map, written as the view shows them at the asked size.

mod common;

use common::{export_figure as export, open_app, run_until};

use egui_kittest::kittest::Queryable as _;

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let be = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (be(16), be(20))
}

#[test]
fn clusters_and_distance_map_export_their_figures() {
    let mut h = open_app("sklearn_iris", false);
    h.get_by_label("Clusters").click();
    h.run_steps(1);
    run_until(&mut h, "clusters", |app| {
        app.clusters_view().labels().is_some() && app.clusters_view().silhouette_widths().is_some()
    });
    h.get_by_label("Export figure…").click();
    h.run_steps(2);
    let dir = tempfile::tempdir().unwrap();
    let svg = export(&mut h, |app| &mut app.clusters_view_mut().figure, 0, &dir.path().join("tree.svg"));
    let svg = String::from_utf8(svg).unwrap();
    let branches = svg.split("stroke-linecap=\"square\">").nth(1).and_then(|s| s.split("</g>").next()).unwrap();
    assert_eq!(branches.matches("<line").count(), 3 * 149, "every merge of the tree");
    assert!(svg.contains("average linkage height (Euclidean)"));
    let png = export(&mut h, |app| &mut app.clusters_view_mut().figure, 1, &dir.path().join("silhouette.png"));
    assert_eq!(png_size(&png), (400, 300));

    h.state_mut().clusters_view_mut().figure.open = false;
    h.run_steps(1);
    h.get_by_label("Distance map").click();
    h.run_steps(1);
    assert_eq!(h.state().tab(), biolens::app::Tab::Distances);
    run_until(&mut h, "the distance map", |app| app.distance_map_view().result.is_some());
    h.get_by_label("Export figure…").click();
    h.run_steps(2);
    let svg = export(&mut h, |app| &mut app.distance_map_view_mut().figure, 0, &dir.path().join("map.svg"));
    let svg = String::from_utf8(svg).unwrap();
    assert_eq!(svg.matches("<image").count(), 1, "the cells as one image");
    assert!(svg.contains(">Euclidean distance<"));
}
