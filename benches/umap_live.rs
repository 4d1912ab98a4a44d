//! The live UMAP at 100,000 points: how often the view gets a new layout while the epochs run
//! (the worker hands one over every 50 ms, stopping part-way through an epoch; target ≥ 10 a
//! second), and how long Cancel takes to end the job from the neighbour search through the
//! spectral start to the epochs (target: 100 ms). Also Cancel during Leiden on the same graph.
//!
//! `cargo bench --bench umap_live` (`BIOLENS_UMAP_N` changes the size). Data: a 50-dimension
//! mixture of 10 Gaussians standing for 50 principal components. The job repeats the UMAP
//! view's worker ([`biolens::recipes::umap`] on a built graph): approximate neighbours
//! (NN-descent), UMAP connectivities, spectral start, epochs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use biolens::analysis::rng::Rng;
use biolens::analysis::umap::{Umap, UmapParams, spectral_init};
use biolens::analysis::{leiden, neighbors, nn_descent};
use biolens::jobs::{Job, JobError, no_waker};
use ndarray::Array2;

fn mixture(n: usize, dims: usize) -> Array2<f64> {
    let mut rng = Rng::new(0);
    let centres = Array2::from_shape_fn((10, dims), |_| rng.normal() * 6.0);
    Array2::from_shape_fn((n, dims), |(i, j)| centres[[i % 10, j]] + rng.normal())
}

const FRAME: Duration = Duration::from_millis(50);

/// The view's worker: graph, start, epochs with a frame every 50 ms (the time between frames
/// during the epochs is recorded in `gaps`).
fn worker(
    x: &Array2<f64>,
    ctx: &biolens::jobs::JobContext<Vec<Duration>, ()>,
    record: bool,
    phase: &std::sync::Mutex<&'static str>,
) -> Result<Vec<Duration>, JobError> {
    let token = ctx.cancel_token();
    let cancelled = || token.is_cancelled();
    let set = |p: &'static str| *phase.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = p;
    set("neighbours");
    let params = nn_descent::DescentParams::default();
    let knn = nn_descent::approximate_knn(x.view(), 15, params, &cancelled).ok_or(JobError::Cancelled)?;
    set("connectivities");
    let graph = neighbors::umap_connectivities(&knn);
    ctx.check()?;
    set("spectral start");
    let start = spectral_init(&graph, 0, 300, &cancelled).ok_or(JobError::Cancelled)?;
    set("layout set-up");
    let mut layout = Umap::new(&graph, &start, UmapParams::default());
    set("epochs");
    let mut gaps = Vec::new();
    let mut last = Instant::now();
    while !layout.is_done() {
        ctx.check()?;
        layout.step_until(&|| cancelled() || last.elapsed() >= FRAME);
        if last.elapsed() >= FRAME {
            // What the view receives each frame: a copy of the layout.
            let frame = layout.embedding();
            std::hint::black_box(&frame);
            gaps.push(last.elapsed());
            last = Instant::now();
            if record && gaps.len() >= 100 {
                break;
            }
        }
    }
    Ok(gaps)
}

fn main() {
    let n: usize = std::env::var("BIOLENS_UMAP_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let x = Arc::new(mixture(n, 50));
    // Frames: 100 frames of the epochs.
    let started = Instant::now();
    let data = Arc::clone(&x);
    let phase = Arc::new(std::sync::Mutex::new(""));
    let p = Arc::clone(&phase);
    let job: Job<Vec<Duration>, ()> = Job::spawn("UMAP", no_waker(), move |ctx| worker(&data, ctx, true, &p));
    let gaps = job.wait().expect("a run");
    let total: Duration = gaps.iter().sum();
    let worst = gaps.iter().max().copied().unwrap_or_default();
    println!(
        "umap_frames/{n}: {} frames, {:.1} a second, worst gap {worst:.1?} (target >= 10 a second; {:.1?} to the 100th frame)",
        gaps.len(),
        gaps.len() as f64 / total.as_secs_f64(),
        started.elapsed()
    );
    // Cancel at moments in every phase.
    let mut worst = Duration::ZERO;
    for delay_ms in [300, 1_500, 3_000, 5_000, 6_500, 7_500, 8_000, 8_500, 9_500, 12_000, 16_000] {
        let data = Arc::clone(&x);
        let p = Arc::clone(&phase);
        let job: Job<Vec<Duration>, ()> = Job::spawn("UMAP", no_waker(), move |ctx| worker(&data, ctx, false, &p));
        std::thread::sleep(Duration::from_millis(delay_ms));
        let phase = *phase.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = Instant::now();
        job.cancel();
        let result = job.wait();
        let latency = start.elapsed();
        let ended = if matches!(result, Err(JobError::Cancelled)) { "cancelled" } else { "had finished" };
        worst = worst.max(latency);
        println!("umap_cancel/{n} after {delay_ms} ms ({phase}): {latency:.1?} ({ended})");
    }
    println!("umap_cancel/{n} worst: {worst:.1?} (target 100 ms)");
    // Leiden: cancel part-way.
    let knn = nn_descent::approximate_knn(x.view(), 15, nn_descent::DescentParams::default(), &|| false).expect("knn");
    let graph = Arc::new(neighbors::umap_connectivities(&knn));
    let started = Instant::now();
    let full = leiden::leiden(&graph, leiden::LeidenParams::default(), &|| false).expect("partition");
    let whole = started.elapsed();
    println!("leiden/{n}: {} clusters in {whole:.1?}", full.clusters);
    for fraction in [0.25, 0.5, 0.75] {
        let g = Arc::clone(&graph);
        let job: Job<(), ()> = Job::spawn("Leiden", no_waker(), move |ctx| {
            let token = ctx.cancel_token();
            leiden::leiden(&g, leiden::LeidenParams::default(), &|| token.is_cancelled())
                .map(|_| ())
                .ok_or(JobError::Cancelled)
        });
        std::thread::sleep(whole.mul_f64(fraction));
        let start = Instant::now();
        job.cancel();
        let _ = job.wait();
        println!("leiden_cancel/{n} at {:.0} %: {:.1?}", fraction * 100.0, start.elapsed());
    }
}
