//! CPU time of one frame of the virtualised data table (criterion, `egui_kittest` harness,
//! no GPU): 700 × 20,000 cells against a 40 × 12 table that just fills the same viewport.
//! Virtualisation makes the cost independent of the table's size, so the ratio should be
//! about 1, and a frame must stay well under 16 ms for smooth scrolling. Also a sparse
//! single-cell table, 100,000 cells × 30,000 genes with 1,000 non-zeros per cell (issue 15),
//! whose cells are read from the CSR matrix as the Data tab reads them.

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

/// A sparse matrix as the table shows it: every cell looked up in its row.
struct Sparse {
    matrix: biolens::data::Csr,
    row_ids: Vec<String>,
    col_ids: Vec<String>,
}

impl Sparse {
    fn new(rows: usize, cols: usize, per_row: usize) -> Self {
        let mut indptr = Vec::with_capacity(rows + 1);
        indptr.push(0);
        let mut indices = Vec::with_capacity(rows * per_row);
        let mut data = Vec::with_capacity(rows * per_row);
        let stride = cols / per_row;
        for i in 0..rows {
            for k in 0..per_row {
                indices.push((k * stride + i % stride) as u32);
                data.push(((i + k) % 7 + 1) as f32);
            }
            indptr.push(data.len());
        }
        let matrix = biolens::data::Csr::new(rows, cols, indptr, indices, data).expect("a valid matrix");
        Self {
            matrix,
            row_ids: (0..rows).map(|i| format!("cell_{i}")).collect(),
            col_ids: (0..cols).map(|j| format!("GENE{j}")).collect(),
        }
    }
}

impl TableSource for Sparse {
    fn rows(&self) -> usize {
        self.matrix.nrows()
    }
    fn columns(&self) -> usize {
        self.matrix.ncols()
    }
    fn row_id(&self, i: usize) -> &str {
        &self.row_ids[i]
    }
    fn column_name(&self, j: usize) -> &str {
        &self.col_ids[j]
    }
    fn cell(&self, i: usize, j: usize) -> String {
        format!("{:.3}", self.matrix.get(i, j))
    }
    fn is_text_column(&self, _j: usize) -> bool {
        false
    }
    fn cell_tooltip(&self, i: usize, j: usize) -> String {
        self.cell(i, j)
    }
}

fn scroll(harness: &mut Harness<'_>) {
    harness.hover_at(egui::pos2(640.0, 400.0));
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(-5000.0, -3000.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
}

fn sparse_frame_time(c: &mut Criterion) {
    let mut group = c.benchmark_group("table_frame_1280x800");
    let source = Sparse::new(100_000, 30_000, 1000);
    let selected: BTreeSet<usize> = BTreeSet::new();
    let mut harness = Harness::builder().with_size([1280.0, 800.0]).build_ui(|ui| {
        matrix_table_ui(ui, "bench", &source, &selected);
    });
    harness.run_steps(2);
    scroll(&mut harness);
    harness.run_steps(2);
    group.bench_function("sparse_100000x30000", |b| b.iter(|| harness.step()));
    group.finish();
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
        scroll(&mut harness);
        harness.run_steps(2);
        group.bench_function(name, |b| b.iter(|| harness.step()));
    }
    group.finish();
}

criterion_group!(benches, frame_time, sparse_frame_time);
criterion_main!(benches);
