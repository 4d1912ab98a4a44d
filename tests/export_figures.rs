//! Figures (`biolens plot`): the SVG parses (usvg) with the asked width and height attributes and
//! one mark per sample; the PNG has exactly the asked pixel size; the same figure exported twice
//! is byte-identical.

mod common;

use std::process::Command;

use common::sample;

fn plot(args: &[&str], out: &std::path::Path) -> Vec<u8> {
    let m = sample("tissue_gene_expression/expression.csv");
    let a = sample("tissue_gene_expression/samples.csv");
    let mut all = vec![
        "plot",
        args[0],
        m.to_str().expect("path"),
        "-a",
        a.to_str().expect("path"),
        "--out",
        out.to_str().expect("path"),
    ];
    all.extend_from_slice(&args[1..]);
    let status = Command::new(env!("CARGO_BIN_EXE_biolens")).args(&all).output().expect("run biolens");
    assert!(status.status.success(), "stderr: {}", String::from_utf8_lossy(&status.stderr));
    std::fs::read(out).expect("the figure")
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG signature");
    let be = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (be(16), be(20))
}

#[test]
fn svg_has_the_asked_size_and_one_mark_per_sample() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pca.svg");
    let svg = String::from_utf8(plot(
        &["pca", "--color-by", "label", "--width", "89", "--height", "70", "--units", "mm"],
        &out,
    ))
    .unwrap();
    let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).expect("the SVG parses");
    // usvg reads the physical size at its 96 dpi: 89 × 70 mm.
    let mm = |v: f32| v / 96.0 * 25.4;
    assert!((mm(tree.size().width()) - 89.0).abs() < 0.01 && (mm(tree.size().height()) - 70.0).abs() < 0.01);
    // The user space is the pixel size at 300 dpi: 1051 × 827.
    assert!(svg.contains(r#"viewBox="0 0 1051 827""#));
    assert!(svg.contains(r#"width="89mm" height="70mm""#), "{}", &svg[..200]);
    let points =
        svg.split(r#"<g stroke="none">"#).nth(1).and_then(|s| s.split("</g>").next()).expect("the points group");
    assert_eq!(points.matches("<circle").count(), 189, "one mark per sample");
    // Text stays text: the axis labels and the legend.
    assert!(svg.contains("PC1 (33.6 % of variance)") && svg.contains(">cerebellum</text>"));
}

#[test]
fn png_has_the_exact_size_and_exports_are_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
    let first = plot(&["pca", "--width", "640", "--height", "480"], &a);
    assert_eq!(png_size(&first), (640, 480));
    let second = plot(&["pca", "--width", "640", "--height", "480"], &b);
    assert_eq!(first, second, "the same figure twice is byte-identical");
    // 3 × 2 inches at 150 dpi.
    let inches = plot(&["pca", "--width", "3", "--height", "2", "--units", "in", "--dpi", "150", "--transparent"], &a);
    assert_eq!(png_size(&inches), (450, 300));
}

#[test]
fn bad_requests_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let m = sample("tissue_gene_expression/expression.csv");
    for (out, extra, message) in [
        ("x.jpg", vec![], "must end in .svg or .png"),
        ("x.svg", vec!["--color-by", "nope"], "no annotation 'nope'"),
        ("x.png", vec!["--width", "0"], "must be positive"),
    ] {
        let path = dir.path().join(out);
        let mut args = vec!["plot", "pca", m.to_str().unwrap(), "--out", path.to_str().unwrap()];
        args.extend(extra);
        let run = Command::new(env!("CARGO_BIN_EXE_biolens")).args(&args).output().unwrap();
        assert!(!run.status.success());
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(message), "{stderr}");
    }
}
