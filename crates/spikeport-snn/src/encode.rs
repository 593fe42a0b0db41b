//! Input spike trains: what a backend consumes ([`SpikeInput`]) and the encoders that
//! turn pixel intensities into it ([`Encoder`]).

use std::ops::Range;

use ndarray::ArrayView2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::Exp1;
use serde::{Deserialize, Serialize};

use crate::timing::GRID_TOLERANCE;
use crate::SnnError;

/// What happens to the network state between consecutive images of a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ImageBoundary {
    /// Every image starts from the resting state: membrane potentials at `v_rest`,
    /// synaptic variables 0, no refractory neuron, no spike in flight. Results do not
    /// depend on batch size or order, and images may be simulated in parallel. The
    /// default.
    #[default]
    Reset,
    /// Images run back to back in one simulation, as in the paper's SNABSuite runs: the
    /// state at the end of image `i`'s pause is the state at the start of image `i + 1`
    /// (the pause lets it decay), and spikes in flight arrive in the next image.
    Continuous,
}

/// How the images of one run are shared among the network copies of a deployment
/// ([`Placement::copies`](crate::Placement)): copy `first_copy + c` runs images
/// `c · images_per_copy .. (c + 1) · images_per_copy` of the batch, back to back (the last
/// copy may get fewer), as SNABSuite cuts its test set into `batchsize` images per network
/// copy (`create_batches`, in data-set order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CopyLayout {
    /// The deployment's copy that runs the first images.
    pub first_copy: usize,
    /// Images each copy runs (≥ 1).
    pub images_per_copy: usize,
}

/// The input of one [`Backend::run`](crate::Backend::run): for a batch of images, the
/// spike times of every input neuron, plus the presentation timing.
///
/// Times are ms relative to the start of their image, sorted ascending (equal times are
/// allowed and mean several spikes), within `[0, duration_ms]`. Image `i` starts at
/// `i · (duration_ms + pause_ms)` ms of biological time. The trains are stored in one
/// compressed table (a prefix-sum `offsets` over image-major, neuron-minor trains and
/// one `times_ms` vector), so a batch costs two allocations.
///
/// ```
/// use spikeport_snn::SpikeInput;
/// let input = SpikeInput::new(2, 10.0, 5.0, &[vec![vec![1.0, 4.0], vec![]]])?;
/// assert_eq!(input.n_images(), 1);
/// assert_eq!(input.spike_times(0, 0), &[1.0, 4.0]);
/// assert_eq!(input.readout_window_ms(), (-2.5, 12.5));
/// # Ok::<(), spikeport_snn::SnnError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawSpikeInput")]
pub struct SpikeInput {
    n_inputs: usize,
    duration_ms: f64,
    pause_ms: f64,
    boundary: ImageBoundary,
    offsets: Vec<usize>,
    times_ms: Vec<f64>,
    #[serde(default)]
    copies: Option<CopyLayout>,
}

/// Unchecked mirror of [`SpikeInput`] for deserialisation.
#[derive(Deserialize)]
struct RawSpikeInput {
    n_inputs: usize,
    duration_ms: f64,
    pause_ms: f64,
    boundary: ImageBoundary,
    offsets: Vec<usize>,
    times_ms: Vec<f64>,
    #[serde(default)]
    copies: Option<CopyLayout>,
}

impl TryFrom<RawSpikeInput> for SpikeInput {
    type Error = SnnError;
    fn try_from(r: RawSpikeInput) -> Result<Self, SnnError> {
        let input = Self::from_compressed(r.n_inputs, r.duration_ms, r.pause_ms, r.offsets, r.times_ms)?
            .with_boundary(r.boundary);
        match r.copies {
            Some(c) => input.with_copies(c.first_copy, c.images_per_copy),
            None => Ok(input),
        }
    }
}

/// The most bytes of spike times (and their offsets) one encoded batch may hold, 4 GiB;
/// [`Encoder::encode`] checks its estimate against it before allocating
/// ([`SnnError::InputTooLarge`]). The paper's presentation of 256 MNIST images holds about
/// 13 MB.
pub const MAX_INPUT_BYTES: u64 = 4 << 30;

fn check_timing(duration_ms: f64, pause_ms: f64) -> Result<(), SnnError> {
    if !(duration_ms.is_finite() && duration_ms > 0.0) {
        return Err(SnnError::InvalidDuration { duration_ms });
    }
    if !(pause_ms.is_finite() && pause_ms >= 0.0) {
        return Err(SnnError::InvalidPause { pause_ms });
    }
    Ok(())
}

impl SpikeInput {
    /// Build from nested trains `trains[image][input neuron] = sorted times in ms`.
    ///
    /// **Errors** with [`SnnError::InvalidDuration`], [`SnnError::InvalidPause`],
    /// [`SnnError::InputSize`] (an image without `n_inputs` trains),
    /// [`SnnError::InvalidSpikeTime`] or [`SnnError::UnsortedSpikeTimes`].
    pub fn new(
        n_inputs: usize,
        duration_ms: f64,
        pause_ms: f64,
        trains: &[Vec<Vec<f64>>],
    ) -> Result<Self, SnnError> {
        let mut offsets = Vec::with_capacity(trains.len() * n_inputs + 1);
        let mut times_ms = Vec::new();
        offsets.push(0);
        for image in trains {
            if image.len() != n_inputs {
                return Err(SnnError::InputSize { expected: n_inputs, found: image.len() });
            }
            for train in image {
                times_ms.extend_from_slice(train);
                offsets.push(times_ms.len());
            }
        }
        Self::from_compressed(n_inputs, duration_ms, pause_ms, offsets, times_ms)
    }

    /// Build from the compressed table: `offsets` has `images · n_inputs + 1` entries
    /// starting at 0 and ending at `times_ms.len()`; the train of input `j` in image `i` is
    /// `times_ms[offsets[i·n_inputs + j] .. offsets[i·n_inputs + j + 1]]`.
    ///
    /// **Errors** as [`SpikeInput::new`], plus [`SnnError::MalformedOffsets`].
    pub fn from_compressed(
        n_inputs: usize,
        duration_ms: f64,
        pause_ms: f64,
        offsets: Vec<usize>,
        times_ms: Vec<f64>,
    ) -> Result<Self, SnnError> {
        check_timing(duration_ms, pause_ms)?;
        if n_inputs == 0 {
            return Err(SnnError::InputSize { expected: 1, found: 0 });
        }
        if offsets.first() != Some(&0) {
            return Err(SnnError::MalformedOffsets { reason: "must start with 0" });
        }
        if offsets.last() != Some(&times_ms.len()) {
            return Err(SnnError::MalformedOffsets { reason: "must end with the number of spike times" });
        }
        if (offsets.len() - 1) % n_inputs != 0 {
            return Err(SnnError::MalformedOffsets { reason: "length must be images * n_inputs + 1" });
        }
        if offsets.windows(2).any(|w| w[1] < w[0]) {
            return Err(SnnError::MalformedOffsets { reason: "must be non-decreasing" });
        }
        let input = Self {
            n_inputs,
            duration_ms,
            pause_ms,
            boundary: ImageBoundary::default(),
            offsets,
            times_ms,
            copies: None,
        };
        for image in 0..input.n_images() {
            for neuron in 0..n_inputs {
                let train = input.spike_times(image, neuron);
                let mut last = 0.0;
                for &t in train {
                    if !(t.is_finite() && (0.0..=duration_ms).contains(&t)) {
                        return Err(SnnError::InvalidSpikeTime { image, neuron, time_ms: t, duration_ms });
                    }
                    if t < last {
                        return Err(SnnError::UnsortedSpikeTimes { image, neuron });
                    }
                    last = t;
                }
            }
        }
        Ok(input)
    }

    /// Set how state carries between images (default [`ImageBoundary::Reset`]).
    #[must_use]
    pub fn with_boundary(mut self, boundary: ImageBoundary) -> Self {
        self.boundary = boundary;
        self
    }

    /// How state carries between images.
    pub fn boundary(&self) -> ImageBoundary {
        self.boundary
    }

    /// Share the images among network copies: copy `first_copy + c` runs images
    /// `c · images_per_copy ..` of this batch ([`CopyLayout`]). Without it, a run deals the
    /// images evenly over all copies of the deployment, in order.
    ///
    /// **Errors** with [`SnnError::InvalidCopies`] if `images_per_copy` is 0.
    pub fn with_copies(mut self, first_copy: usize, images_per_copy: usize) -> Result<Self, SnnError> {
        if images_per_copy == 0 {
            return Err(SnnError::InvalidCopies { reason: "a copy needs at least one image".into() });
        }
        self.copies = Some(CopyLayout { first_copy, images_per_copy });
        Ok(self)
    }

    /// How the images are shared among network copies, if set ([`SpikeInput::with_copies`]).
    pub fn copy_layout(&self) -> Option<CopyLayout> {
        self.copies
    }

    /// Number of input neurons per image.
    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }

    /// Number of images in the batch.
    pub fn n_images(&self) -> usize {
        (self.offsets.len() - 1) / self.n_inputs
    }

    /// Presentation time per image, ms.
    pub fn duration_ms(&self) -> f64 {
        self.duration_ms
    }

    /// Silent time after each image, ms.
    pub fn pause_ms(&self) -> f64 {
        self.pause_ms
    }

    /// Biological time per image, `duration + pause`, ms.
    pub fn period_ms(&self) -> f64 {
        self.duration_ms + self.pause_ms
    }

    /// Biological time of the whole batch, ms.
    pub fn total_ms(&self) -> f64 {
        self.period_ms() * self.n_images() as f64
    }

    /// Start of image `image` in biological time of the batch, ms.
    pub fn image_start_ms(&self, image: usize) -> f64 {
        self.period_ms() * image as f64
    }

    /// The window, ms relative to an image's start, in which its spikes are counted:
    /// `[−pause/2, duration + pause/2)`, as SNABSuite's `spikes_to_labels` bins them.
    /// With [`ImageBoundary::Reset`] nothing happens before 0, so the window is in effect
    /// `[0, duration + pause/2)`.
    pub fn readout_window_ms(&self) -> (f64, f64) {
        (-0.5 * self.pause_ms, self.duration_ms + 0.5 * self.pause_ms)
    }

    /// The readout window on a grid of `dt_ms`, as stamps relative to the image start:
    /// a spike with stamp `s` is counted iff `lo <= s < hi`, which is
    /// [`readout_window_ms`](Self::readout_window_ms) evaluated in whole steps (with
    /// [`GRID_TOLERANCE`], so that e.g. 525 ms at dt 0.1 ms is exactly step 5250).
    ///
    /// ```
    /// # use spikeport_snn::SpikeInput;
    /// let input = SpikeInput::new(1, 500.0, 50.0, &[vec![vec![]]])?;
    /// assert_eq!(input.readout_window_steps(1.0), (-25, 525));
    /// assert_eq!(input.readout_window_steps(0.1), (-250, 5250));
    /// # Ok::<(), spikeport_snn::SnnError>(())
    /// ```
    pub fn readout_window_steps(&self, dt_ms: f64) -> (i64, i64) {
        let (lo_ms, hi_ms) = self.readout_window_ms();
        let lo = -((-lo_ms / dt_ms + GRID_TOLERANCE).floor() as i64);
        let hi = (hi_ms / dt_ms - GRID_TOLERANCE).ceil() as i64;
        (lo, hi)
    }

    /// Spike times of input `neuron` in image `image`, ms relative to the image start.
    ///
    /// **Panics** if either index is out of range.
    #[track_caller]
    #[inline]
    pub fn spike_times(&self, image: usize, neuron: usize) -> &[f64] {
        assert!(
            image < self.n_images() && neuron < self.n_inputs,
            "spike_times({image}, {neuron}) out of range"
        );
        let k = image * self.n_inputs + neuron;
        &self.times_ms[self.offsets[k]..self.offsets[k + 1]]
    }

    /// The trains of image `image`, one slice per input neuron.
    ///
    /// **Panics** if `image` is out of range.
    #[track_caller]
    pub fn image_trains(&self, image: usize) -> impl ExactSizeIterator<Item = &[f64]> + '_ {
        assert!(image < self.n_images(), "image {image} out of range");
        (0..self.n_inputs).map(move |j| self.spike_times(image, j))
    }

    /// Number of spikes of image `image`.
    ///
    /// **Panics** if `image` is out of range.
    #[track_caller]
    pub fn image_spikes(&self, image: usize) -> usize {
        assert!(image < self.n_images(), "image {image} out of range");
        let n = self.n_inputs;
        self.offsets[(image + 1) * n] - self.offsets[image * n]
    }

    /// Number of spikes in the batch.
    pub fn total_spikes(&self) -> usize {
        self.times_ms.len()
    }

    /// The compressed table: (`offsets`, `times_ms`), see [`SpikeInput::from_compressed`].
    pub fn as_compressed(&self) -> (&[usize], &[f64]) {
        (&self.offsets, &self.times_ms)
    }

    /// A copy of images `range` as a batch of its own (same timing and boundary).
    ///
    /// **Errors** with [`SnnError::ImageOutOfRange`] if the range ends past the batch.
    pub fn to_slice(&self, range: Range<usize>) -> Result<Self, SnnError> {
        let images = self.n_images();
        if range.end > images || range.start > range.end {
            return Err(SnnError::ImageOutOfRange { image: range.end.max(range.start), images });
        }
        let n = self.n_inputs;
        let lo = self.offsets[range.start * n];
        let hi = self.offsets[range.end * n];
        let offsets = self.offsets[range.start * n..=range.end * n].iter().map(|o| o - lo).collect();
        Ok(Self {
            n_inputs: n,
            duration_ms: self.duration_ms,
            pause_ms: self.pause_ms,
            boundary: self.boundary,
            offsets,
            times_ms: self.times_ms[lo..hi].to_vec(),
            copies: None,
        })
    }
}

/// How pixel intensities become spike trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Encoding {
    /// Regular trains, the paper's coding: pixel `p` fires at rate `p · max_freq` Hz with
    /// spike `k` at `k · 1000 / (max_freq · p)` ms, `k = 1, 2, …` while within the
    /// duration (the first spike one period after the image start, as Cypress's
    /// `spikes::constant_frequency` used by SNABSuite's `image_to_rate`); none for
    /// `p = 0`.
    Regular,
    /// Poisson trains of rate `p · max_freq` Hz, spikes in `(0, duration)`. Image `i`'s
    /// trains depend only on `(seed, first_image + i)`: the same seed gives the same
    /// trains whatever the batching.
    Poisson {
        /// Random seed.
        seed: u64,
    },
}

/// Turns batches of images (pixels in [0, 1]) into [`SpikeInput`]s.
///
/// ```
/// use ndarray::array;
/// use spikeport_snn::{Encoder, SnnError};
///
/// let enc = Encoder::regular(120.0, 500.0, 50.0)?;
/// let input = enc.encode(array![[0.0f32, 1.0, 0.5]].view())?;
/// assert!(input.spike_times(0, 0).is_empty());
/// assert_eq!(input.spike_times(0, 1).len(), 60); // 120 Hz for 500 ms
/// assert_eq!(input.spike_times(0, 2).len(), 30);
/// assert!((input.spike_times(0, 2)[0] - 1000.0 / 60.0).abs() < 1e-12);
///
/// assert!(matches!(Encoder::regular(0.0, 500.0, 50.0), Err(SnnError::InvalidRate { .. })));
/// # Ok::<(), SnnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    max_freq_hz: f64,
    duration_ms: f64,
    pause_ms: f64,
    encoding: Encoding,
    cypress_truncation: bool,
    boundary: ImageBoundary,
}

impl Encoder {
    /// An encoder of the given kind.
    ///
    /// **Errors** with [`SnnError::InvalidRate`] unless `max_freq_hz` is finite and > 0,
    /// [`SnnError::InvalidDuration`] or [`SnnError::InvalidPause`].
    pub fn new(
        encoding: Encoding,
        max_freq_hz: f64,
        duration_ms: f64,
        pause_ms: f64,
    ) -> Result<Self, SnnError> {
        if !(max_freq_hz.is_finite() && max_freq_hz > 0.0) {
            return Err(SnnError::InvalidRate { max_freq_hz });
        }
        check_timing(duration_ms, pause_ms)?;
        Ok(Self {
            max_freq_hz,
            duration_ms,
            pause_ms,
            encoding,
            cypress_truncation: false,
            boundary: ImageBoundary::default(),
        })
    }

    /// Regular trains ([`Encoding::Regular`]).
    ///
    /// **Errors** as [`Encoder::new`].
    pub fn regular(max_freq_hz: f64, duration_ms: f64, pause_ms: f64) -> Result<Self, SnnError> {
        Self::new(Encoding::Regular, max_freq_hz, duration_ms, pause_ms)
    }

    /// Seeded Poisson trains ([`Encoding::Poisson`]).
    ///
    /// **Errors** as [`Encoder::new`].
    pub fn poisson(max_freq_hz: f64, duration_ms: f64, pause_ms: f64, seed: u64) -> Result<Self, SnnError> {
        Self::new(Encoding::Poisson { seed }, max_freq_hz, duration_ms, pause_ms)
    }

    /// The paper's digital setting: regular trains, 120 Hz, 500 ms per image, 50 ms
    /// pause.
    pub fn paper_digital() -> Self {
        Self {
            max_freq_hz: 120.0,
            duration_ms: 500.0,
            pause_ms: 50.0,
            encoding: Encoding::Regular,
            cypress_truncation: false,
            boundary: ImageBoundary::default(),
        }
    }

    /// Count regular spikes exactly as Cypress does (`size_t((t_end − t_start) /
    /// interval)` in double precision) instead of the default `⌊duration · rate / 1000⌋`
    /// with a 1e-9 tolerance. They differ only when `duration · rate / 1000` is an
    /// integer and the division rounds below it: e.g. a pixel of 1.0 at 120 Hz over
    /// 500 ms gets 59 spikes from Cypress (500 / 8.333… = 59.99999999999999) and 60 here.
    #[must_use]
    pub fn with_cypress_truncation(mut self, on: bool) -> Self {
        self.cypress_truncation = on;
        self
    }

    /// The [`ImageBoundary`] of the produced inputs.
    pub fn boundary(&self) -> ImageBoundary {
        self.boundary
    }

    /// Set the [`ImageBoundary`] of the produced inputs (default `Reset`).
    #[must_use]
    pub fn with_boundary(mut self, boundary: ImageBoundary) -> Self {
        self.boundary = boundary;
        self
    }

    /// The same encoder with maximum rate `max_freq_hz` (everything else kept).
    ///
    /// **Errors** with [`SnnError::InvalidRate`] unless `max_freq_hz` is finite and > 0.
    pub fn with_max_freq(mut self, max_freq_hz: f64) -> Result<Self, SnnError> {
        if !(max_freq_hz.is_finite() && max_freq_hz > 0.0) {
            return Err(SnnError::InvalidRate { max_freq_hz });
        }
        self.max_freq_hz = max_freq_hz;
        Ok(self)
    }

    /// Maximum rate (pixel value 1), Hz.
    pub fn max_freq_hz(&self) -> f64 {
        self.max_freq_hz
    }

    /// Presentation time per image, ms.
    pub fn duration_ms(&self) -> f64 {
        self.duration_ms
    }

    /// Pause after each image, ms.
    pub fn pause_ms(&self) -> f64 {
        self.pause_ms
    }

    /// The kind of trains.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Encode a batch: `images` has one row per image and one column per pixel (input
    /// neuron), values in [0, 1]. Poisson streams are numbered from image 0.
    ///
    /// **Errors** with [`SnnError::InvalidPixel`] for NaN or out-of-range values.
    pub fn encode<F: Copy + Into<f64>>(&self, images: ArrayView2<'_, F>) -> Result<SpikeInput, SnnError> {
        self.encode_from(images, 0)
    }

    /// As [`encode`](Self::encode), with `first_image` as the global index of the first
    /// row: Poisson trains of a dataset encoded in batches equal those of one big batch.
    ///
    /// **Errors** with [`SnnError::InvalidPixel`] for NaN or out-of-range values.
    pub fn encode_from<F: Copy + Into<f64>>(
        &self,
        images: ArrayView2<'_, F>,
        first_image: u64,
    ) -> Result<SpikeInput, SnnError> {
        let (n_images, n_inputs) = images.dim();
        if n_inputs == 0 {
            return Err(SnnError::InputSize { expected: 1, found: 0 });
        }
        // validate, and bound the memory of the spike times before allocating them
        let mut expected = 0.0f64;
        for ((image, pixel), &v) in images.indexed_iter() {
            let value: f64 = v.into();
            if !(0.0..=1.0).contains(&value) {
                return Err(SnnError::InvalidPixel { image, pixel, value });
            }
            expected += value * self.max_freq_hz * self.duration_ms / 1000.0;
        }
        let spikes = expected.ceil();
        let bytes = 8.0 * spikes + 8.0 * (n_images * n_inputs + 1) as f64;
        if bytes > MAX_INPUT_BYTES as f64 {
            return Err(SnnError::InputTooLarge {
                images: n_images,
                max_freq_hz: self.max_freq_hz,
                duration_ms: self.duration_ms,
                spikes: spikes.min(u64::MAX as f64) as u64,
                bytes: bytes.min(u64::MAX as f64) as u64,
                limit_bytes: MAX_INPUT_BYTES,
            });
        }
        let mut offsets = Vec::with_capacity(n_images * n_inputs + 1);
        offsets.push(0);
        let mut times = Vec::new();
        for (i, row) in images.outer_iter().enumerate() {
            let mut rng = match self.encoding {
                Encoding::Poisson { seed } => {
                    let mut rng = ChaCha8Rng::seed_from_u64(seed);
                    rng.set_stream(first_image + i as u64);
                    Some(rng)
                }
                Encoding::Regular => None,
            };
            for &v in row {
                let rate_hz = v.into() * self.max_freq_hz;
                match rng.as_mut() {
                    None => self.push_regular(rate_hz, &mut times),
                    Some(rng) => self.push_poisson(rate_hz, rng, &mut times),
                }
                offsets.push(times.len());
            }
        }
        Ok(SpikeInput {
            n_inputs,
            duration_ms: self.duration_ms,
            pause_ms: self.pause_ms,
            boundary: self.boundary,
            offsets,
            times_ms: times,
            copies: None,
        })
    }

    fn push_regular(&self, rate_hz: f64, out: &mut Vec<f64>) {
        if rate_hz <= 0.0 {
            return;
        }
        let interval = 1000.0 / rate_hz;
        let n = if self.cypress_truncation {
            (self.duration_ms / interval) as usize
        } else {
            (self.duration_ms * rate_hz / 1000.0 + GRID_TOLERANCE).floor() as usize
        };
        // k · interval can exceed the duration by an ulp; keep the train in range.
        out.extend((1..=n).map(|k| (k as f64 * interval).min(self.duration_ms)));
    }

    fn push_poisson(&self, rate_hz: f64, rng: &mut ChaCha8Rng, out: &mut Vec<f64>) {
        if rate_hz <= 0.0 {
            return;
        }
        let mean_isi = 1000.0 / rate_hz;
        let mut t = 0.0;
        loop {
            let isi: f64 = rng.sample(Exp1);
            t += isi * mean_isi;
            if t >= self.duration_ms {
                break;
            }
            if t > 0.0 {
                out.push(t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn an_input_too_large_for_memory_is_refused_before_allocation() {
        // one white MNIST-sized image at 1 GHz: 3.9e11 spikes; refused at once
        let img = Array2::<f32>::ones((1, 784));
        let enc = Encoder::paper_digital().with_max_freq(1e9).expect("a finite rate");
        let err = enc.encode(img.view()).unwrap_err();
        match &err {
            SnnError::InputTooLarge { spikes, bytes, limit_bytes, .. } => {
                assert_eq!(*spikes, 392_000_000_000);
                assert!(*bytes > *limit_bytes && *limit_bytes == MAX_INPUT_BYTES);
            }
            other => panic!("{other}"),
        }
        assert!(err.to_string().contains("--max-freq"), "{err}");
        // the same rate on a black image holds no spike and is fine
        let black = Array2::<f32>::zeros((1, 784));
        assert_eq!(enc.encode(black.view()).expect("no spikes").times_ms.len(), 0);
        // the paper's setting is far below the limit
        let batch = Array2::<f32>::ones((256, 784));
        assert!(Encoder::paper_digital().encode(batch.view()).is_ok());
    }

    #[test]
    fn regular_trains_follow_the_paper_convention() {
        let enc = Encoder::paper_digital();
        let pixels: Vec<f64> = (0..=255).map(|v| v as f64 / 255.0).collect();
        let images = Array2::from_shape_vec((1, 256), pixels.clone()).unwrap();
        let input = enc.encode(images.view()).unwrap();
        for (j, &p) in pixels.iter().enumerate() {
            let train = input.spike_times(0, j);
            if p == 0.0 {
                assert!(train.is_empty());
                continue;
            }
            let rate = p * 120.0;
            let expected_n = (500.0 * rate / 1000.0 + 1e-9).floor() as usize;
            assert_eq!(train.len(), expected_n, "pixel {j}");
            for (k, &t) in train.iter().enumerate() {
                let exact = (k + 1) as f64 * 1000.0 / rate;
                assert!((t - exact.min(500.0)).abs() < 1e-9, "pixel {j} spike {k}");
                assert!(t > 0.0 && t <= 500.0);
            }
        }
        assert_eq!(input.spike_times(0, 255).len(), 60);
        assert_eq!(*input.spike_times(0, 255).last().unwrap(), 500.0);
    }

    #[test]
    fn cypress_truncation_drops_the_spike_at_the_end() {
        let enc = Encoder::paper_digital().with_cypress_truncation(true);
        let input = enc.encode(array![[1.0f64, 0.5]].view()).unwrap();
        assert_eq!(input.spike_times(0, 0).len(), 59);
        // 60 Hz: 500 / 16.666666666666668 = 29.999999999999996 -> 29 as well.
        assert_eq!(input.spike_times(0, 1).len(), (500.0 / (1000.0 / 60.0)) as usize);
    }

    #[test]
    fn bad_rates_and_pixels_are_typed_errors() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(Encoder::regular(bad, 500.0, 50.0), Err(SnnError::InvalidRate { .. })));
            assert!(matches!(Encoder::poisson(bad, 500.0, 50.0, 1), Err(SnnError::InvalidRate { .. })));
        }
        assert!(matches!(Encoder::regular(10.0, 0.0, 50.0), Err(SnnError::InvalidDuration { .. })));
        assert!(matches!(Encoder::regular(10.0, 10.0, -1.0), Err(SnnError::InvalidPause { .. })));
        let enc = Encoder::paper_digital();
        for (bad, at) in [(f64::NAN, 1), (1.5, 2), (-0.1, 0)] {
            let mut img = array![[0.5, 0.5, 0.5]];
            img[[0, at]] = bad;
            let err = enc.encode(img.view()).unwrap_err();
            match err {
                SnnError::InvalidPixel { image, pixel, .. } => {
                    assert_eq!((image, pixel), (0, at));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn poisson_is_seeded_batch_independent_and_has_the_right_rate() {
        let enc = Encoder::poisson(100.0, 1000.0, 0.0, 42).unwrap();
        let images = Array2::from_elem((4, 50), 0.5f32);
        let a = enc.encode(images.view()).unwrap();
        let b = enc.encode(images.view()).unwrap();
        assert_eq!(a, b, "same seed, same trains");
        let tail = enc.encode_from(images.slice(ndarray::s![2.., ..]), 2).unwrap();
        assert_eq!(tail, a.to_slice(2..4).unwrap(), "batching does not matter");
        let other = Encoder::poisson(100.0, 1000.0, 0.0, 43).unwrap().encode(images.view()).unwrap();
        assert_ne!(other, a, "another seed, other trains");
        // 4 images · 50 inputs · 50 Hz · 1 s = 10_000 expected spikes, SD 100.
        let n = a.total_spikes() as f64;
        assert!((n - 10_000.0).abs() < 500.0, "{n}");
        for i in 0..4 {
            for t in a.image_trains(i) {
                assert!(t.windows(2).all(|w| w[0] <= w[1]));
                assert!(t.iter().all(|&x| x > 0.0 && x < 1000.0));
            }
        }
        assert_ne!(a.spike_times(0, 0), a.spike_times(1, 0), "images differ");
    }

    #[test]
    fn spike_input_validation() {
        let ok = SpikeInput::new(1, 10.0, 0.0, &[vec![vec![0.0, 5.0, 5.0, 10.0]]]);
        assert!(ok.is_ok());
        let err = SpikeInput::new(1, 10.0, 0.0, &[vec![vec![10.5]]]).unwrap_err();
        assert!(matches!(err, SnnError::InvalidSpikeTime { .. }));
        let err = SpikeInput::new(1, 10.0, 0.0, &[vec![vec![f64::NAN]]]).unwrap_err();
        assert!(matches!(err, SnnError::InvalidSpikeTime { .. }));
        let err = SpikeInput::new(1, 10.0, 0.0, &[vec![vec![-1.0]]]).unwrap_err();
        assert!(matches!(err, SnnError::InvalidSpikeTime { .. }));
        let err = SpikeInput::new(2, 10.0, 0.0, &[vec![vec![], vec![3.0, 2.0]]]).unwrap_err();
        assert_eq!(err, SnnError::UnsortedSpikeTimes { image: 0, neuron: 1 });
        let err = SpikeInput::new(2, 10.0, 0.0, &[vec![vec![]]]).unwrap_err();
        assert_eq!(err, SnnError::InputSize { expected: 2, found: 1 });
        let err = SpikeInput::from_compressed(1, 10.0, 0.0, vec![0, 2, 1], vec![1.0, 2.0]).unwrap_err();
        assert!(matches!(err, SnnError::MalformedOffsets { .. }));
        let err = SpikeInput::from_compressed(2, 10.0, 0.0, vec![0, 1], vec![1.0]).unwrap_err();
        assert!(matches!(err, SnnError::MalformedOffsets { .. }));
    }

    #[test]
    fn layout_helpers() {
        let input = SpikeInput::new(
            2,
            10.0,
            4.0,
            &[vec![vec![1.0], vec![2.0, 3.0]], vec![vec![], vec![9.0]], vec![vec![5.0], vec![]]],
        )
        .unwrap()
        .with_boundary(ImageBoundary::Continuous);
        assert_eq!(input.n_images(), 3);
        assert_eq!(input.period_ms(), 14.0);
        assert_eq!(input.total_ms(), 42.0);
        assert_eq!(input.image_start_ms(2), 28.0);
        assert_eq!(input.image_spikes(0), 3);
        assert_eq!(input.image_spikes(1), 1);
        assert_eq!(input.total_spikes(), 5);
        let s = input.to_slice(1..3).unwrap();
        assert_eq!(s.n_images(), 2);
        assert_eq!(s.spike_times(0, 1), &[9.0]);
        assert_eq!(s.spike_times(1, 0), &[5.0]);
        assert_eq!(s.boundary(), ImageBoundary::Continuous);
        assert!(input.to_slice(2..4).is_err());
        let json = serde_json::to_string(&input).unwrap();
        let back: SpikeInput = serde_json::from_str(&json).unwrap();
        assert_eq!(back, input);
    }
}
