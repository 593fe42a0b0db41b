//! Datasets for spikeport: the MNIST IDX reader (raw or gzip), pixel scaling, down-scaling by
//! average pooling, subsets and seeded splits.
//!
//! - [`read_idx`] / [`parse_idx`] decode IDX files (unsigned-byte data only), gzipped or not.
//! - [`Dataset`] is a checked, labelled image set: `(n, rows * cols)` raw `u8` pixels plus
//!   labels `0..=9`, with [`take`](Dataset::take), [`select`](Dataset::select) and a seeded
//!   [`split`](Dataset::split).
//! - [`Preprocessing`] turns images into network inputs — pixels ÷ 255, optionally followed by
//!   [`avg_pool`] (the Spikey network's 28 × 28 → 9 × 9) — and is recorded in model files.
//! - [`Mnist`] finds, verifies (`SHA256SUMS`) and loads the MNIST database; the directory is
//!   taken from `$SPIKEPORT_DATA`, else the `data/mnist` shipped with the sources.
//!
//! Nothing here panics on bad input files: every problem is a [`DataError`] that names the
//! file and what is wrong with it.
//!
//! # Example
//!
//! ```
//! use ndarray::Array2;
//! use spikeport_data::{Dataset, Preprocessing};
//!
//! // Twenty 6x6 images, image i filled with intensity 10 i, labelled i mod 10.
//! let images = Array2::from_shape_fn((20, 36), |(i, _)| (10 * i) as u8);
//! let labels = (0..20).map(|i| (i % 10) as u8).collect();
//! let data = Dataset::new(images, labels, 6, 6)?;
//!
//! // A seeded, reproducible 15 / 5 split.
//! let (train, validation) = data.split(5, 1234)?;
//! assert_eq!((train.len(), validation.len()), (15, 5));
//!
//! // The Spikey preprocessing: pixels / 255, then 3x3 average pooling (6x6 -> 2x2).
//! let x = train.features(Preprocessing::SPIKEY)?;
//! assert_eq!(x.dim(), (15, 4));
//! assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
//! # Ok::<(), spikeport_data::DataError>(())
//! ```
//!
//! Loading MNIST:
//!
//! ```no_run
//! use spikeport_data::{Mnist, Preprocessing};
//!
//! let mnist = Mnist::load()?; // $SPIKEPORT_DATA, else the shipped data/mnist
//! assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
//! let x_test = mnist.test.features(Preprocessing::Scale)?; // (10000, 784), values in [0, 1]
//! assert_eq!(x_test.ncols(), 784);
//! # Ok::<(), spikeport_data::DataError>(())
//! ```

mod dataset;
mod error;
mod idx;
mod mnist;
mod preprocess;

pub use dataset::{split_indices, Dataset, IMAGES_MAGIC, LABELS_MAGIC, NUM_CLASSES};
pub use error::DataError;
pub use idx::{encode_idx, parse_idx, read_idx, IdxArray, IDX_TYPE_U8, MAX_DECOMPRESSED_BYTES};
pub use mnist::{
    sha256_hex, verify_checksums, Mnist, CHECKSUM_FILE, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS,
};
pub use preprocess::{avg_pool, Preprocessing};

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, DataError>;
