//! The analysis layer: one definition of every analysis a user can run, shared by the app,
//! the command line, sessions and `biolens run`. No egui.
//!
//! Each module holds, for one analysis, its settings struct (serde; its `Default` is *the*
//! default, and a session saves it as it is), the rules that constrain it (such as "Ward
//! needs Euclidean distances"), its [`MemoryRule`](crate::memory::MemoryRule)s, and the
//! functions from (its settings or their analysis part, the data, [`Ctx`]) to plain results
//! (one per result a view shows: clustering has a tree, k-means with its elbow, DBSCAN with
//! its k-distance curve, silhouettes). The app's views hold these
//! settings and results and run the functions inside jobs; each CLI subcommand maps its flags
//! onto the settings in one place; `biolens run` calls the functions on one loaded dataset.
//!
//! A new analysis is a new module here, then thin front ends.

pub mod autoencoder;
pub mod classify;
pub mod clusters;
pub mod distance_map;
pub mod heatmap;
pub mod markers;
pub mod neighbors;
pub mod pca;
pub mod regress;
pub mod tsne;
pub mod umap;

use serde::{Deserialize, Serialize};

use crate::jobs::{CancelToken, JobContext, JobError};
use crate::memory::MemoryError;

/// What scatter points are coloured by (PCA, t-SNE).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colouring {
    /// One colour.
    #[default]
    Nothing,
    /// An annotation, by name.
    Annotation(String),
    /// A gene, by id.
    Gene(String),
}

impl Colouring {
    /// What scatters are coloured by when a dataset opens: its first categorical annotation
    /// that groups the samples (2 to 40 classes, fewer than the samples: not a column of ids
    /// such as GEO's titles), else nothing.
    pub fn first_for(dataset: &crate::data::Dataset) -> Self {
        let n = dataset.n_samples();
        dataset
            .annotations()
            .iter()
            .find(|a| match &a.values {
                crate::data::annotations::AnnotationValues::Categorical { levels, .. } => {
                    (2..=40).contains(&levels.len()) && levels.len() < n
                }
                crate::data::annotations::AnnotationValues::Numeric(_) => false,
            })
            .map_or(Self::Nothing, |a| Self::Annotation(a.name.clone()))
    }

    /// The annotation named by `--colour-by`/a session, when it is one (scatters on the command
    /// line colour by annotations only).
    pub fn annotation_name(&self) -> Option<&str> {
        match self {
            Self::Annotation(name) => Some(name),
            _ => None,
        }
    }

    /// True when `dataset` has what this colouring names (nothing always is).
    pub fn applies_to(&self, dataset: &crate::data::Dataset) -> bool {
        match self {
            Self::Nothing => true,
            Self::Annotation(name) => dataset.annotations().iter().any(|a| &a.name == name),
            Self::Gene(gene) => dataset.gene_ids().iter().any(|g| g == gene),
        }
    }
}

/// The annotation a view's `choice` of strip or comparison names in `dataset`: an empty name is
/// none, a name the data lack is none, and no choice is `default` (each view's rule, shared by
/// the app, `biolens plot` and `biolens run`).
pub fn chosen_annotation(
    choice: Option<&str>,
    dataset: &crate::data::Dataset,
    default: impl FnOnce() -> Option<String>,
) -> Option<String> {
    match choice {
        Some("") => None,
        Some(name) => dataset.annotations().iter().any(|a| a.name == name).then(|| name.to_owned()),
        None => default(),
    }
}

/// The first annotation of `dataset`, if any: the strips' default.
pub fn first_annotation(dataset: &crate::data::Dataset) -> Option<String> {
    dataset.annotations().first().map(|a| a.name.clone())
}

/// How an analysis reports progress and learns that it was cancelled.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    cancel: Option<&'a CancelToken>,
    progress: &'a dyn Fn(Option<f32>, &str),
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("cancelled", &self.is_cancelled()).finish_non_exhaustive()
    }
}

fn no_progress(_: Option<f32>, _: &str) {}

impl<'a> Ctx<'a> {
    /// No progress, no cancel (the command line).
    pub fn silent() -> Ctx<'static> {
        Ctx { cancel: None, progress: &no_progress }
    }

    /// Progress to `progress`, cancel from `cancel`.
    pub fn new(cancel: Option<&'a CancelToken>, progress: &'a dyn Fn(Option<f32>, &str)) -> Self {
        Self { cancel, progress }
    }

    /// The cancel token, for the algorithms that take one.
    pub fn cancel_token(&self) -> Option<&'a CancelToken> {
        self.cancel
    }

    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_some_and(CancelToken::is_cancelled)
    }

    /// `Err(Cancelled)` once cancelled: use with `?` between steps.
    pub fn check(&self) -> Result<(), RecipeError> {
        if self.is_cancelled() { Err(RecipeError::Cancelled) } else { Ok(()) }
    }

    /// Reports progress.
    pub fn progress(&self, fraction: Option<f32>, message: &str) {
        (self.progress)(fraction, message);
    }

    /// An algorithm's error, or `Cancelled` when it stopped because of Cancel.
    pub fn failed(&self, err: impl std::fmt::Display) -> RecipeError {
        if self.is_cancelled() { RecipeError::Cancelled } else { RecipeError::Failed(format!("{err:#}")) }
    }
}

/// The most samples a refusal offers to keep: interactive views stay responsive up to here.
pub const SUBSET_OFFER: usize = 10_000;

/// How many samples of `genes` genes to offer to keep when an analysis refuses: what its
/// memory `rule` allows here, at most [`SUBSET_OFFER`].
pub fn subset_offer(rule: crate::memory::MemoryRule, genes: usize) -> usize {
    rule.max_samples(genes, crate::memory::available_bytes()).min(SUBSET_OFFER)
}

/// Runs `f` with a [`Ctx`] that reports to a job.
pub fn in_job<T, P, R>(
    job: &JobContext<T, P>,
    f: impl FnOnce(Ctx<'_>) -> Result<R, RecipeError>,
) -> Result<R, JobError> {
    let progress = |fraction: Option<f32>, message: &str| job.progress(fraction, message);
    f(Ctx::new(Some(job.cancel_token()), &progress)).map_err(JobError::from)
}

/// Why an analysis produced no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipeError {
    /// Cancelled by the user.
    #[error("cancelled")]
    Cancelled,
    /// It would need more memory than there is.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// The settings do not apply to this data (the message says why and what to do).
    #[error("{0}")]
    Invalid(String),
    /// The computation failed.
    #[error("{0}")]
    Failed(String),
}

impl From<RecipeError> for JobError {
    fn from(err: RecipeError) -> Self {
        match err {
            RecipeError::Cancelled => JobError::Cancelled,
            other => JobError::Failed(other.to_string()),
        }
    }
}

impl From<crate::analysis::distance::DistanceError> for RecipeError {
    fn from(err: crate::analysis::distance::DistanceError) -> Self {
        use crate::analysis::distance::DistanceError;
        match err {
            DistanceError::Cancelled => Self::Cancelled,
            DistanceError::Memory(m) => Self::Memory(m),
            other => Self::Failed(other.to_string()),
        }
    }
}
