//! A zoomable heatmap of a reordered matrix drawn as one texture, with colour strips,
//! selection marks, row labels, a colour bar, hover and block selection.
//!
//! # How it works
//! The texture always has the map's size in physical pixels and shows only the visible
//! window: [`crate::export::heatmap::rasterise`] averages the cells under each pixel on a
//! worker thread ([`Job`]), so a 5,000 × 5,000 map costs the UI thread one textured quad per
//! frame. While a new raster is computed (after a zoom, a pan or a resize) the previous one
//! stays on screen, stretched to where its window now lies; a gesture that changes the view
//! every frame cancels the superseded rasters. Wheel or pinch zooms about the pointer,
//! secondary or middle drag pans, double-click resets; a primary drag selects a block, a click
//! one cell (Shift adds, Ctrl removes).

use std::sync::Arc;

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Stroke, TextureOptions, pos2, vec2};
use ndarray::Array2;

use super::scatter::{SelectionMode, nice_step};
use crate::data::annotations::format_number;
use crate::export::heatmap::{ColourScale, Window, rasterise};
use crate::jobs::{Job, Poll};
use crate::palette;

/// What the heatmap shows.
#[derive(Debug, Clone)]
pub struct HeatmapData {
    /// The values, indexed by (row index, column index).
    pub matrix: Arc<Array2<f64>>,
    /// Position → row index, top to bottom.
    pub row_order: Arc<[usize]>,
    /// Position → column index, left to right.
    pub col_order: Arc<[usize]>,
    /// Value → colour.
    pub scale: ColourScale,
    /// What the colours mean ("Euclidean distance"), beside the colour bar.
    pub scale_label: String,
}

impl HeatmapData {
    fn same_picture(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.matrix, &other.matrix)
            && Arc::ptr_eq(&self.row_order, &other.row_order)
            && Arc::ptr_eq(&self.col_order, &other.col_order)
            && self.scale == other.scale
    }
}

/// A band of colours along the rows or columns (an annotation), one colour per index: the
/// figures' strip, drawn as it is.
pub use crate::export::plots::Strip;

/// The colour of index `i` of a strip, for egui.
pub fn strip_colour(strip: &Strip, i: usize) -> Option<Color32> {
    strip.colours.get(i).map(|c| Color32::from_rgb(c[0], c[1], c[2]))
}

/// Decorations and text around the map.
pub struct Decorations<'a> {
    /// Strips left of the rows.
    pub row_strips: &'a [Strip],
    /// Strips above the columns.
    pub col_strips: &'a [Strip],
    /// Row (and column) indices in the global selection, marked along both axes.
    pub selected: &'a dyn Fn(usize) -> bool,
    /// The label of a row index (shown when rows are tall enough).
    pub row_label: &'a dyn Fn(usize) -> String,
    /// The tooltip of a cell (row index, column index).
    pub tooltip: &'a dyn Fn(usize, usize) -> String,
    /// Keep cells square.
    pub square: bool,
    /// Space kept free left of everything (e.g. for a row dendrogram), in points.
    pub left_space: f32,
    /// Space kept free above everything (e.g. for a column dendrogram), in points.
    pub top_space: f32,
}

/// The raster currently on screen, or being made.
struct Raster {
    data: HeatmapData,
    window: Window,
    size: [usize; 2],
}

impl Raster {
    fn same(&self, other: &Self) -> bool {
        self.data.same_picture(&other.data) && self.window == other.window && self.size == other.size
    }
}

/// What the heatmap keeps between frames.
#[derive(Default)]
pub struct HeatmapState {
    /// The visible window (`None`: everything).
    pub window: Option<Window>,
    shown: Option<(Raster, egui::TextureHandle)>,
    pending: Option<(Raster, Job<Vec<u8>>)>,
    drag_start: Option<Pos2>,
}

impl HeatmapState {
    /// Shows the whole matrix again.
    pub fn reset_view(&mut self) {
        self.window = None;
    }

    /// True while a raster is being computed.
    pub fn is_rendering(&self) -> bool {
        self.pending.is_some()
    }
}

/// What happened this frame.
#[derive(Debug, Default)]
pub struct HeatmapResponse {
    /// The cell under the pointer: (row index, column index).
    pub hovered: Option<(usize, usize)>,
    /// A finished selection gesture: the row and column indices it covered.
    pub selection: Option<(Vec<usize>, Vec<usize>, SelectionMode)>,
    /// Where the map was drawn and the window it showed (to align dendrograms).
    pub map: Option<(Rect, Window)>,
}

/// Screen ↔ position mapping of the map area.
#[derive(Debug, Clone, Copy)]
struct Frame {
    map: Rect,
    window: Window,
}

impl Frame {
    fn col_at(&self, x: f32) -> f64 {
        let (c0, c1) = self.window.cols;
        c0 + f64::from((x - self.map.left()) / self.map.width()) * (c1 - c0)
    }
    fn row_at(&self, y: f32) -> f64 {
        let (r0, r1) = self.window.rows;
        r0 + f64::from((y - self.map.top()) / self.map.height()) * (r1 - r0)
    }
    fn x_of(&self, col: f64) -> f32 {
        let (c0, c1) = self.window.cols;
        self.map.left() + ((col - c0) / (c1 - c0)) as f32 * self.map.width()
    }
    fn y_of(&self, row: f64) -> f32 {
        let (r0, r1) = self.window.rows;
        self.map.top() + ((row - r0) / (r1 - r0)) as f32 * self.map.height()
    }
}

/// Draws the heatmap in all the space available.
pub fn heatmap_ui(
    ui: &mut egui::Ui,
    data: &HeatmapData,
    state: &mut HeatmapState,
    decor: &Decorations<'_>,
) -> HeatmapResponse {
    let (rows, cols) = (data.row_order.len(), data.col_order.len());
    let mut out = HeatmapResponse::default();
    let (outer, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, format!("Heatmap: {rows} × {cols}")));
    if rows == 0 || cols == 0 {
        return out;
    }
    let font = egui::TextStyle::Small.resolve(ui.style());
    let body = ui.text_style_height(&egui::TextStyle::Body);
    let strip = (body * 0.8).round();
    let mark = (body * 0.35).round();
    let full = Window::full(rows, cols);
    let window = state.window.unwrap_or(full);
    // Row labels when a row is at least one small line tall at this zoom.
    let bar_width = body * 7.0;
    let top_band = strip * decor.col_strips.len() as f32 + mark + 4.0;
    let strips_left = strip * decor.row_strips.len() as f32 + mark + 4.0;
    let available = Rect::from_min_max(
        outer.min + vec2(decor.left_space + strips_left, decor.top_space + top_band),
        outer.max - vec2(bar_width, 4.0),
    );
    let row_height = available.height() / (window.rows.1 - window.rows.0) as f32;
    let label_width = if row_height >= font.size * 1.05 { (outer.width() * 0.22).min(body * 10.0) } else { 0.0 };
    let mut map = Rect::from_min_max(available.min + vec2(label_width, 0.0), available.max);
    if decor.square {
        let side = map.width().min(map.height());
        map = Rect::from_min_size(map.min, vec2(side, side));
    }
    if !map.is_positive() || map.width() < 8.0 {
        return out;
    }
    let mut frame = Frame { map, window };
    view_gestures(ui, &response, state, &mut frame, full);
    out.map = Some((frame.map, frame.window));
    let painter = ui.painter_at(outer);
    let visuals = ui.visuals().clone();
    painter.rect_filled(map, 0.0, visuals.extreme_bg_color);
    draw_texture(ui, &painter, data, state, &frame);
    draw_strips(&painter, &frame, data, decor, strip, mark);
    if label_width > 0.0 {
        draw_row_labels(&painter, &frame, data, decor, &font, visuals.text_color(), label_width);
    }
    let bar =
        Rect::from_min_max(pos2(map.right() + body * 0.8, map.top()), pos2(map.right() + body * 1.6, map.bottom()));
    colour_bar(&painter, bar, data, &egui::TextStyle::Body.resolve(ui.style()), visuals.text_color());

    let cell_at = |p: Pos2| -> Option<(usize, usize)> {
        if !frame.map.contains(p) {
            return None;
        }
        let r = frame.row_at(p.y).floor().clamp(0.0, (rows - 1) as f64) as usize;
        let c = frame.col_at(p.x).floor().clamp(0.0, (cols - 1) as f64) as usize;
        Some((r, c))
    };
    let mode = SelectionMode::from_modifiers(ui.input(|i| i.modifiers));
    if response.drag_started_by(egui::PointerButton::Primary) {
        // From where the button went down, not where the drag was recognised.
        let origin = ui.input(|i| i.pointer.press_origin()).or_else(|| response.interact_pointer_pos());
        state.drag_start = origin.map(|p| p.clamp(frame.map.min, frame.map.max));
    }
    if let (Some(start), Some(now)) = (state.drag_start, response.interact_pointer_pos()) {
        let r = Rect::from_two_pos(start, now.clamp(frame.map.min, frame.map.max));
        if response.drag_stopped() {
            state.drag_start = None;
            let span = |a: f64, b: f64, len: usize| {
                let lo = a.floor().clamp(0.0, (len - 1) as f64) as usize;
                let hi = (b.ceil() as usize).clamp(lo + 1, len);
                lo..hi
            };
            let row_pos = span(frame.row_at(r.top()), frame.row_at(r.bottom()), rows);
            let col_pos = span(frame.col_at(r.left()), frame.col_at(r.right()), cols);
            out.selection = Some((data.row_order[row_pos].to_vec(), data.col_order[col_pos].to_vec(), mode));
        } else {
            let stroke = Stroke::new(1.5, visuals.selection.stroke.color);
            painter.rect(r, 0.0, visuals.selection.bg_fill.gamma_multiply(0.25), stroke, egui::StrokeKind::Inside);
        }
    }
    if response.clicked()
        && let Some((r, c)) = response.interact_pointer_pos().and_then(cell_at)
    {
        out.selection = Some((vec![data.row_order[r]], vec![data.col_order[c]], mode));
    }
    if let Some(p) = response.hover_pos()
        && let Some((r, c)) = cell_at(p)
    {
        let (i, j) = (data.row_order[r], data.col_order[c]);
        out.hovered = Some((i, j));
        let guide = Stroke::new(1.0, visuals.strong_text_color().gamma_multiply(0.6));
        let cell = Rect::from_min_max(
            pos2(frame.x_of(c as f64), frame.y_of(r as f64)),
            pos2(frame.x_of(c as f64 + 1.0), frame.y_of(r as f64 + 1.0)),
        );
        if cell.width() >= 4.0 {
            painter.rect_stroke(cell, 0.0, Stroke::new(2.0, visuals.strong_text_color()), egui::StrokeKind::Outside);
        } else {
            painter.hline(frame.map.x_range(), p.y, guide);
            painter.vline(p.x, frame.map.y_range(), guide);
        }
        response.clone().on_hover_text_at_pointer((decor.tooltip)(i, j));
    }
    out
}

/// Zoom about the pointer, pan, double-click reset; keeps the window inside the matrix.
fn view_gestures(ui: &egui::Ui, response: &egui::Response, state: &mut HeatmapState, frame: &mut Frame, full: Window) {
    if response.double_clicked() {
        state.window = None;
        frame.window = full;
        return;
    }
    let mut w = frame.window;
    if response.hovered()
        && let Some(p) = response.hover_pos().filter(|p| frame.map.contains(*p))
    {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = f64::from(zoom * (scroll * 0.0025).exp());
        if (factor - 1.0).abs() > 1e-4 {
            let (cr, cc) = (frame.row_at(p.y), frame.col_at(p.x));
            w.rows = (cr + (w.rows.0 - cr) / factor, cr + (w.rows.1 - cr) / factor);
            w.cols = (cc + (w.cols.0 - cc) / factor, cc + (w.cols.1 - cc) / factor);
        }
    }
    if response.dragged_by(egui::PointerButton::Secondary) || response.dragged_by(egui::PointerButton::Middle) {
        let d = response.drag_delta();
        let dr = -f64::from(d.y / frame.map.height()) * (w.rows.1 - w.rows.0);
        let dc = -f64::from(d.x / frame.map.width()) * (w.cols.1 - w.cols.0);
        w.rows = (w.rows.0 + dr, w.rows.1 + dr);
        w.cols = (w.cols.0 + dc, w.cols.1 + dc);
    }
    let clamp_axis = |(a, b): (f64, f64), len: f64| {
        // At least 2 positions visible, at most all of them, never outside.
        let width = (b - a).clamp(2.0_f64.min(len), len);
        let centre = f64::midpoint(a, b);
        let start = (centre - width / 2.0).clamp(0.0, len - width);
        (start, start + width)
    };
    let w = Window { rows: clamp_axis(w.rows, full.rows.1), cols: clamp_axis(w.cols, full.cols.1) };
    if w != frame.window {
        frame.window = w;
        state.window = if w == full { None } else { Some(w) };
    }
}

/// Draws the newest raster (stretched to where its window lies now) and asks for a new one
/// when the picture, window or size changed.
fn draw_texture(ui: &egui::Ui, painter: &egui::Painter, data: &HeatmapData, state: &mut HeatmapState, frame: &Frame) {
    let ppp = ui.ctx().pixels_per_point();
    let size = [
        ((frame.map.width() * ppp).round() as usize).clamp(1, 4096),
        ((frame.map.height() * ppp).round() as usize).clamp(1, 4096),
    ];
    let wanted = Raster { data: data.clone(), window: frame.window, size };
    if let Some((_, job)) = &mut state.pending
        && let Poll::Done(result) = job.poll()
        && let Some((raster, _)) = state.pending.take()
        && let Ok(rgba) = result
    {
        let image = egui::ColorImage::from_rgba_unmultiplied(raster.size, &rgba);
        let texture = match state.shown.take() {
            Some((_, mut texture)) => {
                texture.set(image, TextureOptions::NEAREST);
                texture
            }
            None => ui.ctx().load_texture("heatmap", image, TextureOptions::NEAREST),
        };
        state.shown = Some((raster, texture));
    }
    let up_to_date = state.shown.as_ref().is_some_and(|(r, _)| r.same(&wanted));
    let requested = state.pending.as_ref().is_some_and(|(r, _)| r.same(&wanted));
    if !up_to_date && !requested {
        let ctx = ui.ctx().clone();
        let waker: crate::jobs::Waker = Arc::new(move || ctx.request_repaint());
        let job_data = data.clone();
        let (window, job_size) = (frame.window, size);
        let job = Job::spawn("heatmap", waker, move |ctx| {
            let token = ctx.cancel_token();
            let cancelled = move || token.is_cancelled();
            rasterise(
                &job_data.matrix,
                &job_data.row_order,
                &job_data.col_order,
                window,
                job_size,
                &job_data.scale,
                &cancelled,
            )
            .ok_or(crate::jobs::JobError::Cancelled)
        });
        state.pending = Some((wanted, job));
    }
    match &state.shown {
        Some((raster, texture)) if raster.data.same_picture(data) => {
            // Where the shown raster's window lies in the current one.
            let rect = Rect::from_min_max(
                pos2(frame.x_of(raster.window.cols.0), frame.y_of(raster.window.rows.0)),
                pos2(frame.x_of(raster.window.cols.1), frame.y_of(raster.window.rows.1)),
            );
            let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
            painter.with_clip_rect(frame.map).image(texture.id(), rect, uv, Color32::WHITE);
        }
        _ => {
            painter.text(
                frame.map.center(),
                egui::Align2::CENTER_CENTER,
                "drawing…",
                egui::TextStyle::Body.resolve(ui.style()),
                ui.visuals().weak_text_color(),
            );
        }
    }
}

/// Visible positions as screen spans, merged where neighbours share a colour. When
/// positions are thinner than a pixel, each pixel takes the colour at its centre.
fn spans(
    lo: f32,
    hi: f32,
    window: (f64, f64),
    order: &[usize],
    colour_of: &dyn Fn(usize) -> Option<Color32>,
) -> Vec<(f32, f32, Color32)> {
    let mut out: Vec<(f32, f32, Color32)> = Vec::new();
    let per_pixel = (window.1 - window.0) / f64::from(hi - lo);
    let screen_of = |p: f64| lo + ((p - window.0) / (window.1 - window.0)) as f32 * (hi - lo);
    let mut push = |a: f32, b: f32, c: Option<Color32>| {
        let Some(c) = c else { return };
        match out.last_mut() {
            Some(last) if last.2 == c && (last.1 - a).abs() < 0.5 => last.1 = b,
            _ => out.push((a, b, c)),
        }
    };
    if per_pixel > 1.0 {
        let pixels = (hi - lo).ceil() as usize;
        for px in 0..pixels {
            let p = window.0 + (px as f64 + 0.5) * per_pixel;
            let pos = (p.floor() as usize).min(order.len() - 1);
            push(lo + px as f32, lo + px as f32 + 1.0, colour_of(order[pos]));
        }
    } else {
        let first = window.0.floor().max(0.0) as usize;
        let last = (window.1.ceil() as usize).min(order.len());
        for (pos, &index) in order.iter().enumerate().take(last).skip(first) {
            push(screen_of(pos as f64).max(lo), screen_of(pos as f64 + 1.0).min(hi), colour_of(index));
        }
    }
    out
}

fn draw_strips(
    painter: &egui::Painter,
    frame: &Frame,
    data: &HeatmapData,
    decor: &Decorations<'_>,
    strip: f32,
    mark: f32,
) {
    let map = frame.map;
    let accent = Color32::from_rgb(palette::OKABE_ITO[5][0], palette::OKABE_ITO[5][1], palette::OKABE_ITO[5][2]);
    let selected = |i: usize| (decor.selected)(i).then_some(accent);
    // Columns: strips above the map, then the selection marks.
    let col_spans =
        |f: &dyn Fn(usize) -> Option<Color32>| spans(map.left(), map.right(), frame.window.cols, &data.col_order, f);
    let row_spans =
        |f: &dyn Fn(usize) -> Option<Color32>| spans(map.top(), map.bottom(), frame.window.rows, &data.row_order, f);
    for (k, s) in decor.col_strips.iter().enumerate() {
        let bottom = map.top() - mark - 2.0 - strip * k as f32;
        for (a, b, c) in col_spans(&|i| strip_colour(s, i)) {
            painter.rect_filled(Rect::from_min_max(pos2(a, bottom - strip + 1.0), pos2(b, bottom)), 0.0, c);
        }
    }
    for (a, b, c) in col_spans(&selected) {
        painter.rect_filled(
            Rect::from_min_max(pos2(a, map.top() - mark - 1.0), pos2(b.max(a + 1.0), map.top() - 1.0)),
            0.0,
            c,
        );
    }
    for (k, s) in decor.row_strips.iter().enumerate() {
        let right = map.left() - mark - 2.0 - strip * k as f32;
        for (a, b, c) in row_spans(&|i| strip_colour(s, i)) {
            painter.rect_filled(Rect::from_min_max(pos2(right - strip + 1.0, a), pos2(right, b)), 0.0, c);
        }
    }
    for (a, b, c) in row_spans(&selected) {
        painter.rect_filled(
            Rect::from_min_max(pos2(map.left() - mark - 1.0, a), pos2(map.left() - 1.0, b.max(a + 1.0))),
            0.0,
            c,
        );
    }
}

fn draw_row_labels(
    painter: &egui::Painter,
    frame: &Frame,
    data: &HeatmapData,
    decor: &Decorations<'_>,
    font: &egui::FontId,
    colour: Color32,
    width: f32,
) {
    let strips = frame.map.left() - (decor.row_strips.len() as f32 + 1.0) * font.size;
    let right = strips - 4.0;
    let first = frame.window.rows.0.floor().max(0.0) as usize;
    let last = (frame.window.rows.1.ceil() as usize).min(data.row_order.len());
    let clip = Rect::from_min_max(pos2(right - width, frame.map.top()), pos2(right, frame.map.bottom()));
    let painter = painter.with_clip_rect(clip);
    for pos in first..last {
        let y = frame.y_of(pos as f64 + 0.5);
        painter.text(
            pos2(right, y),
            egui::Align2::RIGHT_CENTER,
            (decor.row_label)(data.row_order[pos]),
            font.clone(),
            colour,
        );
    }
}

/// A vertical colour bar with ticks, low values at the bottom.
fn colour_bar(painter: &egui::Painter, rect: Rect, data: &HeatmapData, font: &egui::FontId, colour: Color32) {
    let scale = &data.scale;
    let steps = 64;
    for s in 0..steps {
        let t0 = s as f32 / steps as f32;
        let t1 = (s + 1) as f32 / steps as f32;
        let value = scale.low + (scale.high - scale.low) * f64::from(t0 + t1) / 2.0;
        let rgb = scale.colour(value);
        let r = Rect::from_min_max(
            pos2(rect.left(), rect.bottom() - t1 * rect.height()),
            pos2(rect.right(), rect.bottom() - t0 * rect.height() + 0.5),
        );
        painter.rect_filled(r, 0.0, Color32::from_rgb(rgb[0], rgb[1], rgb[2]));
    }
    let span = scale.high - scale.low;
    if span > 0.0 {
        let step = f64::from(nice_step(span as f32, 5.0));
        let mut v = (scale.low / step).ceil() * step;
        while v <= scale.high + step * 1e-6 {
            let y = rect.bottom() - ((v - scale.low) / span) as f32 * rect.height();
            painter.hline(rect.right()..=rect.right() + 4.0, y, Stroke::new(1.0, colour));
            painter.text(
                pos2(rect.right() + 6.0, y),
                egui::Align2::LEFT_CENTER,
                format_number(v),
                font.clone(),
                colour,
            );
            v += step;
        }
    }
    let galley = painter.layout_no_wrap(data.scale_label.clone(), font.clone(), colour);
    let x = rect.right() + font.size * 4.2;
    let text = egui::epaint::TextShape::new(pos2(x, rect.center().y + galley.size().x / 2.0), galley, colour)
        .with_angle(-std::f32::consts::FRAC_PI_2);
    painter.add(text);
}
