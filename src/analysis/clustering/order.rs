//! Orders and gene choices shared by the matrix views (distance map, clustered heatmap) in the
//! app and on the command line.

use ndarray::Array2;

use crate::data::annotations::AnnotationValues;

/// `leaf_order` regrouped by an annotation: classes in level order (numbers ascending, missing
/// last), the clustering order kept within each group (the sort is stable).
pub fn grouped_by(leaf_order: &[usize], values: &AnnotationValues) -> Vec<usize> {
    let mut order = leaf_order.to_vec();
    match values {
        AnnotationValues::Categorical { codes, .. } => {
            order.sort_by_key(|&i| codes.get(i).copied().flatten().unwrap_or(u32::MAX));
        }
        AnnotationValues::Numeric(values) => {
            let key = |i: usize| values.get(i).copied().unwrap_or(f64::NAN);
            order.sort_by(|&a, &b| key(a).is_nan().cmp(&key(b).is_nan()).then(key(a).total_cmp(&key(b))));
        }
    }
    order
}

/// The `n` columns of `x` (samples × genes) with the largest population variance, in their
/// original order, and those genes z-scored as a genes × samples matrix. Constant genes are
/// never chosen.
pub fn top_variable_z(x: ndarray::ArrayView2<'_, f64>, n: usize) -> (Vec<usize>, Array2<f64>) {
    let samples = x.nrows() as f64;
    let stats: Vec<(usize, f64, f64)> = x
        .columns()
        .into_iter()
        .enumerate()
        .map(|(j, col)| {
            let mean = col.sum() / samples;
            let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / samples;
            (j, mean, var)
        })
        .filter(|(_, _, var)| *var > 0.0 && var.is_finite())
        .collect();
    let mut by_variance = stats.clone();
    by_variance.sort_by(|a, b| b.2.total_cmp(&a.2));
    by_variance.truncate(n);
    by_variance.sort_by_key(|s| s.0);
    let genes: Vec<usize> = by_variance.iter().map(|s| s.0).collect();
    let mut z = Array2::zeros((genes.len(), x.nrows()));
    for (r, &(j, mean, var)) in by_variance.iter().enumerate() {
        let sd = var.sqrt();
        for (c, v) in x.column(j).iter().enumerate() {
            z[[r, c]] = (v - mean) / sd;
        }
    }
    (genes, z)
}
