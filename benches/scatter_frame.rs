//! CPU time of one frame of the scatter widget at 100,000 points (criterion, `egui_kittest`
//! harness, no GPU), against 1,000 points in the same run. Target (issue 4): under 16 ms.

use std::collections::BTreeSet;

use biolens::analysis::rng::Rng;
use biolens::app::widgets::scatter::{ScatterPoints, ScatterState, ScatterStyle, scatter_ui};
use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;

fn points(n: usize) -> ScatterPoints {
    let mut rng = Rng::new(0);
    let xy = (0..n).map(|i| [rng.normal() as f32 + (i % 7) as f32 * 4.0, rng.normal() as f32]).collect();
    let colours = (0..n).map(|i| egui::Color32::from_rgb((i % 255) as u8, 120, 200)).collect();
    ScatterPoints::new(xy, colours, vec![false; n])
}

fn frame_time(c: &mut Criterion) {
    let mut group = c.benchmark_group("scatter_frame_1280x800");
    for n in [1_000, 100_000] {
        let data = points(n);
        let selected: BTreeSet<usize> = (0..n).step_by(10).collect();
        let mut state = ScatterState::default();
        let style = ScatterStyle { x_label: "x", y_label: "y", radius: 3.0 };
        let mut harness = Harness::builder().with_size([1280.0, 800.0]).build_ui(|ui| {
            scatter_ui(ui, &data, &selected, &mut state, &style, &|i| format!("point {i}"));
        });
        harness.run_steps(2);
        // Hovering makes every frame search for the nearest point too.
        harness.hover_at(egui::pos2(640.0, 400.0));
        harness.run_steps(1);
        group.bench_function(format!("{n}_points"), |b| b.iter(|| harness.step()));
    }
    group.finish();
}

criterion_group!(benches, frame_time);
criterion_main!(benches);
