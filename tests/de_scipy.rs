//! `biolens de` on a bulk table against `SciPy` (`tests/reference/de_reference.json`, written by
//! `tests/reference/de_make.py`): kidney against liver in `tissue_gene_expression`, every gene's
//! Welch t and p-value (`ttest_ind(equal_var=False)`) and Wilcoxon p-value
//! (`mannwhitneyu(method="asymptotic", use_continuity=False)`, tie-corrected) to 1e-9 relative,
//! with Benjamini–Hochberg adjusted p-values.

mod common;

use std::path::Path;

use serde_json::Value;

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().expect("a list").iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
}

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= relative * a.abs().max(b.abs())
}

#[test]
fn welch_and_wilcoxon_equal_scipy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: Value =
        serde_json::from_slice(&std::fs::read(root.join("tests/reference/de_reference.json")).expect("reference"))
            .expect("JSON");
    let data = root.join("sample-data/tissue_gene_expression");
    let (matrix, samples) = (data.join("expression.csv"), data.join("samples.csv"));
    let (matrix, samples) = (matrix.to_str().unwrap(), samples.to_str().unwrap());
    for (method, p_key, adj_key) in
        [("welch", "welch_p", "welch_p_adj"), ("wilcoxon", "mannwhitney_p", "mannwhitney_p_adj")]
    {
        let v = common::biolens_json(&[
            "de",
            matrix,
            "-a",
            samples,
            "--group1",
            "label=kidney",
            "--group2",
            "label=liver",
            "--method",
            method,
            "--json",
        ]);
        assert_eq!((v["n1"].as_u64(), v["n2"].as_u64()), (Some(39), Some(26)));
        assert_eq!(v["genes"], reference["genes"]);
        let (ours, theirs) = (numbers(&v["pval"]), numbers(&reference[p_key]));
        for (j, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!(close(*a, *b, 1e-9), "{method}, gene {j}: p {a} vs SciPy {b}");
        }
        let (ours, theirs) = (numbers(&v["pval_adj"]), numbers(&reference[adj_key]));
        for (j, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!(close(*a, *b, 1e-9), "{method}, gene {j}: adjusted p {a} vs {b}");
        }
        if method == "welch" {
            for (j, (a, b)) in numbers(&v["score"]).iter().zip(numbers(&reference["welch_t"])).enumerate() {
                assert!(close(*a, b, 1e-9), "gene {j}: t {a} vs SciPy {b}");
            }
        }
    }
    // Bad sets exit 1, naming what is wrong.
    let bad = common::biolens(&["de", matrix, "-a", samples, "--group1", "label=kidny"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no value 'kidny'"));
}
