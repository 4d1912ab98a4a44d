//! A fast scatter plot for embeddings (PCA, t-SNE, …): one textured mesh for all points,
//! zoom and pan, box and lasso selection, hover.
//!
//! # How it works
//! `egui_plot` tessellates one shape per marker, which is too slow beyond ~100k points. Here
//! every point is a quad of one small disc texture, tinted by its vertex colour, all in a
//! single `Mesh`: building it is a tight loop over the visible points, and egui hands it
//! to the GPU without tessellating. The view is a rectangle in data space; `screen_from_data`
//! maps through it. Selection gestures are resolved in data space on release.

use std::collections::BTreeSet;

use eframe::egui::{
    self, Align2, Color32, FontId, Mesh, Pos2, Rect, Sense, Shape, Stroke, TextureHandle, TextureOptions, Vec2, pos2,
    vec2,
};

/// Points to draw, built once per embedding and colouring (not every frame).
#[derive(Debug, Clone, Default)]
pub struct ScatterPoints {
    /// Data coordinates.
    pub xy: Vec<[f32; 2]>,
    /// Colour of each point.
    pub colours: Vec<Color32>,
    /// Points hidden by the legend.
    pub hidden: Vec<bool>,
    /// Distinguishes this set of points from every other (the GPU copy is keyed on it).
    pub version: u64,
}

impl ScatterPoints {
    /// Points with a version of their own.
    pub fn new(xy: Vec<[f32; 2]>, colours: Vec<Color32>, hidden: Vec<bool>) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let version = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self { xy, colours, hidden, version }
    }

    /// Bounds of the visible points (a unit square when there are none).
    pub fn bounds(&self) -> Rect {
        let mut r = Rect::NOTHING;
        for (p, &hidden) in self.xy.iter().zip(&self.hidden) {
            if !hidden && p[0].is_finite() && p[1].is_finite() {
                r.extend_with(pos2(p[0], p[1]));
            }
        }
        if !r.is_positive() {
            let c = if r.is_finite() { r.center() } else { Pos2::ZERO };
            r = Rect::from_center_size(c, vec2(r.width().max(1.0), r.height().max(1.0)));
        }
        r
    }
}

/// What the mouse does on a primary drag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tool {
    /// Drag a rectangle to select.
    #[default]
    Box,
    /// Draw a free shape to select.
    Lasso,
    /// Drag to move the view.
    Pan,
}

/// How a gesture changes the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionMode {
    /// Replace it.
    Replace,
    /// Add to it (Shift).
    Add,
    /// Remove from it (Ctrl/Cmd).
    Remove,
}

impl SelectionMode {
    /// The mode the held keys ask for: Ctrl/Cmd removes, Shift adds, else replace.
    pub fn from_modifiers(modifiers: egui::Modifiers) -> Self {
        if modifiers.command || modifiers.ctrl {
            Self::Remove
        } else if modifiers.shift {
            Self::Add
        } else {
            Self::Replace
        }
    }
}

/// Per-view state: the visible data rectangle, the gesture in progress, the texture.
#[derive(Default)]
pub struct ScatterState {
    /// The data rectangle shown; `None` fits the points.
    pub view: Option<Rect>,
    /// The drag tool.
    pub tool: Tool,
    gesture: Vec<Pos2>,
    texture: Option<TextureHandle>,
    /// The GPU instances and what they were built from (points version, selection, theme).
    gpu: Option<(u64, std::sync::Arc<Vec<super::scatter_gpu::Instance>>)>,
}

impl ScatterState {
    /// Shows all points again.
    pub fn reset_view(&mut self) {
        self.view = None;
    }
}

/// What happened this frame.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ScatterResponse {
    /// The point under the pointer.
    pub hovered: Option<usize>,
    /// A finished selection gesture: the points it covers and how to combine them.
    pub selection: Option<(Vec<usize>, SelectionMode)>,
    /// The mapping used this frame, for overlays drawn in data space (biplot arrows).
    pub transform: Option<Transform>,
}

/// Axis titles and marker size.
pub struct ScatterStyle<'a> {
    /// X axis title.
    pub x_label: &'a str,
    /// Y axis title.
    pub y_label: &'a str,
    /// Marker radius in points.
    pub radius: f32,
}

/// Maps data coordinates to the screen and back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform {
    /// Data rectangle shown.
    pub data: Rect,
    /// Screen rectangle it fills.
    pub screen: Rect,
}

impl Transform {
    /// Screen position of a data point (y grows upwards in data space).
    pub fn screen_from_data(&self, p: [f32; 2]) -> Pos2 {
        pos2(
            self.screen.left() + (p[0] - self.data.left()) / self.data.width() * self.screen.width(),
            self.screen.bottom() - (p[1] - self.data.top()) / self.data.height() * self.screen.height(),
        )
    }
    /// Data position of a screen point.
    pub fn data_from_screen(&self, p: Pos2) -> [f32; 2] {
        [
            self.data.left() + (p.x - self.screen.left()) / self.screen.width() * self.data.width(),
            self.data.top() + (self.screen.bottom() - p.y) / self.screen.height() * self.data.height(),
        ]
    }
}

/// Draws the scatter and handles its gestures. `tooltip` gives the hover text of a point.
pub fn scatter_ui(
    ui: &mut egui::Ui,
    points: &ScatterPoints,
    selected: &BTreeSet<usize>,
    state: &mut ScatterState,
    style: &ScatterStyle<'_>,
    tooltip: &dyn Fn(usize) -> String,
) -> ScatterResponse {
    let font = egui::TextStyle::Small.resolve(ui.style());
    let label_font = egui::TextStyle::Body.resolve(ui.style());
    let (outer, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let n_visible = points.hidden.iter().filter(|h| !**h).count();
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Canvas, true, format!("Scatter plot: {n_visible} points"))
    });
    let margin_left = label_font.size * 4.5;
    let margin_bottom = label_font.size * 3.2;
    let screen = Rect::from_min_max(outer.min + vec2(margin_left, 4.0), outer.max - vec2(8.0, margin_bottom));
    if !screen.is_positive() {
        return ScatterResponse::default();
    }
    let data = state.view.unwrap_or_else(|| {
        let b = points.bounds();
        b.expand2(b.size() * 0.05)
    });
    let mut t = Transform { data, screen };
    let mut out = ScatterResponse::default();
    handle_view_gestures(ui, &response, state, &mut t);
    out.selection = handle_selection_gestures(ui, &response, state, points, &t);
    out.transform = Some(t);

    let painter = ui.painter_at(outer);
    let visuals = ui.visuals();
    painter.rect_filled(screen, 0.0, visuals.extreme_bg_color);
    draw_axes(&painter, &t, style, &font, &label_font, visuals.text_color(), visuals.weak_text_color());
    if super::scatter_gpu::available(ui.ctx()) {
        let key = gpu_key(points, selected, visuals.dark_mode);
        if state.gpu.as_ref().is_none_or(|(k, _)| *k != key) {
            let instances =
                super::scatter_gpu::instances(&points.xy, &points.colours, &points.hidden, selected, visuals.dark_mode);
            state.gpu = Some((key, std::sync::Arc::new(instances)));
        }
        if let Some((key, instances)) = &state.gpu {
            let callback = super::scatter_gpu::PointsCallback {
                id: response.id,
                key: *key,
                instances: std::sync::Arc::clone(instances),
                data: t.data,
                screen: t.screen,
                radius: style.radius,
            };
            painter.add(callback.shape(screen));
        }
    } else {
        let texture = state
            .texture
            .get_or_insert_with(|| ui.ctx().load_texture("scatter_disc", disc_image(32), TextureOptions::LINEAR))
            .id();
        painter.with_clip_rect(screen).add(points_mesh(points, selected, &t, style.radius, texture, visuals.dark_mode));
    }
    // Hover: the nearest visible point within the marker radius plus a little.
    if let Some(pointer) = response.hover_pos().filter(|p| screen.contains(*p)) {
        let reach = (style.radius + 3.0).powi(2);
        out.hovered = nearest(points, &t, pointer, reach);
        if let Some(i) = out.hovered {
            let p = t.screen_from_data(points.xy[i]);
            painter.circle_stroke(p, style.radius + 2.0, Stroke::new(2.0, visuals.strong_text_color()));
            response.clone().on_hover_text_at_pointer(tooltip(i));
        }
    }
    // The gesture in progress.
    if state.gesture.len() > 1 {
        let stroke = Stroke::new(1.5, visuals.selection.stroke.color);
        let fill = visuals.selection.bg_fill.gamma_multiply(0.25);
        match state.tool {
            Tool::Box => {
                let r = Rect::from_two_pos(state.gesture[0], *state.gesture.last().unwrap_or(&state.gesture[0]));
                painter.rect(r, 0.0, fill, stroke, egui::StrokeKind::Inside);
            }
            Tool::Lasso => {
                painter.add(Shape::closed_line(state.gesture.clone(), stroke));
            }
            Tool::Pan => {}
        }
    }
    out
}

/// What the GPU instances depend on: the points, the selection and the theme.
fn gpu_key(points: &ScatterPoints, selected: &BTreeSet<usize>, dark_mode: bool) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (points.version, dark_mode, selected.len()).hash(&mut h);
    for i in selected {
        i.hash(&mut h);
    }
    h.finish()
}

/// Zoom (wheel, pinch), pan (Pan tool, secondary or middle drag), reset (double-click).
fn handle_view_gestures(ui: &egui::Ui, response: &egui::Response, state: &mut ScatterState, t: &mut Transform) {
    if response.double_clicked() {
        state.reset_view();
        return;
    }
    let mut changed = false;
    if response.hovered() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = zoom * (scroll * 0.0025).exp();
        if (factor - 1.0).abs() > 1e-4
            && let Some(pointer) = response.hover_pos()
        {
            let c = t.data_from_screen(pointer);
            let c = pos2(c[0], c[1]);
            t.data = Rect::from_min_max(c + (t.data.min - c) / factor, c + (t.data.max - c) / factor);
            changed = true;
        }
    }
    let panning = (state.tool == Tool::Pan && response.dragged_by(egui::PointerButton::Primary))
        || response.dragged_by(egui::PointerButton::Secondary)
        || response.dragged_by(egui::PointerButton::Middle);
    if panning {
        let d = response.drag_delta();
        let shift = vec2(-d.x / t.screen.width() * t.data.width(), d.y / t.screen.height() * t.data.height());
        t.data = t.data.translate(shift);
        changed = true;
    }
    if changed {
        state.view = Some(t.data);
    }
}

fn handle_selection_gestures(
    ui: &egui::Ui,
    response: &egui::Response,
    state: &mut ScatterState,
    points: &ScatterPoints,
    t: &Transform,
) -> Option<(Vec<usize>, SelectionMode)> {
    let mode = SelectionMode::from_modifiers(ui.input(|i| i.modifiers));
    if state.tool == Tool::Pan {
        return None;
    }
    if response.drag_started_by(egui::PointerButton::Primary) {
        state.gesture.clear();
        // From where the button went down, not where the drag was recognised.
        if let Some(p) = ui.input(|i| i.pointer.press_origin()).or_else(|| response.interact_pointer_pos()) {
            state.gesture.push(p);
        }
    }
    if response.dragged_by(egui::PointerButton::Primary)
        && let Some(p) = response.interact_pointer_pos()
    {
        match state.tool {
            Tool::Box if state.gesture.len() >= 2 => state.gesture[1] = p,
            _ => state.gesture.push(p),
        }
    }
    if response.drag_stopped() && state.gesture.len() >= 2 {
        let gesture = std::mem::take(&mut state.gesture);
        return Some((points_in(points, t, state.tool, &gesture), mode));
    }
    if response.clicked() {
        let p = response.interact_pointer_pos()?;
        let hit = nearest(points, t, p, 64.0);
        return Some((hit.into_iter().collect(), mode));
    }
    None
}

/// The visible points a finished gesture covers (screen coordinates), in index order: inside
/// the rectangle of its first and last positions (box) or the closed polygon (lasso). In
/// parallel over blocks of points; a lasso tests its bounding box first, then only the edges
/// that cross the point's horizontal band.
pub fn points_in(points: &ScatterPoints, t: &Transform, tool: Tool, gesture: &[Pos2]) -> Vec<usize> {
    use rayon::prelude::*;
    if gesture.len() < 2 || tool == Tool::Pan {
        return Vec::new();
    }
    let bounds = match tool {
        Tool::Box => Rect::from_two_pos(gesture[0], gesture[gesture.len() - 1]),
        _ => Rect::from_points(gesture),
    };
    let bands = (tool == Tool::Lasso).then(|| Bands::new(gesture, bounds));
    let inside = |p: Pos2| bounds.contains(p) && bands.as_ref().is_none_or(|b| b.contains(p));
    let n = points.xy.len();
    (0..n)
        .into_par_iter()
        .with_min_len(16_384)
        .filter(|&i| !points.hidden[i] && inside(t.screen_from_data(points.xy[i])))
        .collect()
}

fn visible_indices(points: &ScatterPoints) -> impl Iterator<Item = usize> + '_ {
    (0..points.xy.len()).filter(|&i| !points.hidden[i])
}

fn nearest(points: &ScatterPoints, t: &Transform, pointer: Pos2, max_dist_sq: f32) -> Option<usize> {
    let target = t.data_from_screen(pointer);
    // Compare in screen units without transforming every point.
    let sx = t.screen.width() / t.data.width();
    let sy = t.screen.height() / t.data.height();
    let mut best = (max_dist_sq, None);
    for i in visible_indices(points) {
        let [x, y] = points.xy[i];
        let d = ((x - target[0]) * sx).powi(2) + ((y - target[1]) * sy).powi(2);
        if d < best.0 {
            best = (d, Some(i));
        }
    }
    best.1
}

/// A polygon's edges sorted into horizontal bands of its bounding box: a point is tested
/// against the edges overlapping its band only, with [`point_in_polygon`]'s rule (an edge that
/// can toggle the point spans its y, so it overlaps its band: the answer is the same).
struct Bands {
    top: f32,
    height: f32,
    edges: Vec<Vec<(Pos2, Pos2)>>,
}

impl Bands {
    fn new(polygon: &[Pos2], bounds: Rect) -> Self {
        let count = polygon.len().clamp(1, 256);
        let height = (bounds.height() / count as f32).max(f32::MIN_POSITIVE);
        let mut edges = vec![Vec::new(); count];
        let band = |y: f32| (((y - bounds.top()) / height) as usize).min(count - 1);
        let mut j = polygon.len() - 1;
        for i in 0..polygon.len() {
            let (a, b) = (polygon[i], polygon[j]);
            for slot in &mut edges[band(a.y.min(b.y))..=band(a.y.max(b.y))] {
                slot.push((a, b));
            }
            j = i;
        }
        Self { top: bounds.top(), height, edges }
    }

    fn contains(&self, p: Pos2) -> bool {
        let k = (((p.y - self.top) / self.height) as usize).min(self.edges.len() - 1);
        let mut inside = false;
        for &(a, b) in &self.edges[k] {
            if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                inside = !inside;
            }
        }
        inside
    }
}

/// Even–odd rule.
pub fn point_in_polygon(p: Pos2, polygon: &[Pos2]) -> bool {
    let mut inside = false;
    let mut j = polygon.len() - 1;
    for i in 0..polygon.len() {
        let (a, b) = (polygon[i], polygon[j]);
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// One mesh for all points: unselected first (faded when something is selected), then the
/// selected ones on top with a dark ring.
pub fn points_mesh(
    points: &ScatterPoints,
    selected: &BTreeSet<usize>,
    t: &Transform,
    radius: f32,
    texture: egui::TextureId,
    dark_mode: bool,
) -> Mesh {
    let mut mesh = Mesh::with_texture(texture);
    let n = points.xy.len();
    mesh.reserve_vertices(4 * n + 4 * selected.len());
    mesh.reserve_triangles(2 * n + 2 * selected.len());
    let uv = Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0));
    let clip = t.screen.expand(radius * 2.0);
    let fade = !selected.is_empty();
    let size = Vec2::splat(radius * 2.0);
    for i in 0..n {
        if points.hidden[i] || (fade && selected.contains(&i)) {
            continue;
        }
        let p = t.screen_from_data(points.xy[i]);
        if clip.contains(p) {
            let c = points.colours[i];
            let c = if fade { c.gamma_multiply(0.3) } else { c };
            mesh.add_rect_with_uv(Rect::from_center_size(p, size), uv, c);
        }
    }
    let ring = if dark_mode { Color32::WHITE } else { Color32::BLACK };
    for &i in selected {
        if i >= n || points.hidden[i] {
            continue;
        }
        let p = t.screen_from_data(points.xy[i]);
        if clip.contains(p) {
            mesh.add_rect_with_uv(Rect::from_center_size(p, size * 1.45), uv, ring);
            mesh.add_rect_with_uv(Rect::from_center_size(p, size), uv, points.colours[i]);
        }
    }
    mesh
}

/// An anti-aliased white disc on transparent, `size` × `size` pixels.
fn disc_image(size: usize) -> egui::ColorImage {
    let r = size as f32 / 2.0;
    let pixels = (0..size * size)
        .map(|k| {
            let (x, y) = ((k % size) as f32 + 0.5 - r, (k / size) as f32 + 0.5 - r);
            let coverage = (r - (x * x + y * y).sqrt()).clamp(0.0, 1.0);
            Color32::from_white_alpha((coverage * 255.0) as u8)
        })
        .collect();
    egui::ColorImage::new([size, size], pixels)
}

/// Round tick spacing for a range: 1, 2 or 5 × 10ⁿ, about `target` ticks (the figures' rule).
pub fn nice_step(range: f32, target: f32) -> f32 {
    crate::export::figure::nice_step(f64::from(range), f64::from(target)) as f32
}

fn draw_axes(
    painter: &egui::Painter,
    t: &Transform,
    style: &ScatterStyle<'_>,
    font: &FontId,
    label_font: &FontId,
    text: Color32,
    weak: Color32,
) {
    let grid = Stroke::new(1.0, weak.gamma_multiply(0.25));
    let step_x = nice_step(t.data.width(), t.screen.width() / 90.0);
    let mut x = (t.data.left() / step_x).ceil() * step_x;
    while x <= t.data.right() {
        let sx = t.screen_from_data([x, t.data.top()]).x;
        painter.vline(sx, t.screen.y_range(), grid);
        painter.text(pos2(sx, t.screen.bottom() + 3.0), Align2::CENTER_TOP, tick_label(x, step_x), font.clone(), weak);
        x += step_x;
    }
    let step_y = nice_step(t.data.height(), t.screen.height() / 60.0);
    let mut y = (t.data.top() / step_y).ceil() * step_y;
    while y <= t.data.bottom() {
        let sy = t.screen_from_data([t.data.left(), y]).y;
        painter.hline(t.screen.x_range(), sy, grid);
        painter.text(pos2(t.screen.left() - 4.0, sy), Align2::RIGHT_CENTER, tick_label(y, step_y), font.clone(), weak);
        y += step_y;
    }
    painter.rect_stroke(t.screen, 0.0, Stroke::new(1.0, weak), egui::StrokeKind::Inside);
    painter.text(
        pos2(t.screen.center().x, t.screen.bottom() + font.size + 8.0),
        Align2::CENTER_TOP,
        style.x_label,
        label_font.clone(),
        text,
    );
    let galley = painter.layout_no_wrap(style.y_label.to_owned(), label_font.clone(), text);
    let pos = pos2(t.screen.left() - label_font.size * 4.2, t.screen.center().y + galley.size().x / 2.0);
    painter.add(egui::epaint::TextShape::new(pos, galley, text).with_angle(-std::f32::consts::FRAC_PI_2));
}

fn tick_label(v: f32, step: f32) -> String {
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let v = if v.abs() < step * 1e-3 { 0.0 } else { v };
    format!("{v:.decimals$}")
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact by construction
mod tests {
    use super::*;

    #[test]
    fn transform_round_trips() {
        let t = Transform {
            data: Rect::from_min_max(pos2(-1.0, -2.0), pos2(3.0, 2.0)),
            screen: Rect::from_min_max(pos2(100.0, 50.0), pos2(500.0, 450.0)),
        };
        let p = t.screen_from_data([1.0, 0.0]);
        assert_eq!(p, pos2(300.0, 250.0));
        assert_eq!(t.data_from_screen(p), [1.0, 0.0]);
        // Data y grows upwards.
        assert!(t.screen_from_data([0.0, 2.0]).y < t.screen_from_data([0.0, -2.0]).y);
    }

    #[test]
    fn banded_lasso_agrees_with_the_plain_test() {
        let polygon: Vec<Pos2> = (0..50)
            .map(|k| {
                let a = k as f32 / 50.0 * std::f32::consts::TAU;
                pos2(100.0 + 80.0 * a.cos() * (1.0 + 0.3 * (3.0 * a).sin()), 100.0 + 60.0 * a.sin())
            })
            .collect();
        let bands = Bands::new(&polygon, Rect::from_points(&polygon));
        for i in 0..60 {
            for j in 0..60 {
                let p = pos2(10.0 + i as f32 * 3.1, 30.0 + j as f32 * 2.3);
                let bounded = Rect::from_points(&polygon).contains(p) && bands.contains(p);
                assert_eq!(bounded, point_in_polygon(p, &polygon), "{p:?}");
            }
        }
    }

    #[test]
    fn lasso_contains() {
        let square = [pos2(0.0, 0.0), pos2(10.0, 0.0), pos2(10.0, 10.0), pos2(0.0, 10.0)];
        assert!(point_in_polygon(pos2(5.0, 5.0), &square));
        assert!(!point_in_polygon(pos2(15.0, 5.0), &square));
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(1.0, 4.0), 0.2);
        assert_eq!(nice_step(700.0, 5.0), 100.0);
    }
}
