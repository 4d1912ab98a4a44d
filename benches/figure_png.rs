//! Figure export speed (issue 8), criterion: a 100,000-point scatter written as SVG and
//! rasterised to a 3,000 × 2,000 PNG. Target: under 2 s.

use biolens::analysis::rng::Rng;
use biolens::export::figure::{Legend, Scatter, Size, Style, Units, scatter_svg, svg_to_png};
use criterion::{Criterion, criterion_group, criterion_main};

fn png_100k(c: &mut Criterion) {
    let mut rng = Rng::new(5);
    let points = (0..100_000)
        .map(|i| (rng.normal() + (i % 5) as f64 * 3.0, rng.normal(), biolens::palette::categorical(i % 5)))
        .collect();
    let fig = Scatter {
        title: "100,000 points".to_owned(),
        x_label: "x".to_owned(),
        y_label: "y".to_owned(),
        points,
        highlighted: Vec::new(),
        legend: Legend::None,
        legend_title: String::new(),
    };
    let size = Size { width: 3000.0, height: 2000.0, units: Units::Px, dpi: 300.0 };
    let style = Style::for_size(size.pixels());
    let mut group = c.benchmark_group("figure");
    group.sample_size(10);
    group.bench_function("scatter_100k_to_3000x2000_png", |b| {
        b.iter(|| svg_to_png(&scatter_svg(&fig, &size, &style), size.pixels()).expect("png"));
    });
    // The largest raster figure: a 5,000-sample distance map (a 2,000 × 2,000 box-filtered
    // image embedded in the SVG) as a 3,000 × 2,000 PNG.
    let n = 5_000;
    let coords: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let matrix = ndarray::Array2::from_shape_fn((n, n), |(i, j)| (coords[i] - coords[j]).abs());
    let order: Vec<usize> = (0..n).collect();
    let names: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
    let scale = biolens::export::heatmap::ColourScale { low: 0.0, high: 6.0, reversed: false, diverging: false };
    group.bench_function("distance_map_5000_to_3000x2000_png", |b| {
        b.iter(|| {
            let fig = biolens::export::plots::DistanceMap {
                title: "5,000 samples",
                matrix: &matrix,
                order: &order,
                names: &names,
                scale,
                label: "distance",
                strip: None,
            }
            .figure();
            biolens::export::figure::render(&fig, &size, &style, biolens::export::figure::FigureFormat::Png)
                .expect("png")
        });
    });
    group.finish();
}

criterion_group!(benches, png_100k);
criterion_main!(benches);
