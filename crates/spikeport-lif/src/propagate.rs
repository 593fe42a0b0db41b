//! Event-driven, batched spike propagation through dense signed weights.
//!
//! For every neuron that spiked in a step, its weight row is added to the target buffers
//! of its image: positive weights to the excitatory plane, magnitudes of negative ones to
//! the inhibitory plane. Only rows of spiking neurons are read, and each target row is a
//! contiguous, unit-stride slice of one image's block (the
//! [state layout](crate::kernel)), so the inner loop is a branch-free, vectorisable pair
//! of fused updates over `n_post` values.
//!
//! A synaptic event is one spike arriving at one synapse; a synapse is a non-zero weight
//! (as in [`Projection`](spikeport_snn::Projection)), so the number of events of a spike
//! is its row's count of non-zero weights, precomputed once.
//!
//! ```
//! use ndarray::array;
//! use spikeport_lif::{DenseSynapses, SpikeBatch};
//!
//! let syn = DenseSynapses::<f32>::from_signed(array![[0.5, -0.25], [1.0, 0.0]].view());
//! let mut spikes = SpikeBatch::new();
//! spikes.push_image(&[1]);     // image 0: pre-neuron 1 spiked
//! spikes.push_image(&[0, 1]);  // image 1: both spiked
//! let (mut exc, mut inh) = (vec![0.0f32; 4], vec![0.0f32; 4]);
//! let events = syn.propagate_batch(&spikes, &mut exc, &mut inh);
//! assert_eq!(events, 1 + 2 + 1);
//! assert_eq!(exc, vec![1.0, 0.0, 1.5, 0.0]);
//! assert_eq!(inh, vec![0.0, 0.0, 0.0, 0.25]);
//! ```

use ndarray::ArrayView2;

use crate::{LifError, Real};

/// Spiking neuron indices per image for one step, in one compressed table (reused from
/// step to step without allocating once it has grown).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpikeBatch {
    offsets: Vec<usize>,
    neurons: Vec<u32>,
}

impl SpikeBatch {
    /// An empty batch (no images yet).
    pub fn new() -> Self {
        Self { offsets: vec![0], neurons: Vec::new() }
    }

    /// An empty batch with room for `images` images and `spikes` spikes.
    pub fn with_capacity(images: usize, spikes: usize) -> Self {
        let mut offsets = Vec::with_capacity(images + 1);
        offsets.push(0);
        Self { offsets, neurons: Vec::with_capacity(spikes) }
    }

    /// Forget all images, keeping the allocations.
    pub fn clear(&mut self) {
        self.offsets.clear();
        self.offsets.push(0);
        self.neurons.clear();
    }

    /// Append an image whose spiking neurons are `neurons`.
    pub fn push_image(&mut self, neurons: &[u32]) {
        self.neurons.extend_from_slice(neurons);
        self.offsets.push(self.neurons.len());
    }

    /// The spike list being built for the next image (push indices, then call
    /// [`finish_image`](Self::finish_image)).
    pub fn open_image(&mut self) -> &mut Vec<u32> {
        &mut self.neurons
    }

    /// Close the image whose indices were pushed through
    /// [`open_image`](Self::open_image).
    pub fn finish_image(&mut self) {
        self.offsets.push(self.neurons.len());
    }

    /// Number of images.
    pub fn n_images(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Spiking neurons of image `b`.
    ///
    /// **Panics** if `b` is out of range.
    #[track_caller]
    pub fn image(&self, b: usize) -> &[u32] {
        &self.neurons[self.offsets[b]..self.offsets[b + 1]]
    }

    /// Total number of spikes.
    pub fn len(&self) -> usize {
        self.neurons.len()
    }

    /// Whether there are no spikes.
    pub fn is_empty(&self) -> bool {
        self.neurons.is_empty()
    }
}

/// A dense projection's signed weights, row-major (pre, post), in the kernel's float type.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseSynapses<F> {
    n_pre: usize,
    n_post: usize,
    w: Vec<F>,
    row_synapses: Vec<u32>,
    has_exc: bool,
    has_inh: bool,
}

impl<F: Real> DenseSynapses<F> {
    /// Convert signed weights (pre, post) in the post-synaptic unit. Allocates.
    pub fn from_signed(weights: ArrayView2<'_, f64>) -> Self {
        let (n_pre, n_post) = weights.dim();
        let mut s = Self {
            n_pre,
            n_post,
            w: vec![F::ZERO; n_pre * n_post],
            row_synapses: vec![0; n_pre],
            has_exc: false,
            has_inh: false,
        };
        s.fill(weights);
        s
    }

    fn fill(&mut self, weights: ArrayView2<'_, f64>) {
        self.has_exc = false;
        self.has_inh = false;
        for (j, row) in weights.outer_iter().enumerate() {
            let dst = &mut self.w[j * self.n_post..(j + 1) * self.n_post];
            let mut nnz = 0u32;
            for (d, &x) in dst.iter_mut().zip(row.iter()) {
                *d = F::from_f64(x);
                nnz += u32::from(x != 0.0);
                self.has_exc |= x > 0.0;
                self.has_inh |= x < 0.0;
            }
            self.row_synapses[j] = nnz;
        }
    }

    /// Replace the weights in place (hardware-in-the-loop updates), keeping the shape.
    ///
    /// **Errors** with [`LifError::WeightShape`] if the shape differs.
    pub fn set_signed(&mut self, weights: ArrayView2<'_, f64>) -> Result<(), LifError> {
        let found = [weights.nrows(), weights.ncols()];
        let expected = [self.n_pre, self.n_post];
        if found != expected {
            return Err(LifError::WeightShape { expected, found });
        }
        self.fill(weights);
        Ok(())
    }

    /// Pre-synaptic population size.
    pub fn n_pre(&self) -> usize {
        self.n_pre
    }

    /// Post-synaptic population size.
    pub fn n_post(&self) -> usize {
        self.n_post
    }

    /// Signed weights of pre-synaptic neuron `j`.
    ///
    /// **Panics** if `j >= n_pre`.
    #[track_caller]
    pub fn row(&self, j: usize) -> &[F] {
        &self.w[j * self.n_post..(j + 1) * self.n_post]
    }

    /// Synapses (non-zero weights) of pre-synaptic neuron `j`.
    ///
    /// **Panics** if `j >= n_pre`.
    #[track_caller]
    pub fn row_synapses(&self, j: usize) -> u32 {
        self.row_synapses[j]
    }

    /// Synaptic events caused by the spikes `spiking` (no propagation).
    ///
    /// **Panics** if an index is `>= n_pre`.
    #[track_caller]
    pub fn events(&self, spiking: &[u32]) -> u64 {
        spiking.iter().map(|&j| u64::from(self.row_synapses[j as usize])).sum()
    }

    /// Add the rows of the pre-synaptic neurons `spiking` (of one image) into that image's
    /// target planes `exc` and `inh` (`n_post` long). Returns the synaptic events.
    /// Allocation-free; touches only the listed rows.
    ///
    /// **Panics** if a target is not `n_post` long or an index is `>= n_pre`.
    #[track_caller]
    #[inline]
    pub fn propagate_image(&self, spiking: &[u32], exc: &mut [F], inh: &mut [F]) -> u64 {
        let n = self.n_post;
        assert!(exc.len() == n && inh.len() == n, "targets must have n_post = {n} values");
        let mut events = 0u64;
        for &j in spiking {
            let j = j as usize;
            let row = &self.w[j * n..(j + 1) * n];
            events += u64::from(self.row_synapses[j]);
            match (self.has_exc, self.has_inh) {
                (true, false) => add_row(row, exc),
                (false, true) => sub_row(row, inh),
                (true, true) => split_row(row, exc, inh),
                (false, false) => {}
            }
        }
        events
    }

    /// [`propagate_image`](Self::propagate_image) for every image of `spikes`; `exc` and
    /// `inh` hold `spikes.n_images()` consecutive blocks of `n_post` values.
    ///
    /// **Panics** if the targets are not `n_images · n_post` long.
    #[track_caller]
    pub fn propagate_batch(&self, spikes: &SpikeBatch, exc: &mut [F], inh: &mut [F]) -> u64 {
        let n = self.n_post;
        let b = spikes.n_images();
        assert!(
            exc.len() == b * n && inh.len() == b * n,
            "targets must have images · n_post = {} values",
            b * n
        );
        if n == 0 {
            return 0;
        }
        exc.chunks_mut(n)
            .zip(inh.chunks_mut(n))
            .enumerate()
            .map(|(i, (e, h))| self.propagate_image(spikes.image(i), e, h))
            .sum()
    }
}

#[inline(always)]
fn add_row<F: Real>(row: &[F], exc: &mut [F]) {
    for (e, &w) in exc.iter_mut().zip(row) {
        *e += w;
    }
}

#[inline(always)]
fn sub_row<F: Real>(row: &[F], inh: &mut [F]) {
    for (i, &w) in inh.iter_mut().zip(row) {
        *i -= w;
    }
}

#[inline(always)]
fn split_row<F: Real>(row: &[F], exc: &mut [F], inh: &mut [F]) {
    for ((e, i), &w) in exc.iter_mut().zip(inh.iter_mut()).zip(row) {
        *e += w.max(F::ZERO);
        *i += (-w).max(F::ZERO);
    }
}
