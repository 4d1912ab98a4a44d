//! CSV tables with RFC 4180 quoting and numbers written so they read back exactly.

use std::io::{self, Write};

use ndarray::ArrayView2;

/// Quotes a field when it holds a comma, a quote or a line break.
pub fn field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// Writes `id_header,names…` then one row per id: `id,values…` (shortest exact form;
/// `NaN` as an empty cell).
pub fn write_matrix(
    out: &mut dyn Write,
    id_header: &str,
    ids: &[String],
    names: &[String],
    values: ArrayView2<'_, f64>,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    write!(out, "{}", field(id_header))?;
    for name in names {
        write!(out, ",{}", field(name))?;
    }
    writeln!(out)?;
    for (id, row) in ids.iter().zip(values.rows()) {
        write!(out, "{}", field(id))?;
        for v in row {
            if v.is_nan() {
                write!(out, ",")?;
            } else {
                write!(out, ",{v}")?;
            }
        }
        writeln!(out)?;
    }
    out.flush()
}

/// Writes the square matrix of a condensed one (the upper triangle row by row, zero diagonal)
/// as [`write_matrix`] would write it with `ids` across and down, without building it.
pub fn write_condensed_square(
    out: &mut dyn Write,
    id_header: &str,
    ids: &[String],
    condensed: &[f64],
) -> io::Result<()> {
    let n = ids.len();
    debug_assert_eq!(condensed.len(), n * n.saturating_sub(1) / 2);
    let mut out = io::BufWriter::new(out);
    write!(out, "{}", field(id_header))?;
    for id in ids {
        write!(out, ",{}", field(id))?;
    }
    writeln!(out)?;
    // Row i: column j < i is pair (j, i), at offset start(j) + i − j − 1; then 0; then row i's run.
    let start = |i: usize| i * n - i * (i + 1) / 2;
    for (i, id) in ids.iter().enumerate() {
        write!(out, "{}", field(id))?;
        for j in 0..i {
            write!(out, ",{}", condensed[start(j) + i - j - 1])?;
        }
        write!(out, ",{}", 0.0)?;
        for v in &condensed[start(i)..start(i) + n - i - 1] {
            write!(out, ",{v}")?;
        }
        writeln!(out)?;
    }
    out.flush()
}

/// Writes a merge tree in `SciPy`'s linkage layout: `left,right,height,size`, one merge per row.
pub fn write_merges(
    out: &mut dyn Write,
    merges: &[crate::analysis::clustering::hierarchical::Merge],
) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    writeln!(out, "left,right,height,size")?;
    for m in merges {
        writeln!(out, "{},{},{},{}", m.left, m.right, m.height, m.size)?;
    }
    out.flush()
}

/// Writes `sample_id,cluster`: clusters numbered from 0, −1 for none (DBSCAN noise).
pub fn write_labels(out: &mut dyn Write, ids: &[String], clusters: &[Option<usize>]) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    writeln!(out, "sample_id,cluster")?;
    for (id, c) in ids.iter().zip(clusters) {
        match c {
            Some(c) => writeln!(out, "{},{c}", field(id))?,
            None => writeln!(out, "{},-1", field(id))?,
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_condensed_square_reads_as_the_full_one() {
        let ids: Vec<String> = ["a", "b", "c"].map(str::to_owned).to_vec();
        let (mut condensed, mut full) = (Vec::new(), Vec::new());
        write_condensed_square(&mut condensed, "id", &ids, &[1.5, 2.0, 3.25]).unwrap();
        let square = array![[0.0, 1.5, 2.0], [1.5, 0.0, 3.25], [2.0, 3.25, 0.0]];
        write_matrix(&mut full, "id", &ids, &ids, square.view()).unwrap();
        assert_eq!(String::from_utf8(condensed).unwrap(), String::from_utf8(full).unwrap());
    }

    #[test]
    fn quotes_and_exact_numbers() {
        let mut buf = Vec::new();
        let ids = vec!["a,b".to_owned(), "c".to_owned()];
        let names = vec!["PC1".to_owned()];
        write_matrix(&mut buf, "sample_id", &ids, &names, array![[0.1], [f64::NAN]].view()).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), "sample_id,PC1\n\"a,b\",0.1\nc,\n");
    }
}
