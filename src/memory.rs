//! Memory: what the machine has, what an analysis needs, and allocations that fail with an
//! error instead of aborting the process.
//!
//! # How it works
//! Every analysis in [`crate::recipes`] states its need as a [`MemoryRule`] next to its
//! settings: a formula in the number of samples and genes. Before it allocates anything large
//! the rule is checked against [`available_bytes`] (`MemAvailable` from `/proc/meminfo`, or the
//! `BIOLENS_MEMORY_LIMIT` environment variable, e.g. `8G`, which also lets a user cap Biolens
//! below what the machine has). A refusal says how much is needed, how much there is and how
//! many samples would fit, so the user can keep a subset. The large buffers themselves are
//! allocated with [`try_zeros`] (`try_reserve_exact`): should the estimate be wrong, the
//! allocation fails as an error, never as an abort that loses the open work.

/// Why an analysis does not run: it needs more memory than there is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemoryError {
    /// The rule's estimate exceeds what is available.
    #[error(
        "{what} of {samples} samples needs {need} of memory and {available} is available; \
         {fit}"
    )]
    TooLarge {
        /// The analysis.
        what: String,
        /// Samples asked for, formatted.
        samples: String,
        /// Bytes needed, formatted.
        need: String,
        /// Bytes available, formatted.
        available: String,
        /// What would fit (a subset to keep).
        fit: String,
    },
    /// An allocation failed although the estimate fitted.
    #[error("out of memory: {what} needs {bytes} and the allocation failed; keep fewer samples")]
    AllocationFailed {
        /// The buffer.
        what: String,
        /// Its size, formatted.
        bytes: String,
    },
}

/// The memory an analysis needs for `samples` samples and `genes` genes (values per sample).
#[derive(Debug, Clone, Copy)]
pub struct MemoryRule {
    /// What is computed ("hierarchical clustering").
    pub what: &'static str,
    /// Bytes for (samples, genes).
    pub bytes: fn(usize, usize) -> u128,
}

impl MemoryRule {
    /// Bytes needed for `samples` × `genes`.
    pub fn need(&self, samples: usize, genes: usize) -> u128 {
        (self.bytes)(samples, genes)
    }

    /// `Ok` when the need for `samples` × `genes` fits in [`available_bytes`].
    pub fn check(&self, samples: usize, genes: usize) -> Result<(), MemoryError> {
        self.check_within(samples, genes, available_bytes())
    }

    /// `Ok` when the need fits in `available` bytes; otherwise the refusal, with the largest
    /// number of samples that fits.
    pub fn check_within(&self, samples: usize, genes: usize, available: u64) -> Result<(), MemoryError> {
        let need = self.need(samples, genes);
        if need <= u128::from(available) {
            return Ok(());
        }
        let fits = self.max_samples(genes, available);
        let fit = if fits >= 2 {
            format!(
                "at most {} samples fit: keep a subset (a 'keep random samples' step, or --subsample N) \
                 or average groups (Data > Average each group, or --group-means COLUMN)",
                thousands(fits)
            )
        } else {
            "not even 2 samples fit".to_owned()
        };
        Err(MemoryError::TooLarge {
            what: self.what.to_owned(),
            samples: thousands(samples),
            need: format_bytes(need),
            available: format_bytes(u128::from(available)),
            fit,
        })
    }

    /// The largest number of samples whose need fits in `available` (rules grow with samples).
    pub fn max_samples(&self, genes: usize, available: u64) -> usize {
        // Beyond 2^40 samples nothing is real; the cap also keeps every rule's u128 arithmetic
        // far from overflow when the memory is unlimited.
        const MOST: usize = 1 << 40;
        let (mut low, mut high) = (0usize, 1usize);
        while self.need(high, genes) <= u128::from(available) && high < MOST {
            low = high;
            high *= 2;
        }
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if self.need(mid, genes) <= u128::from(available) {
                low = mid;
            } else {
                high = mid;
            }
        }
        low
    }
}

/// Bytes of `count` f64 values.
pub fn f64s(count: u128) -> u128 {
    count * 8
}

/// Bytes of a condensed distance matrix of `n` items (n(n−1)/2 f64).
pub fn condensed_bytes(n: usize) -> u128 {
    let n = n as u128;
    f64s(n * n.saturating_sub(1) / 2)
}

/// Bytes of an `rows` × `cols` f64 matrix.
pub fn matrix_bytes(rows: usize, cols: usize) -> u128 {
    f64s(rows as u128 * cols as u128)
}

/// A limit set by [`set_limit`] (0: none).
static LIMIT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Caps what [`available_bytes`] reports for the rest of the process (`None`: no cap), as
/// `BIOLENS_MEMORY_LIMIT` does from outside.
pub fn set_limit(bytes: Option<u64>) {
    LIMIT.store(bytes.unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
}

/// Bytes Biolens may use now: the smaller of [`set_limit`]'s cap and `BIOLENS_MEMORY_LIMIT`
/// (bytes, or with K/M/G/T) if either is set, else the kernel's `MemAvailable`, else unlimited
/// (other systems).
pub fn available_bytes() -> u64 {
    let cap = LIMIT.load(std::sync::atomic::Ordering::Relaxed);
    let env = std::env::var("BIOLENS_MEMORY_LIMIT").ok().and_then(|v| parse_bytes(&v));
    match (cap, env) {
        (0, None) => {}
        (0, Some(limit)) => return limit,
        (cap, Some(limit)) => return cap.min(limit),
        (cap, None) => return cap,
    }
    std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| mem_available(&text)).unwrap_or(u64::MAX)
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// "8G", "512M", "1000000" → bytes.
fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((at, _)) => (&text[..at], text[at..].to_ascii_uppercase()),
        None => (text, String::new()),
    };
    let value: f64 = number.trim().parse().ok()?;
    let scale = match unit.trim_end_matches(['B', 'I']) {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    (value >= 0.0).then_some((value * scale) as u64)
}

/// "40.0 GB", "381 MB".
pub fn format_bytes(bytes: u128) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} kB", (b / 1e3).max(1.0))
    }
}

/// 100000 → "100,000".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `len` zeros, or an error if the memory cannot be had (never an abort).
pub fn try_zeros(len: usize, what: &str) -> Result<Vec<f64>, MemoryError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| MemoryError::AllocationFailed { what: what.to_owned(), bytes: format_bytes(f64s(len as u128)) })?;
    v.resize(len, 0.0);
    Ok(v)
}

/// A `rows` × `cols` matrix of zeros, or an error if the memory cannot be had.
pub fn try_matrix(rows: usize, cols: usize, what: &str) -> Result<ndarray::Array2<f64>, MemoryError> {
    let len = rows.checked_mul(cols).ok_or_else(|| MemoryError::AllocationFailed {
        what: what.to_owned(),
        bytes: format_bytes(matrix_bytes(rows, cols)),
    })?;
    let values = try_zeros(len, what)?;
    Ok(ndarray::Array2::from_shape_vec((rows, cols), values).unwrap_or_default())
}

/// Keeps glibc's malloc from returning every large block to the kernel as soon as it is freed.
///
/// By default glibc serves blocks above a threshold that grows only to the largest block freed
/// so far with their own `mmap`, and gives them back with `munmap` when freed, so the next
/// allocation of that size faults in fresh zeroed pages again. Training a network allocates and
/// frees tensors of megabytes many times per batch (burn's `flex` backend has no caching
/// allocator, as `PyTorch` has): on this kind of VM that churn made a third of the time system time
/// and doubled the epoch (0.7 against 0.35 s in `benches/mlp`). Blocks up to 32 MB (glibc's
/// largest threshold) now come from the heap, which is trimmed only when 512 MB at its top are
/// free and grows 64 MB at a time; peak memory is unchanged (measured: 711 against 705 MB on the
/// benchmark). A no-op where the C library is not glibc. (The crate's only `unsafe`: the C
/// library's own switch, with no safe wrapper; the `MALLOC_*` environment variables would have
/// to be set before the process starts.)
#[allow(unsafe_code)]
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes malloc's parameters; it is called at start, before any
    // other thread exists, with documented options and values in range.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONDENSED: MemoryRule = MemoryRule { what: "hierarchical clustering", bytes: |n, _| condensed_bytes(n) };

    #[test]
    fn a_rule_refuses_with_the_need_and_a_subset_that_fits() {
        assert!(CONDENSED.check_within(10_000, 50, 1 << 30).is_ok());
        let err = CONDENSED.check_within(100_000, 50, 1 << 30).unwrap_err().to_string();
        assert!(err.starts_with("hierarchical clustering of 100,000 samples needs 40.0 GB"), "{err}");
        assert!(err.contains("1.1 GB is available"), "{err}");
        // 4·n(n−1) ≤ 2^30 → n = 16384 is the largest.
        assert!(err.contains("at most 16,384 samples fit"), "{err}");
        assert_eq!(CONDENSED.max_samples(50, 1 << 30), 16_384);
        assert!(condensed_bytes(16_385) > 1 << 30);
    }

    #[test]
    fn limits_and_meminfo_parse() {
        assert_eq!(parse_bytes("8G"), Some(8 << 30));
        assert_eq!(parse_bytes("512 MiB"), Some(512 << 20));
        assert_eq!(parse_bytes("1000"), Some(1000));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(mem_available("MemTotal: 10 kB\nMemAvailable:  2048 kB\n"), Some(2048 * 1024));
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn an_impossible_allocation_is_an_error() {
        let err = try_zeros(usize::MAX / 16, "a test buffer").unwrap_err();
        assert!(matches!(err, MemoryError::AllocationFailed { .. }));
        assert!(try_matrix(usize::MAX, 2, "m").is_err());
        assert_eq!(try_zeros(3, "small").unwrap(), vec![0.0; 3]);
    }
}
