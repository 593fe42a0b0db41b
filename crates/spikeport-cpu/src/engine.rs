//! The simulation loop shared by [`Reference`](crate::Reference) and [`Fast`](crate::Fast).
//!
//! Both backends are this one engine, generic over the float type `F` and configured with
//! a [`KernelChoice`]; they differ only in `F`, the kernel and their defaults.
//!
//! ## How a run is cut up
//!
//! A run simulates *lanes*: independent simulations that each carry state through a
//! sequence of consecutive images. Under [`ImageBoundary::Reset`] every image is a lane of
//! its own (it starts from rest, so nothing connects it to its neighbours); under
//! [`ImageBoundary::Continuous`] the whole batch is one lane, simulated image after image
//! with the state carried. Lanes are grouped into *tiles* of consecutive images that step
//! in lockstep in one [`StateBlock`] (image-major, so each lane is a contiguous block);
//! tiles are independent and run in parallel on rayon's pool.
//!
//! ## Determinism
//!
//! Every floating-point operation of a lane depends only on that lane's own data, in an
//! order that does not depend on the tile it sits in: kernels step each lane's block
//! separately, and synaptic input is added to a lane's buffers row by row in ascending
//! pre-synaptic neuron order (the order of the kernels' spike lists and of
//! [`InputSchedule`]), projection by projection. Tile sizes depend only on the batch size.
//! Counters are integers. So a run is bit-identical whatever the number of threads, and an
//! image gives the same result in any batch under `Reset`.
//!
//! ## One step
//!
//! The protocol of [`spikeport_lif::ring`]: inputs stamped 0 are sent before update 0;
//! then for every update `k` of a lane, each population first receives the input arriving
//! at `t_k` from its [`DelayRing`], all populations are updated (spikes get stamp `k + 1`),
//! the spikes stamped `k + 1` (neurons and inputs) are counted and recorded, and each
//! projection sends its pre-synaptic population's spikes into its target's ring at offset
//! `D` = [`delay_steps`]. A spike whose arrival step `k + 1 + D` lies beyond the lane's
//! last update never arrives and is not propagated (it is still counted as a spike).

use std::ops::Range;
use std::time::Instant;

use ndarray::{s, Array2, Array3, ArrayView2};
use rayon::prelude::*;
use spikeport_lif::{
    DelayRing, DenseSynapses, InputSchedule, Kernel, LifError, NeuronKernel, Real, RkControl, SpikeBatch,
    StateBlock, StateSliceMut,
};
use spikeport_snn::timing::{batch_grid, delay_steps, GRID_TOLERANCE};
use spikeport_snn::{
    Activity, BackendError, CountCheckpoints, Deployed, ImageBoundary, PlatformInfo, RecordedMembrane,
    RecordedSpikes, Recording, RunOutput, SnnNetwork, SpikeInput,
};

/// Which kernels of `spikeport-lif` a backend uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum KernelChoice {
    /// [`Kernel::exact`]: GeNN-like exact constant-input step.
    Exact,
    /// [`Kernel::exp_euler`]: held-conductance exact step.
    ExpEuler,
    /// [`Kernel::accurate`] with this step control: NEST-like reference integration.
    Accurate(RkControl),
}

/// Everything the engine needs to know about a backend.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Setup {
    /// Platform facts (name, dt, limits, models, boundaries).
    pub info: PlatformInfo,
    /// The kernels.
    pub kernels: KernelChoice,
    /// Most images stepped in lockstep by one task.
    pub max_tile: usize,
    /// Most bytes a run may allocate for its outputs.
    pub memory_limit_bytes: usize,
}

/// Neurons of a population as the engine simulates them.
#[derive(Clone, Debug, PartialEq)]
struct PopSim<F> {
    n: usize,
    /// `None` for the input spike source.
    kernel: Option<Kernel<F>>,
    v_init: F,
    /// Largest delay, in steps, of the projections into this population (0 if none).
    max_delay: usize,
}

/// A projection as the engine simulates it.
#[derive(Clone, Debug, PartialEq)]
struct ProjSim<F> {
    pre: usize,
    post: usize,
    /// Delay, steps (≥ 1).
    delay: usize,
    syn: DenseSynapses<F>,
    /// Which receptors the weights use (as `DenseSynapses` decides its row update).
    receptors: Receptors,
}

/// Which receptor planes a projection's weights touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Receptors {
    None,
    Excitatory,
    Inhibitory,
    Both,
}

impl Receptors {
    fn of(w: ArrayView2<'_, f64>) -> Self {
        let exc = w.iter().any(|&x| x > 0.0);
        let inh = w.iter().any(|&x| x < 0.0);
        match (exc, inh) {
            (false, false) => Self::None,
            (true, false) => Self::Excitatory,
            (false, true) => Self::Inhibitory,
            (true, true) => Self::Both,
        }
    }
}

/// A network deployed on a CPU backend: the validated network plus its kernels and
/// weights in the backend's float type `F` (`f64` for [`Reference`](crate::Reference),
/// `f32` for [`Fast`](crate::Fast)).
#[derive(Clone, Debug, PartialEq)]
pub struct CpuDeployment<F> {
    net: SnnNetwork,
    pops: Vec<PopSim<F>>,
    projs: Vec<ProjSim<F>>,
    dt_ms: f64,
}

impl<F: Real> CpuDeployment<F> {
    /// The simulation time step, ms.
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// Delay of projection `k` in whole steps, or `None` if there is no such projection.
    pub fn delay_steps(&self, k: usize) -> Option<usize> {
        self.projs.get(k).map(|p| p.delay)
    }
}

impl<F: Real> Deployed for CpuDeployment<F> {
    fn network(&self) -> &SnnNetwork {
        &self.net
    }
}

/// A `LifError` from building kernels or synapses of an already validated network.
fn lif_error(e: LifError) -> BackendError {
    match e {
        LifError::Snn(e) => BackendError::InvalidNetwork(e),
        other => BackendError::Internal { what: other.to_string() },
    }
}

/// Check `net` against the platform and build its kernels and weights.
pub(crate) fn deploy<F: Real>(setup: &Setup, net: &SnnNetwork) -> Result<CpuDeployment<F>, BackendError> {
    setup.info.check_network(net)?;
    let dt = setup.info.dt_ms;
    let projs: Vec<ProjSim<F>> = net
        .projections()
        .iter()
        .map(|p| ProjSim {
            pre: p.pre,
            post: p.post,
            delay: delay_steps(p.delay_ms, dt),
            syn: DenseSynapses::from_signed(p.weights.view()),
            receptors: Receptors::of(p.weights.view()),
        })
        .collect();
    let mut pops = Vec::with_capacity(net.populations().len());
    for (i, p) in net.populations().iter().enumerate() {
        let kernel = if i == 0 {
            None
        } else {
            let k = match setup.kernels {
                KernelChoice::Exact => Kernel::exact(&p.model, dt),
                KernelChoice::ExpEuler => Kernel::exp_euler(&p.model, dt),
                KernelChoice::Accurate(c) => Kernel::accurate(&p.model, dt, c),
            };
            Some(k.map_err(lif_error)?)
        };
        let v_init = kernel.as_ref().map_or(F::ZERO, |k| k.v_init());
        let max_delay = projs.iter().filter(|q| q.post == i).map(|q| q.delay).max().unwrap_or(0);
        pops.push(PopSim { n: p.size, kernel, v_init, max_delay });
    }
    Ok(CpuDeployment { net: net.clone(), pops, projs, dt_ms: dt })
}

/// Replace the weights of projection `k` in the network and in the simulator.
pub(crate) fn update_weights<F: Real>(
    dep: &mut CpuDeployment<F>,
    k: usize,
    weights: ArrayView2<'_, f64>,
) -> Result<(), BackendError> {
    dep.net.set_weights(k, weights)?;
    let proj = dep.projs.get_mut(k).ok_or_else(|| BackendError::Internal {
        what: format!("projection {k} exists in the network but not in the deployment"),
    })?;
    proj.syn.set_signed(weights).map_err(lif_error)?;
    proj.receptors = Receptors::of(weights);
    Ok(())
}

// ------------------------------------------------------------------------------------
// Run plan
// ------------------------------------------------------------------------------------

/// Spike-time recording of one selection.
struct SpikeSel {
    population: usize,
    neurons: Vec<usize>,
    /// `(neuron, position in neurons)` sorted by neuron, for lookups.
    lookup: Vec<(u32, u32)>,
}

impl SpikeSel {
    /// Positions in `neurons` of neuron `j` (several if listed more than once).
    fn positions(&self, j: u32) -> impl Iterator<Item = usize> + '_ {
        let lo = self.lookup.partition_point(|&(n, _)| n < j);
        self.lookup[lo..].iter().take_while(move |&&(n, _)| n == j).map(|&(_, k)| k as usize)
    }
}

/// Membrane recording of one selection.
struct MemSel {
    population: usize,
    neurons: Vec<usize>,
}

/// What a run needs beyond the deployment, resolved once.
struct Plan {
    dt: f64,
    /// Steps per image.
    steps: usize,
    n_images: usize,
    /// Readout window, stamps relative to an image's start: `lo <= s < hi`.
    window: (i64, i64),
    output: usize,
    /// Checkpoint times, ms, and their last counted stamps (inclusive).
    cp_times: Vec<f64>,
    cp_limits: Vec<i64>,
    spike_sel: Vec<SpikeSel>,
    mem_sel: Vec<MemSel>,
    /// Images of the batch whose spike times and traces are recorded.
    rec_images: Range<usize>,
}

impl Plan {
    fn new<F: Real>(
        dep: &CpuDeployment<F>,
        input: &SpikeInput,
        rec: &Recording,
        memory_limit_bytes: usize,
    ) -> Result<Self, BackendError> {
        let dt = dep.dt_ms;
        let (steps, rec_images) = batch_grid(dt, input, rec)?;
        let n_images = input.n_images();
        let net = &dep.net;
        let mut spike_sel = Vec::with_capacity(rec.spikes.len());
        for sel in &rec.spikes {
            let neurons = sel.resolve(net)?;
            let mut lookup: Vec<(u32, u32)> =
                neurons.iter().enumerate().map(|(k, &j)| (j as u32, k as u32)).collect();
            lookup.sort_unstable();
            spike_sel.push(SpikeSel { population: sel.population, neurons, lookup });
        }
        let mut mem_sel = Vec::with_capacity(rec.membrane.len());
        for sel in &rec.membrane {
            mem_sel.push(MemSel { population: sel.population, neurons: sel.resolve(net)? });
        }
        if let Some(every) = rec.checkpoint_every_ms {
            // refuse before materialising the checkpoint times
            let n_cp = (input.readout_window_ms().1 / every).max(0.0).floor();
            let bytes = n_cp * ((n_images * net.output().size * 4).max(1)) as f64;
            if bytes > memory_limit_bytes as f64 {
                return Err(BackendError::ResourceLimit {
                    what: format!("bytes of count checkpoints every {every} ms"),
                    requested: bytes.min(usize::MAX as f64) as usize,
                    limit: memory_limit_bytes,
                });
            }
        }
        let cp_times = rec.checkpoint_times_ms(input);
        let cp_limits = cp_times.iter().map(|&t| (t / dt + GRID_TOLERANCE).floor() as i64).collect();
        Ok(Self {
            dt,
            steps,
            n_images,
            window: input.readout_window_steps(dt),
            output: net.output_index(),
            cp_times,
            cp_limits,
            spike_sel,
            mem_sel,
            rec_images,
        })
    }

    /// Bytes of the run's outputs (counts, checkpoints, membrane traces) plus the working
    /// memory of its largest task of `task_images` images (input schedule, neuron state,
    /// delay rings), as one estimate that does not depend on the thread count.
    /// (Saturating, so that absurd delays or intervals give a large number, not an
    /// overflow.)
    fn run_bytes<F>(&self, dep: &CpuDeployment<F>, task_images: usize, input_spikes: usize) -> usize {
        let sizes: Vec<usize> = dep.pops.iter().map(|p| p.n).collect();
        let n_all: usize = sizes.iter().sum();
        let n_out = sizes[self.output];
        let rec = self.rec_images.len();
        let mul = |xs: &[usize]| xs.iter().fold(1usize, |a, &x| a.saturating_mul(x));
        let traces = self
            .mem_sel
            .iter()
            .fold(0usize, |a, m| a.saturating_add(mul(&[rec, m.neurons.len(), self.steps, 8])));
        let outputs = mul(&[self.n_images, n_all, 4])
            .saturating_add(mul(&[self.cp_limits.len(), self.n_images, n_out, 4]))
            .saturating_add(traces);
        let schedule =
            mul(&[task_images, self.steps.saturating_add(2), 4]).saturating_add(mul(&[input_spikes, 4]));
        let f = std::mem::size_of::<F>();
        let state = dep.pops.iter().skip(1).fold(0usize, |a, p| {
            let ring = mul(&[2, p.max_delay.saturating_add(1), f]);
            a.saturating_add(mul(&[p.n, (3 * f + 4).saturating_add(ring)]))
        });
        outputs.saturating_add(schedule).saturating_add(mul(&[task_images, state]))
    }

    /// The image (within a lane of `per_lane` images) whose readout window contains the
    /// lane stamp `s`, and `s` relative to that image's start.
    #[inline]
    fn window_image(&self, s: usize, per_lane: usize) -> Option<(usize, i64)> {
        let (lo, hi) = self.window;
        let steps = self.steps as i64;
        let x = s as i64 - lo;
        if x < 0 {
            return None;
        }
        let i = x / steps;
        let rel = s as i64 - i * steps;
        (i < per_lane as i64 && rel < hi).then_some((i as usize, rel))
    }

    /// The image (within a lane) whose period contains the lane stamp `s` (the last image
    /// for the stamp at the very end of the lane), and `s` relative to its start.
    #[inline]
    fn period_image(&self, s: usize, per_lane: usize) -> (usize, usize) {
        let i = (s / self.steps).min(per_lane - 1);
        (i, s - i * self.steps)
    }
}

/// A group of consecutive images simulated together: `lanes` lanes of `per_lane`
/// consecutive images each, starting at image `first` of the batch.
#[derive(Clone, Copy, Debug)]
struct Job {
    first: usize,
    lanes: usize,
    per_lane: usize,
}

impl Job {
    fn n_images(&self) -> usize {
        self.lanes * self.per_lane
    }
}

/// What one tile produced; merged into the [`RunOutput`] in image order.
struct TileOut {
    first: usize,
    counts: Vec<Array2<u32>>,
    spikes: Vec<u64>,
    events: Vec<u64>,
    /// First recorded image (batch index) and, per spike selection, per recorded image,
    /// per neuron, the spike times.
    rec_first: usize,
    rec_spikes: Vec<Vec<Vec<Vec<f64>>>>,
    rec_mem: Vec<Array3<f64>>,
    /// Per checkpoint, spikes first counted at that checkpoint (not yet cumulative).
    checkpoints: Vec<Array2<u32>>,
}

// ------------------------------------------------------------------------------------
// Stepping and propagation
// ------------------------------------------------------------------------------------

/// Neurons per block of [`step_exact`].
const STEP_CHUNK: usize = 64;

/// Step one lane's block with a per-neuron kernel in blocks: the updates of a block go
/// into a branch-free loop (which the compiler can vectorise), the spike indices are
/// collected afterwards. The same calls to [`NeuronKernel::step`] in the same order as
/// [`spikeport_lif::step_each`], so bit-identical to it.
#[inline(always)]
fn step_exact<F: Real, K: NeuronKernel<F>>(k: &K, st: StateSliceMut<'_, F>, out: &mut Vec<u32>) {
    let mut fired = [false; STEP_CHUNK];
    let mut base = 0u32;
    let blocks =
        st.v.chunks_mut(STEP_CHUNK)
            .zip(st.syn_e.chunks_mut(STEP_CHUNK))
            .zip(st.syn_i.chunks_mut(STEP_CHUNK))
            .zip(st.refrac.chunks_mut(STEP_CHUNK));
    for (((v, ge), gi), r) in blocks {
        let it = v.iter_mut().zip(ge.iter_mut()).zip(gi.iter_mut()).zip(r.iter_mut()).zip(fired.iter_mut());
        for ((((v, ge), gi), r), f) in it {
            // on copies, so that the kernel's branches become selects and the loop vectorises
            let (mut v1, mut ge1, mut gi1, mut r1) = (*v, *ge, *gi, *r);
            *f = k.step(&mut v1, &mut ge1, &mut gi1, &mut r1);
            (*v, *ge, *gi, *r) = (v1, ge1, gi1, r1);
        }
        // the spiking indices, via a bit mask (work proportional to the spikes)
        let mut mask = 0u64;
        for (j, &f) in fired[..v.len()].iter().enumerate() {
            mask |= u64::from(f) << j;
        }
        while mask != 0 {
            out.push(base + mask.trailing_zeros());
            mask &= mask - 1;
        }
        base += v.len() as u32;
    }
}

/// [`step_exact`] compiled for AVX2 when this CPU has it (x86-64; detected at run time and
/// cached by the standard library), else the baseline build. Without FMA, AVX2 performs
/// the same IEEE operations in the same order on more lanes, so both builds give
/// bit-identical results.
#[inline]
fn step_exact_wide<F: Real, K: NeuronKernel<F>>(k: &K, st: StateSliceMut<'_, F>, out: &mut Vec<u32>) {
    #[cfg(target_arch = "x86_64")]
    if spikeport_lif::Simd::detect().has_avx2() {
        // SAFETY: AVX2, the only feature `step_exact_avx2` is compiled for, was detected
        // on this CPU just above.
        #[allow(unsafe_code)]
        unsafe {
            step_exact_avx2(k, st, out)
        };
        return;
    }
    step_exact(k, st, out);
}

/// [`step_exact`] compiled with AVX2 (no FMA).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn step_exact_avx2<F: Real, K: NeuronKernel<F>>(k: &K, st: StateSliceMut<'_, F>, out: &mut Vec<u32>) {
    step_exact(k, st, out);
}

/// Step one lane's block of a population with its kernel, appending the indices of the
/// neurons that spiked (ascending) to `out`.
#[inline]
fn step_lane<F: Real>(kernel: &Kernel<F>, st: StateSliceMut<'_, F>, out: &mut Vec<u32>) {
    match kernel {
        Kernel::CondExpExact(k) => step_exact_wide(k, st, out),
        Kernel::CondExpExpEuler(k) => step_exact_wide(k, st, out),
        Kernel::CurrExpExact(k) => step_exact_wide(k, st, out),
        Kernel::DeltaSub(k) => step_exact_wide(k, st, out),
        // the accurate kernel has its own vectorised block version
        other => {
            other.step_slice(st, out);
        }
    }
}

/// Targets at least this wide use the unrolled row updates of [`propagate_tile`];
/// narrower ones the plain loop of `spikeport-lif`, where a row is too short for
/// unrolling or reuse to pay.
const ROW_REUSE_MIN_POST: usize = 32;

/// Add row `j` of `proj` into one lane's target planes; returns its synaptic events.
#[inline(always)]
fn add_spike<F: Real>(proj: &ProjSim<F>, j: usize, e: &mut [F], i: &mut [F]) -> u64 {
    let row = proj.syn.row(j);
    match proj.receptors {
        Receptors::Excitatory => add_row(row, e),
        Receptors::Inhibitory => sub_row(row, i),
        Receptors::Both => split_row(row, e, i),
        Receptors::None => {}
    }
    u64::from(proj.syn.row_synapses(j))
}

/// Add the rows of the pre-synaptic neurons that spiked in each lane of `spikes` into
/// that lane's target planes (`exc`, `inh`: `lanes` blocks of `n_post`), returning the
/// synaptic events.
///
/// Narrow targets go through [`DenseSynapses::propagate_batch`]. Wide ones use unrolled
/// row updates with the same arithmetic per element; in a tile of several lanes the
/// (neuron, lane) pairs are first sorted by neuron, so that a weight row is read from
/// memory once and added to every lane that spiked it while it is in the L1 cache. Each
/// lane still receives its rows in ascending neuron order (its spike list's order: the
/// kernels and [`InputSchedule`] list spikes ascending), so the result is bit-identical
/// to propagating lane by lane.
fn propagate_tile<F: Real>(
    proj: &ProjSim<F>,
    spikes: &SpikeBatch,
    exc: &mut [F],
    inh: &mut [F],
    pairs: &mut Vec<u64>,
) -> u64 {
    let n = proj.syn.n_post();
    let lanes = spikes.n_images();
    if n < ROW_REUSE_MIN_POST {
        return proj.syn.propagate_batch(spikes, exc, inh);
    }
    if lanes == 1 {
        return spikes.image(0).iter().map(|&j| add_spike(proj, j as usize, exc, inh)).sum();
    }
    pairs.clear();
    for b in 0..lanes {
        pairs.extend(spikes.image(b).iter().map(|&j| (u64::from(j) << 32) | b as u64));
    }
    pairs.sort_unstable();
    let mut events = 0u64;
    for &pair in pairs.iter() {
        let (j, b) = ((pair >> 32) as usize, (pair & 0xffff_ffff) as usize);
        let lane = b * n..(b + 1) * n;
        events += add_spike(proj, j, &mut exc[lane.clone()], &mut inh[lane]);
    }
    events
}

/// Elements per unrolled block of the row updates.
const ROW_BLOCK: usize = 16;

// The row updates of `DenseSynapses::propagate_image` (same arithmetic per element, so
// bit-identical), written in fixed-length blocks that the compiler unrolls.

/// `e += w` for every element.
#[inline(always)]
fn add_row<F: Real>(row: &[F], e: &mut [F]) {
    let mut rw = row.chunks_exact(ROW_BLOCK);
    let mut re = e.chunks_exact_mut(ROW_BLOCK);
    for (w, e) in (&mut rw).zip(&mut re) {
        for k in 0..ROW_BLOCK {
            e[k] += w[k];
        }
    }
    rw.remainder().iter().zip(re.into_remainder()).for_each(|(&w, e)| *e += w);
}

/// `i −= w` for every element (weights ≤ 0).
#[inline(always)]
fn sub_row<F: Real>(row: &[F], i: &mut [F]) {
    let mut rw = row.chunks_exact(ROW_BLOCK);
    let mut ri = i.chunks_exact_mut(ROW_BLOCK);
    for (w, i) in (&mut rw).zip(&mut ri) {
        for k in 0..ROW_BLOCK {
            i[k] -= w[k];
        }
    }
    rw.remainder().iter().zip(ri.into_remainder()).for_each(|(&w, i)| *i -= w);
}

/// `e += max(w, 0)`, `i += max(−w, 0)` for every element.
#[inline(always)]
fn split_row<F: Real>(row: &[F], e: &mut [F], i: &mut [F]) {
    let mut rw = row.chunks_exact(ROW_BLOCK);
    let mut re = e.chunks_exact_mut(ROW_BLOCK);
    let mut ri = i.chunks_exact_mut(ROW_BLOCK);
    for ((w, e), i) in (&mut rw).zip(&mut re).zip(&mut ri) {
        for k in 0..ROW_BLOCK {
            e[k] += w[k].max(F::ZERO);
            i[k] += (-w[k]).max(F::ZERO);
        }
    }
    rw.remainder().iter().zip(re.into_remainder()).zip(ri.into_remainder()).for_each(|((&w, e), i)| {
        *e += w.max(F::ZERO);
        *i += (-w).max(F::ZERO);
    });
}

// ------------------------------------------------------------------------------------
// One tile
// ------------------------------------------------------------------------------------

/// Simulate one tile.
fn simulate_tile<F: Real>(
    dep: &CpuDeployment<F>,
    plan: &Plan,
    input: &SpikeInput,
    job: Job,
) -> Result<TileOut, BackendError> {
    let (lanes, per_lane, steps) = (job.lanes, job.per_lane, plan.steps);
    let n_img = job.n_images();
    let total = per_lane * steps;
    let tile_input = input.to_slice(job.first..job.first + n_img)?;
    let sched = InputSchedule::new(&tile_input, plan.dt).map_err(lif_error)?;
    let pops = &dep.pops;
    let n_pops = pops.len();

    let mut state: Vec<StateBlock<F>> = pops
        .iter()
        .enumerate()
        .map(|(i, p)| StateBlock::new(lanes, if i == 0 { 0 } else { p.n }, p.v_init))
        .collect();
    let mut rings: Vec<DelayRing<F>> = pops
        .iter()
        .enumerate()
        .map(|(i, p)| DelayRing::new(p.max_delay, if i == 0 { 0 } else { lanes * p.n }))
        .collect();
    let mut fired: Vec<SpikeBatch> =
        pops.iter().map(|p| SpikeBatch::with_capacity(lanes, lanes * p.n)).collect();

    let mut counts: Vec<Array2<u32>> = pops.iter().map(|p| Array2::zeros((n_img, p.n))).collect();
    let mut spikes = vec![0u64; n_pops];
    let mut events = vec![0u64; dep.projs.len()];
    let n_out = pops[plan.output].n;
    let mut checkpoints: Vec<Array2<u32>> =
        plan.cp_limits.iter().map(|_| Array2::zeros((n_img, n_out))).collect();
    // recorded images, as tile-local indices
    let rec_lo = plan.rec_images.start.clamp(job.first, job.first + n_img) - job.first;
    let rec_hi = plan.rec_images.end.clamp(job.first, job.first + n_img) - job.first;
    let rec_hi = rec_hi.max(rec_lo);
    let n_rec = rec_hi - rec_lo;
    let mut rec_spikes: Vec<Vec<Vec<Vec<f64>>>> =
        plan.spike_sel.iter().map(|sel| vec![vec![Vec::new(); sel.neurons.len()]; n_rec]).collect();
    let mut rec_mem: Vec<Array3<f64>> =
        plan.mem_sel.iter().map(|sel| Array3::zeros((n_rec, sel.neurons.len(), steps))).collect();

    let mut pairs: Vec<u64> = Vec::new();
    // Count, record and propagate everything stamped `s`.
    let mut emit = |s: usize,
                    fired: &[SpikeBatch],
                    rings: &mut [DelayRing<F>],
                    counts: &mut [Array2<u32>],
                    checkpoints: &mut [Array2<u32>],
                    rec_spikes: &mut [Vec<Vec<Vec<f64>>>]| {
        for (p, batch) in fired.iter().enumerate() {
            if batch.is_empty() {
                continue;
            }
            spikes[p] += batch.len() as u64;
            for b in 0..lanes {
                let list = batch.image(b);
                if list.is_empty() {
                    continue;
                }
                if let Some((i, rel)) = plan.window_image(s, per_lane) {
                    let img = b * per_lane + i;
                    let mut row = counts[p].row_mut(img);
                    for &j in list {
                        row[j as usize] += 1;
                    }
                    if p == plan.output && !checkpoints.is_empty() {
                        let c = plan.cp_limits.partition_point(|&l| l < rel);
                        if let Some(cp) = checkpoints.get_mut(c) {
                            let mut row = cp.row_mut(img);
                            for &j in list {
                                row[j as usize] += 1;
                            }
                        }
                    }
                }
                for (sel, out) in plan.spike_sel.iter().zip(rec_spikes.iter_mut()) {
                    if sel.population != p {
                        continue;
                    }
                    let (i, rel) = plan.period_image(s, per_lane);
                    let img = b * per_lane + i;
                    if (rec_lo..rec_hi).contains(&img) {
                        let t = rel as f64 * plan.dt;
                        for &j in list {
                            for k in sel.positions(j) {
                                out[img - rec_lo][k].push(t);
                            }
                        }
                    }
                }
            }
        }
        for (q, proj) in dep.projs.iter().enumerate() {
            if s + proj.delay >= total || fired[proj.pre].is_empty() {
                continue;
            }
            let (exc, inh) = rings[proj.post].slot_mut(proj.delay);
            events[q] += propagate_tile(proj, &fired[proj.pre], exc, inh, &mut pairs);
        }
    };

    let collect_inputs = |s: usize, batch: &mut SpikeBatch| {
        batch.clear();
        for b in 0..lanes {
            sched.lane_inputs(b * per_lane, per_lane, steps, s, batch.open_image());
            batch.finish_image();
        }
    };

    // inputs stamped 0 leave before the first update
    collect_inputs(0, &mut fired[0]);
    for batch in fired.iter_mut().skip(1) {
        batch.clear();
        for _ in 0..lanes {
            batch.finish_image();
        }
    }
    emit(0, &fired, &mut rings, &mut counts, &mut checkpoints, &mut rec_spikes);
    for k in 0..total {
        // input arriving at t_k
        for (ring, st) in rings.iter_mut().zip(state.iter_mut()).skip(1) {
            ring.deliver_into(&mut st.syn_e, &mut st.syn_i);
        }
        // update k: spikes get stamp k + 1
        for ((pop, st), batch) in pops.iter().zip(state.iter_mut()).zip(fired.iter_mut()).skip(1) {
            let Some(kernel) = pop.kernel.as_ref() else { continue };
            batch.clear();
            for lane in st.images_mut() {
                step_lane(kernel, lane, batch.open_image());
                batch.finish_image();
            }
        }
        // membrane potentials after update k
        if n_rec > 0 {
            let (i, sample) = (k / steps, k % steps);
            for (sel, trace) in plan.mem_sel.iter().zip(rec_mem.iter_mut()) {
                let n = pops[sel.population].n;
                let v = &state[sel.population].v;
                for b in 0..lanes {
                    let img = b * per_lane + i;
                    if !(rec_lo..rec_hi).contains(&img) {
                        continue;
                    }
                    for (kk, &j) in sel.neurons.iter().enumerate() {
                        trace[[img - rec_lo, kk, sample]] = v[b * n + j].to_f64();
                    }
                }
            }
        }
        collect_inputs(k + 1, &mut fired[0]);
        emit(k + 1, &fired, &mut rings, &mut counts, &mut checkpoints, &mut rec_spikes);
    }

    for (p, st) in state.iter().enumerate().skip(1) {
        let bad = st.v.iter().chain(&st.syn_e).chain(&st.syn_i).position(|x| !x.to_f64().is_finite());
        if let Some(at) = bad {
            let neuron = at % pops[p].n;
            return Err(BackendError::Numerical {
                what: format!("state of population {p}, neuron {neuron} is not finite at the end of the run"),
            });
        }
    }
    Ok(TileOut {
        first: job.first,
        counts,
        spikes,
        events,
        rec_first: job.first + rec_lo,
        rec_spikes,
        rec_mem,
        checkpoints,
    })
}

// ------------------------------------------------------------------------------------
// A whole run
// ------------------------------------------------------------------------------------

/// Images per tile under `Reset` for a batch of `n` images: enough tiles to keep every
/// core busy, at most `max_tile` images each. Depends only on the batch size, never on
/// the thread count.
fn tile_size(n: usize, max_tile: usize) -> usize {
    n.div_ceil(16).clamp(1, max_tile.max(1))
}

/// Simulate `input` on `dep` and assemble the [`RunOutput`].
pub(crate) fn run<F: Real>(
    setup: &Setup,
    dep: &mut CpuDeployment<F>,
    input: &SpikeInput,
    rec: &Recording,
) -> Result<RunOutput, BackendError> {
    let wall = Instant::now();
    setup.info.check_run(&dep.net, input, rec)?;
    let plan = Plan::new(dep, input, rec, setup.memory_limit_bytes)?;
    let sizes = dep.net.sizes();
    let n = plan.n_images;
    let jobs: Vec<Job> = match input.boundary() {
        _ if n == 0 => Vec::new(),
        ImageBoundary::Reset => {
            let t = tile_size(n, setup.max_tile);
            (0..n).step_by(t).map(|first| Job { first, lanes: t.min(n - first), per_lane: 1 }).collect()
        }
        ImageBoundary::Continuous => vec![Job { first: 0, lanes: 1, per_lane: n }],
        other => {
            return Err(BackendError::unsupported(&setup.info.name, format!("image boundary {other:?}")));
        }
    };
    let task_images = jobs.iter().map(Job::n_images).max().unwrap_or(0);
    let bytes = plan.run_bytes(dep, task_images, input.total_spikes());
    if bytes > setup.memory_limit_bytes {
        return Err(BackendError::ResourceLimit {
            what: "bytes of run output (counts, checkpoints, membrane traces) and working memory".into(),
            requested: bytes,
            limit: setup.memory_limit_bytes,
        });
    }
    let dep_ref: &CpuDeployment<F> = dep;
    let tiles: Vec<TileOut> =
        jobs.par_iter().map(|&job| simulate_tile(dep_ref, &plan, input, job)).collect::<Result<_, _>>()?;

    // merge in image order
    let mut counts: Vec<Array2<u32>> = sizes.iter().map(|&m| Array2::zeros((n, m))).collect();
    let n_out = sizes[plan.output];
    let mut cps: Vec<Array2<u32>> = plan.cp_limits.iter().map(|_| Array2::zeros((n, n_out))).collect();
    let n_rec = plan.rec_images.len();
    let mut spike_times: Vec<Vec<Vec<Vec<f64>>>> =
        plan.spike_sel.iter().map(|_| Vec::with_capacity(n_rec)).collect();
    let mut traces: Vec<Array3<f64>> =
        plan.mem_sel.iter().map(|sel| Array3::zeros((n_rec, sel.neurons.len(), plan.steps))).collect();
    let mut activity = Activity::zeros(sizes.len(), dep.projs.len());
    for tile in tiles {
        let m = tile.counts.first().map_or(0, |c| c.nrows());
        let rows = tile.first..tile.first + m;
        for (all, part) in counts.iter_mut().zip(&tile.counts) {
            all.slice_mut(s![rows.clone(), ..]).assign(part);
        }
        for (all, part) in cps.iter_mut().zip(&tile.checkpoints) {
            all.slice_mut(s![rows.clone(), ..]).assign(part);
        }
        for (all, part) in spike_times.iter_mut().zip(tile.rec_spikes) {
            all.extend(part);
        }
        for (all, part) in traces.iter_mut().zip(&tile.rec_mem) {
            let k = part.shape()[0];
            if k > 0 {
                let r0 = tile.rec_first - plan.rec_images.start;
                all.slice_mut(s![r0..r0 + k, .., ..]).assign(part);
            }
        }
        activity.spikes.iter_mut().zip(&tile.spikes).for_each(|(a, b)| *a += b);
        activity.synaptic_events.iter_mut().zip(&tile.events).for_each(|(a, b)| *a += b);
    }
    for c in 1..cps.len() {
        let (done, rest) = cps.split_at_mut(c);
        rest[0] += &done[c - 1];
    }
    let checkpoints = rec.checkpoint_every_ms.map(|_| CountCheckpoints {
        population: plan.output,
        times_ms: plan.cp_times.clone(),
        counts: cps,
    });
    let spikes = plan
        .spike_sel
        .iter()
        .zip(spike_times)
        .map(|(sel, times_ms)| RecordedSpikes {
            population: sel.population,
            neurons: sel.neurons.clone(),
            first_image: plan.rec_images.start,
            times_ms,
        })
        .collect();
    let membrane = plan
        .mem_sel
        .iter()
        .zip(traces)
        .map(|(sel, v_mv)| RecordedMembrane {
            population: sel.population,
            neurons: sel.neurons.clone(),
            first_image: plan.rec_images.start,
            dt_ms: plan.dt,
            v_mv,
        })
        .collect();
    activity.images = n;
    activity.neuron_updates = (dep.net.n_neurons() * plan.steps * n) as u64;
    activity.bio_time_ms = input.total_ms();
    let wall_s = wall.elapsed().as_secs_f64();
    activity.wall_time_s = wall_s;
    activity.hardware_time_s = setup.info.hardware_time_s(activity.bio_time_ms).unwrap_or(wall_s);
    Ok(RunOutput { counts, spikes, membrane, checkpoints, activity })
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikeport_snn::{IfCondExpParams, IfCurrDeltaSubParams, IfCurrExpParams, NeuronModel};

    fn lcg(state: &mut u64) -> f64 {
        *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn tile_propagation_is_bit_identical_to_lane_by_lane() {
        let mut st = 7u64;
        for (n_pre, n_post, sign) in [(50, 40, 0.5), (30, 37, 0.0), (30, 64, 1.0), (20, 8, 0.5)] {
            let w = Array2::from_shape_simple_fn((n_pre, n_post), || {
                let x = lcg(&mut st);
                if x < 0.1 {
                    0.0
                } else {
                    (lcg(&mut st) - sign) * 0.37
                }
            });
            let proj = ProjSim::<f32> {
                pre: 0,
                post: 1,
                delay: 1,
                syn: DenseSynapses::from_signed(w.view()),
                receptors: Receptors::of(w.view()),
            };
            let lanes = 5;
            let mut spikes = SpikeBatch::new();
            for _ in 0..lanes {
                let list: Vec<u32> = (0..n_pre as u32).filter(|_| lcg(&mut st) < 0.3).collect();
                spikes.push_image(&list);
            }
            let init: Vec<f32> = (0..lanes * n_post).map(|_| lcg(&mut st) as f32).collect();
            let (mut e1, mut i1) = (init.clone(), init.clone());
            let (mut e2, mut i2) = (init.clone(), init.clone());
            let ev1 = proj.syn.propagate_batch(&spikes, &mut e1, &mut i1);
            let ev2 = propagate_tile(&proj, &spikes, &mut e2, &mut i2, &mut Vec::new());
            assert_eq!(ev1, ev2);
            assert_eq!(
                e1.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                e2.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
            assert_eq!(
                i1.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                i2.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
            // one lane at a time as well
            let mut one = SpikeBatch::new();
            one.push_image(spikes.image(2));
            let r = 2 * n_post..3 * n_post;
            let (mut e3, mut i3) = (init[r.clone()].to_vec(), init[r.clone()].to_vec());
            propagate_tile(&proj, &one, &mut e3, &mut i3, &mut Vec::new());
            assert_eq!(e3, e1[r.clone()].to_vec());
            assert_eq!(i3, i1[r].to_vec());
        }
    }

    #[test]
    fn block_stepping_is_bit_identical_to_the_kernel() {
        let models: Vec<NeuronModel> = vec![
            IfCondExpParams::paper_digital().tau_refrac(2.0).into_model().unwrap(),
            IfCurrExpParams::new().tau_refrac(1.0).into_model().unwrap(),
            IfCurrDeltaSubParams::new().into_model().unwrap(),
        ];
        let mut st = 3u64;
        for model in &models {
            let kernel = Kernel::<f32>::exact(model, 1.0).unwrap();
            let n = 150; // two full blocks and a partial one
            let mut a = StateBlock::new(1, n, kernel.v_init());
            for j in 0..n {
                a.v[j] += (lcg(&mut st) * 20.0 - 5.0) as f32;
                a.syn_e[j] = (lcg(&mut st) * 0.5) as f32;
                a.syn_i[j] = (lcg(&mut st) * 0.2) as f32;
                a.refrac[j] = u32::from(lcg(&mut st) < 0.2);
            }
            let mut b = a.clone();
            for _ in 0..20 {
                let (mut s1, mut s2) = (Vec::new(), Vec::new());
                spikeport_lif::step_each(&kernel, a.all_mut(), &mut s1);
                step_lane(&kernel, b.all_mut(), &mut s2);
                assert_eq!(s1, s2);
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn tiles_depend_on_the_batch_only() {
        assert_eq!(tile_size(1, 32), 1);
        assert_eq!(tile_size(200, 32), 13);
        assert_eq!(tile_size(10_000, 32), 32);
        assert_eq!(tile_size(10_000, 0), 1);
    }
}
