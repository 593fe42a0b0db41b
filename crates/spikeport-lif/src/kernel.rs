//! The neuron-kernel interface and the batched state layout.
//!
//! ## State layout
//!
//! A population of `n` neurons simulated for a batch of `B` images keeps four
//! structure-of-arrays vectors of length `B · n`, **image-major, neuron-minor**: neuron
//! `i` of image `b` is element `b · n + i`. Each image is one contiguous block, so a
//! backend can hand blocks to threads (`chunks_mut(n)`) and a kernel streams through a
//! block with unit stride.
//!
//! | vector | meaning | unit |
//! |---|---|---|
//! | `v` | membrane potential | mV |
//! | `syn_e` | excitatory synaptic variable (conductance µS, current nA, or pending jump mV) | by model |
//! | `syn_i` | inhibitory synaptic variable, as a magnitude ≥ 0 | by model |
//! | `refrac` | refractory updates left | steps |

use crate::Real;

/// One neuron model's update rule with its propagators for one `dt`.
///
/// `step` advances one neuron from `t_k` to `t_{k+1}` (update `k` of
/// [`spikeport_snn::timing`]). On entry `syn_e`/`syn_i` already contain the input that
/// arrives at `t_k`; on exit they hold the values at `t_{k+1}` before new arrivals. It
/// returns whether the neuron spiked, i.e. emits a spike with stamp `k + 1`. Kernels are
/// pure functions of their arguments and never allocate.
pub trait NeuronKernel<F: Real>: Send + Sync {
    /// Initial (resting) membrane potential, mV.
    fn v_init(&self) -> F;

    /// Advance one neuron by one step; `true` if it spiked.
    fn step(&self, v: &mut F, syn_e: &mut F, syn_i: &mut F, refrac: &mut u32) -> bool;

    /// Step every neuron of `state` and append the indices (within the slice) of those
    /// that spiked to `spiked`; returns the number of spikes. The default calls
    /// [`step`](Self::step) per neuron ([`step_each`]); kernels may override it with a
    /// faster block version that gives bit-identical results.
    ///
    /// **Panics** if the four vectors of `state` differ in length.
    fn step_slice(&self, state: StateSliceMut<'_, F>, spiked: &mut Vec<u32>) -> usize {
        step_each(self, state, spiked)
    }
}

/// Mutable views of one image's block (or any contiguous run) of neuron state.
#[derive(Debug)]
pub struct StateSliceMut<'a, F> {
    /// Membrane potentials, mV.
    pub v: &'a mut [F],
    /// Excitatory synaptic variables.
    pub syn_e: &'a mut [F],
    /// Inhibitory synaptic variables (magnitudes).
    pub syn_i: &'a mut [F],
    /// Refractory updates left.
    pub refrac: &'a mut [u32],
}

impl<F> StateSliceMut<'_, F> {
    /// Number of neurons in the view.
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Whether the view is empty.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }
}

/// Step every neuron of `state` with `kernel` ([`NeuronKernel::step_slice`]: the
/// kernel's block version where it has one) and append the indices (within the slice)
/// of those that spiked to `spiked`. Returns the number of spikes.
///
/// Allocation-free when `spiked` has spare capacity for `state.len()` indices.
///
/// **Panics** if the four vectors of `state` differ in length.
#[track_caller]
pub fn step_slice<F: Real, K: NeuronKernel<F> + ?Sized>(
    kernel: &K,
    state: StateSliceMut<'_, F>,
    spiked: &mut Vec<u32>,
) -> usize {
    kernel.step_slice(state, spiked)
}

/// The per-neuron loop behind the default [`NeuronKernel::step_slice`]: calls
/// [`NeuronKernel::step`] for every neuron of `state` in order.
///
/// **Panics** if the four vectors of `state` differ in length.
#[track_caller]
pub fn step_each<F: Real, K: NeuronKernel<F> + ?Sized>(
    kernel: &K,
    state: StateSliceMut<'_, F>,
    spiked: &mut Vec<u32>,
) -> usize {
    let n = state.v.len();
    assert!(
        state.syn_e.len() == n && state.syn_i.len() == n && state.refrac.len() == n,
        "state vectors differ in length"
    );
    let before = spiked.len();
    let it = state
        .v
        .iter_mut()
        .zip(state.syn_e.iter_mut())
        .zip(state.syn_i.iter_mut())
        .zip(state.refrac.iter_mut())
        .enumerate();
    for (i, (((v, ge), gi), r)) in it {
        if kernel.step(v, ge, gi, r) {
            spiked.push(i as u32);
        }
    }
    spiked.len() - before
}

/// The state of one population for a batch of images, in the layout of the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct StateBlock<F> {
    n: usize,
    batch: usize,
    /// Membrane potentials, mV, `batch · n`.
    pub v: Vec<F>,
    /// Excitatory synaptic variables, `batch · n`.
    pub syn_e: Vec<F>,
    /// Inhibitory synaptic variables (magnitudes), `batch · n`.
    pub syn_i: Vec<F>,
    /// Refractory updates left, `batch · n`.
    pub refrac: Vec<u32>,
}

impl<F: Real> StateBlock<F> {
    /// `batch` images of `n` neurons at rest (`v = v_init`, synapses 0, not refractory).
    pub fn new(batch: usize, n: usize, v_init: F) -> Self {
        let len = batch * n;
        Self {
            n,
            batch,
            v: vec![v_init; len],
            syn_e: vec![F::ZERO; len],
            syn_i: vec![F::ZERO; len],
            refrac: vec![0; len],
        }
    }

    /// Neurons per image.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Images in the batch.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Put every image back at rest.
    pub fn reset(&mut self, v_init: F) {
        self.v.fill(v_init);
        self.syn_e.fill(F::ZERO);
        self.syn_i.fill(F::ZERO);
        self.refrac.fill(0);
    }

    /// Put image `b` back at rest.
    ///
    /// **Panics** if `b >= batch`.
    #[track_caller]
    pub fn reset_image(&mut self, b: usize, v_init: F) {
        let r = self.range(b);
        self.v[r.clone()].fill(v_init);
        self.syn_e[r.clone()].fill(F::ZERO);
        self.syn_i[r.clone()].fill(F::ZERO);
        self.refrac[r].fill(0);
    }

    #[track_caller]
    fn range(&self, b: usize) -> std::ops::Range<usize> {
        assert!(b < self.batch, "image {b} out of range ({})", self.batch);
        b * self.n..(b + 1) * self.n
    }

    /// The block of image `b`.
    ///
    /// **Panics** if `b >= batch`.
    #[track_caller]
    pub fn image_mut(&mut self, b: usize) -> StateSliceMut<'_, F> {
        let r = self.range(b);
        StateSliceMut {
            v: &mut self.v[r.clone()],
            syn_e: &mut self.syn_e[r.clone()],
            syn_i: &mut self.syn_i[r.clone()],
            refrac: &mut self.refrac[r],
        }
    }

    /// All image blocks, in order (split for parallel use with e.g. rayon's
    /// `par_bridge`, or zip with other per-image data).
    pub fn images_mut(&mut self) -> impl Iterator<Item = StateSliceMut<'_, F>> {
        let n = self.n.max(1);
        self.v
            .chunks_mut(n)
            .zip(self.syn_e.chunks_mut(n))
            .zip(self.syn_i.chunks_mut(n))
            .zip(self.refrac.chunks_mut(n))
            .map(|(((v, syn_e), syn_i), refrac)| StateSliceMut { v, syn_e, syn_i, refrac })
    }

    /// The whole batch as one slice (for kernels that do not care about images).
    pub fn all_mut(&mut self) -> StateSliceMut<'_, F> {
        StateSliceMut {
            v: &mut self.v,
            syn_e: &mut self.syn_e,
            syn_i: &mut self.syn_i,
            refrac: &mut self.refrac,
        }
    }
}
