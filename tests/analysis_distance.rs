//! Distances: the CPU path against `scipy.spatial.distance.cdist` (`tests/reference/scipy_distances.json`,
//! made by `tests/reference/distances.py`), and the GPU shader against the CPU path on every
//! shared dataset. With `BIOLENS_REQUIRE_GPU=1` (CI sets it; lavapipe is the adapter there)
//! a missing adapter fails the GPU test instead of skipping it.

mod common;

use biolens::analysis::distance::{Between, Metric, pairwise};
use common::{load, sample};

fn metric_named(name: &str) -> Metric {
    match name {
        "euclidean" => Metric::Euclidean,
        "sqeuclidean" => Metric::SqEuclidean,
        "manhattan" => Metric::Manhattan,
        "cosine" => Metric::Cosine,
        "correlation" => Metric::Correlation,
        "spearman" => Metric::Spearman,
        other => panic!("unknown metric {other}"),
    }
}

/// Every metric, both directions, iris and `khan_srbct`: relative error at most 1e-9.
/// `cdist` gives rounding noise (1.1e-16) for some self-distances where ours are exactly 0, so an
/// absolute 1e-15 is allowed on top.
#[test]
fn cpu_matches_scipy_cdist() {
    let text = std::fs::read_to_string(sample("../tests/reference/scipy_distances.json")).expect("reference file");
    let reference: serde_json::Value = serde_json::from_str(&text).expect("reference JSON");
    let mut checked = 0;
    for (name, entry) in reference["datasets"].as_object().expect("datasets") {
        let x = load(&sample(&format!("{name}/expression.csv"))).data;
        for (between_name, between) in [("samples", Between::Samples), ("genes", Between::Genes)] {
            let block = &entry[between_name];
            let pairs = block["pairs"].as_array().expect("pairs");
            for (metric_name, values) in block["distances"].as_object().expect("distances") {
                let metric = metric_named(metric_name);
                let ours = pairwise(x.dense().expect("dense").view(), between, metric, None, &mut |_| {}).unwrap();
                for (pair, want) in pairs.iter().zip(values.as_array().expect("values")) {
                    let (i, j) = (pair[0].as_u64().unwrap() as usize, pair[1].as_u64().unwrap() as usize);
                    let want = want.as_f64().unwrap();
                    let got = ours[[i, j]];
                    assert!(
                        (got - want).abs() <= 1e-9 * want.abs() + 1e-15,
                        "{name} {between_name} {metric_name} [{i},{j}]: {got:e} vs SciPy {want:e}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 9000, "only {checked} distances checked");
}

/// The shader (f32) against the CPU path (f64): relative error at most 1e-4 for every
/// metric, between samples on every shared dataset and between genes on two. Distances
/// that are zero in exact arithmetic come out as rounding noise (iris has samples that are
/// shifted copies, correlation distance 3.9e-34 on the CPU, 0 on the GPU), so values below
/// `ZERO` count as zero.
#[cfg(feature = "gpu")]
#[test]
fn gpu_matches_cpu_on_every_shared_dataset() {
    const ZERO: f64 = 1e-12;
    use biolens::analysis::distance::{pairwise_prepared, prepare};
    use biolens::gpu::Gpu;
    let gpu = match Gpu::headless() {
        Ok(gpu) => gpu,
        Err(err) if std::env::var_os("BIOLENS_REQUIRE_GPU").is_some() => {
            panic!("BIOLENS_REQUIRE_GPU is set but there is no GPU: {err}")
        }
        Err(err) => {
            eprintln!("SKIPPED: no GPU adapter ({err}); set BIOLENS_REQUIRE_GPU=1 to make this a failure");
            return;
        }
    };
    println!("adapter: {}", gpu.label());
    let datasets = ["tissue_gene_expression", "nci60", "khan_srbct", "guo_qpcr", "pbmc68k_reduced", "sklearn_iris"];
    for name in datasets {
        let x = load(&sample(&format!("{name}/expression.csv"))).data;
        let directions: &[Between] = if matches!(name, "sklearn_iris" | "tissue_gene_expression") {
            &[Between::Samples, Between::Genes]
        } else {
            &[Between::Samples]
        };
        for &between in directions {
            for metric in Metric::ALL {
                let prepared = prepare(x.dense().expect("dense").view(), between, metric).unwrap();
                let cpu = pairwise_prepared(&prepared, None, &mut |_| {}).unwrap();
                let gpu_result = gpu.distances(&prepared, None, &mut |_| {}).unwrap();
                let mut worst = 0.0f64;
                for (c, g) in cpu.iter().zip(&gpu_result) {
                    assert!(
                        (g - c).abs() <= 1e-4 * c.abs() + ZERO,
                        "{name} {between:?} {metric:?}: GPU {g:e} vs CPU {c:e}"
                    );
                    if c.abs() > ZERO {
                        worst = worst.max((g - c).abs() / c.abs());
                    }
                }
                println!("{name} {between:?} {metric:?}: worst relative error {worst:.2e}");
            }
        }
    }
}

/// The condensed layout holds exactly the square matrix's upper triangle, for every metric,
/// including a constant row (no direction: distance 1 for the angular metrics).
#[test]
fn condensed_is_the_upper_triangle_of_the_square_matrix() {
    use biolens::analysis::distance::condensed;
    let mut x = load(&sample("khan_srbct/expression.csv"))
        .data
        .matrix()
        .dense()
        .expect("dense")
        .slice(ndarray::s![..40, ..300])
        .to_owned();
    x.row_mut(7).fill(2.5);
    for metric in Metric::ALL {
        for between in [Between::Samples, Between::Genes] {
            let square = pairwise(x.view(), between, metric, None, &mut |_| {}).unwrap();
            let flat = condensed(x.view(), between, metric, None, &mut |_| {}).unwrap();
            let n = square.nrows();
            let mut k = 0;
            for i in 0..n {
                for j in i + 1..n {
                    assert_eq!(flat[k].to_bits(), square[[i, j]].to_bits(), "{metric:?} {between:?} ({i}, {j})");
                    k += 1;
                }
            }
            assert_eq!(k, flat.len());
        }
    }
}
