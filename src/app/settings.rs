//! The small explicit struct persisted between runs (never matrices or results).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::data::{OpenRequest, Orientation};
use crate::gpu::ComputeDevice;

/// Key under which eframe stores [`Settings`].
pub const STORAGE_KEY: &str = "biolens_settings";

/// How many recent files to remember.
pub const MAX_RECENT: usize = 10;

/// A file that was opened, enough to open it again the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecentFile {
    /// Matrix file or 10x directory.
    pub matrix: PathBuf,
    /// Annotation files that were joined.
    pub annotations: Vec<PathBuf>,
    /// Orientation chosen by the user, if any.
    pub orientation: Option<Orientation>,
    /// Which matrix of a single-cell file.
    #[serde(default)]
    pub choice: crate::data::MatrixChoice,
    /// Display name (sample datasets keep theirs).
    pub name: Option<String>,
}

impl Default for RecentFile {
    fn default() -> Self {
        Self {
            matrix: PathBuf::new(),
            annotations: Vec::new(),
            orientation: None,
            choice: crate::data::MatrixChoice::default(),
            name: None,
        }
    }
}

impl RecentFile {
    /// From the request that opened it.
    pub fn from_request(request: &OpenRequest) -> Self {
        Self {
            matrix: request.matrix.clone(),
            annotations: request.annotations.clone(),
            orientation: request.load.orientation,
            choice: request.load.choice.clone(),
            name: request.name.clone(),
        }
    }

    /// The request that opens it again.
    pub fn request(&self) -> OpenRequest {
        OpenRequest {
            group_means: None,
            matrix: self.matrix.clone(),
            annotations: self.annotations.clone(),
            load: crate::data::LoadOptions { orientation: self.orientation, choice: self.choice.clone() },
            pipeline: crate::data::Pipeline::default(),
            name: self.name.clone(),
        }
    }
}

/// Persisted settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Most recent first.
    pub recent: Vec<RecentFile>,
    /// What to reopen at start (the last dataset that opened successfully).
    pub last_opened: Option<RecentFile>,
    /// Where distances are computed.
    pub compute_device: ComputeDevice,
    /// Projector mode: full screen, scaled up, high-contrast light theme.
    pub projector: bool,
    /// The global scale in projector mode (1.25 to 3).
    pub projector_scale: f32,
    /// The interface scale in normal use.
    pub text_scale: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            recent: Vec::new(),
            last_opened: None,
            compute_device: ComputeDevice::default(),
            projector: false,
            projector_scale: 2.0,
            text_scale: 1.0,
        }
    }
}

impl Settings {
    /// Records a successful open: front of the recent list, and reopened next start.
    pub fn remember(&mut self, entry: RecentFile) {
        self.recent.retain(|r| r.matrix != entry.matrix);
        self.recent.insert(0, entry.clone());
        self.recent.truncate(MAX_RECENT);
        self.last_opened = Some(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_list_is_most_recent_first_without_repeats() {
        let mut s = Settings::default();
        for name in ["a", "b", "a"] {
            s.remember(RecentFile { matrix: name.into(), ..RecentFile::default() });
        }
        let names: Vec<_> = s.recent.iter().map(|r| r.matrix.to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn old_or_partial_settings_still_load() {
        let s: Settings = serde_json::from_str(r#"{"recent":[{"matrix":"x.csv"}],"unknown":1}"#).unwrap();
        assert_eq!(s.recent[0].matrix, PathBuf::from("x.csv"));
    }
}
