//! Figures for papers: a view builds a plain [`Scatter`] description (points, colours, axis
//! labels, title, legend), [`scatter_svg`] writes it as SVG (vector, text kept as text), and
//! [`svg_to_png`] rasterises that same SVG with resvg — one drawing path, so the SVG and the
//! PNG never disagree. The size is asked in pixels, or in mm or inches with a DPI, and never
//! depends on a window. Output is deterministic: the same figure gives the same bytes.

use std::fmt::Write as _;

use crate::palette::Rgb;

/// Units of a figure's size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Units {
    /// Pixels.
    #[default]
    Px,
    /// Millimetres (at the DPI).
    Mm,
    /// Inches (at the DPI).
    In,
}

/// A figure's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    /// Width in `units`.
    pub width: f64,
    /// Height in `units`.
    pub height: f64,
    /// Units.
    pub units: Units,
    /// Dots per inch for mm and inches (300 by default).
    pub dpi: f64,
}

impl Size {
    /// The size in pixels: as given, or W / 25.4 × DPI for mm, W × DPI for inches (rounded).
    pub fn pixels(&self) -> (u32, u32) {
        let scale = match self.units {
            Units::Px => 1.0,
            Units::Mm => self.dpi / 25.4,
            Units::In => self.dpi,
        };
        ((self.width * scale).round().max(1.0) as u32, (self.height * scale).round().max(1.0) as u32)
    }

    /// The `width` and `height` attributes of the SVG: pixels bare, else with their unit.
    fn attributes(&self) -> (String, String) {
        let unit = match self.units {
            Units::Px => "",
            Units::Mm => "mm",
            Units::In => "in",
        };
        (format!("{}{unit}", self.width), format!("{}{unit}", self.height))
    }
}

/// Type and marks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Font size, in pixels of the output.
    pub font_size: f64,
    /// Marker radius, in pixels of the output.
    pub marker_radius: f64,
    /// Background (`None`: transparent).
    pub background: Option<Rgb>,
}

impl Style {
    /// Sizes that suit a figure of `pixels`: text about 1/45 of the shorter side.
    pub fn for_size(pixels: (u32, u32)) -> Self {
        let short = f64::from(pixels.0.min(pixels.1));
        Self {
            font_size: (short / 45.0).max(8.0),
            marker_radius: (short / 220.0).max(1.0),
            background: Some([255, 255, 255]),
        }
    }
}

/// The legend of a figure.
#[derive(Debug, Clone, PartialEq)]
pub enum Legend {
    /// None.
    None,
    /// Class names and colours.
    Classes(Vec<(String, Rgb)>),
    /// A viridis colour bar.
    ColourBar {
        /// What the colours mean.
        label: String,
        /// Value at the bottom.
        min: f64,
        /// Value at the top.
        max: f64,
    },
}

/// A scatter plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Scatter {
    /// Title over the plot (empty: none).
    pub title: String,
    /// Horizontal axis label, with units.
    pub x_label: String,
    /// Vertical axis label, with units.
    pub y_label: String,
    /// (x, y, colour) of every point, drawn in order.
    pub points: Vec<(f64, f64, Rgb)>,
    /// Points drawn with an outline (the selection), by index.
    pub highlighted: Vec<usize>,
    /// The legend.
    pub legend: Legend,
}

/// Why a figure could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FigureError {
    /// The SVG did not parse (a bug).
    #[error("the figure's SVG is invalid: {0}")]
    Svg(String),
    /// The raster could not be allocated or encoded.
    #[error("cannot make a {0} × {1} PNG")]
    Png(u32, u32),
}

/// Round tick spacing for a range: 1, 2 or 5 × 10ⁿ, about `target` ticks.
pub fn nice_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let normalized = raw / magnitude;
    let nice = if normalized < 1.5 {
        1.0
    } else if normalized < 3.5 {
        2.0
    } else if normalized < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// Text safe inside SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// A number for a tick label: short, no trailing zeros.
fn tick_label(v: f64, step: f64) -> String {
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let text = format!("{v:.decimals$}");
    if text == "-0" { "0".to_owned() } else { text }
}

/// The scatter as an SVG document of `size`.
pub fn scatter_svg(fig: &Scatter, size: &Size, style: &Style) -> String {
    let (w, h) = size.pixels();
    let (w, h) = (f64::from(w), f64::from(h));
    let f = style.font_size;
    let (attr_w, attr_h) = size.attributes();
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{attr_w}" height="{attr_h}" viewBox="0 0 {w} {h}" font-family="sans-serif">"#
    );
    if let Some(bg) = style.background {
        let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="{}"/>"#, hex(bg));
    }
    let legend_width = match &fig.legend {
        Legend::None => 0.0,
        Legend::Classes(entries) => {
            let longest = entries.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0) as f64;
            (longest * 0.6 * f + 2.5 * f).min(w * 0.35)
        }
        Legend::ColourBar { .. } => 6.0 * f,
    };
    let top = if fig.title.is_empty() { f } else { 2.6 * f };
    let plot = (5.0 * f, top, w - legend_width - f, h - 3.6 * f);
    let (left, top, right, bottom) = plot;
    if right <= left || bottom <= top {
        s.push_str("</svg>\n");
        return s;
    }
    let finite = fig.points.iter().filter(|p| p.0.is_finite() && p.1.is_finite());
    let (x0, x1, y0, y1) = finite
        .fold((f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY), |(a, b, c, d), p| {
            (a.min(p.0), b.max(p.0), c.min(p.1), d.max(p.1))
        });
    let pad = |lo: f64, hi: f64| {
        if lo.is_finite() && hi > lo {
            let m = (hi - lo) * 0.05;
            (lo - m, hi + m)
        } else if lo.is_finite() {
            (lo - 1.0, lo + 1.0)
        } else {
            (0.0, 1.0)
        }
    };
    let ((x0, x1), (y0, y1)) = (pad(x0, x1), pad(y0, y1));
    let sx = |x: f64| left + (x - x0) / (x1 - x0) * (right - left);
    let sy = |y: f64| bottom - (y - y0) / (y1 - y0) * (bottom - top);
    let axis = "#222222";
    let frame = Frame { left, top, right, bottom, x: (x0, x1), y: (y0, y1) };
    axes_svg(&mut s, &frame, f);
    // Axis labels and title.
    let _ = writeln!(
        s,
        r#"<text x="{:.2}" y="{:.2}" font-size="{f:.2}" text-anchor="middle" fill="{axis}">{}</text>"#,
        f64::midpoint(left, right),
        h - f * 0.6,
        escape(&fig.x_label)
    );
    let (lx, ly) = (f * 1.2, f64::midpoint(top, bottom));
    let _ = writeln!(
        s,
        r#"<text x="{lx:.2}" y="{ly:.2}" font-size="{f:.2}" text-anchor="middle" transform="rotate(-90 {lx:.2} {ly:.2})" fill="{axis}">{}</text>"#,
        escape(&fig.y_label)
    );
    if !fig.title.is_empty() {
        let _ = writeln!(
            s,
            r#"<text x="{:.2}" y="{:.2}" font-size="{:.2}" text-anchor="middle" font-weight="bold" fill="{axis}">{}</text>"#,
            f64::midpoint(left, right),
            f * 1.7,
            f * 1.15,
            escape(&fig.title)
        );
    }
    // Points: one circle each, in order; the highlighted ones outlined after.
    let _ = writeln!(s, r#"<g stroke="none">"#);
    let r = style.marker_radius;
    for &(x, y, c) in &fig.points {
        if x.is_finite() && y.is_finite() {
            let _ = writeln!(s, r#"<circle cx="{:.2}" cy="{:.2}" r="{r:.2}" fill="{}"/>"#, sx(x), sy(y), hex(c));
        }
    }
    s.push_str("</g>\n");
    if !fig.highlighted.is_empty() {
        let _ = writeln!(s, r##"<g fill="none" stroke="#000000" stroke-width="{:.2}">"##, r * 0.4);
        for &i in &fig.highlighted {
            if let Some(&(x, y, _)) = fig.points.get(i).filter(|p| p.0.is_finite() && p.1.is_finite()) {
                let _ = writeln!(s, r#"<circle cx="{:.2}" cy="{:.2}" r="{:.2}"/>"#, sx(x), sy(y), r * 1.6);
            }
        }
        s.push_str("</g>\n");
    }
    legend_svg(&mut s, &fig.legend, right + f, top, f, bottom);
    s.push_str("</svg>\n");
    s
}

/// The plot area and the data ranges it shows.
#[derive(Clone, Copy)]
struct Frame {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
    x: (f64, f64),
    y: (f64, f64),
}

/// The frame, ticks and tick labels.
fn axes_svg(s: &mut String, frame: &Frame, f: f64) {
    let Frame { left, top, right, bottom, x: (x0, x1), y: (y0, y1) } = *frame;
    let sx = |x: f64| left + (x - x0) / (x1 - x0) * (right - left);
    let sy = |y: f64| bottom - (y - y0) / (y1 - y0) * (bottom - top);
    let axis = "#222222";
    let _ = writeln!(
        s,
        r#"<rect x="{left:.2}" y="{top:.2}" width="{:.2}" height="{:.2}" fill="none" stroke="{axis}" stroke-width="{:.2}"/>"#,
        right - left,
        bottom - top,
        f / 12.0
    );
    let tick = f * 0.4;
    let step = nice_step(x1 - x0, 6.0);
    let mut v = (x0 / step).ceil() * step;
    while v <= x1 {
        let x = sx(v);
        let _ = writeln!(
            s,
            r#"<line x1="{x:.2}" y1="{bottom:.2}" x2="{x:.2}" y2="{:.2}" stroke="{axis}" stroke-width="{:.2}"/>"#,
            bottom + tick,
            f / 12.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{x:.2}" y="{:.2}" font-size="{:.2}" text-anchor="middle" fill="{axis}">{}</text>"#,
            bottom + tick + f,
            f * 0.85,
            tick_label(v, step)
        );
        v += step;
    }
    let step = nice_step(y1 - y0, 6.0);
    let mut v = (y0 / step).ceil() * step;
    while v <= y1 {
        let y = sy(v);
        let _ = writeln!(
            s,
            r#"<line x1="{:.2}" y1="{y:.2}" x2="{left:.2}" y2="{y:.2}" stroke="{axis}" stroke-width="{:.2}"/>"#,
            left - tick,
            f / 12.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.2}" y="{:.2}" font-size="{:.2}" text-anchor="end" fill="{axis}">{}</text>"#,
            left - tick - f * 0.2,
            y + f * 0.3,
            f * 0.85,
            tick_label(v, step)
        );
        v += step;
    }
}

fn legend_svg(s: &mut String, legend: &Legend, x: f64, top: f64, f: f64, bottom: f64) {
    let text = "#222222";
    match legend {
        Legend::None => {}
        Legend::Classes(entries) => {
            for (k, (label, c)) in entries.iter().enumerate() {
                let y = top + f * (0.8 + 1.4 * k as f64);
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.2}" cy="{:.2}" r="{:.2}" fill="{}"/>"#,
                    x + f * 0.5,
                    y - f * 0.3,
                    f * 0.4,
                    hex(*c)
                );
                let _ = writeln!(
                    s,
                    r#"<text x="{:.2}" y="{y:.2}" font-size="{:.2}" fill="{text}">{}</text>"#,
                    x + f * 1.2,
                    f * 0.9,
                    escape(label)
                );
            }
        }
        Legend::ColourBar { label, min, max } => {
            let (bar_top, bar_bottom) = (top + f, bottom - f);
            let steps = 32u32;
            let n = f64::from(steps);
            for k in 0..steps {
                let t0 = f64::from(k) / n;
                let y = bar_bottom - (t0 + 1.0 / n) * (bar_bottom - bar_top);
                let c = crate::palette::viridis(t0 + 0.5 / n);
                let _ = writeln!(
                    s,
                    r#"<rect x="{x:.2}" y="{y:.2}" width="{:.2}" height="{:.2}" fill="{}"/>"#,
                    f,
                    (bar_bottom - bar_top) / n + 0.5,
                    hex(c)
                );
            }
            for (v, y) in [(*max, bar_top), (*min, bar_bottom)] {
                let _ = writeln!(
                    s,
                    r#"<text x="{:.2}" y="{:.2}" font-size="{:.2}" fill="{text}">{}</text>"#,
                    x + f * 1.3,
                    y + f * 0.3,
                    f * 0.8,
                    crate::data::annotations::format_number(v)
                );
            }
            let _ = writeln!(
                s,
                r#"<text x="{x:.2}" y="{:.2}" font-size="{:.2}" fill="{text}">{}</text>"#,
                top + f * 0.4,
                f * 0.8,
                escape(label)
            );
        }
    }
}

/// The bundled font (Ubuntu Light, Ubuntu Font Licence: `assets/fonts/UFL.txt`), so PNG text
/// does not depend on the fonts a machine has.
const FONT: &[u8] = include_bytes!("../../assets/fonts/Ubuntu-Light.ttf");

/// Rasterises `svg` to a PNG of exactly `pixels`.
pub fn svg_to_png(svg: &str, pixels: (u32, u32)) -> Result<Vec<u8>, FigureError> {
    raster(svg, pixels)?.encode_png().map_err(|_| FigureError::Png(pixels.0, pixels.1))
}

/// Rasterises `svg` to `pixels` as straight (unpremultiplied) RGBA bytes, row by row: for the
/// clipboard, from the same drawing as the files.
pub fn svg_to_rgba(svg: &str, pixels: (u32, u32)) -> Result<Vec<u8>, FigureError> {
    let pixmap = raster(svg, pixels)?;
    Ok(pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect())
}

fn raster(svg: &str, pixels: (u32, u32)) -> Result<resvg::tiny_skia::Pixmap, FigureError> {
    use resvg::{tiny_skia, usvg};
    let mut options = usvg::Options::default();
    let db = options.fontdb_mut();
    db.load_font_data(FONT.to_vec());
    let family = db.faces().next().and_then(|f| f.families.first()).map(|f| f.0.clone());
    if let Some(family) = family {
        db.set_sans_serif_family(family);
    }
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| FigureError::Svg(e.to_string()))?;
    let mut pixmap = tiny_skia::Pixmap::new(pixels.0, pixels.1).ok_or(FigureError::Png(pixels.0, pixels.1))?;
    let scale = (pixels.0 as f32 / tree.size().width(), pixels.1 as f32 / tree.size().height());
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale.0, scale.1), &mut pixmap.as_mut());
    Ok(pixmap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_mm_and_inches_follow_the_dpi() {
        assert_eq!(Size { width: 80.0, height: 60.0, units: Units::Mm, dpi: 300.0 }.pixels(), (945, 709));
        assert_eq!(Size { width: 3.0, height: 2.0, units: Units::In, dpi: 300.0 }.pixels(), (900, 600));
        assert_eq!(Size { width: 640.0, height: 480.0, units: Units::Px, dpi: 300.0 }.pixels(), (640, 480));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(tick_label(-0.0, 1.0), "0");
        assert_eq!(tick_label(0.25, 0.05), "0.25");
    }
}
