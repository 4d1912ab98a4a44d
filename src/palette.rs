//! Colours shared by the app and figure export (plain RGB, no egui): Okabe–Ito for
//! classes (colour-blind safe) and viridis for continuous values.

/// An sRGB colour.
pub type Rgb = [u8; 3];

/// Okabe & Ito (2008): eight colours distinguishable with the common colour-vision
/// deficiencies. Black is last: it is kept for text and the 8th class.
pub const OKABE_ITO: [Rgb; 8] = [
    [230, 159, 0],   // orange
    [86, 180, 233],  // sky blue
    [0, 158, 115],   // bluish green
    [240, 228, 66],  // yellow
    [0, 114, 178],   // blue
    [213, 94, 0],    // vermillion
    [204, 121, 167], // reddish purple
    [0, 0, 0],       // black
];

/// Colour of missing values.
pub const MISSING: Rgb = [160, 160, 160];

/// A colour written as `#rrggbb` (or `#rrggbbaa`, alpha ignored), as matplotlib and scanpy
/// write them; `None` for anything else.
pub fn parse_hex(text: &str) -> Option<Rgb> {
    let hex = text.trim().strip_prefix('#')?;
    if !(hex.len() == 6 || hex.len() == 8) || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// Colour of class `k`: Okabe–Ito for the first eight, then the same hues lightened
/// (and then darkened) so up to 24 classes stay distinct; beyond that the cycle repeats.
pub fn categorical(k: usize) -> Rgb {
    let base = OKABE_ITO[k % 8];
    let mix = |c: Rgb, toward: u8, amount: f32| {
        c.map(|v| (f32::from(v) + (f32::from(toward) - f32::from(v)) * amount).round() as u8)
    };
    match (k / 8) % 3 {
        0 => base,
        1 => mix(base, 255, 0.5),
        // Black cannot get darker: its third variant is a dark grey.
        _ if base == [0, 0, 0] => [70, 70, 70],
        _ => mix(base, 0, 0.4),
    }
}

/// Colour of class `k` on a dark background: as [`categorical`], but the black and dark
/// grey variants (invisible on dark) become light greys.
pub fn categorical_on_dark(k: usize) -> Rgb {
    match categorical(k) {
        [0, 0, 0] => [225, 225, 225],
        [70, 70, 70] => [170, 170, 170],
        other => other,
    }
}

/// Viridis control points (matplotlib's, every 1/8).
const VIRIDIS: [Rgb; 9] = [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
];

/// Viridis at `t` in `[0, 1]` (clamped; `NaN` gives [`MISSING`]).
pub fn viridis(t: f64) -> Rgb {
    interpolate(&VIRIDIS, t)
}

/// Linear interpolation between evenly spaced control points at `t` in `[0, 1]` (clamped;
/// `NaN` gives [`MISSING`]).
fn interpolate(points: &[Rgb], t: f64) -> Rgb {
    if t.is_nan() {
        return MISSING;
    }
    let segments = points.len() - 1;
    let x = t.clamp(0.0, 1.0) * segments as f64;
    let i = (x.floor() as usize).min(segments - 1);
    let f = x - i as f64;
    let (a, b) = (points[i], points[i + 1]);
    [0, 1, 2].map(|c| (f64::from(a[c]) + (f64::from(b[c]) - f64::from(a[c])) * f).round() as u8)
}

/// Blue–white–red control points (`ColorBrewer`'s `RdBu`, reversed: low values blue).
const BLUE_WHITE_RED: [Rgb; 11] = [
    [5, 48, 97],
    [33, 102, 172],
    [67, 147, 195],
    [146, 197, 222],
    [209, 229, 240],
    [247, 247, 247],
    [253, 219, 199],
    [244, 165, 130],
    [214, 96, 77],
    [178, 24, 43],
    [103, 0, 31],
];

/// A diverging scale at `t` in `[0, 1]`: blue below ½, white at ½, red above (for z-scores).
pub fn diverging(t: f64) -> Rgb {
    interpolate(&BLUE_WHITE_RED, t)
}

/// `ColorBrewer`'s sequential `Reds` (matplotlib's; scanpy's dot plots).
const REDS: [Rgb; 9] = [
    [255, 245, 240],
    [254, 224, 210],
    [252, 187, 161],
    [252, 146, 114],
    [251, 106, 74],
    [239, 59, 44],
    [203, 24, 29],
    [165, 15, 21],
    [103, 0, 13],
];

/// `ColorBrewer`'s sequential `Blues` (matplotlib's; scanpy's stacked violins).
const BLUES: [Rgb; 9] = [
    [247, 251, 255],
    [222, 235, 247],
    [198, 219, 239],
    [158, 202, 225],
    [107, 174, 214],
    [66, 146, 198],
    [33, 113, 181],
    [8, 81, 156],
    [8, 48, 107],
];

/// White to dark red at `t` in `[0, 1]`.
pub fn reds(t: f64) -> Rgb {
    interpolate(&REDS, t)
}

/// White to dark blue at `t` in `[0, 1]`.
pub fn blues(t: f64) -> Rgb {
    interpolate(&BLUES, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_colours_as_matplotlib_writes_them() {
        assert_eq!(parse_hex("#1f77b4"), Some([0x1f, 0x77, 0xb4]));
        assert_eq!(parse_hex("#1F77B4FF"), Some([0x1f, 0x77, 0xb4]));
        assert_eq!(parse_hex("red"), None);
        assert_eq!(parse_hex("#12"), None);
    }

    #[test]
    fn viridis_ends_and_missing() {
        assert_eq!(viridis(0.0), VIRIDIS[0]);
        assert_eq!(viridis(1.0), VIRIDIS[8]);
        assert_eq!(viridis(2.0), VIRIDIS[8]);
        assert_eq!(viridis(f64::NAN), MISSING);
        assert_eq!(diverging(0.5), [247, 247, 247]);
        assert_eq!(diverging(0.0), BLUE_WHITE_RED[0]);
    }

    #[test]
    fn first_24_classes_are_distinct() {
        let colours: std::collections::HashSet<Rgb> = (0..24).map(categorical).collect();
        assert_eq!(colours.len(), 24);
        let on_dark: std::collections::HashSet<Rgb> = (0..24).map(categorical_on_dark).collect();
        assert_eq!(on_dark.len(), 24);
        assert!(!on_dark.contains(&[0, 0, 0]));
    }
}
