//! Long work off the UI thread: a [`Job`] runs a closure on a named worker thread, which
//! reports progress and partial results through a channel and calls a waker (the app
//! passes `move || ctx.request_repaint()`), while the UI polls each frame. No egui here.
//!
//! # How it works
//! [`Job::spawn`] hands the closure a [`JobContext`] holding the sender, the waker and a
//! [`CancelToken`]. Iterative work calls [`JobContext::check`] between steps, so Cancel
//! takes effect within one step. A panic inside the closure is caught and becomes
//! [`JobError::Panicked`]; the app shows it as a message and keeps running. Dropping the
//! [`Job`] cancels it: a superseded computation never delivers a stale result.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

/// Called by a worker whenever it has news for the UI.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// A waker that does nothing (CLI and tests).
pub fn no_waker() -> Waker {
    Arc::new(|| {})
}

/// A shared flag a worker checks to stop early.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// Asks the worker to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why a job produced no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Cancelled by the user (or by dropping the job).
    Cancelled,
    /// The work failed; the message is ready for display.
    Failed(String),
    /// The work panicked; the payload's message.
    Panicked(String),
}

impl From<crate::memory::MemoryError> for JobError {
    fn from(err: crate::memory::MemoryError) -> Self {
        Self::Failed(err.to_string())
    }
}

impl JobError {
    /// Wraps any error, with its chain of causes on one line.
    pub fn failed(err: impl fmt::Display) -> Self {
        Self::Failed(format!("{err:#}"))
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cancelled => f.write_str("cancelled"),
            Self::Failed(msg) => f.write_str(msg),
            Self::Panicked(msg) => write!(f, "internal error (please report it): {msg}"),
        }
    }
}

/// The latest progress a worker reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProgressInfo {
    /// Fraction done, when known.
    pub fraction: Option<f32>,
    /// What it is doing now.
    pub message: String,
}

enum Message<T, P> {
    Progress(ProgressInfo),
    Partial(P),
    Done(Result<T, JobError>),
}

/// What a worker closure uses to report and to check for cancellation.
pub struct JobContext<T, P> {
    tx: Sender<Message<T, P>>,
    waker: Waker,
    cancel: CancelToken,
}

impl<T, P> JobContext<T, P> {
    /// Reports progress.
    pub fn progress(&self, fraction: Option<f32>, message: &str) {
        self.send(Message::Progress(ProgressInfo { fraction, message: message.to_owned() }));
    }
    /// Hands a partial result to the UI (e.g. the current t-SNE embedding).
    pub fn partial(&self, partial: P) {
        self.send(Message::Partial(partial));
    }
    /// True once the job was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
    /// `Err(Cancelled)` once the job was cancelled: use with `?` between steps.
    pub fn check(&self) -> Result<(), JobError> {
        if self.is_cancelled() { Err(JobError::Cancelled) } else { Ok(()) }
    }
    /// The cancel token, for code that takes one directly.
    pub fn cancel_token(&self) -> &CancelToken {
        &self.cancel
    }
    fn send(&self, message: Message<T, P>) {
        // The receiver is gone only when the job was dropped: nothing to tell.
        if self.tx.send(message).is_ok() {
            (self.waker)();
        }
    }
}

/// What [`Job::poll`] found.
#[derive(Debug)]
pub enum Poll<T, P> {
    /// Still running; the newest partial result, if one arrived since the last poll.
    Running(Option<P>),
    /// Finished (successfully or not). Later polls return `Running(None)`.
    Done(Result<T, JobError>),
}

/// A running job. Dropping it cancels the work.
pub struct Job<T, P = ()> {
    name: String,
    rx: Receiver<Message<T, P>>,
    cancel: CancelToken,
    progress: ProgressInfo,
    finished: bool,
}

impl<T: Send + 'static, P: Send + 'static> Job<T, P> {
    /// Starts `work` on a new thread named `name`.
    pub fn spawn(
        name: &str,
        waker: Waker,
        work: impl FnOnce(&JobContext<T, P>) -> Result<T, JobError> + Send + 'static,
    ) -> Self {
        let (tx, rx) = channel();
        let cancel = CancelToken::default();
        let ctx = JobContext { tx, waker, cancel: cancel.clone() };
        let spawned = std::thread::Builder::new().name(format!("biolens {name}")).spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| work(&ctx))).unwrap_or_else(|payload| {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                Err(JobError::Panicked(msg))
            });
            ctx.send(Message::Done(result));
        });
        let mut job = Self { name: name.to_owned(), rx, cancel, progress: ProgressInfo::default(), finished: false };
        if let Err(err) = spawned {
            // No thread: report it through the normal path.
            let (tx, rx) = channel();
            let _ = tx.send(Message::Done(Err(JobError::Failed(format!("cannot start a worker thread: {err}")))));
            job.rx = rx;
        }
        job
    }

    /// Drains the channel: keeps the newest progress, returns the newest partial result or
    /// the final result.
    pub fn poll(&mut self) -> Poll<T, P> {
        let mut partial = None;
        loop {
            match self.rx.try_recv() {
                Ok(Message::Progress(p)) => self.progress = p,
                Ok(Message::Partial(p)) => partial = Some(p),
                Ok(Message::Done(result)) => {
                    self.finished = true;
                    return Poll::Done(result);
                }
                Err(TryRecvError::Empty) => return Poll::Running(partial),
                Err(TryRecvError::Disconnected) => {
                    if self.finished {
                        return Poll::Running(partial);
                    }
                    self.finished = true;
                    return Poll::Done(Err(JobError::Failed("the worker stopped without a result".to_owned())));
                }
            }
        }
    }

    /// Blocks until the job finishes (CLI and tests), ignoring partial results.
    pub fn wait(mut self) -> Result<T, JobError> {
        loop {
            match self.rx.recv() {
                Ok(Message::Done(result)) => {
                    self.finished = true;
                    return result;
                }
                Ok(Message::Progress(p)) => self.progress = p,
                Ok(Message::Partial(_)) => {}
                Err(_) => return Err(JobError::Failed("the worker stopped without a result".to_owned())),
            }
        }
    }
}

impl<T, P> Job<T, P> {
    /// Asks the worker to stop; its result will be `Cancelled` (or whatever it finished with).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
    /// True once cancel was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
    /// The job's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The newest progress report.
    pub fn progress(&self) -> &ProgressInfo {
        &self.progress
    }
}

impl<T, P> Drop for Job<T, P> {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn delivers_progress_partials_and_result() {
        let release = Arc::new(AtomicBool::new(false));
        let worker_release = Arc::clone(&release);
        let mut job = Job::<u32, u32>::spawn("test", no_waker(), move |ctx| {
            ctx.progress(Some(0.5), "half");
            ctx.partial(7);
            while !worker_release.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(42)
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut partials = Vec::new();
        while partials.is_empty() {
            match job.poll() {
                Poll::Running(p) => partials.extend(p),
                Poll::Done(r) => panic!("finished early: {r:?}"),
            }
            assert!(Instant::now() < deadline, "no partial result");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(partials, vec![7]);
        assert_eq!(job.progress().message, "half");
        release.store(true, Ordering::Relaxed);
        loop {
            if let Poll::Done(r) = job.poll() {
                assert_eq!(r, Ok(42));
                break;
            }
            assert!(Instant::now() < deadline, "job never finished");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_panic_becomes_an_error() {
        let job = Job::<(), ()>::spawn("panics", no_waker(), |_| panic!("boom"));
        assert_eq!(job.wait(), Err(JobError::Panicked("boom".to_owned())));
    }

    #[test]
    fn cancel_stops_a_loop_quickly() {
        let job = Job::<(), ()>::spawn("loop", no_waker(), |ctx| {
            loop {
                ctx.check()?;
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        let start = Instant::now();
        job.cancel();
        assert_eq!(job.wait(), Err(JobError::Cancelled));
        assert!(start.elapsed() < Duration::from_millis(100));
    }
}
