//! An interactive dendrogram: branches coloured by the clusters of a cut, a cut line to drag,
//! a height axis, annotation strips and ids under the leaves, zoom and pan along the leaves,
//! and a click on a branch selecting its samples.
//!
//! # How it works
//! Leaf `p` (in leaf order) sits at x = p + ½; a merge sits midway between its children, at
//! its height. Drawing walks the tree from the root and stops at any subtree narrower than
//! about a pixel, drawing it as one vertical line (level of detail): a frame costs about one
//! segment per pixel column, so 10,000 leaves draw as fast as 100. Subtrees outside the
//! visible range of leaves are skipped. [`draw_tree`] is also used by the clustered heatmap,
//! whose dendrograms follow the heatmap's zoom.

use std::sync::Arc;

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Stroke, pos2, vec2};

use super::heatmap::Strip;
use super::scatter::{SelectionMode, nice_step};
use crate::analysis::clustering::hierarchical::Tree;
use crate::data::annotations::format_number;

/// Where every node of a tree sits: x in leaf units, the leaf span below it, its parent.
#[derive(Debug)]
pub struct TreeLayout {
    tree: Arc<Tree>,
    /// Node id → x (leaves `0..n`, merge k at `n + k`).
    x: Vec<f64>,
    /// Node id → (first, last + 1) leaf positions below it.
    span: Vec<(usize, usize)>,
    /// Node id → parent id (the root has none).
    parent: Vec<Option<usize>>,
    /// Position → item (the leaf order).
    pub order: Vec<usize>,
}

impl TreeLayout {
    /// Lays out `tree`.
    pub fn new(tree: Arc<Tree>) -> Self {
        let n = tree.n;
        let order = tree.leaf_order();
        let nodes = n + tree.merges.len();
        let x = tree.node_x(&order);
        let mut span = vec![(0, 0); nodes];
        let mut parent = vec![None; nodes];
        for (pos, &item) in order.iter().enumerate() {
            span[item] = (pos, pos + 1);
        }
        for (k, m) in tree.merges.iter().enumerate() {
            let id = n + k;
            span[id] = (span[m.left].0.min(span[m.right].0), span[m.left].1.max(span[m.right].1));
            parent[m.left] = Some(id);
            parent[m.right] = Some(id);
        }
        Self { tree, x, span, parent, order }
    }

    /// The tree laid out.
    pub fn tree(&self) -> &Arc<Tree> {
        &self.tree
    }

    fn height(&self, id: usize) -> f64 {
        if id < self.tree.n { 0.0 } else { self.tree.merges[id - self.tree.n].height }
    }

    fn root(&self) -> Option<usize> {
        (!self.tree.merges.is_empty()).then(|| self.tree.n + self.tree.merges.len() - 1)
    }

    /// The largest subtree above the leaf at `position` whose merge is at most `height` high:
    /// the branch a click at that height hits.
    pub fn branch_at(&self, position: usize, height: f64) -> Option<usize> {
        let mut id = *self.order.get(position)?;
        while let Some(p) = self.parent[id] {
            if self.height(p) > height {
                break;
            }
            id = p;
        }
        Some(id)
    }

    /// The tallest merge.
    pub fn max_height(&self) -> f64 {
        self.tree.merges.iter().map(|m| m.height).fold(0.0, f64::max)
    }
}

/// Screen ↔ (leaf position, height).
#[derive(Debug, Clone, Copy)]
pub struct TreeFrame {
    /// The area of the branches.
    pub rect: Rect,
    /// Leaf positions shown, along the leaf axis.
    pub leaves: (f64, f64),
    /// Height at the leaves' end of the height axis, and at the far end.
    pub heights: (f64, f64),
    /// Leaves along x (top-down tree) or along y (tree on the left, root at the left).
    pub vertical_leaves: bool,
}

impl TreeFrame {
    /// Screen point of (leaf position, height).
    pub fn screen(&self, x: f64, h: f64) -> Pos2 {
        let t = ((x - self.leaves.0) / (self.leaves.1 - self.leaves.0)) as f32;
        let u = ((h - self.heights.0) / (self.heights.1 - self.heights.0)) as f32;
        if self.vertical_leaves {
            pos2(self.rect.right() - u * self.rect.width(), self.rect.top() + t * self.rect.height())
        } else {
            pos2(self.rect.left() + t * self.rect.width(), self.rect.bottom() - u * self.rect.height())
        }
    }

    /// (leaf position, height) of a screen point.
    pub fn data(&self, p: Pos2) -> (f64, f64) {
        let (t, u) = if self.vertical_leaves {
            ((p.y - self.rect.top()) / self.rect.height(), (self.rect.right() - p.x) / self.rect.width())
        } else {
            ((p.x - self.rect.left()) / self.rect.width(), (self.rect.bottom() - p.y) / self.rect.height())
        };
        (
            self.leaves.0 + f64::from(t) * (self.leaves.1 - self.leaves.0),
            self.heights.0 + f64::from(u) * (self.heights.1 - self.heights.0),
        )
    }

    fn pixels_per_leaf(&self) -> f32 {
        let along = if self.vertical_leaves { self.rect.height() } else { self.rect.width() };
        along / (self.leaves.1 - self.leaves.0) as f32
    }
}

/// Draws the branches with level of detail; `colour_of(node)` colours the branch above a node.
pub fn draw_tree(
    painter: &egui::Painter,
    layout: &TreeLayout,
    frame: &TreeFrame,
    width: f32,
    colour_of: &dyn Fn(usize) -> Color32,
) {
    let Some(root) = layout.root() else { return };
    let ppl = frame.pixels_per_leaf();
    let mut shapes = Vec::new();
    let mut line = |a: Pos2, b: Pos2, c: Color32| shapes.push(egui::Shape::line_segment([a, b], Stroke::new(width, c)));
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        let (lo, hi) = layout.span[id];
        if (hi as f64) < frame.leaves.0 || (lo as f64) > frame.leaves.1 {
            continue;
        }
        let h = layout.height(id);
        if id < layout.tree.n || (hi - lo) as f32 * ppl < 1.5 {
            // A leaf, or a subtree thinner than a pixel: one line to the leaves.
            line(frame.screen(layout.x[id], h), frame.screen(layout.x[id], 0.0), colour_of(id));
            continue;
        }
        let m = layout.tree.merges[id - layout.tree.n];
        let (xl, xr) = (layout.x[m.left], layout.x[m.right]);
        line(frame.screen(xl, h), frame.screen(xr, h), colour_of(id));
        line(frame.screen(xl, h), frame.screen(xl, layout.height(m.left)), colour_of(m.left));
        line(frame.screen(xr, h), frame.screen(xr, layout.height(m.right)), colour_of(m.right));
        if m.left >= layout.tree.n {
            stack.push(m.left);
        }
        if m.right >= layout.tree.n {
            stack.push(m.right);
        }
    }
    painter.extend(shapes);
}

/// What the dendrogram shows besides the tree.
pub struct DendrogramDecor<'a> {
    /// Cluster of each item under the current cut (colours leaves and branches below it).
    pub clusters: &'a [usize],
    /// Colour of cluster `c`.
    pub cluster_colour: &'a dyn Fn(usize) -> Color32,
    /// Strips under the leaves.
    pub strips: &'a [Strip],
    /// Items in the global selection.
    pub selected: &'a dyn Fn(usize) -> bool,
    /// Label of an item.
    pub label: &'a dyn Fn(usize) -> String,
}

/// Zoom and the cut-line drag, kept between frames.
#[derive(Default)]
pub struct DendrogramState {
    /// Leaf positions shown (`None`: all).
    pub window: Option<(f64, f64)>,
    dragging_cut: bool,
}

impl DendrogramState {
    /// True while the cut line is being dragged.
    pub fn is_dragging_cut(&self) -> bool {
        self.dragging_cut
    }
}

/// What happened this frame.
#[derive(Debug, Default)]
pub struct DendrogramResponse {
    /// The cut line was dragged to this height.
    pub cut: Option<f64>,
    /// A branch was clicked: its items.
    pub selection: Option<(Vec<usize>, SelectionMode)>,
    /// Where the cut line was drawn (screen y), to aim at it.
    pub cut_y: Option<f32>,
}

/// Draws the dendrogram of `layout` with the cut at `cut` in all the space available.
pub fn dendrogram_ui(
    ui: &mut egui::Ui,
    layout: &TreeLayout,
    cut: f64,
    state: &mut DendrogramState,
    decor: &DendrogramDecor<'_>,
) -> DendrogramResponse {
    let mut out = DendrogramResponse::default();
    let n = layout.tree.n;
    let (outer, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, format!("Dendrogram: {n} leaves")));
    if n == 0 {
        return out;
    }
    let font = egui::TextStyle::Body.resolve(ui.style());
    let small = egui::TextStyle::Small.resolve(ui.style());
    let body = font.size;
    let strip = (body * 0.8).round();
    let mark = (body * 0.35).round();
    let leaves = state.window.unwrap_or((0.0, n as f64));
    let per_leaf_guess = (outer.width() - body * 5.0) / (leaves.1 - leaves.0) as f32;
    let show_labels = per_leaf_guess >= small.size * 1.1;
    let label_band = if show_labels { body * 7.0 } else { 0.0 };
    let bottom = strip * decor.strips.len() as f32 + mark + 4.0 + label_band;
    let rect = Rect::from_min_max(outer.min + vec2(body * 5.0, body * 0.8), outer.max - vec2(body, bottom));
    if !rect.is_positive() {
        return out;
    }
    // Room above the root for a cut that leaves one cluster (1.05 × the top merge).
    let top = layout.max_height().max(f64::MIN_POSITIVE) * 1.08;
    let leaves =
        zoom_leaves(ui, &response, state, TreeFrame { rect, leaves, heights: (0.0, top), vertical_leaves: false }, n);
    let frame = TreeFrame { rect, leaves, heights: (0.0, top), vertical_leaves: false };

    // The cut line: drag it (primary button near the line).
    let cut_y = frame.screen(0.0, cut).y;
    let near_cut = |p: Pos2| (p.y - cut_y).abs() <= 6.0 && p.x >= rect.left() - body && p.x <= rect.right();
    if response.drag_started_by(egui::PointerButton::Primary) {
        // Where the button went down, not where the drag was recognised (a few points on).
        state.dragging_cut = ui.input(|i| i.pointer.press_origin()).is_some_and(near_cut);
    }
    if state.dragging_cut
        && let Some(p) = response.interact_pointer_pos()
    {
        out.cut = Some(frame.data(p).1.clamp(0.0, top));
        if response.drag_stopped() {
            state.dragging_cut = false;
        }
    }
    let cut = out.cut.unwrap_or(cut);

    let painter = ui.painter_at(outer);
    let visuals = ui.visuals().clone();
    let neutral = visuals.weak_text_color();
    let colour_of = |id: usize| {
        let h = layout.height(id);
        if h <= cut {
            let item = layout.order[layout.span[id].0];
            decor.clusters.get(item).map_or(neutral, |&c| (decor.cluster_colour)(c))
        } else {
            neutral
        }
    };
    draw_tree(&painter.with_clip_rect(rect.expand(2.0)), layout, &frame, 1.5, &colour_of);
    draw_height_axis(&painter, &frame, top, &small, visuals.text_color());

    // The cut line and its handle.
    let cut_y = frame.screen(0.0, cut).y;
    out.cut_y = Some(cut_y);
    let cut_colour = visuals.strong_text_color();
    painter.hline(
        rect.left()..=rect.right(),
        cut_y,
        Stroke::new(if state.dragging_cut { 2.5 } else { 1.5 }, cut_colour),
    );
    painter.text(
        pos2(rect.right(), cut_y - 2.0),
        egui::Align2::RIGHT_BOTTOM,
        format!("cut {} · {} clusters", format_number(cut), layout.tree.clusters_at(cut)),
        small.clone(),
        cut_colour,
    );

    let bands = LeafBands { strip, mark, show_labels, font: small };
    draw_leaves(&painter, layout, &frame, decor, &bands, visuals.text_color());

    // Hover and click: the branch under the pointer.
    let pointer = response.hover_pos().filter(|p| rect.expand2(vec2(0.0, bottom)).contains(*p));
    if let Some(p) = pointer.filter(|p| !state.dragging_cut && !near_cut(*p)) {
        let (x, h) = frame.data(p);
        let position = (x.floor().max(0.0) as usize).min(n - 1);
        if let Some(id) = layout.branch_at(position, h.max(0.0)) {
            let (lo, hi) = layout.span[id];
            let highlight = Rect::from_min_max(
                pos2(frame.screen(lo as f64, 0.0).x, frame.screen(0.0, layout.height(id)).y - 3.0),
                pos2(frame.screen(hi as f64, 0.0).x, rect.bottom()),
            );
            painter.rect_filled(
                highlight.intersect(rect.expand(3.0)),
                2.0,
                visuals.selection.bg_fill.gamma_multiply(0.15),
            );
            let size = hi - lo;
            let text = if id < n {
                (decor.label)(id)
            } else {
                format!("{size} samples, joined at height {}\nclick to select them", format_number(layout.height(id)))
            };
            response.clone().on_hover_text_at_pointer(text);
            if response.clicked() {
                let members = layout.tree.members(id);
                out.selection = Some((members, SelectionMode::from_modifiers(ui.input(|i| i.modifiers))));
            }
        }
    }
    out
}

/// Zoom (wheel, pinch) about the pointer and pan (secondary or middle drag) along the leaves;
/// double-click shows them all. Returns the leaf window, kept inside `0..n`.
fn zoom_leaves(
    ui: &egui::Ui,
    response: &egui::Response,
    state: &mut DendrogramState,
    frame: TreeFrame,
    n: usize,
) -> (f64, f64) {
    let mut leaves = frame.leaves;
    if response.double_clicked() {
        leaves = (0.0, n as f64);
    }
    if let Some(p) = response.hover_pos() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = f64::from(zoom * (scroll * 0.0025).exp());
        if (factor - 1.0).abs() > 1e-4 {
            let (cx, _) = frame.data(p);
            leaves = (cx + (leaves.0 - cx) / factor, cx + (leaves.1 - cx) / factor);
        }
    }
    if response.dragged_by(egui::PointerButton::Secondary) || response.dragged_by(egui::PointerButton::Middle) {
        let dx = -f64::from(response.drag_delta().x / frame.rect.width()) * (leaves.1 - leaves.0);
        leaves = (leaves.0 + dx, leaves.1 + dx);
    }
    let width = (leaves.1 - leaves.0).clamp(2.0_f64.min(n as f64), n as f64);
    let start = (f64::midpoint(leaves.0, leaves.1) - width / 2.0).clamp(0.0, n as f64 - width);
    let leaves = (start, start + width);
    state.window = (leaves != (0.0, n as f64)).then_some(leaves);
    leaves
}

/// Sizes of the bands under the leaves.
struct LeafBands {
    strip: f32,
    mark: f32,
    show_labels: bool,
    font: egui::FontId,
}

/// Selection marks, strips and ids under the visible leaves.
fn draw_leaves(
    painter: &egui::Painter,
    layout: &TreeLayout,
    frame: &TreeFrame,
    decor: &DendrogramDecor<'_>,
    bands: &LeafBands,
    text: Color32,
) {
    let rect = frame.rect;
    let n = layout.tree.n;
    let leaf_band = |k: usize| rect.bottom() + 4.0 + bands.mark + bands.strip * k as f32;
    let first = frame.leaves.0.floor().max(0.0) as usize;
    let last = (frame.leaves.1.ceil() as usize).min(n);
    let accent = Color32::from_rgb(213, 94, 0);
    for (pos, &item) in layout.order.iter().enumerate().take(last).skip(first) {
        let x0 = frame.screen(pos as f64, 0.0).x.max(rect.left());
        let x1 = frame.screen(pos as f64 + 1.0, 0.0).x.min(rect.right()).max(x0 + 0.5);
        if (decor.selected)(item) {
            painter.rect_filled(
                Rect::from_min_max(pos2(x0, rect.bottom() + 2.0), pos2(x1, rect.bottom() + 2.0 + bands.mark)),
                0.0,
                accent,
            );
        }
        for (k, s) in decor.strips.iter().enumerate() {
            if let Some(c) = super::heatmap::strip_colour(s, item) {
                painter.rect_filled(
                    Rect::from_min_max(pos2(x0, leaf_band(k)), pos2(x1, leaf_band(k) + bands.strip - 1.0)),
                    0.0,
                    c,
                );
            }
        }
        if bands.show_labels {
            let galley = painter.layout_no_wrap((decor.label)(item), bands.font.clone(), text);
            let x = f32::midpoint(x0, x1) + galley.size().y / 2.0;
            let at = pos2(x, leaf_band(decor.strips.len()) + 2.0);
            painter.add(egui::epaint::TextShape::new(at, galley, text).with_angle(std::f32::consts::FRAC_PI_2));
        }
    }
}

fn draw_height_axis(painter: &egui::Painter, frame: &TreeFrame, top: f64, font: &egui::FontId, colour: Color32) {
    let rect = frame.rect;
    painter.vline(rect.left() - 4.0, rect.y_range(), Stroke::new(1.0, colour));
    let step = f64::from(nice_step(top as f32, 5.0));
    let mut v = 0.0;
    while v <= top {
        let y = frame.screen(0.0, v).y;
        painter.hline(rect.left() - 8.0..=rect.left() - 4.0, y, Stroke::new(1.0, colour));
        painter.text(pos2(rect.left() - 10.0, y), egui::Align2::RIGHT_CENTER, format_number(v), font.clone(), colour);
        v += step;
    }
    let galley = painter.layout_no_wrap("height".to_owned(), font.clone(), colour);
    let at = pos2(rect.left() - font.size * 4.6, rect.center().y + galley.size().x / 2.0);
    painter.add(egui::epaint::TextShape::new(at, galley, colour).with_angle(-std::f32::consts::FRAC_PI_2));
}
