//! t-SNE quality against openTSNE (`sample-data/reference_opentsne.json`): k-NN preservation
//! (k = 10) in the PCA input space, at most 0.03 below openTSNE's on every dataset, with
//! either repulsion method (the shared datasets are all below the 10,000 samples where
//! `Auto` switches to FFT interpolation, so it is forced here).

mod common;

use biolens::analysis::tsne::{TsneGradient, TsneParams, knn_preservation, pca_input, run};
use common::{load, sample};

#[test]
fn knn_preservation_matches_open_tsne() {
    let text = std::fs::read_to_string(sample("reference_opentsne.json")).expect("reference file");
    let reference: serde_json::Value = serde_json::from_str(&text).expect("reference JSON");
    let mut report = Vec::new();
    for (name, entry) in reference.as_object().expect("an object") {
        let x = load(&sample(&format!("{name}/expression.csv"))).data;
        let params = TsneParams::default();
        let input = pca_input(x.dense().expect("dense").view(), &params, None).unwrap();
        assert_eq!(input.ncols() as u64, entry["pca_components"].as_u64().unwrap(), "{name}: PCA input size");
        let theirs = entry["knn_preservation_k10"].as_f64().unwrap();
        for gradient in [TsneGradient::BarnesHut, TsneGradient::Fft] {
            let params = TsneParams { gradient, ..params.clone() };
            let embedding = run(x.dense().expect("dense").view(), &params, None, |_, _| {}).unwrap();
            let ours = knn_preservation(input.view(), embedding.view(), 10);
            report.push(format!("{name} ({}): biolens {ours:.4}, openTSNE {theirs:.4}", gradient.label()));
            assert!(ours >= theirs - 0.03, "{name}: k-NN preservation {ours:.4} vs openTSNE {theirs:.4}\n{report:#?}");
        }
    }
    println!("{report:#?}");
}

/// Both engines against the same bar (openTSNE's k-NN preservation − 0.03), with their
/// difference reported. linfa-tsne follows bhtsne's schedule (learning rate 200, random
/// start); ours follows openTSNE's defaults by design.
#[test]
fn quality_against_linfa_tsne() {
    use biolens::analysis::tsne::TsneEngine;
    let text = std::fs::read_to_string(sample("reference_opentsne.json")).expect("reference file");
    let reference: serde_json::Value = serde_json::from_str(&text).expect("reference JSON");
    for name in ["tissue_gene_expression", "sklearn_iris", "khan_srbct"] {
        let x = load(&sample(&format!("{name}/expression.csv"))).data;
        let params = TsneParams::default();
        let input = pca_input(x.dense().expect("dense").view(), &params, None).unwrap();
        let ours = run(x.dense().expect("dense").view(), &params, None, |_, _| {}).unwrap();
        let linfa_params = TsneParams { engine: TsneEngine::Linfa, ..params };
        let theirs = run(x.dense().expect("dense").view(), &linfa_params, None, |_, _| {}).unwrap();
        assert_eq!(theirs.dim(), (x.dense().expect("dense").nrows(), 2));
        let q_ours = knn_preservation(input.view(), ours.view(), 10);
        let q_linfa = knn_preservation(input.view(), theirs.view(), 10);
        let floor = reference[name]["knn_preservation_k10"].as_f64().unwrap() - 0.03;
        println!("{name}: k-NN preservation biolens {q_ours:.4}, linfa-tsne {q_linfa:.4} (floor {floor:.4})");
        assert!(q_ours >= floor, "{name}: biolens {q_ours:.4} below {floor:.4}");
        assert!(q_linfa >= floor, "{name}: linfa-tsne {q_linfa:.4} below {floor:.4}");
    }
}

/// Small sets (64 and 83 samples), where the learning rate matters most: over five seeds the
/// mean k-NN preservation (k = 10) is at most 0.03 below openTSNE 1.0.4's on the same PCs
/// (`tests/reference/tsne_small_make.py`). With scikit-learn's floor of 200 on the learning
/// rate it was 0.54 against 0.61 on nci60.
#[test]
fn small_sets_keep_as_many_neighbours_as_open_tsne() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/reference/tsne_small_reference.json")).expect("reference");
    let reference: serde_json::Value = serde_json::from_str(&text).expect("reference JSON");
    let mut report = Vec::new();
    for (name, entry) in reference["sets"].as_object().expect("sets") {
        let x = load(&sample(&format!("{name}/expression.csv"))).data;
        let dense = x.dense().expect("dense");
        let mut values = Vec::new();
        for seed in 0..5 {
            let params = TsneParams { seed, ..TsneParams::default() };
            let input = pca_input(dense.view(), &params, None).unwrap();
            let embedding = run(dense.view(), &params, None, |_, _| {}).unwrap();
            values.push(knn_preservation(input.view(), embedding.view(), 10));
        }
        let ours = values.iter().sum::<f64>() / values.len() as f64;
        let theirs = entry["mean"].as_f64().unwrap();
        report.push(format!("{name}: biolens {ours:.4} {values:.3?}, openTSNE {theirs:.4}"));
        assert!(ours >= theirs - 0.03, "{report:#?}");
    }
    println!("{report:#?}");
}
