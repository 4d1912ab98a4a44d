//! Plots that judge a clustering: the silhouette plot (one bar per sample, grouped by
//! cluster and sorted, with the mean) and the contingency table of clusters × labels.

use eframe::egui::{self, Color32, Mesh, Rect, RichText, Sense, Stroke, pos2, vec2};

use crate::data::annotations::format_number;

/// Where labels `line` high go beside bands centred at `middles` (top to bottom): at each
/// middle, pushed down where tiny bands would make them overlap (so they stay in order), and
/// none (`None`) that would reach past `bottom`.
fn label_places(middles: &[f32], line: f32, bottom: f32) -> Vec<Option<f32>> {
    let mut free_from = f32::NEG_INFINITY;
    middles
        .iter()
        .map(|&middle| {
            let at = middle.max(free_from + line / 2.0);
            (at + line / 2.0 <= bottom).then(|| {
                free_from = at + line / 2.0;
                at
            })
        })
        .collect()
}

/// Samples' silhouette widths grouped by cluster: `None` widths (noise) are left out.
pub fn silhouette_ui(
    ui: &mut egui::Ui,
    widths: &[Option<f64>],
    clusters: &[Option<usize>],
    colour_of: &dyn Fn(usize) -> Color32,
) {
    let k = clusters.iter().flatten().max().map_or(0, |m| m + 1);
    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); k];
    for (w, c) in widths.iter().zip(clusters) {
        if let (Some(w), Some(c)) = (w, c) {
            groups[*c].push(*w);
        }
    }
    for g in &mut groups {
        g.sort_by(|a, b| b.total_cmp(a));
    }
    let count: usize = groups.iter().map(Vec::len).sum();
    if count == 0 {
        ui.label(RichText::new("no silhouette: fewer than two clusters").weak());
        return;
    }
    let mean = groups.iter().flatten().sum::<f64>() / count as f64;
    let body = ui.text_style_height(&egui::TextStyle::Body);
    let height = (ui.available_height() - body * 2.0).clamp(body * 8.0, body * 30.0);
    let (outer, response) = ui.allocate_exact_size(vec2(ui.available_width(), height), Sense::hover());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Canvas, true, format!("Silhouette plot: mean {mean:.3}"))
    });
    let rect = Rect::from_min_max(outer.min + vec2(body * 2.5, 2.0), outer.max - vec2(4.0, body * 1.6));
    if !rect.is_positive() {
        return;
    }
    let lo = groups.iter().flatten().copied().fold(0.0, f64::min).min(-0.1);
    let x_of = |v: f64| rect.left() + ((v - lo) / (1.0 - lo)) as f32 * rect.width();
    let gap = 2.0;
    let per = (rect.height() - gap * k as f32) / count as f32;
    let painter = ui.painter_at(outer);
    let text = ui.visuals().text_color();
    let small = egui::TextStyle::Small.resolve(ui.style());
    let mut mesh = Mesh::default();
    let mut y = rect.top();
    let mut middles = Vec::new();
    for (c, g) in groups.iter().enumerate() {
        let top = y;
        for &w in g {
            let (a, b) = (x_of(0.0).min(x_of(w)), x_of(0.0).max(x_of(w)));
            mesh.add_colored_rect(Rect::from_min_max(pos2(a, y), pos2(b.max(a + 0.5), y + per.max(0.5))), colour_of(c));
            y += per;
        }
        if !g.is_empty() {
            middles.push((c, f32::midpoint(top, y)));
        }
        y += gap;
    }
    // Above the tick labels under the bars.
    let places = label_places(&middles.iter().map(|m| m.1).collect::<Vec<_>>(), small.size, rect.bottom());
    for ((c, _), at) in middles.iter().zip(places) {
        if let Some(at) = at {
            let number = format!("{}", c + 1);
            painter.text(pos2(rect.left() - 4.0, at), egui::Align2::RIGHT_CENTER, number, small.clone(), text);
        }
    }
    painter.add(mesh);
    painter.vline(x_of(0.0), rect.y_range(), Stroke::new(1.0, text));
    let dashed = egui::Shape::dashed_line(
        &[pos2(x_of(mean), rect.top()), pos2(x_of(mean), rect.bottom())],
        Stroke::new(1.5, Color32::from_rgb(213, 94, 0)),
        6.0,
        4.0,
    );
    painter.extend(dashed);
    for v in [-0.5, 0.0, 0.5, 1.0].into_iter().filter(|v| *v >= lo) {
        painter.text(
            pos2(x_of(v), rect.bottom() + 2.0),
            egui::Align2::CENTER_TOP,
            format_number(v),
            small.clone(),
            text,
        );
    }
    ui.label(format!("mean silhouette width {mean:.3} (dashed); 1 = tight and apart, 0 or less = between clusters"));
}

/// Clusters × label classes with counts, the best-matching class of each cluster in bold.
pub fn contingency_ui(
    ui: &mut egui::Ui,
    table: &[Vec<usize>],
    cluster_names: &[String],
    label_names: &[String],
    colour_of: &dyn Fn(usize) -> Color32,
) {
    egui::ScrollArea::horizontal().id_salt("contingency_scroll").show(ui, |ui| {
        egui::Grid::new("contingency").striped(true).show(ui, |ui| {
            ui.label(RichText::new("cluster \\ label").weak());
            for name in label_names {
                ui.label(RichText::new(name).strong());
            }
            ui.end_row();
            for (c, row) in table.iter().enumerate() {
                let name = cluster_names.get(c).cloned().unwrap_or_else(|| format!("{}", c + 1));
                ui.label(RichText::new(format!("⏺ {name}")).color(colour_of(c)));
                let best = row.iter().copied().max().unwrap_or(0);
                for &count in row {
                    let text = RichText::new(count.to_string());
                    ui.label(if count == best && count > 0 { text.strong() } else { text });
                }
                ui.end_row();
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::label_places;

    #[test]
    fn labels_of_tiny_clusters_are_pushed_apart_in_order() {
        // Two one-sample clusters 3 points apart, then a large one: 10-point labels.
        let places = label_places(&[2.0, 5.0, 100.0], 10.0, 200.0);
        assert_eq!(places, vec![Some(2.0), Some(12.0), Some(100.0)]);
        // Room for no more than the bottom allows.
        let places = label_places(&[2.0, 5.0, 8.0], 10.0, 20.0);
        assert_eq!(places, vec![Some(2.0), Some(12.0), None]);
    }
}
