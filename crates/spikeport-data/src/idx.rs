//! Reader for the IDX format of the MNIST files, raw or gzipped.
//!
//! An IDX file is a 4-byte magic number — two zero bytes, a type code (`0x08` = unsigned byte)
//! and the number of dimensions *d* — then *d* big-endian `u32` sizes, then the data in
//! row-major (C) order. Only unsigned-byte data is supported, which is all MNIST uses.

use std::io::Read as _;
use std::path::Path;

use crate::error::DataError;
use crate::Result;

/// The IDX type code of unsigned bytes, the only type this crate reads.
pub const IDX_TYPE_U8: u8 = 0x08;

/// The two magic bytes that start every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A decoded IDX file: its dimensions and its raw unsigned-byte payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// Size of each dimension, outermost first (for MNIST images `[count, rows, cols]`).
    pub dims: Vec<usize>,
    /// The payload, row-major; its length is the product of `dims`.
    pub data: Vec<u8>,
}

impl IdxArray {
    /// The IDX magic number of this array as a big-endian `u32`: `0x0000_08dd`, where `dd` is
    /// the number of dimensions (`0x00000803` for MNIST images, `0x00000801` for labels).
    pub fn magic(&self) -> u32 {
        // Only unsigned-byte arrays are ever built, and `parse_idx` caps dims at 255.
        (u32::from(IDX_TYPE_U8) << 8) | (self.dims.len() as u32 & 0xff)
    }

    /// Number of elements (the product of `dims`; 1 for zero dimensions).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the array holds no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Checks an IDX header and returns (dims, header length in bytes).
fn parse_header(bytes: &[u8], source: &Path) -> Result<(Vec<usize>, usize)> {
    let Some(magic) = bytes.first_chunk::<4>() else {
        // Fewer than four bytes: no room for a magic number. Distinguish "empty / truncated
        // IDX" from "not IDX at all" by the (up to two) leading zero bytes that are there.
        if bytes.iter().take(2).all(|&b| b == 0) {
            return Err(DataError::Truncated {
                path: source.to_path_buf(),
                expected: 4,
                actual: bytes.len(),
            });
        }
        return Err(DataError::NotIdx { path: source.to_path_buf(), found: bytes.to_vec() });
    };
    if magic[0] != 0 || magic[1] != 0 {
        return Err(DataError::NotIdx { path: source.to_path_buf(), found: magic.to_vec() });
    }
    if magic[2] != IDX_TYPE_U8 {
        return Err(DataError::UnsupportedType { path: source.to_path_buf(), type_code: magic[2] });
    }
    let ndims = usize::from(magic[3]);
    let header_len = 4 + 4 * ndims;
    let Some(header) = bytes.get(4..header_len) else {
        return Err(DataError::Truncated {
            path: source.to_path_buf(),
            expected: header_len,
            actual: bytes.len(),
        });
    };
    let dims: Vec<usize> =
        header.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize).collect();
    Ok((dims, header_len))
}

/// The number of payload bytes `dims` require, or an error if that overflows `usize`.
fn payload_len(dims: &[usize], source: &Path) -> Result<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(|| DataError::DimensionMismatch {
        what: format!("{}: IDX header", source.display()),
        expected: "dimensions whose product fits in memory".to_owned(),
        found: format!("{dims:?}"),
    })
}

/// Checks the header of `bytes` and the total length; returns (dims, header length).
fn check(bytes: &[u8], source: &Path) -> Result<(Vec<usize>, usize)> {
    let (dims, header_len) = parse_header(bytes, source)?;
    let expected =
        payload_len(&dims, source)?.checked_add(header_len).ok_or_else(|| DataError::DimensionMismatch {
            what: format!("{}: IDX header", source.display()),
            expected: "dimensions whose product fits in memory".to_owned(),
            found: format!("{dims:?}"),
        })?;
    let actual = bytes.len();
    if actual < expected {
        return Err(DataError::Truncated { path: source.to_path_buf(), expected, actual });
    }
    if actual > expected {
        return Err(DataError::TrailingBytes { path: source.to_path_buf(), expected, actual });
    }
    Ok((dims, header_len))
}

/// Parses an uncompressed IDX file held in memory.
///
/// `source` is used only in error messages.
///
/// **Errors**: [`DataError::NotIdx`] if the bytes do not start with two zero bytes,
/// [`DataError::UnsupportedType`] for any type code but `0x08`, [`DataError::Truncated`] if the
/// header or the payload is cut short, [`DataError::TrailingBytes`] if bytes follow the payload.
///
/// ```
/// use std::path::Path;
/// // A 2 x 3 array of unsigned bytes.
/// let bytes = [0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
/// let a = spikeport_data::parse_idx(&bytes, Path::new("inline"))?;
/// assert_eq!(a.dims, vec![2, 3]);
/// assert_eq!(a.data, vec![1, 2, 3, 4, 5, 6]);
/// # Ok::<(), spikeport_data::DataError>(())
/// ```
pub fn parse_idx(bytes: &[u8], source: &Path) -> Result<IdxArray> {
    let (dims, header_len) = check(bytes, source)?;
    Ok(IdxArray { dims, data: bytes.get(header_len..).unwrap_or_default().to_vec() })
}

/// Like [`parse_idx`], but takes ownership and reuses the buffer for the payload.
pub(crate) fn parse_idx_owned(mut bytes: Vec<u8>, source: &Path) -> Result<IdxArray> {
    let (dims, header_len) = check(&bytes, source)?;
    bytes.drain(..header_len);
    Ok(IdxArray { dims, data: bytes })
}

/// Reads a whole file into memory, as it is on disk.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| DataError::io(path, e))
}

/// Whether `bytes` start with the gzip magic `1f 8b`.
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// Decompresses `bytes` if they are gzipped (detected by the magic bytes, not the file name);
/// returns them unchanged otherwise. Concatenated gzip members are decoded one after another.
pub(crate) fn decompress(bytes: Vec<u8>, path: &Path) -> Result<Vec<u8>> {
    decompress_at_most(bytes, path, MAX_DECOMPRESSED_BYTES)
}

/// The most bytes a gzipped IDX file may decompress to, 2 GiB (MNIST's training images are
/// 47 MB; the largest EMNIST split about 0.6 GB).
pub const MAX_DECOMPRESSED_BYTES: u64 = 2 << 30;

/// [`decompress`] with a limit of `limit` decompressed bytes.
pub(crate) fn decompress_at_most(bytes: Vec<u8>, path: &Path, limit: u64) -> Result<Vec<u8>> {
    if !is_gzip(&bytes) {
        return Ok(bytes);
    }
    // The gzip trailer holds the uncompressed size mod 2^32: a good capacity hint. Cap it so
    // that a corrupt trailer cannot make us allocate absurd amounts up front.
    let hint = bytes.last_chunk::<4>().map_or(0, |t| u32::from_le_bytes(*t) as usize);
    let cap = hint.min(bytes.len().saturating_mul(64)).min(1 << 30).min(limit as usize);
    let mut out = Vec::with_capacity(cap);
    // one byte past the limit tells a file at the limit from one beyond it
    flate2::bufread::MultiGzDecoder::new(bytes.as_slice())
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|source| DataError::Decompress { path: path.to_path_buf(), source })?;
    if out.len() as u64 > limit {
        return Err(DataError::DecompressedTooLarge { path: path.to_path_buf(), limit_bytes: limit });
    }
    Ok(out)
}

/// Reads and decodes an IDX file, raw or gzipped.
///
/// Gzip is recognised by the magic bytes `1f 8b` at the start of the file, not by the file's
/// name, so `foo.gz` may be raw and `foo` may be gzipped.
///
/// **Errors**: [`DataError::Io`] if the file cannot be read, [`DataError::Decompress`] if it is
/// gzipped but corrupt, and the errors of [`parse_idx`].
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let bytes = decompress(read_file(path)?, path)?;
    parse_idx_owned(bytes, path)
}

/// Encodes `data` with `dims` as an unsigned-byte IDX file (for fixtures and round trips).
///
/// **Errors**: [`DataError::InvalidArgument`] if there are more than 255 dimensions or a
/// dimension exceeds `u32::MAX`; [`DataError::DimensionMismatch`] if `data.len()` is not the
/// product of `dims`.
pub fn encode_idx(dims: &[usize], data: &[u8]) -> Result<Vec<u8>> {
    let ndims = u8::try_from(dims.len())
        .map_err(|_| DataError::invalid(format!("{} IDX dimensions (at most 255)", dims.len())))?;
    let n = payload_len(dims, Path::new("encode_idx"))?;
    if n != data.len() {
        return Err(DataError::DimensionMismatch {
            what: "encode_idx data".to_owned(),
            expected: format!("{n} bytes for dims {dims:?}"),
            found: format!("{} bytes", data.len()),
        });
    }
    let mut out = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    out.extend_from_slice(&[0, 0, IDX_TYPE_U8, ndims]);
    for &d in dims {
        let d = u32::try_from(d)
            .map_err(|_| DataError::invalid(format!("IDX dimension {d} exceeds u32::MAX")))?;
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.idx")
    }

    #[test]
    fn round_trip() -> Result<()> {
        let bytes = encode_idx(&[2, 2, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])?;
        let a = parse_idx(&bytes, p())?;
        assert_eq!(a.dims, vec![2, 2, 3]);
        assert_eq!(a.magic(), 0x0803);
        assert_eq!(a.len(), 12);
        assert_eq!(parse_idx_owned(bytes, p())?, a);
        Ok(())
    }

    #[test]
    fn header_errors() {
        assert!(matches!(parse_idx(&[], p()), Err(DataError::Truncated { expected: 4, actual: 0, .. })));
        assert!(matches!(parse_idx(&[0, 0, 8], p()), Err(DataError::Truncated { .. })));
        assert!(matches!(parse_idx(b"<html>", p()), Err(DataError::NotIdx { .. })));
        assert!(matches!(
            parse_idx(&[0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], p()),
            Err(DataError::UnsupportedType { type_code: 0x0D, .. })
        ));
        // Header promises 3 dims, holds only 2.
        assert!(matches!(
            parse_idx(&[0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1], p()),
            Err(DataError::Truncated { expected: 16, actual: 12, .. })
        ));
    }

    #[test]
    fn payload_errors() {
        let mut bytes = [0u8, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9].to_vec();
        assert!(parse_idx(&bytes, p()).is_ok());
        bytes.push(0);
        assert!(matches!(
            parse_idx(&bytes, p()),
            Err(DataError::TrailingBytes { expected: 11, actual: 12, .. })
        ));
        bytes.truncate(10);
        assert!(matches!(parse_idx(&bytes, p()), Err(DataError::Truncated { expected: 11, actual: 10, .. })));
    }

    #[test]
    fn huge_dims_do_not_allocate_or_overflow() {
        let mut bytes = vec![0, 0, 8, 4];
        for _ in 0..4 {
            bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        }
        assert!(matches!(parse_idx(&bytes, p()), Err(DataError::DimensionMismatch { .. })));
        bytes.truncate(12);
        bytes[3] = 2;
        assert!(matches!(parse_idx(&bytes, p()), Err(DataError::Truncated { .. })));
    }

    #[test]
    fn zero_dims_is_a_scalar() -> Result<()> {
        let a = parse_idx(&[0, 0, 8, 0, 42], p())?;
        assert!(a.dims.is_empty());
        assert_eq!(a.data, vec![42]);
        Ok(())
    }

    #[test]
    fn raw_bytes_pass_through_decompress() -> Result<()> {
        let raw = vec![0, 0, 8, 0, 1];
        assert_eq!(decompress(raw.clone(), p())?, raw);
        Ok(())
    }

    #[test]
    fn decompression_stops_at_the_limit() {
        use std::io::Write as _;
        // 10,000 zero bytes compress to a few dozen: a small bomb
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&[0u8; 10_000]).expect("compress");
        let gz = enc.finish().expect("compress");
        assert!(gz.len() < 100);
        let err = decompress_at_most(gz.clone(), p(), 9_999).unwrap_err();
        assert!(matches!(err, DataError::DecompressedTooLarge { limit_bytes: 9_999, .. }), "{err}");
        assert_eq!(decompress_at_most(gz, p(), 10_000).expect("at the limit").len(), 10_000);
    }

    #[test]
    fn corrupt_gzip_is_typed() {
        // Gzip magic, then nonsense.
        let bad = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(decompress(bad, p()), Err(DataError::Decompress { .. })));
    }

    #[test]
    fn encode_rejects_bad_input() {
        assert!(matches!(encode_idx(&[2, 2], &[1, 2, 3]), Err(DataError::DimensionMismatch { .. })));
        assert!(matches!(encode_idx(&[1; 256], &[0]), Err(DataError::InvalidArgument { .. })));
    }
}
