//! `biolens regress`: the coefficients and CV R² of scikit-learn (`tests/reference/
//! sklearn_regress.json`) through the command line, the regularisation path and predictions as
//! CSV, the regression figures of `biolens plot`, a session's regression through `biolens run`
//! and its script, and clear refusals.

mod common;

use common::{biolens, biolens_json, sample};

fn reference(key: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(sample("../tests/reference/sklearn_regress.json")).expect("reference");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    json["problems"][key].clone()
}

fn iris() -> (String, String) {
    (
        sample("sklearn_iris/expression.csv").display().to_string(),
        sample("sklearn_iris/samples.csv").display().to_string(),
    )
}

#[test]
fn lasso_json_has_scikit_learns_coefficients_and_r2() {
    let (matrix, annotations) = iris();
    let entry = reference("iris_petal_width");
    let alpha = entry["alpha"].as_f64().unwrap().to_string();
    let json = biolens_json(&[
        "regress",
        &matrix,
        "--annotations",
        &annotations,
        "--target-gene",
        "petal_width_(cm)",
        "--model",
        "lasso",
        "--alpha",
        &alpha,
        "--json",
    ]);
    let want = &entry["coefficients"]["lasso"];
    let genes = ["sepal_length_(cm)", "sepal_width_(cm)", "petal_length_(cm)"];
    let scale = want["coef"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap().abs()).fold(0.0, f64::max);
    for (g, w) in genes.iter().zip(want["coef"].as_array().unwrap()) {
        let ours = json["coefficients"][g].as_f64().unwrap_or_else(|| panic!("coefficient of {g}: {json}"));
        assert!((ours - w.as_f64().unwrap()).abs() <= 1e-6 * scale, "{g}: {ours} vs {w}");
    }
    let intercept = json["intercept"].as_f64().unwrap();
    assert!((intercept - want["intercept"].as_f64().unwrap()).abs() < 1e-6);
    assert_eq!(json["coefficients"].as_object().unwrap().len(), 3, "the target gene left the features");
    // CV R² with the same folds, unscaled as the reference's coefficients are: scikit-learn's
    // pipeline scales, so compare `--scale` runs.
    let scaled = biolens_json(&[
        "regress",
        &matrix,
        "--annotations",
        &annotations,
        "--target-gene",
        "petal_width_(cm)",
        "--model",
        "lasso",
        "--alpha",
        &alpha,
        "--scale",
        "--json",
    ]);
    let folds: Vec<f64> = entry["cv_r2"]["lasso"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let theirs = folds.iter().sum::<f64>() / 5.0;
    assert!((scaled["r2_mean"].as_f64().unwrap() - theirs).abs() < 1e-9, "{scaled}");
    for key in ["r2_sd", "rmse_mean", "mae_mean", "median_ae_mean"] {
        assert!(scaled[key].as_f64().is_some(), "{key}");
    }
}

#[test]
fn path_and_predictions_are_written_as_csv() {
    let (matrix, annotations) = iris();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("path.csv");
    let predictions = dir.path().join("predictions.csv");
    let json = biolens_json(&[
        "regress",
        &matrix,
        "--annotations",
        &annotations,
        "--target-gene",
        "petal_width_(cm)",
        "--model",
        "lasso",
        "--alpha",
        "0.01",
        "--repeats",
        "2",
        "--path-out",
        path.to_str().unwrap(),
        "--predictions-out",
        predictions.to_str().unwrap(),
        "--json",
    ]);
    let p = &json["path"];
    assert!(p["alpha_1se"].as_f64().unwrap() >= p["alpha_min"].as_f64().unwrap());
    assert!(p["nonzero_1se"].as_u64().unwrap() <= p["nonzero_min"].as_u64().unwrap());
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("alpha,gene,coefficient"));
    let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(str::to_owned).collect()).collect();
    assert_eq!(rows.len(), 100 * 3, "100 α × 3 genes");
    assert!(rows[..3].iter().all(|r| r[2].parse::<f64>().unwrap() == 0.0), "the largest α zeroes everything");
    let text = std::fs::read_to_string(&predictions).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sample_id,repeat,fold,true,predicted,residual"));
    let rows: Vec<Vec<f64>> =
        lines.map(|l| l.split(',').skip(1).map(|v| v.parse().unwrap()).collect::<Vec<f64>>()).collect();
    assert_eq!(rows.len(), 300, "150 samples × 2 repeats");
    assert!(rows.iter().all(|r| (r[2] - r[3] - r[4]).abs() < 1e-9), "residual = true − predicted");
    assert_eq!(rows.iter().filter(|r| r[0].round() as i64 == 1).count(), 150, "the second repeat");
}

#[test]
fn every_model_runs_from_the_command_line() {
    let (matrix, annotations) = iris();
    for model in ["ols", "ridge", "elasticnet", "robust", "knn", "tree", "rf", "svr-linear", "svr-rbf", "baseline"] {
        let json = biolens_json(&[
            "regress",
            &matrix,
            "--annotations",
            &annotations,
            "--target-gene",
            "petal_width_(cm)",
            "--model",
            model,
            "--alpha",
            "0.01",
            "--scale",
            "--json",
        ]);
        let r2 = json["r2_mean"].as_f64().unwrap();
        if model == "baseline" {
            assert!(r2 < 0.0, "{model}: {r2}");
        } else {
            assert!(r2 > 0.85, "{model}: {r2}");
        }
    }
    // Leave-one-out pools the predictions; a hold-out split and polynomial features.
    let loo = biolens_json(&[
        "regress",
        &matrix,
        "--annotations",
        &annotations,
        "--target-gene",
        "petal_width_(cm)",
        "--model",
        "ols",
        "--loo",
        "--json",
    ]);
    assert_eq!(loo["folds"], 150);
    assert!(loo["notices"].to_string().contains("pooled"));
    let poly = biolens_json(&[
        "regress",
        &matrix,
        "--annotations",
        &annotations,
        "--target-gene",
        "petal_width_(cm)",
        "--model",
        "ridge",
        "--polynomial",
        "--holdout",
        "0.3",
        "--scale",
        "--json",
    ]);
    assert_eq!(poly["folds"], 1);
    assert!(poly["coefficients"].is_null(), "products are not genes: no per-gene coefficients");
}

#[test]
fn bad_targets_and_options_are_refused_clearly() {
    let (matrix, annotations) = iris();
    let run = |extra: &[&str]| {
        let mut args = vec!["regress", matrix.as_str(), "--annotations", annotations.as_str()];
        args.extend_from_slice(extra);
        let out = biolens(&args);
        assert!(!out.status.success(), "{extra:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(run(&["--target", "label", "--model", "ols"]).contains("holds classes"));
    assert!(run(&["--target", "nope", "--model", "ols"]).contains("no annotation 'nope'"));
    assert!(run(&["--target-gene", "nope", "--model", "ols"]).contains("no gene 'nope'"));
    let err = run(&["--target-gene", "petal_width_(cm)", "--model", "knn", "--path-out", "/tmp/x.csv"]);
    assert!(err.contains("--path-out needs"), "{err}");
    // Polynomial features of 2,307 genes: refused, with what to do.
    let khan = sample("khan_srbct/expression.csv").display().to_string();
    let out = biolens(&["regress", &khan, "--target-gene", "V1", "--model", "ridge", "--polynomial"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("at most 30 genes"), "{err}");
}

#[test]
fn plot_draws_the_regression_views() {
    let (matrix, annotations) = iris();
    let dir = tempfile::tempdir().unwrap();
    for (view, extra) in [
        ("predicted", vec!["--colour-by", "label"]),
        ("residuals", vec![]),
        ("path", vec![]),
        ("path", vec!["--cv-error"]),
        ("learning-curve", vec!["--r2"]),
    ] {
        let out = dir.path().join(format!("{view}{}.svg", extra.len()));
        let mut args = vec![
            "plot",
            view,
            matrix.as_str(),
            "--annotations",
            annotations.as_str(),
            "--target-gene",
            "petal_width_(cm)",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra.iter().copied());
        let run = biolens(&args);
        assert!(run.status.success(), "{view}: {}", String::from_utf8_lossy(&run.stderr));
        let svg = std::fs::read_to_string(&out).unwrap();
        assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{view}");
        let label = match view {
            "predicted" => "true gene petal_width_(cm)",
            "residuals" => "residual",
            "path" if extra.is_empty() => "coefficient",
            "path" => "CV mean squared error",
            _ => "training samples",
        };
        assert!(svg.contains(label), "{view}: '{label}' in the figure");
        // Coloured only when asked, the legend headed by the annotation's name.
        assert_eq!(svg.contains(">label</text>"), !extra.is_empty() && view == "predicted", "{view}");
    }
}

#[test]
fn a_sessions_regression_runs_and_its_script_matches() {
    use biolens::session::{DataSource, FileRef, Session};
    let dir = tempfile::tempdir().unwrap();
    let matrix = dir.path().join("iris.csv");
    let annotations = dir.path().join("iris_samples.csv");
    std::fs::copy(sample("sklearn_iris/expression.csv"), &matrix).unwrap();
    std::fs::copy(sample("sklearn_iris/samples.csv"), &annotations).unwrap();
    let data = DataSource {
        matrix: FileRef::of(&matrix).unwrap(),
        annotations: vec![FileRef::of(&annotations).unwrap()],
        orientation: None,
        choice: biolens::data::MatrixChoice::default(),
        name: None,
        group_means: None,
    };
    let mut s = Session::new(data, biolens::data::Pipeline::default());
    s.views.tsne.params.iterations = 50;
    let r = &mut s.views.classify.regress;
    r.target = Some(biolens::recipes::regress::RegressTarget::Gene("petal_width_(cm)".into()));
    r.models = vec![
        (true, biolens::analysis::regress::Regressor::Ridge { alpha: 0.5 }),
        (false, biolens::analysis::regress::Regressor::Ols),
        (true, biolens::analysis::regress::Regressor::lasso(0.01)),
    ];
    r.selected = 1;
    s.views.classify.regress_ran = true;
    let session = dir.path().join("s.biolens.json");
    s.save(&session).unwrap();
    let out = dir.path().join("out");
    let run = biolens(&["run", session.to_str().unwrap(), "--out-dir", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for file in [
        "regress_ridge.json",
        "regress_lasso.json",
        "regress_lasso_predictions.csv",
        "predicted_lasso.svg",
        "residuals_lasso.svg",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let script = biolens(&["run", session.to_str().unwrap(), "--script"]);
    assert!(script.status.success());
    let script_path = dir.path().join("session.sh");
    std::fs::write(&script_path, &script.stdout).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_biolens")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let by_script = dir.path().join("by_script");
    let sh = std::process::Command::new("sh").arg(&script_path).arg(&by_script).env("PATH", path).output().unwrap();
    assert!(sh.status.success(), "{}", String::from_utf8_lossy(&sh.stderr));
    for name in ["regress_lasso_predictions.csv", "predicted_lasso.svg", "residuals_lasso.svg"] {
        assert_eq!(std::fs::read(out.join(name)).unwrap(), std::fs::read(by_script.join(name)).unwrap(), "{name}");
    }
}
