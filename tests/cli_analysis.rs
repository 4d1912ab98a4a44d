//! `biolens pca`, `tsne` and `distances`: the same analyses, headless.

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
    assert_eq!(v["scaled"], false, "no --standardise: PCA on centred values");
    let evr: Vec<f64> = v["explained_variance_ratio"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert!((evr[0] - 0.336_206).abs() < 1e-4, "{evr:?}"); // scikit-learn, centred
    let text = std::fs::read_to_string(&scores).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sample_id,PC1,PC2,PC3,PC4,PC5"));
    assert_eq!(lines.clone().count(), 189);
    assert!(lines.next().unwrap().starts_with("cerebellum_1,"));
    // --standardise: PCA on z-scores (scikit-learn: StandardScaler then PCA), reported as scaled.
    let out = biolens(&["pca", m.to_str().unwrap(), "-k", "3", "--standardise", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v["explained_variance_ratio"][0].as_f64().unwrap() - 0.201_422).abs() < 1e-4);
    assert_eq!(v["scaled"], true);
    // --scale z-scores the genes in the pipeline first: the same ratios, but PCA itself did
    // not standardise (the z-score shows in `pipeline`).
    let out = biolens(&["pca", m.to_str().unwrap(), "-k", "3", "--scale", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v["explained_variance_ratio"][0].as_f64().unwrap() - 0.201_422).abs() < 1e-4);
    assert_eq!(v["scaled"], false);
    assert_eq!(v["pipeline"], serde_json::json!([{ "step": "z_score" }]));
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

/// Reads a square distance CSV: (ids from the header, rows of values).
fn read_square(path: &std::path::Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).expect("the written CSV");
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().expect("a header").split(',').skip(1).map(str::to_owned).collect();
    let rows = lines.map(|l| l.split(',').skip(1).map(|v| v.parse().expect("a number")).collect()).collect();
    (header, rows)
}

#[test]
fn distances_write_the_square_matrix_and_name_the_device() {
    let m = sample("sklearn_iris/expression.csv");
    let dir = tempfile::tempdir().unwrap();
    let cpu_path = dir.path().join("cpu.csv");
    let out = biolens(&[
        "distances",
        m.to_str().unwrap(),
        "--metric",
        "manhattan",
        "--device",
        "cpu",
        "--out",
        cpu_path.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("device: CPU"));
    let (ids, rows) = read_square(&cpu_path);
    assert_eq!((ids.len(), rows.len()), (150, 150));
    assert_eq!(ids[0], "iris_001");
    assert!(std::fs::read_to_string(&cpu_path).unwrap().starts_with("sample_id,iris_001"));
    for (i, row) in rows.iter().enumerate() {
        assert!(row[i].abs() <= 0.0, "diagonal {i}");
        for (j, v) in row.iter().enumerate() {
            assert_eq!(v.to_bits(), rows[j][i].to_bits(), "[{i},{j}] not symmetric");
        }
    }
    // iris_001 = (5.1, 3.5, 1.4, 0.2), iris_002 = (4.9, 3.0, 1.4, 0.2): |0.2| + |0.5|.
    assert!((rows[0][1] - 0.7).abs() < 1e-12);

    // Between genes: 4 × 4 with gene ids.
    let genes_path = dir.path().join("genes.csv");
    biolens(&["distances", m.to_str().unwrap(), "--between", "genes", "--out", genes_path.to_str().unwrap()]);
    let (gene_ids, gene_rows) = read_square(&genes_path);
    assert_eq!((gene_ids.len(), gene_rows.len()), (4, 4));
    assert!(std::fs::read_to_string(&genes_path).unwrap().starts_with("gene_id,sepal_length"));

    // The GPU path gives the same matrix to f32 precision (lavapipe in CI).
    let gpu_path = dir.path().join("gpu.csv");
    let gpu = Command::new(env!("CARGO_BIN_EXE_biolens"))
        .args(["distances", m.to_str().unwrap(), "--metric", "manhattan", "--device", "gpu", "--out"])
        .arg(&gpu_path)
        .output()
        .unwrap();
    if !gpu.status.success() {
        let stderr = String::from_utf8_lossy(&gpu.stderr);
        assert!(std::env::var_os("BIOLENS_REQUIRE_GPU").is_none(), "GPU required: {stderr}");
        eprintln!("SKIPPED the GPU half: {stderr}");
        return;
    }
    assert!(String::from_utf8_lossy(&gpu.stderr).contains("device: GPU: "));
    let (gpu_ids, gpu_rows) = read_square(&gpu_path);
    assert_eq!((gpu_ids, gpu_rows.len()), (ids, rows.len()));
    for (a, b) in rows.iter().flatten().zip(gpu_rows.iter().flatten()) {
        assert!((a - b).abs() <= 1e-4 * a.abs() + 1e-12, "{a} vs {b}");
    }
}

/// `biolens autoencoder`: the code CSV (one row per sample, AE1/AE2), the history CSV (one row
/// per epoch), the JSON (device, epochs, losses, and the comparison with PCA), the same code
/// from the same seed, and clear refusals.
#[test]
fn autoencoder_writes_the_code_history_and_comparison() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, history) = (dir.path().join("code.csv"), dir.path().join("history.csv"));
    let m = sample("khan_srbct/expression.csv");
    let args = |out: &std::path::Path| -> Vec<String> {
        [
            "autoencoder",
            m.to_str().expect("path"),
            "--hidden",
            "64",
            "--epochs",
            "30",
            "--device",
            "cpu",
            "--out",
            out.to_str().expect("path"),
            "--history-out",
            history.to_str().expect("path"),
            "--compare-pca",
            "--json",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    let first = args(&code);
    let out = biolens(&first.iter().map(String::as_str).collect::<Vec<_>>());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["device"], "CPU (burn flex)");
    assert_eq!(json["epochs_trained"], 30);
    assert_eq!(json["network"], "autoencoder 64-2 ReLU");
    assert_eq!(json["samples"], 83);
    let c = &json["comparison"];
    for key in ["autoencoder", "pca", "reconstruction", "pca_reconstruction"] {
        assert!(c[key].as_f64().is_some_and(f64::is_finite), "{key}: {json}");
    }
    assert_eq!(c["k"], 15);
    let text = std::fs::read_to_string(&code).expect("code");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "sample_id,AE1,AE2");
    assert_eq!(lines.len(), 84);
    let hist = std::fs::read_to_string(&history).expect("history");
    assert_eq!(hist.lines().next(), Some("epoch,train_loss,val_loss,kl,seconds"));
    assert_eq!(hist.lines().count(), 31);
    // The same seed gives the same code.
    let again = dir.path().join("again.csv");
    let _ = biolens(&args(&again).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(std::fs::read_to_string(&again).expect("again"), text);
    // The code is a matrix like any other: cluster it.
    let clusters = dir.path().join("clusters.csv");
    let _ = biolens(&[
        "cluster",
        code.to_str().expect("path"),
        "--samples-in-rows",
        "--method",
        "kmeans",
        "--k",
        "4",
        "--out",
        clusters.to_str().expect("path"),
    ]);
    assert_eq!(std::fs::read_to_string(&clusters).expect("clusters").lines().count(), 84);
    // A decoder of its own.
    let own = dir.path().join("own.csv");
    let out = biolens(&[
        "autoencoder",
        m.to_str().expect("path"),
        "--hidden",
        "64",
        "--decoder",
        "16,128",
        "--epochs",
        "5",
        "--device",
        "cpu",
        "--out",
        own.to_str().expect("path"),
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["network"], "autoencoder 64-2-16-128 ReLU");
    // Refusals name the problem.
    let bad = Command::new(env!("CARGO_BIN_EXE_biolens"))
        .args(["autoencoder", m.to_str().expect("path"), "--code", "0", "--out", code.to_str().expect("path")])
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("the code needs at least one unit"));
    let bad = Command::new(env!("CARGO_BIN_EXE_biolens"))
        .args(["autoencoder", m.to_str().expect("path"), "--dropout", "0.2", "--out", code.to_str().expect("path")])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--dropout"));
}
