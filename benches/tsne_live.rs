//! Live t-SNE: the time one iteration takes at 10,000 and 20,000 points with each
//! repulsion method (the view shows a new embedding every 50 ms or every iteration,
//! whichever is slower, so ≥ 10 updates a second needs iterations under 100 ms), and how
//! long Cancel takes to end a t-SNE job at 20,000 points (target: 100 ms), from the
//! neighbour search through the optimisation.
//!
//! `cargo bench --bench tsne_live` (or `--profile dev`, which optimises dependencies but
//! not our crate fully). Data: a 50-dimension mixture of 10 Gaussians, as in
//! `tsne_vs_opentsne.py`.

use std::time::{Duration, Instant};

use biolens::analysis::rng::Rng;
use biolens::analysis::tsne::{Tsne, TsneGradient, TsneParams};
use biolens::jobs::{Job, JobError, no_waker};
use criterion::Criterion;
use ndarray::Array2;

fn mixture(n: usize, dims: usize) -> Array2<f64> {
    let mut rng = Rng::new(0);
    let centres = Array2::from_shape_fn((10, dims), |_| rng.normal() * 6.0);
    Array2::from_shape_fn((n, dims), |(i, j)| centres[[i % 10, j]] + rng.normal())
}

fn steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("tsne_iteration");
    group.sample_size(20);
    for n in [10_000, 20_000] {
        let x = mixture(n, 50);
        for gradient in [TsneGradient::BarnesHut, TsneGradient::Fft] {
            // Many iterations so the run never ends while measured.
            let params = TsneParams { gradient, iterations: 1_000_000, ..TsneParams::default() };
            let Ok(mut tsne) = Tsne::new(x.view(), &params, None) else { panic!("t-SNE setup failed") };
            // Into the main phase, where the map has spread out (the slower iterations).
            for _ in 0..300 {
                tsne.step();
            }
            group.bench_function(format!("{n}/{}", gradient.label()), |b| b.iter(|| tsne.step()));
        }
    }
    group.finish();
}

/// Cancels a 20,000-point t-SNE job at several moments (neighbour search, early
/// exaggeration, main phase) and prints the time from `cancel()` to the job's end.
fn cancel_latency() {
    let x = std::sync::Arc::new(mixture(20_000, 50));
    let mut worst = Duration::ZERO;
    for delay_ms in [300, 1_500, 4_000, 9_000] {
        let x = std::sync::Arc::clone(&x);
        let job: Job<(), ()> = Job::spawn("t-SNE", no_waker(), move |ctx| {
            let params = TsneParams::default();
            let mut tsne = Tsne::new(x.view(), &params, Some(ctx.cancel_token())).map_err(|_| JobError::Cancelled)?;
            while !tsne.is_done() {
                ctx.check()?;
                tsne.step();
            }
            Ok(())
        });
        std::thread::sleep(Duration::from_millis(delay_ms));
        let start = Instant::now();
        job.cancel();
        let result = job.wait();
        let latency = start.elapsed();
        worst = worst.max(latency);
        println!("tsne_cancel/20000 after {delay_ms} ms: {latency:.1?} ({result:?})");
    }
    println!("tsne_cancel/20000 worst: {worst:.1?} (target 100 ms)");
}

fn main() {
    cancel_latency();
    let mut criterion = Criterion::default().configure_from_args();
    steps(&mut criterion);
    criterion.final_summary();
}
