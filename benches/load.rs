//! Loading generated CSV matrices in both orientations (criterion).
//!
//! The full-size comparison against Python polars (1,000 × 20,000, ≈140 MB, with peak
//! memory) is `benches/load_vs_polars.py`; this bench tracks our loader on a 1,000 × 2,000
//! matrix so it runs in seconds.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use biolens::data::LoadOptions;
use biolens::data::io::load_matrix;
use criterion::{Criterion, criterion_group, criterion_main};

const SAMPLES: usize = 1000;
const GENES: usize = 2000;

fn value(i: usize, j: usize) -> f64 {
    // Deterministic, expression-like values with 6 significant digits.
    let x = ((i * 7919 + j * 104_729) % 100_003) as f64 / 100_003.0;
    x * 14.0 + 2.0 * (i % 7) as f64 + 0.001
}

fn write_matrix(dir: &Path, genes_in_rows: bool) -> PathBuf {
    let (rows, cols) = if genes_in_rows { (GENES, SAMPLES) } else { (SAMPLES, GENES) };
    let mut text = String::with_capacity(rows * cols * 8);
    text.push_str(if genes_in_rows { "gene_id" } else { "sample_id" });
    for c in 0..cols {
        let _ = write!(text, ",{}{c}", if genes_in_rows { "s" } else { "g" });
    }
    text.push('\n');
    for r in 0..rows {
        let _ = write!(text, "{}{r}", if genes_in_rows { "g" } else { "s" });
        for c in 0..cols {
            let (i, j) = if genes_in_rows { (c, r) } else { (r, c) };
            let _ = write!(text, ",{:.4}", value(i, j));
        }
        text.push('\n');
    }
    let path = dir.join(if genes_in_rows { "tall.csv" } else { "wide.csv" });
    std::fs::write(&path, text).expect("write bench file");
    path
}

fn bench_load(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let wide = write_matrix(dir.path(), false);
    let tall = write_matrix(dir.path(), true);
    let mut group = c.benchmark_group("load_csv_1000x2000");
    group.sample_size(10);
    for (name, path) in [("samples_in_rows", &wide), ("genes_in_rows", &tall)] {
        group.bench_function(name, |b| {
            b.iter(|| load_matrix(path, &LoadOptions::default(), &|_, _| {}).expect("load"));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
