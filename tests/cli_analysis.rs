//! `biolens pca` and `biolens tsne`: the same analyses, headless.

mod common;

use std::process::Command;

use common::sample;

fn biolens(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_biolens")).args(args).output().expect("run biolens");
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    out
}

#[test]
fn pca_json_and_scores_csv() {
    let m = sample("tissue_gene_expression/expression.csv");
    let dir = tempfile::tempdir().unwrap();
    let scores = dir.path().join("scores.csv");
    let out = biolens(&["pca", m.to_str().unwrap(), "--components", "5", "--out", scores.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["components"], 5);
    let evr: Vec<f64> = v["explained_variance_ratio"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert!((evr[0] - 0.336_206).abs() < 1e-4, "{evr:?}"); // scikit-learn, centred
    let text = std::fs::read_to_string(&scores).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sample_id,PC1,PC2,PC3,PC4,PC5"));
    assert_eq!(lines.clone().count(), 189);
    assert!(lines.next().unwrap().starts_with("cerebellum_1,"));
    // --scale z-scores the genes: standardised PCA.
    let out = biolens(&["pca", m.to_str().unwrap(), "-k", "3", "--scale", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v["explained_variance_ratio"][0].as_f64().unwrap() - 0.201_422).abs() < 1e-4);
    assert_eq!(v["scaled"], true);
}

#[test]
fn tsne_writes_the_embedding() {
    let m = sample("sklearn_iris/expression.csv");
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, gradient: &str| {
        let path = dir.path().join(name);
        let out = biolens(&[
            "tsne",
            "--gradient",
            gradient,
            m.to_str().unwrap(),
            "--perplexity",
            "20",
            "--iterations",
            "300",
            "--seed",
            "3",
            "--out",
            path.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(stdout.contains("550 iterations"), "{stdout}");
        (std::fs::read_to_string(&path).unwrap(), stdout)
    };
    let (text, stdout) = run("embedding.csv", "auto");
    assert!(stdout.contains("Barnes–Hut"), "150 samples use Barnes–Hut: {stdout}");
    assert_eq!(text.lines().next(), Some("sample_id,tSNE1,tSNE2"));
    assert_eq!(text.lines().count(), 151);
    // Seeded: the same command gives the same file.
    assert_eq!(text, run("again.csv", "auto").0);
    // Forced interpolation: also seeded, and a different approximation.
    let (fft, stdout) = run("fft.csv", "fft");
    assert!(stdout.contains("FFT interpolation"), "{stdout}");
    assert_eq!(fft.lines().count(), 151);
    assert_eq!(fft, run("fft_again.csv", "fft").0);
    assert_ne!(fft, text);
}
