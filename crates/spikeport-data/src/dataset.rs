//! A labelled set of grey-scale images.

use std::path::Path;

use ndarray::{Array2, ArrayView1, ArrayView2, Axis, Slice};
use rand::seq::SliceRandom as _;
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;

use crate::error::DataError;
use crate::idx::{read_idx, IdxArray};
use crate::Result;

/// Number of classes (the digits 0–9).
pub const NUM_CLASSES: usize = 10;

/// IDX magic number of an image file: unsigned bytes, 3 dimensions (count, rows, cols).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;

/// IDX magic number of a label file: unsigned bytes, 1 dimension (count).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// A labelled image set: `len()` grey-scale images of `rows` × `cols` pixels, each with a
/// class label in `0..=9`.
///
/// Images are stored as one `(len, rows * cols)` array of raw `u8` intensities (0 = background,
/// 255 = full ink), each image's pixels in row-major order: pixel `(r, c)` of image `i` is
/// `images()[[i, r * cols + c]]`. The invariants (shape, label range) are checked on
/// construction, so every `Dataset` is valid.
///
/// ```
/// use ndarray::array;
/// use spikeport_data::{Dataset, Preprocessing};
///
/// // Two 2x2 images, labelled 3 and 7.
/// let ds = Dataset::new(array![[0, 255, 51, 0], [255, 255, 0, 0]], vec![3, 7], 2, 2)?;
/// assert_eq!(ds.len(), 2);
/// assert_eq!(ds.scaled()[[1, 0]], 1.0);
/// assert_eq!(ds.features(Preprocessing::Scale)?[[0, 2]], 0.2);
/// assert_eq!(ds.class_counts()[7], 1);
/// # Ok::<(), spikeport_data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// `(n, rows * cols)` raw pixel intensities.
    images: Array2<u8>,
    /// One label `0..=9` per image.
    labels: Vec<u8>,
    /// Image height in pixels.
    rows: usize,
    /// Image width in pixels.
    cols: usize,
}

impl Dataset {
    /// Builds a dataset from `(n, rows * cols)` raw pixels and `n` labels.
    ///
    /// **Errors**: [`DataError::InvalidArgument`] if `rows` or `cols` is 0;
    /// [`DataError::DimensionMismatch`] if `images` has not `rows * cols` columns or not one row
    /// per label; [`DataError::LabelOutOfRange`] for a label above 9.
    pub fn new(images: Array2<u8>, labels: Vec<u8>, rows: usize, cols: usize) -> Result<Self> {
        if rows == 0 || cols == 0 {
            return Err(DataError::invalid(format!("image size {rows} x {cols}: both must be at least 1")));
        }
        let pixels = rows
            .checked_mul(cols)
            .ok_or_else(|| DataError::invalid(format!("image size {rows} x {cols} overflows")))?;
        if images.ncols() != pixels {
            return Err(DataError::DimensionMismatch {
                what: "image array columns (pixels per image)".to_owned(),
                expected: format!("{pixels} ({rows} x {cols})"),
                found: images.ncols().to_string(),
            });
        }
        if images.nrows() != labels.len() {
            return Err(DataError::DimensionMismatch {
                what: "image array rows (one per label)".to_owned(),
                expected: labels.len().to_string(),
                found: images.nrows().to_string(),
            });
        }
        check_labels(&labels, None)?;
        Ok(Self { images, labels, rows, cols })
    }

    /// Reads an image IDX file and a label IDX file (each raw or gzipped) into a dataset.
    ///
    /// **Errors**: those of [`read_idx`](crate::read_idx); [`DataError::BadMagic`] unless the
    /// image file's magic is `0x00000803` and the label file's `0x00000801` (this catches swapped
    /// arguments); [`DataError::EmptyDataset`] for images of zero rows or columns or a file of
    /// zero items; [`DataError::CountMismatch`] if the two files hold different numbers of
    /// items; [`DataError::LabelOutOfRange`] for a label above 9.
    pub fn from_idx_files(images: &Path, labels: &Path) -> Result<Self> {
        let img = read_idx(images)?;
        let lab = read_idx(labels)?;
        Self::from_idx_arrays(img, images, lab, labels)
    }

    /// Builds a dataset from decoded image and label IDX arrays; the paths are for messages.
    ///
    /// **Errors**: as [`Self::from_idx_files`], less the reading errors.
    pub(crate) fn from_idx_arrays(
        img: IdxArray,
        images: &Path,
        lab: IdxArray,
        labels: &Path,
    ) -> Result<Self> {
        for (a, path, expected) in [(&img, images, IMAGES_MAGIC), (&lab, labels, LABELS_MAGIC)] {
            if a.magic() != expected {
                return Err(DataError::BadMagic { path: path.to_path_buf(), expected, found: a.magic() });
            }
        }
        let &[n, rows, cols] = img.dims.as_slice() else {
            // Unreachable after the magic check, but cheap to report properly.
            return Err(DataError::DimensionMismatch {
                what: format!("{}: image dimensions", images.display()),
                expected: "3 (count, rows, cols)".to_owned(),
                found: format!("{:?}", img.dims),
            });
        };
        let &[n_labels] = lab.dims.as_slice() else {
            return Err(DataError::DimensionMismatch {
                what: format!("{}: label dimensions", labels.display()),
                expected: "1 (count)".to_owned(),
                found: format!("{:?}", lab.dims),
            });
        };
        if n != n_labels {
            return Err(DataError::CountMismatch {
                images: images.to_path_buf(),
                image_count: n,
                labels: labels.to_path_buf(),
                label_count: n_labels,
            });
        }
        if n == 0 || rows == 0 || cols == 0 {
            return Err(DataError::EmptyDataset {
                what: format!("{} ({n} images of {rows} x {cols})", images.display()),
            });
        }
        check_labels(&lab.data, Some(labels))?;
        let array =
            Array2::from_shape_vec((n, rows * cols), img.data).map_err(|e| DataError::DimensionMismatch {
                what: format!("{}: image data", images.display()),
                expected: format!("{n} x {rows} x {cols} bytes"),
                found: e.to_string(),
            })?;
        Ok(Self { images: array, labels: lab.data, rows, cols })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the dataset holds no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image height in pixels (28 for MNIST).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Image width in pixels (28 for MNIST).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Pixels per image, `rows * cols` (784 for MNIST).
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }

    /// All images as a `(len, rows * cols)` view of raw intensities 0–255, row-major pixels.
    pub fn images(&self) -> ArrayView2<'_, u8> {
        self.images.view()
    }

    /// The class label `0..=9` of every image, in image order.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Image `i` as `rows * cols` raw intensities 0–255 (row-major), or `None` past the end.
    pub fn image(&self, i: usize) -> Option<ArrayView1<'_, u8>> {
        (i < self.len()).then(|| self.images.row(i))
    }

    /// The label `0..=9` of image `i`, or `None` past the end.
    pub fn label(&self, i: usize) -> Option<u8> {
        self.labels.get(i).copied()
    }

    /// A copy of the first `n` images and labels.
    ///
    /// **Errors**: [`DataError::TooFewItems`] if `n > len()`.
    pub fn take(&self, n: usize) -> Result<Dataset> {
        if n > self.len() {
            return Err(DataError::TooFewItems { requested: n, available: self.len() });
        }
        Ok(Self {
            images: self.images.slice_axis(Axis(0), Slice::from(..n)).to_owned(),
            labels: self.labels[..n].to_vec(),
            rows: self.rows,
            cols: self.cols,
        })
    }

    /// A copy of the images at `indices`, in the order given (repeats allowed).
    ///
    /// **Errors**: [`DataError::IndexOutOfRange`] for an index `>= len()`.
    pub fn select(&self, indices: &[usize]) -> Result<Dataset> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(DataError::IndexOutOfRange { index: bad, len: self.len() });
        }
        Ok(Self {
            images: self.images.select(Axis(0), indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            rows: self.rows,
            cols: self.cols,
        })
    }

    /// Splits into `(train, validation)`: a seeded random choice of `n_validation` images for
    /// validation, the other `len() - n_validation` for training.
    ///
    /// The image indices are shuffled with [`ChaCha8Rng`] seeded by `seed` (via
    /// `SeedableRng::seed_from_u64`); the first `n_validation` shuffled indices form the
    /// validation part. Both parts then keep the **original order** of the images (indices
    /// ascending), so `split(0, _)` returns `(self.clone(), empty)`. The result depends only on
    /// `len()`, `n_validation` and `seed`, on every platform; the two parts are disjoint and
    /// together hold every image once.
    ///
    /// **Errors**: [`DataError::TooFewItems`] if `n_validation > len()`.
    ///
    /// ```
    /// # use spikeport_data::Dataset;
    /// # let ds = Dataset::new(ndarray::Array2::zeros((10, 4)), vec![1; 10], 2, 2)?;
    /// let (train, val) = ds.split(3, 42)?;
    /// assert_eq!((train.len(), val.len()), (7, 3));
    /// assert_eq!(ds.split(3, 42)?, (train, val));
    /// # Ok::<(), spikeport_data::DataError>(())
    /// ```
    pub fn split(&self, n_validation: usize, seed: u64) -> Result<(Dataset, Dataset)> {
        let (train, validation) = split_indices(self.len(), n_validation, seed)?;
        Ok((self.select(&train)?, self.select(&validation)?))
    }

    /// Pixels scaled to `[0, 1]` (intensity ÷ 255), shape `(len, rows * cols)`.
    pub fn scaled(&self) -> Array2<f32> {
        self.images.mapv(scale_pixel)
    }

    /// Number of images of each class `0..=9`.
    pub fn class_counts(&self) -> [usize; NUM_CLASSES] {
        let mut counts = [0; NUM_CLASSES];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(usize::from(l)) {
                *c += 1;
            }
        }
        counts
    }
}

/// The index sets of [`Dataset::split`]: `(train, validation)` indices into `0..len`, each
/// ascending, disjoint, together `0..len`.
///
/// **Errors**: [`DataError::TooFewItems`] if `n_validation > len`.
pub fn split_indices(len: usize, n_validation: usize, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if n_validation > len {
        return Err(DataError::TooFewItems { requested: n_validation, available: len });
    }
    let mut order: Vec<usize> = (0..len).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut train = order.split_off(n_validation);
    let mut validation = order;
    train.sort_unstable();
    validation.sort_unstable();
    Ok((train, validation))
}

/// Checks that every label is a digit; `path` names the label file in the error.
fn check_labels(labels: &[u8], path: Option<&Path>) -> Result<()> {
    match labels.iter().position(|&l| usize::from(l) >= NUM_CLASSES) {
        Some(index) => {
            Err(DataError::LabelOutOfRange { path: path.map(Path::to_path_buf), index, label: labels[index] })
        }
        None => Ok(()),
    }
}

/// A raw intensity 0–255 as a fraction in `[0, 1]`: the scaling of [`Dataset::scaled`].
pub(crate) fn scale_pixel(p: u8) -> f32 {
    f32::from(p) / 255.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// `n` 2x3 images; image i has all pixels = i, label i % 10.
    fn tiny(n: usize) -> Dataset {
        let images = Array2::from_shape_fn((n, 6), |(i, _)| i as u8);
        let labels = (0..n).map(|i| (i % 10) as u8).collect();
        match Dataset::new(images, labels, 2, 3) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn new_checks_shapes_and_labels() {
        let ok = Dataset::new(Array2::zeros((2, 6)), vec![0, 9], 2, 3);
        assert!(ok.is_ok());
        assert!(matches!(
            Dataset::new(Array2::zeros((2, 6)), vec![0, 9], 2, 2),
            Err(DataError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            Dataset::new(Array2::zeros((2, 6)), vec![0], 2, 3),
            Err(DataError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            Dataset::new(Array2::zeros((2, 6)), vec![0, 10], 2, 3),
            Err(DataError::LabelOutOfRange { path: None, index: 1, label: 10 })
        ));
        assert!(matches!(
            Dataset::new(Array2::zeros((0, 0)), vec![], 0, 3),
            Err(DataError::InvalidArgument { .. })
        ));
        // An empty dataset of a valid size is fine (e.g. `take(0)`).
        assert!(Dataset::new(Array2::zeros((0, 6)), vec![], 2, 3).is_ok());
    }

    #[test]
    fn accessors() {
        let d = tiny(4);
        assert_eq!((d.len(), d.rows(), d.cols(), d.pixels()), (4, 2, 3, 6));
        assert!(!d.is_empty());
        assert_eq!(d.images().dim(), (4, 6));
        assert_eq!(d.labels(), &[0, 1, 2, 3]);
        assert_eq!(d.image(2).map(|v| v.to_vec()), Some(vec![2; 6]));
        assert!(d.image(4).is_none());
        assert_eq!(d.label(3), Some(3));
        assert_eq!(d.label(4), None);
    }

    #[test]
    fn take_and_select() -> Result<()> {
        let d = tiny(5);
        let t = d.take(2)?;
        assert_eq!(t.labels(), &[0, 1]);
        assert_eq!(t.images(), d.images().slice_axis(Axis(0), Slice::from(..2)));
        assert!(d.take(0)?.is_empty());
        assert_eq!(d.take(5)?, d);
        assert!(matches!(d.take(6), Err(DataError::TooFewItems { requested: 6, available: 5 })));
        let s = d.select(&[4, 0, 4])?;
        assert_eq!(s.labels(), &[4, 0, 4]);
        assert_eq!(s.image(0).map(|v| v[0]), Some(4));
        assert!(matches!(d.select(&[1, 5]), Err(DataError::IndexOutOfRange { index: 5, len: 5 })));
        Ok(())
    }

    #[test]
    fn split_is_deterministic_disjoint_and_seeded() -> Result<()> {
        let d = tiny(100);
        let (tr, va) = d.split(30, 7)?;
        assert_eq!((tr.len(), va.len()), (70, 30));
        assert_eq!(d.split(30, 7)?, (tr.clone(), va.clone()));

        // Pixel value = original index, so recover the index sets from the images.
        let ids =
            |ds: &Dataset| -> Vec<usize> { ds.images().column(0).iter().map(|&p| p as usize).collect() };
        let (a, b) = (ids(&tr), ids(&va));
        assert!(a.windows(2).all(|w| w[0] < w[1]), "train keeps order");
        assert!(b.windows(2).all(|w| w[0] < w[1]), "validation keeps order");
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>(), "disjoint and complete");
        // Labels travel with their images.
        assert!(tr.labels().iter().zip(&a).all(|(&l, &i)| usize::from(l) == i % 10));

        let (_, va2) = d.split(30, 8)?;
        assert_ne!(va, va2, "another seed gives another split");

        assert_eq!(d.split(0, 1)?.0, d);
        assert_eq!(d.split(100, 1)?.1, d);
        assert!(matches!(d.split(101, 1), Err(DataError::TooFewItems { .. })));
        Ok(())
    }

    #[test]
    fn split_indices_known_values_are_stable() -> Result<()> {
        // Guards against silent changes of the shuffle (rand / rand_chacha upgrades).
        let (_, v) = split_indices(10, 3, 0)?;
        assert_eq!(v, vec![2, 6, 8]);
        let (t, v) = split_indices(20, 5, 42)?;
        assert_eq!(v, vec![1, 6, 7, 11, 16]);
        assert_eq!(t.len(), 15);
        Ok(())
    }

    #[test]
    fn scaled_range_and_values() {
        let d = Dataset::new(array![[0u8, 51, 255, 128]], vec![1], 2, 2);
        let Ok(d) = d else { panic!("valid dataset") };
        let s = d.scaled();
        assert_eq!(s.row(0).to_vec(), vec![0.0, 0.2, 1.0, 128.0 / 255.0]);
        assert!(tiny(30).scaled().iter().all(|&x| (0.0..=1.0).contains(&x)));
    }

    #[test]
    fn class_counts_sum_to_len() {
        let d = tiny(25);
        let c = d.class_counts();
        assert_eq!(c, [3, 3, 3, 3, 3, 2, 2, 2, 2, 2]);
        assert_eq!(c.iter().sum::<usize>(), d.len());
    }

    #[test]
    fn dataset_is_send_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Dataset>();
    }
}
