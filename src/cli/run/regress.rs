//! `biolens run`'s regression side: a session's regressors run on its dataset (each model's
//! report, the shown model's predictions and figures) and the same as `biolens regress` lines.

use anyhow::Context as _;

use super::{Arg, Push, Runner, feature_args, mlp_args, text, validation_args};
use crate::analysis::classify::svm::Kernel;
use crate::recipes;
use crate::recipes::classify::Validation;
use crate::session::Session;

impl Runner<'_> {
    /// The regression side, when its models had been run: every model's report, and the
    /// predictions and their figures for the model shown.
    pub(super) fn regress(&mut self) -> anyhow::Result<()> {
        let v = &self.s.views.classify;
        if !v.regress_ran {
            return Ok(());
        }
        let r = &v.regress;
        let target = r.target_in(&self.dataset).context("no numeric annotation or gene to predict")?;
        for (k, model) in r.chosen_models().into_iter().enumerate() {
            let settings = recipes::regress::RegressSettings {
                target: Some(target.clone()),
                models: vec![(true, model.clone())],
                ..r.clone()
            };
            let regression = super::super::regress::evaluate_on(&self.dataset, &settings, false)?;
            let name = regress_model_args(&model).0;
            self.table(&format!("regress_{name}.json"), |w| writeln!(w, "{}", regression.json()))?;
            if k == r.selected {
                self.table(&format!("regress_{name}_predictions.csv"), |w| {
                    super::super::regress::write_predictions(w, &regression)
                })?;
                let stem = self.s.data.matrix.path.file_stem().and_then(|s| s.to_str()).unwrap_or("data").to_owned();
                let (predicted, residuals) =
                    (format!("predicted_{name}.{}", self.ext), format!("residuals_{name}.{}", self.ext));
                regression.write_figures(&stem, Some(&self.dir.join(&predicted)), Some(&self.dir.join(&residuals)))?;
                self.written.extend([predicted, residuals]);
            }
        }
        Ok(())
    }
}

/// The `regress` flags of a model, and a short name for its files.
fn regress_model_args(m: &crate::analysis::regress::Regressor) -> (&'static str, Vec<String>) {
    use crate::analysis::regress::Regressor as R;
    use crate::analysis::regress::linear::Loss;
    let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let tree = |p: &crate::analysis::classify::forest::TreeParams| {
        let mut v = s(&["--min-samples-split", &p.min_samples_split.to_string()]);
        if let Some(d) = p.max_depth {
            v.extend(s(&["--max-depth", &d.to_string()]));
        }
        v
    };
    match m {
        R::Baseline => ("baseline", s(&["--model", "baseline"])),
        R::Ols => ("ols", s(&["--model", "ols"])),
        R::Ridge { alpha } => ("ridge", s(&["--model", "ridge", "--alpha", &alpha.to_string()])),
        R::ElasticNet { alpha, l1_ratio, tol, max_iter } => {
            let (name, model) = if *l1_ratio >= 1.0 { ("lasso", "lasso") } else { ("elasticnet", "elasticnet") };
            let mut v = s(&["--model", model, "--alpha", &alpha.to_string(), "--tol", &tol.to_string()]);
            v.extend(s(&["--max-iter", &max_iter.to_string()]));
            if *l1_ratio < 1.0 {
                v.extend(s(&["--l1-ratio", &l1_ratio.to_string()]));
            }
            (name, v)
        }
        R::Robust { loss } => {
            let mut v = s(&["--model", "robust"]);
            match loss {
                Loss::Squared => v.extend(s(&["--loss", "squared"])),
                Loss::Absolute => v.extend(s(&["--loss", "absolute"])),
                Loss::Huber { epsilon } => v.extend(s(&["--loss", "huber", "--huber-epsilon", &epsilon.to_string()])),
            }
            ("robust", v)
        }
        R::Knn { k, weights } => {
            let mut v = s(&["--model", "knn", "--k", &k.to_string()]);
            if *weights == crate::analysis::classify::models::KnnWeights::Distance {
                v.push("--distance-weights".to_owned());
            }
            ("knn", v)
        }
        R::Tree { params, .. } => ("tree", [s(&["--model", "tree"]), tree(params)].concat()),
        R::Forest { trees, params, .. } => {
            ("rf", [s(&["--model", "rf", "--trees", &trees.to_string()]), tree(params)].concat())
        }
        R::Svr { kernel, c, epsilon } => {
            let (name, mut v) = match kernel {
                Kernel::Linear => ("svr-linear", s(&["--model", "svr-linear"])),
                Kernel::Rbf { gamma } => {
                    let mut v = s(&["--model", "svr-rbf"]);
                    if let Some(g) = gamma {
                        v.extend(s(&["--gamma", &g.to_string()]));
                    }
                    ("svr-rbf", v)
                }
            };
            v.extend(s(&["--c", &c.to_string(), "--epsilon", &epsilon.to_string()]));
            (name, v)
        }
        R::Mlp { params, loss } => {
            let mut v = mlp_args(params);
            match loss {
                Loss::Squared => {}
                Loss::Absolute => v.extend(s(&["--loss", "absolute"])),
                Loss::Huber { epsilon } => v.extend(s(&["--loss", "huber", "--huber-epsilon", &epsilon.to_string()])),
            }
            ("mlp", v)
        }
    }
}

/// The regression side's command lines: every model switched on, with its features and
/// validation, each to `regress_NAME.json`.
pub(super) fn regress_lines(s: &Session, ext: &str, push: &mut Push<'_>) {
    let v = &s.views.classify;
    if !v.regress_ran {
        return;
    }
    let r = &v.regress;
    let Some(target) = &r.target else { return };
    let mut common = match target {
        crate::recipes::regress::RegressTarget::Annotation(a) => text(&["--target", a]),
        crate::recipes::regress::RegressTarget::Gene(g) => text(&["--target-gene", g]),
    };
    common.extend(text(&["--seed", &r.seed.to_string()]));
    common.extend(feature_args(r.features, r.top_genes, r.selection, r.pcs, r.scale));
    if r.polynomial {
        common.push(Arg::Text("--polynomial".to_owned()));
    }
    common.extend(validation_args(&r.validation).unwrap_or_else(|| match &r.validation {
        Validation::Random { test_share } => text(&["--holdout", &test_share.to_string()]),
        _ => Vec::new(),
    }));
    for (k, model) in r.models.iter().filter(|(on, _)| *on).map(|(_, m)| m).enumerate() {
        let (name, flags) = regress_model_args(model);
        let mut args = common.clone();
        args.extend(flags.into_iter().map(Arg::Text));
        args.push(Arg::Text("--json".to_owned()));
        if k == r.selected {
            for (flag, file) in [
                ("--predictions-out", format!("regress_{name}_predictions.csv")),
                ("--predicted-figure", format!("predicted_{name}.{ext}")),
                ("--residuals-figure", format!("residuals_{name}.{ext}")),
            ] {
                args.extend([Arg::Text(flag.to_owned()), Arg::Out(file)]);
            }
        }
        push(&["regress"], args, Some(&format!("regress_{name}.json")));
    }
}
