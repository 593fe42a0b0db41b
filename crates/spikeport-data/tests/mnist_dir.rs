//! `Mnist::load_dir` / `verify_checksums` on small fake MNIST directories and on copies of
//! the shipped test files: file-name fallback and checksum failures.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fake_mnist, shipped_dir, write};
use spikeport_data::{
    verify_checksums, DataError, Mnist, CHECKSUM_FILE, TEST_IMAGES, TEST_LABELS, TRAIN_LABELS,
};

#[test]
fn loads_gzipped_and_raw_directories() {
    for gz in [true, false] {
        for sums in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            fake_mnist(dir.path(), gz, sums);
            let m = Mnist::load_dir(dir.path()).unwrap();
            assert_eq!((m.train.len(), m.test.len()), (30, 20), "gz={gz} sums={sums}");
            assert_eq!(m.test.labels()[..3], [0, 1, 2]);
            assert_eq!(Mnist::load_test_dir(dir.path()).unwrap(), m.test);
            if sums {
                verify_checksums(dir.path()).unwrap();
            } else {
                assert!(matches!(verify_checksums(dir.path()), Err(DataError::Io { .. })));
            }
        }
    }
}

#[test]
fn prefers_gz_over_raw() {
    let dir = tempfile::tempdir().unwrap();
    fake_mnist(dir.path(), true, false);
    // A broken un-gzipped twin must be ignored while the .gz exists.
    write(dir.path(), TEST_LABELS, b"broken");
    assert!(Mnist::load_test_dir(dir.path()).is_ok());
}

#[test]
fn missing_file_lists_both_names() {
    let dir = tempfile::tempdir().unwrap();
    fake_mnist(dir.path(), true, false);
    std::fs::remove_file(dir.path().join(format!("{TRAIN_LABELS}.gz"))).unwrap();
    let err = Mnist::load_dir(dir.path()).unwrap_err();
    let DataError::NotFound { searched } = &err else {
        panic!("expected NotFound, got {err:?}");
    };
    assert_eq!(searched.len(), 2);
    assert!(err.to_string().contains(TRAIN_LABELS), "{err}");
}

#[test]
fn corrupted_byte_fails_checksum() {
    let dir = tempfile::tempdir().unwrap();
    fake_mnist(dir.path(), true, true);
    let path = dir.path().join(format!("{TEST_IMAGES}.gz"));
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1; // in the gzip trailer: would also fail decoding, but the checksum comes first
    std::fs::write(&path, &bytes).unwrap();
    for err in [
        Mnist::load_dir(dir.path()).unwrap_err(),
        Mnist::load_test_dir(dir.path()).unwrap_err(),
        verify_checksums(dir.path()).unwrap_err(),
    ] {
        assert!(
            matches!(&err, DataError::ChecksumMismatch { path: p, expected, actual }
                if p == &path && expected != actual && actual.len() == 64),
            "{err:?}"
        );
        assert!(err.to_string().contains(TEST_IMAGES), "{err}");
    }
}

#[test]
fn malformed_checksum_file() {
    let dir = tempfile::tempdir().unwrap();
    fake_mnist(dir.path(), true, false);
    write(dir.path(), CHECKSUM_FILE, b"deadbeef  t10k-images-idx3-ubyte.gz\n");
    assert!(matches!(Mnist::load_dir(dir.path()), Err(DataError::MalformedChecksums { line: 1, .. })));
}

/// Copies the shipped test files (and SHA256SUMS) into a temporary directory.
fn copy_shipped_test_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in [format!("{TEST_IMAGES}.gz"), format!("{TEST_LABELS}.gz"), CHECKSUM_FILE.to_owned()] {
        std::fs::copy(shipped_dir().join(&name), dir.path().join(&name)).unwrap();
    }
    dir
}

#[test]
fn real_files_with_edited_checksums() {
    let dir = copy_shipped_test_files();
    assert_eq!(Mnist::load_test_dir(dir.path()).unwrap().len(), 10_000);
    // SHA256SUMS also lists the training files, which are not in the copy.
    assert!(matches!(verify_checksums(dir.path()), Err(DataError::Io { .. })));

    // Change one hex digit of the test labels' entry.
    let sums_path = dir.path().join(CHECKSUM_FILE);
    let text = std::fs::read_to_string(&sums_path).unwrap();
    let edited: String = text
        .lines()
        .map(|l| {
            if l.ends_with(&format!("{TEST_LABELS}.gz")) {
                let flipped = if l.starts_with('0') { "1" } else { "0" };
                format!("{flipped}{}\n", &l[1..])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_ne!(edited, text);
    std::fs::write(&sums_path, edited).unwrap();
    let err = Mnist::load_test_dir(dir.path()).unwrap_err();
    assert!(
        matches!(&err, DataError::ChecksumMismatch { path, expected, actual }
            if path.ends_with(format!("{TEST_LABELS}.gz"))
                && actual == "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b"
                && expected[1..] == actual[1..] && expected != actual),
        "{err:?}"
    );
}

#[test]
fn real_files_with_corrupted_byte() {
    let dir = copy_shipped_test_files();
    let path = dir.path().join(format!("{TEST_IMAGES}.gz"));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let err = Mnist::load_test_dir(dir.path()).unwrap_err();
    assert!(
        matches!(&err, DataError::ChecksumMismatch { path: p, expected, .. }
            if p == &path
                && expected == "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be"),
        "{err:?}"
    );
    // Without SHA256SUMS the corruption is caught by the gzip CRC instead.
    std::fs::remove_file(dir.path().join(CHECKSUM_FILE)).unwrap();
    assert!(matches!(Mnist::load_test_dir(dir.path()), Err(DataError::Decompress { .. })));
}
