//! Sessions: one readable JSON file that says how to recompute an analysis — the data and
//! annotation files (path, size, SHA-256), the preprocessing, every view's parameters and
//! seeds, the colourings, the annotations made from selections and the selection. Opening a
//! session recomputes everything from the files; it never runs code from the file (it is plain
//! data, read by serde into these types). No egui: the app, `biolens run` and the script
//! export share it.
//!
//! `cli/run.rs` turns a session into `biolens` command lines, one per table and figure;
//! `biolens run` executes them in-process and *Export as script* writes them as a shell script,
//! so the script and `run` cannot disagree.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::data::{Orientation, Pipeline};
use crate::recipes::classify::{ClassifySettings, GridSearch};
use crate::recipes::clusters::ClusterSettings;
use crate::recipes::distance_map::DistanceMapSettings;
use crate::recipes::heatmap::HeatmapSettings;
use crate::recipes::pca::PcaSettings;
use crate::recipes::tsne::TsneSettings;

/// The session format this version writes and reads.
pub const FORMAT: u32 = 1;

/// Why a session cannot be read or used.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Reading or writing the file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// Not a session file.
    #[error("{path} is not a Biolens session: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// Written by a newer Biolens.
    #[error(
        "{path} is a session of format {found}, written by a newer Biolens ({version}); this Biolens reads format {FORMAT}"
    )]
    Newer {
        /// The file.
        path: PathBuf,
        /// Its format.
        found: u32,
        /// The version that wrote it.
        version: String,
    },
}

/// A data file named by a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// Where it was.
    pub path: PathBuf,
    /// Bytes (a directory: the sum of its files).
    pub size: u64,
    /// SHA-256 of the contents, hex (a directory: of its files' hashes in name order).
    pub sha256: String,
}

/// What a session's file is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileCheck {
    /// Present and unchanged.
    Same,
    /// Not found at its path.
    Missing,
    /// Present, with other contents.
    Changed,
}

impl FileRef {
    /// Fingerprints the file (or 10x directory) at `path`.
    pub fn of(path: &Path) -> Result<Self, SessionError> {
        let io = |source| SessionError::Io { path: path.to_owned(), source };
        let (size, sha256) = if path.is_dir() {
            let mut entries: Vec<PathBuf> =
                std::fs::read_dir(path).map_err(io)?.filter_map(Result::ok).map(|e| e.path()).collect();
            entries.sort();
            let mut hasher = sha2::Sha256::new();
            let mut size = 0;
            for entry in entries.iter().filter(|p| p.is_file()) {
                let (s, h) = hash_file(entry).map_err(|source| SessionError::Io { path: entry.clone(), source })?;
                size += s;
                hasher.update(h.as_bytes());
            }
            (size, hex(&hasher.finalize()))
        } else {
            hash_file(path).map_err(io)?
        };
        Ok(Self { path: path.to_owned(), size, sha256 })
    }

    /// Compares the file at `path` (its own path, or where the user found it) with this one.
    pub fn check(&self, path: &Path) -> FileCheck {
        if !path.exists() {
            return FileCheck::Missing;
        }
        match Self::of(path) {
            Ok(now) if now.size == self.size && now.sha256 == self.sha256 => FileCheck::Same,
            _ => FileCheck::Changed,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((size, hex(&hasher.finalize())))
}

/// The data a session opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    /// The matrix file or 10x directory.
    pub matrix: FileRef,
    /// Annotation files joined, in order.
    #[serde(default)]
    pub annotations: Vec<FileRef>,
    /// Orientation chosen by the user (`None`: detected).
    #[serde(default)]
    pub orientation: Option<Orientation>,
    /// Which matrix of a single-cell file (layer, raw, genome, feature type).
    #[serde(default, flatten)]
    pub choice: crate::data::MatrixChoice,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Set when the session's samples are group means of the file's samples: the grouping
    /// and the pipeline that ran before averaging (the session's `pipeline` runs on the means).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_means: Option<crate::data::GroupMeans>,
}

/// An annotation made in the app from a selection: the samples (by id) that were selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MadeAnnotation {
    /// Its name ("selection 1").
    pub name: String,
    /// The ids of the samples marked "selected"; the others are "not selected".
    pub selected: Vec<String>,
}

/// The Classify view in a session: its settings, and what had been run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedClassify {
    /// The settings.
    #[serde(flatten)]
    pub settings: ClassifySettings,
    /// The models had been run: opening the session runs them again.
    pub ran: bool,
    /// The grid search of the model shown, when one had been run (run again on opening).
    pub search: Option<GridSearch>,
    /// Predict a number (the regression side) rather than a class.
    #[serde(default)]
    pub numeric: bool,
    /// The regression side's settings.
    #[serde(default)]
    pub regress: crate::recipes::regress::RegressSettings,
    /// Its models had been run: opening the session runs them again.
    #[serde(default)]
    pub regress_ran: bool,
}

/// Every view's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Views {
    /// The tab shown ("PCA", …).
    pub tab: String,
    /// PCA.
    pub pca: PcaSettings,
    /// t-SNE.
    pub tsne: TsneSettings,
    /// UMAP (and its neighbour graph).
    pub umap: crate::recipes::umap::UmapSettings,
    /// The distance map.
    pub distance_map: DistanceMapSettings,
    /// Clusters.
    pub clusters: ClusterSettings,
    /// The clustered heatmap.
    pub heatmap: HeatmapSettings,
    /// Classify.
    pub classify: SavedClassify,
    /// The stored embeddings view.
    pub embeddings: StoredSettings,
    /// Marker genes.
    pub markers: SavedMarkers,
    /// The autoencoder.
    pub autoencoder: crate::recipes::autoencoder::AutoencoderSettings,
}

/// The Markers view's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedMarkers {
    /// What is ranked.
    pub settings: crate::recipes::markers::MarkerSettings,
    /// What the plot shows.
    pub plot: crate::recipes::markers::MarkerPlotSettings,
    /// The genes had been ranked: opening the session ranks them again.
    pub ran: bool,
}

/// The Embeddings view's settings: which stored embedding, its axes and the colouring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredSettings {
    /// The `obsm` key shown (`None`: UMAP, else t-SNE, else the first).
    pub key: Option<String>,
    /// Components on the axes (from 0).
    pub axes: (usize, usize),
    /// Point colours.
    pub colour_by: crate::recipes::Colouring,
}

impl Default for StoredSettings {
    fn default() -> Self {
        Self { key: None, axes: (0, 1), colour_by: crate::recipes::Colouring::Nothing }
    }
}

/// A saved session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The format ([`FORMAT`]).
    pub biolens_session: u32,
    /// The Biolens that wrote it.
    pub written_by: String,
    /// The data.
    pub data: DataSource,
    /// The preprocessing, in order.
    #[serde(default)]
    pub pipeline: Pipeline,
    /// Annotations made from selections.
    #[serde(default)]
    pub made_annotations: Vec<MadeAnnotation>,
    /// The selected samples, by id.
    #[serde(default)]
    pub selection: Vec<String>,
    /// The views.
    #[serde(default)]
    pub views: Views,
}

impl Session {
    /// A session of `data` with default views.
    pub fn new(data: DataSource, pipeline: Pipeline) -> Self {
        Self {
            biolens_session: FORMAT,
            written_by: format!("biolens {}", env!("CARGO_PKG_VERSION")),
            data,
            pipeline,
            made_annotations: Vec::new(),
            selection: Vec::new(),
            views: Views::default(),
        }
    }

    /// The session as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Writes the session to `path` (all or nothing: a failed write leaves the old file).
    pub fn save(&self, path: &Path) -> Result<(), SessionError> {
        crate::export::file::write_atomic(path, (self.to_json() + "\n").as_bytes())
            .map_err(|source| SessionError::Io { path: path.to_owned(), source })
    }

    /// Reads a session, refusing other files and newer formats with a clear message.
    pub fn load(path: &Path) -> Result<Self, SessionError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| SessionError::Io { path: path.to_owned(), source })?;
        Self::parse(&text, path)
    }

    /// Parses a session's text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, SessionError> {
        let invalid = |message: String| SessionError::Invalid { path: path.to_owned(), message };
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| invalid(format!("not JSON (line {}, column {}): {e}", e.line(), e.column())))?;
        let format = value
            .get("biolens_session")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| invalid("no \"biolens_session\" format number".to_owned()))?;
        if format > u64::from(FORMAT) {
            let version = value.get("written_by").and_then(|v| v.as_str()).unwrap_or("unknown").to_owned();
            return Err(SessionError::Newer {
                path: path.to_owned(),
                found: u32::try_from(format).unwrap_or(u32::MAX),
                version,
            });
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }

    /// The files whose check is not [`FileCheck::Same`], with what they are now.
    pub fn check_files(&self) -> Vec<(FileRef, FileCheck)> {
        std::iter::once(&self.data.matrix)
            .chain(&self.data.annotations)
            .map(|f| (f.clone(), f.check(&f.path)))
            .filter(|(_, c)| *c != FileCheck::Same)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        let file = FileRef { path: "m.csv".into(), size: 3, sha256: "ab".into() };
        Session::new(
            DataSource {
                matrix: file,
                annotations: Vec::new(),
                orientation: None,
                choice: crate::data::MatrixChoice::default(),
                name: None,
                group_means: None,
            },
            Pipeline::default(),
        )
    }

    #[test]
    fn sessions_round_trip_through_json() {
        let mut s = session();
        s.views.clusters.k = 7;
        s.views.tsne.params.seed = 42;
        s.made_annotations.push(MadeAnnotation { name: "selection 1".into(), selected: vec!["a".into()] });
        let back = Session::parse(&s.to_json(), Path::new("s.json")).unwrap();
        assert_eq!(back, s);
        // Group means: the grouping and the pipeline before averaging; absent from older files.
        assert!(!s.to_json().contains("group_means"));
        s.data.group_means = Some(crate::data::GroupMeans {
            by: "leiden".into(),
            members: Pipeline { steps: vec![crate::data::Step::Ln], ..Pipeline::default() },
        });
        let back = Session::parse(&s.to_json(), Path::new("s.json")).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn bad_and_newer_files_are_refused_clearly() {
        let p = Path::new("s.json");
        let e = Session::parse("{ not json", p).unwrap_err().to_string();
        assert!(e.contains("s.json is not a Biolens session") && e.contains("line 1"), "{e}");
        let e = Session::parse(r#"{"hello": 1}"#, p).unwrap_err().to_string();
        assert!(e.contains("no \"biolens_session\""), "{e}");
        let newer = session().to_json().replacen("\"biolens_session\": 1", "\"biolens_session\": 99", 1);
        let e = Session::parse(&newer, p).unwrap_err().to_string();
        assert!(e.contains("format 99") && e.contains("newer Biolens"), "{e}");
        let wrong = session().to_json().replacen("\"size\": 3", "\"size\": \"big\"", 1);
        assert!(Session::parse(&wrong, p).unwrap_err().to_string().contains("invalid type"));
    }

    #[test]
    fn file_checks_tell_same_changed_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let r = FileRef::of(&path).unwrap();
        assert_eq!(r.sha256.len(), 64);
        assert_eq!(r.check(&path), FileCheck::Same);
        std::fs::write(&path, "a,b\n1,3\n").unwrap();
        assert_eq!(r.check(&path), FileCheck::Changed);
        assert_eq!(r.check(&dir.path().join("gone.csv")), FileCheck::Missing);
    }
}
