//! Marker genes: every gene ranked for each group of cells against the rest (or against a
//! reference group), as scanpy's `sc.tl.rank_genes_groups` computes them, number for number.
//!
//! - **Wilcoxon rank-sum** (`method="wilcoxon"`): average ranks over the cells compared (all
//!   cells against the rest; the group's and the reference's cells otherwise), the normal
//!   approximation `z = (R − n₁(N+1)/2) / √(n₁n₂(N+1)/12)` without continuity correction, the
//!   tie correction `1 − Σ(t³−t)/(N³−N)` of the variance off by default (scanpy's), on as an
//!   option; p = 2·P(Z > |z|).
//! - **Welch's t-test** (`"t-test"`) from each side's mean and variance (`ddof = 1`), Welch–
//!   Satterthwaite degrees of freedom, p = 2·P(T > |t|) (`scipy.stats.ttest_ind_from_stats`).
//! - **t-test with overestimated variance** (`"t-test_overestim_var"`): the same with the rest's
//!   count replaced by the group's, scanpy's guard for small groups.
//!
//! Means and variances are scanpy's (`_get_mean_var`): one pass, `(E[x²] − E[x]²)·n/(n−1)`, with
//! the squares of float32 data rounded to float32 as numba computes them there.
//!
//! As scanpy: a `NaN` score becomes 0 and a `NaN` p-value 1; p-values are adjusted per group over
//! all genes by Benjamini–Hochberg; the log2 fold change is
//! `log2((expm1(mean₁) + 1e-9) / (expm1(mean₂) + 1e-9))` of the (log1p) data's means; genes are
//! ordered by descending score (ties by gene order). The rest of a group is every other cell,
//! including cells without a group. Groups of fewer than two cells are refused, as scanpy does.
//!
//! Sparse data are ranked per gene from its non-zeros only: the zeros form one tie block whose
//! average rank is known, so a gene costs O(nnz log nnz), not O(cells log cells).

use ndarray::Array2;
use rayon::prelude::*;

use super::special::{normal_two_sided, t_two_sided};
use crate::data::Matrix;

/// The test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum MarkerMethod {
    /// Wilcoxon rank-sum (Mann–Whitney U), normal approximation.
    #[default]
    #[value(name = "wilcoxon")]
    Wilcoxon,
    /// Welch's t-test.
    #[value(name = "t-test")]
    TTest,
    /// Welch's t-test with the rest counted as many as the group (scanpy's `t-test_overestim_var`).
    #[value(name = "t-test-overestim-var")]
    TTestOverestimVar,
}

impl MarkerMethod {
    /// scanpy's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Wilcoxon => "wilcoxon",
            Self::TTest => "t-test",
            Self::TTestOverestimVar => "t-test_overestim_var",
        }
    }
}

/// What to compute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarkerParams {
    /// The test.
    pub method: MarkerMethod,
    /// Compare with this group (an index into the levels) instead of the rest.
    pub reference: Option<usize>,
    /// Wilcoxon: correct the variance for ties.
    pub tie_correct: bool,
}

/// One group's statistics, per gene in the matrix's gene order.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMarkers {
    /// The group's index among the levels.
    pub group: usize,
    /// Cells in the group.
    pub cells: usize,
    /// The test statistic (z or t).
    pub scores: Vec<f64>,
    /// Two-sided p-values.
    pub pvals: Vec<f64>,
    /// Benjamini–Hochberg adjusted p-values.
    pub pvals_adj: Vec<f64>,
    /// log2 fold changes of the group against the rest (or the reference).
    pub logfoldchanges: Vec<f64>,
    /// Fraction of the group's cells in which the gene is non-zero.
    pub fraction: Vec<f64>,
    /// The group's mean.
    pub mean: Vec<f64>,
    /// The mean of what it is compared with (the rest, or the reference group).
    pub mean_rest: Vec<f64>,
    /// Genes by descending score (ties by gene order).
    pub order: Vec<usize>,
}

/// Why markers cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkerError {
    /// A group of one cell (or none).
    #[error("group '{0}' has fewer than two cells: its statistics cannot be computed (scanpy refuses it too)")]
    TooSmall(String),
    /// Nothing to compare.
    #[error("markers need at least two groups (or a group and a reference)")]
    TooFewGroups,
    /// Cancelled.
    #[error("cancelled")]
    Cancelled,
}

/// Ranks every gene for every group (except the reference) of `groups` (one code per cell,
/// `None` for no group; `levels` name the codes) over `x` (cells × genes, log1p data).
pub fn rank_genes_groups(
    x: &Matrix,
    groups: &[Option<u32>],
    levels: &[String],
    params: MarkerParams,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<GroupMarkers>, MarkerError> {
    let n_cells = x.nrows();
    let n_groups = levels.len();
    let mut sizes = vec![0usize; n_groups];
    for g in groups.iter().flatten() {
        sizes[*g as usize] += 1;
    }
    // scanpy: every category present, each of at least two cells.
    let present: Vec<usize> = (0..n_groups).filter(|&g| sizes[g] > 0).collect();
    if let Some(&g) = present.iter().find(|&&g| sizes[g] < 2) {
        return Err(MarkerError::TooSmall(levels[g].clone()));
    }
    let compared: Vec<usize> = present.iter().copied().filter(|&g| Some(g) != params.reference).collect();
    if compared.is_empty() || (params.reference.is_none() && present.len() < 2) {
        return Err(MarkerError::TooFewGroups);
    }
    let columns = Columns::new(x);
    let sparse = x.is_sparse();
    let n_genes = x.ncols();
    let code: Vec<usize> = groups.iter().map(|g| g.map_or(usize::MAX, |g| g as usize)).collect();

    // Per gene: sums, sums of squares and non-zeros per group (and in all cells).
    let stats: Vec<GeneStats> = (0..n_genes)
        .into_par_iter()
        .map(|j| {
            let (cells, values) = columns.column(j);
            let mut s = GeneStats::new(n_groups);
            for (&i, &v) in cells.iter().zip(&values) {
                let g = code[i as usize];
                // scanpy squares float32 data in float32 (then sums in float64): so do we for
                // the sparse matrix, whose values are f32.
                #[allow(clippy::cast_possible_truncation)]
                let square = if sparse { f64::from((v as f32) * (v as f32)) } else { v * v };
                s.total.add(v, square);
                if g != usize::MAX {
                    s.groups[g].add(v, square);
                }
            }
            s
        })
        .collect();
    if cancelled() {
        return Err(MarkerError::Cancelled);
    }

    // Wilcoxon rank sums (and tie sums) per gene for every compared group.
    let ranks: Option<Vec<Vec<(f64, f64)>>> = (params.method == MarkerMethod::Wilcoxon).then(|| {
        (0..n_genes)
            .into_par_iter()
            .map(|j| {
                let (cells, values) = columns.column(j);
                match params.reference {
                    None => rank_sums_all(&cells, &values, &code, &sizes, n_cells, &compared),
                    Some(r) => compared
                        .iter()
                        .map(|&g| rank_sum_pair(&cells, &values, &code, g, r, sizes[g], sizes[r]))
                        .collect(),
                }
            })
            .collect()
    });
    if cancelled() {
        return Err(MarkerError::Cancelled);
    }

    let out = compared
        .iter()
        .enumerate()
        .map(|(k, &g)| {
            let n1 = sizes[g] as f64;
            let n2 = params.reference.map_or(n_cells - sizes[g], |r| sizes[r]) as f64;
            let mut scores = vec![0.0; n_genes];
            let mut pvals = vec![1.0; n_genes];
            let mut logfoldchanges = vec![0.0; n_genes];
            let mut fraction = vec![0.0; n_genes];
            let mut mean = vec![0.0; n_genes];
            let mut mean_rest = vec![0.0; n_genes];
            for j in 0..n_genes {
                let s = &stats[j];
                let (m1, v1) = s.groups[g].mean_var(n1);
                let (m2, v2) = match params.reference {
                    Some(r) => s.groups[r].mean_var(n2),
                    None => s.total.minus(&s.groups[g]).mean_var(n2),
                };
                mean[j] = m1;
                mean_rest[j] = m2;
                fraction[j] = s.groups[g].nonzero as f64 / n1;
                logfoldchanges[j] = ((m1.exp_m1() + 1e-9) / (m2.exp_m1() + 1e-9)).log2();
                let (score, p) = match (params.method, &ranks) {
                    (MarkerMethod::Wilcoxon, Some(ranks)) => {
                        let (rank_sum, ties) = ranks[j][k];
                        let total = n1 + n2;
                        let coef = if params.tie_correct { tie_coefficient(ties, total) } else { 1.0 };
                        let sd = (coef * n1 * n2 * (total + 1.0) / 12.0).sqrt();
                        let z = (rank_sum - n1 * (total + 1.0) / 2.0) / sd;
                        let z = if z.is_nan() { 0.0 } else { z };
                        (z, normal_two_sided(z))
                    }
                    (method, _) => {
                        let n_rest = if method == MarkerMethod::TTestOverestimVar { n1 } else { n2 };
                        welch(m1, v1, n1, m2, v2, n_rest)
                    }
                };
                scores[j] = score;
                pvals[j] = if p.is_nan() { 1.0 } else { p };
            }
            let pvals_adj = benjamini_hochberg(&pvals);
            let mut order: Vec<usize> = (0..n_genes).collect();
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
            GroupMarkers {
                group: g,
                cells: sizes[g],
                scores,
                pvals,
                pvals_adj,
                logfoldchanges,
                fraction,
                mean,
                mean_rest,
                order,
            }
        })
        .collect();
    Ok(out)
}

/// Sums of one gene over some cells.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    sum: f64,
    squares: f64,
    nonzero: usize,
}

impl Sums {
    fn add(&mut self, v: f64, square: f64) {
        self.sum += v;
        self.squares += square;
        self.nonzero += 1;
    }

    fn minus(&self, other: &Self) -> Self {
        Self { sum: self.sum - other.sum, squares: self.squares - other.squares, nonzero: self.nonzero - other.nonzero }
    }

    /// Mean and variance (`ddof = 1`) over `n` cells (the zeros included), scanpy's way:
    /// `(E[x²] − E[x]²) · n/(n−1)`.
    fn mean_var(&self, n: f64) -> (f64, f64) {
        let mean = self.sum / n;
        let var = (self.squares / n - mean * mean) * n / (n - 1.0);
        (mean, var)
    }
}

/// One gene's sums per group and over every cell.
struct GeneStats {
    groups: Vec<Sums>,
    total: Sums,
}

impl GeneStats {
    fn new(groups: usize) -> Self {
        Self { groups: vec![Sums::default(); groups], total: Sums::default() }
    }
}

/// Welch's t statistic and two-sided p-value from summary statistics
/// (`scipy.stats.ttest_ind_from_stats(equal_var=False)`); a `NaN` score becomes 0.
fn welch(m1: f64, v1: f64, n1: f64, m2: f64, v2: f64, n2: f64) -> (f64, f64) {
    let (a, b) = (v1 / n1, v2 / n2);
    let denominator = (a + b).sqrt();
    let df = (a + b).powi(2) / (a * a / (n1 - 1.0) + b * b / (n2 - 1.0));
    let t = (m1 - m2) / denominator;
    let p = t_two_sided(t, df);
    (if t.is_nan() { 0.0 } else { t }, p)
}

/// `1 − Σ(t³ − t) / (N³ − N)` from the sum of `t³ − t` over tie blocks.
fn tie_coefficient(ties: f64, n: f64) -> f64 {
    if n < 2.0 { 1.0 } else { 1.0 - ties / (n * n * n - n) }
}

/// The cluster-level dendrogram of `sc.tl.dendrogram`: the groups' mean rows of
/// `representation` (cells × features, e.g. principal components), the Pearson correlation of
/// every two groups' means across the features, and a complete-linkage tree on `1 − r`.
/// Groups without cells are left out of the tree; they follow the others in [`GroupTree::order`].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTree {
    /// The groups in the tree (level indices); the tree's item `i` is group `groups[i]`.
    pub groups: Vec<usize>,
    /// Complete linkage on `1 − r` (`SciPy`'s `linkage`).
    pub tree: crate::analysis::clustering::hierarchical::Tree,
    /// Pearson correlation between the groups' means, item by item (clipped to −1..1).
    pub correlation: Vec<Vec<f64>>,
    /// Level indices from left to right (`SciPy`'s `dendrogram(...)["leaves"]`), empty groups last.
    pub order: Vec<usize>,
}

/// [`GroupTree`] of the groups `codes` (level per cell, `None`: no group) over `n_levels` levels.
pub fn group_tree(representation: ndarray::ArrayView2<'_, f64>, codes: &[Option<u32>], n_levels: usize) -> GroupTree {
    use crate::analysis::clustering::hierarchical::{Method, Tree, linkage};
    let d = representation.ncols();
    let mut sums = vec![vec![0.0; d]; n_levels];
    let mut counts = vec![0usize; n_levels];
    for (row, code) in representation.rows().into_iter().zip(codes) {
        let Some(c) = code.map(|c| c as usize).filter(|&c| c < n_levels) else { continue };
        counts[c] += 1;
        for (s, v) in sums[c].iter_mut().zip(row) {
            *s += v;
        }
    }
    let groups: Vec<usize> = (0..n_levels).filter(|&g| counts[g] > 0).collect();
    // Centred means with their norms, for the correlations.
    let centred: Vec<(Vec<f64>, f64)> = groups
        .iter()
        .map(|&g| {
            let means: Vec<f64> = sums[g].iter().map(|s| s / counts[g] as f64).collect();
            let centre = means.iter().sum::<f64>() / d.max(1) as f64;
            let c: Vec<f64> = means.iter().map(|m| m - centre).collect();
            let norm = c.iter().map(|x| x * x).sum::<f64>().sqrt();
            (c, norm)
        })
        .collect();
    let m = groups.len();
    let mut correlation = vec![vec![1.0; m]; m];
    for i in 0..m {
        for j in i + 1..m {
            let dot: f64 = centred[i].0.iter().zip(&centred[j].0).map(|(a, b)| a * b).sum();
            let r = (dot / (centred[i].1 * centred[j].1)).clamp(-1.0, 1.0);
            correlation[i][j] = r;
            correlation[j][i] = r;
        }
    }
    let tree = if m >= 2 {
        let mut condensed: Vec<f64> =
            (0..m).flat_map(|i| (i + 1..m).map(move |j| (i, j))).map(|(i, j)| 1.0 - correlation[i][j]).collect();
        // NaN distances (a constant mean row) sort last instead of failing the linkage.
        for v in &mut condensed {
            if !v.is_finite() {
                *v = 2.0;
            }
        }
        linkage(&mut condensed, m, Method::Complete).unwrap_or(Tree { n: m, merges: Vec::new() })
    } else {
        Tree { n: m, merges: Vec::new() }
    };
    let mut order: Vec<usize> = tree.leaf_order().into_iter().map(|i| groups[i]).collect();
    order.extend((0..n_levels).filter(|&g| counts[g] == 0));
    GroupTree { groups, tree, correlation, order }
}

/// Benjamini–Hochberg adjusted p-values (statsmodels' `fdr_bh`), in the input's order.
pub fn benjamini_hochberg(pvals: &[f64]) -> Vec<f64> {
    let n = pvals.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| pvals[a].total_cmp(&pvals[b]));
    let mut adjusted = vec![0.0; n];
    let mut running = f64::INFINITY;
    for (k, &i) in order.iter().enumerate().rev() {
        running = running.min(pvals[i] * n as f64 / (k + 1) as f64);
        adjusted[i] = running.min(1.0);
    }
    adjusted
}

/// Average ranks of a gene's values over `n` cells of which `values` are the non-zeros
/// (sorted by value here): calls `visit(index into values, rank)` for each non-zero and returns
/// the zeros' rank and the sum of `t³ − t` over tie blocks (the zeros' block included).
fn average_ranks(values: &[f64], n: usize, order: &mut Vec<usize>, mut visit: impl FnMut(usize, f64)) -> (f64, f64) {
    order.clear();
    order.extend(0..values.len());
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let zeros = (n - values.len()) as f64;
    let negatives = order.iter().take_while(|&&i| values[i] < 0.0).count();
    let zero_rank = negatives as f64 + f64::midpoint(zeros, 1.0);
    let mut ties = zeros * zeros * zeros - zeros;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        // Ties are equal values exactly (as scipy's rankdata).
        while end < order.len() && values[order[end]].total_cmp(&values[order[start]]).is_eq() {
            end += 1;
        }
        // Ranks (1-based) of positions start..end, after the zeros when positive.
        let offset = if start >= negatives { zeros } else { 0.0 };
        let rank = offset + (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            visit(i, rank);
        }
        let t = (end - start) as f64;
        ties += t * t * t - t;
        start = end;
    }
    (zero_rank, ties)
}

/// Rank sums of each compared group among all `n_cells` cells, and the tie sum (shared).
fn rank_sums_all(
    cells: &[u32],
    values: &[f64],
    code: &[usize],
    sizes: &[usize],
    n_cells: usize,
    compared: &[usize],
) -> Vec<(f64, f64)> {
    let mut sums = vec![0.0; sizes.len()];
    let mut nonzero = vec![0usize; sizes.len()];
    let mut order = Vec::new();
    let (zero_rank, ties) = average_ranks(values, n_cells, &mut order, |i, rank| {
        let g = code[cells[i] as usize];
        if g != usize::MAX {
            sums[g] += rank;
            nonzero[g] += 1;
        }
    });
    compared.iter().map(|&g| (sums[g] + (sizes[g] - nonzero[g]) as f64 * zero_rank, ties)).collect()
}

/// The rank sum of group `g` among the cells of `g` and `r`, and the tie sum.
fn rank_sum_pair(
    cells: &[u32],
    values: &[f64],
    code: &[usize],
    g: usize,
    r: usize,
    n_g: usize,
    n_r: usize,
) -> (f64, f64) {
    let (kept, in_group): (Vec<f64>, Vec<bool>) = cells
        .iter()
        .zip(values)
        .filter(|(c, _)| {
            let k = code[**c as usize];
            k == g || k == r
        })
        .map(|(c, &v)| (v, code[*c as usize] == g))
        .unzip();
    let mut sum = 0.0;
    let mut nonzero = 0usize;
    let mut order = Vec::new();
    let (zero_rank, ties) = average_ranks(&kept, n_g + n_r, &mut order, |i, rank| {
        if in_group[i] {
            sum += rank;
            nonzero += 1;
        }
    });
    (sum + (n_g - nonzero) as f64 * zero_rank, ties)
}

/// Column access: a sparse matrix transposed once (genes × cells), a dense one read by column.
enum Columns<'a> {
    Sparse(crate::data::Csr),
    Dense(&'a Array2<f64>),
}

impl<'a> Columns<'a> {
    fn new(x: &'a Matrix) -> Self {
        match x {
            Matrix::Sparse(csr, _) => Self::Sparse(csr.transpose()),
            Matrix::Dense(dense) => Self::Dense(dense),
        }
    }

    /// The non-zero cells of gene `j` and their values.
    fn column(&self, j: usize) -> (Vec<u32>, Vec<f64>) {
        match self {
            Self::Sparse(t) => {
                let (cells, values) = t.row(j);
                let (cells, values): (Vec<u32>, Vec<f64>) =
                    cells.iter().zip(values).filter(|(_, v)| **v != 0.0).map(|(&c, &v)| (c, f64::from(v))).unzip();
                (cells, values)
            }
            Self::Dense(d) => {
                d.column(j).iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(i, &v)| (i as u32, v)).unzip()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn ranks_average_ties_and_place_the_zeros_between_signs() {
        // Values (non-zeros) -1, 2, 2, 5 among 6 cells: ranks -1 → 1, zeros → 2.5, 2 → 4.5, 5 → 6.
        let values = [2.0, -1.0, 5.0, 2.0];
        let mut got = vec![0.0; 4];
        let (zero_rank, ties) = average_ranks(&values, 6, &mut Vec::new(), |i, r| got[i] = r);
        assert_eq!(got, vec![4.5, 1.0, 6.0, 4.5]);
        assert!((zero_rank - 2.5).abs() < 1e-15);
        assert!((ties - 12.0).abs() < 1e-12, "two blocks of 2: {ties}");
    }

    #[test]
    fn dense_and_sparse_give_the_same_statistics() {
        let x = array![[0.0, 1.0, 3.0], [0.0, 2.0, 0.0], [1.5, 0.0, 0.0], [2.5, 0.0, 1.0], [0.5, 0.5, 0.0]];
        let groups = [Some(0), Some(0), Some(1), Some(1), Some(1)];
        let levels = ["a".to_owned(), "b".to_owned()];
        for method in [MarkerMethod::Wilcoxon, MarkerMethod::TTest, MarkerMethod::TTestOverestimVar] {
            let params = MarkerParams { method, tie_correct: true, ..MarkerParams::default() };
            let dense = rank_genes_groups(&Matrix::from(x.clone()), &groups, &levels, params, &|| false).unwrap();
            let csr = crate::data::Csr::from_dense(&x);
            let sparse = rank_genes_groups(&Matrix::from(csr), &groups, &levels, params, &|| false).unwrap();
            assert_eq!(dense.len(), 2);
            for (d, s) in dense.iter().zip(&sparse) {
                for (a, b) in d.scores.iter().zip(&s.scores) {
                    assert!((a - b).abs() < 1e-12, "{method:?}: {a} vs {b}");
                }
            }
            // Gene 0 is higher in b: negative for a, positive for b.
            assert!(dense[0].scores[0] < 0.0 && dense[1].scores[0] > 0.0);
        }
        // A group of one cell is refused.
        let one = [Some(0), Some(1), Some(1), Some(1), Some(1)];
        let err = rank_genes_groups(&Matrix::from(x), &one, &levels, MarkerParams::default(), &|| false);
        assert_eq!(err, Err(MarkerError::TooSmall("a".into())));
    }

    #[test]
    fn benjamini_hochberg_equals_statsmodels() {
        // statsmodels.stats.multitest.multipletests([.01, .04, .03, .5], method="fdr_bh")[1]
        let adjusted = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5]);
        for (a, b) in adjusted.iter().zip([0.04, 0.053_333_333_333_333_33, 0.053_333_333_333_333_33, 0.5]) {
            assert!((a - b).abs() < 1e-15, "{a} vs {b}");
        }
    }
}
