//! `biolens plot`: a view as a figure file (SVG, or PNG through the same SVG), at a size in
//! pixels, mm or inches, headless.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::{DataArgs, OutFile};
use crate::analysis::pca::{PcaParams, pca};
use crate::analysis::tsne::TsneParams;
use crate::data::Dataset;
use crate::data::annotations::AnnotationValues;
use crate::export::figure::{Legend, Scatter, Size, Style, Units, scatter_svg, svg_to_png};
use crate::palette;

/// `biolens plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The view to draw.
    #[arg(value_enum)]
    pub view: PlotView,
    /// Loading and preprocessing.
    #[command(flatten)]
    pub data: DataArgs,
    /// Colour the points by this annotation.
    #[arg(long, value_name = "COLUMN")]
    pub color_by: Option<String>,
    /// The figure file: .svg or .png.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Width in `--units`.
    #[arg(long, default_value_t = 1200.0)]
    pub width: f64,
    /// Height in `--units`.
    #[arg(long, default_value_t = 900.0)]
    pub height: f64,
    /// Units of the size.
    #[arg(long, value_enum, default_value_t = UnitsArg::Px)]
    pub units: UnitsArg,
    /// Dots per inch, for mm and inches.
    #[arg(long, default_value_t = 300.0)]
    pub dpi: f64,
    /// Title over the plot (default: the dataset and the view).
    #[arg(long)]
    pub title: Option<String>,
    /// Font size in output pixels (default: from the size).
    #[arg(long)]
    pub font_size: Option<f64>,
    /// Marker radius in output pixels (default: from the size).
    #[arg(long)]
    pub marker_size: Option<f64>,
    /// Transparent instead of white background.
    #[arg(long)]
    pub transparent: bool,
    /// t-SNE seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `plot` views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlotView {
    /// PC1 against PC2.
    Pca,
    /// The t-SNE embedding (openTSNE's defaults).
    Tsne,
}

/// `--units` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UnitsArg {
    /// Pixels.
    Px,
    /// Millimetres.
    Mm,
    /// Inches.
    In,
}

/// Point colours and the legend for an annotation (or one colour).
fn colours(dataset: &Dataset, color_by: Option<&str>) -> anyhow::Result<(Vec<palette::Rgb>, Legend)> {
    let n = dataset.n_samples();
    let Some(name) = color_by else { return Ok((vec![palette::OKABE_ITO[4]; n], Legend::None)) };
    let a = dataset
        .annotations()
        .iter()
        .find(|a| a.name == name)
        .with_context(|| format!("--color-by: no annotation '{name}'"))?;
    Ok(match &a.values {
        AnnotationValues::Categorical { levels, codes } => (
            codes.iter().map(|c| c.map_or(palette::MISSING, |c| palette::categorical(c as usize))).collect(),
            Legend::Classes(levels.iter().enumerate().map(|(k, l)| (l.clone(), palette::categorical(k))).collect()),
        ),
        AnnotationValues::Numeric(values) => {
            let (min, max) = values
                .iter()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
            let span = if max > min { max - min } else { 1.0 };
            (
                values.iter().map(|v| palette::viridis((v - min) / span)).collect(),
                Legend::ColourBar { label: name.to_owned(), min, max },
            )
        }
    })
}

pub(super) fn run(args: &PlotArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let png = match args.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => true,
        Some("svg") => false,
        _ => anyhow::bail!("--out must end in .svg or .png: {}", args.out.display()),
    };
    if !(args.width > 0.0 && args.height > 0.0 && args.dpi > 0.0) {
        anyhow::bail!("--width, --height and --dpi must be positive");
    }
    let file = OutFile::create(&args.out)?;
    let dataset = args.data.open()?;
    let (colors, legend) = colours(&dataset, args.color_by.as_deref())?;
    let x = dataset.matrix().view();
    let (coords, x_label, y_label, what) = match args.view {
        PlotView::Pca => {
            let fit = pca(x, &PcaParams::new(2), None)?;
            let label = |k: usize| {
                format!(
                    "PC{} ({:.1} % of variance)",
                    k + 1,
                    100.0 * fit.explained_variance_ratio.get(k).copied().unwrap_or(0.0)
                )
            };
            (fit.scores.clone(), label(0), label(1), "PCA")
        }
        PlotView::Tsne => {
            let params = TsneParams { seed: args.seed, ..TsneParams::default() };
            let embedding = crate::analysis::tsne::run(x, &params, None, |_, _| {})?;
            (embedding, "t-SNE 1".to_owned(), "t-SNE 2".to_owned(), "t-SNE")
        }
    };
    let fig = Scatter {
        title: args.title.clone().unwrap_or_else(|| format!("{} — {what}", dataset.name)),
        x_label,
        y_label,
        points: (0..coords.nrows()).map(|i| (coords[[i, 0]], coords[[i, 1]], colors[i])).collect(),
        highlighted: Vec::new(),
        legend,
    };
    let units = match args.units {
        UnitsArg::Px => Units::Px,
        UnitsArg::Mm => Units::Mm,
        UnitsArg::In => Units::In,
    };
    let size = Size { width: args.width, height: args.height, units, dpi: args.dpi };
    let pixels = size.pixels();
    let mut style = Style::for_size(pixels);
    if let Some(f) = args.font_size {
        style.font_size = f;
    }
    if let Some(m) = args.marker_size {
        style.marker_radius = m;
    }
    if args.transparent {
        style.background = None;
    }
    let svg = scatter_svg(&fig, &size, &style);
    if png {
        let bytes = svg_to_png(&svg, pixels)?;
        file.write_with(|w| w.write_all(&bytes))?;
    } else {
        file.write_with(|w| w.write_all(svg.as_bytes()))?;
    }
    writeln!(
        out,
        "{what} of {} samples: {} × {} px figure written to {}",
        coords.nrows(),
        pixels.0,
        pixels.1,
        args.out.display()
    )?;
    Ok(())
}
