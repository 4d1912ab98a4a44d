//! Native file dialogs (rfd, through the desktop's xdg portal) run on a helper thread so
//! the window keeps drawing; the chosen path comes back through a channel.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

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
                    .add_filter("Expression matrix", &["csv", "tsv", "txt", "gz", "parquet", "mtx"])
                    .add_filter("All files", &["*"]),
                _ => rfd::FileDialog::new()
                    .set_title("Open sample annotations")
                    .add_filter("Annotations table", &["csv", "tsv", "txt", "gz"])
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
