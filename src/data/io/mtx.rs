//! 10x Genomics Matrix Market layouts: a directory holding `matrix.mtx` with
//! `genes.tsv` (v2) or `features.tsv` (v3) and `barcodes.tsv`, each optionally gzipped; or a
//! lone `.mtx` file. The matrix is genes × cells in the file and cells × genes here.
//!
//! The entries become a sparse cells × genes matrix ([`Csr`]); an entry repeated in the file is
//! summed, as scipy's `mmread` does. Gene ids are the symbols
//! (second column) when the features file has them; a repeated symbol is disambiguated with
//! its gene id, as `SYMBOL (ENSG…)`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::super::dataset::RawData;
use super::super::error::{LoadError, LoadErrorKind};
use super::super::sparse::Csr;
use super::text;
use super::{LoadReport, Loaded, Orientation};

/// Loads a 10x directory.
pub fn load_10x_dir(dir: &Path) -> Result<Loaded, LoadError> {
    let matrix_path = find(dir, &["matrix.mtx"])
        .ok_or_else(|| LoadError::file(dir, LoadErrorKind::Mtx("no matrix.mtx(.gz) in this directory".into())))?;
    let features_path = find(dir, &["features.tsv", "genes.tsv"]).ok_or_else(|| {
        LoadError::file(
            dir,
            LoadErrorKind::Mtx("no features.tsv or genes.tsv (optionally .gz) in this directory".into()),
        )
    })?;
    let barcodes_path = find(dir, &["barcodes.tsv"])
        .ok_or_else(|| LoadError::file(dir, LoadErrorKind::Mtx("no barcodes.tsv(.gz) in this directory".into())))?;
    let genes = read_features(&features_path)?;
    let cells = read_lines(&barcodes_path)?;
    let bytes = text::read_bytes(&matrix_path)?;
    let matrix = parse_mtx(&matrix_path, &bytes, Some((genes.len(), cells.len())))?;
    Ok(loaded(matrix, cells, genes, "10x Matrix Market directory"))
}

/// Loads a lone Matrix Market file (genes × cells); ids are numbered.
pub fn load_mtx_file(path: &Path, bytes: &[u8]) -> Result<Loaded, LoadError> {
    let matrix = parse_mtx(path, bytes, None)?;
    let cells = (1..=matrix.nrows()).map(|i| format!("cell_{i}")).collect();
    let genes = (1..=matrix.ncols()).map(|j| format!("gene_{j}")).collect();
    Ok(loaded(matrix, cells, genes, "Matrix Market file"))
}

/// Sparse files have no missing cells: absent entries are zeros.
fn loaded(matrix: Csr, cells: Vec<String>, genes: Vec<String>, format: &str) -> Loaded {
    let missing = 0;
    Loaded {
        data: RawData::new(matrix, cells, genes, Vec::new(), missing),
        report: LoadReport {
            format: format.to_owned(),
            orientation: Orientation::GenesInRows,
            orientation_reason: "Matrix Market files hold genes × cells".to_owned(),
            orientation_by_shape: false,
            missing,
            notes: Vec::new(),
            single_cell: None,
        },
    }
}

fn find(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().find_map(|name| [dir.join(name), dir.join(format!("{name}.gz"))].into_iter().find(|p| p.is_file()))
}

fn read_lines(path: &Path) -> Result<Vec<String>, LoadError> {
    let bytes = text::read_bytes(path)?;
    text::check_text(path, &bytes)?;
    Ok(text::lines(&bytes).filter(|l| !l.is_empty()).map(|l| String::from_utf8_lossy(l).trim().to_owned()).collect())
}

fn read_features(path: &Path) -> Result<Vec<String>, LoadError> {
    let rows: Vec<Vec<String>> = read_lines(path)?.iter().map(|l| l.split('\t').map(str::to_owned).collect()).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        *counts.entry(row.get(1).unwrap_or(&row[0]).as_str()).or_default() += 1;
    }
    Ok(rows
        .iter()
        .map(|row| {
            let symbol = row.get(1).unwrap_or(&row[0]);
            if counts[symbol.as_str()] > 1 && row.len() > 1 { format!("{symbol} ({})", row[0]) } else { symbol.clone() }
        })
        .collect())
}

/// Parses coordinate Matrix Market text into a sparse cells × genes matrix.
fn parse_mtx(path: &Path, bytes: &[u8], expect: Option<(usize, usize)>) -> Result<Csr, LoadError> {
    text::check_text(path, bytes)?;
    let mut lines = text::lines(bytes).enumerate();
    let bad = |line: usize, what: String| LoadError::at(path, line + 1, None, LoadErrorKind::Mtx(what));
    let (_, banner) = lines.next().ok_or_else(|| LoadError::file(path, LoadErrorKind::Empty))?;
    let banner = String::from_utf8_lossy(banner).to_ascii_lowercase();
    if !banner.starts_with("%%matrixmarket matrix coordinate") {
        return Err(bad(0, "expected '%%MatrixMarket matrix coordinate …' on the first line".into()));
    }
    let pattern = banner.contains("pattern");
    let size = lines.by_ref().find(|(_, l)| !l.starts_with(b"%") && !l.is_empty());
    let Some((size_line, size)) = size else {
        return Err(LoadError::file(path, LoadErrorKind::HeaderOnly));
    };
    let dims: Vec<usize> = String::from_utf8_lossy(size)
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| bad(size_line, "the size line must be 'rows columns entries'".into()))?;
    let [n_genes, n_cells, entries] = dims[..] else {
        return Err(bad(size_line, "the size line must be 'rows columns entries'".into()));
    };
    if let Some((genes, cells)) = expect
        && (genes, cells) != (n_genes, n_cells)
    {
        return Err(bad(
            size_line,
            format!("the matrix is {n_genes} × {n_cells} but the directory lists {genes} genes and {cells} barcodes"),
        ));
    }
    if n_genes > u32::MAX as usize || n_cells > u32::MAX as usize {
        return Err(bad(size_line, format!("{n_genes} × {n_cells} is beyond 4,294,967,295 rows or columns")));
    }
    let mut triplets = Vec::with_capacity(entries.min(1 << 28));
    let mut seen = 0usize;
    for (i, line) in lines {
        if line.is_empty() || line.starts_with(b"%") {
            continue;
        }
        let text = String::from_utf8_lossy(line);
        let mut parts = text.split_whitespace();
        let gene: usize =
            parse_index(parts.next(), n_genes).ok_or_else(|| bad(i, format!("bad row index in '{text}'")))?;
        let cell: usize =
            parse_index(parts.next(), n_cells).ok_or_else(|| bad(i, format!("bad column index in '{text}'")))?;
        let value = if pattern {
            1.0
        } else {
            parts.next().and_then(|v| v.parse::<f64>().ok()).ok_or_else(|| bad(i, format!("bad value in '{text}'")))?
        };
        triplets.push((cell as u32, gene as u32, value as f32));
        seen += 1;
    }
    if seen != entries {
        return Err(LoadError::file(
            path,
            LoadErrorKind::Mtx(format!("the header promises {entries} entries but the file has {seen} (truncated?)")),
        ));
    }
    Ok(Csr::from_triplets(n_cells, n_genes, &triplets))
}

fn parse_index(token: Option<&str>, len: usize) -> Option<usize> {
    let i: usize = token?.parse().ok()?;
    (1..=len).contains(&i).then(|| i - 1)
}
