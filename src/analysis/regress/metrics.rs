//! Scores of numeric predictions, as scikit-learn defines them: R² (`r2_score`, 1 for a
//! perfect fit of a constant target and 0 for an imperfect one), root mean squared error, mean
//! and median absolute error, and the mean Huber loss.

/// The scores of one set of predictions.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RegressionScores {
    /// Coefficient of determination: 1 − `SS_res / SS_tot`.
    pub r2: f64,
    /// √ mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Median absolute error.
    pub median_ae: f64,
}

/// Scores of `predicted` against `truth` (the same length, at least one value).
pub fn regression_scores(truth: &[f64], predicted: &[f64]) -> RegressionScores {
    let n = truth.len().max(1) as f64;
    let mean = truth.iter().sum::<f64>() / n;
    let ss_tot: f64 = truth.iter().map(|t| (t - mean) * (t - mean)).sum();
    let ss_res: f64 = truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)).sum();
    let r2 = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    };
    let mut abs: Vec<f64> = truth.iter().zip(predicted).map(|(t, p)| (t - p).abs()).collect();
    let mae = abs.iter().sum::<f64>() / n;
    abs.sort_by(f64::total_cmp);
    let median_ae = match abs.len() {
        0 => f64::NAN,
        k if k % 2 == 1 => abs[k / 2],
        k => f64::midpoint(abs[k / 2 - 1], abs[k / 2]),
    };
    RegressionScores { r2, rmse: (ss_res / n).sqrt(), mae, median_ae }
}

/// The mean Huber loss with threshold `delta`: r²/2 within ±δ, δ(|r| − δ/2) beyond.
pub fn huber_loss(truth: &[f64], predicted: &[f64], delta: f64) -> f64 {
    let n = truth.len().max(1) as f64;
    truth
        .iter()
        .zip(predicted)
        .map(|(t, p)| {
            let r = (t - p).abs();
            if r <= delta { 0.5 * r * r } else { delta * (r - 0.5 * delta) }
        })
        .sum::<f64>()
        / n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_scikit_learns() {
        // r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.9486081370449679 (its docstring).
        let s = regression_scores(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0]);
        assert!((s.r2 - 0.948_608_137_044_967_9).abs() < 1e-12);
        assert!((s.mae - 0.5).abs() < 1e-12);
        assert!((s.rmse - 0.375f64.sqrt()).abs() < 1e-12);
        assert!((s.median_ae - 0.5).abs() < 1e-12);
        assert!(regression_scores(&[1.0, 1.0], &[1.0, 1.0]).r2.total_cmp(&1.0).is_eq(), "a perfect constant");
        assert!(regression_scores(&[1.0, 1.0], &[1.0, 2.0]).r2.total_cmp(&0.0).is_eq(), "an imperfect constant");
    }

    #[test]
    fn huber_is_quadratic_inside_and_linear_outside() {
        assert!((huber_loss(&[0.0], &[0.5], 1.0) - 0.125).abs() < 1e-12);
        assert!((huber_loss(&[0.0], &[3.0], 1.0) - 2.5).abs() < 1e-12);
    }
}
