//! Input preprocessing: pixel scaling and average-pool down-scaling.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::dataset::{scale_pixel, Dataset};
use crate::error::DataError;
use crate::Result;

/// How images become network inputs; recorded in model files so that a model is always fed
/// the way it was trained.
///
/// Serialised with an internal `kind` tag: `{"kind":"scale"}`,
/// `{"kind":"scale_avg_pool","size":3}`.
///
/// ```
/// use spikeport_data::Preprocessing;
/// assert_eq!(Preprocessing::Scale.input_size(28, 28)?, 784);
/// assert_eq!(Preprocessing::SPIKEY.output_shape(28, 28)?, (9, 9));
/// # Ok::<(), spikeport_data::DataError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Preprocessing {
    /// Pixel intensity ÷ 255, giving values in `[0, 1]`; the image keeps its size.
    #[default]
    Scale,
    /// Pixel intensity ÷ 255, then non-overlapping `size` × `size` average pooling with "valid"
    /// padding (see [`avg_pool`]).
    ScaleAvgPool {
        /// Side of the pooling window and its stride, in pixels.
        size: usize,
    },
}

impl Preprocessing {
    /// The Spikey network's input: 28 × 28 → 3 × 3 average pool → 9 × 9 (81 inputs), as in
    /// Ostrau et al. 2020.
    pub const SPIKEY: Preprocessing = Preprocessing::ScaleAvgPool { size: 3 };

    /// The `(rows, cols)` of one preprocessed image, given the raw image size in pixels.
    ///
    /// For pooling this is `(rows / size, cols / size)`, rounded down.
    ///
    /// **Errors**: [`DataError::InvalidArgument`] if `rows` or `cols` is 0, or the pooling
    /// `size` is 0 or larger than `rows` or `cols`.
    pub fn output_shape(&self, rows: usize, cols: usize) -> Result<(usize, usize)> {
        if rows == 0 || cols == 0 {
            return Err(DataError::invalid(format!("image size {rows} x {cols}: both must be at least 1")));
        }
        match *self {
            Preprocessing::Scale => Ok((rows, cols)),
            Preprocessing::ScaleAvgPool { size } => {
                if size == 0 || size > rows || size > cols {
                    return Err(DataError::invalid(format!(
                        "average-pool size {size} for {rows} x {cols} images: must be 1..={}",
                        rows.min(cols)
                    )));
                }
                Ok((rows / size, cols / size))
            }
        }
    }

    /// The number of network inputs per image: the product of [`Self::output_shape`].
    ///
    /// **Errors**: those of [`Self::output_shape`].
    pub fn input_size(&self, rows: usize, cols: usize) -> Result<usize> {
        let (r, c) = self.output_shape(rows, cols)?;
        Ok(r * c)
    }

    /// The preprocessed images of `data`, shape `(data.len(), self.input_size(rows, cols))`,
    /// values in `[0, 1]`, row-major pixels.
    ///
    /// **Errors**: those of [`Self::output_shape`].
    pub fn apply(&self, data: &Dataset) -> Result<Array2<f32>> {
        self.output_shape(data.rows(), data.cols())?;
        match *self {
            Preprocessing::Scale => Ok(data.scaled()),
            Preprocessing::ScaleAvgPool { size } => {
                pool_with(data.images(), data.rows(), data.cols(), size, scale_pixel)
            }
        }
    }
}

impl Dataset {
    /// Network input features under preprocessing `p`; the same as `p.apply(self)`.
    ///
    /// **Errors**: those of [`Preprocessing::apply`].
    pub fn features(&self, p: Preprocessing) -> Result<Array2<f32>> {
        p.apply(self)
    }
}

impl std::fmt::Display for Preprocessing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Preprocessing::Scale => write!(f, "scale"),
            Preprocessing::ScaleAvgPool { size } => write!(f, "scale, {size}x{size} average pool"),
        }
    }
}

/// Non-overlapping `size` × `size` average pooling of `(n, rows * cols)` row-major images.
///
/// Returns `(n, (rows / size) * (cols / size))`. Output pixel `(i, j)` is the mean of input
/// pixels `(i*size .. i*size+size, j*size .. j*size+size)`. Padding is "valid": rows and
/// columns that do not fill a whole window are dropped (`floor(28 / 3) = 9`, the last row and
/// column of an MNIST image are ignored), as Keras `AveragePooling2D(3)` does. Units are
/// unchanged (the mean of the inputs).
///
/// **Errors**: [`DataError::InvalidArgument`] if `rows` or `cols` is 0, or `size` is 0 or larger
/// than `rows` or `cols`; [`DataError::DimensionMismatch`] if `images` has not `rows * cols`
/// columns.
///
/// ```
/// use ndarray::array;
/// // One 2x4 image, pooled 2x2 -> 1x2.
/// let img = array![[1.0f32, 2.0, 10.0, 20.0, 3.0, 4.0, 30.0, 40.0]];
/// let out = spikeport_data::avg_pool(img.view(), 2, 4, 2)?;
/// assert_eq!(out, array![[2.5f32, 25.0]]);
/// # Ok::<(), spikeport_data::DataError>(())
/// ```
pub fn avg_pool(images: ArrayView2<'_, f32>, rows: usize, cols: usize, size: usize) -> Result<Array2<f32>> {
    pool_with(images, rows, cols, size, |x| x)
}

/// [`avg_pool`] of `convert(pixel)`, converting one image at a time (so that scaling and
/// pooling a `u8` dataset needs no full-size `f32` copy). Gives bit-identical results to
/// `avg_pool(&images.mapv(convert))`.
fn pool_with<T: Copy>(
    images: ArrayView2<'_, T>,
    rows: usize,
    cols: usize,
    size: usize,
    convert: impl Fn(T) -> f32,
) -> Result<Array2<f32>> {
    let (orows, ocols) = Preprocessing::ScaleAvgPool { size }.output_shape(rows, cols)?;
    let pixels = rows
        .checked_mul(cols)
        .ok_or_else(|| DataError::invalid(format!("image size {rows} x {cols} overflows")))?;
    if images.ncols() != pixels {
        return Err(DataError::DimensionMismatch {
            what: "avg_pool input columns (pixels per image)".to_owned(),
            expected: format!("{pixels} ({rows} x {cols})"),
            found: images.ncols().to_string(),
        });
    }
    let n = images.nrows();
    let count = (size * size) as f32;
    let mut out = Array2::<f32>::zeros((n, orows * ocols));
    let mut src = vec![0.0f32; pixels];
    for (img, mut dst) in images.outer_iter().zip(out.outer_iter_mut()) {
        for (s, &p) in src.iter_mut().zip(img.iter()) {
            *s = convert(p);
        }
        // A row of a freshly allocated standard-layout array is always contiguous.
        let Some(dst) = dst.as_slice_mut() else {
            return Err(DataError::invalid("avg_pool output is not contiguous"));
        };
        for (i, dst_row) in dst.chunks_exact_mut(ocols).enumerate() {
            // Sum the `size` input rows of this window row, window by window.
            for r in i * size..(i + 1) * size {
                let src_row = &src[r * cols..r * cols + ocols * size];
                for (d, window) in dst_row.iter_mut().zip(src_row.chunks_exact(size)) {
                    *d += window.iter().sum::<f32>();
                }
            }
            for d in dst_row.iter_mut() {
                *d /= count;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn shapes() -> Result<()> {
        assert_eq!(Preprocessing::Scale.output_shape(28, 28)?, (28, 28));
        assert_eq!(Preprocessing::SPIKEY.output_shape(28, 28)?, (9, 9));
        assert_eq!(Preprocessing::SPIKEY.input_size(28, 28)?, 81);
        assert_eq!(Preprocessing::ScaleAvgPool { size: 2 }.input_size(28, 28)?, 196);
        assert_eq!(Preprocessing::ScaleAvgPool { size: 4 }.output_shape(9, 13)?, (2, 3));
        for bad in [0, 29] {
            assert!(matches!(
                Preprocessing::ScaleAvgPool { size: bad }.output_shape(28, 28),
                Err(DataError::InvalidArgument { .. })
            ));
        }
        assert!(matches!(
            Preprocessing::ScaleAvgPool { size: 3 }.output_shape(28, 2),
            Err(DataError::InvalidArgument { .. })
        ));
        assert!(matches!(Preprocessing::Scale.output_shape(0, 28), Err(DataError::InvalidArgument { .. })));
        Ok(())
    }

    #[test]
    fn avg_pool_hand_computed() -> Result<()> {
        // A 4x5 image with pixel (r, c) = 10 r + c, pooled 2x2 -> 2x2; the last column drops.
        let img = Array2::from_shape_fn((1, 20), |(_, k)| (10 * (k / 5) + k % 5) as f32);
        let out = avg_pool(img.view(), 4, 5, 2)?;
        // Window (0,0): 0,1,10,11 -> 5.5; (0,1): 2,3,12,13 -> 7.5;
        // (1,0): 20,21,30,31 -> 25.5; (1,1): 22,23,32,33 -> 27.5.
        assert_eq!(out, array![[5.5f32, 7.5, 25.5, 27.5]]);

        // 3x3 windows on a 7x7 image -> 2x2, dropping the last row and column (Keras "valid").
        let mut img = Array2::<f32>::zeros((2, 49));
        img[[0, 0]] = 9.0; // window (0,0) of image 0
        img[[0, 6 * 7 + 6]] = 100.0; // dropped corner
        img[[1, 3 * 7 + 5]] = 18.0; // window (1,1) of image 1
        let out = avg_pool(img.view(), 7, 7, 3)?;
        assert_eq!(out, array![[1.0f32, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0]]);
        Ok(())
    }

    #[test]
    fn avg_pool_accepts_non_contiguous_views() -> Result<()> {
        let img = Array2::from_shape_fn((4, 3), |(r, c)| (r * 3 + c) as f32);
        // Transposed view: 3 images of 4 pixels (2x2), column-major in memory.
        let t = img.t();
        let out = avg_pool(t, 2, 2, 2)?;
        let expected: Vec<f32> =
            (0..3).map(|c| (0..4).map(|r| (r * 3 + c) as f32).sum::<f32>() / 4.0).collect();
        assert_eq!(out.column(0).to_vec(), expected);
        Ok(())
    }

    #[test]
    fn avg_pool_errors() {
        let img = Array2::<f32>::zeros((1, 12));
        assert!(matches!(avg_pool(img.view(), 4, 4, 2), Err(DataError::DimensionMismatch { .. })));
        assert!(matches!(avg_pool(img.view(), 3, 4, 0), Err(DataError::InvalidArgument { .. })));
        assert!(matches!(avg_pool(img.view(), 3, 4, 4), Err(DataError::InvalidArgument { .. })));
    }

    #[test]
    fn apply_matches_scaled_and_pooled() -> Result<()> {
        let images = Array2::from_shape_fn((3, 36), |(i, k)| ((i * 36 + k) * 2) as u8);
        let d = Dataset::new(images, vec![0, 1, 2], 6, 6)?;
        assert_eq!(d.features(Preprocessing::Scale)?, d.scaled());
        let pooled = d.features(Preprocessing::SPIKEY)?;
        assert_eq!(pooled.dim(), (3, 4));
        assert_eq!(pooled, avg_pool(d.scaled().view(), 6, 6, 3)?);
        assert!(pooled.iter().all(|&x| (0.0..=1.0).contains(&x)));
        Ok(())
    }

    #[test]
    fn serde_format() -> std::result::Result<(), serde_json::Error> {
        let s = serde_json::to_string(&Preprocessing::SPIKEY)?;
        assert_eq!(s, r#"{"kind":"scale_avg_pool","size":3}"#);
        assert_eq!(serde_json::to_string(&Preprocessing::Scale)?, r#"{"kind":"scale"}"#);
        let back: Preprocessing = serde_json::from_str(&s)?;
        assert_eq!(back, Preprocessing::SPIKEY);
        assert_eq!(Preprocessing::default(), Preprocessing::Scale);
        assert_eq!(Preprocessing::SPIKEY.to_string(), "scale, 3x3 average pool");
        Ok(())
    }
}
