//! The confusion-matrix panel: true classes down, predicted across, counts or row shares,
//! cells shaded by share, class names on both axes in the body font (readable on a
//! projector); a click on a cell reports it.

use eframe::egui::{self, Color32, Rect, Sense, Stroke, pos2, vec2};

/// What the panel did: the clicked cell and where the cells were drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConfusionResponse {
    /// The clicked cell (true, predicted).
    pub clicked: Option<(usize, usize)>,
    /// Top-left corner of the cells and the side of one.
    pub cells: Option<(egui::Pos2, f32)>,
}

/// Draws `matrix` (`matrix[true][predicted]`).
pub fn confusion_ui(ui: &mut egui::Ui, matrix: &[Vec<usize>], names: &[String], normalised: bool) -> ConfusionResponse {
    let k = matrix.len();
    if k == 0 {
        return ConfusionResponse::default();
    }
    let font = egui::TextStyle::Body.resolve(ui.style());
    let text = ui.visuals().text_color();
    let label_width = names
        .iter()
        .map(|n| ui.painter().layout_no_wrap(n.clone(), font.clone(), text).size().x)
        .fold(0.0, f32::max)
        .min(ui.available_width() * 0.3)
        + 8.0;
    let header = font.size * 2.2 + label_width.min(font.size * 8.0);
    // Sized to the visible height, not to what is left under the widgets above it: in a
    // scrolling panel the matrix then keeps its size and the panel scrolls to it.
    let height = ui.available_height().max(ui.clip_rect().height() * 0.8);
    let side = ((ui.available_width() - label_width - 8.0) / k as f32)
        .min((height - header - 8.0) / k as f32)
        .clamp(font.size * 1.6, font.size * 6.0);
    let size = vec2(label_width + side * k as f32 + 4.0, header + side * k as f32 + 4.0);
    let (outer, response) = ui.allocate_exact_size(size, Sense::click());
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, format!("Confusion matrix: {k} classes")));
    let painter = ui.painter_at(outer);
    let origin = pos2(outer.left() + label_width, outer.top() + header);
    let cell =
        |r: usize, c: usize| Rect::from_min_size(origin + vec2(c as f32 * side, r as f32 * side), vec2(side, side));
    let accent = Color32::from_rgb(0, 114, 178);
    for (r, row) in matrix.iter().enumerate() {
        let total: usize = row.iter().sum();
        for (c, &count) in row.iter().enumerate() {
            let share = if total > 0 { count as f32 / total as f32 } else { 0.0 };
            let rect = cell(r, c);
            let fill = if r == c { accent } else { Color32::from_rgb(213, 94, 0) };
            painter.rect_filled(rect.shrink(1.0), 2.0, fill.gamma_multiply(0.08 + 0.92 * share));
            let label = if normalised { format!("{share:.2}") } else { count.to_string() };
            let strong = share > 0.55;
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                label,
                font.clone(),
                if strong { Color32::WHITE } else { text },
            );
        }
        // Row names (true classes) on the left.
        painter.text(
            pos2(origin.x - 6.0, cell(r, 0).center().y),
            egui::Align2::RIGHT_CENTER,
            &names[r],
            font.clone(),
            text,
        );
    }
    // Column names (predicted classes), rotated, above.
    for (c, name) in names.iter().enumerate() {
        let galley = painter.layout_no_wrap(name.clone(), font.clone(), text);
        let x = cell(0, c).center().x - galley.size().y / 2.0;
        let at = pos2(x, origin.y - 6.0);
        painter.add(egui::epaint::TextShape::new(at, galley, text).with_angle(-std::f32::consts::FRAC_PI_2));
    }
    painter.text(
        pos2(origin.x, outer.top()),
        egui::Align2::LEFT_TOP,
        "predicted class",
        egui::TextStyle::Small.resolve(ui.style()),
        ui.visuals().weak_text_color(),
    );
    painter.rect_stroke(
        Rect::from_min_size(origin, vec2(side * k as f32, side * k as f32)),
        0.0,
        Stroke::new(1.0, ui.visuals().weak_text_color()),
        egui::StrokeKind::Outside,
    );
    let hovered = response.hover_pos().and_then(|p| {
        let (c, r) = (((p.x - origin.x) / side).floor(), ((p.y - origin.y) / side).floor());
        (c >= 0.0 && r >= 0.0 && (c as usize) < k && (r as usize) < k).then_some((r as usize, c as usize))
    });
    if let Some((r, c)) = hovered {
        painter.rect_stroke(
            cell(r, c),
            2.0,
            Stroke::new(2.0, ui.visuals().strong_text_color()),
            egui::StrokeKind::Inside,
        );
        response.clone().on_hover_text_at_pointer(format!(
            "{} samples of {} predicted as {}\nclick to select them",
            matrix[r][c], names[r], names[c]
        ));
    }
    ConfusionResponse { clicked: if response.clicked() { hovered } else { None }, cells: Some((origin, side)) }
}
