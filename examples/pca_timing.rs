//! Times Biolens' PCA on a matrix file (for `benches/pca_vs_sklearn.py`): loads the file
//! (not timed), then runs PCA `repeat` times and prints one JSON line with the best time.
//!
//! `cargo run --release --no-default-features --example pca_timing -- FILE K [REPEAT]`

use std::time::Instant;

use biolens::analysis::pca::{PcaParams, PcaSolver, pca};
use biolens::data::{LoadOptions, io::load_matrix};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or_else(|| anyhow::anyhow!("usage: pca_timing FILE K [REPEAT]"))?;
    let k: usize = args.next().unwrap_or_else(|| "50".into()).parse()?;
    let repeat: usize = args.next().unwrap_or_else(|| "3".into()).parse()?;
    let loaded = load_matrix(path.as_ref(), &LoadOptions::default(), &|_, _| {})?;
    let x = loaded.data.dense()?;
    let params = PcaParams::new(k).solver(PcaSolver::Randomized);
    let mut best = f64::INFINITY;
    let mut evr = Vec::new();
    for _ in 0..repeat {
        let start = Instant::now();
        let fit = pca(x.view(), &params, None)?;
        best = best.min(start.elapsed().as_secs_f64());
        evr = fit.explained_variance_ratio;
    }
    println!("{}", serde_json::json!({ "seconds": best, "evr": evr, "shape": x.dim() }));
    Ok(())
}
