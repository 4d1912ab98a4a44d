//! A virtualised matrix table: only the visible cells are laid out and painted, in both
//! directions, so 700 × 20,000 cells scroll as smoothly as 10 × 10. The header row (column
//! names) and the first column (row ids) stay in place while the body scrolls.
//!
//! # How it works
//! `ScrollArea::show_viewport` tells us which part of the (virtual) content is visible; we
//! reserve the full content size, then paint just the rows and columns that intersect the
//! viewport with the painter. Clicks and hovers are mapped back to (row, column) by
//! arithmetic, not by per-cell widgets.

use std::collections::BTreeSet;

use eframe::egui::{self, Align2, Color32, FontId, Rect, Sense, Stroke, Vec2, pos2, vec2};

/// What the table shows. Implemented by the data view over a dataset.
pub trait TableSource {
    /// Number of body rows.
    fn rows(&self) -> usize;
    /// Number of body columns (not counting the id column).
    fn columns(&self) -> usize;
    /// The id of row `i` (drawn in the sticky first column).
    fn row_id(&self, i: usize) -> &str;
    /// Header text of column `j`.
    fn column_name(&self, j: usize) -> &str;
    /// Text of cell (`i`, `j`).
    fn cell(&self, i: usize, j: usize) -> String;
    /// True when column `j` holds text (left-aligned, tinted header).
    fn is_text_column(&self, j: usize) -> bool;
    /// Tooltip for cell (`i`, `j`).
    fn cell_tooltip(&self, i: usize, j: usize) -> String;
}

/// What happened in the table this frame.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TableResponse {
    /// A row id cell or body cell was clicked: (row, ctrl/cmd held, shift held).
    pub clicked_row: Option<(usize, bool, bool)>,
}

/// Geometry of the table, in points.
#[derive(Debug, Clone, Copy)]
pub struct TableStyle {
    /// Width of the id column.
    pub id_width: f32,
    /// Width of every other column.
    pub column_width: f32,
    /// Height of a row.
    pub row_height: f32,
}

impl TableStyle {
    /// Sizes derived from the current body font.
    pub fn for_ui(ui: &egui::Ui) -> Self {
        let font_height = ui.text_style_height(&egui::TextStyle::Body);
        Self { id_width: font_height * 11.0, column_width: font_height * 6.5, row_height: (font_height * 1.5).round() }
    }
}

/// Shows `source` with `selected` rows highlighted.
pub fn matrix_table_ui(
    ui: &mut egui::Ui,
    id_salt: &str,
    source: &dyn TableSource,
    selected: &BTreeSet<usize>,
) -> TableResponse {
    let style = TableStyle::for_ui(ui);
    let (rows, cols) = (source.rows(), source.columns());
    let header_height = style.row_height * 1.2;
    let content =
        vec2(style.id_width + cols as f32 * style.column_width, header_height + rows as f32 * style.row_height);
    let font = egui::TextStyle::Body.resolve(ui.style());
    let visuals = ui.visuals().clone();
    let mut response = TableResponse::default();

    egui::ScrollArea::both().id_salt(id_salt).auto_shrink(false).show_viewport(ui, |ui, viewport| {
        let origin = ui.max_rect().min;
        let (full, _) = ui.allocate_exact_size(content, Sense::hover());
        let visible = Rect::from_min_size(origin + viewport.min.to_vec2(), viewport.size()).intersect(full);
        let interact = ui.interact(visible, ui.scope_id().with("cells"), Sense::click());
        interact.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Table, true, format!("Data table: {rows} rows × {cols} columns"))
        });
        let painter = ui.painter_at(visible);

        // Visible index ranges (body coordinates exclude the sticky header and id column).
        let first_row = (((viewport.min.y - header_height) / style.row_height).floor().max(0.0)) as usize;
        let last_row = ((((viewport.max.y - header_height) / style.row_height).ceil().max(0.0)) as usize).min(rows);
        let first_col = (((viewport.min.x - style.id_width) / style.column_width).floor().max(0.0)) as usize;
        let last_col = ((((viewport.max.x - style.id_width) / style.column_width).ceil().max(0.0)) as usize).min(cols);

        let body_top = origin.y + header_height;
        let body_left = origin.x + style.id_width;
        let row_y = |i: usize| body_top + i as f32 * style.row_height;
        let col_x = |j: usize| body_left + j as f32 * style.column_width;
        let sticky_left = origin.x + viewport.min.x;
        let sticky_top = origin.y + viewport.min.y;

        // Body: stripes, selection, cells.
        for i in first_row..last_row {
            let row_rect = Rect::from_min_size(pos2(visible.min.x, row_y(i)), vec2(visible.width(), style.row_height));
            if selected.contains(&i) {
                painter.rect_filled(row_rect, 0.0, visuals.selection.bg_fill.gamma_multiply(0.6));
            } else if i % 2 == 1 {
                painter.rect_filled(row_rect, 0.0, visuals.faint_bg_color);
            }
            for j in first_col..last_col {
                let cell = Rect::from_min_size(pos2(col_x(j), row_y(i)), vec2(style.column_width, style.row_height));
                let text = source.cell(i, j);
                let (anchor, pos) = if source.is_text_column(j) {
                    (Align2::LEFT_CENTER, cell.left_center() + vec2(4.0, 0.0))
                } else {
                    (Align2::RIGHT_CENTER, cell.right_center() - vec2(4.0, 0.0))
                };
                painter.with_clip_rect(cell.intersect(visible)).text(
                    pos,
                    anchor,
                    text,
                    font.clone(),
                    visuals.text_color(),
                );
            }
        }

        // Sticky header row.
        let header_rect = Rect::from_min_size(pos2(visible.min.x, sticky_top), vec2(visible.width(), header_height));
        painter.rect_filled(header_rect, 0.0, visuals.widgets.noninteractive.bg_fill);
        for j in first_col..last_col {
            let cell = Rect::from_min_size(pos2(col_x(j), sticky_top), vec2(style.column_width, header_height));
            let text_column = source.is_text_column(j);
            let colour = if text_column { visuals.hyperlink_color } else { visuals.strong_text_color() };
            // Headers line up with their values: text left, numbers right.
            let align = if text_column { Align2::LEFT_CENTER } else { Align2::RIGHT_CENTER };
            header_text(&painter, cell, source.column_name(j), &font, colour, align);
        }
        painter.hline(visible.x_range(), sticky_top + header_height, Stroke::new(1.0, visuals.weak_text_color()));

        // Sticky id column (over the body), then the corner.
        let id_rect = Rect::from_min_size(pos2(sticky_left, visible.min.y), vec2(style.id_width, visible.height()));
        painter.rect_filled(id_rect, 0.0, visuals.widgets.noninteractive.bg_fill);
        for i in first_row..last_row {
            let cell = Rect::from_min_size(pos2(sticky_left, row_y(i)), vec2(style.id_width, style.row_height));
            if selected.contains(&i) {
                painter.rect_filled(cell, 0.0, visuals.selection.bg_fill);
            }
            painter.with_clip_rect(cell.intersect(visible)).text(
                cell.left_center() + vec2(4.0, 0.0),
                Align2::LEFT_CENTER,
                source.row_id(i),
                font.clone(),
                visuals.strong_text_color(),
            );
        }
        painter.vline(sticky_left + style.id_width, visible.y_range(), Stroke::new(1.0, visuals.weak_text_color()));
        let corner = Rect::from_min_size(pos2(sticky_left, sticky_top), vec2(style.id_width, header_height));
        painter.rect_filled(corner, 0.0, visuals.widgets.noninteractive.bg_fill);
        header_text(&painter, corner, "sample", &font, visuals.weak_text_color(), Align2::LEFT_CENTER);

        // Hover and click: map the pointer back to a cell.
        let locate = |p: egui::Pos2| -> (Option<usize>, Option<usize>) {
            let in_header = p.y < sticky_top + header_height;
            let in_ids = p.x < sticky_left + style.id_width;
            let row =
                (!in_header).then(|| ((p.y - body_top) / style.row_height).floor() as usize).filter(|&i| i < rows);
            let col =
                (!in_ids).then(|| ((p.x - body_left) / style.column_width).floor() as usize).filter(|&j| j < cols);
            (row, col)
        };
        if let Some(p) = interact.hover_pos() {
            let tip = match locate(p) {
                (Some(i), Some(j)) => Some(source.cell_tooltip(i, j)),
                (None, Some(j)) => Some(source.column_name(j).to_owned()),
                (Some(i), None) => Some(format!("{} (click to select, Ctrl/Shift to extend)", source.row_id(i))),
                (None, None) => None,
            };
            if let Some(tip) = tip {
                interact.clone().on_hover_text_at_pointer(tip);
            }
        }
        if interact.clicked()
            && let Some(p) = interact.interact_pointer_pos()
            && let (Some(i), _) = locate(p)
        {
            let m = ui.input(|i| i.modifiers);
            response.clicked_row = Some((i, m.command || m.ctrl, m.shift));
        }
    });
    response
}

fn header_text(painter: &egui::Painter, cell: Rect, text: &str, font: &FontId, colour: Color32, align: Align2) {
    let pos = if align == Align2::RIGHT_CENTER {
        cell.right_center() - vec2(4.0, 0.0)
    } else {
        cell.left_center() + vec2(4.0, 0.0)
    };
    // A long name is clipped at the cell edge; hovering the header shows it whole.
    painter.with_clip_rect(cell.shrink2(Vec2::new(2.0, 0.0)).intersect(painter.clip_rect())).text(
        pos,
        align,
        text,
        font.clone(),
        colour,
    );
}
