//! Native file dialogs (rfd, through the desktop's xdg portal) run on a helper thread so
//! the window keeps drawing; the chosen path comes back through a channel.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

use eframe::egui;

/// Which file the dialog is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogPurpose {
    /// A matrix.
    Matrix,
    /// An annotations table.
    Annotations,
    /// A session to open.
    OpenSession,
    /// Where to save the session.
    SaveSession,
    /// Where to write the session as a script.
    ExportScript,
}

/// A dialog that is open (or was, until the user answered).
pub struct PendingDialog {
    purpose: DialogPurpose,
    rx: Receiver<Option<PathBuf>>,
    opened_at: Instant,
}

/// What a finished dialog gave.
pub enum DialogOutcome {
    /// The user chose a file.
    Chosen(DialogPurpose, PathBuf),
    /// Closed without a choice; `suspiciously_fast` when it closed before a person could
    /// have answered (no portal on this desktop).
    Dismissed {
        /// Closed within half a second.
        suspiciously_fast: bool,
    },
}

impl PendingDialog {
    /// Opens a dialog on a helper thread.
    pub fn open(purpose: DialogPurpose, wake: impl Fn() + Send + 'static) -> Self {
        let (tx, rx) = channel();
        let spawn = std::thread::Builder::new().name("biolens file dialog".into()).spawn(move || {
            let dialog = match purpose {
                DialogPurpose::Matrix => rfd::FileDialog::new()
                    .set_title("Open matrix")
                    .add_filter(
                        "Expression matrix",
                        &[
                            "csv", "tsv", "txt", "gz", "parquet", "mtx", "h5ad", "loom", "h5", "xlsx", "xls", "xlsm",
                            "xlsb", "ods",
                        ],
                    )
                    .add_filter("All files", &["*"]),
                _ => rfd::FileDialog::new()
                    .set_title("Open sample annotations")
                    .add_filter("Annotations table", &["csv", "tsv", "txt", "gz", "xlsx", "xls", "xlsm", "xlsb", "ods"])
                    .add_filter("All files", &["*"]),
            };
            let session = || rfd::FileDialog::new().add_filter("Biolens session", &["json"]);
            let chosen = match purpose {
                DialogPurpose::OpenSession => session().set_title("Open session").pick_file(),
                DialogPurpose::SaveSession => {
                    session().set_title("Save session").set_file_name("session.biolens.json").save_file()
                }
                DialogPurpose::ExportScript => rfd::FileDialog::new()
                    .set_title("Export session as a script")
                    .add_filter("Shell script", &["sh"])
                    .set_file_name("session.sh")
                    .save_file(),
                _ => dialog.pick_file(),
            };
            let _ = tx.send(chosen);
            wake();
        });
        if spawn.is_err() {
            let (tx, rx2) = channel();
            let _ = tx.send(None);
            return Self { purpose, rx: rx2, opened_at: Instant::now() };
        }
        Self { purpose, rx, opened_at: Instant::now() }
    }

    /// The outcome once the dialog closed.
    pub fn poll(&self) -> Option<DialogOutcome> {
        match self.rx.try_recv() {
            Ok(Some(path)) => Some(DialogOutcome::Chosen(self.purpose, path)),
            Ok(None) | Err(TryRecvError::Disconnected) => Some(DialogOutcome::Dismissed {
                suspiciously_fast: self.opened_at.elapsed() < Duration::from_millis(500),
            }),
            Err(TryRecvError::Empty) => None,
        }
    }
}

/// What a save dialog asks for.
#[derive(Debug, Clone)]
pub struct SaveRequest {
    /// The dialog's title.
    pub title: String,
    /// The file name it proposes.
    pub file_name: String,
    /// The folder it starts in (the last one used).
    pub folder: Option<PathBuf>,
    /// File types: a name and its extensions.
    pub filters: Vec<(&'static str, &'static [&'static str])>,
}

/// A native *Save as…* dialog on a helper thread (the desktop's own: it asks before
/// replacing an existing file). Tests answer it through [`answer_next_save`].
pub struct PendingSave {
    rx: Receiver<Option<PathBuf>>,
    opened_at: Instant,
}

/// What a finished save dialog gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// The file to write (replacing it, if it exists, was confirmed in the dialog).
    Chosen(PathBuf),
    /// Closed without a choice; `suspiciously_fast` as [`DialogOutcome::Dismissed`].
    Dismissed {
        /// Closed within half a second.
        suspiciously_fast: bool,
    },
}

const TEST_ANSWER: &str = "biolens save dialog answer";

/// A test's answer to the next save dialog.
#[derive(Debug, Clone, Default)]
struct TestAnswer(Option<PathBuf>);

/// Tests: the next save dialog opened with this context answers at once, as a user would:
/// `Some(path)` typed (and replacing an existing file confirmed), `None` closed without a choice.
pub fn answer_next_save(ctx: &egui::Context, answer: Option<PathBuf>) {
    ctx.data_mut(|d| d.insert_temp(egui::Id::unique(TEST_ANSWER), TestAnswer(answer)));
}

impl PendingSave {
    /// Opens the dialog.
    pub fn open(ctx: &egui::Context, request: SaveRequest) -> Self {
        let (tx, rx) = channel();
        if let Some(TestAnswer(answer)) = ctx.data_mut(|d| d.remove_temp::<TestAnswer>(egui::Id::unique(TEST_ANSWER))) {
            let _ = tx.send(answer);
            // As a person's answer: not "suspiciously fast".
            return Self {
                rx,
                opened_at: Instant::now().checked_sub(Duration::from_secs(1)).unwrap_or_else(Instant::now),
            };
        }
        let repaint = ctx.clone();
        let spawned = std::thread::Builder::new().name("biolens save dialog".into()).spawn(move || {
            let mut dialog = rfd::FileDialog::new().set_title(&request.title).set_file_name(&request.file_name);
            if let Some(folder) = &request.folder {
                dialog = dialog.set_directory(folder);
            }
            for (name, extensions) in &request.filters {
                dialog = dialog.add_filter(*name, extensions);
            }
            let _ = tx.send(dialog.save_file());
            repaint.request_repaint();
        });
        if spawned.is_err() {
            let (tx, rx) = channel();
            let _ = tx.send(None);
            return Self { rx, opened_at: Instant::now() };
        }
        Self { rx, opened_at: Instant::now() }
    }

    /// The outcome once the dialog closed.
    pub fn poll(&self) -> Option<SaveOutcome> {
        match self.rx.try_recv() {
            Ok(Some(path)) => Some(SaveOutcome::Chosen(path)),
            Ok(None) | Err(TryRecvError::Disconnected) => Some(SaveOutcome::Dismissed {
                suspiciously_fast: self.opened_at.elapsed() < Duration::from_millis(500),
            }),
            Err(TryRecvError::Empty) => None,
        }
    }
}

/// The message for a save dialog that closed before anyone could answer it.
pub const NO_PORTAL: &str = "No file dialog appeared: this desktop may lack xdg-desktop-portal, which Biolens asks \
     for a Save as… dialog.";
