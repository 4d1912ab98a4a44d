//! Classification with honest validation: the target, the features (fitted inside each
//! training fold), the validation scheme and the models; [`prepare`] turns a dataset into the
//! labelled problem and its splits (the app, `biolens classify` and `biolens run` share it),
//! and [`run`] cross-validates every chosen model on the same splits.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::{Ctx, RecipeError};
use crate::analysis::classify::folds::{
    Split, k_fold, leave_one_out, repeated_k_fold, repeated_plain_k_fold, shuffle_split, split_by, stratified_k_fold,
    train_test_split,
};
use crate::analysis::classify::search::{Grid, Param, grid_search, nested_cv, random_search, validation_curve};
use crate::analysis::classify::validation::{CvOutcome, Features, GeneSelection, cross_validate};
use crate::analysis::classify::{Model, encode_labels};
use crate::data::Dataset;
use crate::data::annotations::AnnotationValues;
use crate::memory::{MemoryRule, matrix_bytes};

fn shuffled() -> bool {
    true
}

/// Folds of the default stratified k-fold (scikit-learn's `cv=5`).
pub const DEFAULT_FOLDS: usize = 5;

/// What the classifiers are fitted on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureChoice {
    /// Every gene.
    #[default]
    All,
    /// The N genes chosen in each training fold.
    TopGenes,
    /// K principal components of each training fold.
    Pcs,
}

/// How the classifiers are validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validation {
    /// Stratified k-fold (scikit-learn's `StratifiedKFold`), shuffled unless asked not to,
    /// repeated with seeds S, S+1, … (shuffled only).
    KFold {
        /// Folds.
        folds: usize,
        /// Repeats.
        repeats: usize,
        /// Shuffle each class before dealing it into folds (`shuffle=True`).
        #[serde(default = "shuffled")]
        shuffle: bool,
    },
    /// Leave-one-out.
    LeaveOneOut,
    /// One random stratified split.
    Random {
        /// Share of each class tested.
        test_share: f64,
    },
    /// One split by an annotation's value.
    ByAnnotation {
        /// The annotation.
        column: String,
        /// The value of the test samples.
        value: String,
    },
}

impl Default for Validation {
    fn default() -> Self {
        Self::KFold { folds: DEFAULT_FOLDS, repeats: 1, shuffle: true }
    }
}

/// The Classify view's settings (the view holds them as they are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[allow(clippy::struct_excessive_bools)] // the view's check boxes
pub struct ClassifySettings {
    /// The annotation to predict (`None`: the first categorical one).
    pub target: Option<String>,
    /// Features.
    pub features: FeatureChoice,
    /// N genes.
    pub top_genes: usize,
    /// How the N genes are chosen.
    pub selection: GeneSelection,
    /// K components.
    pub pcs: usize,
    /// z-score the features in each training fold.
    pub scale: bool,
    /// Validation.
    pub validation: Validation,
    /// Seed of the folds and forests.
    pub seed: u32,
    /// The models, each on or off.
    pub models: Vec<(bool, Model)>,
    /// Also validate with genes chosen on all samples (teaching).
    pub leak_lesson: bool,
    /// The model whose details are shown (index into the run's outcomes).
    pub selected: usize,
    /// Confusion matrix as row shares.
    pub normalised: bool,
}

impl Default for ClassifySettings {
    fn default() -> Self {
        Self {
            target: None,
            features: FeatureChoice::All,
            top_genes: 200,
            selection: GeneSelection::Variance,
            pcs: 10,
            scale: true,
            validation: Validation::default(),
            seed: 0,
            models: Model::defaults()
                .into_iter()
                .map(|m| (!matches!(m, Model::Tree { .. } | Model::Mlp(_)), m))
                .collect(),
            leak_lesson: false,
            selected: 0,
            normalised: false,
        }
    }
}

impl ClassifySettings {
    /// The fold pipeline the settings describe (fitted in each training fold).
    pub fn fold_features(&self) -> Features {
        Features {
            top_genes: (self.features == FeatureChoice::TopGenes).then_some(self.top_genes),
            selection: self.selection,
            scale: self.scale,
            pca: (self.features == FeatureChoice::Pcs).then_some(self.pcs),
            select_on_all_data: false,
            polynomial: false,
        }
    }

    /// The models switched on, the forest seeded with the settings' seed.
    pub fn chosen_models(&self) -> Vec<Model> {
        self.models.iter().filter(|(on, _)| *on).map(|(_, m)| m.clone().with_seed(u64::from(self.seed))).collect()
    }

    /// The annotation to predict in `dataset`: the one chosen if it is categorical, else the
    /// first categorical annotation that is not a clustering's.
    pub fn target_in(&self, dataset: &Dataset) -> Option<String> {
        let categorical = |name: &str| {
            dataset
                .annotations()
                .iter()
                .any(|a| a.name == name && matches!(a.values, AnnotationValues::Categorical { .. }))
        };
        match &self.target {
            Some(name) if categorical(name) => Some(name.clone()),
            _ => dataset
                .annotations()
                .iter()
                .find(|a| matches!(a.values, AnnotationValues::Categorical { .. }) && !a.name.ends_with(" clusters"))
                .map(|a| a.name.clone()),
        }
    }
}

/// The labelled samples' matrix, one fold's copy, and the models' working copies.
pub const MEMORY: MemoryRule = MemoryRule { what: "classification", bytes: |n, genes| 4 * matrix_bytes(n, genes) };

/// A classification problem: the labelled samples, their classes and the splits.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Labelled samples × genes.
    pub x: Array2<f64>,
    /// Class names.
    pub classes: Vec<String>,
    /// Processed-sample index of each labelled sample.
    pub samples: Vec<usize>,
    /// Their classes.
    pub y: Vec<usize>,
    /// The splits (indices into the labelled samples).
    pub splits: Vec<Split>,
    /// What the validation is ("stratified 5-fold").
    pub validation: String,
    /// Notices (rare classes, unlabelled samples).
    pub notices: Vec<String>,
}

/// The problem of predicting `target` in `dataset` under `validation` (seeded by `seed`).
pub fn prepare(dataset: &Dataset, target: &str, validation: &Validation, seed: u32) -> Result<Problem, RecipeError> {
    let invalid = RecipeError::Invalid;
    let annotation = dataset.annotations().iter().find(|a| a.name == target).ok_or_else(|| {
        let names: Vec<&str> = dataset.annotations().iter().map(|a| a.name.as_str()).collect();
        invalid(format!("no annotation '{target}'; the annotations are: {}", names.join(", ")))
    })?;
    let values: Vec<Option<String>> = match &annotation.values {
        AnnotationValues::Categorical { levels, codes } => {
            codes.iter().map(|c| c.map(|c| levels[c as usize].clone())).collect()
        }
        AnnotationValues::Numeric(_) => {
            return Err(invalid(format!(
                "'{target}' holds measurements, not classes: choose a categorical annotation"
            )));
        }
    };
    MEMORY.check(dataset.n_samples(), dataset.n_genes())?;
    let (classes, codes) = encode_labels(&values);
    let samples: Vec<usize> = (0..codes.len()).filter(|&i| codes[i].is_some()).collect();
    let y: Vec<usize> = samples.iter().filter_map(|&i| codes[i]).collect();
    let mut notices = Vec::new();
    if samples.len() < codes.len() {
        notices.push(format!("{} samples without a '{target}' value are left out", codes.len() - samples.len()));
    }
    if let Validation::KFold { folds, .. } = validation {
        for (c, name) in classes.iter().enumerate() {
            let members = y.iter().filter(|&&v| v == c).count();
            if members < *folds {
                notices.push(format!(
                    "class '{name}' has {members} samples, fewer than {folds} folds: some test folds have none of it"
                ));
            }
        }
    }
    let (splits, what) = make_splits(dataset, &samples, Some(&y), validation, seed)?;
    let x = dataset.dense()?.select(ndarray::Axis(0), &samples);
    Ok(Problem { x, classes, samples, y, splits, validation: what, notices })
}

/// The splits of `validation` over the `samples` (processed-sample indices) validated, and
/// what they are in words: stratified by `classes` when there are classes (classification),
/// scikit-learn's plain `KFold` / `RepeatedKFold` / `ShuffleSplit` when not (regression). The one
/// place where both kinds of prediction get their splits.
pub fn make_splits(
    dataset: &Dataset,
    samples: &[usize],
    classes: Option<&[usize]>,
    validation: &Validation,
    seed: u32,
) -> Result<(Vec<Split>, String), RecipeError> {
    let invalid = RecipeError::Invalid;
    let split_error = |e: crate::analysis::classify::folds::SplitError| invalid(e.to_string());
    let n = samples.len();
    let kind = if classes.is_some() { "stratified " } else { "" };
    Ok(match validation {
        Validation::KFold { folds, repeats, shuffle } => {
            if *repeats > 1 && !shuffle {
                return Err(invalid(
                    "repeats of an unshuffled k-fold would all be the same: shuffle, or 1 repeat".into(),
                ));
            }
            let splits = match (classes, *repeats > 1) {
                (Some(y), true) => repeated_k_fold(y, *folds, *repeats, seed),
                (Some(y), false) => stratified_k_fold(y, *folds, *shuffle, seed),
                (None, true) => repeated_plain_k_fold(n, *folds, *repeats, seed),
                (None, false) => k_fold(n, *folds, *shuffle, seed),
            }
            .map_err(split_error)?;
            let what = match (*repeats, *shuffle) {
                (r, _) if r > 1 => format!("{r} × {kind}{folds}-fold"),
                (_, true) => format!("{kind}{folds}-fold"),
                (_, false) => format!("{kind}{folds}-fold, not shuffled"),
            };
            (splits, what)
        }
        Validation::LeaveOneOut => (leave_one_out(n), "leave-one-out".to_owned()),
        Validation::Random { test_share } => {
            let split = match classes {
                Some(y) => train_test_split(y, *test_share, seed),
                None => shuffle_split(n, *test_share, seed),
            }
            .map_err(split_error)?;
            (vec![split], format!("random train/test split ({:.0} % tested)", test_share * 100.0))
        }
        Validation::ByAnnotation { column, value } => {
            let a = dataset
                .annotations()
                .iter()
                .find(|a| &a.name == column)
                .ok_or_else(|| invalid(format!("split: no annotation '{column}'")))?;
            let cells: Vec<Option<String>> = samples.iter().map(|&i| a.value_text(i)).collect();
            let refs: Vec<Option<&str>> = cells.iter().map(|c| c.as_deref()).collect();
            let split = split_by(&refs, value).map_err(|e| invalid(format!("split by {column} = {value}: {e}")))?;
            (vec![split], format!("train/test split by {column} = {value}"))
        }
    })
}

/// Every chosen model validated on the same splits.
#[derive(Debug, Clone)]
pub struct ClassifyRun {
    /// Class names.
    pub classes: Vec<String>,
    /// Processed-sample index of each validated (labelled) sample.
    pub samples: Vec<usize>,
    /// Their classes.
    pub y: Vec<usize>,
    /// One per model.
    pub outcomes: Vec<CvOutcome>,
    /// Per model, mean accuracy with the genes chosen on all samples (the leakage lesson).
    pub leaky: Option<Vec<f64>>,
    /// The splits used.
    pub splits: std::sync::Arc<[Split]>,
    /// The features used.
    pub features: Features,
    /// Notices (rare classes, unlabelled samples).
    pub notices: Vec<String>,
}

impl ClassifyRun {
    /// The search problem of this run on `x` (its labelled samples × genes).
    pub fn problem<'a>(&'a self, x: ndarray::ArrayView2<'a, f64>) -> crate::analysis::classify::search::Problem<'a> {
        crate::analysis::classify::search::Problem {
            x,
            y: &self.y,
            classes: self.classes.len(),
            features: &self.features,
            splits: &self.splits,
        }
    }
}

/// Cross-validates every model chosen in `settings` on `dataset` (progress per fold, Cancel
/// between folds); with the leakage lesson, again with the genes chosen on all samples.
pub fn run(settings: &ClassifySettings, dataset: &Dataset, ctx: Ctx<'_>) -> Result<ClassifyRun, RecipeError> {
    let target = settings.target_in(dataset).ok_or_else(|| {
        RecipeError::Invalid("add a categorical annotation to predict (File > Open annotations…)".to_owned())
    })?;
    let models = settings.chosen_models();
    if models.is_empty() {
        return Err(RecipeError::Invalid("choose at least one model".to_owned()));
    }
    let features = settings.fold_features();
    let leak = settings.leak_lesson && features.top_genes.is_some();
    let problem = prepare(dataset, &target, &settings.validation, settings.seed)?;
    let runs = models.len() * problem.splits.len() * if leak { 2 } else { 1 };
    let mut done = 0;
    let mut outcomes = Vec::with_capacity(models.len());
    let mut leaky = leak.then(Vec::new);
    let classes = problem.classes.len();
    for model in &models {
        let mut step = |_| {
            done += 1;
            ctx.progress(Some(done as f32 / runs as f32), &format!("{}: fold {done}", model.name()));
        };
        let cv = cross_validate(
            problem.x.view(),
            &problem.y,
            classes,
            model,
            &features,
            &problem.splits,
            ctx.cancel_token(),
            &mut step,
        )
        .map_err(|e| ctx.failed(e))?;
        outcomes.push(cv);
        if let Some(leaky) = &mut leaky {
            let on_all = Features { select_on_all_data: true, ..features.clone() };
            let cv = cross_validate(
                problem.x.view(),
                &problem.y,
                classes,
                model,
                &on_all,
                &problem.splits,
                ctx.cancel_token(),
                &mut |_| done += 1,
            )
            .map_err(|e| ctx.failed(e))?;
            leaky.push(cv.mean_sd(|s| Some(s.accuracy)).0);
        }
    }
    Ok(ClassifyRun {
        classes: problem.classes,
        samples: problem.samples,
        y: problem.y,
        outcomes,
        leaky,
        splits: problem.splits.into(),
        features,
        notices: problem.notices,
    })
}

/// Tuning a model: a grid over one or two hyperparameters, with their values as typed
/// ("0.1, 1, 10"); saved with a session as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridSearch {
    /// Rows.
    pub param: Param,
    /// Their values.
    pub values: String,
    /// Columns (optional).
    pub param2: Option<Param>,
    /// Their values.
    pub values2: String,
}

/// Numbers typed with commas, spaces or semicolons between them.
fn typed_values(text: &str) -> Vec<f64> {
    text.split([',', ' ', ';']).filter_map(|v| v.trim().parse().ok()).collect()
}

impl GridSearch {
    /// The rows' hyperparameter and the values it accepts.
    pub fn rows(&self) -> Result<(Param, Vec<f64>), RecipeError> {
        let values: Vec<f64> = typed_values(&self.values).into_iter().filter(|v| self.param.accepts(*v)).collect();
        if values.is_empty() {
            return Err(RecipeError::Invalid(format!(
                "type the values of {} to try, separated by commas (positive numbers)",
                self.param.label()
            )));
        }
        Ok((self.param, values))
    }

    /// The columns' hyperparameter and values, when there is a second one.
    pub fn columns(&self) -> Option<(Param, Vec<f64>)> {
        self.param2
            .filter(|p| *p != self.param)
            .map(|p| (p, typed_values(&self.values2).into_iter().filter(|v| p.accepts(*v)).collect::<Vec<_>>()))
            .filter(|(_, v)| !v.is_empty())
    }

    /// Random search's ranges: each hyperparameter between its smallest and largest value typed.
    pub fn ranges(&self) -> Result<Vec<(Param, f64, f64)>, RecipeError> {
        let range = |values: Vec<f64>| {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo.is_finite() && hi >= lo && lo > 0.0).then_some((lo, hi))
        };
        let typed = std::iter::once((Some(self.param), &self.values)).chain([(self.param2, &self.values2)]);
        let ranges: Vec<(Param, f64, f64)> = typed
            .filter_map(|(p, text)| Some((p?, range(typed_values(text))?)))
            .map(|(p, (lo, hi))| (p, lo, hi))
            .collect();
        if ranges.is_empty() {
            return Err(RecipeError::Invalid(
                "type positive values: the search draws between the smallest and the largest".to_owned(),
            ));
        }
        Ok(ranges)
    }
}

/// What tuning found.
#[derive(Debug, Clone)]
pub struct SearchOutcome {
    /// The model searched.
    pub model: Model,
    /// Mean CV accuracy over the grid.
    pub grid: Grid,
    /// Nested CV: outer accuracy and the model chosen inside each outer fold.
    pub nested: Vec<(f64, Model)>,
    /// Validation curve over the first hyperparameter: (value, training, CV accuracy).
    pub curve: Vec<(f64, f64, f64)>,
}

/// Inner folds of the nested cross-validation: the grid search that tunes the model inside
/// each outer (the run's) training fold.
pub const NESTED_INNER_FOLDS: usize = 3;

/// The grid of `search` around `model` on the run's splits, nested CV of the tuned model and
/// the validation curve of the first hyperparameter; `x` is the run's labelled samples.
pub fn tune<'a>(
    search: &GridSearch,
    run: &'a ClassifyRun,
    x: ndarray::ArrayView2<'a, f64>,
    model: &Model,
    seed: u32,
    ctx: Ctx<'_>,
) -> Result<SearchOutcome, RecipeError> {
    let (param, values) = search.rows()?;
    let cols = search.columns();
    let problem = run.problem(x);
    let cancel = ctx.cancel_token();
    let grid = grid_search(&problem, model, (param, values.clone()), cols.clone(), cancel, &mut |d, t| {
        ctx.progress(Some(d as f32 / t as f32 * 0.5), "grid search");
    })
    .map_err(|e| ctx.failed(e))?;
    let nested =
        nested_cv(&problem, model, NESTED_INNER_FOLDS, &(param, values.clone(), cols), seed, cancel, &mut |d, t| {
            ctx.progress(Some(0.5 + d as f32 / t as f32 * 0.35), "nested CV");
        })
        .map_err(|e| ctx.failed(e))?;
    let curve = validation_curve(&problem, model, param, &values, cancel, &mut |d, t| {
        ctx.progress(Some(0.85 + d as f32 / t as f32 * 0.15), "validation curve");
    })
    .map_err(|e| ctx.failed(e))?;
    Ok(SearchOutcome { model: model.clone(), grid, nested, curve })
}

/// What a random search found: every model drawn with its mean CV accuracy, best first.
#[derive(Debug, Clone)]
pub struct RandomOutcome {
    /// The model searched.
    pub base: Model,
    /// Drawn models and scores.
    pub draws: Vec<(Model, f64)>,
}

/// `draws` models around `base`, each hyperparameter of `search` drawn log-uniformly between
/// its smallest and largest typed value, scored on the run's splits.
pub fn random<'a>(
    search: &GridSearch,
    run: &'a ClassifyRun,
    x: ndarray::ArrayView2<'a, f64>,
    base: &Model,
    draws: usize,
    seed: u64,
    ctx: Ctx<'_>,
) -> Result<RandomOutcome, RecipeError> {
    let ranges = search.ranges()?;
    let problem = run.problem(x);
    let found = random_search(&problem, base, &ranges, draws, seed, ctx.cancel_token(), &mut |d, t| {
        ctx.progress(Some(d as f32 / t as f32), "random search");
    })
    .map_err(|e| ctx.failed(e))?;
    Ok(RandomOutcome { base: base.clone(), draws: found })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(values: &str, param2: Option<Param>, values2: &str) -> GridSearch {
        GridSearch { param: Param::C, values: values.into(), param2, values2: values2.into() }
    }

    #[test]
    fn typed_values_become_the_grid_and_the_ranges() {
        let g = grid("0.1, 1;10 x -3", Some(Param::K), "1 3, 0.5");
        assert_eq!(g.rows().unwrap(), (Param::C, vec![0.1, 1.0, 10.0]), "non-positive and text left out");
        assert_eq!(g.columns(), Some((Param::K, vec![1.0, 3.0])), "k counts from 1");
        // A range needs every typed value positive: C's −3 leaves C out of the random search.
        assert_eq!(g.ranges().unwrap(), vec![(Param::K, 0.5, 3.0)]);
        assert_eq!(grid("0.1 10", None, "").ranges().unwrap(), vec![(Param::C, 0.1, 10.0)]);
        let none = grid("abc", Some(Param::C), "1");
        assert!(none.rows().unwrap_err().to_string().contains("type the values of"));
        assert_eq!(none.columns(), None, "the same hyperparameter twice is one axis");
        assert!(grid("-1", None, "").ranges().is_err());
    }
}
