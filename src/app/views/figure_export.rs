//! "Export figure…" of every plot view: a window to choose the plot (views with several), the
//! file (SVG or PNG by its extension), the size in pixels, mm or inches with a DPI, the font
//! and marker sizes, the background, the projector look and whether the selection is
//! outlined. The view builds the figure from what it shows with [`crate::export::plots`] —
//! the same points, colours (the light-background palette), order, axis labels, title and
//! legend — and [`crate::export::figure`] writes it on a worker thread.

use std::path::PathBuf;

use eframe::egui::{self, RichText};

use crate::export::figure::{Figure, Size, Style, Units, figure_svg, render, svg_to_rgba};
use crate::jobs::{Job, JobError, Poll};

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
    /// The file to write (.svg or .png).
    pub path: String,
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
        let home = std::env::var_os("HOME").map_or_else(PathBuf::new, PathBuf::from);
        Self {
            view: view.to_owned(),
            open: false,
            path: home.join(format!("biolens-{view}.svg")).display().to_string(),
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

    /// True while a file is being written.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
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
        let mut open = self.open;
        egui::Window::new("Export figure").id(egui::Id::unique(id)).open(&mut open).resizable(false).show(ctx, |ui| {
            egui::Grid::new((id, "grid")).num_columns(2).show(ui, |ui| {
                if self.choices.len() > 1 {
                    ui.label("Plot");
                    let current = self.choices.get(self.plot).copied().unwrap_or("");
                    egui::ComboBox::from_id_salt((id, "plot")).selected_text(current).show_ui(ui, |ui| {
                        let mut changed = false;
                        for (k, name) in self.choices.iter().enumerate() {
                            changed |= ui.selectable_value(&mut self.plot, k, *name).changed();
                        }
                        if changed {
                            self.follow_plot();
                        }
                    });
                    ui.end_row();
                }
                ui.label("File (.svg or .png)");
                ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(320.0));
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
            ui.label(RichText::new(format!("{w} × {h} pixels")).weak());
            ui.horizontal(|ui| {
                if self.job.is_some() {
                    ui.spinner();
                    ui.label("writing…");
                } else {
                    if ui.button("Export").clicked() {
                        self.requested = true;
                        self.to_clipboard = false;
                    }
                    if ui.button("Copy as image").on_hover_text("The same figure, to paste into a document").clicked() {
                        self.requested = true;
                        self.to_clipboard = true;
                    }
                    if self.has_table
                        && ui
                            .button("Export data (CSV)")
                            .on_hover_text(
                                "The coordinates of every sample, with the colouring, beside the figure file",
                            )
                            .clicked()
                    {
                        self.requested_table = true;
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

    /// Writes `csv` next to the figure file (same name, .csv).
    pub fn write_table(&mut self, csv: String, waker: crate::jobs::Waker) {
        self.requested_table = false;
        let path = PathBuf::from(self.path.trim()).with_extension("csv");
        self.last = None;
        self.job = Some(Job::spawn("export table", waker, move |_| {
            std::fs::write(&path, csv)
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

    /// After choosing another plot: a default file name ("biolens-pca-scree.svg") follows it,
    /// so exporting each plot in turn does not overwrite the last; a name the user typed stays.
    fn follow_plot(&mut self) {
        let path = PathBuf::from(self.path.trim());
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if !stem.starts_with(&format!("biolens-{}", self.view)) {
            return;
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("svg").to_owned();
        let slug = self.choices.get(self.plot).copied().unwrap_or_default().replace(' ', "-");
        let name = if self.plot == 0 {
            format!("biolens-{}.{ext}", self.view)
        } else {
            format!("biolens-{}-{slug}.{ext}", self.view)
        };
        self.path = path.with_file_name(name).display().to_string();
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
        let path = PathBuf::from(self.path.trim());
        let Some(png) = crate::export::figure::is_png(&path) else {
            self.last = Some(Err(format!("{}: the file must end in .svg or .png", path.display())));
            return;
        };
        self.last = None;
        self.job = Some(Job::spawn("export figure", waker, move |_| {
            let bytes = render(&figure, &size, &style, png).map_err(JobError::failed)?;
            std::fs::write(&path, bytes)
                .map_err(|e| JobError::Failed(format!("cannot write {}: {e}", path.display())))?;
            Ok(Outcome::Written(format!("Written {} ({} × {} px).", path.display(), pixels.0, pixels.1)))
        }));
    }
}
