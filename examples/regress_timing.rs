//! Times Biolens' regression on a matrix file (for `benches/regress/bench.py`): loads the file
//! (samples × genes, the first gene is the target; not timed), then prints one JSON line with
//! the best of `repeat` runs of
//! - `path`: the lasso path over 100 α (scikit-learn's grid, eps 1e-3, tol 1e-4, warm starts)
//!   on the centred data, as `lasso_path`;
//! - `cv`: 5-fold CV (`KFold(5, shuffle=True, random_state=0)`, z-scores fitted in each training
//!   fold) of every model the Predict view offers, one after the other, and each model's time.
//!
//! `cargo run --release --no-default-features --features nn --example regress_timing -- FILE path|cv [REPEAT]`

use std::time::Instant;

use biolens::analysis::classify::folds::k_fold;
use biolens::analysis::classify::validation::Features;
use biolens::analysis::regress::Regressor;
use biolens::analysis::regress::linear::{Centred, alpha_grid, enet_path};
use biolens::analysis::regress::validation::cross_validate;
use biolens::data::{LoadOptions, io::load_matrix};
use ndarray::s;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: regress_timing FILE path|cv [REPEAT]";
    let path = args.next().ok_or_else(|| anyhow::anyhow!(usage))?;
    let what = args.next().ok_or_else(|| anyhow::anyhow!(usage))?;
    let repeat: usize = args.next().unwrap_or_else(|| "3".into()).parse()?;
    biolens::memory::tune_allocator();
    let loaded = load_matrix(path.as_ref(), &LoadOptions::default(), &|_, _| {})?;
    let all = loaded.data.dense()?;
    let y: Vec<f64> = all.column(0).to_vec();
    let x = all.slice(s![.., 1..]).to_owned();
    match what.as_str() {
        "path" => {
            let mut best = f64::INFINITY;
            let mut nonzero = Vec::new();
            for _ in 0..repeat {
                let start = Instant::now();
                let c = Centred::new(x.view(), &y);
                let alphas = alpha_grid(&c, 1.0, 1e-3, 100);
                let p = enet_path(&c, 1.0, &alphas, 1e-4, 1000, None, &mut |_| {})?;
                best = best.min(start.elapsed().as_secs_f64());
                nonzero = p.coefficients.iter().map(|w| w.iter().filter(|v| **v != 0.0).count()).collect::<Vec<_>>();
            }
            println!("{}", serde_json::json!({ "seconds": best, "nonzero": nonzero, "shape": x.dim() }));
        }
        "cv" => {
            let splits = k_fold(y.len(), 5, true, 0)?;
            let features = Features { scale: true, ..Features::default() };
            let mut best = f64::INFINITY;
            let mut per_model = serde_json::Map::new();
            for _ in 0..repeat {
                let start = Instant::now();
                // `REGRESS_ONLY=forest` times only the models whose name contains it.
                let only = std::env::var("REGRESS_ONLY").unwrap_or_default();
                for model in Regressor::defaults().into_iter().filter(|m| m.name().contains(&only)) {
                    let started = Instant::now();
                    let cv = cross_validate(x.view(), &y, &model, &features, &splits, None, &mut |_| {})?;
                    per_model.insert(
                        model.name(),
                        serde_json::json!({ "seconds": started.elapsed().as_secs_f64(), "r2": cv.mean_sd(|s| s.r2).0 }),
                    );
                }
                best = best.min(start.elapsed().as_secs_f64());
            }
            println!("{}", serde_json::json!({ "seconds": best, "models": per_model, "shape": x.dim() }));
        }
        other => anyhow::bail!("{usage} (not '{other}')"),
    }
    Ok(())
}
