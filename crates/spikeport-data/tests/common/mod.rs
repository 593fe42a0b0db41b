//! Helpers shared by the integration tests: hand-built IDX fixtures.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use spikeport_data::{
    encode_idx, sha256_hex, CHECKSUM_FILE, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS,
};

/// Image side of the fixtures, in pixels.
pub const SIDE: usize = 4;

/// IDX bytes of `n` images of SIDE x SIDE; pixel k of image i = (i * 16 + k) mod 256.
pub fn images_idx(n: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..n * SIDE * SIDE).map(|k| (k % 256) as u8).collect();
    encode_idx(&[n, SIDE, SIDE], &data).unwrap()
}

/// IDX bytes of `n` labels, label i = i mod 10.
pub fn labels_idx(n: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    encode_idx(&[n], &data).unwrap()
}

/// Gzip-compresses `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Writes a small fake MNIST directory: 30 training and 20 test images of SIDE x SIDE.
/// `gz` chooses the `.gz` names (gzipped content) or the plain names (raw content);
/// `sums` also writes a matching SHA256SUMS.
pub fn fake_mnist(dir: &Path, gz: bool, sums: bool) {
    let files = [
        (TRAIN_IMAGES, images_idx(30)),
        (TRAIN_LABELS, labels_idx(30)),
        (TEST_IMAGES, images_idx(20)),
        (TEST_LABELS, labels_idx(20)),
    ];
    let mut listing = String::new();
    for (base, raw) in files {
        let (name, bytes) = if gz { (format!("{base}.gz"), gzip(&raw)) } else { (base.to_owned(), raw) };
        listing.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
        write(dir, &name, &bytes);
    }
    if sums {
        write(dir, CHECKSUM_FILE, listing.as_bytes());
    }
}

/// The shipped data directory, `data/mnist` at the workspace root.
pub fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}
