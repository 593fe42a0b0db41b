//! The simulation loop shared by [`Reference`](crate::Reference) and [`Fast`](crate::Fast).
//!
//! Both backends are this one engine, generic over the float type `F` and configured with
//! a [`KernelChoice`]; they differ only in `F`, the kernel and their defaults.
//!
//! ## How a run is cut up
//!
//! The run executor of the contract ([`spikeport_snn::exec`]) cuts a run into *lanes*
//! (independent simulations that carry state through consecutive images: one image each
//! under [`ImageBoundary::Reset`](spikeport_snn::ImageBoundary), one network copy's share
//! under `Continuous`) and *tiles* of lanes, counts, records and assembles. This engine
//! steps a tile: its lanes in lockstep in one [`StateBlock`] (image-major, so each lane is
//! a contiguous block).
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

use ndarray::ArrayView2;
use spikeport_lif::{
    DelayRing, DenseSynapses, InputSchedule, Kernel, LifError, NeuronKernel, Real, RkControl, SpikeBatch,
    StateBlock,
};
use spikeport_snn::exec::{Executor, RunPlan, Tile, TileOutput, TileSimulator};
use spikeport_snn::timing::delay_steps;
use spikeport_snn::{
    BackendError, Deployed, Placement, PlatformInfo, Recording, RunOutput, SnnNetwork, SpikeInput,
};

use crate::step::{propagate_tile, step_lane};

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
pub(crate) struct PopSim<F> {
    n: usize,
    /// `None` for the input spike source.
    kernel: Option<Kernel<F>>,
    v_init: F,
    /// Largest delay, in steps, of the projections into this population (0 if none).
    max_delay: usize,
}

/// A projection as the engine simulates it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ProjSim<F> {
    pub(crate) pre: usize,
    pub(crate) post: usize,
    /// Delay, steps (≥ 1).
    pub(crate) delay: usize,
    pub(crate) syn: DenseSynapses<F>,
    /// Which receptors the weights use (as `DenseSynapses` decides its row update).
    pub(crate) receptors: Receptors,
}

/// Which receptor planes a projection's weights touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Receptors {
    None,
    Excitatory,
    Inhibitory,
    Both,
}

impl Receptors {
    pub(crate) fn of(w: ArrayView2<'_, f64>) -> Self {
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
    placement: Placement,
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

    fn placement(&self) -> Placement {
        self.placement
    }
}

/// A `LifError` from building kernels or synapses of an already validated network.
fn lif_error(e: LifError) -> BackendError {
    match e {
        LifError::Snn(e) => BackendError::InvalidNetwork(e),
        other => BackendError::Internal { what: other.to_string() },
    }
}

/// Build the kernels and weights of `net` (checked by the contract): one set, shared by
/// every copy (copies of a software simulation differ only in their lanes).
pub(crate) fn map<F: Real>(
    setup: &Setup,
    net: &SnnNetwork,
    placement: Placement,
) -> Result<CpuDeployment<F>, BackendError> {
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
    Ok(CpuDeployment { net: net.clone(), pops, projs, dt_ms: dt, placement })
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
// A tile, and a whole run
// ------------------------------------------------------------------------------------

/// One run of a deployment, as the executor's [`TileSimulator`].
struct CpuRun<'a, F> {
    dep: &'a CpuDeployment<F>,
}

impl<F: Real> TileSimulator for CpuRun<'_, F> {
    type Stats = ();

    fn simulate(
        &self,
        plan: &RunPlan,
        tile: &Tile,
        input: &SpikeInput,
        out: &mut TileOutput,
        _: &mut (),
    ) -> Result<(), BackendError> {
        simulate_tile(self.dep, plan, tile, input, out)
    }

    fn merge(_: &mut (), _: ()) {}

    /// Input schedule on the grid, neuron state and delay rings of every lane (saturating,
    /// so that absurd delays give a large number, not an overflow).
    fn tile_bytes(&self, plan: &RunPlan, lanes: usize, per_lane: usize, input_spikes: usize) -> usize {
        let mul = |xs: &[usize]| xs.iter().fold(1usize, |a, &x| a.saturating_mul(x));
        let images = lanes.saturating_mul(per_lane);
        let schedule =
            mul(&[images, plan.steps.saturating_add(2), 4]).saturating_add(mul(&[input_spikes, 4]));
        let f = std::mem::size_of::<F>();
        let state = self.dep.pops.iter().skip(1).fold(0usize, |a, p| {
            let ring = mul(&[2, p.max_delay.saturating_add(1), f]);
            a.saturating_add(mul(&[p.n, (3 * f + 4).saturating_add(ring)]))
        });
        schedule.saturating_add(mul(&[lanes, state]))
    }
}

/// Simulate one tile: its lanes step in lockstep.
fn simulate_tile<F: Real>(
    dep: &CpuDeployment<F>,
    plan: &RunPlan,
    tile: &Tile,
    input: &SpikeInput,
    out: &mut TileOutput,
) -> Result<(), BackendError> {
    let (lanes, per_lane, steps) = (tile.n_lanes(), tile.per_lane, plan.steps);
    let total = tile.lane_steps(plan);
    let sched = InputSchedule::new(input, plan.dt_ms).map_err(lif_error)?;
    let pops = &dep.pops;

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

    let mut pairs: Vec<u64> = Vec::new();
    // Count, record and propagate everything stamped `s`.
    let mut emit = |s: usize, fired: &[SpikeBatch], rings: &mut [DelayRing<F>], out: &mut TileOutput| {
        for (p, batch) in fired.iter().enumerate() {
            if batch.is_empty() {
                continue;
            }
            for b in 0..lanes {
                out.spikes(plan, b, s, p, batch.image(b));
            }
        }
        for (q, proj) in dep.projs.iter().enumerate() {
            if s + proj.delay >= total || fired[proj.pre].is_empty() {
                continue;
            }
            let (exc, inh) = rings[proj.post].slot_mut(proj.delay);
            out.events(q, propagate_tile(proj, &fired[proj.pre], exc, inh, &mut pairs));
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
    emit(0, &fired, &mut rings, out);
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
        for b in 0..lanes {
            out.membrane(plan, b, k, |p, j| state[p].v[b * pops[p].n + j].to_f64());
        }
        collect_inputs(k + 1, &mut fired[0]);
        emit(k + 1, &fired, &mut rings, out);
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
    Ok(())
}

/// Simulate `input` on `dep` with the run executor.
pub(crate) fn run<F: Real>(
    setup: &Setup,
    dep: &mut CpuDeployment<F>,
    input: &SpikeInput,
    rec: &Recording,
) -> Result<RunOutput, BackendError> {
    let plan = RunPlan::new(&setup.info, &dep.net, input, rec, dep.placement.copies, dep.dt_ms)?;
    let exec = Executor { max_lanes: setup.max_tile, memory_limit_bytes: setup.memory_limit_bytes };
    let (output, ()) = exec.run(&CpuRun { dep }, &setup.info, &plan, input)?;
    Ok(output)
}
