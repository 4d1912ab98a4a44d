//! The clustering views at the sizes issue 6 names, criterion:
//! - `dendrogram_frame`: CPU time of one frame of the dendrogram widget at 10,000 leaves
//!   (level of detail), against 100 leaves in the same run, pointer over the tree;
//! - `clustered_heatmap_frame`: one frame of the heatmap widget at 2,000 genes × 1,000 samples
//!   with its two dendrograms, against 50 × 25;
//! - `clustered_heatmap_job`: the worker's whole job at 2,000 × 1,000 (gene choice, z-scores,
//!   both distance matrices and trees).

use std::collections::BTreeSet;
use std::sync::Arc;

use biolens::analysis::clustering::hierarchical::{Method, linkage};
use biolens::analysis::clustering::order::top_variable_z;
use biolens::analysis::distance::{Between, Metric, condensed};
use biolens::analysis::rng::Rng;
use biolens::app::widgets::dendrogram::{
    DendrogramDecor, DendrogramState, TreeFrame, TreeLayout, dendrogram_ui, draw_tree,
};
use biolens::app::widgets::heatmap::{Decorations, HeatmapData, HeatmapState, heatmap_ui};
use biolens::export::heatmap::ColourScale;
use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use ndarray::Array2;

fn blobs(n: usize, d: usize) -> Array2<f64> {
    let mut rng = Rng::new(3);
    Array2::from_shape_fn((n, d), |(i, j)| rng.normal() + ((i % 9) * (j % 3)) as f64)
}

fn tree_layout(x: &Array2<f64>, between: Between) -> Arc<TreeLayout> {
    let n = match between {
        Between::Samples => x.nrows(),
        Between::Genes => x.ncols(),
    };
    let mut d = condensed(x.view(), between, Metric::Euclidean, None, &mut |_| {}).expect("distances");
    Arc::new(TreeLayout::new(Arc::new(linkage(&mut d, n, Method::Average).expect("tree"))))
}

fn settle<S>(harness: &mut Harness<'_, S>) {
    for _ in 0..200 {
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    harness.hover_at(egui::pos2(640.0, 400.0));
    harness.run_steps(1);
}

fn dendrogram_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("dendrogram_frame_1280x800");
    for n in [100, 10_000] {
        let layout = tree_layout(&blobs(n, 20), Between::Samples);
        let clusters = layout.tree().cut_k(6);
        let selected: BTreeSet<usize> = (0..n).step_by(7).collect();
        let mut state = DendrogramState::default();
        let cut = layout.tree().height_for_k(6);
        let mut harness = Harness::builder().with_size([1280.0, 800.0]).build_ui(|ui| {
            let colour = |k: usize| egui::Color32::from_rgb((k * 40 % 255) as u8, 120, 200);
            let is_selected = |i: usize| selected.contains(&i);
            let label = |i: usize| format!("s{i}");
            let decor = DendrogramDecor {
                clusters: &clusters,
                cluster_colour: &colour,
                strips: &[],
                selected: &is_selected,
                label: &label,
            };
            dendrogram_ui(ui, &layout, cut, &mut state, &decor);
        });
        settle(&mut harness);
        group.bench_function(format!("{n}_leaves"), |b| b.iter(|| harness.step()));
    }
    group.finish();
}

fn heatmap_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("clustered_heatmap_frame_1280x800");
    for (genes, samples) in [(50, 25), (2_000, 1_000)] {
        let x = blobs(samples, genes);
        let (_, z) = top_variable_z(x.view(), genes);
        let gene_tree = tree_layout(&z, Between::Samples);
        let sample_tree = tree_layout(&z, Between::Genes);
        let data = HeatmapData {
            matrix: Arc::new(z),
            row_order: gene_tree.order.clone().into(),
            col_order: sample_tree.order.clone().into(),
            scale: ColourScale { low: -2.5, high: 2.5, reversed: false, diverging: true },
            scale_label: "z-score".to_owned(),
        };
        let mut state = HeatmapState::default();
        let mut harness = Harness::builder().with_size([1280.0, 800.0]).build_ui(|ui| {
            let none = |_: usize| false;
            let label = |i: usize| format!("g{i}");
            let tooltip = |i: usize, j: usize| format!("{i} × {j}");
            let decor = Decorations {
                row_strips: &[],
                col_strips: &[],
                selected: &none,
                row_label: &label,
                tooltip: &tooltip,
                square: false,
                left_space: 80.0,
                top_space: 60.0,
            };
            let response = heatmap_ui(ui, &data, &mut state, &decor);
            if let Some((rect, window)) = response.map {
                let painter = ui.painter().clone();
                let top = egui::Rect::from_min_max(
                    egui::pos2(rect.left(), rect.top() - 70.0),
                    egui::pos2(rect.right(), rect.top() - 12.0),
                );
                let frame = TreeFrame {
                    rect: top,
                    leaves: window.cols,
                    heights: (0.0, sample_tree.max_height()),
                    vertical_leaves: false,
                };
                draw_tree(&painter, &sample_tree, &frame, 1.0, &|_| egui::Color32::GRAY);
                let left = egui::Rect::from_min_max(egui::pos2(2.0, rect.top()), egui::pos2(76.0, rect.bottom()));
                let frame = TreeFrame {
                    rect: left,
                    leaves: window.rows,
                    heights: (0.0, gene_tree.max_height()),
                    vertical_leaves: true,
                };
                draw_tree(&painter, &gene_tree, &frame, 1.0, &|_| egui::Color32::GRAY);
            }
        });
        settle(&mut harness);
        group.bench_function(format!("{genes}x{samples}"), |b| b.iter(|| harness.step()));
    }
    group.finish();
}

fn heatmap_job(c: &mut Criterion) {
    let mut group = c.benchmark_group("clustered_heatmap_job");
    group.sample_size(10);
    let x = blobs(1_000, 5_000);
    group.bench_function("2000_of_5000_genes_x_1000_samples", |b| {
        b.iter(|| {
            let (_, z) = top_variable_z(x.view(), 2_000);
            (tree_layout(&z, Between::Samples), tree_layout(&z, Between::Genes))
        });
    });
    group.finish();
}

criterion_group!(benches, dendrogram_frame, heatmap_frame, heatmap_job);
criterion_main!(benches);
