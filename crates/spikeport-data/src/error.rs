//! The crate's error type.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Everything that can go wrong while reading, checking or transforming a dataset.
///
/// Messages name the file (where there is one) and the problem, so that they can be shown to
/// a user as they are. New variants may be added in minor releases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file or directory could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or directory that failed.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A file starts with the gzip magic bytes (`1f 8b`) but its compressed stream is corrupt or
    /// cut short.
    #[error("{}: corrupt gzip data: {source}", path.display())]
    Decompress {
        /// The gzipped file.
        path: PathBuf,
        /// The decoder's error.
        source: std::io::Error,
    },

    /// A gzipped file decompresses to more than
    /// [`MAX_DECOMPRESSED_BYTES`](crate::MAX_DECOMPRESSED_BYTES) (a corrupt file or a
    /// decompression bomb); decoding stops at the limit.
    #[error("{}: decompresses to more than the limit of {limit_bytes} bytes", path.display())]
    DecompressedTooLarge {
        /// The gzipped file.
        path: PathBuf,
        /// The limit, bytes.
        limit_bytes: u64,
    },

    /// An IDX file (after decompression) is shorter than its header says it must be.
    #[error(
        "{}: truncated IDX file: expected {expected} bytes, found {actual}",
        path.display()
    )]
    Truncated {
        /// The IDX file.
        path: PathBuf,
        /// Bytes the header (or, before the header is complete, the header itself) requires.
        expected: usize,
        /// Bytes actually present (decompressed).
        actual: usize,
    },

    /// An IDX file (after decompression) is longer than its header says it should be.
    #[error(
        "{}: {} trailing bytes after the IDX data: expected {expected} bytes, found {actual}",
        path.display(),
        actual.saturating_sub(*expected)
    )]
    TrailingBytes {
        /// The IDX file.
        path: PathBuf,
        /// Bytes the header requires.
        expected: usize,
        /// Bytes actually present (decompressed).
        actual: usize,
    },

    /// A file does not start with the IDX magic (two zero bytes, a type code and a dimension
    /// count), so it is not an IDX file at all.
    #[error(
        "{}: not an IDX file: it starts with {found:02x?}, an IDX file starts with two zero bytes",
        path.display()
    )]
    NotIdx {
        /// The file.
        path: PathBuf,
        /// Its first (up to four) bytes, after decompression.
        found: Vec<u8>,
    },

    /// An IDX file has the wrong magic number for its role, for example a label file
    /// (`0x00000801`) given where an image file (`0x00000803`) is expected.
    #[error(
        "{}: wrong IDX magic number: expected {expected:#010x} ({}), found {found:#010x}",
        path.display(),
        magic_meaning(*expected)
    )]
    BadMagic {
        /// The IDX file.
        path: PathBuf,
        /// The magic number required (`0x00000803` for images, `0x00000801` for labels).
        expected: u32,
        /// The magic number in the file.
        found: u32,
    },

    /// An IDX file holds a data type other than unsigned bytes (type code `0x08`).
    #[error(
        "{}: unsupported IDX data type {type_code:#04x} ({}); only 0x08 (unsigned byte) is supported",
        path.display(),
        idx_type_name(*type_code)
    )]
    UnsupportedType {
        /// The IDX file.
        path: PathBuf,
        /// The type code (third byte of the magic number).
        type_code: u8,
    },

    /// Array dimensions do not fit together (image size against pixel count, labels against
    /// images, pooling input against its declared shape, …).
    #[error("{what}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// What was checked, naming the file where there is one.
        what: String,
        /// The dimensions required.
        expected: String,
        /// The dimensions found.
        found: String,
    },

    /// The image file and the label file disagree on the number of items.
    #[error(
        "{} holds {image_count} images but {} holds {label_count} labels",
        images.display(),
        labels.display()
    )]
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// Number of images in it.
        image_count: usize,
        /// The label file.
        labels: PathBuf,
        /// Number of labels in it.
        label_count: usize,
    },

    /// A file's SHA-256 digest differs from the one recorded in `SHA256SUMS`.
    #[error(
        "{}: SHA-256 checksum mismatch: expected {expected}, actual {actual}",
        path.display()
    )]
    ChecksumMismatch {
        /// The file whose digest is wrong.
        path: PathBuf,
        /// The digest in `SHA256SUMS` (lower-case hex).
        expected: String,
        /// The file's digest (lower-case hex).
        actual: String,
    },

    /// A line of a `SHA256SUMS` file is not `<64 hex digits>  <file name>`.
    #[error(
        "{} line {line}: malformed checksum line, expected `<64 hex digits>  <file name>`",
        path.display()
    )]
    MalformedChecksums {
        /// The checksum file.
        path: PathBuf,
        /// The offending line (1-based).
        line: usize,
    },

    /// A class label is not a digit `0..=9`.
    #[error("label {label} at index {index}{} is outside 0..=9", in_file(path.as_deref()))]
    LabelOutOfRange {
        /// The label file, where the labels came from one.
        path: Option<PathBuf>,
        /// Index of the offending label (0-based).
        index: usize,
        /// The label found.
        label: u8,
    },

    /// No MNIST data directory (or file) was found.
    #[error("MNIST data not found; looked in: {}", list_paths(searched))]
    NotFound {
        /// Every path looked at, in order.
        searched: Vec<PathBuf>,
    },

    /// The environment variable naming the data directory points to something that is not a
    /// directory.
    #[error("{var} is set to {}, which is not an existing directory", path.display())]
    EnvDirNotFound {
        /// The environment variable (`SPIKEPORT_DATA`).
        var: String,
        /// Its value.
        path: PathBuf,
    },

    /// A dataset that must hold at least one item is empty.
    #[error("{what} is empty")]
    EmptyDataset {
        /// What is empty, naming the file where there is one.
        what: String,
    },

    /// An item index is past the end of a dataset.
    #[error("index {index} is out of range for a dataset of {len} items")]
    IndexOutOfRange {
        /// The index asked for (0-based).
        index: usize,
        /// Number of items in the dataset.
        len: usize,
    },

    /// More items were asked for than a dataset holds.
    #[error("{requested} items requested but the dataset holds only {available}")]
    TooFewItems {
        /// Items asked for.
        requested: usize,
        /// Items in the dataset.
        available: usize,
    },

    /// An argument is outside its valid range (zero pooling size, zero image size, …).
    #[error("invalid argument: {what}")]
    InvalidArgument {
        /// What is wrong, in words.
        what: String,
    },
}

impl DataError {
    /// An [`DataError::Io`] for `path`.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }

    /// An [`DataError::InvalidArgument`] saying `what`.
    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        Self::InvalidArgument { what: what.into() }
    }
}

/// What a well-known IDX magic number stands for.
fn magic_meaning(magic: u32) -> &'static str {
    match magic {
        0x0000_0803 => "unsigned-byte images, 3 dimensions",
        0x0000_0801 => "unsigned-byte labels, 1 dimension",
        _ => "IDX",
    }
}

/// The name of an IDX type code.
fn idx_type_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "i16",
        0x0C => "i32",
        0x0D => "f32",
        0x0E => "f64",
        _ => "unknown type",
    }
}

/// `" in <path>"` or nothing.
fn in_file(path: Option<&Path>) -> String {
    path.map(|p| format!(" in {}", p.display())).unwrap_or_default()
}

/// Paths separated by `, `, or `(nothing)`.
fn list_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "(nothing)".to_owned();
    }
    let mut s = String::new();
    for (i, p) in paths.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{}", p.display());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_and_problem() {
        let e = DataError::BadMagic { path: "x/labels.idx".into(), expected: 0x803, found: 0x801 };
        let msg = e.to_string();
        assert!(msg.contains("x/labels.idx"), "{msg}");
        assert!(msg.contains("0x00000803"), "{msg}");
        assert!(msg.contains("0x00000801"), "{msg}");

        let e = DataError::TrailingBytes { path: "f".into(), expected: 10, actual: 13 };
        assert!(e.to_string().starts_with("f: 3 trailing bytes"), "{e}");

        let e = DataError::LabelOutOfRange { path: Some("lab".into()), index: 4, label: 10 };
        assert_eq!(e.to_string(), "label 10 at index 4 in lab is outside 0..=9");

        let e = DataError::NotFound { searched: vec!["a".into(), "b".into()] };
        assert_eq!(e.to_string(), "MNIST data not found; looked in: a, b");

        let e = DataError::UnsupportedType { path: "f".into(), type_code: 0x0D };
        assert!(e.to_string().contains("0x0d (f32)"), "{e}");
    }

    #[test]
    fn error_is_send_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<DataError>();
    }
}
