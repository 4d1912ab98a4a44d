//! Figures (`biolens plot`): the SVG parses (usvg) with the asked width and height attributes and
//! one mark per sample; the PNG has exactly the asked pixel size; the PDF has the asked page
//! size, its fonts embedded, and draws what the PNG shows (read back by poppler, an independent
//! reader); the same figure exported twice is byte-identical.

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

/// Runs a poppler tool (`pdfinfo`, `pdffonts`, `pdftotext`, `pdfimages`, `pdftoppm`: Debian's
/// poppler-utils, which `.ci/run` installs): a PDF reader that is not ours.
fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (Debian's poppler-utils; .ci/run installs it): {e}"));
    assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn pdf_is_vector_with_embedded_fonts_at_the_page_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pca.pdf");
    let args = ["pca", "--color-by", "label", "--width", "89", "--height", "70", "--units", "mm"];
    let pdf = plot(&args, &path);
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let file = path.to_str().unwrap();
    // The page is the asked size: 89 × 70 mm = 252.28 × 198.43 pt.
    let info = poppler("pdfinfo", &[file]);
    assert!(info.contains("Pages:           1"), "{info}");
    assert!(info.contains("Page size:       252.283 x 198.425 pts"), "{info}");
    // Every font is embedded (a subset of the bundled Ubuntu Light).
    let fonts = poppler("pdffonts", &[file]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "text uses a font: {fonts}");
    for row in &rows {
        assert!(row.contains("Ubuntu"), "{fonts}");
        let columns: Vec<&str> = row.split_whitespace().collect();
        let emb = columns.len() - 5; // name type [encoding…] emb sub uni object ID
        assert_eq!(columns[emb], "yes", "embedded: {fonts}");
    }
    // Text is text (searchable), and the points are vector marks, not an image.
    let text = poppler("pdftotext", &[file, "-"]);
    assert!(text.contains("PC1 (33.6 % of variance)") && text.contains("cerebellum"), "{text}");
    let images = poppler("pdfimages", &["-list", file]);
    assert_eq!(images.lines().count(), 2, "no raster image, only the header lines: {images}");
    // Byte-identical when made twice.
    assert_eq!(plot(&args, &dir.path().join("again.pdf")), pdf);
}

#[test]
fn pdf_draws_what_the_png_shows() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("pca.pdf");
    let png = dir.path().join("pca.png");
    let args = ["pca", "--color-by", "label", "--width", "640", "--height", "480"];
    plot(&args, &pdf);
    let ours = decode(&plot(&args, &png));
    // 640 × 480 px is a 480 × 360 pt page; at 96 dpi poppler draws it back at 640 × 480.
    let prefix = dir.path().join("page");
    poppler("pdftoppm", &["-r", "96", "-png", "-singlefile", pdf.to_str().unwrap(), prefix.to_str().unwrap()]);
    let theirs = decode(&std::fs::read(prefix.with_extension("png")).unwrap());
    assert_eq!(theirs.dimensions(), (640, 480));
    let (mut diff, mut inked) = (0u64, 0usize);
    for (a, b) in ours.pixels().zip(theirs.pixels()) {
        diff += (0..3).map(|c| u64::from(a[c].abs_diff(b[c]))).sum::<u64>();
        inked += usize::from(b[0] < 200 || b[1] < 200 || b[2] < 200);
    }
    let mean = diff as f64 / (640.0 * 480.0 * 3.0);
    // Anti-aliasing and text hinting differ between resvg and poppler; the drawing does not.
    assert!(mean < 6.0, "mean difference {mean:.2} of 255");
    assert!(inked > 5_000, "the page is drawn: {inked} dark pixels");
}

#[test]
fn bad_requests_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let m = sample("tissue_gene_expression/expression.csv");
    for (out, extra, message) in [
        ("x.jpg", vec![], "must end in .svg, .png or .pdf"),
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

/// Runs `biolens plot VIEW` on a bundled dataset with extra flags; returns the file's bytes.
fn plot_on(dataset: &str, view: &str, extra: &[&str], out: &std::path::Path) -> Vec<u8> {
    let m = sample(&format!("{dataset}/expression.csv"));
    let a = sample(&format!("{dataset}/samples.csv"));
    let mut args = vec![
        "plot",
        view,
        m.to_str().expect("path"),
        "-a",
        a.to_str().expect("path"),
        "--out",
        out.to_str().expect("path"),
    ];
    args.extend_from_slice(extra);
    let run = Command::new(env!("CARGO_BIN_EXE_biolens")).args(&args).output().expect("run biolens");
    assert!(run.status.success(), "{view}: {}", String::from_utf8_lossy(&run.stderr));
    std::fs::read(out).expect("the figure")
}

#[test]
fn every_plot_view_exports_a_valid_svg_and_an_exact_png() {
    let dir = tempfile::tempdir().unwrap();
    let extra =
        ["--color-by", "label", "--target", "label", "--iterations", "100", "--width", "500", "--height", "400"];
    for view in [
        "pca",
        "tsne",
        "scree",
        "loadings",
        "dendrogram",
        "heatmap",
        "distance-map",
        "elbow",
        "silhouette",
        "confusion",
        "roc",
    ] {
        let svg_path = dir.path().join(format!("{view}.svg"));
        let svg = String::from_utf8(plot_on("sklearn_iris", view, &extra, &svg_path)).unwrap();
        let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default())
            .unwrap_or_else(|e| panic!("{view}: the SVG parses: {e}"));
        assert_eq!((tree.size().width(), tree.size().height()), (500.0, 400.0), "{view}");
        assert!(svg.contains("<text"), "{view}: text stays text");
        assert!(svg.contains("sklearn_iris"), "{view}: the title");
        let png = plot_on("sklearn_iris", view, &extra, &dir.path().join(format!("{view}.png")));
        assert_eq!(png_size(&png), (500, 400), "{view}");
    }
}

#[test]
fn figures_carry_what_the_views_show() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.svg");
    let text = |view: &str, extra: &[&str]| String::from_utf8(plot_on("sklearn_iris", view, extra, &out)).unwrap();
    // The confusion matrix: every class on both axes, counts summing to the samples.
    let confusion = text("confusion", &["--target", "label", "--model", "knn"]);
    for class in ["setosa", "versicolor", "virginica", "predicted class", "true class"] {
        assert!(confusion.contains(&format!(">{class}<")), "{class}");
    }
    // The dendrogram of 150 samples: 149 merges, three segments each, and the cut line.
    let dendrogram = text("dendrogram", &["--method", "ward", "--k", "3"]);
    let branches = dendrogram.split("stroke-linecap=\"square\">").nth(1).and_then(|s| s.split("</g>").next()).unwrap();
    assert_eq!(branches.matches("<line").count(), 3 * 149);
    assert!(dendrogram.contains("stroke-dasharray"), "the cut line is dashed");
    // The distance map and heatmap embed their cells as one image, with a colour bar.
    let map = text("distance-map", &["--color-by", "label"]);
    assert_eq!(map.matches("<image").count(), 1);
    assert!(map.contains(">Euclidean distance<") && map.contains(">label<"));
    // Scatter highlights: the selection is outlined.
    let pca = text("pca", &["--highlight", "iris_001,iris_002"]);
    let outlines = pca.split(r##"fill="none" stroke="#000000""##).nth(1).and_then(|s| s.split("</g>").next()).unwrap();
    assert_eq!(outlines.matches("<circle").count(), 2);
}

#[test]
fn projector_style_is_applied_only_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.svg");
    let font = |extra: &[&str]| {
        let svg = String::from_utf8(plot_on("sklearn_iris", "scree", extra, &out)).unwrap();
        let at = svg.find("font-size=\"").unwrap() + 11;
        svg[at..].split('"').next().unwrap().parse::<f64>().unwrap()
    };
    let plain = font(&["--width", "900", "--height", "600"]);
    let projector = font(&["--width", "900", "--height", "600", "--projector"]);
    assert!((projector / plain - 1.5).abs() < 0.01, "{plain} → {projector}");
}

/// Pixels of a PNG file.
fn decode(bytes: &[u8]) -> image::RgbaImage {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Png).expect("a PNG").to_rgba8()
}

/// Exported figures compared with the images checked in under `tests/snapshots/figures/`
/// (`BIOLENS_UPDATE_SNAPSHOTS=1` rewrites them). A pixel may differ by a little (anti-aliasing
/// of coordinates that differ in the last bits between CPUs); at most 0.5 % of pixels may
/// differ by more.
#[test]
fn figure_snapshots_match_the_checked_in_images() {
    let dir = tempfile::tempdir().unwrap();
    let snapshots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/figures");
    let update = std::env::var_os("BIOLENS_UPDATE_SNAPSHOTS").is_some();
    let size = ["--width", "600", "--height", "450"];
    let cases: [(&str, &str, Vec<&str>); 4] = [
        ("iris_pca", "pca", vec!["--color-by", "label"]),
        ("iris_dendrogram", "dendrogram", vec!["--method", "ward", "--k", "3", "--color-by", "label"]),
        ("iris_confusion", "confusion", vec!["--target", "label", "--model", "knn"]),
        ("iris_distance_map", "distance-map", vec!["--color-by", "label"]),
    ];
    for (name, view, mut extra) in cases {
        extra.extend_from_slice(&size);
        let png = plot_on("sklearn_iris", view, &extra, &dir.path().join(format!("{name}.png")));
        let path = snapshots.join(format!("{name}.png"));
        if update {
            std::fs::create_dir_all(&snapshots).unwrap();
            std::fs::write(&path, &png).unwrap();
            continue;
        }
        let expected = decode(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
        let actual = decode(&png);
        assert_eq!(actual.dimensions(), expected.dimensions(), "{name}");
        let differing = actual
            .pixels()
            .zip(expected.pixels())
            .filter(|(a, b)| a.0.iter().zip(b.0.iter()).any(|(x, y)| x.abs_diff(*y) > 48))
            .count();
        let share = differing as f64 / f64::from(actual.width() * actual.height());
        if share > 0.005 {
            let failed = std::env::temp_dir().join(format!("biolens-{name}-actual.png"));
            std::fs::write(&failed, &png).unwrap();
            panic!("{name}: {:.2} % of pixels differ (actual image: {})", share * 100.0, failed.display());
        }
    }
}

/// `plot autoencoder`: one mark per sample, axes AE1/AE2 and the tissues' legend; `--loss`
/// draws the curves instead; `plot training-curves` draws the MLP's training and validation
/// curves (mean of the 5 folds), `--accuracy` on a 0–1 axis.
#[test]
fn network_views_draw_the_code_and_the_curves() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("ae.svg");
    let svg = String::from_utf8(plot(
        &["autoencoder", "--colour-by", "label", "--epochs", "20", "--device", "cpu", "--ae-genes", "200"],
        &code,
    ))
    .unwrap();
    assert_eq!(svg.matches("<circle").count(), 189 + 7, "189 samples and 7 legend dots");
    assert!(svg.contains(">AE1<") && svg.contains(">AE2<"));
    assert!(svg.contains(">cerebellum<"));
    let loss = dir.path().join("loss.svg");
    let svg = String::from_utf8(plot(&["autoencoder", "--vae", "--loss", "--epochs", "20", "--device", "cpu"], &loss))
        .unwrap();
    assert!(svg.contains("reconstruction error") && svg.contains(">KL term (per value)<"), "{svg}");
    let curves = dir.path().join("curves.svg");
    let svg = String::from_utf8(plot(
        &["training-curves", "--target", "label", "--hidden", "16", "--epochs", "30", "--device", "cpu"],
        &curves,
    ))
    .unwrap();
    assert!(svg.contains(">training (mean of 5 folds)<") && svg.contains(">validation (mean of 5 folds)<"));
    assert!(svg.contains(">cross-entropy loss<"));
    let accuracy = dir.path().join("accuracy.svg");
    let svg = String::from_utf8(plot(
        &["training-curves", "--target", "label", "--hidden", "16", "--epochs", "30", "--device", "cpu", "--accuracy"],
        &accuracy,
    ))
    .unwrap();
    assert!(svg.contains(">accuracy<"));
}

/// Without `--colour-by`, figures are coloured as the app shows them at first: scatters by the
/// first annotation that groups the samples, the heatmap's and distance map's strip the first
/// annotation, the dendrogram's the first categorical one, each legend headed by the
/// annotation's name; `--no-colour` draws none.
#[test]
fn the_default_colouring_is_the_apps() {
    use biolens::recipes::Colouring;
    use biolens::recipes::clusters::ClusterSettings;
    use biolens::recipes::distance_map::{DistanceMapSettings, MapOrder};
    use biolens::recipes::heatmap::HeatmapSettings;
    let dataset = common::open_sample("khan_srbct");
    let grouping = Colouring::first_for(&dataset);
    let grouping = grouping.annotation_name().expect("SRBCT has a grouping").to_owned();
    let first = HeatmapSettings::default().strip_name(&dataset).expect("an annotation");
    assert_eq!(DistanceMapSettings::default().strip_name(&dataset).as_deref(), Some(first.as_str()));
    let compared = ClusterSettings::default().compare_name(&dataset).expect("a categorical annotation");
    // A map ordered by an annotation shows it as the strip unless another is chosen.
    let last = dataset.annotations().last().expect("annotations").name.clone();
    let ordered = DistanceMapSettings { order: MapOrder::Annotation(last.clone()), ..DistanceMapSettings::default() };
    assert_eq!(ordered.strip_name(&dataset), Some(last));
    let none = DistanceMapSettings { strip: Some(String::new()), ..ordered };
    assert_eq!(none.strip_name(&dataset), None);
    let dir = tempfile::tempdir().unwrap();
    for (view, name, extra) in [
        ("pca", &grouping, vec![]),
        ("tsne", &grouping, vec!["--iterations", "250"]),
        ("heatmap", &first, vec!["--heatmap-genes", "50"]),
        ("distance-map", &first, vec![]),
        ("dendrogram", &compared, vec![]),
    ] {
        let out = |what: &str| dir.path().join(format!("{view}_{what}.svg"));
        let default = plot_on("khan_srbct", view, &extra, &out("default"));
        let mut named = extra.clone();
        named.extend(["--colour-by", name.as_str()]);
        let explicit = plot_on("khan_srbct", view, &named, &out("named"));
        assert!(default == explicit, "{view}: the default is --colour-by {name}");
        let mut plain = extra.clone();
        plain.push("--no-colour");
        let none = plot_on("khan_srbct", view, &plain, &out("none"));
        // The legend is headed by the annotation's name; none: no legend, fewer texts.
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let heading = format!(">{name}<");
        assert!(text(&default).contains(&heading), "{view}: the legend is headed '{name}'");
        assert!(!text(&none).contains(&heading), "{view}: --no-colour has no legend of {name}");
        assert!(text(&none).matches("<text").count() < text(&default).matches("<text").count(), "{view}");
    }
    // One or the other.
    let m = sample("khan_srbct/expression.csv");
    let path = dir.path().join("both.svg");
    let run = Command::new(env!("CARGO_BIN_EXE_biolens"))
        .args(["plot", "pca", m.to_str().unwrap(), "--no-colour", "--colour-by", "label", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!run.status.success() && !path.exists());
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot be used with"));
}
