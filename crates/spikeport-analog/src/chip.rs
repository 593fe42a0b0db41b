//! A network on a virtual analog chip ([`AnalogDeployment`]) and the [`Backend`] of both
//! platforms: placement of network copies, the fixed-pattern draws of each copy, 4-bit
//! weights, and runs on the contract's executor.

use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use spikeport_snn::exec::{Executor, RunPlan};
use spikeport_snn::timing::delay_steps;
use spikeport_snn::{
    Backend, BackendError, Counter, Deployed, HardwareUnits, MappingReport, NeuronModel, Placement,
    PlatformInfo, Recording, RunOutput, SnnNetwork, SpikeInput, UnitKind,
};

use crate::config::{Mismatch, Topology};
use crate::engine::{NeuronParams, PopTable};
use crate::mapping::{check_fit_for, quantise, Quantised, Requirements};
use crate::run::{ChipRun, CopyRun, ProjRun};
use crate::Analog;

/// Longest delay the emulation holds, steps of the integration (10 s of biology at 0.1 ms):
/// the converted networks use 1 ms; the chips' delays are not configurable at all.
const MAX_DELAY_STEPS: usize = 100_000;

/// Most bytes a run may allocate for its outputs and one tile's working memory, 2 GiB.
const MEMORY_LIMIT_BYTES: usize = 2 << 30;

/// The fixed pattern of one network copy: its neurons and synapses on the chip.
#[derive(Clone, Debug, PartialEq)]
struct ChipCopy {
    neurons: Vec<Vec<NeuronParams>>,
    /// Per projection: synapse gain × (0 if lost) for every synapse.
    gains: Vec<Array2<f64>>,
    synapses_lost: usize,
}

/// A network on one virtual chip: the drawn neurons and synapse gains of every network copy,
/// the quantised weights (the same in every copy), and a run counter for the trial-to-trial
/// noise.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalogDeployment {
    net: SnnNetwork,
    placement: Placement,
    platform: String,
    copies: Vec<ChipCopy>,
    quantised: Vec<Quantised>,
    requirements: Requirements,
    runs: u64,
    run_overhead_s: f64,
    config_overhead_s: f64,
    /// Configuration time not yet reported in a run's activity, s.
    pending_config_s: f64,
    topology: Topology,
}

impl AnalogDeployment {
    /// The chip seed.
    pub fn seed(&self) -> u64 {
        self.placement.seed
    }

    /// The drawn parameters of neuron `j` of population `p` of the first network copy
    /// (`None` for inputs or out of range).
    pub fn neuron(&self, p: usize, j: usize) -> Option<&NeuronParams> {
        self.copy_neuron(0, p, j)
    }

    /// The drawn parameters of neuron `j` of population `p` of network copy `copy`.
    pub fn copy_neuron(&self, copy: usize, p: usize, j: usize) -> Option<&NeuronParams> {
        self.copies.get(copy).and_then(|c| c.neurons.get(p)).and_then(|v| v.get(j))
    }

    /// The 4-bit weights of projection `k`.
    pub fn quantised(&self, k: usize) -> Option<&Quantised> {
        self.quantised.get(k)
    }

    /// Synapse gains of projection `k` of the first network copy (0 for a lost synapse).
    pub fn gains(&self, k: usize) -> Option<&Array2<f64>> {
        self.copies.first().and_then(|c| c.gains.get(k))
    }

    /// What the network's copies need on the platform.
    pub fn requirements(&self) -> &Requirements {
        &self.requirements
    }

    /// Modelled host time of every run besides the emulation (input upload, read-out),
    /// s; reported apart from the emulated time in each run's
    /// [`Counter::RunOverheadUs`].
    pub fn overhead_s(&self) -> f64 {
        self.run_overhead_s
    }

    /// Modelled host time of configuring the chip, s, charged once by `deploy` and by
    /// every `update_weights`; reported in the next run's [`Counter::ConfigOverheadUs`].
    pub fn config_overhead_s(&self) -> f64 {
        self.config_overhead_s
    }

    /// Runs made so far on this deployment.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    fn synapses_lost(&self) -> usize {
        self.copies.iter().map(|c| c.synapses_lost).sum()
    }
}

/// The contract's mapping report of a chip's requirements.
fn mapping_report(
    r: &Requirements,
    topology: Topology,
    copies: usize,
    synapses_lost: usize,
) -> MappingReport {
    let units = match topology {
        Topology::Blocks { .. } => vec![
            HardwareUnits { kind: UnitKind::Chip, count: 1 },
            HardwareUnits {
                kind: UnitKind::Block,
                count: r.block_neurons.iter().filter(|&&n| n > 0).count(),
            },
            HardwareUnits { kind: UnitKind::Neuron, count: r.neurons },
            HardwareUnits { kind: UnitKind::SynapseDriver, count: r.block_drivers.iter().sum() },
        ],
        Topology::Wafer { .. } => vec![
            HardwareUnits { kind: UnitKind::Wafer, count: 1 },
            HardwareUnits { kind: UnitKind::Hicann, count: r.chips },
            HardwareUnits { kind: UnitKind::NeuronCircuit, count: r.circuits },
        ],
    };
    MappingReport { neurons: r.neurons, synapses: r.synapses - synapses_lost, synapses_lost, units, copies }
}

impl Deployed for AnalogDeployment {
    fn network(&self) -> &SnnNetwork {
        &self.net
    }

    fn placement(&self) -> Placement {
        self.placement
    }

    fn mapping(&self) -> MappingReport {
        mapping_report(&self.requirements, self.topology, self.placement.copies, self.synapses_lost())
    }

    /// The run counter that, with the chip seed, seeds each run's trial-to-trial noise.
    fn runs(&self) -> u64 {
        self.runs
    }

    fn set_runs(&mut self, runs: u64) {
        self.runs = runs;
    }
}

/// A stream seed from the chip seed and two labels (SplitMix64 mixing).
pub(crate) fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream seed of network copy `copy` for a draw labelled `(a, b)`: the first copy's is
/// the chip's own, every other copy sits on other circuits and draws its own.
fn copy_stream(seed: u64, copy: usize, a: u64, b: u64) -> u64 {
    match copy {
        0 => mix(seed, a, b),
        c => mix(mix(seed, a, b), 0xC0, c as u64),
    }
}

/// Non-zero weights whose synapse was lost.
fn lost_synapses(w: ArrayView2<'_, f64>, gains: &Array2<f64>) -> usize {
    w.iter().zip(gains.iter()).filter(|(&w, &g)| w != 0.0 && g == 0.0).count()
}

impl Analog {
    /// The fixed pattern of network copy `copy` on the chip of `seed`.
    fn draw_copy(&self, net: &SnnNetwork, seed: u64, copy: usize) -> ChipCopy {
        let m: &Mismatch = &self.variability.mismatch;
        let mut rng = ChaCha8Rng::seed_from_u64(copy_stream(seed, copy, 1, 0));
        let mut neurons = Vec::with_capacity(net.populations().len());
        for pop in net.populations() {
            match &pop.model {
                NeuronModel::IfCondExp(q) => {
                    let nominal = NeuronParams::nominal(q);
                    neurons.push((0..pop.size).map(|_| nominal.draw(m, &mut rng)).collect());
                }
                _ => neurons.push(Vec::new()),
            }
        }
        let mut gains = Vec::new();
        let mut synapses_lost = 0;
        for proj in net.projections() {
            let g = Array2::from_shape_fn(proj.weights.dim(), |_| {
                let gain = (1.0 + m.weight_gain * rng.sample::<f64, _>(StandardNormal)).max(0.0);
                let lost = self.profile.synapse_loss > 0.0 && rng.random::<f64>() < self.profile.synapse_loss;
                if lost {
                    0.0
                } else {
                    gain
                }
            });
            synapses_lost += lost_synapses(proj.weights.view(), &g);
            gains.push(g);
        }
        ChipCopy { neurons, gains, synapses_lost }
    }

    /// Copy `copy`'s synapses in run `run`: quantised weights × gains × this run's drive
    /// jitter, split by sign.
    fn copy_run(&self, dep: &AnalogDeployment, copy: usize, run: u64) -> CopyRun {
        let h = self.profile.step_ms;
        let jitter = self.variability.noise.weight_jitter;
        let mut jrng = ChaCha8Rng::seed_from_u64(copy_stream(dep.placement.seed, copy, 2, run));
        let chip = &dep.copies[copy];
        let projs = dep
            .net
            .projections()
            .iter()
            .enumerate()
            .map(|(k, proj)| {
                let q = dep.quantised[k].to_weights();
                let w = Array2::from_shape_fn(q.dim(), |(i, j)| {
                    let x = if jitter > 0.0 {
                        (1.0 + jitter * jrng.sample::<f64, _>(StandardNormal)).max(0.0)
                    } else {
                        1.0
                    };
                    q[(i, j)] * chip.gains[k][(i, j)] * x
                });
                let row_nnz =
                    w.rows().into_iter().map(|r| r.iter().filter(|&&x| x != 0.0).count() as u64).collect();
                let exc = w.mapv(|x| x.max(0.0));
                let inh = w.iter().any(|&x| x < 0.0).then(|| w.mapv(|x| (-x).max(0.0)));
                ProjRun {
                    pre: proj.pre,
                    post: proj.post,
                    delay: delay_steps(proj.delay_ms, h),
                    exc,
                    inh,
                    row_nnz,
                }
            })
            .collect();
        let tables = chip.neurons.iter().map(|pop| PopTable::new(pop, h)).collect();
        CopyRun { tables, projs }
    }
}

impl Backend for Analog {
    type Deployment = AnalogDeployment;

    fn info(&self) -> &PlatformInfo {
        &self.info
    }

    /// The chip profile, noise and platform facts (`Debug`).
    fn settings_text(&self) -> String {
        format!("{self:?}")
    }

    /// Map `placement.copies` copies of `net` onto a virtual chip: size checks
    /// ([`check_fit_for`]), each copy's fixed-pattern mismatch drawn from the seed (per
    /// neuron and per synapse, including synapses whose weight is 0 now, so that later
    /// weight updates land on the same chip), synapse losses, and 4-bit quantisation.
    fn map(&self, net: &SnnNetwork, placement: Placement) -> Result<AnalogDeployment, BackendError> {
        let requirements = check_fit_for(net, &self.profile, placement.copies)?;
        for (k, p) in net.projections().iter().enumerate() {
            let steps = delay_steps(p.delay_ms, self.profile.step_ms);
            if steps > MAX_DELAY_STEPS {
                return Err(BackendError::unsupported(
                    &self.profile.name,
                    format!(
                        "a delay of {} ms (projection {k}): the emulation holds delays up to {} ms",
                        p.delay_ms,
                        MAX_DELAY_STEPS as f64 * self.profile.step_ms
                    ),
                ));
            }
        }
        let copies = (0..placement.copies).map(|c| self.draw_copy(net, placement.seed, c)).collect();
        let quantised =
            net.projections().iter().map(|p| quantise(p.weights.view(), self.profile.weights)).collect();
        Ok(AnalogDeployment {
            net: net.clone(),
            placement,
            platform: self.profile.name.clone(),
            copies,
            quantised,
            requirements,
            runs: 0,
            run_overhead_s: self.profile.run_overhead_s,
            config_overhead_s: self.profile.config_overhead_s,
            pending_config_s: self.profile.config_overhead_s,
            topology: self.profile.topology,
        })
    }

    /// What `copies` copies need on the chip (neurons and synapse drivers per Spikey
    /// block, HICANNs of the BrainScaleS wafer, fan-in, one sign per population), or the
    /// binding resource.
    fn fit(&self, net: &SnnNetwork, copies: usize) -> Result<MappingReport, BackendError> {
        if copies == 0 {
            return Err(BackendError::invalid_input("a deployment needs at least one network copy"));
        }
        let r = check_fit_for(net, &self.profile, copies)?;
        self.info.check_network(net)?;
        Ok(mapping_report(&r, self.profile.topology, copies, 0))
    }

    /// Re-quantise projection `projection` to 4 bits on the same chip: the drawn neurons,
    /// synapse gains, lost synapses and placement stay; the new weights must still fit
    /// (fan-in, synapse drivers, one sign per population). A refused update leaves the
    /// deployment unchanged.
    fn update_weights(
        &self,
        dep: &mut AnalogDeployment,
        projection: usize,
        weights: ArrayView2<'_, f64>,
    ) -> Result<(), BackendError> {
        if dep.platform != self.profile.name {
            return Err(BackendError::invalid_input(format!(
                "a {} deployment cannot be updated by the {} backend",
                dep.platform, self.profile.name
            )));
        }
        let mut net = dep.net.clone();
        net.set_weights(projection, weights)?;
        let requirements = check_fit_for(&net, &self.profile, dep.placement.copies)?;
        let old = dep.net.projections()[projection].weights.view();
        for chip in &mut dep.copies {
            let g = &chip.gains[projection];
            chip.synapses_lost = chip.synapses_lost + lost_synapses(weights, g) - lost_synapses(old, g);
        }
        dep.quantised[projection] = quantise(weights, self.profile.weights);
        dep.net = net;
        dep.requirements = requirements;
        dep.pending_config_s += dep.config_overhead_s;
        Ok(())
    }

    fn run(
        &self,
        dep: &mut AnalogDeployment,
        input: &SpikeInput,
        rec: &Recording,
    ) -> Result<RunOutput, BackendError> {
        let t0 = Instant::now();
        let plan =
            RunPlan::new(&self.info, &dep.net, input, rec, dep.placement.copies, self.profile.step_ms)?;
        let run = dep.runs;
        let mut copies: Vec<Option<CopyRun>> = (0..dep.placement.copies).map(|_| None).collect();
        for lane in &plan.lanes {
            if copies[lane.copy].is_none() {
                copies[lane.copy] = Some(self.copy_run(dep, lane.copy, run));
            }
        }
        let seed = dep.placement.seed;
        let image_seed = move |i: usize| mix(seed, 3 + run, i as u64);
        let sim = ChipRun {
            sizes: &plan.sizes,
            copies: &copies,
            noise_mv: self.variability.noise.membrane_mv,
            input_loss: self.profile.input_spike_loss,
            image_seed: &image_seed,
        };
        let exec = Executor { max_lanes: 1, memory_limit_bytes: MEMORY_LIMIT_BYTES };
        let (mut output, ()) = exec.run(&sim, &self.info, &plan, input)?;
        dep.runs += 1;
        let activity = &mut output.activity;
        activity.wall_time_s = t0.elapsed().as_secs_f64();
        activity.counters.entry(Counter::InputSpikesLost).or_insert(0);
        activity.counters.insert(Counter::RunOverheadUs, (dep.run_overhead_s * 1e6).round() as u64);
        activity.counters.insert(Counter::ConfigOverheadUs, (dep.pending_config_s * 1e6).round() as u64);
        dep.pending_config_s = 0.0;
        Ok(output)
    }
}
