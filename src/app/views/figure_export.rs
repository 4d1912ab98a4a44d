//! "Export figure…" of every plot view: a window to choose the plot (views with several), the
//! format (SVG, PNG or PDF), the size in pixels, mm or inches with a DPI (a PDF's page size),
//! the font and marker sizes, the background, the projector look and whether the selection
//! is outlined; *Export…* then asks where, in the desktop's own *Save as…* dialog (which asks
//! before replacing a file). The view builds the figure from what it shows with
//! [`crate::export::plots`] — the same points, colours (the light-background palette), order,
//! axis labels, title and legend — and [`crate::export::figure`] writes it on a worker thread,
//! all or nothing ([`crate::export::file`]).

use std::path::PathBuf;

use eframe::egui::{self, RichText};

use crate::app::file_dialog::{NO_PORTAL, PendingSave, SaveOutcome, SaveRequest};
use crate::export::figure::{Figure, FigureFormat, Size, Style, Units, figure_svg, render, svg_to_rgba};
use crate::jobs::{Job, JobError, Poll};

/// What a save dialog was opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Saving {
    Figure,
    Table,
}

/// What an export produced.
enum Outcome {
    /// A file, with the message for the user.
    Written(String),
    /// An image for the clipboard.
    Image(egui::ColorImage),
}

/// The export window's settings and the running export.
#[allow(clippy::struct_excessive_bools)] // check boxes of a dialog
pub struct FigureExport {
    /// The view's name, in default file names.
    view: String,
    /// The window is shown.
    pub open: bool,
    /// The format *Export…* proposes (the file name chosen in the dialog may change it).
    pub format: FigureFormat,
    /// The folder of the last file written (where the next dialog starts).
    pub folder: Option<PathBuf>,
    /// The save dialog being shown.
    dialog: Option<(PendingSave, Saving)>,
    /// The file the requested figure goes to (chosen in the dialog).
    figure_path: Option<PathBuf>,
    /// The file the requested table goes to.
    table_path: Option<PathBuf>,
    /// Width in `units`.
    pub width: f64,
    /// Height in `units`.
    pub height: f64,
    /// Units of the size.
    pub units: Units,
    /// Dots per inch for mm and inches.
    pub dpi: f64,
    /// Font size in output pixels (0: from the size).
    pub font_size: f64,
    /// Marker radius in output pixels (0: from the size).
    pub marker_radius: f64,
    /// Transparent background.
    pub transparent: bool,
    /// Outline the selected samples.
    pub highlight_selection: bool,
    /// Larger text and markers, thicker lines (as projector mode), on request only.
    pub projector: bool,
    /// The plots this view can export (one: no chooser).
    pub choices: Vec<&'static str>,
    /// The plot chosen (index into `choices`).
    pub plot: usize,
    /// The view writes the data behind the plot ("Export data (CSV)" shown).
    pub has_table: bool,
    /// Export was clicked: the view builds the figure this frame.
    pub requested: bool,
    /// The figure goes to the clipboard, not a file.
    pub to_clipboard: bool,
    /// "Export data" was clicked: the view writes the table behind the plot this frame.
    pub requested_table: bool,
    job: Option<Job<Outcome>>,
    /// The last export's outcome (the message).
    pub last: Option<Result<String, String>>,
}

impl FigureExport {
    /// Defaults for a view named `view` ("pca", "tsne") that exports `choices`.
    pub fn with_choices(view: &str, choices: Vec<&'static str>) -> Self {
        let mut export = Self::new(view);
        export.choices = choices;
        export.has_table = false;
        export
    }

    /// Defaults for a scatter view named `view` ("pca", "tsne").
    pub fn new(view: &str) -> Self {
        Self {
            view: view.to_owned(),
            open: false,
            format: FigureFormat::Svg,
            folder: None,
            dialog: None,
            figure_path: None,
            table_path: None,
            width: 180.0,
            height: 135.0,
            units: Units::Mm,
            dpi: 300.0,
            font_size: 0.0,
            marker_radius: 0.0,
            transparent: false,
            highlight_selection: true,
            projector: false,
            choices: vec!["scatter"],
            plot: 0,
            has_table: true,
            requested: false,
            to_clipboard: false,
            requested_table: false,
            job: None,
            last: None,
        }
    }

    /// True while a file is being written or its dialog is open.
    pub fn is_running(&self) -> bool {
        self.job.is_some() || self.dialog.is_some()
    }

    /// The file name the dialog proposes: "biolens-pca.svg", "biolens-pca-scree.pdf".
    fn file_name(&self, extension: &str) -> String {
        let slug = self.choices.get(self.plot).copied().unwrap_or_default().replace(' ', "-");
        if self.plot == 0 {
            format!("biolens-{}.{extension}", self.view)
        } else {
            format!("biolens-{}-{slug}.{extension}", self.view)
        }
    }

    fn ask(&mut self, ctx: &egui::Context, saving: Saving) {
        let request = match saving {
            Saving::Figure => SaveRequest {
                title: "Export figure".to_owned(),
                file_name: self.file_name(self.format.extension()),
                folder: self.folder.clone(),
                filters: vec![match self.format {
                    FigureFormat::Svg => ("SVG figure", &["svg"][..]),
                    FigureFormat::Png => ("PNG image", &["png"][..]),
                    FigureFormat::Pdf => ("PDF document", &["pdf"][..]),
                }],
            },
            Saving::Table => SaveRequest {
                title: "Export the data behind the figure".to_owned(),
                file_name: self.file_name("csv"),
                folder: self.folder.clone(),
                filters: vec![("CSV table", &["csv"][..])],
            },
        };
        self.last = None;
        self.dialog = Some((PendingSave::open(ctx, request), saving));
    }

    /// Takes the dialog's answer: the figure (or table) is requested with the chosen file.
    fn poll_dialog(&mut self) {
        let Some(outcome) = self.dialog.as_ref().and_then(|(d, _)| d.poll()) else { return };
        let Some((_, saving)) = self.dialog.take() else { return };
        match outcome {
            SaveOutcome::Chosen(path) => {
                self.folder = path.parent().map(std::path::Path::to_path_buf);
                match saving {
                    Saving::Figure => {
                        // A name typed with another figure extension asks for that format;
                        // one without an extension gets the chosen format's.
                        let path = match FigureFormat::from_path(&path) {
                            Some(format) => {
                                self.format = format;
                                path
                            }
                            None => with_extra_extension(&path, self.format.extension()),
                        };
                        self.figure_path = Some(path);
                        self.requested = true;
                        self.to_clipboard = false;
                    }
                    Saving::Table => {
                        let csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
                        self.table_path = Some(if csv { path } else { with_extra_extension(&path, "csv") });
                        self.requested_table = true;
                    }
                }
            }
            SaveOutcome::Dismissed { suspiciously_fast: true } => self.last = Some(Err(NO_PORTAL.to_owned())),
            SaveOutcome::Dismissed { .. } => {}
        }
    }

    /// The window (when open).
    pub fn window_ui(&mut self, ctx: &egui::Context, id: &str) {
        if let Some(job) = &mut self.job
            && let Poll::Done(result) = job.poll()
        {
            self.job = None;
            self.last = Some(match result {
                Ok(Outcome::Written(message)) => Ok(message),
                Ok(Outcome::Image(image)) => {
                    let message = format!("Copied a {} × {} image to the clipboard.", image.size[0], image.size[1]);
                    ctx.copy_image(image);
                    Ok(message)
                }
                Err(e) => Err(e.to_string()),
            });
        }
        self.poll_dialog();
        let mut open = self.open;
        egui::Window::new("Export figure").id(egui::Id::unique(id)).open(&mut open).resizable(false).show(ctx, |ui| {
            egui::Grid::new((id, "grid")).num_columns(2).show(ui, |ui| {
                if self.choices.len() > 1 {
                    ui.label("Plot");
                    let current = self.choices.get(self.plot).copied().unwrap_or("");
                    egui::ComboBox::from_id_salt((id, "plot")).selected_text(current).show_ui(ui, |ui| {
                        for (k, name) in self.choices.iter().enumerate() {
                            ui.selectable_value(&mut self.plot, k, *name);
                        }
                    });
                    ui.end_row();
                }
                ui.label("Format");
                egui::ComboBox::new((id, "format"), "").selected_text(format_name(self.format)).show_ui(ui, |ui| {
                    for format in [FigureFormat::Svg, FigureFormat::Png, FigureFormat::Pdf] {
                        ui.selectable_value(&mut self.format, format, format_name(format));
                    }
                });
                ui.end_row();
                ui.label("Size");
                ui.horizontal(|ui| {
                    ui.add(egui::DragValue::new(&mut self.width).range(1.0..=100_000.0));
                    ui.label("×");
                    ui.add(egui::DragValue::new(&mut self.height).range(1.0..=100_000.0));
                    egui::ComboBox::from_id_salt((id, "units"))
                        .selected_text(match self.units {
                            Units::Px => "px",
                            Units::Mm => "mm",
                            Units::In => "in",
                        })
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut self.units, Units::Px, "px");
                            ui.selectable_value(&mut self.units, Units::Mm, "mm");
                            ui.selectable_value(&mut self.units, Units::In, "in");
                        });
                });
                ui.end_row();
                ui.label("DPI");
                ui.add_enabled(self.units != Units::Px, egui::DragValue::new(&mut self.dpi).range(30.0..=2400.0));
                ui.end_row();
                ui.label("Font / marker size (px, 0 = auto)");
                ui.horizontal(|ui| {
                    ui.add(egui::DragValue::new(&mut self.font_size).range(0.0..=500.0));
                    ui.add(egui::DragValue::new(&mut self.marker_radius).range(0.0..=200.0));
                });
                ui.end_row();
            });
            ui.checkbox(&mut self.transparent, "transparent background");
            ui.checkbox(&mut self.highlight_selection, "outline the selected samples");
            ui.checkbox(&mut self.projector, "projector style (larger text and markers, thicker lines)");
            let (w, h) = self.size().pixels();
            let size_note = if self.format == FigureFormat::Pdf {
                let (pw, ph) = self.size().points();
                format!("a page of {:.0} × {:.0} mm ({pw:.0} × {ph:.0} pt)", pw / 72.0 * 25.4, ph / 72.0 * 25.4)
            } else {
                format!("{w} × {h} pixels")
            };
            ui.label(RichText::new(size_note).weak());
            ui.horizontal(|ui| {
                if self.job.is_some() {
                    ui.spinner();
                    ui.label("writing…");
                } else if self.dialog.is_some() {
                    ui.spinner();
                    ui.label("choosing the file…");
                } else {
                    if ui.button("Export…").on_hover_text("Choose where, then write the figure").clicked() {
                        self.ask(ctx, Saving::Figure);
                    }
                    if ui.button("Copy as image").on_hover_text("The same figure, to paste into a document").clicked() {
                        self.requested = true;
                        self.to_clipboard = true;
                    }
                    if self.has_table
                        && ui
                            .button("Export data (CSV)…")
                            .on_hover_text("The coordinates of every sample, with the colouring")
                            .clicked()
                    {
                        self.ask(ctx, Saving::Table);
                    }
                }
            });
            match &self.last {
                Some(Ok(message)) => {
                    ui.label(message);
                }
                Some(Err(message)) => {
                    ui.colored_label(ui.visuals().error_fg_color, message);
                }
                None => {}
            }
        });
        self.open = open;
    }

    /// Writes `csv` to the file chosen for the table.
    pub fn write_table(&mut self, csv: String, waker: crate::jobs::Waker) {
        self.requested_table = false;
        let Some(path) = self.table_path.take() else { return };
        self.last = None;
        self.job = Some(Job::spawn("export table", waker, move |_| {
            crate::export::file::write_atomic(&path, csv.as_bytes())
                .map_err(|e| JobError::Failed(format!("cannot write {}: {e}", path.display())))?;
            Ok(Outcome::Written(format!("Written {}.", path.display())))
        }));
    }

    fn style(&self, pixels: (u32, u32)) -> Style {
        let mut style = Style::for_size(pixels);
        if self.font_size > 0.0 {
            style.font_size = self.font_size;
        }
        if self.marker_radius > 0.0 {
            style.marker_radius = self.marker_radius;
        }
        if self.transparent {
            style.background = None;
        }
        if self.projector { style.projector() } else { style }
    }

    fn size(&self) -> Size {
        Size { width: self.width, height: self.height, units: self.units, dpi: self.dpi }
    }

    /// True when the view must build plot `k` now.
    pub fn wants(&self, k: usize) -> bool {
        self.requested && self.plot == k
    }

    /// Writes `figure` (called by the view when [`FigureExport::wants`] its plot).
    pub fn start(&mut self, figure: Figure, waker: crate::jobs::Waker) {
        self.requested = false;
        let figure = if self.highlight_selection { figure } else { figure.without_highlights() };
        let size = self.size();
        let pixels = size.pixels();
        let style = self.style(pixels);
        if self.to_clipboard {
            self.last = None;
            self.job = Some(Job::spawn("copy figure", waker, move |_| {
                let rgba = svg_to_rgba(&figure_svg(&figure, &size, &style), pixels).map_err(JobError::failed)?;
                let image = egui::ColorImage::from_rgba_unmultiplied([pixels.0 as usize, pixels.1 as usize], &rgba);
                Ok(Outcome::Image(image))
            }));
            return;
        }
        let Some(path) = self.figure_path.take() else { return };
        let format = self.format;
        self.last = None;
        self.job = Some(Job::spawn("export figure", waker, move |_| {
            let bytes = render(&figure, &size, &style, format).map_err(JobError::failed)?;
            crate::export::file::write_atomic(&path, &bytes)
                .map_err(|e| JobError::Failed(format!("cannot write {}: {e}", path.display())))?;
            let what = match format {
                FigureFormat::Pdf => {
                    let (w, h) = size.points();
                    format!("a {w:.0} × {h:.0} pt page")
                }
                _ => format!("{} × {} px", pixels.0, pixels.1),
            };
            Ok(Outcome::Written(format!("Written {} ({what}).", path.display())))
        }));
    }
}

fn format_name(format: FigureFormat) -> &'static str {
    match format {
        FigureFormat::Svg => "SVG (vector)",
        FigureFormat::Png => "PNG (pixels)",
        FigureFormat::Pdf => "PDF (vector, fonts embedded)",
    }
}

/// `path` with `.extension` added to its name ("figure" → "figure.pdf", "fig.v2" → "fig.v2.pdf").
fn with_extra_extension(path: &std::path::Path, extension: &str) -> PathBuf {
    let mut name = path.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(format!(".{extension}"));
    path.with_file_name(name)
}
