//! The real public datasets bundled in `sample-data/` (provenance in each folder).

use std::path::{Path, PathBuf};

use super::{OpenRequest, Pipeline};

/// A bundled dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleDataset {
    /// Folder name under `sample-data/`.
    pub name: &'static str,
    /// One line for the menu.
    pub description: &'static str,
}

/// The dataset opened on first start.
pub const DEFAULT: &str = "tissue_gene_expression";

/// Every bundled dataset, the default first.
pub const ALL: [SampleDataset; 6] = [
    SampleDataset {
        name: "tissue_gene_expression",
        description: "189 samples × 500 genes, 7 human tissues (log2 microarray)",
    },
    SampleDataset {
        name: "khan_srbct",
        description: "83 tumours × 2,308 genes, 4 small round blue cell tumour classes",
    },
    SampleDataset { name: "nci60", description: "64 cancer cell lines × 6,830 genes, 14 cancer types" },
    SampleDataset {
        name: "pbmc68k_reduced",
        description: "700 blood cells × 765 genes, 10 cell types (scaled scRNA-seq)",
    },
    SampleDataset { name: "guo_qpcr", description: "428 embryo cells × 48 genes, 6 stages (single-cell qPCR)" },
    SampleDataset {
        name: "sklearn_iris",
        description: "150 flowers × 4 measurements (a classic control, not expression)",
    },
];

/// The folder holding the bundled datasets: `$BIOLENS_SAMPLE_DATA`, else `sample-data`
/// beside the executable or two levels up (a `target/<profile>` build), else the source
/// tree this binary was built from.
pub fn sample_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BIOLENS_SAMPLE_DATA") {
        return PathBuf::from(dir);
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.extend(dir.ancestors().take(4).map(|d| d.join("sample-data")));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"));
    candidates
        .iter()
        .find(|d| d.join(DEFAULT).is_dir())
        .cloned()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"))
}

impl SampleDataset {
    /// Looks a bundled dataset up by name.
    pub fn find(name: &str) -> Option<Self> {
        ALL.iter().copied().find(|d| d.name == name)
    }

    /// Its folder.
    pub fn dir(&self) -> PathBuf {
        sample_data_dir().join(self.name)
    }

    /// The request that opens it: `expression.csv` joined with `samples.csv`.
    pub fn open_request(&self) -> OpenRequest {
        let dir = self.dir();
        OpenRequest {
            group_means: None,
            matrix: dir.join("expression.csv"),
            annotations: vec![dir.join("samples.csv")],
            load: super::LoadOptions::default(),
            pipeline: Pipeline::default(),
            name: Some(self.name.to_owned()),
        }
    }
}
