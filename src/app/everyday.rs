//! Opening what everyday work hands a biologist: a workbook with several sheets (which sheet
//! holds the matrix, or the annotations?) and a table copied from a spreadsheet (Ctrl+V).
//!
//! A workbook is recognised by its first bytes (cheap, on the UI thread); its sheets are
//! listed on a worker thread (an `.xlsx` must unzip its shared strings first), and when there
//! are several a modal asks which one, the first (visible) one chosen. The choice goes into
//! the request (`MatrixChoice::sheet` / `annotations_sheet`), so sessions reopen the same
//! sheet. A pasted table is saved as a TSV file in the app's data folder (`pasted/`), so that
//! it is a file like any other: reloaded when transposed, named by a session, kept.

use std::path::{Path, PathBuf};

use eframe::egui;

use crate::data::OpenRequest;
use crate::jobs::{Job, Poll, Waker};

/// What a sheet is chosen for.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetTarget {
    /// The matrix of a dataset to open.
    Matrix(Box<OpenRequest>),
    /// An annotations workbook to join onto the open dataset.
    Annotations(PathBuf),
}

impl SheetTarget {
    fn path(&self) -> &Path {
        match self {
            Self::Matrix(request) => &request.matrix,
            Self::Annotations(path) => path,
        }
    }
}

/// A target with its sheet decided (`None`: the file is no workbook, or has one sheet).
#[derive(Debug, Clone, PartialEq)]
pub struct SheetDecided {
    /// What to open.
    pub target: SheetTarget,
    /// The sheet.
    pub sheet: Option<String>,
}

/// The sheet chooser: a running listing of sheets, then the question.
#[derive(Default)]
pub struct SheetChooser {
    listing: Option<(Job<Vec<String>>, SheetTarget)>,
    prompt: Option<Prompt>,
}

struct Prompt {
    target: SheetTarget,
    sheets: Vec<String>,
    chosen: usize,
}

impl SheetChooser {
    /// Lists the sheets of `target`'s workbook on a worker thread.
    pub fn list(&mut self, target: SheetTarget, waker: Waker) {
        let path = target.path().to_path_buf();
        let job = Job::spawn("list sheets", waker, move |_| {
            crate::data::io::sheet::sheet_names(&path).map_err(crate::jobs::JobError::failed)
        });
        self.listing = Some((job, target));
        self.prompt = None;
    }

    /// True while the question is shown.
    pub fn is_asking(&self) -> bool {
        self.prompt.is_some()
    }

    /// True while the sheets are being listed or the question is shown.
    pub fn is_busy(&self) -> bool {
        self.listing.is_some() || self.prompt.is_some()
    }

    /// The target once decided without asking: one sheet, or a workbook that cannot be listed
    /// (opening it then reports why, naming the file).
    pub fn poll(&mut self) -> Option<SheetDecided> {
        let (job, _) = self.listing.as_mut()?;
        let Poll::Done(result) = job.poll() else { return None };
        let (_, target) = self.listing.take()?;
        match result {
            Ok(sheets) if sheets.len() > 1 => {
                let chosen = first_visible(&target, &sheets);
                self.prompt = Some(Prompt { target, sheets, chosen });
                None
            }
            _ => Some(SheetDecided { target, sheet: None }),
        }
    }

    /// The question, while it is asked; returns the decision when the user answers.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<SheetDecided> {
        let prompt = self.prompt.as_mut()?;
        let mut decided = None;
        let mut cancel = false;
        egui::Modal::new(egui::Id::unique("biolens sheet chooser")).show(ctx, |ui| {
            let file = prompt.target.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            ui.heading(format!("{file}: which sheet?"));
            let what = match prompt.target {
                SheetTarget::Matrix(_) => "the matrix (ids in the first column, a header row)",
                SheetTarget::Annotations(_) => "the sample annotations (sample ids in the first column)",
            };
            ui.label(format!("This workbook has {} sheets. Choose the one that holds {what}.", prompt.sheets.len()));
            egui::ScrollArea::vertical().max_height(ui.ctx().content_rect().height() * 0.5).show(ui, |ui| {
                for (k, name) in prompt.sheets.iter().enumerate() {
                    ui.radio_value(&mut prompt.chosen, k, name);
                }
            });
            ui.horizontal(|ui| {
                if ui.button("Open sheet").clicked() || ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    decided = prompt.sheets.get(prompt.chosen).cloned();
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    cancel = true;
                }
            });
        });
        if cancel {
            self.prompt = None;
            return None;
        }
        let sheet = decided?;
        let prompt = self.prompt.take()?;
        Some(SheetDecided { target: prompt.target, sheet: Some(sheet) })
    }
}

/// The sheet chosen at first: the one a request already names, else the first.
fn first_visible(target: &SheetTarget, sheets: &[String]) -> usize {
    let named = match target {
        SheetTarget::Matrix(request) => request.load.choice.sheet.as_deref(),
        SheetTarget::Annotations(_) => None,
    };
    named.and_then(|n| sheets.iter().position(|s| s == n)).unwrap_or(0)
}

/// The text of a Ctrl+V this frame, when nothing that takes text has the keyboard and the text
/// is a table (at least two lines with a tab).
pub fn pasted_table(ctx: &egui::Context) -> Option<String> {
    if ctx.memory(|m| m.focused().is_some()) {
        return None;
    }
    ctx.input(|i| {
        i.events.iter().find_map(|e| match e {
            egui::Event::Paste(text) if looks_like_a_table(text) => Some(text.clone()),
            _ => None,
        })
    })
}

/// Two or more lines, and tabs: what a spreadsheet puts on the clipboard for a block of cells.
pub fn looks_like_a_table(text: &str) -> bool {
    let lines = text.lines().filter(|l| !l.trim().is_empty()).take(2).collect::<Vec<_>>();
    lines.len() == 2 && lines.iter().all(|l| l.contains('\t'))
}

/// Where pasted tables are kept: the app's data folder (`~/.local/share/biolens` on Linux), in
/// `pasted/` (tests point `AppState::paste_folder` elsewhere).
pub fn paste_folder() -> PathBuf {
    eframe::storage_dir("biolens").unwrap_or_else(std::env::temp_dir).join("pasted")
}

/// Saves a pasted table as `pasted-<n>.tsv` (the first free number) in `folder`.
pub fn save_pasted(folder: &Path, text: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(folder)?;
    let mut n = 1u32;
    loop {
        let path = folder.join(format!("pasted-{n}.tsv"));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                use std::io::Write as _;
                let mut body = text.replace("\r\n", "\n");
                if !body.ends_with('\n') {
                    body.push('\n');
                }
                file.write_all(body.as_bytes())?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100_000 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_of_cells_is_a_table_and_a_word_is_not() {
        assert!(looks_like_a_table("gene\ta\tb\nTP53\t1\t2\n"));
        assert!(looks_like_a_table("gene\ta\r\nTP53\t1\r\n"));
        assert!(!looks_like_a_table("TP53"));
        assert!(!looks_like_a_table("gene\ta\n"));
        assert!(!looks_like_a_table("two\nlines"));
    }

    #[test]
    fn pasted_tables_get_their_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let first = save_pasted(dir.path(), "g\ta\r\nx\t1").unwrap();
        let second = save_pasted(dir.path(), "g\ta\nx\t2\n").unwrap();
        assert_ne!(first, second);
        assert_eq!(std::fs::read_to_string(first).unwrap(), "g\ta\nx\t1\n");
    }
}
