//! Figures for papers. Every plot view builds a backend-neutral [`Figure`] (marks in data
//! coordinates, two axes, a title and a legend or colour bar) from its state — the builders
//! live in [`super::plots`], shared by the app, `biolens plot` and `biolens run`.
//! [`super::svg::figure_svg`] writes it as SVG (vector, text kept as text; only heatmap cells
//! are an embedded PNG image, as in matplotlib's SVGs), and [`svg_to_png`] rasterises that same
//! SVG with resvg, and [`svg_to_pdf`] draws that same SVG into a PDF page — one drawing path,
//! so the SVG, the PNG and the PDF never disagree. The size is asked
//! in pixels, or in mm or inches with a DPI, and never depends on a window. Output is
//! deterministic: the same figure gives the same bytes.

use crate::palette::Rgb;

/// Units of a figure's size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
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
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
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

    /// The size in PDF points (1/72 inch): mm and inches exactly, pixels at 96 to the inch.
    pub fn points(&self) -> (f64, f64) {
        let scale = match self.units {
            Units::Px => 72.0 / 96.0,
            Units::Mm => 72.0 / 25.4,
            Units::In => 72.0,
        };
        (self.width * scale, self.height * scale)
    }

    /// The `width` and `height` attributes of the SVG: pixels bare, else with their unit.
    pub(super) fn attributes(&self) -> (String, String) {
        let unit = match self.units {
            Units::Px => "",
            Units::Mm => "mm",
            Units::In => "in",
        };
        (format!("{}{unit}", self.width), format!("{}{unit}", self.height))
    }
}

/// Type, marks and lines, in pixels of the output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Font size.
    pub font_size: f64,
    /// Marker radius.
    pub marker_radius: f64,
    /// Width of data lines (curves, branches); axes are a third of it.
    pub line_width: f64,
    /// Background (`None`: transparent).
    pub background: Option<Rgb>,
}

impl Style {
    /// Sizes that suit a figure of `pixels`: text about 1/45 of the shorter side.
    pub fn for_size(pixels: (u32, u32)) -> Self {
        let short = f64::from(pixels.0.min(pixels.1));
        let font_size = (short / 45.0).max(8.0);
        Self {
            font_size,
            marker_radius: (short / 220.0).max(1.0),
            line_width: (font_size / 8.0).max(1.0),
            background: Some([255, 255, 255]),
        }
    }

    /// The projector look on request: text 1.5×, markers 1.6×, lines 2× (as the app's
    /// projector mode), for slides read from the back of a room.
    #[must_use]
    pub fn projector(self) -> Self {
        Self {
            font_size: self.font_size * 1.5,
            marker_radius: self.marker_radius * 1.6,
            line_width: self.line_width * 2.0,
            ..self
        }
    }
}

/// How an axis maps data to the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    /// Numbers with round ticks.
    Linear,
    /// Named categories: category `k` spans `k..k + 1`. On the vertical axis they run top to
    /// bottom, as rows of a table. Names are drawn when they fit.
    Categories(Vec<String>),
    /// No ticks and no labels (e.g. the leaves of a large dendrogram).
    Hidden,
}

/// An axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The label, with units.
    pub label: String,
    /// How data maps to the page.
    pub scale: Scale,
    /// The data range shown (`None`: from the marks, padded 5 %; categories: `0..n`).
    pub range: Option<(f64, f64)>,
    /// Numeric ticks only within this range (e.g. not beside a strip under a dendrogram).
    pub ticks: Option<(f64, f64)>,
}

impl Axis {
    /// A numeric axis fitted to the marks.
    pub fn linear(label: impl Into<String>) -> Self {
        Self { label: label.into(), scale: Scale::Linear, range: None, ticks: None }
    }

    /// A numeric axis over `range`.
    pub fn linear_over(label: impl Into<String>, range: (f64, f64)) -> Self {
        Self { label: label.into(), scale: Scale::Linear, range: Some(range), ticks: None }
    }

    /// A categorical axis.
    pub fn categories(label: impl Into<String>, names: Vec<String>) -> Self {
        Self { label: label.into(), scale: Scale::Categories(names), range: None, ticks: None }
    }

    /// An axis without ticks over `range`.
    pub fn hidden(label: impl Into<String>, range: (f64, f64)) -> Self {
        Self { label: label.into(), scale: Scale::Hidden, range: Some(range), ticks: None }
    }
}

/// Horizontal alignment of a text mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Starts at the point.
    Start,
    /// Centred on the point.
    Middle,
    /// Ends at the point.
    End,
}

/// A raster of cells (heatmaps), embedded in the SVG as a PNG image.
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// RGBA bytes, row by row from the top.
    pub rgba: Vec<u8>,
    /// Data x range covered.
    pub x: (f64, f64),
    /// Data y range covered (top row at `y.0` on a categorical axis, at `y.1` otherwise).
    pub y: (f64, f64),
}

/// A straight segment from one point to another, with its colour.
pub type Segment = ((f64, f64), (f64, f64), Rgb);

/// Something drawn in data coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// Points, drawn in order; `highlighted` (by index) are outlined afterwards.
    Points {
        /// (x, y, colour) of every point.
        points: Vec<(f64, f64, Rgb)>,
        /// Indices of the points outlined (the selection).
        highlighted: Vec<usize>,
    },
    /// A polyline (breaks at non-finite points), optionally with a dot at every vertex.
    Line {
        /// Vertices.
        points: Vec<(f64, f64)>,
        /// Colour.
        colour: Rgb,
        /// Dashed (reference lines such as chance).
        dashed: bool,
        /// A dot at every vertex.
        dots: bool,
    },
    /// Straight segments, each with its colour (dendrogram branches).
    Segments(Vec<Segment>),
    /// Filled rectangles (x0, y0, x1, y1, colour): bars, cells, strips.
    Rects(Vec<(f64, f64, f64, f64, Rgb)>),
    /// An unfilled rectangle (a chosen cell).
    Outline {
        /// (x0, y0, x1, y1).
        rect: (f64, f64, f64, f64),
        /// Colour.
        colour: Rgb,
    },
    /// Text at a point.
    Text {
        /// Position.
        at: (f64, f64),
        /// The text.
        text: String,
        /// Colour.
        colour: Rgb,
        /// Alignment.
        anchor: Anchor,
    },
    /// Centred text shortened with "…" to fit `width` data units across (labels over brackets).
    FittedText {
        /// Centre.
        at: (f64, f64),
        /// The text.
        text: String,
        /// Room across, in data units.
        width: f64,
        /// Colour.
        colour: Rgb,
    },
    /// A line across the whole plot at y (`horizontal`) or x.
    Rule {
        /// The value.
        value: f64,
        /// Horizontal (at y) or vertical (at x).
        horizontal: bool,
        /// Colour.
        colour: Rgb,
        /// Dashed.
        dashed: bool,
    },
    /// A raster of cells.
    Raster(Raster),
    /// Dots of varying size on a grid of unit cells (dot plots): (x, y, size 0–1, colour); a
    /// size of 1 is the largest dot that fits a cell (see [`Legend::Sizes`]), outlined thinly.
    Dots(Vec<(f64, f64, f64, Rgb)>),
    /// A filled polygon with a thin outline (violins).
    Polygon {
        /// Vertices, in order.
        points: Vec<(f64, f64)>,
        /// Fill.
        fill: Rgb,
    },
}

/// The legend of a figure.
#[derive(Debug, Clone, PartialEq)]
pub enum Legend {
    /// None.
    None,
    /// A line of text over the entries below it (the annotation a strip shows).
    Heading(String),
    /// Class names and colours, as dots.
    Classes(Vec<(String, Rgb)>),
    /// Series names and colours, as short lines.
    Lines(Vec<(String, Rgb)>),
    /// A colour bar.
    ColourBar {
        /// What the colours mean.
        label: String,
        /// Value at the bottom.
        min: f64,
        /// Value at the top.
        max: f64,
        /// Colours from `min` to `max`, evenly spaced.
        colours: Vec<Rgb>,
    },
    /// What dot sizes mean (dot plots).
    Sizes {
        /// What the sizes mean.
        label: String,
        /// (label, size 0–1) of each example dot.
        entries: Vec<(String, f64)>,
    },
}

impl Legend {
    /// The dot sizes of a dot plot: (label, size 0–1) drawn as [`Mark::Dots`] draws them.
    #[must_use]
    pub fn sizes(label: impl Into<String>, entries: Vec<(String, f64)>) -> Self {
        Self::Sizes { label: label.into(), entries }
    }

    /// A viridis colour bar.
    pub fn viridis(label: impl Into<String>, min: f64, max: f64) -> Self {
        let colours = (0..64u32).map(|k| crate::palette::viridis((f64::from(k) + 0.5) / 64.0)).collect();
        Self::ColourBar { label: label.into(), min, max, colours }
    }
}

/// A figure: one plot with its axes, marks, title and legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Title over the plot (empty: none).
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Drawn in order.
    pub marks: Vec<Mark>,
    /// Legends and colour bars, stacked right of the plot.
    pub legends: Vec<Legend>,
    /// Frame the plot area (off for heatmaps with dendrograms in their margins).
    pub frame: bool,
}

/// A scatter plot (PCA, t-SNE).
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
    /// What the colours are (the annotation's name), set over a legend of classes so a reader
    /// of the figure knows; empty: none.
    pub legend_title: String,
}

impl From<Scatter> for Figure {
    fn from(s: Scatter) -> Self {
        let legends = match s.legend {
            classes @ Legend::Classes(_) if !s.legend_title.is_empty() => {
                vec![Legend::Heading(s.legend_title), classes]
            }
            legend => vec![legend],
        };
        Self {
            title: s.title,
            x: Axis::linear(s.x_label),
            y: Axis::linear(s.y_label),
            marks: vec![Mark::Points { points: s.points, highlighted: s.highlighted }],
            legends,
            frame: true,
        }
    }
}

impl Figure {
    /// The selection outlines are dropped (the export option is off).
    #[must_use]
    pub fn without_highlights(mut self) -> Self {
        for mark in &mut self.marks {
            if let Mark::Points { highlighted, .. } = mark {
                highlighted.clear();
            }
        }
        self
    }
}

/// Where a figure's plot area lies on the page, and the data range it shows: for pointing at
/// a figure shown on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotArea {
    /// Left edge, in output pixels.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Right edge.
    pub right: f64,
    /// Bottom edge.
    pub bottom: f64,
    /// Data x range, left to right.
    pub x: (f64, f64),
    /// Data y range: top to bottom when `y_down` (categories), bottom to top otherwise.
    pub y: (f64, f64),
    /// Categories on the vertical axis run top to bottom.
    pub y_down: bool,
}

impl PlotArea {
    /// The data point under page position (`px`, `py`), or `None` outside the plot area.
    pub fn data(&self, px: f64, py: f64) -> Option<(f64, f64)> {
        if px < self.left || px > self.right || py < self.top || py > self.bottom {
            return None;
        }
        let x = self.x.0 + (px - self.left) / (self.right - self.left) * (self.x.1 - self.x.0);
        let t = if self.y_down {
            (py - self.top) / (self.bottom - self.top)
        } else {
            (self.bottom - py) / (self.bottom - self.top)
        };
        Some((x, self.y.0 + t * (self.y.1 - self.y.0)))
    }

    /// The page position of data point (`x`, `y`).
    pub fn page(&self, x: f64, y: f64) -> (f64, f64) {
        let px = self.left + (x - self.x.0) / (self.x.1 - self.x.0) * (self.right - self.left);
        let t = (y - self.y.0) / (self.y.1 - self.y.0);
        let py = if self.y_down {
            self.top + t * (self.bottom - self.top)
        } else {
            self.bottom - t * (self.bottom - self.top)
        };
        (px, py)
    }
}

/// The plot area of `fig` drawn at `size` (`None` when the page is too small for one).
pub fn plot_area(fig: &Figure, size: &Size, style: &Style) -> Option<PlotArea> {
    super::svg::layout(fig, size, style)
}

/// The figure as an SVG document of `size` (see [`super::svg`]).
pub fn figure_svg(fig: &Figure, size: &Size, style: &Style) -> String {
    super::svg::figure_svg(fig, size, style)
}

/// The scatter as an SVG document of `size`.
pub fn scatter_svg(fig: &Scatter, size: &Size, style: &Style) -> String {
    figure_svg(&Figure::from(fig.clone()), size, style)
}

/// The file formats of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureFormat {
    /// Vector, text as text (the drawing itself).
    Svg,
    /// The SVG rasterised by resvg at the size in pixels.
    Png,
    /// The SVG drawn into one PDF page of the size (vector, fonts embedded).
    Pdf,
}

impl FigureFormat {
    /// The format a file name asks for, by its extension in any case; `None` for anything else.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("png") => Some(Self::Png),
            Some("svg") => Some(Self::Svg),
            Some("pdf") => Some(Self::Pdf),
            _ => None,
        }
    }

    /// The file extension, lower case.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Svg => "svg",
            Self::Png => "png",
            Self::Pdf => "pdf",
        }
    }
}

/// A figure as file bytes: SVG, the same SVG as a PNG of exactly `size.pixels()`, or as a PDF
/// whose page is `size` ([`svg_to_pdf`]).
pub fn render(fig: &Figure, size: &Size, style: &Style, format: FigureFormat) -> Result<Vec<u8>, FigureError> {
    let svg = figure_svg(fig, size, style);
    match format {
        FigureFormat::Svg => Ok(svg.into_bytes()),
        FigureFormat::Png => svg_to_png(&svg, size.pixels()),
        FigureFormat::Pdf => svg_to_pdf(&svg, size),
    }
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
    /// The PDF could not be written.
    #[error("cannot make the PDF: {0}")]
    Pdf(String),
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

/// The SVG parsed with the bundled font as its only (sans-serif) font.
fn parse(svg: &str) -> Result<resvg::usvg::Tree, FigureError> {
    use resvg::usvg;
    let mut options = usvg::Options::default();
    let db = options.fontdb_mut();
    db.load_font_data(FONT.to_vec());
    let family = db.faces().next().and_then(|f| f.families.first()).map(|f| f.0.clone());
    if let Some(family) = family {
        db.set_sans_serif_family(family);
    }
    usvg::Tree::from_str(svg, &options).map_err(|e| FigureError::Svg(e.to_string()))
}

/// Draws `svg` into a one-page PDF whose page is `size`: millimetres and inches exactly,
/// pixels at 96 to the inch (as CSS and the SVG's own size). Everything stays vector; text is
/// text in the bundled font, embedded as a subset (searchable and selectable); a heatmap's
/// cells stay the SVG's embedded image. Written by krilla-svg (see Cargo.toml for why not
/// svg2pdf); the bytes are the same for the same figure.
pub fn svg_to_pdf(svg: &str, size: &Size) -> Result<Vec<u8>, FigureError> {
    use krilla_svg::{SurfaceExt as _, SvgSettings};
    let tree = parse(svg)?;
    let (width, height) = size.points();
    let page = krilla::geom::Size::from_wh(width as f32, height as f32)
        .ok_or_else(|| FigureError::Pdf(format!("a page of {width} × {height} pt")))?;
    let mut document = krilla::Document::new();
    let mut pdf_page = document.start_page_with(krilla::page::PageSettings::new(page));
    let mut surface = pdf_page.surface();
    let drawn = surface.draw_svg(&tree, page, SvgSettings::default());
    surface.finish();
    pdf_page.finish();
    drawn.ok_or_else(|| FigureError::Pdf("the drawing could not be converted".to_owned()))?;
    document.finish().map_err(|e| FigureError::Pdf(format!("{e:?}")))
}

fn raster(svg: &str, pixels: (u32, u32)) -> Result<resvg::tiny_skia::Pixmap, FigureError> {
    use resvg::tiny_skia;
    let tree = parse(svg)?;
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
}
