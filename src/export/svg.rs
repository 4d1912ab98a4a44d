//! The SVG writer of [`Figure`]s: margins from the text they hold, the frame, ticks, the marks
//! clipped to the plot area, the title, axis labels and the legend. Text stays text; a
//! [`Mark::Raster`] becomes an embedded PNG drawn with nearest-neighbour scaling, so heatmap
//! cells keep sharp edges.

use std::fmt::Write as _;

use super::figure::{Anchor, Axis, Figure, Legend, Mark, Raster, Scale, Size, Style, nice_step};
use crate::palette::Rgb;

const INK: &str = "#222222";
const GREY: &str = "#888888";

/// Text safe inside SVG.
pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// A number for a tick label: short, no trailing zeros.
pub(super) fn tick_label(v: f64, step: f64) -> String {
    // Ticks are sums of steps: a tick at zero may be off by rounding, and must not print "-0.0".
    let v = if v.abs() < step.abs() * 1e-6 { 0.0 } else { v };
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let text = format!("{v:.decimals$}");
    if text == "-0" { "0".to_owned() } else { text }
}

/// A colour bar's end value: about four significant digits.
fn short_number(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 1000.0 || a == 0.0 {
        0
    } else if a >= 1.0 {
        3 - a.log10().floor() as usize
    } else {
        (3.0 - a.log10().floor()).min(12.0) as usize
    };
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text };
    if text == "-0" { "0".to_owned() } else { text }
}

/// `text` shortened with "…" to about `room` wide at font size `f` (whole when it fits).
fn fit_text(text: &str, room: f64, f: f64) -> String {
    if text_width(text, f) <= room {
        return text.to_owned();
    }
    let fits = (room / (0.55 * f)).floor().max(0.0) as usize;
    if fits < 2 {
        return String::new();
    }
    format!("{}…", text.chars().take(fits - 1).collect::<String>())
}

/// Approximate width of `text` at font size `f` (the bundled font averages about 0.55 em).
fn text_width(text: &str, f: f64) -> f64 {
    text.chars().count() as f64 * 0.55 * f
}

/// The data range of every mark: (x0, x1, y0, y1), infinite when there is none.
fn bounds(marks: &[Mark]) -> (f64, f64, f64, f64) {
    let mut b = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    let mut add = |x: f64, y: f64| {
        if x.is_finite() && y.is_finite() {
            b = (b.0.min(x), b.1.max(x), b.2.min(y), b.3.max(y));
        }
    };
    for mark in marks {
        match mark {
            Mark::Points { points, .. } => points.iter().for_each(|p| add(p.0, p.1)),
            Mark::Line { points, .. } => points.iter().for_each(|p| add(p.0, p.1)),
            Mark::Segments(segments) => segments.iter().for_each(|(a, b, _)| {
                add(a.0, a.1);
                add(b.0, b.1);
            }),
            Mark::Rects(rects) => rects.iter().for_each(|r| {
                add(r.0, r.1);
                add(r.2, r.3);
            }),
            Mark::Outline { rect, .. } => {
                add(rect.0, rect.1);
                add(rect.2, rect.3);
            }
            Mark::Text { at, .. } | Mark::FittedText { at, .. } => add(at.0, at.1),
            Mark::Raster(r) => {
                add(r.x.0, r.y.0);
                add(r.x.1, r.y.1);
            }
            Mark::Dots(dots) => dots.iter().for_each(|d| add(d.0, d.1)),
            Mark::Polygon { points, .. } => points.iter().for_each(|p| add(p.0, p.1)),
            Mark::Rule { .. } => {}
        }
    }
    b
}

/// The range an axis shows.
fn range(axis: &Axis, lo: f64, hi: f64) -> (f64, f64) {
    if let Some(r) = axis.range
        && r.1 > r.0
    {
        return r;
    }
    if let Scale::Categories(names) = &axis.scale {
        return (0.0, names.len().max(1) as f64);
    }
    if lo.is_finite() && hi > lo {
        let m = (hi - lo) * 0.05;
        (lo - m, hi + m)
    } else if lo.is_finite() {
        (lo - 1.0, lo + 1.0)
    } else {
        (0.0, 1.0)
    }
}

/// The plot area and the mapping from data to the page.
#[derive(Debug, Clone, Copy)]
struct Frame {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
    x: (f64, f64),
    y: (f64, f64),
    /// Categories on the vertical axis run top to bottom.
    y_down: bool,
    /// Radius of the largest dot of a dot plot: what fits one data unit each way, at most
    /// one font size.
    dot: f64,
}

impl Frame {
    fn sx(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * (self.right - self.left)
    }

    fn sy(&self, y: f64) -> f64 {
        let t = (y - self.y.0) / (self.y.1 - self.y.0);
        if self.y_down { self.top + t * (self.bottom - self.top) } else { self.bottom - t * (self.bottom - self.top) }
    }
}

/// How category names are drawn on an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Names {
    None,
    Straight,
    Rotated,
}

fn category_names(axis: &Axis, cell: f64, f: f64, horizontal: bool) -> Names {
    let Scale::Categories(names) = &axis.scale else { return Names::None };
    let small = 0.85 * f;
    if names.is_empty() || cell < 0.95 * small {
        return Names::None;
    }
    let longest = names.iter().map(|n| text_width(n, small)).fold(0.0, f64::max);
    if horizontal && longest > cell * 0.95 { Names::Rotated } else { Names::Straight }
}

fn legend_width(legend: &Legend, w: f64, f: f64) -> f64 {
    match legend {
        Legend::None => 0.0,
        Legend::Heading(text) => (text_width(text, 0.9 * f) + f).min(w * 0.35),
        Legend::Classes(entries) | Legend::Lines(entries) => {
            let longest = entries.iter().map(|(l, _)| text_width(l, 0.9 * f)).fold(0.0, f64::max);
            (longest + 2.8 * f).min(w * 0.35)
        }
        Legend::ColourBar { label, .. } => (text_width(label, 0.8 * f) + f).clamp(6.0 * f, w * 0.25),
        Legend::Sizes { label, entries } => {
            let longest =
                entries.iter().map(|(l, _)| text_width(l, 0.8 * f)).fold(text_width(label, 0.8 * f), f64::max);
            (longest + 3.0 * f).min(w * 0.3)
        }
    }
}

/// The figure as an SVG document of `size`.
pub fn figure_svg(fig: &Figure, size: &Size, style: &Style) -> String {
    let (w, h) = size.pixels();
    let (w, h) = (f64::from(w), f64::from(h));
    let f = style.font_size;
    let (attr_w, attr_h) = size.attributes();
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{attr_w}" height="{attr_h}" viewBox="0 0 {w} {h}" font-family="sans-serif">"#
    );
    if let Some(bg) = style.background {
        let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="{}"/>"#, hex(bg));
    }
    let Some(area) = layout(fig, size, style) else {
        s.push_str("</svg>\n");
        return s;
    };
    let (left, top, right, bottom) = (area.left, area.top, area.right, area.bottom);
    let (x, y) = (area.x, area.y);
    let cell = ((right - left) / (x.1 - x.0)).abs().min(((bottom - top) / (y.1 - y.0)).abs());
    let frame = Frame { left, top, right, bottom, x, y, y_down: area.y_down, dot: (0.45 * cell).min(f) };
    axes_svg(&mut s, fig, &frame, style);
    marks_svg(&mut s, &fig.marks, &frame, style);
    if !fig.x.label.is_empty() {
        let _ = writeln!(
            s,
            r#"<text x="{:.2}" y="{:.2}" font-size="{f:.2}" text-anchor="middle" fill="{INK}">{}</text>"#,
            f64::midpoint(left, right),
            h - f * 0.6,
            escape(&fig.x.label)
        );
    }
    if !fig.y.label.is_empty() {
        let (lx, ly) = (f * 1.2, f64::midpoint(top, bottom));
        let _ = writeln!(
            s,
            r#"<text x="{lx:.2}" y="{ly:.2}" font-size="{f:.2}" text-anchor="middle" transform="rotate(-90 {lx:.2} {ly:.2})" fill="{INK}">{}</text>"#,
            escape(&fig.y.label)
        );
    }
    if !fig.title.is_empty() {
        let _ = writeln!(
            s,
            r#"<text x="{:.2}" y="{:.2}" font-size="{:.2}" text-anchor="middle" font-weight="bold" fill="{INK}">{}</text>"#,
            f64::midpoint(left, right),
            f * 1.7,
            f * 1.15,
            escape(&fig.title)
        );
    }
    let mut y = top;
    let bars = fig.legends.iter().filter(|l| matches!(l, Legend::ColourBar { .. })).count();
    let alone = fig.legends.iter().filter(|l| !matches!(l, Legend::None)).count() == bars;
    for legend in &fig.legends {
        let bar_height =
            if alone { (bottom - top) / bars.max(1) as f64 } else { (0.45 * (bottom - top)).min(14.0 * f) };
        let room = w - (right + f) - 0.3 * f;
        y = legend_svg(&mut s, legend, (right + f, y, bottom, room), (bar_height, frame.dot), style);
    }
    s.push_str("</svg>\n");
    s
}

/// Where the plot area goes on a page of `size` and the data range it shows; `None` when the
/// page leaves no room for it.
pub(super) fn layout(fig: &Figure, size: &Size, style: &Style) -> Option<super::figure::PlotArea> {
    let (w, h) = size.pixels();
    let (w, h) = (f64::from(w), f64::from(h));
    let f = style.font_size;
    let small = 0.85 * f;
    let (bx0, bx1, by0, by1) = bounds(&fig.marks);
    let (x, y) = (range(&fig.x, bx0, bx1), range(&fig.y, by0, by1));
    // Margins: first guesses from the text the axes hold, then category names once the cell
    // sizes are known.
    let legend_w = fig.legends.iter().map(|l| legend_width(l, w, f)).fold(0.0, f64::max);
    let top = if fig.title.is_empty() { f } else { 2.6 * f };
    let y_ticks_w = match &fig.y.scale {
        Scale::Linear => {
            let step = nice_step(y.1 - y.0, 6.0);
            [y.0, y.1]
                .iter()
                .map(|v| text_width(&tick_label((v / step).round() * step, step), small))
                .fold(0.0, f64::max)
                + 0.6 * f
        }
        Scale::Categories(names) => {
            (names.iter().map(|n| text_width(n, small)).fold(0.0, f64::max) + 0.6 * f).min(w * 0.3)
        }
        Scale::Hidden => 0.0,
    };
    let y_label_w = if fig.y.label.is_empty() { 0.3 * f } else { 1.8 * f };
    let mut left = y_label_w + y_ticks_w;
    let right = w - legend_w - f;
    let x_names_h = if let Scale::Categories(names) = &fig.x.scale {
        let cell = (right - left) / (x.1 - x.0);
        match category_names(&fig.x, cell, f, true) {
            Names::Rotated => (names.iter().map(|n| text_width(n, small)).fold(0.0, f64::max) * 0.72 + f).min(h * 0.3),
            Names::Straight => 1.6 * f,
            Names::None => 0.4 * f,
        }
    } else if fig.x.scale == Scale::Hidden {
        0.4 * f
    } else {
        1.6 * f
    };
    let x_label_h = if fig.x.label.is_empty() { 0.4 * f } else { 1.8 * f };
    let bottom = h - x_names_h - x_label_h;
    let y_down = matches!(fig.y.scale, Scale::Categories(_));
    if let Scale::Categories(_) = &fig.y.scale {
        let cell = (bottom - top) / (y.1 - y.0);
        if category_names(&fig.y, cell, f, false) == Names::None {
            left = y_label_w + 0.4 * f;
        }
    }
    if right <= left || bottom <= top {
        return None;
    }
    Some(super::figure::PlotArea { left, top, right, bottom, x, y, y_down })
}

/// The frame, ticks and tick labels of both axes.
fn axes_svg(s: &mut String, fig: &Figure, frame: &Frame, style: &Style) {
    let Frame { left, top, right, bottom, x: (x0, x1), y: (y0, y1), .. } = *frame;
    let f = style.font_size;
    let small = 0.85 * f;
    let thin = style.line_width / 2.0;
    if fig.frame {
        let _ = writeln!(
            s,
            r#"<rect x="{left:.2}" y="{top:.2}" width="{:.2}" height="{:.2}" fill="none" stroke="{INK}" stroke-width="{thin:.2}"/>"#,
            right - left,
            bottom - top,
        );
    }
    let tick = f * 0.4;
    match &fig.x.scale {
        Scale::Linear => {
            let (t0, t1) = fig.x.ticks.map_or((x0, x1), |t| (t.0.max(x0), t.1.min(x1)));
            let step = nice_step(t1 - t0, 6.0);
            let mut v = (t0 / step).ceil() * step;
            while v <= t1 + step * 1e-9 {
                let x = frame.sx(v);
                let _ = writeln!(
                    s,
                    r#"<line x1="{x:.2}" y1="{bottom:.2}" x2="{x:.2}" y2="{:.2}" stroke="{INK}" stroke-width="{thin:.2}"/>"#,
                    bottom + tick,
                );
                let _ = writeln!(
                    s,
                    r#"<text x="{x:.2}" y="{:.2}" font-size="{small:.2}" text-anchor="middle" fill="{INK}">{}</text>"#,
                    bottom + tick + f,
                    tick_label(v, step)
                );
                v += step;
            }
        }
        Scale::Categories(names) => {
            let cell = (right - left) / (x1 - x0);
            let how = category_names(&fig.x, cell, f, true);
            for (k, name) in names.iter().enumerate() {
                let x = frame.sx(k as f64 + 0.5);
                match how {
                    Names::None => break,
                    Names::Straight => {
                        let _ = writeln!(
                            s,
                            r#"<text x="{x:.2}" y="{:.2}" font-size="{small:.2}" text-anchor="middle" fill="{INK}">{}</text>"#,
                            bottom + 1.1 * f,
                            escape(name)
                        );
                    }
                    Names::Rotated => {
                        let (tx, ty) = (x + 0.3 * small, bottom + 0.5 * f);
                        let _ = writeln!(
                            s,
                            r#"<text x="{tx:.2}" y="{ty:.2}" font-size="{small:.2}" text-anchor="end" transform="rotate(-45 {tx:.2} {ty:.2})" fill="{INK}">{}</text>"#,
                            escape(name)
                        );
                    }
                }
            }
        }
        Scale::Hidden => {}
    }
    match &fig.y.scale {
        Scale::Linear => {
            let (t0, t1) = fig.y.ticks.map_or((y0, y1), |t| (t.0.max(y0), t.1.min(y1)));
            let step = nice_step(t1 - t0, 6.0);
            let mut v = (t0 / step).ceil() * step;
            while v <= t1 + step * 1e-9 {
                let y = frame.sy(v);
                let _ = writeln!(
                    s,
                    r#"<line x1="{:.2}" y1="{y:.2}" x2="{left:.2}" y2="{y:.2}" stroke="{INK}" stroke-width="{thin:.2}"/>"#,
                    left - tick,
                );
                let _ = writeln!(
                    s,
                    r#"<text x="{:.2}" y="{:.2}" font-size="{small:.2}" text-anchor="end" fill="{INK}">{}</text>"#,
                    left - tick - f * 0.2,
                    y + f * 0.3,
                    tick_label(v, step)
                );
                v += step;
            }
        }
        Scale::Categories(names) => {
            let cell = (bottom - top) / (y1 - y0);
            if category_names(&fig.y, cell, f, false) != Names::None {
                // Names longer than the margin are shortened, not cut by the page's edge.
                let room = left - 0.3 * f - if fig.y.label.is_empty() { 0.3 * f } else { 1.8 * f };
                for (k, name) in names.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        r#"<text x="{:.2}" y="{:.2}" font-size="{small:.2}" text-anchor="end" fill="{INK}">{}</text>"#,
                        left - 0.3 * f,
                        frame.sy(k as f64 + 0.5) + small * 0.35,
                        escape(&fit_text(name, room, small))
                    );
                }
            }
        }
        Scale::Hidden => {}
    }
}

fn dash(dashed: bool, width: f64) -> String {
    if dashed { format!(r#" stroke-dasharray="{:.2} {:.2}""#, width * 4.0, width * 3.0) } else { String::new() }
}

/// The marks, clipped to the plot area.
fn marks_svg(s: &mut String, marks: &[Mark], frame: &Frame, style: &Style) {
    let Frame { left, top, right, bottom, .. } = *frame;
    let _ = writeln!(
        s,
        r#"<clipPath id="plot"><rect x="{left:.2}" y="{top:.2}" width="{:.2}" height="{:.2}"/></clipPath>"#,
        right - left,
        bottom - top
    );
    s.push_str("<g clip-path=\"url(#plot)\">\n");
    let lw = style.line_width;
    let r = style.marker_radius;
    for mark in marks {
        match mark {
            Mark::Points { points, highlighted } => points_svg(s, points, highlighted, frame, r),
            Mark::Line { points, colour, dashed, dots } => line_svg(s, points, *colour, (*dashed, *dots), frame, lw),
            Mark::Segments(segments) => {
                let _ = writeln!(s, r#"<g stroke-width="{lw:.2}" stroke-linecap="square">"#);
                for &((x0, y0), (x1, y1), c) in segments {
                    let _ = writeln!(
                        s,
                        r#"<line x1="{:.2}" y1="{:.2}" x2="{:.2}" y2="{:.2}" stroke="{}"/>"#,
                        frame.sx(x0),
                        frame.sy(y0),
                        frame.sx(x1),
                        frame.sy(y1),
                        hex(c)
                    );
                }
                s.push_str("</g>\n");
            }
            Mark::Rects(rects) => {
                s.push_str("<g stroke=\"none\">\n");
                for &(x0, y0, x1, y1, c) in rects {
                    let (a, b) = (frame.sx(x0), frame.sx(x1));
                    let (c0, c1) = (frame.sy(y0), frame.sy(y1));
                    let _ = writeln!(
                        s,
                        r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{}"/>"#,
                        a.min(b),
                        c0.min(c1),
                        (b - a).abs(),
                        (c1 - c0).abs(),
                        hex(c)
                    );
                }
                s.push_str("</g>\n");
            }
            Mark::Outline { rect: (x0, y0, x1, y1), colour } => {
                let (a, b) = (frame.sx(*x0), frame.sx(*x1));
                let (c0, c1) = (frame.sy(*y0), frame.sy(*y1));
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="none" stroke="{}" stroke-width="{:.2}"/>"#,
                    a.min(b),
                    c0.min(c1),
                    (b - a).abs(),
                    (c1 - c0).abs(),
                    hex(*colour),
                    lw * 1.5
                );
            }
            Mark::Text { at, text, colour, anchor } => {
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let _ = writeln!(
                    s,
                    r#"<text x="{:.2}" y="{:.2}" font-size="{:.2}" text-anchor="{anchor}" fill="{}">{}</text>"#,
                    frame.sx(at.0),
                    frame.sy(at.1) + 0.3 * style.font_size,
                    0.85 * style.font_size,
                    hex(*colour),
                    escape(text)
                );
            }
            Mark::Rule { value, horizontal, colour, dashed } => {
                let (x0, y0, x1, y1) = if *horizontal {
                    let y = frame.sy(*value);
                    (left, y, right, y)
                } else {
                    let x = frame.sx(*value);
                    (x, top, x, bottom)
                };
                let _ = writeln!(
                    s,
                    r#"<line x1="{x0:.2}" y1="{y0:.2}" x2="{x1:.2}" y2="{y1:.2}" stroke="{}" stroke-width="{lw:.2}"{}/>"#,
                    hex(*colour),
                    dash(*dashed, lw)
                );
            }
            Mark::Raster(raster) => raster_svg(s, raster, frame),
            Mark::Dots(dots) => dots_svg(s, dots, frame, lw),
            Mark::FittedText { at, text, width, colour } => {
                let size = 0.85 * style.font_size;
                let room = (frame.sx(at.0 + width / 2.0) - frame.sx(at.0 - width / 2.0)).abs();
                let fits = (room / (0.55 * size)).floor().max(0.0) as usize;
                let shown = if text.chars().count() <= fits {
                    text.clone()
                } else if fits >= 2 {
                    format!("{}…", text.chars().take(fits - 1).collect::<String>())
                } else {
                    String::new()
                };
                if !shown.is_empty() {
                    let _ = writeln!(
                        s,
                        r#"<text x="{:.2}" y="{:.2}" font-size="{size:.2}" text-anchor="middle" fill="{}">{}</text>"#,
                        frame.sx(at.0),
                        frame.sy(at.1) + 0.3 * style.font_size,
                        hex(*colour),
                        escape(&shown)
                    );
                }
            }
            Mark::Polygon { points, fill } => polygon_svg(s, points, *fill, frame, lw),
        }
    }
    s.push_str("</g>\n");
}

fn dots_svg(s: &mut String, dots: &[(f64, f64, f64, Rgb)], frame: &Frame, lw: f64) {
    let _ = writeln!(s, r#"<g stroke="{INK}" stroke-width="{:.2}">"#, lw / 4.0);
    for &(x, y, size, c) in dots {
        let r = size.clamp(0.0, 1.0) * frame.dot;
        if r > 0.05 {
            circle_svg(s, frame, (x, y), r, c);
        }
    }
    s.push_str("</g>\n");
}

/// A filled circle of radius `r` (page units) at data point `at`; nothing when not finite.
fn circle_svg(s: &mut String, frame: &Frame, (x, y): (f64, f64), r: f64, c: Rgb) {
    if x.is_finite() && y.is_finite() {
        let _ =
            writeln!(s, r#"<circle cx="{:.2}" cy="{:.2}" r="{r:.2}" fill="{}"/>"#, frame.sx(x), frame.sy(y), hex(c));
    }
}

fn polygon_svg(s: &mut String, points: &[(f64, f64)], fill: Rgb, frame: &Frame, lw: f64) {
    let mut d = String::new();
    for (k, &(x, y)) in points.iter().filter(|p| p.0.is_finite() && p.1.is_finite()).enumerate() {
        let _ = write!(d, "{}{:.2},{:.2}", if k == 0 { "M" } else { " L" }, frame.sx(x), frame.sy(y));
    }
    if !d.is_empty() {
        let _ = writeln!(
            s,
            r#"<path d="{d} Z" fill="{}" stroke="{INK}" stroke-width="{:.2}" stroke-linejoin="round"/>"#,
            hex(fill),
            lw / 3.0
        );
    }
}

fn points_svg(s: &mut String, points: &[(f64, f64, Rgb)], highlighted: &[usize], frame: &Frame, r: f64) {
    s.push_str("<g stroke=\"none\">\n");
    for &(x, y, c) in points {
        circle_svg(s, frame, (x, y), r, c);
    }
    s.push_str("</g>\n");
    if !highlighted.is_empty() {
        let _ = writeln!(s, r##"<g fill="none" stroke="#000000" stroke-width="{:.2}">"##, r * 0.4);
        for &i in highlighted {
            if let Some(&(x, y, _)) = points.get(i).filter(|p| p.0.is_finite() && p.1.is_finite()) {
                let _ = writeln!(s, r#"<circle cx="{:.2}" cy="{:.2}" r="{:.2}"/>"#, frame.sx(x), frame.sy(y), r * 1.6);
            }
        }
        s.push_str("</g>\n");
    }
}

fn line_svg(s: &mut String, points: &[(f64, f64)], colour: Rgb, (dashed, dots): (bool, bool), frame: &Frame, lw: f64) {
    for run in points.split(|p| !(p.0.is_finite() && p.1.is_finite())) {
        if run.len() < 2 {
            continue;
        }
        let path: Vec<String> = run.iter().map(|&(x, y)| format!("{:.2},{:.2}", frame.sx(x), frame.sy(y))).collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{lw:.2}" stroke-linejoin="round"{}/>"#,
            path.join(" "),
            hex(colour),
            dash(dashed, lw)
        );
    }
    if dots {
        for &(x, y) in points.iter().filter(|p| p.0.is_finite() && p.1.is_finite()) {
            let _ = writeln!(
                s,
                r#"<circle cx="{:.2}" cy="{:.2}" r="{:.2}" fill="{}"/>"#,
                frame.sx(x),
                frame.sy(y),
                lw * 1.8,
                hex(colour)
            );
        }
    }
}

fn raster_svg(s: &mut String, raster: &Raster, frame: &Frame) {
    let Some(png) = encode_png(raster) else { return };
    let (a, b) = (frame.sx(raster.x.0), frame.sx(raster.x.1));
    let (c0, c1) = (frame.sy(raster.y.0), frame.sy(raster.y.1));
    let _ = writeln!(
        s,
        r#"<image x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" xlink:href="data:image/png;base64,{}"/>"#,
        a.min(b),
        c0.min(c1),
        (b - a).abs(),
        (c1 - c0).abs(),
        base64(&png)
    );
}

/// The raster as PNG bytes (its pixels are opaque, so premultiplied equals straight).
fn encode_png(raster: &Raster) -> Option<Vec<u8>> {
    let size = resvg::tiny_skia::IntSize::from_wh(raster.width, raster.height)?;
    let mut rgba = raster.rgba.clone();
    for px in rgba.chunks_exact_mut(4) {
        // Premultiply, as tiny-skia stores pixels.
        let a = u16::from(px[3]);
        for c in &mut px[..3] {
            *c = ((u16::from(*c) * a + 127) / 255) as u8;
        }
    }
    resvg::tiny_skia::Pixmap::from_vec(rgba, size)?.encode_png().ok()
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One legend right of the plot, from `at` = (x, top, bottom); returns where the next starts.
/// A legend from `at` = (x, top, bottom, room across); text longer than the room is shortened.
fn legend_svg(
    s: &mut String,
    legend: &Legend,
    at: (f64, f64, f64, f64),
    (bar_height, dot): (f64, f64),
    style: &Style,
) -> f64 {
    let (x, top, bottom, room) = at;
    let f = style.font_size;
    match legend {
        Legend::None => top,
        Legend::Heading(text) => {
            let _ = writeln!(
                s,
                r#"<text x="{x:.2}" y="{:.2}" font-size="{:.2}" font-weight="bold" fill="{INK}">{}</text>"#,
                top + f * 0.8,
                f * 0.9,
                escape(&fit_text(text, room, 0.9 * f))
            );
            top + 1.4 * f
        }
        Legend::Classes(entries) | Legend::Lines(entries) => {
            let lines = matches!(legend, Legend::Lines(_));
            let row = 1.4 * f;
            let fit = (((bottom - top) / row).floor() as usize).max(1);
            let shown = if entries.len() > fit { fit - 1 } else { entries.len() };
            for (k, (label, c)) in entries.iter().take(shown).enumerate() {
                let y = top + f * 0.8 + row * k as f64;
                if lines {
                    let _ = writeln!(
                        s,
                        r#"<line x1="{x:.2}" y1="{:.2}" x2="{:.2}" y2="{:.2}" stroke="{}" stroke-width="{:.2}"/>"#,
                        y - f * 0.3,
                        x + f * 1.4,
                        y - f * 0.3,
                        hex(*c),
                        style.line_width * 1.5
                    );
                } else {
                    let _ = writeln!(
                        s,
                        r#"<circle cx="{:.2}" cy="{:.2}" r="{:.2}" fill="{}"/>"#,
                        x + f * 0.5,
                        y - f * 0.3,
                        f * 0.4,
                        hex(*c)
                    );
                }
                let _ = writeln!(
                    s,
                    r#"<text x="{:.2}" y="{y:.2}" font-size="{:.2}" fill="{INK}">{}</text>"#,
                    x + if lines { f * 1.8 } else { f * 1.2 },
                    f * 0.9,
                    escape(&fit_text(label, room - if lines { f * 1.8 } else { f * 1.2 }, 0.9 * f))
                );
            }
            if shown < entries.len() {
                let _ = writeln!(
                    s,
                    r#"<text x="{x:.2}" y="{:.2}" font-size="{:.2}" fill="{INK}">… {} more</text>"#,
                    top + f * 0.8 + row * shown as f64,
                    f * 0.9,
                    entries.len() - shown
                );
            }
            top + row * (shown + usize::from(shown < entries.len())) as f64 + 0.6 * f
        }
        Legend::ColourBar { label, min, max, colours } => {
            let (bar_top, bar_bottom) = (top + f, (top + bar_height - f).min(bottom - f));
            let n = colours.len().max(1) as f64;
            for (k, &c) in colours.iter().enumerate() {
                let y = bar_bottom - (k as f64 + 1.0) / n * (bar_bottom - bar_top);
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
                    r#"<text x="{:.2}" y="{:.2}" font-size="{:.2}" fill="{INK}">{}</text>"#,
                    x + f * 1.3,
                    y + f * 0.3,
                    f * 0.8,
                    short_number(v)
                );
            }
            let _ = writeln!(
                s,
                r#"<text x="{x:.2}" y="{:.2}" font-size="{:.2}" fill="{INK}">{}</text>"#,
                top + f * 0.4,
                f * 0.8,
                escape(&fit_text(label, room, 0.8 * f))
            );
            bar_bottom + 1.6 * f
        }
        Legend::Sizes { label, entries } => {
            sizes_svg(s, &fit_text(label, room, 0.8 * f), entries, (x, top, dot), style)
        }
    }
}

/// The dot sizes of a dot plot, from `top`; returns where the next legend starts.
fn sizes_svg(
    s: &mut String,
    label: &str,
    entries: &[(String, f64)],
    (x, top, dot): (f64, f64, f64),
    style: &Style,
) -> f64 {
    let f = style.font_size;
    let _ = writeln!(
        s,
        r#"<text x="{x:.2}" y="{:.2}" font-size="{:.2}" fill="{INK}">{}</text>"#,
        top + f * 0.8,
        f * 0.8,
        escape(label)
    );
    let row = (2.0 * dot).max(1.3 * f);
    let mut y = top + 1.4 * f;
    for (text, size) in entries {
        let cy = y + row / 2.0;
        let _ = writeln!(
            s,
            r#"<circle cx="{:.2}" cy="{cy:.2}" r="{:.2}" fill="{GREY}" stroke="{INK}" stroke-width="{:.2}"/>"#,
            x + dot.max(0.5 * f),
            size.clamp(0.0, 1.0) * dot,
            style.line_width / 4.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.2}" y="{:.2}" font-size="{:.2}" fill="{INK}">{}</text>"#,
            x + 2.0 * dot.max(0.5 * f) + 0.4 * f,
            cy + 0.3 * f,
            f * 0.8,
            escape(text)
        );
        y += row;
    }
    y + 0.6 * f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_ticks_are_short() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(tick_label(-0.0, 1.0), "0");
        assert_eq!(tick_label(0.25, 0.05), "0.25");
        assert_eq!(tick_label(-1e-17, 0.2), "0.0");
    }

    #[test]
    fn colour_bar_numbers_are_short() {
        assert_eq!(short_number(76.072_985), "76.07");
        assert_eq!(short_number(0.401_559), "0.4016");
        assert_eq!(short_number(2.5), "2.5");
        assert_eq!(short_number(12_345.6), "12346");
        assert_eq!(short_number(0.0), "0");
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
