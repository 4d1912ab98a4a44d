//! The desktop app: the only egui code. `logic` polls jobs, dialogs and dropped files;
//! `ui` draws the menu bar, notices, the status bar and the views; views push
//! [`commands::Command`]s that [`BiolensApp`] applies at the end of the frame.

pub mod commands;
pub mod display;
pub mod everyday;
pub mod file_dialog;
pub mod session;
pub mod settings;
pub mod state;
pub mod views;
pub mod widgets;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, RichText};

use crate::data::{self, OpenRequest, samples};
use crate::jobs::{Job, JobError, Poll, Waker};
use commands::Command;
use file_dialog::{DialogOutcome, DialogPurpose, PendingDialog};
use settings::{RecentFile, STORAGE_KEY, Settings};
use state::{AppState, Current, DataJob, DataJobKind};
use views::View;
use views::autoencoder::AutoencoderView;
use views::classify::ClassifyView;
use views::clustered_heatmap::ClusteredHeatmapView;
use views::clusters::ClustersView;
use views::data::DataView;
use views::distance_map::DistanceMapView;
use views::markers::MarkersView;
use views::pca::PcaView;
use views::qc::QcView;
use views::stored::StoredView;
use views::tsne::TsneView;
use views::umap::UmapView;

/// The views, one tab each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tab {
    /// The table, summary and preprocessing.
    #[default]
    Data,
    /// Principal components.
    Pca,
    /// The live t-SNE.
    Tsne,
    /// The live UMAP of the neighbour graph, and Leiden.
    Umap,
    /// The sample × sample distance map.
    Distances,
    /// Hierarchical clustering, k-means, DBSCAN.
    Clusters,
    /// The clustered heatmap of the most variable genes.
    Heatmap,
    /// Classifiers under cross-validation.
    Classify,
    /// The embeddings a single-cell file brought (UMAP, t-SNE, … from `obsm`).
    Embeddings,
    /// Per-cell quality metrics and the filter thresholds.
    Qc,
    /// Marker genes of groups, and comparisons of selections.
    Markers,
    /// An autoencoder's live 2-D code.
    Autoencoder,
}

impl Tab {
    /// Every tab, in order (the order of [`AllViews::all`]).
    pub const ALL: [Tab; 12] = [
        Tab::Data,
        Tab::Pca,
        Tab::Tsne,
        Tab::Umap,
        Tab::Distances,
        Tab::Clusters,
        Tab::Heatmap,
        Tab::Classify,
        Tab::Embeddings,
        Tab::Qc,
        Tab::Markers,
        Tab::Autoencoder,
    ];

    /// The tab's place in [`Tab::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The views, one per tab.
#[derive(Default)]
pub struct AllViews {
    /// The table, summary and preprocessing.
    pub data: DataView,
    /// PCA.
    pub pca: PcaView,
    /// t-SNE.
    pub tsne: TsneView,
    /// UMAP.
    pub umap: UmapView,
    /// The distance map.
    pub distance_map: DistanceMapView,
    /// Clusters.
    pub clusters: ClustersView,
    /// The clustered heatmap.
    pub heatmap: ClusteredHeatmapView,
    /// Classify.
    pub classify: ClassifyView,
    /// Stored embeddings.
    pub embeddings: StoredView,
    /// Quality control.
    pub qc: QcView,
    /// Marker genes.
    pub markers: MarkersView,
    /// The autoencoder.
    pub autoencoder: AutoencoderView,
}

impl AllViews {
    /// Every view, in [`Tab::ALL`] order.
    pub fn all(&self) -> [&dyn View; 12] {
        [
            &self.data,
            &self.pca,
            &self.tsne,
            &self.umap,
            &self.distance_map,
            &self.clusters,
            &self.heatmap,
            &self.classify,
            &self.embeddings,
            &self.qc,
            &self.markers,
            &self.autoencoder,
        ]
    }

    /// Every view, mutable, in [`Tab::ALL`] order.
    pub fn all_mut(&mut self) -> [&mut dyn View; 12] {
        [
            &mut self.data,
            &mut self.pca,
            &mut self.tsne,
            &mut self.umap,
            &mut self.distance_map,
            &mut self.clusters,
            &mut self.heatmap,
            &mut self.classify,
            &mut self.embeddings,
            &mut self.qc,
            &mut self.markers,
            &mut self.autoencoder,
        ]
    }
}

/// Keyboard shortcuts of the common actions (shown in the menus).
pub mod shortcuts {
    use super::{Key, KeyboardShortcut, Modifiers};
    /// File ▸ Open matrix…
    pub const OPEN_MATRIX: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
    /// File ▸ Open annotations…
    pub const OPEN_ANNOTATIONS: KeyboardShortcut =
        KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::O);
    /// File ▸ Open from path…
    pub const OPEN_PATH: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::L);
    /// Data ▸ Transpose
    pub const TRANSPOSE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::T);
    /// File ▸ Quit
    pub const QUIT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);
    /// The next view (tab).
    pub const NEXT_VIEW: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::PageDown);
    /// The previous view (tab).
    pub const PREVIOUS_VIEW: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::PageUp);
}

/// What to open when the app starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Startup {
    /// The last dataset of the previous run, else the default sample dataset.
    Restore,
    /// Nothing (tests).
    Empty,
    /// This request.
    Open(Box<OpenRequest>),
}

/// eframe's wgpu setup, asking for a device that can also compute: every limit and feature
/// of the adapter ([`crate::gpu::Gpu::device_descriptor`]; the distance shaders and burn's
/// training run on it), except on OpenGL, where egui's own WebGL-level request stays.
fn wgpu_configuration() -> eframe::egui_wgpu::WgpuConfiguration {
    use eframe::egui_wgpu::{WgpuConfiguration, WgpuSetup, WgpuSetupCreateNew};
    let fallback = WgpuSetupCreateNew::without_display_handle().device_descriptor;
    WgpuConfiguration {
        wgpu_setup: WgpuSetup::CreateNew(WgpuSetupCreateNew {
            device_descriptor: Arc::new(move |adapter: &wgpu::Adapter| {
                if adapter.get_info().backend == wgpu::Backend::Gl {
                    fallback(adapter)
                } else {
                    crate::gpu::Gpu::device_descriptor(adapter)
                }
            }),
            ..WgpuSetupCreateNew::without_display_handle()
        }),
        ..WgpuConfiguration::default()
    }
}

/// Starts the desktop app (wgpu renderer).
pub fn run() -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Biolens")
            .with_app_id("biolens")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true)
            .with_icon(app_icon()),
        renderer: eframe::Renderer::Wgpu,
        wgpu_options: wgpu_configuration(),
        ..Default::default()
    };
    eframe::run_native("Biolens", options, Box::new(|cc| Ok(Box::new(BiolensApp::new(cc, Startup::Restore)))))
        .map_err(|err| anyhow::anyhow!("cannot start the window: {err}"))
}

/// The app.
pub struct BiolensApp {
    state: AppState,
    tab: Tab,
    views: AllViews,
    commands: Vec<Command>,
    dialog: Option<PendingDialog>,
    path_prompt: Option<String>,
    waker: Waker,
    egui_ctx: egui::Context,
    display: Option<display::Applied>,
    /// Opening a session: the question about a moved or changed data file.
    session_prompt: Option<session::SessionPrompt>,
    /// Opening a session: what to apply once its data is open.
    restore: Option<session::PendingRestore>,
    /// Annotations made from selections (saved with the session).
    made: Vec<crate::session::MadeAnnotation>,
    /// Checking a session's data files (opening it).
    session_job: Option<Job<session::SessionWork>>,
    /// Saving a session or its script.
    save_job: Option<Job<String>>,
    /// The user kept the shape-guessed orientation of the open file (no banner until another
    /// file opens).
    orientation_kept: bool,
    /// Which sheet of a workbook to open.
    sheets: everyday::SheetChooser,
}

impl BiolensApp {
    /// Creates the app, restoring settings and opening the start dataset.
    pub fn new(cc: &eframe::CreationContext<'_>, startup: Startup) -> Self {
        let settings: Settings = cc.storage.and_then(|s| eframe::get_value(s, STORAGE_KEY)).unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        let waker: Waker = Arc::new(move || ctx.request_repaint());
        if let Some(rs) = &cc.wgpu_render_state {
            // Scatter points drawn by the GPU (widgets/scatter_gpu.rs).
            widgets::scatter_gpu::install(rs);
            widgets::scatter_gpu::mark_available(&cc.egui_ctx);
        }
        let (gpu, gpu_problem) = match &cc.wgpu_render_state {
            Some(rs) => {
                match crate::gpu::Gpu::from_parts(&rs.instance, &rs.adapter, rs.device.clone(), rs.queue.clone()) {
                    Ok(gpu) => {
                        #[cfg(feature = "nn")]
                        crate::analysis::nn::train::register_gpu(&gpu);
                        (Some(gpu), None)
                    }
                    Err(err) => (None, Some(err.to_string())),
                }
            }
            None => (None, Some("the window is not drawn with wgpu".to_owned())),
        };
        let mut app = Self {
            state: AppState { settings, waker: Some(Arc::clone(&waker)), gpu, gpu_problem, ..AppState::default() },
            tab: Tab::default(),
            views: AllViews::default(),
            commands: Vec::new(),
            dialog: None,
            path_prompt: None,
            waker,
            egui_ctx: cc.egui_ctx.clone(),
            display: None,
            session_prompt: None,
            restore: None,
            made: Vec::new(),
            session_job: None,
            save_job: None,
            orientation_kept: false,
            sheets: everyday::SheetChooser::default(),
        };
        let request = match startup {
            Startup::Empty => None,
            Startup::Open(request) => Some(*request),
            Startup::Restore => Some(
                app.state
                    .settings
                    .last_opened
                    .as_ref()
                    .map(RecentFile::request)
                    .filter(|r| r.matrix.exists())
                    .unwrap_or_else(default_request),
            ),
        };
        if let Some(request) = request {
            app.start_open(request);
        }
        if app.state.gpu.is_none() && app.state.settings.compute_device == crate::gpu::ComputeDevice::Gpu {
            let effect = app.state.compute_device_effect();
            app.state.info(effect);
        }
        app
    }

    /// The state, for tests.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// True while the app asks which sheet of a workbook to open.
    pub fn is_asking_for_a_sheet(&self) -> bool {
        self.sheets.is_asking()
    }

    /// The visible tab.
    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// The view of `tab`.
    pub fn view(&self, tab: Tab) -> &dyn View {
        self.views.all()[tab.index()]
    }

    /// The PCA view, for tests.
    pub fn pca_view(&self) -> &PcaView {
        &self.views.pca
    }

    /// The PCA view, mutable (tests set parameters).
    pub fn pca_view_mut(&mut self) -> &mut PcaView {
        &mut self.views.pca
    }

    /// The t-SNE view, for tests.
    pub fn tsne_view(&self) -> &TsneView {
        &self.views.tsne
    }

    /// The t-SNE view, mutable (tests set parameters before the tab starts a run).
    pub fn tsne_view_mut(&mut self) -> &mut TsneView {
        &mut self.views.tsne
    }

    /// The UMAP view (tests).
    pub fn umap_view(&self) -> &UmapView {
        &self.views.umap
    }

    /// The Autoencoder view (tests).
    pub fn autoencoder_view(&self) -> &AutoencoderView {
        &self.views.autoencoder
    }

    /// The Autoencoder view, mutable (tests set parameters before the tab starts a run).
    pub fn autoencoder_view_mut(&mut self) -> &mut AutoencoderView {
        &mut self.views.autoencoder
    }

    /// The distance map view, for tests.
    pub fn distance_map_view(&self) -> &DistanceMapView {
        &self.views.distance_map
    }

    /// The distance map view, mutable (tests set parameters).
    pub fn distance_map_view_mut(&mut self) -> &mut DistanceMapView {
        &mut self.views.distance_map
    }

    /// The Clusters view, for tests.
    pub fn clusters_view(&self) -> &ClustersView {
        &self.views.clusters
    }

    /// The Clusters view, mutable (tests set parameters).
    pub fn clusters_view_mut(&mut self) -> &mut ClustersView {
        &mut self.views.clusters
    }

    /// The clustered heatmap view, for tests.
    pub fn heatmap_view(&self) -> &ClusteredHeatmapView {
        &self.views.heatmap
    }

    /// The Classify view, for tests.
    pub fn classify_view(&self) -> &ClassifyView {
        &self.views.classify
    }

    /// The QC view, for tests.
    pub fn qc_view(&self) -> &QcView {
        &self.views.qc
    }

    /// The Embeddings view, for tests.
    pub fn embeddings_view(&self) -> &StoredView {
        &self.views.embeddings
    }

    /// The Markers view, for tests.
    pub fn markers_view(&self) -> &MarkersView {
        &self.views.markers
    }

    /// The Markers view, mutable (tests set it up).
    pub fn markers_view_mut(&mut self) -> &mut MarkersView {
        &mut self.views.markers
    }

    /// The Classify view, mutable (tests set it up).
    pub fn classify_view_mut(&mut self) -> &mut ClassifyView {
        &mut self.views.classify
    }

    /// The state, mutable (tests change settings).
    pub fn state_mut(&mut self) -> &mut AppState {
        &mut self.state
    }

    /// Queues a command as if a view had pushed it (tests, drag and drop).
    pub fn push_command(&mut self, command: Command) {
        self.commands.push(command);
    }

    /// Opens `request`; a workbook with several sheets and none named asks which first.
    fn start_open(&mut self, request: OpenRequest) {
        if request.load.choice.sheet.is_none() && crate::data::io::sheet::file_is_workbook(&request.matrix) {
            self.sheets.list(everyday::SheetTarget::Matrix(Box::new(request)), Arc::clone(&self.waker));
            return;
        }
        self.spawn_open(request);
    }

    /// Goes on with a target whose sheet is decided.
    fn sheet_decided(&mut self, decided: everyday::SheetDecided) {
        match decided.target {
            everyday::SheetTarget::Matrix(mut request) => {
                if decided.sheet.is_some() {
                    request.load.choice.sheet = decided.sheet;
                }
                self.spawn_open(*request);
            }
            everyday::SheetTarget::Annotations(path) => {
                self.join_annotations(path, decided.sheet);
            }
        }
    }

    /// Scatters coloured by nothing, or by what `dataset` lacks, are coloured by its first
    /// grouping ([`crate::recipes::Colouring::first_for`]).
    fn colour_by_default(&mut self, dataset: &data::Dataset) {
        let colouring = &self.views.pca.settings.colour_by;
        if *colouring == crate::recipes::Colouring::Nothing || !colouring.applies_to(dataset) {
            let first = crate::recipes::Colouring::first_for(dataset);
            if first != *colouring {
                self.commands.push(Command::ColourBy(first));
            }
        }
    }

    fn join_annotations(&mut self, path: PathBuf, sheet: Option<String>) {
        let job_path = path.clone();
        self.start_derived(DataJobKind::Annotations(path), move |d| {
            data::add_annotations(d, &job_path, sheet.as_deref()).map_err(|e| format!("{e:#}"))
        });
    }

    /// A table pasted with Ctrl+V (nothing else taking the text): saved as a file, then opened.
    fn handle_paste(&mut self, ctx: &egui::Context) {
        let Some(text) = everyday::pasted_table(ctx) else { return };
        let folder = self.state.paste_folder.clone().unwrap_or_else(everyday::paste_folder);
        match everyday::save_pasted(&folder, &text) {
            Ok(path) => {
                self.state.info(format!("Pasted table kept as {}; opening it.", path.display()));
                self.commands.push(Command::OpenMatrix(path));
            }
            Err(e) => self.state.error(format!("Cannot keep the pasted table in {}: {e}", folder.display())),
        }
    }

    fn spawn_open(&mut self, request: OpenRequest) {
        let kind = DataJobKind::Open(Box::new(request.clone()));
        let job = Job::spawn("open", Arc::clone(&self.waker), move |ctx| {
            let dataset =
                data::open(&request, &|fraction, message| ctx.progress(fraction, message)).map_err(JobError::failed)?;
            ctx.check()?;
            ctx.progress(None, "Summarising");
            Ok(Current::compute(dataset))
        });
        self.state.data_job = Some(DataJob { job, kind });
    }

    fn start_derived(
        &mut self,
        kind: DataJobKind,
        derive: impl FnOnce(&data::Dataset) -> Result<data::Dataset, String> + Send + 'static,
    ) {
        let Some(current) = &self.state.current else {
            self.state.error("Open a matrix first.");
            return;
        };
        let dataset = Arc::clone(&current.dataset);
        let job = Job::spawn("derive", Arc::clone(&self.waker), move |ctx| {
            let derived = derive(&dataset).map_err(JobError::Failed)?;
            ctx.check()?;
            Ok(Current::derived(&dataset, derived))
        });
        self.state.data_job = Some(DataJob { job, kind });
    }

    fn poll_jobs(&mut self) {
        let Some(data_job) = &mut self.state.data_job else { return };
        let Poll::Done(result) = data_job.job.poll() else { return };
        let Some(DataJob { kind, .. }) = self.state.data_job.take() else { return };
        match (result, kind) {
            (Ok(current), DataJobKind::Open(request)) => {
                if self.restore.is_none() {
                    // Another dataset: the annotations made on the last one do not apply.
                    self.made.clear();
                }
                self.state.settings.remember(RecentFile::from_request(&request));
                self.set_title(&current.dataset.name);
                self.orientation_kept = false;
                // A single-cell file with its own UMAP/t-SNE: show it at once.
                let has_embeddings = !current.dataset.raw().single_cell().embeddings.is_empty();
                if self.restore.is_none() {
                    // (A session's own colouring is applied after this.)
                    self.colour_by_default(&current.dataset);
                }
                self.state.replace_dataset(current);
                if has_embeddings && self.restore.is_none() {
                    self.tab = Tab::Embeddings;
                }
            }
            (Ok(current), DataJobKind::Annotations(path)) => {
                if let Some(report) = current.dataset.join_reports.last() {
                    self.state.info(format!("{}: {}", path.display(), report.describe()));
                }
                // Scatters coloured by nothing take the first grouping the new columns bring.
                self.colour_by_default(&current.dataset);
                if let Some(last) = &mut self.state.settings.last_opened {
                    last.annotations.clone_from(&current.dataset.source.annotations);
                    let entry = last.clone();
                    self.state.settings.remember(entry);
                }
                self.state.replace_dataset(current);
            }
            (Ok(current), DataJobKind::Preprocess) => self.state.replace_dataset(current),
            (Ok(current), DataJobKind::GroupMeans(by)) => {
                // The annotations made from selections were of the samples, not of the groups.
                self.made.clear();
                self.state.info(format!(
                    "Each group of '{by}' is now one sample, the mean of its members: {} groups. Data > Back to \
                     the samples returns to them.",
                    current.dataset.n_samples()
                ));
                self.set_title(&current.dataset.name);
                self.state.replace_dataset(current);
            }
            (Ok(current), DataJobKind::Annotate { name, announce }) => {
                if announce {
                    self.state.info(format!("Added the annotation '{name}': colour by it or subset with it."));
                }
                self.state.replace_dataset(current);
            }
            (Err(JobError::Cancelled), _) => {}
            (Err(err), DataJobKind::Preprocess) => {
                self.state.error(format!("Preprocessing not applied: {err}"));
                // Resync the editor with the pipeline still in force.
                if let Some(current) = &mut self.state.current {
                    self.state.generations += 1;
                    current.generation = self.state.generations;
                }
            }
            (Err(err), _) => self.state.error(err.to_string()),
        }
    }

    fn poll_dialog(&mut self) {
        let Some(outcome) = self.dialog.as_ref().and_then(PendingDialog::poll) else { return };
        self.dialog = None;
        match outcome {
            DialogOutcome::Chosen(DialogPurpose::Matrix, path) => self.commands.push(Command::OpenMatrix(path)),
            DialogOutcome::Chosen(DialogPurpose::Annotations, path) => self.commands.push(Command::OpenAnnotations(path)),
            DialogOutcome::Chosen(DialogPurpose::OpenSession, path) => self.open_session_from(&path),
            DialogOutcome::Chosen(DialogPurpose::SaveSession, path) => self.save_session_to(&path),
            DialogOutcome::Chosen(DialogPurpose::ExportScript, path) => self.export_script_to(&path),
            DialogOutcome::Dismissed { suspiciously_fast: true } => self.state.info(
                "No file dialog appeared: this desktop may lack xdg-desktop-portal. Use File > Open from path… (Ctrl+L) or drop a file onto the window.",
            ),
            DialogOutcome::Dismissed { .. } => {}
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        if dropped.is_empty() {
            return;
        }
        // Two files: the larger is the matrix, the other its annotations. One file named
        // like an annotations table, with a dataset open: join it. Otherwise: a matrix.
        let mut by_size: Vec<(u64, PathBuf)> =
            dropped.into_iter().map(|p| (std::fs::metadata(&p).map_or(0, |m| m.len()), p)).collect();
        by_size.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
        let mut paths = by_size.into_iter().map(|(_, p)| p);
        let Some(first) = paths.next() else { return };
        let rest: Vec<PathBuf> = paths.collect();
        if rest.is_empty() && self.state.current.is_some() && looks_like_annotations(&first) {
            self.commands.push(Command::OpenAnnotations(first));
        } else {
            self.commands.push(Command::Open(Box::new(OpenRequest {
                matrix: first,
                annotations: rest,
                ..OpenRequest::default()
            })));
        }
    }

    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        let pressed = |s: &KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(s));
        if pressed(&shortcuts::OPEN_ANNOTATIONS) {
            self.commands.push(Command::OpenAnnotationsDialog);
        }
        if pressed(&shortcuts::OPEN_MATRIX) {
            self.commands.push(Command::OpenMatrixDialog);
        }
        if pressed(&shortcuts::OPEN_PATH) {
            self.commands.push(Command::OpenPathPrompt);
        }
        if pressed(&shortcuts::TRANSPOSE) {
            self.commands.push(Command::Transpose);
        }
        // Ctrl+1 … Ctrl+9, Ctrl+0 for the first ten tabs.
        for (k, tab) in Tab::ALL.into_iter().enumerate().take(10) {
            let key = [
                Key::Num1,
                Key::Num2,
                Key::Num3,
                Key::Num4,
                Key::Num5,
                Key::Num6,
                Key::Num7,
                Key::Num8,
                Key::Num9,
                Key::Num0,
            ][k];
            if pressed(&KeyboardShortcut::new(Modifiers::COMMAND, key)) {
                self.tab = tab;
            }
        }
        // Next and previous view, as in browsers: a demo can walk through the analysis.
        let position = Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
        if pressed(&shortcuts::NEXT_VIEW) {
            self.tab = Tab::ALL[(position + 1) % Tab::ALL.len()];
        }
        if pressed(&shortcuts::PREVIOUS_VIEW) {
            self.tab = Tab::ALL[(position + Tab::ALL.len() - 1) % Tab::ALL.len()];
        }
        if pressed(&shortcuts::QUIT) {
            self.commands.push(Command::Quit);
        }
        if self.path_prompt.is_none() && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
            if self.state.data_job.is_some() {
                self.commands.push(Command::CancelJob);
            } else {
                self.commands.push(Command::ClearSelection);
            }
        }
    }

    fn apply_commands(&mut self) {
        for command in std::mem::take(&mut self.commands) {
            self.apply(command);
        }
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::OpenMatrixDialog => self.open_dialog(DialogPurpose::Matrix),
            Command::OpenAnnotationsDialog => self.open_dialog(DialogPurpose::Annotations),
            Command::OpenPathPrompt => self.path_prompt = Some(String::new()),
            Command::OpenMatrix(matrix) => self.start_open(OpenRequest { matrix, ..OpenRequest::default() }),
            Command::Open(request) => self.start_open(*request),
            Command::OpenSample(name) => match samples::SampleDataset::find(name) {
                Some(sample) => self.start_open(sample.open_request()),
                None => self.state.error(format!("no bundled dataset named {name}")),
            },
            Command::OpenAnnotations(path) => {
                if crate::data::io::sheet::file_is_workbook(&path) {
                    self.sheets.list(everyday::SheetTarget::Annotations(path), Arc::clone(&self.waker));
                } else {
                    self.join_annotations(path, None);
                }
            }
            Command::JoinAnnotations { path, sheet } => self.join_annotations(path, sheet),
            Command::SetPipeline(pipeline) => self.start_derived(DataJobKind::Preprocess, move |d| {
                d.with_pipeline(pipeline).map_err(|e| format!("{e:#}"))
            }),
            Command::Transpose => self.transpose(),
            Command::GroupMeans(by) => {
                let job_by = by.clone();
                self.start_derived(DataJobKind::GroupMeans(by), move |d| {
                    data::group_means::group_means(d, &job_by).map_err(|e| format!("{e:#}"))
                });
            }
            Command::BackToMembers => self.back_to_members(),
            Command::CancelJob => {
                if self.state.data_job.take().is_some() {
                    self.state.info("Cancelled.");
                    if let Some(current) = &mut self.state.current {
                        self.state.generations += 1;
                        current.generation = self.state.generations;
                    }
                }
            }
            Command::SelectRow { row, toggle, extend } => self.state.selection.click(row, toggle, extend),
            Command::ClearSelection => self.state.selection.clear(),
            Command::Select { samples, mode } => self.state.selection.apply(&samples, mode),
            Command::AnnotationFromSelection => self.annotation_from_selection(),
            Command::SetAnnotation(annotation) => self.set_annotation(&annotation, false),
            Command::SetEmbedding { name, coords } => self.set_embedding(&name, &coords),
            Command::ColourBy(colouring) => {
                self.views.pca.settings.colour_by = colouring.clone();
                self.views.tsne.settings.colour_by = colouring.clone();
                self.views.umap.settings.colour_by = colouring.clone();
                self.views.embeddings.colour_by = colouring.clone();
                self.views.autoencoder.settings.colour_by = colouring.clone();
                if let crate::recipes::Colouring::Gene(gene) = colouring {
                    self.state.info(format!("Every scatter is coloured by {gene}."));
                }
            }
            Command::DismissNotice(k) => {
                if k < self.state.notices.len() {
                    self.state.notices.remove(k);
                }
            }
            Command::Quit => self.egui_ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        }
    }

    fn annotation_from_selection(&mut self) {
        let Some(current) = &self.state.current else { return };
        if self.state.selection.samples.is_empty() {
            self.state.error("Select some samples first (drag a box in a plot, or click table rows).");
            return;
        }
        let existing: std::collections::HashSet<&str> =
            current.dataset.raw().annotations().iter().map(|a| a.name.as_str()).collect();
        let name = (1..=existing.len() + 1)
            .map(|k| format!("selection {k}"))
            .find(|n| !existing.contains(n.as_str()))
            .unwrap_or_default();
        let cells: Vec<Option<&str>> = (0..current.dataset.n_samples())
            .map(|i| Some(if self.state.selection.samples.contains(&i) { "selected" } else { "not selected" }))
            .collect();
        let column = data::annotations::Annotation::categorical(&name, &cells);
        let ids = current.dataset.sample_ids();
        let selected = self.state.selection.samples.iter().filter_map(|&i| ids.get(i).cloned()).collect();
        self.made.retain(|m| m.name != name);
        self.made.push(crate::session::MadeAnnotation { name: name.clone(), selected });
        self.set_annotation(&column, true);
    }

    /// Adds `column` (over the processed samples) to the raw data by sample id: raw samples the
    /// pipeline dropped get no value. A column of the same name is replaced.
    /// Adds `coords` (processed samples × dimensions) as the stored embedding `name`, over the
    /// raw samples (rows of samples the preprocessing left out are NaN).
    fn set_embedding(&mut self, name: &str, coords: &ndarray::Array2<f64>) {
        let Some(current) = &self.state.current else { return };
        let dataset = &current.dataset;
        if coords.nrows() != dataset.n_samples() {
            return;
        }
        let row_of: std::collections::HashMap<&str, usize> =
            dataset.sample_ids().iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let raw_ids = dataset.raw().sample_ids();
        let mut raw = ndarray::Array2::from_elem((raw_ids.len(), coords.ncols()), f64::NAN);
        for (r, id) in raw_ids.iter().enumerate() {
            if let Some(&i) = row_of.get(id.as_str()) {
                raw.row_mut(r).assign(&coords.row(i));
            }
        }
        let embedding = data::io::hdf5::Embedding { name: name.to_owned(), coords: raw };
        self.start_derived(DataJobKind::Annotate { name: name.to_owned(), announce: false }, move |d| {
            Ok(d.with_embedding(embedding))
        });
        self.state.info(format!(
            "The code is the stored embedding '{name}': choose it as the representation in UMAP or Clusters (Leiden, \
             Louvain), or see it in Embeddings."
        ));
    }

    pub(crate) fn set_annotation(&mut self, column: &data::annotations::Annotation, announce: bool) {
        use data::annotations::{Annotation, AnnotationValues};
        let Some(current) = &self.state.current else { return };
        let dataset = &current.dataset;
        let row_of: std::collections::HashMap<&str, usize> =
            dataset.sample_ids().iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let raw_rows: Vec<Option<usize>> =
            dataset.raw().sample_ids().iter().map(|id| row_of.get(id.as_str()).copied()).collect();
        let values = match &column.values {
            AnnotationValues::Categorical { levels, codes } => AnnotationValues::Categorical {
                levels: levels.clone(),
                codes: raw_rows.iter().map(|r| r.and_then(|r| codes.get(r).copied().flatten())).collect(),
            },
            AnnotationValues::Numeric(values) => AnnotationValues::Numeric(
                raw_rows.iter().map(|r| r.and_then(|r| values.get(r).copied()).unwrap_or(f64::NAN)).collect(),
            ),
        };
        let raw_column = Annotation { name: column.name.clone(), values };
        let name = column.name.clone();
        self.start_derived(DataJobKind::Annotate { name, announce }, move |d| {
            d.with_annotation(raw_column).map_err(|e| format!("{e:#}"))
        });
    }

    fn open_dialog(&mut self, purpose: DialogPurpose) {
        if self.dialog.is_some() {
            return;
        }
        let waker = Arc::clone(&self.waker);
        self.dialog = Some(PendingDialog::open(purpose, move || waker()));
    }

    /// Reopens the file of a dataset of group means with the pipeline its samples had.
    fn back_to_members(&mut self) {
        let Some(current) = &self.state.current else { return };
        let dataset = &current.dataset;
        let (Some(matrix), Some(means)) = (dataset.source.matrix.clone(), dataset.source.group_means.clone()) else {
            return;
        };
        self.start_open(OpenRequest {
            matrix,
            annotations: dataset.source.annotations.clone(),
            load: data::LoadOptions {
                orientation: Some(dataset.load_report.orientation),
                choice: dataset.source.choice.clone(),
            },
            pipeline: means.members,
            name: None,
            group_means: None,
        });
    }

    fn transpose(&mut self) {
        let Some(current) = &self.state.current else { return };
        let dataset = &current.dataset;
        if dataset.source.group_means.is_some() {
            self.state.error("The samples are group means: go Back to the samples (Data menu) before transposing.");
            return;
        }
        let Some(matrix) = dataset.source.matrix.clone() else { return };
        let orientation = dataset.load_report.orientation.flipped();
        // The annotations were joined by sample id, which changes meaning: drop them.
        self.start_open(OpenRequest {
            matrix,
            annotations: Vec::new(),
            load: data::LoadOptions { orientation: Some(orientation), choice: dataset.source.choice.clone() },
            pipeline: data::Pipeline { missing: dataset.pipeline().missing, steps: Vec::new() },
            name: Some(dataset.name.clone()),
            group_means: None,
        });
    }

    fn set_title(&self, name: &str) {
        self.egui_ctx.send_viewport_cmd(egui::ViewportCommand::Title(format!("Biolens — {name}")));
    }

    fn menu_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| self.file_menu_ui(ui));
            ui.menu_button("Data", |ui| {
                let has_file = self.state.current.as_ref().is_some_and(|c| c.dataset.source.matrix.is_some());
                if ui
                    .add_enabled(
                        has_file,
                        egui::Button::new("Transpose").shortcut_text(ui.ctx().format_shortcut(&shortcuts::TRANSPOSE)),
                    )
                    .on_hover_text("Read the file the other way round: rows become columns")
                    .clicked()
                {
                    self.commands.push(Command::Transpose);
                }
                if ui
                    .add_enabled(
                        !self.state.selection.samples.is_empty(),
                        egui::Button::new("Clear selection").shortcut_text("Esc"),
                    )
                    .clicked()
                {
                    self.commands.push(Command::ClearSelection);
                }
                ui.separator();
                self.group_means_menu_ui(ui);
            });
            ui.menu_button("View", |ui| display::view_menu_ui(ui, &mut self.state.settings));
            ui.menu_button("Settings", |ui| self.settings_menu_ui(ui));
            ui.menu_button("Help", |ui| {
                ui.label(RichText::new(format!("Biolens {}", env!("CARGO_PKG_VERSION"))).strong());
                ui.label("Explore expression matrices: open a file, preprocess, select samples.");
                ui.separator();
                for (what, keys) in [
                    ("Open matrix", ui.ctx().format_shortcut(&shortcuts::OPEN_MATRIX)),
                    ("Open annotations", ui.ctx().format_shortcut(&shortcuts::OPEN_ANNOTATIONS)),
                    ("Open from path", ui.ctx().format_shortcut(&shortcuts::OPEN_PATH)),
                    ("Transpose", ui.ctx().format_shortcut(&shortcuts::TRANSPOSE)),
                    ("Cancel / clear selection", "Esc".to_owned()),
                    ("Views (Data … QC)", "Ctrl+1 … Ctrl+9, Ctrl+0".to_owned()),
                    ("Next / previous view", "Ctrl+PageDown / Ctrl+PageUp".to_owned()),
                    ("Projector mode", "F11".to_owned()),
                    ("Quit", ui.ctx().format_shortcut(&shortcuts::QUIT)),
                ] {
                    ui.horizontal(|ui| {
                        ui.label(what);
                        ui.label(RichText::new(keys).weak());
                    });
                }
            });
        });
    }

    /// "Average by group" (pseudobulk) and, on group means, the way back.
    fn group_means_menu_ui(&mut self, ui: &mut egui::Ui) {
        let Some(current) = &self.state.current else {
            ui.add_enabled(false, egui::Button::new("Average each group (pseudobulk)"));
            return;
        };
        let dataset = &current.dataset;
        let groupings = views::categorical_names(dataset.annotations());
        ui.add_enabled_ui(!groupings.is_empty(), |ui| {
            ui.menu_button("Average each group (pseudobulk)", |ui| {
                for name in groupings {
                    if ui.button(format!("by {name}")).clicked() {
                        self.commands.push(Command::GroupMeans(name));
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text(
                "One sample per group: the mean of its samples' processed values (scanpy's \
                 sc.get.aggregate). For the analyses that compare every pair of samples.",
            )
            .on_disabled_hover_text("Needs a categorical annotation (clusters, cell types, donors)");
        });
        if let Some(means) = &dataset.source.group_means
            && dataset.source.matrix.is_some()
            && ui
                .button("Back to the samples")
                .on_hover_text(format!("Reopen the file with the samples that were averaged by '{}'", means.by))
                .clicked()
        {
            self.commands.push(Command::BackToMembers);
        }
    }

    fn settings_menu_ui(&mut self, ui: &mut egui::Ui) {
        use crate::gpu::ComputeDevice;
        ui.label(RichText::new("Compute device (distances)").strong());
        let gpu = self.state.gpu.as_ref().map_or_else(|| "no GPU found".to_owned(), crate::gpu::Gpu::label);
        let choices = [
            (
                ComputeDevice::Auto,
                "Auto".to_owned(),
                "A real GPU when there is one; the CPU otherwise (a software adapter is slower than the CPU)",
            ),
            (
                ComputeDevice::Gpu,
                format!("GPU ({gpu})"),
                "Always the GPU adapter, even a software one; the CPU when there is none",
            ),
            (ComputeDevice::Cpu, "CPU".to_owned(), "Always the CPU path (multithreaded, f64)"),
        ];
        let before = self.state.settings.compute_device;
        for (choice, label, hint) in choices {
            ui.radio_value(&mut self.state.settings.compute_device, choice, label).on_hover_text(hint);
        }
        ui.label(RichText::new(self.state.compute_device_effect()).weak());
        let now = self.state.settings.compute_device;
        if now != before && now == ComputeDevice::Gpu && self.state.gpu.is_none() {
            let effect = self.state.compute_device_effect();
            self.state.info(effect);
        }
    }

    fn file_menu_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let shortcut = |s: &KeyboardShortcut| ctx.format_shortcut(s);
        if ui.add(egui::Button::new("Open matrix…").shortcut_text(shortcut(&shortcuts::OPEN_MATRIX))).clicked() {
            self.commands.push(Command::OpenMatrixDialog);
        }
        let has_dataset = self.state.current.is_some();
        if ui
            .add_enabled(
                has_dataset,
                egui::Button::new("Open annotations…").shortcut_text(shortcut(&shortcuts::OPEN_ANNOTATIONS)),
            )
            .on_disabled_hover_text("Open a matrix first")
            .clicked()
        {
            self.commands.push(Command::OpenAnnotationsDialog);
        }
        if ui.add(egui::Button::new("Open from path…").shortcut_text(shortcut(&shortcuts::OPEN_PATH))).clicked() {
            self.commands.push(Command::OpenPathPrompt);
        }
        ui.menu_button("Sample datasets", |ui| {
            for sample in samples::ALL {
                if ui.button(sample.name).on_hover_text(sample.description).clicked() {
                    self.commands.push(Command::OpenSample(sample.name));
                }
            }
        });
        ui.separator();
        if ui.button("Open session…").on_hover_text("Reopen a saved analysis: recomputes everything").clicked() {
            self.open_dialog(DialogPurpose::OpenSession);
        }
        if ui
            .add_enabled(has_dataset, egui::Button::new("Save session…"))
            .on_hover_text("The data files, preprocessing, every view's settings and seeds, in one JSON file")
            .clicked()
        {
            self.open_dialog(DialogPurpose::SaveSession);
        }
        if ui
            .add_enabled(has_dataset, egui::Button::new("Export as script…"))
            .on_hover_text("A shell script of biolens commands that writes every table and figure")
            .clicked()
        {
            self.open_dialog(DialogPurpose::ExportScript);
        }
        ui.separator();
        ui.menu_button("Recent files", |ui| {
            if self.state.settings.recent.is_empty() {
                ui.label(RichText::new("none yet").weak());
            }
            for recent in &self.state.settings.recent {
                let label = recent.name.clone().unwrap_or_else(|| recent.matrix.display().to_string());
                if ui.button(label).on_hover_text(recent.matrix.display().to_string()).clicked() {
                    self.commands.push(Command::Open(Box::new(recent.request())));
                }
            }
        });
        ui.separator();
        if ui.add(egui::Button::new("Quit").shortcut_text(shortcut(&shortcuts::QUIT))).clicked() {
            self.commands.push(Command::Quit);
        }
    }

    fn status_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            match &self.state.current {
                Some(c) => {
                    let d = &c.dataset;
                    ui.label(RichText::new(&d.name).strong());
                    ui.label(format!("{} samples × {} genes", d.n_samples(), d.n_genes()));
                    ui.label(RichText::new(d.load_report.orientation.describe()).weak())
                        .on_hover_text(&d.load_report.orientation_reason);
                }
                None => {
                    ui.label("No dataset");
                }
            }
            if let Some(job) = &self.state.data_job {
                ui.separator();
                ui.spinner();
                let progress = job.job.progress();
                let what = match &job.kind {
                    DataJobKind::Open(r) => format!("Opening {}", data::display_name(&r.matrix)),
                    DataJobKind::Annotations(p) => format!("Joining {}", data::display_name(p)),
                    DataJobKind::Preprocess => "Preprocessing".to_owned(),
                    DataJobKind::GroupMeans(by) => format!("Averaging by {by}"),
                    DataJobKind::Annotate { name, .. } => format!("Adding {name}"),
                };
                ui.label(format!("{what}: {}", progress.message));
                if let Some(f) = progress.fraction {
                    ui.add(egui::ProgressBar::new(f).desired_width(120.0));
                }
                if ui.button("Cancel").on_hover_text("Esc").clicked() {
                    self.commands.push(Command::CancelJob);
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(RichText::new(self.state.gpu_label()).weak())
                    .on_hover_text(self.state.compute_device_effect());
                ui.separator();
                let n = self.state.selection.samples.len();
                if n > 0 {
                    if ui.small_button("✖").on_hover_text("Clear selection (Esc)").clicked() {
                        self.commands.push(Command::ClearSelection);
                    }
                    ui.label(format!("{n} selected"));
                }
            });
        });
    }

    /// True when the open dataset's orientation was guessed from its shape alone and the user
    /// has not kept it.
    pub fn orientation_guessed(&self) -> bool {
        !self.orientation_kept
            && self.state.current.as_ref().is_some_and(|c| c.dataset.load_report.orientation_by_shape)
    }

    /// The banner saying that only the shape decided the orientation, with *Transpose*.
    fn orientation_banner_ui(&mut self, ui: &mut egui::Ui) {
        let Some(current) = &self.state.current else { return };
        let d = &current.dataset;
        let other = match d.load_report.orientation {
            data::Orientation::GenesInRows => "samples",
            data::Orientation::SamplesInRows => "genes",
        };
        let text = format!(
            "⚠ Orientation guessed from the shape alone: read as {} ({} samples × {} genes). \
             If the rows are {other}, transpose.",
            d.load_report.orientation.describe(),
            d.raw().sample_ids().len(),
            d.raw().gene_ids().len()
        );
        egui::Frame::new()
            .fill(ui.visuals().warn_fg_color.gamma_multiply(0.15))
            .inner_margin(6.0)
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(text).strong()).on_hover_text(&d.load_report.orientation_reason);
                    if ui.button("Transpose").on_hover_text("Data ▸ Transpose (Ctrl+T)").clicked() {
                        self.commands.push(Command::Transpose);
                    }
                    if ui.button("Keep").on_hover_text("The orientation is right").clicked() {
                        self.orientation_kept = true;
                    }
                });
            });
    }

    fn notices_ui(&mut self, ui: &mut egui::Ui) {
        for (k, notice) in self.state.notices.iter().enumerate() {
            let (fill, text_colour) = if notice.is_error {
                (ui.visuals().error_fg_color.gamma_multiply(0.15), ui.visuals().error_fg_color)
            } else {
                (ui.visuals().selection.bg_fill.gamma_multiply(0.25), ui.visuals().text_color())
            };
            egui::Frame::new().fill(fill).inner_margin(6.0).corner_radius(4.0).show(ui, |ui| {
                ui.horizontal(|ui| {
                    if ui.small_button("✖").on_hover_text("Dismiss").clicked() {
                        self.commands.push(Command::DismissNotice(k));
                    }
                    let icon = if notice.is_error { "⚠" } else { "ℹ" };
                    ui.add(
                        egui::Label::new(RichText::new(format!("{icon} {}", notice.text)).color(text_colour)).wrap(),
                    );
                });
            });
        }
    }

    fn path_prompt_ui(&mut self, ctx: &egui::Context) {
        let Some(text) = &mut self.path_prompt else { return };
        let mut close = false;
        let mut open = None;
        egui::Modal::new(egui::Id::unique("open_path")).show(ctx, |ui| {
            ui.heading("Open from path");
            ui.label("A matrix file, a 10x directory, or (with a dataset open) an annotations file.");
            let edit =
                ui.add(egui::TextEdit::singleline(text).desired_width(480.0).hint_text("/path/to/expression.csv"));
            edit.request_focus();
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            ui.horizontal(|ui| {
                if ui.button("Open matrix").clicked() || enter {
                    open = Some(Command::OpenMatrix(PathBuf::from(text.trim())));
                }
                if ui.add_enabled(self.state.current.is_some(), egui::Button::new("Open annotations")).clicked() {
                    open = Some(Command::OpenAnnotations(PathBuf::from(text.trim())));
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                    close = true;
                }
            });
        });
        if let Some(command) = open {
            self.commands.push(command);
            close = true;
        }
        if close {
            self.path_prompt = None;
        }
    }

    fn drop_overlay_ui(ctx: &egui::Context) {
        let hovering = ctx.input(|i| !i.raw.hovered_files.is_empty());
        if !hovering {
            return;
        }
        let screen = ctx.content_rect();
        let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("drop_overlay")));
        painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(160));
        painter.text(
            screen.center(),
            egui::Align2::CENTER_CENTER,
            "Drop to open: a matrix (or a matrix and its annotations)",
            egui::TextStyle::Heading.resolve(&ctx.global_style()),
            egui::Color32::WHITE,
        );
    }
}

/// The window icon (`assets/icon.png`).
fn app_icon() -> Arc<egui::IconData> {
    let icon = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")).unwrap_or_default();
    Arc::new(icon)
}

/// The request that opens the default sample dataset.
fn default_request() -> OpenRequest {
    samples::SampleDataset::find(samples::DEFAULT).map_or_else(OpenRequest::default, |s| s.open_request())
}

/// File names that suggest a table of sample annotations rather than a matrix.
fn looks_like_annotations(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    ["sample", "annot", "meta", "pheno", "coldata", "obs", "clinical", "design"].iter().any(|w| name.contains(w))
}

impl eframe::App for BiolensApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_jobs();
        // Every view's jobs, whichever tab is shown.
        for view in self.views.all_mut() {
            view.poll(&self.state, &mut self.commands);
        }
        self.poll_session_jobs();
        self.continue_restore();
        self.poll_dialog();
        if let Some(decided) = self.sheets.poll() {
            self.sheet_decided(decided);
        }
        self.handle_dropped_files(ctx);
        self.handle_paste(ctx);
        self.handle_shortcuts(ctx);
        if display::toggle_pressed(ctx) {
            self.state.settings.projector = !self.state.settings.projector;
        }
        display::apply(ctx, &self.state.settings, &mut self.display);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("menu_bar").show(ui, |ui| self.menu_bar_ui(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui));
        if !self.state.notices.is_empty() {
            egui::Panel::top("notices").show(ui, |ui| self.notices_ui(ui));
        }
        if self.orientation_guessed() {
            egui::Panel::top("orientation").show(ui, |ui| self.orientation_banner_ui(ui));
        }
        egui::Panel::top("tabs").show(ui, |ui| {
            // Wrapped: at projector scale the tabs take two rows rather than leave the window.
            ui.horizontal_wrapped(|ui| {
                for (k, tab) in Tab::ALL.into_iter().enumerate() {
                    let label = RichText::new(self.view(tab).title()).heading();
                    let keys = format!("Ctrl+{}", k + 1);
                    if ui.selectable_label(self.tab == tab, label).on_hover_text(keys).clicked() {
                        self.tab = tab;
                    }
                }
            });
        });
        self.views.all_mut()[self.tab.index()].ui(ui, &self.state, &mut self.commands);
        self.path_prompt_ui(&ctx);
        self.session_prompt_ui(&ctx);
        if let Some(decided) = self.sheets.ui(&ctx) {
            self.sheet_decided(decided);
        }
        Self::drop_overlay_ui(&ctx);
        self.apply_commands();
        // Keep polling while work runs even if a waker call was missed.
        if self.state.data_job.is_some()
            || self.dialog.is_some()
            || self.session_job.is_some()
            || self.save_job.is_some()
            || self.sheets.is_busy()
            || self.views.all().iter().any(|v| v.is_busy())
        {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.state.settings);
    }
}
