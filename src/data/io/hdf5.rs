//! Single-cell HDF5 files: `AnnData` `.h5ad` (every encoding from anndata 0.5 to today), Loom
//! and Cell Ranger's `.h5` (v2, one group per genome; v3, `matrix/features`).
//!
//! # The reader: `hdf5-pure`
//! A pure-Rust HDF5 reader: no system HDF5 library and no cmake in CI (`hdf5-metno`'s static
//! build needs both), no second `ndarray` (its `ndarray` feature, which pulls ndarray 0.17, is
//! left off) and no polars. It reads deflate (gzip), shuffle and LZF filters, v1 and v2 groups
//! and every chunk index anndata, loompy and Cell Ranger (`PyTables`) write. The file is opened
//! *streaming*: chunks are read from disk as a dataset is read, so the file's bytes are never
//! held next to the matrix. Integer arrays are read in blocks ([`BLOCK`]) and converted as they
//! come, so `i64` indices never exist in memory beside the `u32` ones.
//!
//! # What becomes what
//! - The matrix: `X` (or `raw/X`, or `layers/NAME`, chosen in [`LoadOptions`]); sparse groups
//!   (CSR or CSC, `encoding-type` or anndata 0.5's `h5sparse_format`) become a [`Csr`] of cells ×
//!   genes; a dense `X` stays dense.
//! - `obs` columns become annotations: categoricals (today's groups with `categories`/`codes`,
//!   0.7's `__categories`, 0.5's codes with `uns/NAME_categories`), numbers, booleans and
//!   nullable integers/booleans (missing where the mask says). A text column with a different
//!   value in nearly every cell (ids, barcodes) is left out, with a note.
//! - `var` gives the gene ids (its index) and gene annotations; `obsm` 2-D arrays give stored
//!   embeddings (`X_umap`, `X_pca`, …); `uns/NAME_colors` the colours of categories.
//! - Loom: `/matrix` genes × cells with `row_attrs` (genes), `col_attrs` (cells) and `layers`.
//! - Cell Ranger: the counts (`data`/`indices`/`indptr`, per cell), `barcodes`, and the gene
//!   symbols as ids (a repeated symbol gets its gene id, as in 10x directories); v3 keeps the
//!   chosen `feature_type` (Gene Expression by default).
//!
//! Every failure names the file and the HDF5 path at fault, e.g. `/obs/cell_type/codes`.

use std::collections::HashMap;
use std::path::Path;

use hdf5_pure::{AttrValue, DType, Dataset as H5Dataset, Datatype, File, Group};
use ndarray::Array2;

use super::super::annotations::{Annotation, AnnotationValues};
use super::super::dataset::RawData;
use super::super::error::{LoadError, LoadErrorKind};
use super::super::sparse::{Csr, CsrError};
use super::{LoadOptions, LoadReport, Loaded, Orientation, Progress};

/// Elements converted per block when an array is read and converted.
pub const BLOCK: u64 = 1 << 22;

/// The Loom/Cell Ranger feature type kept unless another is asked for.
pub const GENE_EXPRESSION: &str = "Gene Expression";

/// A text column with more distinct values than this and than half the cells is an id, not an
/// annotation.
const MAX_TEXT_LEVELS: usize = 1000;

/// What a single-cell file holds beyond the matrix: for `info` and the app.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SingleCellInfo {
    /// Which matrix was read ("X", "raw/X", "layers/counts", "/matrix", …).
    pub matrix: String,
    /// Layers the file also holds.
    pub layers: Vec<String>,
    /// True when the file holds `raw`.
    pub has_raw: bool,
    /// Stored embeddings (`obsm` keys with two or more columns).
    pub embeddings: Vec<String>,
    /// Gene annotation columns (`var`).
    pub gene_columns: Vec<String>,
    /// Genomes (Cell Ranger v2) or feature types (v3) in the file.
    pub groups: Vec<String>,
}

/// An embedding stored with the data (an `obsm` entry): one row per cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    /// Its key, e.g. `X_umap`.
    pub name: String,
    /// Cells × dimensions.
    pub coords: Array2<f64>,
}

/// The colours a file gives to the levels of a categorical annotation (`uns/NAME_colors`).
#[derive(Debug, Clone, PartialEq)]
pub struct LevelColours {
    /// The annotation.
    pub annotation: String,
    /// (level, colour as written, e.g. `#1f77b4`).
    pub colours: Vec<(String, String)>,
}

/// True when `head` starts with the HDF5 signature.
pub fn is_hdf5(head: &[u8]) -> bool {
    head.starts_with(b"\x89HDF\r\n\x1a\n")
}

/// Reads an h5ad, Loom or Cell Ranger file.
pub fn load(path: &Path, options: &LoadOptions, progress: Progress<'_>) -> Result<Loaded, LoadError> {
    let file = File::open_streaming(path).map_err(|e| h5_error(path, "/", e))?;
    let r = Reader { path, file };
    let root = r.group("/")?;
    let groups = r.names(&root, "/", Kind::Groups)?;
    let datasets = r.names(&root, "/", Kind::Datasets)?;
    let has = |list: &[String], name: &str| list.iter().any(|n| n == name);
    if has(&datasets, "matrix") && (has(&groups, "row_attrs") || has(&groups, "col_attrs")) {
        return r.loom(options, progress);
    }
    if has(&groups, "obs") || has(&datasets, "obs") {
        return r.h5ad(options, progress, &groups, &datasets);
    }
    if has(&groups, "matrix") {
        return r.cellranger_v3(options, progress);
    }
    let genomes: Vec<String> = groups
        .iter()
        .filter(|g| r.names_at(&format!("/{g}"), Kind::Datasets).is_ok_and(|d| has(&d, "barcodes")))
        .cloned()
        .collect();
    if !genomes.is_empty() {
        return r.cellranger_v2(options, progress, &genomes);
    }
    let mut top: Vec<String> = groups.iter().map(|g| format!("{g}/")).chain(datasets.iter().cloned()).collect();
    top.sort();
    Err(r.error(
        "/",
        format!(
            "this HDF5 file is not an AnnData (.h5ad), Loom or Cell Ranger file: its top level holds {}",
            if top.is_empty() { "nothing".to_owned() } else { top.join(", ") }
        ),
    ))
}

fn h5_error(path: &Path, object: &str, e: impl std::fmt::Display) -> LoadError {
    LoadError::file(
        path,
        LoadErrorKind::Hdf5(Box::new(crate::data::error::Hdf5Fault {
            object: object.to_owned(),
            message: e.to_string(),
        })),
    )
}

#[derive(Clone, Copy)]
enum Kind {
    Groups,
    Datasets,
}

struct Reader<'a> {
    path: &'a Path,
    file: File,
}

/// Joins an HDF5 path and a child name.
fn join(parent: &str, name: &str) -> String {
    if parent.ends_with('/') { format!("{parent}{name}") } else { format!("{parent}/{name}") }
}

impl Reader<'_> {
    fn error(&self, object: &str, message: impl std::fmt::Display) -> LoadError {
        h5_error(self.path, object, message)
    }

    fn group(&self, p: &str) -> Result<Group, LoadError> {
        if p == "/" { Ok(self.file.root()) } else { self.file.group(p).map_err(|e| self.error(p, e)) }
    }

    fn dataset(&self, p: &str) -> Result<H5Dataset, LoadError> {
        self.file.dataset(p).map_err(|e| self.error(p, e))
    }

    fn names(&self, g: &Group, p: &str, kind: Kind) -> Result<Vec<String>, LoadError> {
        let names = match kind {
            Kind::Groups => g.groups(),
            Kind::Datasets => g.datasets(),
        };
        names.map_err(|e| self.error(p, e))
    }

    fn names_at(&self, p: &str, kind: Kind) -> Result<Vec<String>, LoadError> {
        let g = self.group(p)?;
        self.names(&g, p, kind)
    }

    fn is_group(&self, p: &str) -> bool {
        self.file.group(p).is_ok()
    }

    fn is_dataset(&self, p: &str) -> bool {
        self.file.dataset(p).is_ok()
    }

    fn group_attrs(&self, p: &str) -> Result<HashMap<String, AttrValue>, LoadError> {
        self.group(p)?.attrs().map_err(|e| self.error(p, e))
    }

    fn shape(&self, ds: &H5Dataset, p: &str) -> Result<Vec<usize>, LoadError> {
        Ok(ds.shape().map_err(|e| self.error(p, e))?.into_iter().map(|d| d as usize).collect())
    }

    fn dtype(&self, ds: &H5Dataset, p: &str) -> Result<DType, LoadError> {
        ds.dtype().map_err(|e| self.error(p, e))
    }

    /// A numeric 1-D dataset as `f32` (the matrix values).
    fn f32s(&self, p: &str) -> Result<Vec<f32>, LoadError> {
        let ds = self.dataset(p)?;
        // In blocks even when the file holds f32: a whole read would hold the decompressed
        // bytes and the values at once (twice the memory of the largest array).
        match self.dtype(&ds, p)? {
            DType::F32 => self.blocks(&ds, p, H5Dataset::read_f32_rows),
            t if is_number(&t) => {
                self.blocks(&ds, p, |ds, s, n| Ok(ds.read_f64_rows(s, n)?.into_iter().map(|v| v as f32).collect()))
            }
            t => Err(self.error(p, format!("holds {t}, not numbers"))),
        }
    }

    /// A numeric dataset (any shape) as `f64`, flattened row-major.
    fn f64s(&self, p: &str) -> Result<Vec<f64>, LoadError> {
        let ds = self.dataset(p)?;
        match self.dtype(&ds, p)? {
            t if is_number(&t) => ds.read_f64().map_err(|e| self.error(p, e)),
            DType::Enum(_) => Ok(self.bools(p)?.into_iter().map(|b| f64::from(u8::from(b))).collect()),
            t => Err(self.error(p, format!("holds {t}, not numbers"))),
        }
    }

    /// An integer 1-D dataset as `u32` indices (negative or too large values refused).
    fn indices(&self, p: &str) -> Result<Vec<u32>, LoadError> {
        let ds = self.dataset(p)?;
        let t = self.dtype(&ds, p)?;
        if !is_integer(&t) {
            return Err(self.error(p, format!("holds {t}, not integer indices")));
        }
        let mut position = 0usize;
        let mut bad = None;
        let out = self.blocks(&ds, p, |ds, s, n| {
            let block = ds.read_i64_rows(s, n)?;
            let mut out = Vec::with_capacity(block.len());
            for v in block {
                if !(0..=i64::from(u32::MAX)).contains(&v) && bad.is_none() {
                    bad = Some((position, v));
                }
                out.push(v as u32);
                position += 1;
            }
            Ok(out)
        })?;
        if let Some((at, v)) = bad {
            return Err(self.error(p, format!("index {v} at position {at} is negative or beyond 4,294,967,295")));
        }
        Ok(out)
    }

    /// An integer 1-D dataset as `usize` (row pointers).
    fn pointers(&self, p: &str) -> Result<Vec<usize>, LoadError> {
        let ds = self.dataset(p)?;
        let t = self.dtype(&ds, p)?;
        if !is_integer(&t) {
            return Err(self.error(p, format!("holds {t}, not integer offsets")));
        }
        let values = ds.read_i64().map_err(|e| self.error(p, e))?;
        if let Some(at) = values.iter().position(|&v| v < 0) {
            return Err(self.error(p, format!("offset {} at position {at} is negative", values[at])));
        }
        Ok(values.into_iter().map(|v| v as usize).collect())
    }

    /// Reads a 1-D dataset in blocks of [`BLOCK`] elements through `read`.
    fn blocks<T>(
        &self,
        ds: &H5Dataset,
        p: &str,
        mut read: impl FnMut(&H5Dataset, u64, u64) -> Result<Vec<T>, hdf5_pure::Error>,
    ) -> Result<Vec<T>, LoadError> {
        let shape = self.shape(ds, p)?;
        let len = shape.iter().product::<usize>() as u64;
        if shape.len() > 1 {
            return Err(self.error(p, format!("is {}-dimensional where a list was expected", shape.len())));
        }
        let mut out = Vec::new();
        out.try_reserve_exact(len as usize).map_err(|_| self.error(p, format!("{len} values do not fit in memory")))?;
        let mut start = 0;
        while start < len {
            let n = BLOCK.min(len - start);
            out.extend(read(ds, start, n).map_err(|e| self.error(p, e))?);
            start += n;
        }
        Ok(out)
    }

    /// A text dataset (fixed or variable length).
    fn strings(&self, p: &str) -> Result<Vec<String>, LoadError> {
        let ds = self.dataset(p)?;
        match self.dtype(&ds, p)? {
            DType::String | DType::VariableLengthString => ds.read_string().map_err(|e| self.error(p, e)),
            t if is_number(&t) => {
                Ok(ds.read_f64().map_err(|e| self.error(p, e))?.into_iter().map(format_level).collect())
            }
            t => Err(self.error(p, format!("holds {t}, not text"))),
        }
    }

    /// A boolean dataset (h5py's `FALSE`/`TRUE` enum, or integers).
    fn bools(&self, p: &str) -> Result<Vec<bool>, LoadError> {
        let ds = self.dataset(p)?;
        match self.dtype(&ds, p)? {
            DType::Enum(_) | DType::I8 | DType::U8 => {
                Ok(ds.read_i8().map_err(|e| self.error(p, e))?.into_iter().map(|v| v != 0).collect())
            }
            t if is_integer(&t) => {
                Ok(ds.read_i64().map_err(|e| self.error(p, e))?.into_iter().map(|v| v != 0).collect())
            }
            t => Err(self.error(p, format!("holds {t}, not true/false values"))),
        }
    }

    /// The `[rows, cols]` of a sparse group: `shape` or 0.5's `h5sparse_shape`.
    fn sparse_shape(&self, p: &str, attrs: &HashMap<String, AttrValue>) -> Result<(usize, usize), LoadError> {
        let value = attrs.get("shape").or_else(|| attrs.get("h5sparse_shape"));
        let dims = value.and_then(ints).ok_or_else(|| self.error(p, "the sparse matrix has no 'shape' attribute"))?;
        match dims[..] {
            [rows, cols] if rows >= 0 && cols >= 0 => Ok((rows as usize, cols as usize)),
            _ => Err(self.error(p, format!("the 'shape' attribute {dims:?} is not two sizes"))),
        }
    }

    /// A sparse group (CSR or CSC) as cells × genes.
    fn sparse(&self, p: &str, csc: bool, progress: Progress<'_>) -> Result<Csr, LoadError> {
        let attrs = self.group_attrs(p)?;
        let (rows, cols) = self.sparse_shape(p, &attrs)?;
        progress(Some(0.1), "Reading the matrix's values");
        let data = self.f32s(&join(p, "data"))?;
        progress(Some(0.4), "Reading the matrix's indices");
        let indices = self.indices(&join(p, "indices"))?;
        let indptr = self.pointers(&join(p, "indptr"))?;
        progress(Some(0.7), "Checking the matrix");
        let built = if csc {
            Csr::from_csc(rows, cols, indptr, indices, data)
        } else {
            Csr::new(rows, cols, indptr, indices, data)
        };
        built.map_err(|e| self.csr_error(p, &e))
    }

    fn csr_error(&self, p: &str, e: &CsrError) -> LoadError {
        let part = match e {
            CsrError::PointerLength { .. } | CsrError::Pointer { .. } => "indptr",
            CsrError::Lengths { .. } | CsrError::IndexOutOfRange { .. } => "indices",
        };
        self.error(&join(p, part), e)
    }

    /// A 2-D numeric dataset as a dense matrix, checked against memory first.
    fn dense(&self, p: &str, transpose: bool) -> Result<Array2<f64>, LoadError> {
        let ds = self.dataset(p)?;
        let shape = self.shape(&ds, p)?;
        let [rows, cols] = shape[..] else {
            return Err(self.error(p, format!("is {}-dimensional where a matrix was expected", shape.len())));
        };
        let t = self.dtype(&ds, p)?;
        if !is_number(&t) {
            return Err(self.error(p, format!("holds {t}, not numbers")));
        }
        super::super::matrix::check_dense(rows, cols).map_err(|e| self.error(p, e))?;
        let mut values = Vec::new();
        values.try_reserve_exact(rows * cols).map_err(|_| self.error(p, "the matrix does not fit in memory"))?;
        let step = (BLOCK as usize / cols.max(1)).max(1) as u64;
        let mut start = 0u64;
        while start < rows as u64 {
            let n = step.min(rows as u64 - start);
            values.extend(ds.read_f64_rows(start, n).map_err(|e| self.error(p, e))?);
            start += n;
        }
        let m = Array2::from_shape_vec((rows, cols), values).map_err(|e| self.error(p, e))?;
        Ok(if transpose { m.reversed_axes().as_standard_layout().into_owned() } else { m })
    }

    /// The matrix at `p`: a dense dataset or a sparse group, as cells × genes.
    fn matrix_at(&self, p: &str, progress: Progress<'_>) -> Result<super::super::matrix::Matrix, LoadError> {
        if self.is_dataset(p) {
            progress(Some(0.1), "Reading the dense matrix");
            return Ok(self.dense(p, false)?.into());
        }
        let attrs = self.group_attrs(p)?;
        let encoding =
            text_attr(&attrs, "encoding-type").or_else(|| text_attr(&attrs, "h5sparse_format")).unwrap_or_default();
        match encoding.as_str() {
            "csr_matrix" | "csr" => Ok(self.sparse(p, false, progress)?.into()),
            "csc_matrix" | "csc" => Ok(self.sparse(p, true, progress)?.into()),
            "" => Err(self.error(p, "this group has no 'encoding-type': it is not a matrix anndata wrote")),
            other => Err(self.error(
                p,
                format!("unknown matrix encoding '{other}' (expected a dense array, csr_matrix or csc_matrix)"),
            )),
        }
    }
}

fn is_integer(t: &DType) -> bool {
    matches!(t, DType::I8 | DType::I16 | DType::I32 | DType::I64 | DType::U8 | DType::U16 | DType::U32 | DType::U64)
}

fn is_number(t: &DType) -> bool {
    is_integer(t) || matches!(t, DType::F32 | DType::F64)
}

fn ints(v: &AttrValue) -> Option<Vec<i64>> {
    Some(match v {
        AttrValue::I64Array(a) => a.clone(),
        AttrValue::I32Array(a) => a.iter().map(|&x| i64::from(x)).collect(),
        AttrValue::U64Array(a) => a.iter().map(|&x| i64::try_from(x).unwrap_or(i64::MAX)).collect(),
        AttrValue::U32Array(a) => a.iter().map(|&x| i64::from(x)).collect(),
        _ => return None,
    })
}

fn text_attr(attrs: &HashMap<String, AttrValue>, name: &str) -> Option<String> {
    match attrs.get(name)? {
        AttrValue::String(s) | AttrValue::AsciiString(s) | AttrValue::VarLenString(s) => Some(s.clone()),
        AttrValue::StringSized { value, .. } => Some(value.clone()),
        other => {
            // Other string forms (ASCII variable length, sized ASCII) read through Debug is
            // fragile; take the first string array element if that is what it is.
            texts_attr_value(other).and_then(|v| v.into_iter().next())
        }
    }
}

fn texts_attr_value(v: &AttrValue) -> Option<Vec<String>> {
    match v {
        AttrValue::StringArray(a)
        | AttrValue::VarLenStringArray(a)
        | AttrValue::AsciiStringArray(a)
        | AttrValue::VarLenAsciiStringArray(a) => Some(a.clone()),
        AttrValue::StringArraySized { values, .. } => Some(values.clone()),
        AttrValue::VarLenAsciiString(s) => Some(vec![s.clone()]),
        // An empty column order is written as an empty float array.
        AttrValue::F64Array(a) if a.is_empty() => Some(Vec::new()),
        _ => None,
    }
}

/// A number as a category name: integers without a decimal point.
fn format_level(v: f64) -> String {
    super::super::annotations::format_number(v)
}

/// Sample or gene ids must be unique: the first repeat is refused with where it is.
fn check_unique(r: &Reader<'_>, p: &str, ids: &[String]) -> Result<(), LoadError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if let Some(first) = seen.insert(id.as_str(), i) {
            return Err(
                r.error(p, format!("the id '{id}' appears twice (positions {first} and {i}); ids must be unique"))
            );
        }
    }
    Ok(())
}

/// Gene names made unique the way 10x directories are read: a repeated symbol becomes
/// `SYMBOL (ID)`.
fn unique_symbols(symbols: &[String], ids: &[String]) -> Vec<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for s in symbols {
        *counts.entry(s.as_str()).or_default() += 1;
    }
    symbols
        .iter()
        .zip(ids)
        .map(|(s, id)| if counts[s.as_str()] > 1 { format!("{s} ({id})") } else { s.clone() })
        .collect()
}

/// A categorical annotation from per-cell text (`None`: missing).
/// A categorical column whose levels keep the file's category order (scanpy orders groups,
/// their colours, dendrogram ties and plots by it), used categories only; a missing-value
/// token or a repeated name (after trimming) is treated as text would be.
fn in_file_order(name: &str, categories: &[String], codes: &[Option<usize>]) -> Annotation {
    use crate::data::annotations::AnnotationValues;
    let mut used = vec![false; categories.len()];
    for c in codes.iter().flatten() {
        used[*c] = true;
    }
    let mut levels: Vec<String> = Vec::new();
    let mut level_of = vec![None; categories.len()];
    for (k, category) in categories.iter().enumerate() {
        let trimmed = category.trim();
        if !used[k] || crate::data::io::text::is_missing_token(trimmed) {
            continue;
        }
        let at = levels.iter().position(|l| l == trimmed).unwrap_or_else(|| {
            levels.push(trimmed.to_owned());
            levels.len() - 1
        });
        level_of[k] = Some(at as u32);
    }
    let codes = codes.iter().map(|c| c.and_then(|c| level_of[c])).collect();
    Annotation { name: name.to_owned(), values: AnnotationValues::Categorical { levels, codes } }
}

fn categorical(name: &str, cells: &[Option<&str>]) -> Annotation {
    Annotation::categorical(name, cells)
}

fn numeric(name: &str, values: Vec<f64>) -> Annotation {
    Annotation { name: name.to_owned(), values: AnnotationValues::Numeric(values) }
}

fn bool_annotation(name: &str, values: &[bool], missing: Option<&[bool]>) -> Annotation {
    let cells: Vec<Option<&str>> = values
        .iter()
        .enumerate()
        .map(|(i, &b)| if missing.is_some_and(|m| m[i]) { None } else { Some(if b { "True" } else { "False" }) })
        .collect();
    categorical(name, &cells)
}

/// Reading a data frame (`obs`, `var`): its index and columns.
struct Frame {
    index: Vec<String>,
    columns: Vec<Annotation>,
    notes: Vec<String>,
    /// Categories in the file's order, per categorical column (to match `uns` colours).
    categories: HashMap<String, Vec<String>>,
}

impl Reader<'_> {
    /// A data frame in any anndata encoding, at `p` (a group, or 0.5's compound dataset);
    /// `legacy_categories` is where 0.5 kept categories (`/uns`).
    fn frame(&self, p: &str, rows: Option<usize>) -> Result<Frame, LoadError> {
        if self.is_dataset(p) {
            return self.compound_frame(p);
        }
        let attrs = self.group_attrs(p)?;
        let index_name = text_attr(&attrs, "_index").unwrap_or_else(|| "_index".to_owned());
        let index_path = join(p, &index_name);
        let index = self.strings(&index_path)?;
        if let Some(n) = rows
            && index.len() != n
        {
            return Err(self.error(&index_path, format!("names {} rows but the matrix has {n}", index.len())));
        }
        let order = attrs.get("column-order").and_then(texts_attr_value);
        let mut names = if let Some(o) = order {
            o
        } else {
            let mut all = self.names_at(p, Kind::Datasets)?;
            all.extend(self.names_at(p, Kind::Groups)?);
            all.retain(|n| n != &index_name && n != "__categories");
            all.sort();
            all
        };
        names.retain(|n| n != &index_name);
        let legacy = join(p, "__categories");
        let mut frame = Frame { index, columns: Vec::new(), notes: Vec::new(), categories: HashMap::new() };
        for name in names {
            let cp = join(p, &name);
            let categories_path = join(&legacy, &name);
            if self.is_dataset(&categories_path) {
                let categories = self.strings(&categories_path)?;
                let codes = self.codes(&cp, categories.len())?;
                self.add_categorical(&mut frame, &name, categories, &codes, &cp)?;
            } else {
                self.column(&mut frame, &name, &cp)?;
            }
        }
        Ok(frame)
    }

    fn codes(&self, p: &str, levels: usize) -> Result<Vec<Option<usize>>, LoadError> {
        let codes = self.f64s(p)?;
        codes
            .iter()
            .enumerate()
            .map(|(i, &c)| match c {
                c if c < 0.0 => Ok(None),
                c if (c as usize) < levels => Ok(Some(c as usize)),
                c => Err(self.error(p, format!("code {c} at row {i} names no category (there are {levels})"))),
            })
            .collect()
    }

    fn add_categorical(
        &self,
        frame: &mut Frame,
        name: &str,
        categories: Vec<String>,
        codes: &[Option<usize>],
        p: &str,
    ) -> Result<(), LoadError> {
        if codes.len() != frame.index.len() {
            return Err(self.error(p, format!("has {} values for {} rows", codes.len(), frame.index.len())));
        }
        frame.columns.push(in_file_order(name, &categories, codes));
        frame.categories.insert(name.to_owned(), categories);
        Ok(())
    }

    /// One column of a data frame written by anndata ≥ 0.7.
    fn column(&self, frame: &mut Frame, name: &str, p: &str) -> Result<(), LoadError> {
        let n = frame.index.len();
        if self.is_group(p) {
            let attrs = self.group_attrs(p)?;
            let encoding = text_attr(&attrs, "encoding-type").unwrap_or_default();
            match encoding.as_str() {
                "categorical" => {
                    let categories = self.strings(&join(p, "categories"))?;
                    let codes = self.codes(&join(p, "codes"), categories.len())?;
                    self.add_categorical(frame, name, categories, &codes, &join(p, "codes"))?;
                }
                "nullable-integer" | "nullable-float" => {
                    let mut values = self.f64s(&join(p, "values"))?;
                    let mask = self.bools(&join(p, "mask"))?;
                    self.check_len(p, values.len(), n)?;
                    for (v, &m) in values.iter_mut().zip(&mask) {
                        if m {
                            *v = f64::NAN;
                        }
                    }
                    frame.columns.push(numeric(name, values));
                }
                "nullable-boolean" => {
                    let values = self.bools(&join(p, "values"))?;
                    let mask = self.bools(&join(p, "mask"))?;
                    self.check_len(p, values.len(), n)?;
                    frame.columns.push(bool_annotation(name, &values, Some(&mask)));
                }
                other => frame.notes.push(format!(
                    "column '{name}' ({p}) left out: its encoding '{other}' is not a column Biolens reads"
                )),
            }
            return Ok(());
        }
        let ds = self.dataset(p)?;
        let shape = self.shape(&ds, p)?;
        if shape.len() != 1 {
            frame.notes.push(format!("column '{name}' ({p}) left out: it is {}-dimensional", shape.len()));
            return Ok(());
        }
        self.check_len(p, shape[0], n)?;
        match self.dtype(&ds, p)? {
            DType::Enum(_) => frame.columns.push(bool_annotation(name, &self.bools(p)?, None)),
            t if is_number(&t) => frame.columns.push(numeric(name, self.f64s(p)?)),
            DType::String | DType::VariableLengthString => {
                let values = self.strings(p)?;
                let mut distinct: Vec<&str> = values.iter().map(String::as_str).collect();
                distinct.sort_unstable();
                distinct.dedup();
                if distinct.len() > MAX_TEXT_LEVELS && distinct.len() > n / 2 {
                    frame.notes.push(format!(
                        "text column '{name}' left out: {} distinct values (an id, not a group)",
                        distinct.len()
                    ));
                } else {
                    let cells: Vec<Option<&str>> = values.iter().map(|v| Some(v.as_str())).collect();
                    frame.columns.push(categorical(name, &cells));
                }
            }
            t => frame.notes.push(format!("column '{name}' ({p}) left out: it holds {t}")),
        }
        Ok(())
    }

    fn check_len(&self, p: &str, found: usize, rows: usize) -> Result<(), LoadError> {
        if found == rows { Ok(()) } else { Err(self.error(p, format!("has {found} values for {rows} rows"))) }
    }

    /// anndata 0.5–0.6: a data frame as one compound dataset; categorical columns hold codes
    /// whose names are in `/uns/NAME_categories`.
    fn compound_frame(&self, p: &str) -> Result<Frame, LoadError> {
        let ds = self.dataset(p)?;
        let Datatype::Compound { size, members } = ds.datatype().map_err(|e| self.error(p, e))? else {
            return Err(self.error(p, "is neither a data frame group nor a compound dataset"));
        };
        let raw = ds.read_raw().map_err(|e| self.error(p, e))?;
        let size = size as usize;
        if size == 0 || raw.len() % size != 0 {
            return Err(self.error(p, "its records do not divide its bytes"));
        }
        let rows = raw.len() / size;
        let mut frame = Frame { index: Vec::new(), columns: Vec::new(), notes: Vec::new(), categories: HashMap::new() };
        for member in &members {
            let field = |k: usize| &raw[k * size + member.byte_offset as usize..];
            let cp = format!("{p} (field '{}')", member.name);
            match &member.datatype {
                Datatype::String { size: width, .. } => {
                    let width = *width as usize;
                    let values: Vec<String> = (0..rows)
                        .map(|k| {
                            let bytes = &field(k)[..width];
                            let end = bytes.iter().position(|&b| b == 0).unwrap_or(width);
                            String::from_utf8_lossy(&bytes[..end]).trim_end().to_owned()
                        })
                        .collect();
                    if member.name == "index" {
                        frame.index = values;
                    } else {
                        let cells: Vec<Option<&str>> = values.iter().map(|v| Some(v.as_str())).collect();
                        frame.columns.push(categorical(&member.name, &cells));
                    }
                }
                t => {
                    let Some(values) = (0..rows).map(|k| decode_number(t, field(k))).collect::<Option<Vec<f64>>>()
                    else {
                        frame.notes.push(format!("column '{}' ({cp}) left out: not a number or text", member.name));
                        continue;
                    };
                    let legacy = format!("/uns/{}_categories", member.name);
                    if self.is_dataset(&legacy) {
                        let categories = self.strings(&legacy)?;
                        let codes: Vec<Option<usize>> = values
                            .iter()
                            .map(|&c| (c >= 0.0 && (c as usize) < categories.len()).then_some(c as usize))
                            .collect();
                        if frame.index.is_empty() {
                            frame.index = vec![String::new(); rows];
                        }
                        self.add_categorical(&mut frame, &member.name, categories, &codes, &cp)?;
                    } else {
                        frame.columns.push(numeric(&member.name, values));
                    }
                }
            }
        }
        if frame.index.len() != rows || frame.index.iter().all(String::is_empty) {
            return Err(self.error(p, "the data frame has no 'index' field of names"));
        }
        Ok(frame)
    }

    /// 0.5's `obsm`: a compound dataset whose fields are fixed-size arrays.
    fn compound_embeddings(&self, p: &str) -> Result<Vec<Embedding>, LoadError> {
        let ds = self.dataset(p)?;
        let Datatype::Compound { size, members } = ds.datatype().map_err(|e| self.error(p, e))? else {
            return Ok(Vec::new());
        };
        let raw = ds.read_raw().map_err(|e| self.error(p, e))?;
        let size = size as usize;
        let rows = raw.len() / size.max(1);
        let mut out = Vec::new();
        for member in &members {
            let Datatype::Array { base_type, dimensions } = &member.datatype else { continue };
            let width = dimensions.iter().product::<u32>() as usize;
            let element = base_type.element_size().map_or(0, |s| s.get() as usize);
            if width < 2 || element == 0 {
                continue;
            }
            let mut coords = Array2::zeros((rows, width));
            for k in 0..rows {
                for d in 0..width {
                    let at = k * size + member.byte_offset as usize + d * element;
                    coords[[k, d]] = decode_number(base_type, &raw[at..]).unwrap_or(f64::NAN);
                }
            }
            out.push(Embedding { name: member.name.clone(), coords });
        }
        Ok(out)
    }
}

/// A little-endian number of type `t` at the start of `bytes`.
fn decode_number(t: &Datatype, bytes: &[u8]) -> Option<f64> {
    let take = |n: usize| bytes.get(..n).map(<[u8]>::to_vec);
    match t {
        Datatype::FloatingPoint { size: 4, .. } => Some(f64::from(f32::from_le_bytes(take(4)?.try_into().ok()?))),
        Datatype::FloatingPoint { size: 8, .. } => Some(f64::from_le_bytes(take(8)?.try_into().ok()?)),
        Datatype::FixedPoint { size, layout, .. } => {
            let n = *size as usize;
            let b = take(n)?;
            let mut wide = [0u8; 8];
            wide[..n].copy_from_slice(&b);
            if layout.signed && b[n - 1] & 0x80 != 0 {
                for x in &mut wide[n..] {
                    *x = 0xff;
                }
            }
            Some(if layout.signed { i64::from_le_bytes(wide) as f64 } else { u64::from_le_bytes(wide) as f64 })
        }
        Datatype::Enumeration { base_type, .. } => decode_number(base_type, bytes),
        _ => None,
    }
}

impl Reader<'_> {
    fn h5ad(
        &self,
        options: &LoadOptions,
        progress: Progress<'_>,
        groups: &[String],
        datasets: &[String],
    ) -> Result<Loaded, LoadError> {
        let has_group = |n: &str| groups.iter().any(|g| g == n);
        let has_any = |n: &str| has_group(n) || datasets.iter().any(|d| d == n);
        let layers: Vec<String> = if has_group("layers") {
            self.names_at("/layers", Kind::Datasets)?
                .into_iter()
                .chain(self.names_at("/layers", Kind::Groups)?)
                .collect()
        } else {
            Vec::new()
        };
        // 0.5 kept raw as `/raw.X` and `/raw.var`; later versions as the group `/raw`.
        let (raw_x, raw_var) = if has_any("raw.X") { ("/raw.X", "/raw.var") } else { ("/raw/X", "/raw/var") };
        let has_raw = self.is_group(raw_x) || self.is_dataset(raw_x);
        let (matrix_path, var_path) = if let Some(layer) = &options.choice.layer {
            if !layers.contains(layer) {
                return Err(self.error(
                    "/layers",
                    format!(
                        "there is no layer '{layer}'; the layers are: {}",
                        if layers.is_empty() { "none".to_owned() } else { layers.join(", ") }
                    ),
                ));
            }
            (format!("/layers/{layer}"), "/var".to_owned())
        } else if options.choice.use_raw {
            if !has_raw {
                return Err(self.error("/raw", "the file holds no raw matrix (raw/X) to use"));
            }
            (raw_x.to_owned(), raw_var.to_owned())
        } else {
            if !has_any("X") {
                let mut offer = Vec::new();
                if !layers.is_empty() {
                    offer.push(format!("a layer ({}: --layer NAME)", layers.join(", ")));
                }
                if has_raw {
                    offer.push("the raw matrix (--use-raw)".to_owned());
                }
                let what = if offer.is_empty() {
                    "and no layers or raw matrix either: there is no expression matrix to open".to_owned()
                } else {
                    format!("; open {} instead", offer.join(" or "))
                };
                return Err(self.error(
                    "/X",
                    format!("this h5ad file has no X matrix (anndata writes none when X is None){what}"),
                ));
            }
            ("/X".to_owned(), "/var".to_owned())
        };
        progress(Some(0.05), "Reading cell annotations");
        let obs = self.frame("/obs", None)?;
        check_unique(self, "/obs", &obs.index)?;
        let matrix = self.matrix_at(&matrix_path, progress)?;
        progress(Some(0.8), "Reading gene annotations");
        let var = self.frame(&var_path, None)?;
        if matrix.nrows() != obs.index.len() {
            return Err(self
                .error(&matrix_path, format!("has {} rows but obs names {} cells", matrix.nrows(), obs.index.len())));
        }
        if matrix.ncols() != var.index.len() {
            return Err(self.error(
                &matrix_path,
                format!("has {} columns but {var_path} names {} genes", matrix.ncols(), var.index.len()),
            ));
        }
        check_unique(self, &var_path, &var.index)?;
        let mut embeddings = Vec::new();
        if has_group("obsm") {
            for name in self.names_at("/obsm", Kind::Datasets)? {
                let p = format!("/obsm/{name}");
                let ds = self.dataset(&p)?;
                let shape = self.shape(&ds, &p)?;
                if shape.len() == 2 && shape[0] == obs.index.len() && shape[1] >= 2 && is_number(&self.dtype(&ds, &p)?)
                {
                    embeddings.push(Embedding { name, coords: self.dense(&p, false)? });
                }
            }
        } else if datasets.iter().any(|d| d == "obsm") {
            embeddings = self.compound_embeddings("/obsm")?;
        }
        let colours = self.uns_colours(&obs)?;
        let mut notes = obs.notes.clone();
        notes.extend(var.notes.iter().cloned());
        let info = SingleCellInfo {
            matrix: matrix_path.trim_start_matches('/').to_owned(),
            layers,
            has_raw,
            embeddings: embeddings.iter().map(|e| e.name.clone()).collect(),
            gene_columns: var.columns.iter().map(|c| c.name.clone()).collect(),
            groups: Vec::new(),
        };
        let format = if self.is_dataset("/obs") { "AnnData h5ad (anndata 0.5–0.6 encoding)" } else { "AnnData h5ad" };
        Ok(Self::finish(
            format,
            matrix,
            obs.index,
            var.index,
            obs.columns,
            var.columns,
            embeddings,
            colours,
            notes,
            info,
        ))
    }

    fn uns_colours(&self, obs: &Frame) -> Result<Vec<LevelColours>, LoadError> {
        let mut out = Vec::new();
        if !self.is_group("/uns") {
            return Ok(out);
        }
        for name in self.names_at("/uns", Kind::Datasets)? {
            let Some(column) = name.strip_suffix("_colors") else { continue };
            let Some(categories) = obs.categories.get(column) else { continue };
            let Ok(colours) = self.strings(&format!("/uns/{name}")) else { continue };
            out.push(LevelColours {
                annotation: column.to_owned(),
                colours: categories.iter().cloned().zip(colours).collect(),
            });
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        format: &str,
        matrix: super::super::matrix::Matrix,
        cells: Vec<String>,
        genes: Vec<String>,
        annotations: Vec<Annotation>,
        gene_annotations: Vec<Annotation>,
        embeddings: Vec<Embedding>,
        colours: Vec<LevelColours>,
        notes: Vec<String>,
        info: SingleCellInfo,
    ) -> Loaded {
        let mut data = RawData::new(matrix, cells, genes, annotations, 0);
        data.set_single_cell(gene_annotations, embeddings, colours);
        Loaded {
            data,
            report: LoadReport {
                format: format.to_owned(),
                orientation: Orientation::SamplesInRows,
                orientation_reason: format!("{format} files hold cells × genes"),
                orientation_by_shape: false,
                missing: 0,
                notes,
                single_cell: Some(info),
            },
        }
    }

    fn loom(&self, options: &LoadOptions, progress: Progress<'_>) -> Result<Loaded, LoadError> {
        let layers = if self.is_group("/layers") { self.names_at("/layers", Kind::Datasets)? } else { Vec::new() };
        let matrix_path = match &options.choice.layer {
            Some(layer) if layers.contains(layer) => format!("/layers/{layer}"),
            Some(layer) => {
                return Err(self.error(
                    "/layers",
                    format!(
                        "there is no layer '{layer}'; the layers are: {}",
                        if layers.is_empty() { "none".to_owned() } else { layers.join(", ") }
                    ),
                ));
            }
            None => "/matrix".to_owned(),
        };
        let ds = self.dataset(&matrix_path)?;
        let shape = self.shape(&ds, &matrix_path)?;
        let [n_genes, n_cells] = shape[..] else {
            return Err(self.error(&matrix_path, "is not a genes × cells matrix"));
        };
        let t = self.dtype(&ds, &matrix_path)?;
        if !is_number(&t) {
            return Err(self.error(&matrix_path, format!("holds {t}, not numbers")));
        }
        // Genes are the file's rows: each block of genes is a block of our columns, so the
        // non-zeros gather per gene (compressed columns) and become CSR at the end.
        let mut indptr = vec![0usize];
        let mut indices = Vec::new();
        let mut data = Vec::new();
        let step = (BLOCK as usize / n_cells.max(1)).max(1) as u64;
        let mut start = 0u64;
        while start < n_genes as u64 {
            let n = step.min(n_genes as u64 - start);
            progress(Some(0.1 + 0.7 * start as f32 / n_genes.max(1) as f32), "Reading the matrix");
            let block = ds.read_f32_rows(start, n).map_err(|e| self.error(&matrix_path, e))?;
            for row in block.chunks(n_cells.max(1)) {
                for (cell, &v) in row.iter().enumerate() {
                    if v != 0.0 {
                        indices.push(cell as u32);
                        data.push(v);
                    }
                }
                indptr.push(data.len());
            }
            start += n;
        }
        let matrix =
            Csr::from_csc(n_cells, n_genes, indptr, indices, data).map_err(|e| self.csr_error(&matrix_path, &e))?;
        progress(Some(0.85), "Reading annotations");
        let (cells, cell_columns, mut notes, embeddings) =
            self.loom_attrs("/col_attrs", n_cells, &["CellID", "obs_names", "cell_names", "index"])?;
        let (genes, gene_columns, gene_notes, _) =
            self.loom_attrs("/row_attrs", n_genes, &["Gene", "var_names", "gene_names", "index", "Accession"])?;
        notes.extend(gene_notes);
        check_unique(self, "/col_attrs", &cells)?;
        let genes = if genes.iter().collect::<std::collections::HashSet<_>>().len() == genes.len() {
            genes
        } else {
            let accession = self
                .strings("/row_attrs/Accession")
                .unwrap_or_else(|_| (0..genes.len()).map(|i| format!("row {i}")).collect());
            unique_symbols(&genes, &accession)
        };
        let info = SingleCellInfo {
            matrix: matrix_path.trim_start_matches('/').to_owned(),
            layers,
            has_raw: false,
            embeddings: embeddings.iter().map(|e| e.name.clone()).collect(),
            gene_columns: gene_columns.iter().map(|c| c.name.clone()).collect(),
            groups: Vec::new(),
        };
        Ok(Self::finish(
            "Loom",
            matrix.into(),
            cells,
            genes,
            cell_columns,
            gene_columns,
            embeddings,
            Vec::new(),
            notes,
            info,
        ))
    }

    /// Loom attributes: the ids (the first of `id_names` present), 1-D columns as annotations,
    /// 2-D ones as embeddings.
    #[allow(clippy::type_complexity)]
    fn loom_attrs(
        &self,
        p: &str,
        n: usize,
        id_names: &[&str],
    ) -> Result<(Vec<String>, Vec<Annotation>, Vec<String>, Vec<Embedding>), LoadError> {
        let names = if self.is_group(p) { self.names_at(p, Kind::Datasets)? } else { Vec::new() };
        let id = id_names.iter().find(|i| names.iter().any(|n| n == *i));
        let ids = match id {
            Some(id) => self.strings(&join(p, id))?,
            None => (1..=n).map(|i| format!("{}_{i}", if p.contains("col") { "cell" } else { "gene" })).collect(),
        };
        self.check_len(p, ids.len(), n)?;
        let mut frame = Frame { index: ids, columns: Vec::new(), notes: Vec::new(), categories: HashMap::new() };
        let mut embeddings = Vec::new();
        for name in names.iter().filter(|x| Some(&x.as_str()) != id) {
            let cp = join(p, name);
            let ds = self.dataset(&cp)?;
            let shape = self.shape(&ds, &cp)?;
            if shape.len() == 2 && shape[0] == n && shape[1] >= 2 {
                embeddings.push(Embedding { name: name.clone(), coords: self.dense(&cp, false)? });
            } else {
                self.column(&mut frame, name, &cp)?;
            }
        }
        Ok((frame.index, frame.columns, frame.notes, embeddings))
    }

    fn cellranger_v3(&self, options: &LoadOptions, progress: Progress<'_>) -> Result<Loaded, LoadError> {
        let shape = self.pointers("/matrix/shape")?;
        let [n_genes, n_cells] = shape[..] else {
            return Err(self.error("/matrix/shape", "is not two sizes (features, barcodes)"));
        };
        progress(Some(0.1), "Reading the counts");
        // Compressed by barcode: per cell, the features it counts — CSR of cells × features.
        let data = self.f32s("/matrix/data")?;
        let indices = self.indices("/matrix/indices")?;
        let indptr = self.pointers("/matrix/indptr")?;
        let all = Csr::new(n_cells, n_genes, indptr, indices, data).map_err(|e| self.csr_error("/matrix", &e))?;
        let cells = self.strings("/matrix/barcodes")?;
        self.check_len("/matrix/barcodes", cells.len(), n_cells)?;
        check_unique(self, "/matrix/barcodes", &cells)?;
        let ids = self.strings("/matrix/features/id")?;
        let names = self.strings("/matrix/features/name")?;
        self.check_len("/matrix/features/id", ids.len(), n_genes)?;
        self.check_len("/matrix/features/name", names.len(), n_genes)?;
        let types = if self.is_dataset("/matrix/features/feature_type") {
            self.strings("/matrix/features/feature_type")?
        } else {
            vec![GENE_EXPRESSION.to_owned(); n_genes]
        };
        let mut kinds: Vec<String> = types.clone();
        kinds.sort();
        kinds.dedup();
        let wanted = options.choice.feature_type.clone().unwrap_or_else(|| GENE_EXPRESSION.to_owned());
        if !kinds.contains(&wanted) {
            return Err(self.error(
                "/matrix/features/feature_type",
                format!("no features of type '{wanted}'; the file has: {}", kinds.join(", ")),
            ));
        }
        let keep: Vec<usize> = (0..n_genes).filter(|&j| types[j] == wanted).collect();
        let mut notes = Vec::new();
        if keep.len() < n_genes {
            notes.push(format!(
                "{} of {n_genes} features kept: the '{wanted}' ones (others: {})",
                keep.len(),
                kinds.iter().filter(|k| **k != wanted).cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        let matrix = if keep.len() < n_genes { all.select_cols(&keep) } else { all };
        let kept_ids: Vec<String> = keep.iter().map(|&j| ids[j].clone()).collect();
        let kept_names: Vec<String> = keep.iter().map(|&j| names[j].clone()).collect();
        let genes = unique_symbols(&kept_names, &kept_ids);
        let gene_columns = vec![categorical_text("gene_ids", &kept_ids)];
        let info = SingleCellInfo {
            matrix: "matrix".to_owned(),
            layers: Vec::new(),
            has_raw: false,
            embeddings: Vec::new(),
            gene_columns: vec!["gene_ids".to_owned()],
            groups: kinds,
        };
        Ok(Self::finish(
            "Cell Ranger HDF5 (v3)",
            matrix.into(),
            cells,
            genes,
            Vec::new(),
            gene_columns,
            Vec::new(),
            Vec::new(),
            notes,
            info,
        ))
    }

    fn cellranger_v2(
        &self,
        options: &LoadOptions,
        progress: Progress<'_>,
        genomes: &[String],
    ) -> Result<Loaded, LoadError> {
        let genome = match (&options.choice.genome, genomes) {
            (Some(g), _) if genomes.contains(g) => g.clone(),
            (Some(g), _) => {
                return Err(self.error("/", format!("there is no genome '{g}'; the file has: {}", genomes.join(", "))));
            }
            (None, [only]) => only.clone(),
            (None, _) => {
                return Err(self.error(
                    "/",
                    format!("the file holds several genomes ({}): choose one (--genome NAME)", genomes.join(", ")),
                ));
            }
        };
        let g = format!("/{genome}");
        let shape = self.pointers(&join(&g, "shape"))?;
        let [n_genes, n_cells] = shape[..] else {
            return Err(self.error(&join(&g, "shape"), "is not two sizes (genes, barcodes)"));
        };
        progress(Some(0.1), "Reading the counts");
        let data = self.f32s(&join(&g, "data"))?;
        let indices = self.indices(&join(&g, "indices"))?;
        let indptr = self.pointers(&join(&g, "indptr"))?;
        let matrix = Csr::new(n_cells, n_genes, indptr, indices, data).map_err(|e| self.csr_error(&g, &e))?;
        let cells = self.strings(&join(&g, "barcodes"))?;
        self.check_len(&join(&g, "barcodes"), cells.len(), n_cells)?;
        check_unique(self, &join(&g, "barcodes"), &cells)?;
        let ids = self.strings(&join(&g, "genes"))?;
        let names = self.strings(&join(&g, "gene_names"))?;
        self.check_len(&join(&g, "genes"), ids.len(), n_genes)?;
        self.check_len(&join(&g, "gene_names"), names.len(), n_genes)?;
        let genes = unique_symbols(&names, &ids);
        let info = SingleCellInfo {
            matrix: genome.clone(),
            layers: Vec::new(),
            has_raw: false,
            embeddings: Vec::new(),
            gene_columns: vec!["gene_ids".to_owned()],
            groups: genomes.to_vec(),
        };
        let gene_columns = vec![categorical_text("gene_ids", &ids)];
        Ok(Self::finish(
            "Cell Ranger HDF5 (v2)",
            matrix.into(),
            cells,
            genes,
            Vec::new(),
            gene_columns,
            Vec::new(),
            Vec::new(),
            Vec::new(),
            info,
        ))
    }
}

fn categorical_text(name: &str, values: &[String]) -> Annotation {
    let cells: Vec<Option<&str>> = values.iter().map(|v| Some(v.as_str())).collect();
    categorical(name, &cells)
}
