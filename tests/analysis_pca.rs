//! PCA against scikit-learn's explained-variance ratios (`sample-data/reference_sklearn_scipy.json`).

mod common;

use biolens::analysis::pca::{PcaParams, PcaSolver, pca};
use common::{SHARED_DATASETS as DATASETS, load, sample};

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(sample("reference_sklearn_scipy.json")).expect("reference file");
    serde_json::from_str(&text).expect("reference JSON")
}

#[test]
fn explained_variance_ratios_match_scikit_learn() {
    let reference = reference();
    for (key, folder, file) in DATASETS {
        let x = load(&sample(&format!("{folder}/{file}"))).data;
        for (variant, scale) in [("pca_evr_centred", false), ("pca_evr_std", true)] {
            let expected: Vec<f64> = reference[key][variant]
                .as_array()
                .unwrap_or_else(|| panic!("no {variant} for {key}"))
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            for solver in [PcaSolver::Exact, PcaSolver::Randomized] {
                let params = PcaParams::new(expected.len()).scale(scale).solver(solver);
                let fit = pca(x.dense().expect("dense").view(), &params, None).unwrap();
                assert!(!expected.is_empty(), "{key} {variant}: empty reference");
                assert_eq!(fit.explained_variance_ratio.len(), expected.len(), "{key} {variant} {solver:?}");
                for (c, (got, want)) in fit.explained_variance_ratio.iter().zip(&expected).enumerate() {
                    assert!(
                        (got - want).abs() <= 1e-4,
                        "{key} {variant} {solver:?} PC{}: {got:.6} vs scikit-learn {want:.6}",
                        c + 1
                    );
                }
            }
        }
    }
}

#[test]
fn results_are_deterministic_for_a_seed_with_fixed_signs() {
    let x = load(&sample("khan_srbct/expression.csv")).data;
    let params = PcaParams::new(10).solver(PcaSolver::Randomized).seed(42);
    let a = pca(x.dense().expect("dense").view(), &params, None).unwrap();
    let b = pca(x.dense().expect("dense").view(), &params, None).unwrap();
    assert_eq!(a, b);
    for c in 0..10 {
        let column = a.loadings.column(c);
        let largest = column.iter().copied().fold(0.0_f64, |m, v| if v.abs() > m.abs() { v } else { m });
        assert!(largest > 0.0, "PC{} sign convention", c + 1);
    }
}
