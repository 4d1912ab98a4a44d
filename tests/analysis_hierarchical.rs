//! Hierarchical clustering against `SciPy`'s `linkage` (`tests/reference/scipy_linkage.json`, made
//! by `tests/reference/linkage.py`).
//!
//! - Every method on iris from `SciPy`'s own `pdist` distances: the whole merge list (ids, heights,
//!   sizes) and the leaf order must be `SciPy`'s.
//! - Every method on iris from Biolens' distances: iris has many ties that differ only by rounding,
//!   and which tied merge comes first changes later merges, so there the clusters at every merge
//!   height are compared instead.
//! - Average linkage on correlation distance for `khan_srbct` (no ties): the whole merge list and
//!   the leaf order, from Biolens' distances.

mod common;

use biolens::analysis::clustering::hierarchical::{Method, Tree, condensed, linkage};
use biolens::analysis::distance::{self, Between, Metric, pairwise};
use common::{load, sample};

/// One case of the reference file.
struct Case {
    dataset: String,
    method: Method,
    metric: Metric,
    /// (left, right, height, size).
    merges: Vec<(usize, usize, f64, usize)>,
    leaves: Vec<usize>,
}

fn reference() -> (Vec<Case>, Vec<f64>) {
    let text = std::fs::read_to_string(sample("../tests/reference/scipy_linkage.json")).expect("reference file");
    let json: serde_json::Value = serde_json::from_str(&text).expect("reference JSON");
    let index = |v: &serde_json::Value| v.as_u64().expect("an index") as usize;
    let cases = json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| Case {
            dataset: case["dataset"].as_str().expect("dataset").to_owned(),
            method: Method::ALL.into_iter().find(|m| m.name() == case["method"]).expect("known method"),
            metric: match case["metric"].as_str() {
                Some("euclidean") => Metric::Euclidean,
                Some("correlation") => Metric::Correlation,
                other => panic!("unexpected metric {other:?}"),
            },
            merges: case["merges"]
                .as_array()
                .expect("merges")
                .iter()
                .map(|m| (index(&m[0]), index(&m[1]), m[2].as_f64().expect("height"), index(&m[3])))
                .collect(),
            leaves: case["leaves"].as_array().expect("leaves").iter().map(index).collect(),
        })
        .collect();
    let iris = json["iris_condensed"].as_array().expect("condensed").iter().map(|v| v.as_f64().expect("f64")).collect();
    (cases, iris)
}

fn our_tree(case: &Case) -> Tree {
    let x = load(&sample(&format!("{}/expression.csv", case.dataset))).data;
    let square = pairwise(x.matrix().dense().expect("dense").view(), Between::Samples, case.metric, None, &mut |_| {})
        .expect("distances");
    linkage(&mut condensed(&square), square.nrows(), case.method).expect("tree")
}

fn assert_same_tree(tree: &Tree, case: &Case) {
    let what = format!("{} {}", case.dataset, case.method.name());
    assert_eq!(tree.merges.len(), case.merges.len(), "{what}");
    for (k, (got, want)) in tree.merges.iter().zip(&case.merges).enumerate() {
        assert!((got.height - want.2).abs() <= 1e-6 * want.2, "{what} merge {k}: {} vs SciPy {}", got.height, want.2);
        assert_eq!((got.left, got.right, got.size), (want.0, want.1, want.3), "{what} merge {k}");
    }
    assert_eq!(tree.leaf_order(), case.leaves, "{what}: leaf order");
}

#[test]
fn iris_distances_are_scipys_bit_for_bit() {
    let (cases, scipy) = reference();
    let case = cases.iter().find(|c| c.dataset == "sklearn_iris").expect("iris case");
    let x = load(&sample(&format!("{}/expression.csv", case.dataset))).data;
    let square =
        pairwise(x.matrix().dense().expect("dense").view(), Between::Samples, Metric::Euclidean, None, &mut |_| {})
            .unwrap();
    let ours = condensed(&square);
    assert_eq!(ours.len(), scipy.len());
    let differing = ours.iter().zip(&scipy).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
    assert_eq!(differing, 0, "iris distances that differ from pdist in any bit");
}

/// Every method reproduces `SciPy`'s whole merge list on iris, ties included.
#[test]
fn iris_trees_are_scipys_for_every_method() {
    let (cases, _) = reference();
    let iris_cases: Vec<&Case> = cases.iter().filter(|c| c.dataset == "sklearn_iris").collect();
    assert_eq!(iris_cases.len(), Method::ALL.len());
    for case in iris_cases {
        assert_same_tree(&our_tree(case), case);
    }
}

/// The top-3 merge heights of average and Ward linkage (Euclidean) on every shared dataset, on the
/// values as they are and standardised (population SD, constant genes left at 0), against
/// `reference_sklearn_scipy.json`.
#[test]
fn top_heights_match_the_shared_reference() {
    let text = std::fs::read_to_string(sample("reference_sklearn_scipy.json")).expect("reference file");
    let reference: serde_json::Value = serde_json::from_str(&text).expect("reference JSON");
    for (name, folder, file) in common::SHARED_DATASETS {
        let entry = &reference[name];
        let x = load(&sample(&format!("{folder}/{file}"))).data.matrix().dense().expect("dense").clone();
        for (tag, matrix) in [("asis", x.clone()), ("std", standardise(&x))] {
            let mut condensed =
                distance::condensed(matrix.view(), Between::Samples, Metric::Euclidean, None, &mut |_| {}).unwrap();
            for method in [Method::Average, Method::Ward] {
                let want: Vec<f64> = entry[format!("linkage_{}_top3_{tag}", method.name())]
                    .as_array()
                    .expect("heights")
                    .iter()
                    .map(|v| v.as_f64().expect("f64"))
                    .collect();
                let tree = linkage(&mut condensed.clone(), matrix.nrows(), method).unwrap();
                let got: Vec<f64> = tree.merges.iter().rev().take(3).map(|m| m.height).collect();
                assert_eq!(got.len(), 3, "{name}");
                for (g, w) in got.iter().zip(&want) {
                    // The reference is rounded to 6 decimals.
                    assert!((g - w).abs() <= 1e-6 * w + 5e-7, "{name} {tag} {}: {got:?} vs {want:?}", method.name());
                }
            }
            condensed.clear();
        }
    }
}

/// (x − mean) / SD per column, SD with ddof 0 and 1 where it is 0 (`reference.py`'s `standardise`).
fn standardise(x: &ndarray::Array2<f64>) -> ndarray::Array2<f64> {
    let mean = x.mean_axis(ndarray::Axis(0)).expect("rows");
    let sd = x.std_axis(ndarray::Axis(0), 0.0).mapv(|s| if s == 0.0 { 1.0 } else { s });
    (x - &mean) / &sd
}

#[test]
fn khan_correlation_average_is_scipys_tree() {
    let (cases, _) = reference();
    let case = cases.iter().find(|c| c.dataset == "khan_srbct").expect("khan case");
    assert_same_tree(&our_tree(case), case);
}
