//! The app's state, owned by [`super::BiolensApp`]: the current dataset with its summary,
//! the one global selection, the running data job, notices and settings.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::data::{Dataset, Histogram, OpenRequest, Summary};
use crate::jobs::Job;

use super::settings::Settings;

/// Bins of the value histogram.
pub const HISTOGRAM_BINS: usize = 60;

/// The open dataset and what was computed from it off the UI thread.
#[derive(Debug, Clone)]
pub struct Current {
    /// The dataset.
    pub dataset: Arc<Dataset>,
    /// Shape, range, annotations.
    pub summary: Summary,
    /// Distribution of processed values.
    pub histogram: Histogram,
    /// Increases every time the dataset is replaced; views compare it to resync.
    pub generation: u64,
    /// The [`Current::generation`] at which the processed matrix last changed: analyses
    /// (PCA, t-SNE, distances) rerun on this, not on a new annotation.
    pub matrix_generation: u64,
    /// Derived from the dataset it replaces with the same processed matrix (an annotation was
    /// added): decided on the worker, as comparing matrices is O(samples × genes).
    pub same_matrix_as_source: bool,
}

impl Current {
    /// Computes the summary and histogram (call on a worker thread).
    pub fn compute(dataset: Dataset) -> Self {
        let summary = dataset.summary();
        let histogram = dataset.values().histogram(HISTOGRAM_BINS);
        Self {
            dataset: Arc::new(dataset),
            summary,
            histogram,
            generation: 0,
            matrix_generation: 0,
            same_matrix_as_source: false,
        }
    }

    /// [`Current::compute`] for a dataset derived from `source`, noting whether the processed
    /// matrix is unchanged (call on a worker thread).
    pub fn derived(source: &Dataset, dataset: Dataset) -> Self {
        let same = same_matrix(source, &dataset);
        Self { same_matrix_as_source: same, ..Self::compute(dataset) }
    }
}

/// What the running data job is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum DataJobKind {
    /// Opening a dataset.
    Open(Box<OpenRequest>),
    /// Joining an annotations file.
    Annotations(PathBuf),
    /// Re-running the pipeline.
    Preprocess,
    /// Averaging the samples by an annotation.
    GroupMeans(String),
    /// Adding an annotation made in the app.
    Annotate {
        /// Its name.
        name: String,
        /// Say so when done (made by the user, not published by a view).
        announce: bool,
    },
}

/// The running data job.
pub struct DataJob {
    /// The work.
    pub job: Job<Current>,
    /// What it is.
    pub kind: DataJobKind,
}

/// The global selection: processed sample indices, shared by every view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Selected samples.
    pub samples: BTreeSet<usize>,
    /// The last row clicked without Shift (range start).
    anchor: Option<usize>,
}

impl Selection {
    /// Applies a click on `row`: plain click selects only it, `toggle` adds/removes it,
    /// `extend` selects the range from the last click.
    pub fn click(&mut self, row: usize, toggle: bool, extend: bool) {
        if let (true, Some(anchor)) = (extend, self.anchor) {
            if !toggle {
                self.samples.clear();
            }
            self.samples.extend(anchor.min(row)..=anchor.max(row));
        } else {
            if toggle {
                if !self.samples.remove(&row) {
                    self.samples.insert(row);
                }
            } else {
                self.samples.clear();
                self.samples.insert(row);
            }
            self.anchor = Some(row);
        }
    }

    /// Applies a plot gesture.
    pub fn apply(&mut self, samples: &[usize], mode: super::widgets::scatter::SelectionMode) {
        use super::widgets::scatter::SelectionMode;
        match mode {
            SelectionMode::Replace => {
                self.samples = samples.iter().copied().collect();
            }
            SelectionMode::Add => self.samples.extend(samples),
            SelectionMode::Remove => {
                for i in samples {
                    self.samples.remove(i);
                }
            }
        }
        self.anchor = None;
    }

    /// Clears the selection.
    pub fn clear(&mut self) {
        self.samples.clear();
        self.anchor = None;
    }

    /// Keeps the same samples (by id) across a change of dataset.
    pub fn remap(&mut self, old_ids: &[String], new_ids: &[String]) {
        if old_ids == new_ids {
            return;
        }
        let chosen: std::collections::HashSet<&str> =
            self.samples.iter().filter_map(|&i| old_ids.get(i)).map(String::as_str).collect();
        self.samples =
            new_ids.iter().enumerate().filter(|(_, id)| chosen.contains(id.as_str())).map(|(i, _)| i).collect();
        self.anchor = None;
    }
}

/// A message for the user, shown until dismissed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Error (red) or information.
    pub is_error: bool,
    /// The message.
    pub text: String,
}

/// Everything the views read.
#[derive(Default)]
pub struct AppState {
    /// The open dataset.
    pub current: Option<Current>,
    /// The global selection.
    pub selection: Selection,
    /// Opening, joining or preprocessing.
    pub data_job: Option<DataJob>,
    /// Messages for the user.
    pub notices: Vec<Notice>,
    /// Persisted settings.
    pub settings: Settings,
    /// Generation counter for [`Current::generation`].
    pub generations: u64,
    /// Wakes the UI from worker threads.
    pub waker: Option<crate::jobs::Waker>,
    /// The renderer's wgpu device, when it can run compute shaders.
    pub gpu: Option<crate::gpu::Gpu>,
    /// Why there is no [`AppState::gpu`].
    pub gpu_problem: Option<String>,
    /// The neighbour graph the UMAP view and Leiden/Louvain share.
    pub graphs: Arc<crate::recipes::neighbors::GraphCache>,
    /// Where pasted tables are kept (`None`: [`crate::app::everyday::paste_folder`]).
    pub paste_folder: Option<std::path::PathBuf>,
}

impl AppState {
    /// The status-bar text for the compute device: "GPU: NVIDIA H100 (Vulkan)",
    /// "GPU: llvmpipe (software, Vulkan)" or "GPU: none".
    pub fn gpu_label(&self) -> String {
        self.gpu.as_ref().map_or_else(|| "GPU: none".to_owned(), |g| format!("GPU: {}", g.label()))
    }

    /// What the Compute device setting does on this machine, for tooltips.
    pub fn compute_device_effect(&self) -> String {
        use crate::gpu::ComputeDevice;
        let choice = self.settings.compute_device;
        match (&self.gpu, choice) {
            (_, ComputeDevice::Cpu) => "Distances run on the CPU (set in Settings > Compute device).".to_owned(),
            (None, _) => format!(
                "No GPU for compute{}: distances run on the CPU.",
                self.gpu_problem.as_ref().map(|p| format!(" ({p})")).unwrap_or_default()
            ),
            (Some(g), ComputeDevice::Auto) if g.is_software() => {
                format!("{} is a software adapter, slower than the CPU path: Auto uses the CPU.", g.label())
            }
            (Some(g), _) => format!("Distances run on the GPU: {}.", g.label()),
        }
    }

    /// True when a view may publish an annotation now: no data job, or only another annotation.
    pub fn can_annotate(&self) -> bool {
        self.data_job.as_ref().is_none_or(|j| matches!(j.kind, DataJobKind::Annotate { .. }))
    }

    /// True while the pipeline is being re-run.
    pub fn busy_preprocessing(&self) -> bool {
        self.data_job.as_ref().is_some_and(|j| j.kind == DataJobKind::Preprocess)
    }

    /// Adds an error message.
    pub fn error(&mut self, text: impl Into<String>) {
        self.push_notice(true, text.into());
    }

    /// Adds an information message.
    pub fn info(&mut self, text: impl Into<String>) {
        self.push_notice(false, text.into());
    }

    fn push_notice(&mut self, is_error: bool, text: String) {
        const MAX_NOTICES: usize = 5;
        self.notices.retain(|n| n.text != text);
        self.notices.push(Notice { is_error, text });
        if self.notices.len() > MAX_NOTICES {
            self.notices.remove(0);
        }
    }

    /// Makes `current` the open dataset, keeping the selection by sample id.
    pub fn replace_dataset(&mut self, mut current: Current) {
        self.generations += 1;
        current.generation = self.generations;
        // A derived dataset replaces its source (the only data job running was started from it).
        current.matrix_generation = match &self.current {
            Some(old) if current.same_matrix_as_source => old.matrix_generation,
            _ => self.generations,
        };
        match &self.current {
            Some(old) => self.selection.remap(old.dataset.sample_ids(), current.dataset.sample_ids()),
            None => self.selection.clear(),
        }
        self.current = Some(current);
    }
}

/// True when both datasets have the same processed matrix, sample and gene ids (bit for bit).
fn same_matrix(a: &Dataset, b: &Dataset) -> bool {
    a.sample_ids() == b.sample_ids() && a.gene_ids() == b.gene_ids() && a.values().same_values(b.values())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn click_toggle_and_range() {
        let mut s = Selection::default();
        s.click(2, false, false);
        s.click(5, false, true);
        assert_eq!(s.samples.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4, 5]);
        s.click(3, true, false);
        assert_eq!(s.samples.iter().copied().collect::<Vec<_>>(), vec![2, 4, 5]);
        s.click(7, false, false);
        assert_eq!(s.samples.iter().copied().collect::<Vec<_>>(), vec![7]);
    }

    #[test]
    fn remap_follows_ids() {
        let mut s = Selection::default();
        s.click(1, false, false);
        let old = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let new = vec!["c".to_owned(), "b".to_owned()];
        s.remap(&old, &new);
        assert_eq!(s.samples.iter().copied().collect::<Vec<_>>(), vec![1]);
    }
}
