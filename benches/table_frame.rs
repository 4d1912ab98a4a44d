//! CPU time of one frame of the virtualised data table (criterion, `egui_kittest` harness,
//! no GPU): 700 × 20,000 cells against a 40 × 12 table that just fills the same viewport.
//! Virtualisation makes the cost independent of the table's size, so the ratio should be
//! about 1, and a frame must stay well under 16 ms for smooth scrolling.

use std::collections::BTreeSet;

use biolens::app::widgets::table::{TableSource, matrix_table_ui};
use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;

struct Synthetic {
    rows: usize,
    cols: usize,
    row_ids: Vec<String>,
    col_ids: Vec<String>,
}

impl Synthetic {
    fn new(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            row_ids: (0..rows).map(|i| format!("sample_{i}")).collect(),
            col_ids: (0..cols).map(|j| format!("GENE{j}")).collect(),
        }
    }
}

impl TableSource for Synthetic {
    fn rows(&self) -> usize {
        self.rows
    }
    fn columns(&self) -> usize {
        self.cols
    }
    fn row_id(&self, i: usize) -> &str {
        &self.row_ids[i]
    }
    fn column_name(&self, j: usize) -> &str {
        &self.col_ids[j]
    }
    fn cell(&self, i: usize, j: usize) -> String {
        format!("{:.3}", ((i * 31 + j * 17) % 1000) as f64 / 97.0)
    }
    fn is_text_column(&self, _j: usize) -> bool {
        false
    }
    fn cell_tooltip(&self, i: usize, j: usize) -> String {
        self.cell(i, j)
    }
}

fn frame_time(c: &mut Criterion) {
    let mut group = c.benchmark_group("table_frame_1280x800");
    for (name, rows, cols) in [("fills_viewport_40x12", 40, 12), ("700x20000", 700, 20_000)] {
        let source = Synthetic::new(rows, cols);
        let selected: BTreeSet<usize> = (0..rows).step_by(3).collect();
        let mut harness = Harness::builder().with_size([1280.0, 800.0]).build_ui(|ui| {
            matrix_table_ui(ui, "bench", &source, &selected);
        });
        harness.run_steps(2);
        // Scroll into the middle of the big table, as a user would.
        harness.hover_at(egui::pos2(640.0, 400.0));
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(-5000.0, -3000.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        harness.run_steps(2);
        group.bench_function(name, |b| b.iter(|| harness.step()));
    }
    group.finish();
}

criterion_group!(benches, frame_time);
criterion_main!(benches);
