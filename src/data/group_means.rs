//! Group means ("pseudobulk"): the samples of each group of a categorical annotation averaged
//! into one, as scanpy's `sc.get.aggregate(adata, by, func="mean")`.
//!
//! The analyses that need every pairwise distance (distance map, hierarchical clustering, the
//! clustered heatmap, silhouettes) refuse 100,000 cells; their refusals offer a subset or these
//! means, which turn the cells into a few dozen rows: one per cluster, cell type or donor.
//!
//! The result is a new [`Dataset`]: its samples are the groups (named by their level), its
//! values the means of the *processed* values of the group's members (what the pipeline made
//! of them: normalised, logged, the genes kept), its own pipeline empty. Its annotations are
//! the grouping itself, `n averaged` (members per group), every other categorical annotation
//! that is constant within each group (a donor's sex, a cluster's cell type when they nest) and
//! the group mean of every numeric one (mean counts, mean % mito). Samples without a value of
//! the grouping are left out (a note says how many). Missing values (`NaN`) are left out of
//! the mean of their gene.
//!
//! Its [`Source`](super::Source) records the grouping and the pipeline that ran on the members
//! ([`GroupMeans`]): sessions save it and reopening computes the means again from the file.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::annotations::{Annotation, AnnotationValues};
use super::dataset::{Dataset, RawData};
use super::preprocess::{Pipeline, PreprocessError};

/// How a dataset of group means was made from its file: the grouping, and the pipeline that
/// ran on the samples before they were averaged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupMeans {
    /// The categorical annotation that groups the samples.
    pub by: String,
    /// What ran on the samples before averaging.
    #[serde(default)]
    pub members: Pipeline,
}

/// The name of the annotation counting each group's members.
pub const MEMBERS: &str = "n averaged";

/// The mean of each group of `by` over `dataset`'s processed samples, as a dataset of its own
/// (see the module docs).
pub fn group_means(dataset: &Dataset, by: &str) -> Result<Dataset, PreprocessError> {
    let column = dataset
        .annotations()
        .iter()
        .find(|a| a.name == by)
        .ok_or_else(|| PreprocessError::UnknownAnnotation(by.to_owned()))?;
    let AnnotationValues::Categorical { levels, codes } = &column.values else {
        return Err(PreprocessError::UnknownAnnotation(by.to_owned()));
    };
    // Groups with members, in level order; `group[i]` is sample i's group.
    let mut members = vec![0usize; levels.len()];
    for code in codes.iter().flatten() {
        members[*code as usize] += 1;
    }
    let kept: Vec<usize> = (0..levels.len()).filter(|&l| members[l] > 0).collect();
    if kept.is_empty() {
        return Err(PreprocessError::NoSamplesLeft(format!("the means by '{by}'")));
    }
    let mut index_of = vec![usize::MAX; levels.len()];
    for (g, &l) in kept.iter().enumerate() {
        index_of[l] = g;
    }
    let group: Vec<Option<usize>> = codes.iter().map(|c| c.map(|c| index_of[c as usize])).collect();
    let values = means(dataset.values(), &group, kept.len());

    let names: Vec<String> = kept.iter().map(|&l| levels[l].clone()).collect();
    let mut annotations = vec![
        Annotation {
            name: by.to_owned(),
            values: AnnotationValues::Categorical {
                levels: names.clone(),
                codes: (0..kept.len() as u32).map(Some).collect(),
            },
        },
        Annotation {
            name: MEMBERS.to_owned(),
            values: AnnotationValues::Numeric(kept.iter().map(|&l| members[l] as f64).collect()),
        },
    ];
    for other in dataset.annotations().iter().filter(|a| a.name != by && a.name != MEMBERS) {
        if let Some(column) = carried(other, &group, kept.len()) {
            annotations.push(column);
        }
    }

    let mut raw = RawData::new(values, names, dataset.gene_ids().to_vec(), annotations, 0);
    let extras = dataset.raw().single_cell();
    let gene_annotations = {
        let raw_index: std::collections::HashMap<&str, usize> =
            dataset.raw().gene_ids().iter().enumerate().map(|(j, id)| (id.as_str(), j)).collect();
        let genes: Vec<usize> =
            dataset.gene_ids().iter().filter_map(|id| raw_index.get(id.as_str()).copied()).collect();
        if genes.len() == dataset.n_genes() {
            extras.gene_annotations.iter().map(|a| a.subset(&genes)).collect()
        } else {
            Vec::new()
        }
    };
    let kept_names: Vec<&str> = raw.annotations().iter().map(|a| a.name.as_str()).collect();
    let colours = extras.colours.iter().filter(|c| kept_names.contains(&c.annotation.as_str())).cloned().collect();
    raw.set_single_cell(gene_annotations, Vec::new(), colours);
    let origin = if dataset.raw().origin().is_empty() { "the matrix" } else { dataset.raw().origin() };
    raw.set_origin(format!("the means by '{by}' of {origin}"));

    let unassigned = group.iter().filter(|g| g.is_none()).count();
    let mut report = dataset.load_report.clone();
    report.notes.push(format!(
        "{} samples averaged into {} groups by '{by}'{}",
        dataset.n_samples() - unassigned,
        kept.len(),
        if unassigned > 0 { format!("; {unassigned} without a value left out") } else { String::new() }
    ));
    let mut source = dataset.source.clone();
    source.group_means = Some(GroupMeans { by: by.to_owned(), members: dataset.pipeline().clone() });
    let name = format!("{} — means by {by}", dataset.name);
    let mut out = Dataset::new(name, source, report, raw, Pipeline::default())?;
    out.join_reports.clone_from(&dataset.join_reports);
    Ok(out)
}

/// Groups × genes means of `values`' rows (`NaN`s left out per gene).
fn means(values: &super::Matrix, group: &[Option<usize>], groups: usize) -> Array2<f64> {
    let genes = values.ncols();
    let mut sums = Array2::<f64>::zeros((groups, genes));
    let mut counts = Array2::<f64>::zeros((groups, genes));
    let mut members = vec![0.0f64; groups];
    match values {
        super::Matrix::Sparse(csr, _) => {
            for (i, g) in group.iter().enumerate() {
                let Some(g) = *g else { continue };
                members[g] += 1.0;
                let (indices, data) = csr.row(i);
                for (&j, &v) in indices.iter().zip(data) {
                    sums[[g, j as usize]] += f64::from(v);
                }
            }
            for (mut row, &n) in counts.rows_mut().into_iter().zip(&members) {
                row.fill(n);
            }
        }
        super::Matrix::Dense(dense) => {
            for (i, g) in group.iter().enumerate() {
                let Some(g) = *g else { continue };
                for (j, &v) in dense.row(i).iter().enumerate() {
                    if !v.is_nan() {
                        sums[[g, j]] += v;
                        counts[[g, j]] += 1.0;
                    }
                }
            }
        }
    }
    sums.zip_mut_with(&counts, |s, &c| *s = if c > 0.0 { *s / c } else { f64::NAN });
    sums
}

/// `column` over the groups: a categorical one when every group's members share one value,
/// a numeric one as its group means; `None` otherwise.
fn carried(column: &Annotation, group: &[Option<usize>], groups: usize) -> Option<Annotation> {
    let values = match &column.values {
        AnnotationValues::Categorical { levels, codes } => {
            let mut value: Vec<Option<Option<u32>>> = vec![None; groups];
            for (code, g) in codes.iter().zip(group) {
                let Some(g) = *g else { continue };
                match value[g] {
                    None => value[g] = Some(*code),
                    Some(seen) if seen == *code => {}
                    Some(_) => return None,
                }
            }
            AnnotationValues::Categorical {
                levels: levels.clone(),
                codes: value.into_iter().map(Option::flatten).collect(),
            }
        }
        AnnotationValues::Numeric(v) => {
            let mut sums = vec![0.0; groups];
            let mut counts = vec![0usize; groups];
            for (x, g) in v.iter().zip(group) {
                if let Some(g) = *g
                    && !x.is_nan()
                {
                    sums[g] += x;
                    counts[g] += 1;
                }
            }
            AnnotationValues::Numeric(
                sums.iter().zip(&counts).map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN }).collect(),
            )
        }
    };
    Some(Annotation { name: column.name.clone(), values })
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;
    use crate::data::{Csr, LoadReport, Source};

    fn report() -> LoadReport {
        LoadReport {
            format: "test".into(),
            orientation: crate::data::Orientation::SamplesInRows,
            orientation_reason: String::new(),
            orientation_by_shape: false,
            missing: 0,
            notes: Vec::new(),
            single_cell: None,
        }
    }

    fn dataset(sparse: bool) -> Dataset {
        let values = array![[1.0, 0.0], [3.0, 2.0], [0.0, 4.0], [5.0, 0.0], [7.0, 1.0]];
        let cells: Vec<String> = (0..5).map(|i| format!("c{i}")).collect();
        let cluster = Annotation::categorical("cluster", &[Some("a"), Some("a"), Some("b"), None, Some("b")]);
        let donor = Annotation::categorical("donor", &[Some("d1"), Some("d1"), Some("d2"), Some("d1"), Some("d2")]);
        let batch = Annotation::categorical("batch", &[Some("x"), Some("y"), Some("x"), Some("x"), Some("x")]);
        let counts = Annotation {
            name: "total".into(),
            values: AnnotationValues::Numeric(vec![10.0, 20.0, 30.0, 40.0, f64::NAN]),
        };
        let matrix: crate::data::Matrix = if sparse { Csr::from_dense(&values).into() } else { values.into() };
        let raw = RawData::new(matrix, cells, vec!["g1".into(), "g2".into()], vec![cluster, donor, batch, counts], 0);
        Dataset::new("toy".into(), Source::default(), report(), raw, Pipeline::default()).unwrap()
    }

    #[test]
    fn groups_become_samples_with_their_means_and_shared_annotations() {
        for sparse in [false, true] {
            let means = group_means(&dataset(sparse), "cluster").unwrap();
            assert_eq!(means.sample_ids(), ["a", "b"]);
            let m = means.dense().unwrap();
            assert_eq!(m, &array![[2.0, 1.0], [3.5, 2.5]], "sparse: {sparse}");
            let names: Vec<&str> = means.annotations().iter().map(|a| a.name.as_str()).collect();
            // batch differs within group a: not carried.
            assert_eq!(names, ["cluster", MEMBERS, "donor", "total"]);
            assert_eq!(means.annotations()[1].values, AnnotationValues::Numeric(vec![2.0, 2.0]));
            assert_eq!(means.annotations()[2].value_text(0).as_deref(), Some("d1"));
            assert_eq!(means.annotations()[2].value_text(1).as_deref(), Some("d2"));
            assert_eq!(means.annotations()[3].values, AnnotationValues::Numeric(vec![15.0, 30.0]));
            assert!(means.load_report.notes.iter().any(|n| n.contains("1 without a value left out")));
            let recorded = means.source.group_means.as_ref().unwrap();
            assert_eq!(recorded.by, "cluster");
        }
    }

    #[test]
    fn missing_values_are_left_out_of_their_gene_mean() {
        let values = array![[1.0, f64::NAN], [3.0, 2.0]];
        let cluster = Annotation::categorical("cluster", &[Some("a"), Some("a")]);
        let raw =
            RawData::new(values, vec!["c0".into(), "c1".into()], vec!["g1".into(), "g2".into()], vec![cluster], 1);
        let d = Dataset::new("toy".into(), Source::default(), report(), raw, Pipeline::default()).unwrap();
        let means = group_means(&d, "cluster").unwrap();
        assert_eq!(means.dense().unwrap(), &array![[2.0, 2.0]]);
    }

    #[test]
    fn numeric_or_unknown_groupings_are_refused() {
        let d = dataset(false);
        assert!(matches!(group_means(&d, "total"), Err(PreprocessError::UnknownAnnotation(_))));
        assert!(matches!(group_means(&d, "nope"), Err(PreprocessError::UnknownAnnotation(_))));
    }
}
