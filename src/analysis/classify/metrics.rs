//! Scores of predictions against the truth, as scikit-learn defines them: accuracy,
//! balanced accuracy, macro precision, recall and F1 (0 where undefined), one-vs-rest ROC
//! curves and AUC, and the confusion matrix.

use ndarray::ArrayView2;

/// Counts: `matrix[true][predicted]`.
pub fn confusion(truth: &[usize], predicted: &[usize], classes: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0; classes]; classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        if t < classes && p < classes {
            m[t][p] += 1;
        }
    }
    m
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ClassScores {
    /// Of the samples predicted as the class, the share that are.
    pub precision: f64,
    /// Of the samples of the class, the share found.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Samples of the class.
    pub support: usize,
}

/// Per-class scores from a confusion matrix (0 where a ratio is undefined, as scikit-learn's
/// `zero_division=0`).
pub fn per_class(confusion: &[Vec<usize>]) -> Vec<ClassScores> {
    let k = confusion.len();
    (0..k)
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = (0..k).map(|t| confusion[t][c]).sum();
            let support: usize = confusion[c].iter().sum();
            let ratio = |a: f64, b: usize| if b == 0 { 0.0 } else { a / b as f64 };
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
            ClassScores { precision, recall, f1, support }
        })
        .collect()
}

/// The scores of one set of predictions.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Share correct.
    pub accuracy: f64,
    /// Mean recall over the classes present.
    pub balanced_accuracy: f64,
    /// Mean precision over the classes present in truth or prediction.
    pub precision_macro: f64,
    /// Mean recall over the classes present in truth or prediction.
    pub recall_macro: f64,
    /// Mean F1 over the classes present in truth or prediction.
    pub f1_macro: f64,
    /// Mean one-vs-rest ROC AUC over the classes with both positives and negatives here.
    pub roc_auc: Option<f64>,
}

/// Scores of `predicted` (and class scores `scores`, samples × classes) against `truth`.
pub fn scores(truth: &[usize], predicted: &[usize], class_scores: ArrayView2<'_, f64>, classes: usize) -> Scores {
    let m = confusion(truth, predicted, classes);
    let per = per_class(&m);
    let n = truth.len().max(1) as f64;
    let correct = truth.iter().zip(predicted).filter(|(t, p)| t == p).count() as f64;
    let in_truth: Vec<usize> = (0..classes).filter(|&c| per[c].support > 0).collect();
    let labels: Vec<usize> = (0..classes).filter(|&c| per[c].support > 0 || predicted.contains(&c)).collect();
    let mean = |f: &dyn Fn(&ClassScores) -> f64, over: &[usize]| {
        if over.is_empty() { 0.0 } else { over.iter().map(|&c| f(&per[c])).sum::<f64>() / over.len() as f64 }
    };
    let aucs: Vec<f64> = (0..classes)
        .filter_map(|c| {
            let positive: Vec<bool> = truth.iter().map(|&t| t == c).collect();
            let s: Vec<f64> = class_scores.column(c).to_vec();
            roc_auc(&positive, &s)
        })
        .collect();
    Scores {
        accuracy: correct / n,
        balanced_accuracy: mean(&|s| s.recall, &in_truth),
        precision_macro: mean(&|s| s.precision, &labels),
        recall_macro: mean(&|s| s.recall, &labels),
        f1_macro: mean(&|s| s.f1, &labels),
        roc_auc: (!aucs.is_empty()).then(|| aucs.iter().sum::<f64>() / aucs.len() as f64),
    }
}

/// The area under the ROC curve of `scores` for `positive` (Mann–Whitney U with ties
/// counted half); `None` without both positives and negatives.
pub fn roc_auc(positive: &[bool], scores: &[f64]) -> Option<f64> {
    let p = positive.iter().filter(|&&b| b).count();
    let q = positive.len() - p;
    if p == 0 || q == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Average ranks (1-based) over ties.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]].total_cmp(&scores[order[start]]).is_eq() {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        rank_sum += order[start..end].iter().filter(|&&i| positive[i]).count() as f64 * rank;
        start = end;
    }
    let (p, q) = (p as f64, q as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * q))
}

/// The ROC curve (false positive rate, true positive rate) of `scores` for `positive`, from
/// (0, 0) to (1, 1), one point per distinct score.
pub fn roc_curve(positive: &[bool], scores: &[f64]) -> Vec<(f64, f64)> {
    let p = positive.iter().filter(|&&b| b).count().max(1) as f64;
    let q = positive.iter().filter(|&&b| !b).count().max(1) as f64;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut curve = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    for (k, &i) in order.iter().enumerate() {
        if positive[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_tie = order.get(k + 1).is_none_or(|&j| scores[j].total_cmp(&scores[i]).is_ne());
        if last_of_tie {
            curve.push((fp / q, tp / p));
        }
    }
    curve
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_scikit_learn() {
        // y_true = [0, 0, 1, 1, 2, 2], y_pred = [0, 1, 1, 1, 2, 0]
        // accuracy 4/6; balanced 0.6666…; precision_macro (1/2 + 2/3 + 1) / 3 = 0.7222…;
        // recall_macro (1/2 + 1 + 1/2) / 3 = 0.6666…; f1_macro (1/2 + 0.8 + 2/3) / 3 = 0.6555…
        let truth = [0, 0, 1, 1, 2, 2];
        let pred = [0, 1, 1, 1, 2, 0];
        let onehot = ndarray::Array2::from_shape_fn((6, 3), |(i, c)| if pred[i] == c { 1.0 } else { 0.0 });
        let s = scores(&truth, &pred, onehot.view(), 3);
        assert!((s.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert!((s.balanced_accuracy - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.precision_macro - (0.5 + 2.0 / 3.0 + 1.0) / 3.0).abs() < 1e-12);
        assert!((s.f1_macro - (0.5 + 0.8 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn auc_counts_ties_half() {
        // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75
        assert_eq!(roc_auc(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]), Some(0.75));
        assert_eq!(roc_auc(&[false, true], &[0.5, 0.5]), Some(0.5));
        let curve = roc_curve(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]);
        assert_eq!(curve.first(), Some(&(0.0, 0.0)));
        assert_eq!(curve.last(), Some(&(1.0, 1.0)));
    }
}
