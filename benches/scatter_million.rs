//! One million points in the scatter (issue 15): the CPU time of a frame with the points drawn
//! by the GPU (instanced, `widgets/scatter_gpu.rs`) against the mesh path in the same run, the
//! time to rebuild the GPU instances (a new colouring or selection), and box and lasso
//! selection of the million points (target: under 50 ms).
//!
//! The frame is measured without a GPU (none is lent here): what is timed is everything the
//! CPU does for a frame, hover included; the GPU's share is one instanced draw of 6 vertices
//! per point.

use std::collections::BTreeSet;

use biolens::analysis::rng::Rng;
use biolens::app::widgets::scatter::{
    ScatterPoints, ScatterState, ScatterStyle, Tool, Transform, points_in, scatter_ui,
};
use biolens::app::widgets::scatter_gpu;
use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;

const N: usize = 1_000_000;

fn points(n: usize) -> ScatterPoints {
    let mut rng = Rng::new(0);
    let xy = (0..n).map(|i| [rng.normal() as f32 + (i % 7) as f32 * 4.0, rng.normal() as f32]).collect();
    let colours = (0..n).map(|i| egui::Color32::from_rgb((i % 255) as u8, 120, 200)).collect();
    ScatterPoints::new(xy, colours, vec![false; n])
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("scatter_1M_frame_1280x800");
    group.sample_size(10);
    let data = points(N);
    let selected: BTreeSet<usize> = BTreeSet::new();
    for gpu in [true, false] {
        let mut state = ScatterState::default();
        let style = ScatterStyle { x_label: "x", y_label: "y", radius: 2.0 };
        let mut harness = Harness::builder().with_size([1280.0, 800.0]).build_ui(|ui| {
            if gpu {
                scatter_gpu::mark_available(ui.ctx());
            }
            scatter_ui(ui, &data, &selected, &mut state, &style, &|i| format!("point {i}"));
        });
        harness.run_steps(2);
        harness.hover_at(egui::pos2(640.0, 400.0));
        harness.run_steps(1);
        let name = if gpu { "gpu_points" } else { "mesh" };
        group.bench_function(name, |b| b.iter(|| harness.step()));
    }
    group.finish();
}

fn rebuild_and_select(c: &mut Criterion) {
    let mut group = c.benchmark_group("scatter_1M");
    group.sample_size(10);
    let data = points(N);
    let selected: BTreeSet<usize> = (0..N).step_by(100).collect();
    group.bench_function("gpu_instances", |b| {
        b.iter(|| scatter_gpu::instances(&data.xy, &data.colours, &data.hidden, &selected, true));
    });
    let t = Transform {
        data: data.bounds(),
        screen: egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1200.0, 760.0)),
    };
    let rect = [egui::pos2(300.0, 200.0), egui::pos2(900.0, 600.0)];
    group.bench_function("box_select", |b| b.iter(|| points_in(&data, &t, Tool::Box, &rect)));
    // A lasso of 200 vertices round the middle.
    let lasso: Vec<egui::Pos2> = (0..200)
        .map(|k| {
            let a = k as f32 / 200.0 * std::f32::consts::TAU;
            egui::pos2(600.0 + 300.0 * a.cos() * (1.0 + 0.2 * (5.0 * a).sin()), 380.0 + 200.0 * a.sin())
        })
        .collect();
    group.bench_function("lasso_select", |b| b.iter(|| points_in(&data, &t, Tool::Lasso, &lasso)));
    group.finish();
}

criterion_group!(benches, frame, rebuild_and_select);
criterion_main!(benches);
