//! What every embedding view (PCA, t-SNE, …) shares: colour by an annotation or a gene,
//! a legend whose entries hide classes, a colour bar, the selection tools, and the scatter.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use eframe::egui::{self, Color32, RichText};
use ndarray::{Array2, ArrayView2};

use super::super::commands::Command;
use super::super::widgets::scatter::{ScatterPoints, ScatterState, ScatterStyle, Tool, scatter_ui};
use crate::data::Dataset;
use crate::data::annotations::{AnnotationValues, format_number};
use crate::palette;

/// What the points are coloured by (saved with a session as it is).
pub use crate::recipes::Colouring;

/// The key the cached points were built for. The cache keeps the `Arc` of the coordinates,
/// so their address cannot be reused by other data while the key is alive.
#[derive(Debug, Clone)]
struct CacheKey {
    coords: Arc<Array2<f64>>,
    generation: u64,
    dark_mode: bool,
    colouring: Colouring,
    hidden: BTreeSet<usize>,
}

impl PartialEq for CacheKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.coords, &other.coords)
            && self.generation == other.generation
            && self.dark_mode == other.dark_mode
            && self.colouring == other.colouring
            && self.hidden == other.hidden
    }
}

/// The legend that goes with a colouring.
#[derive(Debug, Clone, PartialEq)]
enum Legend {
    None,
    Classes(Vec<(String, Color32, usize)>),
    Range { min: f64, max: f64, label: String },
}

/// State of one embedding panel.
#[derive(Default)]
pub struct EmbeddingPanel {
    /// Legend entries (class codes) hidden by the user.
    hidden: BTreeSet<usize>,
    gene_query: String,
    /// The scatter's view and tool.
    pub scatter: ScatterState,
    cache: Option<(CacheKey, ScatterPoints, Legend)>,
    /// "Export figure…" (created by the view with its name).
    pub export: Option<super::figure_export::FigureExport>,
    /// The figure's title (set by the view).
    pub figure_title: String,
}

impl EmbeddingPanel {
    /// A panel with "Export figure…" for the view `name`.
    pub fn with_export(name: &str, plots: Vec<&'static str>) -> Self {
        let mut export = super::figure_export::FigureExport::new(name);
        export.choices = plots;
        Self { export: Some(export), ..Self::default() }
    }

    /// The colour-by chooser (annotations, then a gene search).
    pub fn colouring_ui(&mut self, ui: &mut egui::Ui, dataset: &Dataset, colouring: &mut Colouring) {
        ui.label("Colour by");
        let current = match &*colouring {
            Colouring::Nothing => "nothing".to_owned(),
            Colouring::Annotation(name) => name.clone(),
            Colouring::Gene(gene) => format!("gene {gene}"),
        };
        egui::ComboBox::from_id_salt("colour_by").selected_text(current).show_ui(ui, |ui| {
            if ui.selectable_label(*colouring == Colouring::Nothing, "nothing").clicked() {
                self.set_colouring(colouring, Colouring::Nothing);
            }
            for a in dataset.annotations() {
                let choice = Colouring::Annotation(a.name.clone());
                if ui.selectable_label(*colouring == choice, &a.name).clicked() {
                    self.set_colouring(colouring, choice);
                }
            }
        });
        let edit = ui.add(
            egui::TextEdit::singleline(&mut self.gene_query)
                .hint_text("gene…")
                .desired_width(ui.text_style_height(&egui::TextStyle::Body) * 6.0),
        );
        let query = self.gene_query.trim().to_owned();
        if !query.is_empty() && edit.has_focus() {
            let matches: Vec<&String> = dataset
                .gene_ids()
                .iter()
                .filter(|g| g.to_lowercase().starts_with(&query.to_lowercase()))
                .take(8)
                .collect();
            if edit.lost_focus() || ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                if let Some(g) = matches.first() {
                    self.set_colouring(colouring, Colouring::Gene((*g).clone()));
                }
            } else if !matches.is_empty() {
                edit.on_hover_text(format!(
                    "Enter: {}",
                    matches.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        } else if edit.lost_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Enter))
            && let Some(g) = dataset.gene_ids().iter().find(|g| g.eq_ignore_ascii_case(&query))
        {
            self.set_colouring(colouring, Colouring::Gene(g.clone()));
        }
    }

    fn set_colouring(&mut self, colouring: &mut Colouring, chosen: Colouring) {
        if *colouring != chosen {
            *colouring = chosen;
            self.hidden.clear();
        }
    }

    /// The selection toolbar.
    pub fn tools_ui(&mut self, ui: &mut egui::Ui, selected: usize, commands: &mut Vec<Command>) {
        ui.selectable_value(&mut self.scatter.tool, Tool::Box, "Box")
            .on_hover_text("Drag to select (Shift adds, Ctrl removes)");
        ui.selectable_value(&mut self.scatter.tool, Tool::Lasso, "Lasso").on_hover_text("Draw around points to select");
        ui.selectable_value(&mut self.scatter.tool, Tool::Pan, "Pan")
            .on_hover_text("Drag to move (right-drag always pans)");
        if ui.button("Reset view").on_hover_text("Or double-click the plot").clicked() {
            self.scatter.reset_view();
        }
        if let Some(export) = &mut self.export
            && ui.button("Export figure…").on_hover_text("SVG, PNG or PDF at a chosen size, as shown").clicked()
        {
            export.open = true;
        }
        if selected > 0 {
            ui.separator();
            ui.label(format!("{selected} selected"));
            if ui.button("Create annotation from selection").clicked() {
                commands.push(Command::AnnotationFromSelection);
            }
        }
    }

    /// The width the legend's longest entry needs on one line (with the side panel's margins
    /// and scroll bar), within reason: at most 40 % of `ui`'s width. Side panels take at least
    /// this, so class names are not broken mid-word.
    pub fn legend_width(&self, ui: &egui::Ui) -> f32 {
        let Some((_, _, Legend::Classes(entries))) = &self.cache else { return 0.0 };
        let font = egui::TextStyle::Button.resolve(ui.style());
        let colour = ui.visuals().text_color();
        let widest = entries
            .iter()
            .map(|(label, _, count)| {
                ui.painter().layout_no_wrap(format!("⏺ {label} ({count})"), font.clone(), colour).size().x
            })
            .fold(0.0, f32::max);
        let style = ui.style();
        let chrome =
            2.0 * style.spacing.button_padding.x + style.spacing.scroll.bar_width + 4.0 * style.spacing.item_spacing.x;
        (widest + chrome).min(ui.available_width() * 0.4)
    }

    /// The legend: class entries toggle visibility; numbers get a colour bar.
    pub fn legend_ui(&mut self, ui: &mut egui::Ui) {
        let Some((_, _, legend)) = &self.cache else { return };
        match legend.clone() {
            Legend::None => {}
            Legend::Classes(entries) => {
                ui.label(RichText::new("Legend (click to hide)").weak());
                for (k, (label, colour, count)) in entries.iter().enumerate() {
                    let hidden = self.hidden.contains(&k);
                    let swatch = if hidden { colour.gamma_multiply(0.2) } else { *colour };
                    let text = RichText::new(format!("⏺ {label} ({count})")).color(swatch);
                    let text = if hidden { text.strikethrough() } else { text };
                    let button = egui::Button::new(text).frame(false).wrap_mode(egui::TextWrapMode::Truncate);
                    if ui.add(button).on_hover_text(format!("{label}: show or hide this class")).clicked() {
                        if hidden {
                            self.hidden.remove(&k);
                        } else {
                            self.hidden.insert(k);
                        }
                    }
                }
            }
            Legend::Range { min, max, label } => {
                ui.label(RichText::new(label).weak());
                colour_bar_ui(ui, min, max);
            }
        }
    }

    /// The body of a live embedding view (t-SNE, UMAP): the legend in a resizable side panel and,
    /// in the centre, `problem` (an error, with `offer` drawn under it) or the scatter of
    /// `coords` once it has a row per sample (a spinner until then); `name` names the figure
    /// ("t-SNE") and its file ("tsne").
    #[allow(clippy::too_many_arguments)]
    pub fn live_ui(
        &mut self,
        ui: &mut egui::Ui,
        (name, file): (&str, &str),
        current: &super::super::state::Current,
        coords: Option<&Arc<Array2<f64>>>,
        problem: Option<&str>,
        offer: impl FnOnce(&mut egui::Ui, &mut Vec<Command>),
        colouring: &Colouring,
        selected: &BTreeSet<usize>,
        commands: &mut Vec<Command>,
    ) {
        let body = ui.text_style_height(&egui::TextStyle::Body);
        egui::Panel::right(format!("{file}_side"))
            .resizable(true)
            .default_size(body * 16.0)
            .min_size(self.legend_width(ui).max(body * 6.0))
            .show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt(format!("{file}_side_scroll")).show(ui, |ui| self.legend_ui(ui));
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(err) = problem {
                ui.colored_label(ui.visuals().error_fg_color, format!("No {name}: {err}"));
                offer(ui, commands);
                return;
            }
            let Some(coords) = coords.filter(|c| c.nrows() == current.dataset.n_samples()) else {
                ui.centered_and_justified(|ui| {
                    ui.spinner();
                });
                return;
            };
            if self.export.is_none() {
                self.export = Some(super::figure_export::FigureExport::new(file));
            }
            self.figure_title = format!("{} — {name}", current.dataset.name);
            let axes = (format!("{name} 1"), format!("{name} 2"));
            let _ = self.scatter_ui(
                ui,
                coords,
                &current.dataset,
                current.generation,
                colouring,
                selected,
                (&axes.0, &axes.1),
                commands,
            );
        });
    }

    /// The scatter of `coords` (samples × 2), with tooltips naming the sample and its
    /// annotations. Pushes selection commands. Points are rebuilt only when the coordinates
    /// (by identity), the data or the colouring change — not every frame.
    #[allow(clippy::too_many_arguments)]
    pub fn scatter_ui(
        &mut self,
        ui: &mut egui::Ui,
        coords: &Arc<Array2<f64>>,
        dataset: &Dataset,
        generation: u64,
        colouring: &Colouring,
        selected: &BTreeSet<usize>,
        labels: (&str, &str),
        commands: &mut Vec<Command>,
    ) -> Option<super::super::widgets::scatter::Transform> {
        let key = CacheKey {
            coords: Arc::clone(coords),
            generation,
            dark_mode: ui.visuals().dark_mode,
            colouring: colouring.clone(),
            hidden: self.hidden.clone(),
        };
        if self.cache.as_ref().is_none_or(|(k, _, _)| *k != key) {
            let (points, legend) =
                build_points(coords.view(), dataset, colouring, &self.hidden, ui.visuals().dark_mode);
            self.cache = Some((key, points, legend));
        }
        if let Some(export) = &mut self.export {
            export.window_ui(ui.ctx(), "figure_export");
            if export.wants(0) {
                let figure =
                    figure_of(coords.view(), dataset, colouring, &self.hidden, selected, labels, &self.figure_title);
                let ctx = ui.ctx().clone();
                export.start(figure.into(), std::sync::Arc::new(move || ctx.request_repaint()));
            } else if export.requested_table {
                let ctx = ui.ctx().clone();
                let table = table_of(coords.view(), dataset, colouring, selected, labels);
                export.write_table(table, std::sync::Arc::new(move || ctx.request_repaint()));
            }
        }
        let Some((_, points, _)) = &self.cache else { return None };
        let radius = (ui.text_style_height(&egui::TextStyle::Body) * 0.28).max(2.5);
        let style = ScatterStyle { x_label: labels.0, y_label: labels.1, radius };
        let tooltip = |i: usize| hover_text(dataset, i, colouring);
        let response = scatter_ui(ui, points, selected, &mut self.scatter, &style, &tooltip);
        if let Some((samples, mode)) = response.selection {
            commands.push(Command::Select { samples, mode });
        }
        response.transform
    }
}

/// The figure of what the scatter shows, in the light-background palette: visible points
/// (hidden classes left out), the selection to outline, the axis labels, the legend.
fn figure_of(
    coords: ArrayView2<'_, f64>,
    dataset: &Dataset,
    colouring: &Colouring,
    hidden: &BTreeSet<usize>,
    selected: &BTreeSet<usize>,
    labels: (&str, &str),
    title: &str,
) -> crate::export::figure::Scatter {
    use crate::export::figure::{Legend as FigureLegend, Scatter};
    let (points, legend) = build_points(coords, dataset, colouring, hidden, false);
    let rgb = |c: Color32| [c.r(), c.g(), c.b()];
    let mut kept = Vec::new();
    let mut highlighted = Vec::new();
    for (i, (&[x, y], &c)) in points.xy.iter().zip(&points.colours).enumerate() {
        if points.hidden[i] {
            continue;
        }
        if selected.contains(&i) {
            highlighted.push(kept.len());
        }
        kept.push((f64::from(x), f64::from(y), rgb(c)));
    }
    let legend = match legend {
        Legend::None => FigureLegend::None,
        Legend::Classes(entries) => FigureLegend::Classes(
            entries
                .into_iter()
                .enumerate()
                .filter(|(k, _)| !hidden.contains(k))
                .map(|(_, (l, c, _))| (l, rgb(c)))
                .collect(),
        ),
        Legend::Range { min, max, label } => FigureLegend::viridis(label, min, max),
    };
    Scatter {
        title: title.to_owned(),
        x_label: labels.0.to_owned(),
        y_label: labels.1.to_owned(),
        points: kept,
        highlighted,
        legend,
        legend_title: match colouring {
            Colouring::Annotation(name) => name.clone(),
            Colouring::Nothing | Colouring::Gene(_) => String::new(),
        },
    }
}

/// The coordinates behind the scatter as CSV: sample id, the two axes, the colouring and whether
/// the sample is selected.
fn table_of(
    coords: ArrayView2<'_, f64>,
    dataset: &Dataset,
    colouring: &Colouring,
    selected: &BTreeSet<usize>,
    labels: (&str, &str),
) -> String {
    use crate::export::csv::field;
    let mut out = format!("sample_id,{},{}", field(labels.0), field(labels.1));
    match colouring {
        Colouring::Nothing => {}
        Colouring::Annotation(name) | Colouring::Gene(name) => {
            let _ = write!(out, ",{}", field(name));
        }
    }
    out.push_str(",selected\n");
    for (i, id) in dataset.sample_ids().iter().enumerate().take(coords.nrows()) {
        let _ = write!(out, "{},{},{}", field(id), coords[[i, 0]], coords[[i, 1]]);
        match colouring {
            Colouring::Nothing => {}
            Colouring::Annotation(name) => {
                let value = dataset
                    .annotations()
                    .iter()
                    .find(|a| &a.name == name)
                    .and_then(|a| a.value_text(i))
                    .unwrap_or_default();
                let _ = write!(out, ",{}", field(&value));
            }
            Colouring::Gene(gene) => {
                let value = dataset.gene_ids().iter().position(|g| g == gene).map(|j| dataset.values().get(i, j));
                let _ = write!(out, ",{}", value.map(|v| v.to_string()).unwrap_or_default());
            }
        }
        let _ = writeln!(out, ",{}", selected.contains(&i));
    }
    out
}

fn hover_text(dataset: &Dataset, i: usize, colouring: &Colouring) -> String {
    let mut text = dataset.sample_ids().get(i).cloned().unwrap_or_default();
    for a in dataset.annotations().iter().take(6) {
        let _ = write!(text, "\n{}: {}", a.name, a.value_text(i).unwrap_or_else(|| "—".to_owned()));
    }
    if let Colouring::Gene(g) = colouring
        && let Some(j) = dataset.gene_ids().iter().position(|x| x == g)
    {
        let _ = write!(text, "\n{g}: {}", format_number(dataset.values().get(i, j)));
    }
    text
}

fn to_colour(rgb: palette::Rgb) -> Color32 {
    Color32::from_rgb(rgb[0], rgb[1], rgb[2])
}

/// Points and legend for a colouring.
fn build_points(
    coords: ArrayView2<'_, f64>,
    dataset: &Dataset,
    colouring: &Colouring,
    hidden: &BTreeSet<usize>,
    dark_mode: bool,
) -> (ScatterPoints, Legend) {
    let n = coords.nrows();
    let xy: Vec<[f32; 2]> = (0..n).map(|i| [coords[[i, 0]] as f32, coords[[i, 1]] as f32]).collect();
    let plain = to_colour(palette::OKABE_ITO[4]);
    let numeric = |values: &[f64], label: String| {
        let (colours, min, max) = crate::export::plots::numeric_colours(values);
        (colours.into_iter().map(to_colour).collect(), Legend::Range { min, max, label })
    };
    let (colours, legend, hidden_points) = match colouring {
        Colouring::Nothing => (vec![plain; n], Legend::None, vec![false; n]),
        Colouring::Annotation(name) => match dataset.annotations().iter().find(|a| &a.name == name) {
            Some(a) if a.len() == n => match &a.values {
                AnnotationValues::Categorical { codes, .. } => {
                    let (colours, classes) =
                        crate::export::plots::annotation_colours_with(a, dark_mode, dataset.level_colours(name));
                    let colours: Vec<Color32> = colours.into_iter().map(to_colour).collect();
                    let classes = match classes {
                        crate::export::figure::Legend::Classes(classes) => classes,
                        _ => Vec::new(),
                    };
                    let entries = classes
                        .into_iter()
                        .enumerate()
                        .map(|(k, (l, c))| {
                            (l, to_colour(c), codes.iter().filter(|&&code| code == Some(k as u32)).count())
                        })
                        .collect();
                    let hide = codes.iter().map(|c| c.is_some_and(|c| hidden.contains(&(c as usize)))).collect();
                    (colours, Legend::Classes(entries), hide)
                }
                AnnotationValues::Numeric(values) => {
                    let (colours, legend) = numeric(values, name.clone());
                    (colours, legend, vec![false; n])
                }
            },
            _ => (vec![plain; n], Legend::None, vec![false; n]),
        },
        Colouring::Gene(gene) => match dataset.gene_ids().iter().position(|g| g == gene) {
            Some(j) if dataset.n_samples() == n => {
                let (colours, legend) = numeric(&dataset.values().column(j), format!("{gene} expression"));
                (colours, legend, vec![false; n])
            }
            _ => (vec![plain; n], Legend::None, vec![false; n]),
        },
    };
    (ScatterPoints::new(xy, colours, hidden_points), legend)
}

/// A horizontal viridis bar with its end values.
fn colour_bar_ui(ui: &mut egui::Ui, min: f64, max: f64) {
    let width = ui.available_width().min(ui.text_style_height(&egui::TextStyle::Body) * 14.0);
    let (rect, _) =
        ui.allocate_exact_size(egui::vec2(width, ui.text_style_height(&egui::TextStyle::Body)), egui::Sense::hover());
    let steps = 48;
    for s in 0..steps {
        let t0 = s as f32 / steps as f32;
        let t1 = (s + 1) as f32 / steps as f32;
        let r = egui::Rect::from_min_max(
            egui::pos2(rect.left() + t0 * width, rect.top()),
            egui::pos2(rect.left() + t1 * width + 0.5, rect.bottom()),
        );
        ui.painter().rect_filled(r, 0.0, to_colour(palette::viridis(f64::from(t0 + t1) / 2.0)));
    }
    ui.horizontal(|ui| {
        ui.label(format_number(min));
        ui.add_space((width - ui.text_style_height(&egui::TextStyle::Body) * 6.0).max(0.0));
        ui.label(format_number(max));
    });
}
