//! Times the phases of a t-SNE run (load, PCA + neighbours + affinities, iterations) on a
//! matrix file, with process CPU time, for finding where `benches/tsne_vs_opentsne.py`'s
//! time goes.
//!
//! `cargo run --release --no-default-features --example tsne_phases -- FILE [setup]` (`setup`: stop before the iterations)

use std::time::Instant;

use biolens::analysis::tsne::{Tsne, TsneParams};
use biolens::data::{LoadOptions, io::load_matrix};

/// User + system CPU seconds of this process so far (from /proc/self/stat).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: tsne_phases FILE"))?;
    let mut mark = (Instant::now(), cpu_seconds());
    let mut report = |what: &str| {
        let now = (Instant::now(), cpu_seconds());
        println!("{what}: {:.1} s wall, {:.1} CPU-s", (now.0 - mark.0).as_secs_f64(), now.1 - mark.1);
        mark = now;
    };
    let loaded = load_matrix(path.as_ref(), &LoadOptions::default(), &|_, _| {})?;
    let x = loaded.data.dense()?;
    report("load");
    let mut tsne = Tsne::new(x.view(), &TsneParams::default(), None)?;
    report("PCA, neighbours, affinities");
    if std::env::args().nth(2).as_deref() == Some("setup") {
        return Ok(());
    }
    while !tsne.is_done() {
        let info = tsne.step();
        if info.iteration % 125 == 0 {
            let y = tsne.embedding();
            let span = y
                .columns()
                .into_iter()
                .map(|c| c.fold(f64::MIN, |a, &b| a.max(b)) - c.fold(f64::MAX, |a, &b| a.min(b)));
            let span: Vec<String> = span.map(|s| format!("{s:.1}")).collect();
            report(&format!("iterations to {} (span {})", info.iteration, span.join(" × ")));
        }
    }
    Ok(())
}
