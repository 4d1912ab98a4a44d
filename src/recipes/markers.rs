//! Marker genes: each group of a categorical annotation against the rest (or a reference
//! group), scanpy's `rank_genes_groups` (see [`crate::analysis::markers`]).

use serde::{Deserialize, Serialize};

use super::{Ctx, RecipeError};
use crate::analysis::markers::{self, GroupMarkers, MarkerError, MarkerMethod, MarkerParams};
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
}

impl Default for MarkerSettings {
    fn default() -> Self {
        Self { groupby: None, method: MarkerMethod::Wilcoxon, reference: None, tie_correct: false, n_genes: 100 }
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
}

/// Ranks the genes of `dataset`'s processed values for each group of `settings.groupby`.
pub fn run(dataset: &Dataset, settings: &MarkerSettings, ctx: Ctx<'_>) -> Result<Markers, RecipeError> {
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
    Ok(Markers { levels: levels.clone(), genes: dataset.gene_ids().to_vec(), groups, settings: settings.clone() })
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
