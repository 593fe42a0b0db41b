//! One run on an analog chip: every image on its network copy's neurons and synapses, with
//! this run's drive jitter, membrane noise and input-spike losses; the run executor of the
//! contract ([`spikeport_snn::exec`]) does the lanes, windows, recording and assembly.

use ndarray::Array2;
use spikeport_lif::{InputSchedule, Simd};
use spikeport_snn::exec::{RunPlan, Tile, TileOutput, TileSimulator};
use spikeport_snn::{BackendError, Counter, SpikeInput};

use crate::engine::{advance_pop, NoiseRng, PopState, PopTable, Scratch};

/// A projection as the engine runs it: effective conductances (µS) after quantisation,
/// synapse gains, losses and this run's jitter, split by sign.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ProjRun {
    pub pre: usize,
    pub post: usize,
    pub delay: usize,
    /// Excitatory conductances, (pre, post) row-major.
    pub exc: Array2<f64>,
    /// Inhibitory conductances (≥ 0), `None` if the projection has none.
    pub inh: Option<Array2<f64>>,
    /// Non-zero weights per pre-synaptic row (synaptic events per spike).
    pub row_nnz: Vec<u64>,
}

/// One network copy's neurons and synapses in this run.
pub(crate) struct CopyRun {
    pub tables: Vec<PopTable>,
    pub projs: Vec<ProjRun>,
}

/// One run of a deployment, as the executor's [`TileSimulator`].
pub(crate) struct ChipRun<'a> {
    pub sizes: &'a [usize],
    /// Per copy of the deployment; `None` for copies without images in this run.
    pub copies: &'a [Option<CopyRun>],
    /// Membrane noise, mV per √ms.
    pub noise_mv: f64,
    /// Fraction of input spikes dropped.
    pub input_loss: f64,
    /// Seed of image `i`'s noise and losses, from the chip seed, the run counter and `i`.
    pub image_seed: &'a (dyn Fn(usize) -> u64 + Sync),
}

impl TileSimulator for ChipRun<'_> {
    type Stats = ();

    /// Every lane is one image (the analog platforms honour only `Reset`).
    fn simulate(
        &self,
        plan: &RunPlan,
        tile: &Tile,
        input: &SpikeInput,
        out: &mut TileOutput,
        _: &mut (),
    ) -> Result<(), BackendError> {
        let sched = InputSchedule::new(input, plan.dt_ms)
            .map_err(|e| BackendError::Internal { what: e.to_string() })?;
        for (b, lane) in plan.lanes[tile.lanes.clone()].iter().enumerate() {
            let copy = self.copies.get(lane.copy).and_then(Option::as_ref).ok_or_else(|| {
                BackendError::Internal { what: format!("network copy {} has no run state", lane.copy) }
            })?;
            let lost =
                self.simulate_image(plan, copy, &|s| sched.at(b, s), (self.image_seed)(lane.first), b, out);
            out.count(Counter::InputSpikesLost, lost);
        }
        Ok(())
    }

    fn merge(_: &mut (), _: ()) {}

    /// Neuron state, delay rings and the noise buffer of one image, plus the tile's input.
    fn tile_bytes(&self, plan: &RunPlan, lanes: usize, per_lane: usize, input_spikes: usize) -> usize {
        let ring = self
            .copies
            .iter()
            .flatten()
            .next()
            .map_or(1, |c| c.projs.iter().map(|p| p.delay).max().unwrap_or(1).saturating_add(2));
        let neurons: usize = self.sizes.iter().sum();
        let state = neurons.saturating_mul(8 * (2 * ring + 8));
        let images = lanes.saturating_mul(per_lane);
        let schedule = images.saturating_mul(plan.steps.saturating_add(2)).saturating_mul(4);
        state.saturating_add(schedule).saturating_add(input_spikes.saturating_mul(4))
    }
}

impl ChipRun<'_> {
    /// Simulates one image from rest on `copy`, reporting to `out` as lane `lane`; returns
    /// the input spikes lost on the links.
    fn simulate_image<'i>(
        &self,
        plan: &RunPlan,
        copy: &CopyRun,
        inputs: &dyn Fn(usize) -> &'i [u32],
        seed: u64,
        lane: usize,
        out: &mut TileOutput,
    ) -> u64 {
        let sizes = self.sizes;
        let n_pop = sizes.len();
        let steps = plan.steps;
        let mut rng = NoiseRng::new(seed);
        let mut state: Vec<PopState> = copy.tables.iter().map(PopState::rest).collect();
        let ring_len = copy.projs.iter().map(|p| p.delay).max().unwrap_or(1) + 2;
        let mut ring_e: Vec<Vec<f64>> = sizes.iter().map(|&n| vec![0.0; n * ring_len]).collect();
        let mut ring_i = ring_e.clone();
        let max_n = sizes.iter().skip(1).copied().max().unwrap_or(0);
        let mut noise = vec![0.0; max_n];
        let mut scratch = Scratch::new(max_n);
        let simd = Simd::detect();
        let noise_scale = self.noise_mv * plan.dt_ms.sqrt();
        let mut fired: Vec<u32> = Vec::with_capacity(max_n.max(sizes[0]));
        let emit = |p: usize,
                    fired: &[u32],
                    s: usize,
                    out: &mut TileOutput,
                    ring_e: &mut [Vec<f64>],
                    ring_i: &mut [Vec<f64>]| {
            out.spikes(plan, lane, s, p, fired);
            for (k, proj) in copy.projs.iter().enumerate() {
                if proj.pre != p || s + proj.delay >= steps {
                    continue;
                }
                let n = sizes[proj.post];
                let at = (s + proj.delay) % ring_len * n;
                let mut events = 0;
                for &j in fired {
                    let j = j as usize;
                    let dst = &mut ring_e[proj.post][at..at + n];
                    if let Some(row) = proj.exc.row(j).as_slice() {
                        dst.iter_mut().zip(row).for_each(|(d, w)| *d += w);
                    }
                    if let Some(inh) = &proj.inh {
                        let dst = &mut ring_i[proj.post][at..at + n];
                        if let Some(row) = inh.row(j).as_slice() {
                            dst.iter_mut().zip(row).for_each(|(d, w)| *d += w);
                        }
                    }
                    events += proj.row_nnz[j];
                }
                out.events(k, events);
            }
        };
        let input_loss = self.input_loss;
        let take_inputs = |s: usize, rng: &mut NoiseRng, fired: &mut Vec<u32>, lost: &mut u64| {
            fired.clear();
            let list = inputs(s);
            if input_loss > 0.0 {
                for &j in list {
                    if rng.uniform() >= input_loss {
                        fired.push(j);
                    } else {
                        *lost += 1;
                    }
                }
            } else {
                fired.extend_from_slice(list);
            }
        };
        let mut lost = 0u64;
        take_inputs(0, &mut rng, &mut fired, &mut lost);
        emit(0, &fired, 0, out, &mut ring_e, &mut ring_i);
        for k in 0..steps {
            let slot = k % ring_len;
            for p in 1..n_pop {
                let n = sizes[p];
                if noise_scale > 0.0 {
                    rng.fill_normal(&mut noise[..n]);
                    noise[..n].iter_mut().for_each(|x| *x *= noise_scale);
                }
                fired.clear();
                advance_pop(
                    simd,
                    &copy.tables[p],
                    &mut state[p],
                    &mut ring_e[p][slot * n..(slot + 1) * n],
                    &mut ring_i[p][slot * n..(slot + 1) * n],
                    &noise[..n],
                    &mut scratch,
                    &mut fired,
                );
                if !fired.is_empty() {
                    emit(p, &fired, k + 1, out, &mut ring_e, &mut ring_i);
                }
            }
            take_inputs(k + 1, &mut rng, &mut fired, &mut lost);
            if !fired.is_empty() {
                emit(0, &fired, k + 1, out, &mut ring_e, &mut ring_i);
            }
        }
        lost
    }
}
