//! What views ask the app to do. Views never change state directly: they push a
//! [`Command`], and the app applies all of them at the end of the frame.

use std::path::PathBuf;

use crate::data::{OpenRequest, Pipeline};

/// A request from the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show the file dialog for a matrix.
    OpenMatrixDialog,
    /// Show the file dialog for an annotations file.
    OpenAnnotationsDialog,
    /// Show the "open from path" prompt.
    OpenPathPrompt,
    /// Open a matrix file (no annotations, detected orientation).
    OpenMatrix(PathBuf),
    /// Open with everything specified (recent files, sample datasets).
    Open(Box<OpenRequest>),
    /// Open a bundled dataset by name.
    OpenSample(&'static str),
    /// Join an annotations file onto the current dataset (a workbook with several sheets
    /// asks which first).
    OpenAnnotations(PathBuf),
    /// Join this sheet (or the file, when not a workbook) onto the current dataset.
    JoinAnnotations {
        /// The file.
        path: PathBuf,
        /// The workbook's sheet (`None`: its first, or not a workbook).
        sheet: Option<String>,
    },
    /// Re-run preprocessing with this pipeline.
    SetPipeline(Pipeline),
    /// Reload the current file in the other orientation.
    Transpose,
    /// Replace the samples by the mean of each group of this categorical annotation
    /// (pseudobulk).
    GroupMeans(String),
    /// From group means back to the samples they averaged (reopens the file).
    BackToMembers,
    /// Cancel the running data job.
    CancelJob,
    /// Click on a table row: select it; `toggle` adds/removes, `extend` selects a range.
    SelectRow {
        /// Row in the processed dataset.
        row: usize,
        /// Ctrl/Cmd held.
        toggle: bool,
        /// Shift held.
        extend: bool,
    },
    /// Clear the selection.
    ClearSelection,
    /// Change the selection by a gesture in a plot.
    Select {
        /// Processed sample indices the gesture covered.
        samples: Vec<usize>,
        /// Replace, add or remove.
        mode: crate::app::widgets::scatter::SelectionMode,
    },
    /// Turn the selection into a categorical annotation ("selected"/"not selected").
    AnnotationFromSelection,
    /// Add (or replace, by name) an annotation over the processed samples, e.g. clusters.
    SetAnnotation(crate::data::annotations::Annotation),
    /// Add (or replace, by name) a stored embedding over the processed samples (rows), e.g. an
    /// autoencoder's code.
    SetEmbedding {
        /// Its key (`X_autoencoder`).
        name: String,
        /// Processed samples × dimensions.
        coords: ndarray::Array2<f64>,
    },
    /// Colour every scatter (PCA, t-SNE, UMAP, stored embeddings) by this.
    ColourBy(crate::recipes::Colouring),
    /// Dismiss notice `k`.
    DismissNotice(usize),
    /// Close the app.
    Quit,
}
