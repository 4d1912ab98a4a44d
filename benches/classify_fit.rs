//! Classifier speed (issue 7), criterion: one fit of every model on Golub-shaped data
//! (72 × 7,129, two classes, synthetic) and on `khan_srbct` itself (83 × 2,308, four classes),
//! z-scored as in the reference; and 5-fold CV of all models on `khan_srbct` in one go.
//! Targets: each fit under 100 ms; the whole CV under 5 s. Run in release:
//! `cargo bench --no-default-features --bench classify_fit`.

use biolens::analysis::classify::folds::stratified_k_fold;
use biolens::analysis::classify::validation::{Features, cross_validate};
use biolens::analysis::classify::{Model, encode_labels};
use biolens::analysis::rng::Rng;
use biolens::data::{self, OpenRequest};
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{Array2, Axis};

fn zscore(x: &Array2<f64>) -> Array2<f64> {
    let mean = x.mean_axis(Axis(0)).expect("rows");
    let sd = x.std_axis(Axis(0), 0.0).mapv(|s| if s > 0.0 { s } else { 1.0 });
    (x - &mean) / &sd
}

fn golub_shaped() -> (Array2<f64>, Vec<usize>) {
    let mut rng = Rng::new(7);
    let y: Vec<usize> = (0..72).map(|i| usize::from(i >= 47)).collect();
    let x = Array2::from_shape_fn((72, 7_129), |(i, j)| rng.normal() + if j < 50 && y[i] == 1 { 1.0 } else { 0.0 });
    (zscore(&x), y)
}

fn khan() -> (Array2<f64>, Vec<usize>, usize) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/khan_srbct");
    let request = OpenRequest {
        matrix: root.join("expression.csv"),
        annotations: vec![root.join("samples.csv")],
        ..OpenRequest::default()
    };
    let dataset = data::open(&request, &|_, _| {}).expect("khan_srbct");
    let label = dataset.annotations().iter().find(|a| a.name == "label").expect("label");
    let values: Vec<Option<String>> = (0..dataset.n_samples()).map(|i| label.value_text(i)).collect();
    let (names, codes) = encode_labels(&values);
    (dataset.dense().expect("dense").clone(), codes.into_iter().map(|c| c.expect("labelled")).collect(), names.len())
}

fn single_fits(c: &mut Criterion) {
    let (golub, golub_y) = golub_shaped();
    let (khan_x, khan_y, khan_classes) = khan();
    let khan_z = zscore(&khan_x);
    let mut group = c.benchmark_group("single_fit");
    group.sample_size(10);
    for model in Model::defaults() {
        let name = model.name();
        group.bench_function(format!("golub_72x7129/{name}"), |b| {
            b.iter(|| model.fit(golub.view(), &golub_y, 2, None).expect("fit"));
        });
        group.bench_function(format!("srbct_83x2308/{name}"), |b| {
            b.iter(|| model.fit(khan_z.view(), &khan_y, khan_classes, None).expect("fit"));
        });
    }
    group.finish();
}

fn all_models_cv(c: &mut Criterion) {
    let (x, y, classes) = khan();
    let splits = stratified_k_fold(&y, 5, true, 0).expect("folds");
    let features = Features { scale: true, ..Features::default() };
    let mut group = c.benchmark_group("cv5_all_models");
    group.sample_size(10);
    group.bench_function("khan_srbct", |b| {
        b.iter(|| {
            for model in Model::defaults() {
                cross_validate(x.view(), &y, classes, &model, &features, &splits, None, &mut |_| {}).expect("cv");
            }
        });
    });
    group.finish();
}

criterion_group!(benches, single_fits, all_models_cv);
criterion_main!(benches);
