//! `biolens info`: the same loading code, headless.

mod common;

use std::process::Command;

use common::{sample, write_temp};

fn biolens(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_biolens")).args(args).output().expect("run biolens")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = biolens(args);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn info_json_has_the_documented_keys() {
    let m = sample("khan_srbct/expression.csv");
    let a = sample("khan_srbct/samples.csv");
    let v = json(&["info", m.to_str().unwrap(), "--annotations", a.to_str().unwrap(), "--json"]);
    assert_eq!(v["samples"], 83);
    assert_eq!(v["genes"], 2308);
    assert_eq!(v["orientation"], "samples_in_rows");
    assert_eq!(v["missing"], 0);
    let annotations = v["annotations"].as_array().unwrap();
    let label = annotations.iter().find(|a| a["name"] == "label").unwrap();
    assert_eq!(label["kind"], "categorical");
    assert_eq!(label["levels"][1], serde_json::json!(["2", 29]));
    assert!(v["value_min"].as_f64().unwrap() < v["value_max"].as_f64().unwrap());
}

#[test]
fn info_orientation_flags_and_preprocessing() {
    let m = sample("tissue_gene_expression/expression_genes_x_samples.csv");
    let path = m.to_str().unwrap();
    let detected = json(&["info", path, "--json"]);
    assert_eq!(detected["orientation"], "genes_in_rows");
    assert_eq!((detected["samples"].as_u64(), detected["genes"].as_u64()), (Some(189), Some(500)));
    let forced = json(&["info", path, "--samples-in-rows", "--json"]);
    assert_eq!((forced["samples"].as_u64(), forced["genes"].as_u64()), (Some(500), Some(189)));
    let top = json(&["info", path, "--log2", "--top-genes", "20", "--scale", "--json"]);
    assert_eq!(top["genes"], 20);
    assert_eq!(top["pipeline"].as_array().unwrap().len(), 3);
}

#[test]
fn a_guess_from_the_shape_alone_is_said_at_once() {
    // Iris without the id column's name: 150 rows × 4 numeric columns, nothing but the shape
    // to go by, so it reads as genes in rows (and is wrong).
    let iris = std::fs::read_to_string(sample("sklearn_iris/expression.csv")).unwrap();
    let (_dir, path) = write_temp("iris.csv", iris.replacen("sample_id,", ",", 1).as_bytes());
    let path = path.to_str().unwrap();
    let v = json(&["info", path, "--json"]);
    assert_eq!(v["orientation"], "genes_in_rows");
    assert_eq!(v["orientation_by_shape"], true);
    let note = v["notes"][0].as_str().unwrap();
    assert!(note.contains("guessed from the shape alone (150 rows × 4 columns"), "{note}");
    assert!(note.contains("if rows are samples, give --samples-in-rows"), "{note}");
    // In the text, right under the orientation.
    let out = biolens(&["info", path]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("orientation")).unwrap();
    assert!(lines[at + 1].starts_with("note") && lines[at + 1].contains("--samples-in-rows"), "{text}");
    // The flag settles it; so does a named id column.
    let forced = json(&["info", path, "--samples-in-rows", "--json"]);
    assert_eq!((forced["samples"].as_u64(), forced["orientation_by_shape"].as_bool()), (Some(150), Some(false)));
    assert!(forced["notes"].as_array().unwrap().iter().all(|n| !n.as_str().unwrap().contains("shape alone")));
    let named = json(&["info", sample("sklearn_iris/expression.csv").to_str().unwrap(), "--json"]);
    assert_eq!(named["orientation_by_shape"], false);
    // A wide table guessed the other way points to the other flag.
    let (_dir2, wide) = write_temp("wide.csv", b",g1,g2,g3\ns1,1,2,3\ns2,4,5,7\n");
    let v = json(&["info", wide.to_str().unwrap(), "--json"]);
    assert_eq!((v["orientation"].as_str(), v["orientation_by_shape"].as_bool()), (Some("samples_in_rows"), Some(true)));
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap()
            .contains("(2 rows × 3 columns, read as samples in rows): if rows are genes, give --genes-in-rows")
    );
}

#[test]
fn info_text_output_is_readable() {
    let m = sample("nci60/expression.tsv.gz");
    let out = biolens(&["info", m.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("gzipped TSV"), "{text}");
    assert!(text.contains("samples      64"), "{text}");
    assert!(text.contains("genes        6830"), "{text}");
}

#[test]
fn errors_exit_1_with_one_line_on_stderr() {
    let (_d, path) = write_temp("bad.csv", b"sample_id,g1\na,1\nb,x\n");
    let out = biolens(&["info", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.csv, line 3, column 2 ('g1')"), "{err}");
    let missing = biolens(&["info", "/no/such/file.csv"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("file not found"));
}

#[test]
fn subsample_keeps_that_many_samples_the_same_for_every_run() {
    let m = sample("khan_srbct/expression.csv");
    let args = ["info", m.to_str().unwrap(), "--subsample", "20", "--json"];
    let v = json(&args);
    assert_eq!(v["samples"], 20);
    assert_eq!(v["pipeline"][0]["step"], "subsample");
    assert!(v["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("20 of 83 samples kept")));
    let scores = |dir: &std::path::Path| {
        let out = dir.join("s.csv");
        let pca = biolens(&["pca", m.to_str().unwrap(), "--subsample", "20", "--out", out.to_str().unwrap()]);
        assert!(pca.status.success(), "{}", String::from_utf8_lossy(&pca.stderr));
        std::fs::read_to_string(out).unwrap()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert_eq!(scores(a.path()), scores(b.path()), "seeded: the same samples every run");
}
