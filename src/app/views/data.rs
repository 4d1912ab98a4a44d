//! The data view: a summary panel (shape, values, missing cells, annotations with their
//! levels), a histogram of values, the preprocessing pipeline editor, and the virtualised
//! table of samples × (annotations, genes).

use eframe::egui::{self, RichText};
use egui_plot::{Bar, BarChart, Plot};

use super::super::commands::Command;
use super::super::state::{AppState, Current};
use super::super::widgets::table::{TableSource, matrix_table_ui};
use crate::data::annotations::{AnnotationSummary, AnnotationValues, format_number};
use crate::data::{Dataset, MissingPolicy, Pipeline, Step};

/// State of the data view: the pipeline being edited.
#[derive(Debug, Default)]
pub struct DataView {
    /// The pipeline as edited; sent as a command when it changes.
    draft: Pipeline,
    /// Which dataset generation the draft was taken from.
    draft_generation: u64,
}

impl DataView {
    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        let Some(current) = &state.current else {
            empty_ui(ui, commands);
            return;
        };
        if self.draft_generation != current.generation {
            self.draft = current.dataset.pipeline().clone();
            self.draft_generation = current.generation;
        }
        egui::Panel::left("data_side")
            .resizable(true)
            .default_size(ui.text_style_height(&egui::TextStyle::Body) * 24.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("data_side_scroll").show(ui, |ui| {
                    summary_ui(ui, current, commands);
                    ui.separator();
                    histogram_ui(ui, current);
                    ui.separator();
                    hvg_plot_ui(ui, &current.dataset);
                    self.pipeline_ui(ui, &current.dataset, state.busy_preprocessing(), commands);
                });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let source = DatasetTable::new(&current.dataset);
            let response = matrix_table_ui(ui, "data_table", &source, &state.selection.samples);
            if let Some((row, toggle, extend)) = response.clicked_row {
                commands.push(Command::SelectRow { row, toggle, extend });
            }
        });
    }

    fn pipeline_ui(&mut self, ui: &mut egui::Ui, dataset: &Dataset, busy: bool, commands: &mut Vec<Command>) {
        ui.heading("Preprocessing");
        ui.label(RichText::new("Steps run in order, always from the raw matrix.").weak());
        let before = self.draft.clone();
        let missing = dataset.raw().missing();
        ui.add_enabled_ui(missing > 0, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Missing values ({missing}):"));
                ui.radio_value(&mut self.draft.missing, MissingPolicy::ImputeMean, "impute gene mean");
                ui.radio_value(&mut self.draft.missing, MissingPolicy::DropGenes, "drop genes");
            });
        });
        let mut remove = None;
        let mut swap = None;
        let n_steps = self.draft.steps.len();
        for (k, step) in self.draft.steps.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                ui.label(format!("{}.", k + 1));
                step_editor_ui(ui, step, dataset);
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.small_button("✖").on_hover_text("Remove this step").clicked() {
                        remove = Some(k);
                    }
                    if ui
                        .add_enabled(k + 1 < n_steps, egui::Button::new("⏷").small())
                        .on_hover_text("Move down")
                        .clicked()
                    {
                        swap = Some((k, k + 1));
                    }
                    if ui.add_enabled(k > 0, egui::Button::new("⏶").small()).on_hover_text("Move up").clicked() {
                        swap = Some((k - 1, k));
                    }
                });
            });
        }
        if let Some(k) = remove {
            self.draft.steps.remove(k);
        }
        if let Some((a, b)) = swap {
            self.draft.steps.swap(a, b);
        }
        ui.horizontal(|ui| {
            ui.menu_button("➕ Add step", |ui| {
                let n_genes = dataset.raw().gene_ids().len();
                let first_categorical = dataset.raw().annotations().iter().find_map(|a| match &a.values {
                    AnnotationValues::Categorical { levels, .. } => Some((a.name.clone(), levels.clone())),
                    AnnotationValues::Numeric(_) => None,
                });
                let mut options = vec![
                    Step::Subsample {
                        n: dataset.raw().sample_ids().len().min(crate::recipes::SUBSET_OFFER),
                        seed: 0,
                        by: None,
                    },
                    Step::FilterCells(crate::data::single_cell::CellFilter {
                        min_genes: Some(200),
                        ..Default::default()
                    }),
                    Step::FilterGenes { min_cells: 3 },
                    Step::NormalizeTotal { target: None },
                    Step::HighlyVariable(crate::data::single_cell::HvgSettings::top(
                        crate::data::single_cell::HvgFlavor::Seurat,
                        n_genes.min(2000),
                    )),
                    Step::Scale { clip: Some(10.0) },
                    Step::Cpm,
                    Step::Log2,
                    Step::Ln,
                    Step::DropConstant,
                    Step::TopVariable { n: n_genes.min(1000) },
                    Step::ZScore,
                ];
                if let Some((column, levels)) = first_categorical {
                    options.insert(0, Step::SubsetSamples { column, keep: levels });
                }
                for step in options {
                    let label = match &step {
                        Step::SubsetSamples { .. } => "Subset samples by annotation".to_owned(),
                        Step::Subsample { .. } => "Keep random samples".to_owned(),
                        Step::FilterCells(_) => "Filter cells by QC (genes, counts, % mitochondrial)".to_owned(),
                        Step::FilterGenes { .. } => "Filter genes by the cells detecting them".to_owned(),
                        Step::NormalizeTotal { .. } => "Normalise total counts per cell (scanpy)".to_owned(),
                        Step::HighlyVariable(_) => "Keep highly variable genes (scanpy)".to_owned(),
                        Step::Scale { .. } => "Scale genes to unit variance, clip (scanpy)".to_owned(),
                        other => other.describe(),
                    };
                    if ui.button(label).clicked() {
                        self.draft.steps.push(step);
                        ui.close();
                    }
                }
            });
            if busy {
                ui.spinner();
                ui.label("applying…");
            }
        });
        for note in dataset.pipeline_notes() {
            ui.label(RichText::new(format!("• {note}")).weak());
        }
        if self.draft != before {
            commands.push(Command::SetPipeline(self.draft.clone()));
        }
    }
}

fn empty_ui(ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() * 0.3);
            ui.heading("No dataset open");
            ui.label("Open a matrix (CSV, TSV, gzipped, Parquet, 10x) or drop a file onto this window.");
            ui.add_space(8.0);
            if ui.button("Open matrix…").clicked() {
                commands.push(Command::OpenMatrixDialog);
            }
            if ui.button(format!("Open the sample dataset {}", crate::data::samples::DEFAULT)).clicked() {
                commands.push(Command::OpenSample(crate::data::samples::DEFAULT));
            }
        });
    });
}

fn step_editor_ui(ui: &mut egui::Ui, step: &mut Step, dataset: &Dataset) {
    match step {
        Step::TopVariable { n } => {
            ui.label("keep the");
            let max = dataset.raw().gene_ids().len().max(1);
            ui.add(egui::DragValue::new(n).range(1..=max).speed(10));
            ui.label("most variable genes");
        }
        Step::Subsample { n, seed, by } => {
            ui.label("keep");
            let max = dataset.raw().sample_ids().len().max(1);
            ui.add(egui::DragValue::new(n).range(1..=max).speed(10));
            ui.label("random samples, seed");
            ui.add(egui::DragValue::new(seed));
            let shown = by.clone().unwrap_or_else(|| "not stratified".to_owned());
            egui::ComboBox::from_id_salt("subsample_by").selected_text(format!("in proportion to: {shown}")).show_ui(
                ui,
                |ui| {
                    if ui.selectable_label(by.is_none(), "not stratified").clicked() {
                        *by = None;
                    }
                    for a in dataset.raw().annotations() {
                        if matches!(a.values, AnnotationValues::Categorical { .. })
                            && ui.selectable_label(by.as_deref() == Some(a.name.as_str()), &a.name).clicked()
                        {
                            *by = Some(a.name.clone());
                        }
                    }
                },
            );
        }
        Step::FilterCells(filter) => {
            ui.label("keep cells with");
            optional_usize(ui, "≥ genes", &mut filter.min_genes, 200);
            optional_usize(ui, "≤ genes", &mut filter.max_genes, 5000);
            optional_f64(ui, "≥ counts", &mut filter.min_counts, 500.0);
            optional_f64(ui, "≤ counts", &mut filter.max_counts, 50_000.0);
            optional_f64(ui, "≤ % mito", &mut filter.max_mito_pct, 10.0);
            let mut prefix = filter.prefix().to_owned();
            ui.label("prefix");
            if ui.add(egui::TextEdit::singleline(&mut prefix).desired_width(40.0)).changed() {
                filter.mito_prefix = (prefix != crate::data::single_cell::MITO_PREFIX).then_some(prefix);
            }
        }
        Step::FilterGenes { min_cells } => {
            ui.label("keep genes detected in at least");
            ui.add(egui::DragValue::new(min_cells).range(0..=dataset.raw().sample_ids().len()));
            ui.label("cells");
        }
        Step::NormalizeTotal { target } => {
            ui.label("normalise each cell's total to");
            let mut median = target.is_none();
            if ui.checkbox(&mut median, "the median").changed() {
                *target = if median { None } else { Some(10_000.0) };
            }
            if let Some(t) = target {
                ui.add(egui::DragValue::new(t).range(1.0..=1e9).speed(100.0));
            }
        }
        Step::HighlyVariable(hvg) => hvg_editor_ui(ui, hvg, dataset),
        Step::Scale { clip } => {
            ui.label("scale each gene to unit variance,");
            optional_f64(ui, "clip at ±", clip, 10.0);
        }
        Step::SubsetSamples { column, keep } => {
            ui.label("keep samples where");
            let categorical: Vec<(String, Vec<String>)> = dataset
                .raw()
                .annotations()
                .iter()
                .filter_map(|a| match &a.values {
                    AnnotationValues::Categorical { levels, .. } => Some((a.name.clone(), levels.clone())),
                    AnnotationValues::Numeric(_) => None,
                })
                .collect();
            egui::ComboBox::from_id_salt("subset_column").selected_text(column.as_str()).show_ui(ui, |ui| {
                for (name, levels) in &categorical {
                    if ui.selectable_label(name == column, name).clicked() {
                        column.clone_from(name);
                        keep.clone_from(levels);
                    }
                }
            });
            let levels = categorical.iter().find(|(n, _)| n == column).map(|(_, l)| l.clone()).unwrap_or_default();
            ui.menu_button(format!("is one of {} levels", keep.len()), |ui| {
                for level in &levels {
                    let mut on = keep.contains(level);
                    if ui.checkbox(&mut on, level).changed() {
                        if on {
                            keep.push(level.clone());
                        } else {
                            keep.retain(|l| l != level);
                        }
                    }
                }
            });
        }
        other => {
            ui.label(other.describe());
        }
    }
}

/// The editor of a highly-variable-genes step: the top N or scanpy's cut-offs, and the flavour.
fn hvg_editor_ui(ui: &mut egui::Ui, hvg: &mut crate::data::single_cell::HvgSettings, dataset: &Dataset) {
    use crate::data::single_cell::HvgFlavor;
    ui.label("keep");
    let mut top = hvg.n_top.is_some();
    if ui.radio_value(&mut top, true, "the top").changed() {
        hvg.n_top = Some(2000.min(dataset.raw().gene_ids().len().max(1)));
    }
    if let Some(n) = &mut hvg.n_top {
        ui.add(egui::DragValue::new(n).range(1..=dataset.raw().gene_ids().len().max(1)).speed(10));
    }
    if ui.radio_value(&mut top, false, "by cut-offs").on_hover_text("scanpy's min_mean, max_mean, min_disp").changed() {
        hvg.n_top = None;
    }
    if hvg.n_top.is_none() {
        ui.label("mean in");
        ui.add(egui::DragValue::new(&mut hvg.min_mean).speed(0.001));
        ui.add(egui::DragValue::new(&mut hvg.max_mean).speed(0.01));
        ui.label("dispersion >");
        ui.add(egui::DragValue::new(&mut hvg.min_disp).speed(0.01));
    }
    ui.label("highly variable genes,");
    egui::ComboBox::from_id_salt("hvg_flavor").selected_text(hvg.flavor.name()).show_ui(ui, |ui| {
        for flavor in [HvgFlavor::Seurat, HvgFlavor::CellRanger, HvgFlavor::SeuratV3] {
            ui.selectable_value(&mut hvg.flavor, flavor, flavor.name());
        }
    });
}

/// A checkbox that turns a threshold on (at `default`) or off, and its value.
fn optional_usize(ui: &mut egui::Ui, label: &str, value: &mut Option<usize>, default: usize) {
    let mut on = value.is_some();
    if ui.checkbox(&mut on, label).changed() {
        *value = on.then_some(default);
    }
    if let Some(v) = value {
        ui.add(egui::DragValue::new(v).speed(10));
    }
}

/// [`optional_usize`] for a real number.
fn optional_f64(ui: &mut egui::Ui, label: &str, value: &mut Option<f64>, default: f64) {
    let mut on = value.is_some();
    if ui.checkbox(&mut on, label).changed() {
        *value = on.then_some(default);
    }
    if let Some(v) = value {
        ui.add(egui::DragValue::new(v).speed(1.0));
    }
}

fn summary_ui(ui: &mut egui::Ui, current: &Current, commands: &mut Vec<Command>) {
    let d = &current.dataset;
    let s = &current.summary;
    ui.heading(&d.name);
    egui::Grid::new("summary_grid").num_columns(2).striped(true).show(ui, |ui| {
        ui.label("Samples");
        ui.label(shape_text(s.samples, s.raw_samples));
        ui.end_row();
        ui.label("Genes");
        ui.label(shape_text(s.genes, s.raw_genes));
        ui.end_row();
        ui.label("Values");
        ui.label(format!("{} … {}", format_number(s.value_min), format_number(s.value_max)));
        ui.end_row();
        ui.label("Missing");
        ui.label(s.missing.to_string());
        ui.end_row();
        if s.sparse {
            ui.label("Stored");
            let cells = (s.samples as f64 * s.genes as f64).max(1.0);
            ui.label(format!(
                "{} non-zeros ({:.1} %)",
                crate::memory::thousands(s.stored),
                100.0 * s.stored as f64 / cells
            ))
            .on_hover_text("Sparse: only the non-zero values are held (single-cell counts)");
            ui.end_row();
        }
        ui.label("Format");
        ui.label(&d.load_report.format);
        ui.end_row();
        ui.label("Orientation");
        ui.horizontal(|ui| {
            ui.label(d.load_report.orientation.describe()).on_hover_text(&d.load_report.orientation_reason);
            if d.source.matrix.is_some()
                && ui.small_button("Transpose").on_hover_text("Read the file the other way round (Ctrl+T)").clicked()
            {
                commands.push(Command::Transpose);
            }
        });
        ui.end_row();
    });
    for join in &d.join_reports {
        ui.label(RichText::new(format!("Annotations: {}", join.describe())).weak());
    }
    for note in &d.load_report.notes {
        ui.label(RichText::new(format!("• {note}")).weak());
    }
    if s.annotations.is_empty() {
        ui.label(RichText::new("No annotations. File > Open annotations… joins a table by sample id.").weak());
    }
    for a in &s.annotations {
        match a {
            AnnotationSummary::Categorical { name, levels, missing } => {
                egui::CollapsingHeader::new(format!("{name} — {} levels", levels.len()))
                    .id_salt(("annotation", name))
                    .show(ui, |ui| {
                        for (level, count) in levels {
                            ui.label(format!("{level}: {count}"));
                        }
                        if *missing > 0 {
                            ui.label(RichText::new(format!("missing: {missing}")).weak());
                        }
                    });
            }
            AnnotationSummary::Numeric { name, min, max, missing } => {
                let missing = if *missing > 0 { format!(", {missing} missing") } else { String::new() };
                ui.label(format!("{name} — numeric {} … {}{missing}", format_number(*min), format_number(*max)));
            }
        }
    }
}

fn shape_text(now: usize, raw: usize) -> String {
    if now == raw { now.to_string() } else { format!("{now} (of {raw})") }
}

fn histogram_ui(ui: &mut egui::Ui, current: &Current) {
    ui.label(RichText::new("Distribution of values").strong());
    let h = &current.histogram;
    let bars: Vec<Bar> = h
        .counts
        .iter()
        .enumerate()
        .map(|(k, &c)| Bar::new(h.min + (k as f64 + 0.5) * h.width, c as f64).width(h.width))
        .collect();
    Plot::new("value_histogram")
        .height(ui.text_style_height(&egui::TextStyle::Body) * 9.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .show_y(false)
        .y_axis_label("cells")
        .show(ui, |plot| plot.bar_chart(BarChart::new("values", bars)));
}

/// The mean–dispersion plot of the highly-variable-genes step (scanpy's
/// `pl.highly_variable_genes`): every gene considered, the kept ones marked.
fn hvg_plot_ui(ui: &mut egui::Ui, dataset: &Dataset) {
    use crate::data::single_cell::HvgFlavor;
    use egui_plot::Points;
    let Some(record) = dataset.hvg_record() else { return };
    let stats = &record.stats;
    let (y_label, x_label) = match record.flavor {
        HvgFlavor::SeuratV3 => ("normalised variance", "mean of the counts"),
        HvgFlavor::Seurat => ("normalised dispersion", "mean (log of mean + 1)"),
        HvgFlavor::CellRanger => ("normalised dispersion", "mean"),
    };
    let point = |j: usize| {
        let x = if record.flavor == HvgFlavor::SeuratV3 { stats.means[j].max(1e-12).log10() } else { stats.means[j] };
        [x, stats.dispersions_norm[j]]
    };
    let (kept, other): (Vec<usize>, Vec<usize>) =
        (0..stats.highly_variable.len()).filter(|&j| point(j)[1].is_finite()).partition(|&j| stats.highly_variable[j]);
    ui.label(
        RichText::new(format!("Highly variable genes: {} of {}", kept.len(), stats.highly_variable.len())).strong(),
    )
    .on_hover_text("Each gene the step considered; the kept ones in orange");
    let to_points = |genes: &[usize]| genes.iter().map(|&j| point(j)).collect::<Vec<[f64; 2]>>();
    Plot::new("hvg_plot")
        .height(ui.text_style_height(&egui::TextStyle::Body) * 12.0)
        .x_axis_label(if record.flavor == HvgFlavor::SeuratV3 { "log10 mean of the counts" } else { x_label })
        .y_axis_label(y_label)
        .show(ui, |plot| {
            plot.points(Points::new("other genes", to_points(&other)).radius(1.5).color(egui::Color32::from_gray(140)));
            plot.points(
                Points::new("highly variable", to_points(&kept))
                    .radius(2.0)
                    .color(egui::Color32::from_rgb(0xe6, 0x9f, 0x00)),
            );
        });
    ui.separator();
}

/// The dataset as a table: annotation columns first, then genes.
struct DatasetTable<'a> {
    dataset: &'a Dataset,
    n_annotations: usize,
}

impl<'a> DatasetTable<'a> {
    fn new(dataset: &'a Dataset) -> Self {
        Self { dataset, n_annotations: dataset.annotations().len() }
    }
}

impl TableSource for DatasetTable<'_> {
    fn rows(&self) -> usize {
        self.dataset.n_samples()
    }
    fn columns(&self) -> usize {
        self.n_annotations + self.dataset.n_genes()
    }
    fn row_id(&self, i: usize) -> &str {
        &self.dataset.sample_ids()[i]
    }
    fn column_name(&self, j: usize) -> &str {
        if j < self.n_annotations {
            &self.dataset.annotations()[j].name
        } else {
            &self.dataset.gene_ids()[j - self.n_annotations]
        }
    }
    fn cell(&self, i: usize, j: usize) -> String {
        if j < self.n_annotations {
            self.dataset.annotations()[j].value_text(i).unwrap_or_else(|| "—".to_owned())
        } else {
            format_cell(self.dataset.values().get(i, j - self.n_annotations))
        }
    }
    fn is_text_column(&self, j: usize) -> bool {
        j < self.n_annotations
    }
    fn cell_tooltip(&self, i: usize, j: usize) -> String {
        let sample = &self.dataset.sample_ids()[i];
        if j < self.n_annotations {
            let a = &self.dataset.annotations()[j];
            format!("{sample}\n{}: {}", a.name, a.value_text(i).unwrap_or_else(|| "missing".to_owned()))
        } else {
            let gene = &self.dataset.gene_ids()[j - self.n_annotations];
            format!("{sample} × {gene}\n{}", self.dataset.values().get(i, j - self.n_annotations))
        }
    }
}

/// Four significant decimals, scientific for very large or small values.
fn format_cell(v: f64) -> String {
    if v.is_nan() {
        "NA".to_owned()
    } else if v == 0.0 || (1e-3..1e6).contains(&v.abs()) {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

impl super::View for DataView {
    fn title(&self) -> &'static str {
        "Data"
    }

    fn poll(&mut self, _state: &AppState, _commands: &mut Vec<Command>) {}

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        DataView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        false
    }

    fn save(&self, _views: &mut crate::session::Views) {}

    fn restore(&mut self, _views: &crate::session::Views) {}
}
