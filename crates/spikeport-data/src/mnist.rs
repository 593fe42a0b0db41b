//! The MNIST database: locating, verifying and loading it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::idx::{decompress, parse_idx_owned, read_file};
use crate::Result;

/// Base name of the training images file (append `.gz` for the gzipped one).
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
/// Base name of the training labels file.
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
/// Base name of the test images file.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
/// Base name of the test labels file.
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";
/// Name of the checksum file, in `sha256sum` format, optional in a data directory.
pub const CHECKSUM_FILE: &str = "SHA256SUMS";

/// The data directory shipped with the spikeport sources, as seen at compile time.
const SHIPPED_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist");

/// The MNIST database of handwritten digits (Yann LeCun, Corinna Cortes, Christopher J. C.
/// Burges; CC BY-SA 3.0): 60,000 training and 10,000 test images of 28 × 28 pixels with labels
/// 0–9.
///
/// ```no_run
/// let mnist = spikeport_data::Mnist::load()?;
/// assert_eq!(mnist.train.len(), 60_000);
/// assert_eq!(mnist.test.len(), 10_000);
/// # Ok::<(), spikeport_data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Mnist {
    /// The 60,000 training images.
    pub train: Dataset,
    /// The 10,000 test images.
    pub test: Dataset,
}

impl Mnist {
    /// Environment variable naming the directory that holds the MNIST files.
    pub const ENV_VAR: &'static str = "SPIKEPORT_DATA";

    /// Number of training images.
    pub const TRAIN_LEN: usize = 60_000;

    /// Number of test images.
    pub const TEST_LEN: usize = 10_000;

    /// The directory to load MNIST from.
    ///
    /// In this order:
    /// 1. `$SPIKEPORT_DATA` if set and not empty; it must be an existing directory.
    /// 2. The data directory shipped with the spikeport sources (`data/mnist` at the workspace
    ///    root, located at compile time), if it exists.
    /// 3. The first `data/mnist` directory found in the current directory or one of its
    ///    ancestors.
    ///
    /// **Errors**: [`DataError::EnvDirNotFound`] if `$SPIKEPORT_DATA` names no directory;
    /// [`DataError::NotFound`], listing every place looked at, if steps 2 and 3 find nothing.
    pub fn default_dir() -> Result<PathBuf> {
        if let Some(value) = std::env::var_os(Self::ENV_VAR).filter(|v| !v.is_empty()) {
            let path = PathBuf::from(value);
            return if path.is_dir() {
                Ok(path)
            } else {
                Err(DataError::EnvDirNotFound { var: Self::ENV_VAR.to_owned(), path })
            };
        }
        let mut searched = Vec::new();
        let shipped = Path::new(SHIPPED_DIR);
        if shipped.is_dir() {
            return Ok(std::fs::canonicalize(shipped).unwrap_or_else(|_| shipped.to_path_buf()));
        }
        searched.push(shipped.to_path_buf());
        if let Ok(cwd) = std::env::current_dir() {
            for dir in cwd.ancestors() {
                let candidate = dir.join("data").join("mnist");
                if candidate.is_dir() {
                    return Ok(candidate);
                }
                searched.push(candidate);
            }
        }
        Err(DataError::NotFound { searched })
    }

    /// Loads the training and test sets from [`Self::default_dir`].
    ///
    /// **Errors**: those of [`Self::default_dir`] and [`Self::load_dir`].
    pub fn load() -> Result<Self> {
        Self::load_dir(&Self::default_dir()?)
    }

    /// Loads the training and test sets from `dir`.
    ///
    /// Each of the four files is looked for under its gzipped name (`….gz`) first, then under
    /// its un-gzipped name; either is decoded by content (gzip or raw), not by name. If `dir`
    /// holds a `SHA256SUMS` file, every file read that it lists must match its checksum (files
    /// it does not list are read unchecked).
    ///
    /// **Errors**: [`DataError::NotFound`] if a file exists under neither name;
    /// [`DataError::ChecksumMismatch`] (naming the file, expected and actual digests);
    /// [`DataError::MalformedChecksums`]; and those of [`Dataset::from_idx_files`].
    pub fn load_dir(dir: &Path) -> Result<Self> {
        let sums = Checksums::read_optional(dir)?;
        let train = load_pair(dir, TRAIN_IMAGES, TRAIN_LABELS, sums.as_ref())?;
        let test = load_pair(dir, TEST_IMAGES, TEST_LABELS, sums.as_ref())?;
        Ok(Self { train, test })
    }

    /// Loads only the test set from [`Self::default_dir`] (faster than [`Self::load`]).
    ///
    /// **Errors**: those of [`Self::default_dir`] and [`Self::load_test_dir`].
    pub fn load_test() -> Result<Dataset> {
        Self::load_test_dir(&Self::default_dir()?)
    }

    /// Loads only the test set from `dir`, as [`Self::load_dir`] does.
    ///
    /// **Errors**: as [`Self::load_dir`].
    pub fn load_test_dir(dir: &Path) -> Result<Dataset> {
        let sums = Checksums::read_optional(dir)?;
        load_pair(dir, TEST_IMAGES, TEST_LABELS, sums.as_ref())
    }
}

/// Checks every file listed in `dir/SHA256SUMS` (`sha256sum` format:
/// `<64 hex digits>  <file name>` per line; `*` before the name, blank lines and `#` comments
/// are accepted) against its SHA-256 digest.
///
/// **Errors**: [`DataError::Io`] if `SHA256SUMS` or a listed file cannot be read;
/// [`DataError::MalformedChecksums`] for a bad line; [`DataError::ChecksumMismatch`] for the
/// first file whose digest differs.
pub fn verify_checksums(dir: &Path) -> Result<()> {
    let sums = Checksums::read(dir)?;
    for (name, _) in &sums.entries {
        let path = dir.join(name);
        let bytes = read_file(&path)?;
        sums.check(&path, &bytes)?;
    }
    Ok(())
}

/// The lower-case hex SHA-256 digest of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// A parsed `SHA256SUMS` file.
struct Checksums {
    /// `(file name, lower-case hex digest)` in file order.
    entries: Vec<(String, String)>,
}

impl Checksums {
    /// Reads `dir/SHA256SUMS`; `None` if it does not exist.
    fn read_optional(dir: &Path) -> Result<Option<Self>> {
        if dir.join(CHECKSUM_FILE).exists() {
            Self::read(dir).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads and parses `dir/SHA256SUMS`.
    fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(CHECKSUM_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| DataError::io(&path, e))?;
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = || DataError::MalformedChecksums { path: path.clone(), line: i + 1 };
            let (hex, name) = line.split_once(char::is_whitespace).ok_or_else(malformed)?;
            let name = name.trim_start();
            let name = name.strip_prefix('*').unwrap_or(name);
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) || name.is_empty() {
                return Err(malformed());
            }
            entries.push((name.to_owned(), hex.to_ascii_lowercase()));
        }
        Ok(Self { entries })
    }

    /// Checks `bytes`, read from `path`, if the file's name is listed.
    fn check(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return Ok(());
        };
        let Some((_, expected)) = self.entries.iter().find(|(n, _)| n == name) else {
            return Ok(());
        };
        let actual = sha256_hex(bytes);
        if &actual != expected {
            return Err(DataError::ChecksumMismatch {
                path: path.to_path_buf(),
                expected: expected.clone(),
                actual,
            });
        }
        Ok(())
    }
}

/// `dir/base.gz` if it exists, else `dir/base` if it exists.
fn find_file(dir: &Path, base: &str) -> Result<PathBuf> {
    let gz = dir.join(format!("{base}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    let raw = dir.join(base);
    if raw.is_file() {
        return Ok(raw);
    }
    Err(DataError::NotFound { searched: vec![gz, raw] })
}

/// Reads one IDX file, verifying its checksum if listed.
fn read_checked(path: &Path, sums: Option<&Checksums>) -> Result<crate::IdxArray> {
    let bytes = read_file(path)?;
    if let Some(sums) = sums {
        sums.check(path, &bytes)?;
    }
    parse_idx_owned(decompress(bytes, path)?, path)
}

/// Loads one image/label pair of files from `dir`.
fn load_pair(dir: &Path, images: &str, labels: &str, sums: Option<&Checksums>) -> Result<Dataset> {
    let images = find_file(dir, images)?;
    let labels = find_file(dir, labels)?;
    let img = read_checked(&images, sums)?;
    let lab = read_checked(&labels, sums)?;
    Dataset::from_idx_arrays(img, &images, lab, &labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn checksum_lines() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| DataError::io(Path::new("tempdir"), e))?;
        let write = |text: &str| {
            std::fs::write(dir.path().join(CHECKSUM_FILE), text).map_err(|e| DataError::io(dir.path(), e))
        };
        let h = "A".repeat(64);
        write(&format!("# comment\n\n{h}  a.gz\n{h} *b\n"))?;
        let sums = Checksums::read(dir.path())?;
        assert_eq!(sums.entries, vec![("a.gz".into(), "a".repeat(64)), ("b".into(), "a".repeat(64))]);
        write(&format!("{h}  a.gz\nnot a checksum line\n"))?;
        assert!(matches!(Checksums::read(dir.path()), Err(DataError::MalformedChecksums { line: 2, .. })));
        write("abc  a.gz\n")?;
        assert!(matches!(Checksums::read(dir.path()), Err(DataError::MalformedChecksums { line: 1, .. })));
        Ok(())
    }

    #[test]
    fn missing_file_lists_both_names() {
        let err = find_file(Path::new("/nonexistent-spikeport"), TEST_IMAGES);
        let Err(DataError::NotFound { searched }) = err else {
            panic!("expected NotFound, got {err:?}");
        };
        assert_eq!(searched.len(), 2);
        assert!(searched[0].ends_with("t10k-images-idx3-ubyte.gz"));
        assert!(searched[1].ends_with("t10k-images-idx3-ubyte"));
    }
}
