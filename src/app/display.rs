//! How the app looks: the text size for everyday use and projector mode for teaching — full
//! screen, one global scale (1.25× to 3×, 2× by default), a high-contrast light theme with
//! thicker lines. Both are settings (persisted); F11 toggles projector mode.
//!
//! # How it works
//! egui's zoom factor scales every size at once — text, lines, markers, plot fonts, margins —
//! so one number makes everything readable from the back of a room without each view
//! knowing; the small text style (plot ticks, colour bars, counts) takes the body size there.
//! The theme and window mode are set only when a setting changes.

use eframe::egui::{self, Color32, Key, Stroke};

use super::settings::Settings;

/// What was last applied, so the context is only touched on a change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Applied {
    projector: bool,
    zoom: f32,
}

/// The zoom factor the settings ask for.
pub fn zoom(settings: &Settings) -> f32 {
    if settings.projector { settings.projector_scale.clamp(1.25, 3.0) } else { settings.text_scale.clamp(0.75, 2.0) }
}

/// Applies the settings to the context when they changed since `applied`.
pub fn apply(ctx: &egui::Context, settings: &Settings, applied: &mut Option<Applied>) {
    let wanted = Applied { projector: settings.projector, zoom: zoom(settings) };
    if *applied == Some(wanted) {
        return;
    }
    let mode_changed = applied.is_none_or(|a| a.projector != wanted.projector);
    ctx.set_zoom_factor(wanted.zoom);
    if mode_changed {
        if wanted.projector {
            ctx.set_visuals(projector_visuals());
        } else {
            ctx.set_visuals(egui::Visuals::dark());
        }
        // Tick labels, colour-bar numbers and counts use the small text style: on a
        // projector it takes the body size, so they scale like the rest and read from the
        // back of the room.
        ctx.all_styles_mut(|style| {
            let defaults = egui::Style::default();
            let small = if wanted.projector {
                defaults.text_styles.get(&egui::TextStyle::Body).cloned()
            } else {
                defaults.text_styles.get(&egui::TextStyle::Small).cloned()
            };
            if let Some(font) = small {
                style.text_styles.insert(egui::TextStyle::Small, font);
            }
        });
        // Full screen only when the mode changes (not at every start in normal mode).
        if applied.is_some() || wanted.projector {
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(wanted.projector));
        }
    }
    *applied = Some(wanted);
}

/// A light theme with black text, strong borders and thick strokes.
pub fn projector_visuals() -> egui::Visuals {
    let mut v = egui::Visuals::light();
    v.override_text_color = Some(Color32::BLACK);
    v.panel_fill = Color32::WHITE;
    v.window_fill = Color32::WHITE;
    v.extreme_bg_color = Color32::WHITE;
    v.selection.bg_fill = Color32::from_rgb(0, 90, 160);
    v.selection.stroke = Stroke::new(2.0, Color32::WHITE);
    for w in [
        &mut v.widgets.noninteractive,
        &mut v.widgets.inactive,
        &mut v.widgets.hovered,
        &mut v.widgets.active,
        &mut v.widgets.open,
    ] {
        w.fg_stroke = Stroke::new(w.fg_stroke.width.max(1.5), Color32::BLACK);
        w.bg_stroke = Stroke::new(w.bg_stroke.width.max(1.0), Color32::from_gray(60));
    }
    v
}

/// True when F11 was pressed this frame (consumed).
pub fn toggle_pressed(ctx: &egui::Context) -> bool {
    ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::F11))
}

/// The View menu: projector mode, its scale, and the everyday text size.
pub fn view_menu_ui(ui: &mut egui::Ui, settings: &mut Settings) {
    ui.checkbox(&mut settings.projector, "Projector mode (F11)")
        .on_hover_text("Full screen, everything scaled up, a high-contrast light theme: for teaching");
    ui.add_enabled(
        settings.projector,
        egui::Slider::new(&mut settings.projector_scale, 1.25..=3.0).step_by(0.25).text("projector scale"),
    );
    ui.separator();
    ui.add_enabled(
        !settings.projector,
        egui::Slider::new(&mut settings.text_scale, 0.75..=2.0).step_by(0.05).text("text size"),
    )
    .on_hover_text("Scales the whole interface in normal use (Ctrl+plus and Ctrl+minus also zoom)");
}
