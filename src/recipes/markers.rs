//! Marker genes: each group of a categorical annotation against the rest (or a reference
//! group), scanpy's `rank_genes_groups` (see [`crate::analysis::markers`]).

use serde::{Deserialize, Serialize};

use super::{Ctx, RecipeError};
use crate::analysis::markers::{self, GroupMarkers, GroupTree, MarkerError, MarkerMethod, MarkerParams};
use crate::data::Dataset;
use crate::data::annotations::AnnotationValues;

/// What to rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MarkerSettings {
    /// The categorical annotation whose groups are compared.
    pub groupby: Option<String>,
    /// The test.
    pub method: MarkerMethod,
    /// Compare each group with this one instead of the rest.
    pub reference: Option<String>,
    /// Wilcoxon: correct the variance for ties (scanpy: off).
    pub tie_correct: bool,
    /// Genes listed per group.
    pub n_genes: usize,
    /// Order the groups by their dendrogram (`sc.tl.dendrogram`) in the plots.
    pub dendrogram: bool,
}

impl Default for MarkerSettings {
    fn default() -> Self {
        Self {
            groupby: None,
            method: MarkerMethod::Wilcoxon,
            reference: None,
            tie_correct: false,
            n_genes: 100,
            dendrogram: true,
        }
    }
}

/// The ranking of every group.
#[derive(Debug, Clone, PartialEq)]
pub struct Markers {
    /// The grouping's levels (group names).
    pub levels: Vec<String>,
    /// Gene ids, in the statistics' order.
    pub genes: Vec<String>,
    /// One per compared group, in level order.
    pub groups: Vec<GroupMarkers>,
    /// What was computed.
    pub settings: MarkerSettings,
    /// The grouping's codes per processed sample (`None`: no group).
    pub codes: Vec<Option<u32>>,
    /// The groups' dendrogram, when asked for and there are two groups or more.
    pub tree: Option<GroupTree>,
    /// What the dendrogram was computed on ("the stored `X_pca`", "50 principal components").
    pub tree_from: String,
    /// A caution about the values (log fold changes assume log1p data), when they do not look
    /// like it.
    pub caution: Option<String>,
}

/// Ranks the genes of `dataset`'s processed values for each group of `settings.groupby`.
pub fn run(dataset: &Dataset, settings: &MarkerSettings, ctx: Ctx<'_>) -> Result<Markers, RecipeError> {
    run_with(dataset, settings, None, ctx)
}

/// [`run`], with the 50 principal components of the processed values already computed (a
/// neighbour graph's, with what they are) for the dendrogram when the file stores no `X_pca`.
pub fn run_with(
    dataset: &Dataset,
    settings: &MarkerSettings,
    pcs: Option<(&ndarray::Array2<f64>, &str)>,
    ctx: Ctx<'_>,
) -> Result<Markers, RecipeError> {
    let name =
        settings.groupby.as_deref().ok_or_else(|| RecipeError::Invalid("choose an annotation to group by".into()))?;
    let column = dataset
        .annotations()
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| RecipeError::Invalid(format!("no annotation named '{name}'")))?;
    let AnnotationValues::Categorical { levels, codes } = &column.values else {
        return Err(RecipeError::Invalid(format!(
            "'{name}' is numeric: markers need groups (a categorical annotation)"
        )));
    };
    let reference = match &settings.reference {
        None => None,
        Some(r) => Some(levels.iter().position(|l| l == r).ok_or_else(|| {
            RecipeError::Invalid(format!("'{name}' has no group '{r}'; its groups are: {}", levels.join(", ")))
        })?),
    };
    ctx.progress(None, "Ranking genes");
    let params = MarkerParams { method: settings.method, reference, tie_correct: settings.tie_correct };
    let token = ctx.cancel_token();
    let cancelled = || token.is_some_and(crate::jobs::CancelToken::is_cancelled);
    let groups =
        markers::rank_genes_groups(dataset.values(), codes, levels, params, &cancelled).map_err(|e| match e {
            MarkerError::Cancelled => RecipeError::Cancelled,
            other => RecipeError::Invalid(format!("'{name}': {other}")),
        })?;
    let (tree, tree_from) = if settings.dendrogram && levels.len() > 1 {
        ctx.progress(None, "Dendrogram of the groups");
        let (representation, from) = dendrogram_representation(dataset, pcs, ctx)?;
        (Some(markers::group_tree(representation.view(), codes, levels.len())), from)
    } else {
        (None, String::new())
    };
    Ok(Markers {
        levels: levels.clone(),
        genes: dataset.gene_ids().to_vec(),
        groups,
        settings: settings.clone(),
        codes: codes.clone(),
        tree,
        tree_from,
        caution: values_caution(dataset.values()),
    })
}

/// Why the log fold changes may mislead: scanpy's formula, `log2(expm1(mean₁) / expm1(mean₂))`,
/// assumes log1p values. Negative values mean scaled data; values above 50 look like counts.
pub fn values_caution(values: &crate::data::Matrix) -> Option<String> {
    let (lo, hi) = values.min_max();
    if lo < 0.0 {
        Some(format!(
            "The values go below 0 (least {lo:.3}): scaled data? Log fold changes assume log1p values \
             (rank the log-normalised data, e.g. the raw layer)."
        ))
    } else if hi > 50.0 {
        Some(format!(
            "The values reach {hi:.0}: counts? Log fold changes assume log1p values (normalise and log1p first)."
        ))
    } else {
        None
    }
}

/// What `sc.tl.dendrogram` correlates the groups on: a stored `X_pca`, else the values
/// themselves when there are fewer than 50 genes, else 50 principal components of them (`pcs`
/// when given, else computed).
fn dendrogram_representation(
    dataset: &Dataset,
    pcs: Option<(&ndarray::Array2<f64>, &str)>,
    ctx: Ctx<'_>,
) -> Result<(ndarray::Array2<f64>, String), RecipeError> {
    if let Some(stored) = dataset.raw().single_cell().embeddings.iter().find(|e| e.name == "X_pca") {
        return Ok((stored.coords.select(ndarray::Axis(0), dataset.raw_rows()), "the stored X_pca".into()));
    }
    if dataset.n_genes() < 50 {
        return Ok((dataset.values().dense()?.clone(), "the values".into()));
    }
    if let Some((pcs, from)) = pcs.filter(|(p, _)| p.nrows() == dataset.n_samples()) {
        return Ok((pcs.clone(), format!("{from} (the neighbour graph's)")));
    }
    let params = crate::analysis::pca::PcaParams { components: 50, ..Default::default() };
    let pca = super::pca::run_values(dataset.values(), &params, ctx)?;
    let from = format!("{} principal components", pca.scores.ncols());
    Ok((pca.scores, from))
}

impl Markers {
    /// The top `n` genes of every group as CSV: `group,rank,gene,score,logfoldchange,pval,pval_adj`
    /// (rank from 1).
    pub fn table_csv(&self, n: usize) -> String {
        use std::fmt::Write as _;
        let mut out = String::from("group,rank,gene,score,logfoldchange,pval,pval_adj\n");
        for g in &self.groups {
            for (rank, &j) in g.order.iter().take(n).enumerate() {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    crate::export::csv::field(&self.levels[g.group]),
                    rank + 1,
                    crate::export::csv::field(&self.genes[j]),
                    g.scores[j],
                    g.logfoldchanges[j],
                    g.pvals[j],
                    g.pvals_adj[j]
                );
            }
        }
        out
    }
}

/// The test of a two-set comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum DeMethod {
    /// Welch's t-test (`scipy.stats.ttest_ind(equal_var=False)`).
    #[default]
    Welch,
    /// Wilcoxon rank-sum, tie-corrected, normal approximation without continuity correction
    /// (`scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=False)`).
    Wilcoxon,
}

impl DeMethod {
    /// The name the CLI and tables use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Welch => "welch",
            Self::Wilcoxon => "wilcoxon",
        }
    }
}

/// Two sets of samples compared gene by gene.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Gene ids, in the statistics' order.
    pub genes: Vec<String>,
    /// The first set's statistics against the second (`mean_rest` is the second set's mean).
    pub stats: GroupMarkers,
    /// Samples in the second set.
    pub n2: usize,
    /// The test.
    pub method: DeMethod,
}

/// Compares the samples of `first` with those of `second` (processed rows; a sample in
/// neither is left out, one in both is refused) in every gene of `dataset`'s processed values,
/// with Benjamini–Hochberg adjustment over the genes.
pub fn compare(
    dataset: &Dataset,
    first: &[bool],
    second: &[bool],
    method: DeMethod,
    ctx: Ctx<'_>,
) -> Result<Comparison, RecipeError> {
    let n = dataset.n_samples();
    if first.len() != n || second.len() != n {
        return Err(RecipeError::Invalid("the sets do not match the samples (the data changed)".into()));
    }
    if first.iter().zip(second).any(|(a, b)| *a && *b) {
        return Err(RecipeError::Invalid("the two sets share samples: each sample may be in one set only".into()));
    }
    let codes: Vec<Option<u32>> = first
        .iter()
        .zip(second)
        .map(|(&a, &b)| {
            if a {
                Some(0)
            } else if b {
                Some(1)
            } else {
                None
            }
        })
        .collect();
    let n2 = second.iter().filter(|&&b| b).count();
    let n1 = first.iter().filter(|&&a| a).count();
    if n1 < 2 || n2 < 2 {
        return Err(RecipeError::Invalid(format!("each set needs two samples or more (the sets have {n1} and {n2})")));
    }
    let levels = ["first".to_owned(), "second".to_owned()];
    let params = MarkerParams {
        method: match method {
            DeMethod::Welch => MarkerMethod::TTest,
            DeMethod::Wilcoxon => MarkerMethod::Wilcoxon,
        },
        reference: Some(1),
        tie_correct: true,
    };
    ctx.progress(None, "Comparing the two sets");
    let token = ctx.cancel_token();
    let cancelled = || token.is_some_and(crate::jobs::CancelToken::is_cancelled);
    let mut groups =
        markers::rank_genes_groups(dataset.values(), &codes, &levels, params, &cancelled).map_err(|e| match e {
            MarkerError::Cancelled => RecipeError::Cancelled,
            other => RecipeError::Invalid(other.to_string()),
        })?;
    let stats = groups.pop().ok_or_else(|| RecipeError::Invalid("nothing to compare".into()))?;
    Ok(Comparison { genes: dataset.gene_ids().to_vec(), stats, n2, method })
}

impl Comparison {
    /// Every gene by descending score:
    /// `rank,gene,score,logfoldchange,pval,pval_adj,mean1,mean2`.
    pub fn table_csv(&self) -> String {
        use std::fmt::Write as _;
        let g = &self.stats;
        let mut text = String::from("rank,gene,score,logfoldchange,pval,pval_adj,mean1,mean2\n");
        for (rank, &j) in g.order.iter().enumerate() {
            let _ = writeln!(
                text,
                "{},{},{},{},{},{},{},{}",
                rank + 1,
                crate::export::csv::field(&self.genes[j]),
                g.scores[j],
                g.logfoldchanges[j],
                g.pvals[j],
                g.pvals_adj[j],
                g.mean[j],
                g.mean_rest[j]
            );
        }
        text
    }

    /// Genes with adjusted p below `alpha`.
    pub fn significant(&self, alpha: f64) -> usize {
        self.stats.pvals_adj.iter().filter(|&&p| p < alpha).count()
    }
}

/// The plots of marker genes (scanpy's `rank_genes_groups_*` plots).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum MarkerPlot {
    /// Fraction of cells expressing (dot size) and mean expression (colour).
    #[default]
    Dotplot,
    /// Mean expression per group and gene.
    Matrixplot,
    /// A violin per group and gene.
    Violin,
    /// Every cell's expression, the cells grouped.
    Heatmap,
}

impl MarkerPlot {
    /// Every plot, in menu order.
    pub const ALL: [Self; 4] = [Self::Dotplot, Self::Matrixplot, Self::Violin, Self::Heatmap];

    /// The name shown.
    pub fn title(self) -> &'static str {
        match self {
            Self::Dotplot => "Dot plot",
            Self::Matrixplot => "Matrix plot",
            Self::Violin => "Stacked violins",
            Self::Heatmap => "Heatmap",
        }
    }
}

/// What a marker plot shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MarkerPlotSettings {
    /// The plot.
    pub kind: MarkerPlot,
    /// Top markers per group (when `genes` is empty).
    pub genes_per_group: usize,
    /// These genes instead of each group's top markers.
    pub genes: Vec<String>,
    /// Scale each gene to 0–1 over the groups (scanpy's `standard_scale="var"`).
    pub scale_per_gene: bool,
}

impl Default for MarkerPlotSettings {
    fn default() -> Self {
        Self { kind: MarkerPlot::Dotplot, genes_per_group: 4, genes: Vec::new(), scale_per_gene: false }
    }
}

/// Rows of a heatmap band per group (cells are averaged in runs when a group has more).
pub const HEATMAP_BAND: usize = 100;

/// The numbers behind a marker plot: groups (rows, in dendrogram order when there is one) ×
/// genes (columns, each group's top markers in turn).
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerPlotData {
    /// The grouping.
    pub groupby: String,
    /// Level index of each row, top to bottom (groups with cells only).
    pub rows: Vec<usize>,
    /// Row names.
    pub row_names: Vec<String>,
    /// Cells per row.
    pub row_cells: Vec<usize>,
    /// Gene id of each column (a gene may appear under two groups).
    pub genes: Vec<String>,
    /// Processed-matrix column of each column.
    pub columns: Vec<usize>,
    /// (group name, first column, end column): whose markers the columns are.
    pub brackets: Vec<(String, usize, usize)>,
    /// Mean value, `[row][column]`.
    pub mean: Vec<Vec<f64>>,
    /// Fraction of the row's cells with a value above 0, `[row][column]`.
    pub fraction: Vec<Vec<f64>>,
    /// The violin of each row and column.
    pub violins: Vec<Vec<Option<crate::analysis::density::Density>>>,
    /// The value range of each column over all rows (violins share it).
    pub column_range: Vec<(f64, f64)>,
    /// Heatmap bands: `[row][band line][column]`, each line the mean of a run of the row's cells.
    pub heatmap: Vec<Vec<Vec<f64>>>,
    /// The dendrogram over the rows: merges of row positions (`tree.n` = rows).
    pub tree: Option<crate::analysis::clustering::hierarchical::Tree>,
}

/// The data of a marker plot of `markers` (computed on `dataset` as it is now).
pub fn plot_data(
    dataset: &Dataset,
    markers: &Markers,
    settings: &MarkerPlotSettings,
) -> Result<MarkerPlotData, RecipeError> {
    use crate::analysis::density::{density, sorted_finite};
    let n = dataset.n_samples();
    if markers.codes.len() != n {
        return Err(RecipeError::Invalid("the data changed since the markers were ranked: rank them again".into()));
    }
    let groupby = markers.settings.groupby.clone().unwrap_or_default();
    let mut cells_of: Vec<Vec<usize>> = vec![Vec::new(); markers.levels.len()];
    for (i, c) in markers.codes.iter().enumerate() {
        if let Some(c) = c.map(|c| c as usize).filter(|&c| c < cells_of.len()) {
            cells_of[c].push(i);
        }
    }
    let order: Vec<usize> = match (&markers.tree, markers.settings.dendrogram) {
        (Some(t), true) => t.order.clone(),
        _ => (0..markers.levels.len()).collect(),
    };
    let rows: Vec<usize> = order.into_iter().filter(|&g| !cells_of[g].is_empty()).collect();
    // The tree over row positions, when every row is one of its items.
    let tree = match (&markers.tree, markers.settings.dendrogram) {
        (Some(t), true) if t.groups.len() == rows.len() => {
            let position: std::collections::HashMap<usize, usize> =
                rows.iter().enumerate().map(|(p, &g)| (g, p)).collect();
            let item_row: Vec<usize> = t.groups.iter().map(|g| position[g]).collect();
            // Relabel the leaves by row position; merges keep their ids (n + k).
            let relabel = |id: usize| if id < t.tree.n { item_row[id] } else { id };
            Some(crate::analysis::clustering::hierarchical::Tree {
                n: t.tree.n,
                merges: t
                    .tree
                    .merges
                    .iter()
                    .map(|m| crate::analysis::clustering::hierarchical::Merge {
                        left: relabel(m.left),
                        right: relabel(m.right),
                        ..*m
                    })
                    .collect(),
            })
        }
        _ => None,
    };
    let mut genes = Vec::new();
    let mut columns = Vec::new();
    let mut brackets = Vec::new();
    if settings.genes.is_empty() {
        for &g in &rows {
            let Some(stats) = markers.groups.iter().find(|s| s.group == g) else { continue };
            let start = columns.len();
            for &j in stats.order.iter().take(settings.genes_per_group.max(1)) {
                genes.push(markers.genes[j].clone());
                columns.push(j);
            }
            brackets.push((markers.levels[g].clone(), start, columns.len()));
        }
    } else {
        let index: std::collections::HashMap<&str, usize> =
            dataset.gene_ids().iter().enumerate().map(|(j, g)| (g.as_str(), j)).collect();
        let missing: Vec<&str> = settings.genes.iter().map(String::as_str).filter(|g| !index.contains_key(g)).collect();
        if !missing.is_empty() {
            return Err(RecipeError::Invalid(format!("no gene named {} in the data", missing.join(", "))));
        }
        for g in &settings.genes {
            genes.push(g.clone());
            columns.push(index[g.as_str()]);
        }
    }
    if columns.is_empty() {
        return Err(RecipeError::Invalid("no genes to plot".into()));
    }
    let mut unique = columns.clone();
    unique.sort_unstable();
    unique.dedup();
    let values = dataset.values().select_cols(&unique);
    let values = values.dense()?;
    let at: Vec<usize> = columns.iter().map(|j| unique.binary_search(j).unwrap_or(0)).collect();
    let mut mean = Vec::with_capacity(rows.len());
    let mut fraction = Vec::with_capacity(rows.len());
    let mut violins = Vec::with_capacity(rows.len());
    let mut heatmap = Vec::with_capacity(rows.len());
    let mut column_range = vec![(f64::INFINITY, f64::NEG_INFINITY); columns.len()];
    for &g in &rows {
        let cells = &cells_of[g];
        let (mut m, mut f, mut v) = (Vec::new(), Vec::new(), Vec::new());
        for (k, &c) in at.iter().enumerate() {
            let x: Vec<f64> = cells.iter().map(|&i| values[[i, c]]).collect();
            m.push(x.iter().sum::<f64>() / x.len() as f64);
            f.push(x.iter().filter(|&&x| x > 0.0).count() as f64 / x.len() as f64);
            let sorted = sorted_finite(&x);
            if let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) {
                column_range[k] = (column_range[k].0.min(lo), column_range[k].1.max(hi));
            }
            v.push(density(&sorted));
        }
        let lines = cells.len().min(HEATMAP_BAND);
        let band: Vec<Vec<f64>> = (0..lines)
            .map(|line| {
                let (from, to) = (line * cells.len() / lines, (line + 1) * cells.len() / lines);
                at.iter()
                    .map(|&c| (from..to).map(|p| values[[cells[p], c]]).sum::<f64>() / (to - from) as f64)
                    .collect()
            })
            .collect();
        mean.push(m);
        fraction.push(f);
        violins.push(v);
        heatmap.push(band);
    }
    Ok(MarkerPlotData {
        groupby,
        row_names: rows.iter().map(|&g| markers.levels[g].clone()).collect(),
        row_cells: rows.iter().map(|&g| cells_of[g].len()).collect(),
        rows,
        genes,
        columns,
        brackets,
        mean,
        fraction,
        violins,
        column_range,
        heatmap,
        tree,
    })
}
