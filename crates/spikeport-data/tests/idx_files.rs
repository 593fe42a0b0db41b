//! Reading hand-built IDX files from disk, raw and gzipped: the happy path and every way a
//! file can be broken, each checked for its error variant.
#![allow(clippy::unwrap_used)]

mod common;

use common::{gzip, images_idx, labels_idx, write, SIDE};
use spikeport_data::{read_idx, DataError, Dataset, IMAGES_MAGIC, LABELS_MAGIC};

/// Both encodings of the same IDX content: (file name suffix, bytes on disk).
fn encodings(raw: &[u8]) -> [(&'static str, Vec<u8>); 2] {
    [("raw", raw.to_vec()), ("gz", gzip(raw))]
}

#[test]
fn reads_raw_and_gzip_alike_whatever_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let raw = images_idx(3);
    let a = read_idx(&write(dir.path(), "a.idx", &raw)).unwrap();
    // Gzip is detected by content: a gzipped file without .gz, a raw file with .gz.
    let b = read_idx(&write(dir.path(), "b.idx", &gzip(&raw))).unwrap();
    let c = read_idx(&write(dir.path(), "c.gz", &raw)).unwrap();
    assert_eq!(a.dims, vec![3, SIDE, SIDE]);
    assert_eq!(a.magic(), IMAGES_MAGIC);
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn dataset_from_files() {
    let dir = tempfile::tempdir().unwrap();
    for (enc, img) in encodings(&images_idx(12)) {
        let lab = if enc == "gz" { gzip(&labels_idx(12)) } else { labels_idx(12) };
        let ip = write(dir.path(), &format!("img.{enc}"), &img);
        let lp = write(dir.path(), &format!("lab.{enc}"), &lab);
        let d = Dataset::from_idx_files(&ip, &lp).unwrap();
        assert_eq!((d.len(), d.rows(), d.cols()), (12, SIDE, SIDE));
        assert_eq!(d.labels()[..3], [0, 1, 2]);
        assert_eq!(d.image(1).unwrap()[0], 16);
        assert_eq!(d.class_counts(), [2, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
    }
}

#[test]
fn missing_file_is_io_error_naming_it() {
    let err = read_idx(std::path::Path::new("/nonexistent/spikeport.idx")).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/spikeport.idx"), "{err}");
}

#[test]
fn truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = images_idx(2);
    raw.truncate(raw.len() - 5);
    for (enc, bytes) in encodings(&raw) {
        let path = write(dir.path(), &format!("t.{enc}"), &bytes);
        let err = read_idx(&path).unwrap_err();
        assert!(
            matches!(err, DataError::Truncated { expected, actual, .. }
                if expected == 16 + 2 * SIDE * SIDE && actual == expected - 5),
            "{enc}: {err:?}"
        );
        assert!(err.to_string().contains("t."), "{err}");
    }
    // Cut inside the header.
    let path = write(dir.path(), "h.idx", &raw[..7]);
    assert!(matches!(read_idx(&path), Err(DataError::Truncated { expected: 16, actual: 7, .. })));
}

#[test]
fn trailing_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = labels_idx(5);
    raw.extend_from_slice(&[1, 2]);
    for (enc, bytes) in encodings(&raw) {
        let path = write(dir.path(), &format!("t.{enc}"), &bytes);
        assert!(
            matches!(read_idx(&path), Err(DataError::TrailingBytes { expected: 13, actual: 15, .. })),
            "{enc}"
        );
    }
}

#[test]
fn wrong_magic_swapped_files() {
    let dir = tempfile::tempdir().unwrap();
    for (enc, img) in encodings(&images_idx(4)) {
        let lab = if enc == "gz" { gzip(&labels_idx(4)) } else { labels_idx(4) };
        let ip = write(dir.path(), &format!("img.{enc}"), &img);
        let lp = write(dir.path(), &format!("lab.{enc}"), &lab);
        let err = Dataset::from_idx_files(&lp, &ip).unwrap_err();
        assert!(
            matches!(&err, DataError::BadMagic { path, expected, found }
                if path == &lp && *expected == IMAGES_MAGIC && *found == LABELS_MAGIC),
            "{enc}: {err:?}"
        );
        assert!(err.to_string().contains("lab."), "{err}");
        // Right image file, but an image file given as labels.
        let err = Dataset::from_idx_files(&ip, &ip).unwrap_err();
        assert!(
            matches!(err, DataError::BadMagic { expected, found, .. }
                if expected == LABELS_MAGIC && found == IMAGES_MAGIC),
            "{enc}: {err:?}"
        );
    }
}

#[test]
fn not_an_idx_file() {
    let dir = tempfile::tempdir().unwrap();
    for (enc, bytes) in encodings(b"<html>404 not found</html>") {
        let path = write(dir.path(), &format!("x.{enc}"), &bytes);
        assert!(matches!(read_idx(&path), Err(DataError::NotIdx { .. })), "{enc}");
    }
}

#[test]
fn wrong_type_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = images_idx(2);
    raw[2] = 0x0D; // f32
    for (enc, bytes) in encodings(&raw) {
        let path = write(dir.path(), &format!("f.{enc}"), &bytes);
        let err = read_idx(&path).unwrap_err();
        assert!(matches!(err, DataError::UnsupportedType { type_code: 0x0D, .. }), "{enc}: {err:?}");
        // The dataset reader reports the same, not a magic mismatch.
        let lp = write(dir.path(), "l.idx", &labels_idx(2));
        assert!(matches!(Dataset::from_idx_files(&path, &lp), Err(DataError::UnsupportedType { .. })));
    }
}

#[test]
fn count_mismatch_between_images_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    for (enc, img) in encodings(&images_idx(6)) {
        let lab = if enc == "gz" { gzip(&labels_idx(5)) } else { labels_idx(5) };
        let ip = write(dir.path(), &format!("img.{enc}"), &img);
        let lp = write(dir.path(), &format!("lab.{enc}"), &lab);
        let err = Dataset::from_idx_files(&ip, &lp).unwrap_err();
        assert!(
            matches!(&err, DataError::CountMismatch { images, image_count: 6, labels, label_count: 5 }
                if images == &ip && labels == &lp),
            "{enc}: {err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("6 images") && msg.contains("5 labels"), "{msg}");
    }
}

#[test]
fn label_ten_is_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut lab = labels_idx(4);
    let last = lab.len() - 1;
    lab[last] = 10;
    for (enc, lab_bytes) in encodings(&lab) {
        let ip = write(dir.path(), "img.idx", &images_idx(4));
        let lp = write(dir.path(), &format!("lab.{enc}"), &lab_bytes);
        let err = Dataset::from_idx_files(&ip, &lp).unwrap_err();
        assert!(
            matches!(&err, DataError::LabelOutOfRange { path: Some(p), index: 3, label: 10 }
                if p == &lp),
            "{enc}: {err:?}"
        );
        assert!(err.to_string().contains("lab."), "{err}");
    }
}

#[test]
fn empty_file_of_zero_images() {
    let dir = tempfile::tempdir().unwrap();
    let ip = write(dir.path(), "img.idx", &images_idx(0));
    let lp = write(dir.path(), "lab.idx", &labels_idx(0));
    assert!(matches!(Dataset::from_idx_files(&ip, &lp), Err(DataError::EmptyDataset { .. })));
}

#[test]
fn corrupt_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let good = gzip(&images_idx(50));
    // A flipped byte inside the deflate stream: bad data or a CRC mismatch.
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    // Cut short: the stream ends early.
    let cut = good[..good.len() / 2].to_vec();
    // Gzip magic followed by garbage: a bad header.
    let garbage = [0x1f, 0x8b, 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3].to_vec();
    // Valid gzip member followed by junk.
    let mut junk_after = good.clone();
    junk_after.extend_from_slice(b"junk after the member");
    for (what, bytes) in [("flipped", flipped), ("cut", cut), ("garbage", garbage), ("junk", junk_after)] {
        let path = write(dir.path(), &format!("{what}.gz"), &bytes);
        let err = read_idx(&path).unwrap_err();
        assert!(matches!(&err, DataError::Decompress { path: p, .. } if p == &path), "{what}: {err:?}");
        assert!(err.to_string().contains(&format!("{what}.gz")), "{err}");
    }
}
