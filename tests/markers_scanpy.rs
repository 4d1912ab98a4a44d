//! Marker genes against scanpy's `rank_genes_groups` on `pbmc68k_reduced` (`raw.X`, grouped by
//! `bulk_labels`; `tests/reference/markers_reference.json`, written by
//! `tests/reference/markers_make.py`): for every configuration and group, scanpy's top 100 genes
//! in its order, with scores and p-values equal to 1e-6 relative, adjusted p-values and log2
//! fold changes too.

mod common;

use std::path::Path;

use biolens::analysis::markers::MarkerMethod;
use biolens::data::{self, MatrixChoice, OpenRequest};
use biolens::recipes::markers::{MarkerSettings, run};
use serde_json::Value;

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a - b).abs() <= relative * a.abs().max(b.abs()) || (a - b).abs() < 1e-12
}

/// `pbmc68k_reduced`'s `raw.X` (log1p of normalised counts), as scanpy ranks it by default.
fn pbmc_raw() -> biolens::data::Dataset {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let request = OpenRequest {
        matrix: root.join("sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad"),
        load: data::LoadOptions {
            choice: MatrixChoice { use_raw: true, ..MatrixChoice::default() },
            ..Default::default()
        },
        ..OpenRequest::default()
    };
    data::open(&request, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_configuration_equals_scanpy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: Value = serde_json::from_slice(
        &std::fs::read(root.join("tests/reference/markers_reference.json")).expect("the reference"),
    )
    .expect("JSON");
    let dataset = pbmc_raw();
    assert_eq!((dataset.n_samples(), dataset.n_genes()), (700, 765));
    let configs = [
        ("wilcoxon", MarkerMethod::Wilcoxon, false, None),
        ("wilcoxon_tie_correct", MarkerMethod::Wilcoxon, true, None),
        ("t-test", MarkerMethod::TTest, false, None),
        ("t-test_overestim_var", MarkerMethod::TTestOverestimVar, false, None),
        ("wilcoxon_vs_reference", MarkerMethod::Wilcoxon, false, Some("CD19+ B")),
        ("t-test_vs_reference", MarkerMethod::TTest, false, Some("CD19+ B")),
    ];
    for (key, method, tie_correct, reference_group) in configs {
        let settings = MarkerSettings {
            groupby: Some("bulk_labels".into()),
            method,
            tie_correct,
            reference: reference_group.map(str::to_owned),
            n_genes: 100,
            dendrogram: false,
        };
        let ours = run(&dataset, &settings, biolens::recipes::Ctx::silent()).unwrap_or_else(|e| panic!("{key}: {e}"));
        let theirs = reference["configs"][key]["groups"].as_object().expect("groups");
        assert_eq!(ours.groups.len(), theirs.len(), "{key}: groups");
        for g in &ours.groups {
            let name = &ours.levels[g.group];
            let t = &theirs[name.as_str()];
            let names: Vec<&str> = t["names"].as_array().expect("names").iter().map(|v| v.as_str().unwrap()).collect();
            let number = |field: &str, k: usize| t[field][k].as_f64().unwrap_or(f64::NAN);
            for (k, gene) in names.iter().enumerate() {
                let j = ours.genes.iter().position(|id| id == gene).unwrap_or_else(|| panic!("{gene}"));
                let at = format!("{key}, {name}, rank {k}, {gene}");
                // scanpy stores scores and fold changes as float32.
                let fields = [
                    ("scores", &g.scores, 1e-6),
                    ("pvals", &g.pvals, 1e-6),
                    ("pvals_adj", &g.pvals_adj, 1e-6),
                    ("logfoldchanges", &g.logfoldchanges, 1e-5),
                ];
                for (field, values, tolerance) in fields {
                    let (a, b) = (values[j], number(field, k));
                    assert!(close(a, b, tolerance), "{at}: {field} {a} vs {b}");
                }
                // Our order: where scanpy's scores differ, so do our ranks.
                let ours_at = g.order.iter().position(|&i| i == j).expect("ranked");
                let tied = (0..names.len()).any(|m| {
                    m != k
                        && (number("scores", m) - number("scores", k)).abs()
                            < 1e-6 * number("scores", k).abs().max(1e-12)
                });
                assert!(tied || ours_at == k, "{at}: our rank {ours_at}");
            }
        }
    }
}

#[test]
fn the_command_line_writes_scanpys_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("markers.csv");
    let done = common::biolens(&[
        "markers",
        file.to_str().unwrap(),
        "--use-raw",
        "--groupby",
        "bulk_labels",
        "--n-genes",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let table = std::fs::read_to_string(&out).expect("written");
    let mut lines = table.lines();
    assert_eq!(lines.next(), Some("group,rank,gene,score,logfoldchange,pval,pval_adj"));
    assert_eq!(lines.count(), 10 * 3);
    assert!(table.contains("\"CD4+/CD25 T Reg\",1,CD3D,") || table.contains("CD4+/CD25 T Reg,1,CD3D,"), "{table}");
    // A numeric grouping exits 1, saying why.
    let bad = common::biolens(&["markers", file.to_str().unwrap(), "--use-raw", "--groupby", "percent_mito"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("numeric"), "{}", String::from_utf8_lossy(&bad.stderr));
}

/// `sc.tl.dendrogram(adata, "bulk_labels")` on the stored (float32) `X_pca`: the same
/// correlations (to 1e-7) and merge heights (1e-6 relative; scanpy averages in float32),
/// the same group order; and the dot plot's numbers (fraction of cells above 0, mean
/// of `raw.X` per group) equal scanpy's for five genes.
#[test]
fn the_dendrogram_and_dot_plot_equal_scanpys() {
    use biolens::recipes::markers::{MarkerPlot, MarkerPlotSettings, plot_data};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: Value = serde_json::from_slice(
        &std::fs::read(root.join("tests/reference/markers_reference.json")).expect("the reference"),
    )
    .expect("JSON");
    let dataset = pbmc_raw();
    let settings = MarkerSettings { groupby: Some("bulk_labels".into()), ..MarkerSettings::default() };
    let markers = run(&dataset, &settings, biolens::recipes::Ctx::silent()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(markers.tree_from, "the stored X_pca");
    assert_eq!(markers.caution, None, "raw.X is log1p data");
    let tree = markers.tree.as_ref().expect("a dendrogram");
    let order: Vec<&str> = tree.order.iter().map(|&g| markers.levels[g].as_str()).collect();
    let theirs: Vec<&str> = reference["dendrogram"]["categories_ordered"]
        .as_array()
        .expect("order")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(order, theirs, "{:?}", tree.tree.merges);
    let heights: Vec<f64> = tree.tree.merges.iter().map(|m| m.height).collect();
    for (ours, theirs) in heights.iter().zip(reference["dendrogram"]["linkage_heights"].as_array().unwrap()) {
        assert!(close(*ours, theirs.as_f64().unwrap(), 1e-6), "heights {heights:?}");
    }
    for (i, row) in reference["dendrogram"]["correlation_matrix"].as_array().unwrap().iter().enumerate() {
        for (j, r) in row.as_array().unwrap().iter().enumerate() {
            assert!((tree.correlation[i][j] - r.as_f64().unwrap()).abs() < 1e-7, "r[{i}][{j}]");
        }
    }
    let genes: Vec<String> =
        reference["dotplot"]["genes"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    let plot = MarkerPlotSettings { kind: MarkerPlot::Dotplot, genes: genes.clone(), ..MarkerPlotSettings::default() };
    let data = plot_data(&dataset, &markers, &plot).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(data.row_names, theirs, "rows in dendrogram order");
    assert_eq!(data.genes, genes);
    for (r, name) in data.row_names.iter().enumerate() {
        for k in 0..genes.len() {
            let f = reference["dotplot"]["fraction"][name.as_str()][k].as_f64().unwrap();
            let m = reference["dotplot"]["mean"][name.as_str()][k].as_f64().unwrap();
            assert!((data.fraction[r][k] - f).abs() < 1e-12, "{name} {}: fraction", genes[k]);
            assert!(close(data.mean[r][k], m, 1e-6), "{name} {}: mean {} vs {m}", genes[k], data.mean[r][k]);
        }
    }
    // The tree drawn beside the rows has its leaves in row order.
    assert_eq!(data.tree.as_ref().expect("tree").leaf_order(), (0..data.rows.len()).collect::<Vec<_>>());
}

/// Each group's top markers become the columns under a bracket naming the group; every plot
/// builds a figure with one mark per group and gene, and writes an SVG.
#[test]
fn marker_plots_show_each_groups_top_genes() {
    use biolens::export::figure::{Mark, Size, Style, Units, figure_svg};
    use biolens::export::marker_plots::marker_figure;
    use biolens::recipes::markers::{MarkerPlot, MarkerPlotSettings, plot_data};
    let dataset = pbmc_raw();
    let settings = MarkerSettings { groupby: Some("bulk_labels".into()), ..MarkerSettings::default() };
    let markers = run(&dataset, &settings, biolens::recipes::Ctx::silent()).unwrap_or_else(|e| panic!("{e}"));
    let plot = MarkerPlotSettings { genes_per_group: 3, ..MarkerPlotSettings::default() };
    let data = plot_data(&dataset, &markers, &plot).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(data.columns.len(), 30);
    assert_eq!(data.brackets.len(), 10);
    for (name, a, b) in &data.brackets {
        let g = markers.levels.iter().position(|l| l == name).unwrap();
        let stats = markers.groups.iter().find(|s| s.group == g).unwrap();
        assert_eq!(&data.columns[*a..*b], &stats.order[..3], "{name}");
    }
    // Brackets follow the rows' (dendrogram) order.
    let bracket_order: Vec<&str> = data.brackets.iter().map(|b| b.0.as_str()).collect();
    assert_eq!(bracket_order, data.row_names.iter().map(String::as_str).collect::<Vec<_>>());
    let size = Size { width: 1200.0, height: 700.0, units: Units::Px, dpi: 300.0 };
    for kind in MarkerPlot::ALL {
        let fig = marker_figure(&data, kind, false, kind.title());
        let cells = match kind {
            MarkerPlot::Dotplot => {
                fig.marks.iter().find_map(|m| if let Mark::Dots(d) = m { Some(d.len()) } else { None })
            }
            MarkerPlot::Matrixplot => {
                fig.marks.iter().find_map(|m| if let Mark::Rects(r) = m { Some(r.len()) } else { None })
            }
            MarkerPlot::Violin => Some(fig.marks.iter().filter(|m| matches!(m, Mark::Polygon { .. })).count()),
            MarkerPlot::Heatmap => {
                fig.marks.iter().find_map(|m| if let Mark::Raster(r) = m { Some(r.width as usize * 10) } else { None })
            }
        };
        assert_eq!(cells, Some(300), "{kind:?}");
        let svg = figure_svg(&fig, &size, &Style::for_size(size.pixels()));
        assert!(svg.contains(&data.genes[0]) && svg.contains("CD19+ B"), "{kind:?}: names drawn");
    }
}

/// `biolens plot dotplot|matrixplot|violin|marker-heatmap|volcano|umap` write figures; a marker
/// plot without `--groupby` exits 1 saying what is missing.
#[test]
fn the_command_line_draws_marker_plots_and_volcanos() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad");
    let file = file.to_str().unwrap();
    let dir = tempfile::tempdir().expect("temp dir");
    for view in ["dotplot", "matrixplot", "violin", "marker-heatmap"] {
        let out = dir.path().join(format!("{view}.svg"));
        let done = common::biolens(&[
            "plot",
            view,
            file,
            "--use-raw",
            "--groupby",
            "bulk_labels",
            "--genes-per-group",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(done.status.success(), "{view}: {}", String::from_utf8_lossy(&done.stderr));
        let svg = std::fs::read_to_string(&out).expect("written");
        assert!(svg.contains("CD79A") && svg.contains("Dendritic"), "{view}: genes and groups named");
        assert!(String::from_utf8_lossy(&done.stdout).contains("20 genes × 10 groups"), "{view}");
    }
    let out = dir.path().join("volcano.png");
    let done = common::biolens(&[
        "plot",
        "volcano",
        file,
        "--use-raw",
        "--group1",
        "bulk_labels=CD19+ B",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert!(std::fs::read(&out).expect("written").starts_with(b"\x89PNG"));
    assert!(String::from_utf8_lossy(&done.stdout).contains("95 samples against 605"));
    let bad = common::biolens(&["plot", "dotplot", file, "--out", dir.path().join("x.svg").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--groupby"), "{}", String::from_utf8_lossy(&bad.stderr));
}
