//! The distance map at 5,000 samples (issue 5: "stays responsive"), criterion:
//! - `frame`: CPU time of one UI frame of the heatmap widget with the pointer over the map
//!   (hover, tooltip, strips, selection marks), against 100 samples in the same run;
//! - `raster`: the worker-thread rasterisation of the whole 5,000 × 5,000 map into a
//!   900 × 900 texture (how soon a zoom or pan sharpens), against a 100-sample map.

use std::collections::BTreeSet;
use std::sync::Arc;

use biolens::analysis::rng::Rng;
use biolens::app::widgets::heatmap::{Decorations, HeatmapData, HeatmapState, Strip, heatmap_ui};
use biolens::export::heatmap::{ColourScale, Window, rasterise};
use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use ndarray::Array2;

fn data(n: usize) -> HeatmapData {
    let mut rng = Rng::new(1);
    let mut m = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        for j in i + 1..n {
            let v = rng.uniform() + if i % 7 == j % 7 { 0.0 } else { 1.0 };
            m[[i, j]] = v;
            m[[j, i]] = v;
        }
    }
    let order: Arc<[usize]> = (0..n).rev().collect();
    HeatmapData {
        matrix: Arc::new(m),
        row_order: Arc::clone(&order),
        col_order: order,
        scale: ColourScale { low: 0.0, high: 2.0, reversed: false, diverging: false },
        scale_label: "distance".to_owned(),
    }
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("distance_map_frame_1280x800");
    for n in [100, 5_000] {
        let data = data(n);
        let strips = vec![Strip {
            name: "class".to_owned(),
            colours: (0..n).map(|i| [(i % 7 * 30) as u8, 100, 200]).collect(),
            legend: Vec::new(),
        }];
        let selected: BTreeSet<usize> = (0..n).step_by(3).collect();
        let mut state = HeatmapState::default();
        let mut harness = Harness::builder().with_size([1280.0, 800.0]).build_ui(|ui| {
            let is_selected = |i: usize| selected.contains(&i);
            let label = |i: usize| format!("sample {i}");
            let tooltip = |i: usize, j: usize| format!("{i} × {j}");
            let decor = Decorations {
                row_strips: &strips,
                col_strips: &strips,
                selected: &is_selected,
                row_label: &label,
                tooltip: &tooltip,
                square: true,
                left_space: 0.0,
                top_space: 0.0,
            };
            heatmap_ui(ui, &data, &mut state, &decor);
        });
        // Let the first raster finish so frames draw the texture, then hover the map.
        for _ in 0..400 {
            harness.step();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        harness.hover_at(egui::pos2(500.0, 400.0));
        harness.run_steps(1);
        group.bench_function(format!("{n}_samples"), |b| b.iter(|| harness.step()));
    }
    group.finish();
}

fn raster(c: &mut Criterion) {
    let mut group = c.benchmark_group("distance_map_raster_900x900");
    group.sample_size(20);
    for n in [100, 5_000] {
        let data = data(n);
        let window = Window::full(n, n);
        group.bench_function(format!("{n}_samples"), |b| {
            b.iter(|| {
                rasterise(&data.matrix, &data.row_order, &data.col_order, window, [900, 900], &data.scale, &|| false)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, frame, raster);
criterion_main!(benches);
