//! The distance map driven through the real app: the tab computes the map on the device the
//! setting picks, orders it by average-linkage leaf order (or an annotation), and a block
//! dragged on the map selects those samples in every view.

mod common;

use common::{answer_save_dialog, open_app, press, run_until, screenshot};

use biolens::analysis::clustering::hierarchical::{Method, condensed, linkage};
use biolens::analysis::distance::{Between, Metric, pairwise};
use biolens::app::commands::Command;
use biolens::app::views::distance_map::MapOrder;
use biolens::app::{BiolensApp, Tab};
use biolens::gpu::ComputeDevice;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn open(name: &'static str) -> Harness<'static, BiolensApp> {
    open_app(name, true)
}

fn map_ready(app: &BiolensApp) -> bool {
    let view = app.distance_map_view();
    view.result.is_some() && !view.is_running()
}

#[test]
fn map_is_clustered_and_a_block_drag_selects_its_samples() {
    let mut h = open("khan_srbct");
    h.get_by_label("Distance map").click();
    h.run_steps(1);
    assert_eq!(h.state().tab(), Tab::Distances);
    run_until(&mut h, "the distance map", map_ready);

    // The order is the leaf order of SciPy-equal average linkage on the same distances.
    let app = h.state();
    let map = app.distance_map_view().result.clone().unwrap();
    let dataset = &app.state().current.as_ref().unwrap().dataset;
    let square =
        pairwise(dataset.dense().expect("dense").view(), Between::Samples, Metric::Euclidean, None, &mut |_| {})
            .unwrap();
    let tree = linkage(&mut condensed(&square), square.nrows(), Method::Average).unwrap();
    assert_eq!(&*map.leaf_order, tree.leaf_order().as_slice());
    assert!((map.matrix[[0, 1]] - square[[0, 1]]).abs() <= 1e-9 * square[[0, 1]]);
    // Auto never picks a software adapter (lavapipe in CI): the CPU ran.
    assert!(map.device.starts_with("CPU"), "{}", map.device);
    h.get_by_label("Heatmap: 83 × 83");
    screenshot(&mut h, "distance_map_khan");

    // The matrix behind the map, as CSV.
    let dir = tempfile::tempdir().unwrap();
    answer_save_dialog(&h, &dir.path().join("distances.csv"));
    h.get_by_label("Distance matrix (CSV)…").click();
    h.run_steps(1);
    run_until(&mut h, "the CSV", |app| {
        !app.distance_map_view().tables.is_running() && app.distance_map_view().tables.last.is_some()
    });
    let text = std::fs::read_to_string(dir.path().join("distances.csv")).unwrap();
    assert_eq!(text.lines().count(), 84, "header and 83 rows");
    assert_eq!(text.lines().next().unwrap().split(',').count(), 84, "sample_id and 83 columns");

    // Hovering a cell names both samples and their distance.
    let rect = h.get_by_label("Heatmap: 83 × 83").rect();
    h.hover_at(rect.min + egui::vec2(rect.height() * 0.5, rect.height() * 0.5));
    // Tooltips wait for the pointer to rest.
    h.run_steps(60);
    h.get_by_label_contains("Euclidean distance: ");

    // Drag a box from the widget's corner (clamped to the map's) over about a quarter of the
    // map: the samples at the first positions of the order become the selection.
    let rect = h.get_by_label("Heatmap: 83 × 83").rect();
    let start = rect.min + egui::vec2(1.0, 1.0);
    let end = start + egui::vec2(rect.height() * 0.25, rect.height() * 0.25);
    h.event(egui::Event::PointerMoved(start));
    press(&h, start, true);
    h.run_steps(1);
    for k in 1..=8 {
        h.event(egui::Event::PointerMoved(start + (end - start) * (k as f32 / 8.0)));
        h.run_steps(1);
    }
    press(&h, end, false);
    h.run_steps(2);
    let selected = h.state().state().selection.samples.len();
    assert!((5..40).contains(&selected), "{selected} samples selected by a quarter-map box");
    // The selected samples are those at the first positions of the leaf order.
    let app = h.state();
    let map = app.distance_map_view().result.clone().unwrap();
    let first: std::collections::BTreeSet<usize> = map.leaf_order.iter().take(selected).copied().collect();
    assert_eq!(app.state().selection.samples, first);
}

#[test]
fn ordering_by_an_annotation_groups_its_classes() {
    let mut h = open("khan_srbct");
    h.get_by_label("Distance map").click();
    run_until(&mut h, "the distance map", map_ready);
    let name = h.state().state().current.as_ref().unwrap().dataset.annotations()[0].name.clone();
    h.state_mut().distance_map_view_mut().settings.order = MapOrder::Annotation(name.clone());
    h.run_steps(3);
    run_until(&mut h, "the reordered map", map_ready);
    screenshot(&mut h, "distance_map_khan_by_annotation");
    // The legend names the classes of the strip annotation.
    h.get_by_label_contains(&format!("{name}:"));
    // Along the axes the samples come class by class.
    let app = h.state();
    let codes = match &app.state().current.as_ref().unwrap().dataset.annotations()[0].values {
        biolens::data::annotations::AnnotationValues::Categorical { codes, .. } => codes.clone(),
        biolens::data::annotations::AnnotationValues::Numeric(_) => panic!("khan's first annotation is categorical"),
    };
    let order = app.distance_map_view().shown_order().expect("an order was drawn");
    let along: Vec<u32> = order.iter().map(|&i| codes[i].unwrap_or(u32::MAX)).collect();
    assert!(along.windows(2).all(|w| w[0] <= w[1]), "not grouped: {along:?}");
    assert_ne!(along.first(), along.last(), "more than one class");
}

#[test]
fn gpu_setting_uses_the_renderers_adapter() {
    let mut h = open("sklearn_iris");
    let has_gpu = h.state().state().gpu.is_some();
    if std::env::var_os("BIOLENS_REQUIRE_GPU").is_some() {
        assert!(has_gpu, "no GPU device from the renderer: {:?}", h.state().state().gpu_problem);
    }
    h.state_mut().state_mut().settings.compute_device = ComputeDevice::Gpu;
    h.get_by_label("Distance map").click();
    run_until(&mut h, "the distance map", map_ready);
    let device = h.state().distance_map_view().result.as_ref().unwrap().device.clone();
    if has_gpu {
        assert!(device.starts_with("GPU: "), "{device}");
        // The status bar names the adapter.
        let status = h.state().state().gpu_label();
        assert!(status.starts_with("GPU: ") && status.len() > 6, "{status}");
        h.get_by_label(&status);
    } else {
        // No adapter: the CPU path, with the reason.
        assert!(device.contains("no GPU adapter"), "{device}");
    }
    // Switching to the CPU recomputes there.
    h.state_mut().state_mut().settings.compute_device = ComputeDevice::Cpu;
    h.run_steps(2);
    run_until(&mut h, "the CPU map", |app| {
        map_ready(app) && app.distance_map_view().result.as_ref().is_some_and(|m| m.device.starts_with("CPU"))
    });
}

#[test]
fn without_an_adapter_the_gpu_setting_gives_a_notice_and_the_cpu() {
    // No wgpu renderer: the window has no device to lend.
    let mut h = open_app("sklearn_iris", false);
    assert!(h.state().state().gpu.is_none());
    h.get_by_label("GPU: none");
    h.get_by_label("Settings").click();
    h.run_steps(2);
    h.get_by_label_contains("GPU (no GPU found)").click();
    h.run_steps(2);
    assert_eq!(h.state().state().settings.compute_device, ComputeDevice::Gpu);
    let notices: Vec<String> = h.state().state().notices.iter().map(|n| n.text.clone()).collect();
    assert!(notices.iter().any(|t| t.starts_with("No GPU for compute")), "{notices:?}");
    h.state_mut().push_command(Command::ClearSelection);
    h.get_by_label("Distance map").click();
    run_until(&mut h, "the distance map", map_ready);
    let device = h.state().distance_map_view().result.as_ref().unwrap().device.clone();
    assert!(device.starts_with("CPU") && device.contains("no GPU adapter"), "{device}");
}
