//! The [`Spinnaker`] backend: deployment (mapping, weight conversion) and runs.

use std::time::Instant;

use ndarray::{Array2, Array3, ArrayView2};
use rayon::prelude::*;
use spikeport_lif::InputSchedule;
use spikeport_snn::timing::{delay_steps, duration_steps};
use spikeport_snn::{
    Activity, Backend, BackendError, CountCheckpoints, Deployed, HardwareUnits, ImageBoundary, MappingReport,
    ModelKind, NeuronModel, PlatformInfo, RecordedMembrane, RecordedSpikes, Recording, RunOutput, SnnNetwork,
    SpikeInput, WeightResolution,
};

use crate::fixed::{ring_add, ring_to_input};
use crate::kernel::{LifFixed, NeuronState};
use crate::machine::{
    row_bytes, SpinnakerConfig, APP_CORES_PER_CHIP, MAX_COND_EXP_PER_CORE, MAX_CURR_EXP_PER_CORE,
    MAX_EXTENDED_DELAY_STEPS, MAX_NATIVE_DELAY_STEPS, MAX_SPIKE_SOURCES_PER_CORE,
};
use crate::weights::{quantise, ring_buffer_shift, weight_scale};
use crate::SpinnakerError;

/// The SpiNNaker time step, ms (sPyNNaker's default `machine_time_step` of 1000 µs).
pub const DT_MS: f64 = 1.0;

/// Software model of SpiNNaker-1 running sPyNNaker; see the [crate docs](crate).
///
/// ```
/// use spikeport_snn::{Backend, Encoder, IfCondExpParams, Recording, SnnNetwork};
/// use spikeport_spinnaker::Spinnaker;
///
/// let lif = IfCondExpParams::paper_digital().into_model()?;
/// let net = SnnNetwork::feed_forward(2, vec![(lif, ndarray::array![[0.02, 0.0], [0.0, 0.015]])], 1.0)?;
/// let backend = Spinnaker::spinn5();
/// let mut dep = backend.deploy(&net, 0)?;
/// let input = Encoder::paper_digital().encode(ndarray::array![[1.0f32, 0.5]].view())?;
/// let out = backend.run(&mut dep, &input, &Recording::counts_only())?;
/// assert_eq!(out.counts[1].dim(), (1, 2));
/// assert_eq!(dep.details().cores, 2); // one spike-source core, one neuron core
/// assert_eq!(dep.last_run().map(|s| s.ring_saturations()), Some(0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Spinnaker {
    info: PlatformInfo,
    config: SpinnakerConfig,
}

impl Spinnaker {
    /// A backend for `config`.
    ///
    /// **Errors** with [`SpinnakerError::InvalidConfig`].
    pub fn new(config: SpinnakerConfig) -> Result<Self, SpinnakerError> {
        config.validate()?;
        Ok(Self::from_valid(config))
    }

    /// One SpiNN-5 board with the defaults of [`SpinnakerConfig::spinn5`].
    pub fn spinn5() -> Self {
        Self::from_valid(SpinnakerConfig::spinn5())
    }

    /// One SpiNN-3 board with the defaults of [`SpinnakerConfig::spinn3`].
    pub fn spinn3() -> Self {
        Self::from_valid(SpinnakerConfig::spinn3())
    }

    fn from_valid(config: SpinnakerConfig) -> Self {
        let mut info = PlatformInfo::new("SpiNNaker", DT_MS);
        info.speedup = Some(1.0 / config.time_scale_factor);
        info.weight_resolution = WeightResolution::FixedPoint { bits: 16, frac_bits: 15 };
        info.models = vec![ModelKind::IfCondExp, ModelKind::IfCurrExp];
        Self { info, config }
    }

    /// The configuration.
    pub fn config(&self) -> &SpinnakerConfig {
        &self.config
    }
}

/// One synapse as stored on the chip: target neuron, 16-bit weight, receptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Syn {
    post: u32,
    w: u16,
    receptor: u8,
}

/// A population as placed.
#[derive(Clone, Debug)]
struct PopPlan {
    kernel: Option<LifFixed>,
    n: usize,
    per_core: usize,
    /// Ring-buffer left shift per core and receptor.
    shifts: Vec<[u32; 2]>,
}

impl PopPlan {
    fn cores(&self) -> usize {
        self.n.div_ceil(self.per_core)
    }
}

/// A projection as stored: rows per pre-synaptic neuron, and per row the number of
/// synapses on each target core.
#[derive(Clone, Debug, Default)]
struct ProjPlan {
    pre: usize,
    post: usize,
    delay: usize,
    row_off: Vec<u32>,
    syns: Vec<Syn>,
    seg_off: Vec<u32>,
    /// (target core, synapses in the row on that core).
    segs: Vec<(u32, u32)>,
}

/// How a network was placed and its weights converted.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct MappingDetails {
    /// Cores per population (population 0 = spike sources).
    pub cores_per_population: Vec<usize>,
    /// Neuron limit per core used for each population.
    pub neurons_per_core: Vec<usize>,
    /// Extra cores for delay extensions (projections with delays > 16 steps).
    pub delay_extension_cores: usize,
    /// Application cores in all.
    pub cores: usize,
    /// Chips in all (16 application cores each).
    pub chips: usize,
    /// Boards in all.
    pub boards: usize,
    /// Ring-buffer left shifts: `[population][core]` = [excitatory, inhibitory].
    pub ring_buffer_shifts: Vec<Vec<[u32; 2]>>,
    /// Largest synaptic-matrix size of one core, bytes.
    pub max_synaptic_matrix_bytes: usize,
    /// Non-zero weights that became 0 after quantisation.
    pub weights_rounded_to_zero: u64,
    /// Weights clipped at 65535 after scaling (only if the shift rule was overridden by
    /// a weight larger than the per-tick bound, which cannot happen with sPyNNaker's rule).
    pub weights_clipped: u64,
    /// Ring-buffer slots per neuron and receptor (longest delay + 1).
    pub ring_slots: usize,
}

/// What a run did beyond [`Activity`]: saturations, overruns, packets, times.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct RunStats {
    /// Ring-buffer additions that saturated at 65535, per population.
    pub ring_saturations: Vec<u64>,
    /// Ring-buffer entries whose left shift saturated s16.15 when transferred.
    pub input_saturations: u64,
    /// Core-ticks whose assumed cycle count exceeded the tick budget, per population
    /// (index 0, the spike sources, is always 0: their cost is not modelled).
    pub overrun_ticks: Vec<u64>,
    /// Core-ticks simulated (neuron cores × ticks).
    pub core_ticks: u64,
    /// Largest assumed cycle count of one core in one tick.
    pub max_tick_cycles: u64,
    /// Multicast packets sent: one per spike of a neuron with outgoing projections
    /// (input spikes included).
    pub packets_sent: u64,
    /// Packets delivered to cores: one per (spike, target core with synapses from it).
    pub packet_deliveries: u64,
    /// Modelled run time on the machine: biological time × time-scale factor, s.
    pub run_time_s: f64,
    /// Fixed set-up / load time of the run, s (reported apart from `run_time_s`).
    pub load_time_s: f64,
}

impl RunStats {
    /// All ring-buffer saturations.
    pub fn ring_saturations(&self) -> u64 {
        self.ring_saturations.iter().sum::<u64>() + self.input_saturations
    }

    /// All overrun core-ticks.
    pub fn overrun_ticks(&self) -> u64 {
        self.overrun_ticks.iter().sum()
    }

    fn add(&mut self, o: &RunStats) {
        for (a, b) in self.ring_saturations.iter_mut().zip(&o.ring_saturations) {
            *a += b;
        }
        for (a, b) in self.overrun_ticks.iter_mut().zip(&o.overrun_ticks) {
            *a += b;
        }
        self.input_saturations += o.input_saturations;
        self.core_ticks += o.core_ticks;
        self.max_tick_cycles = self.max_tick_cycles.max(o.max_tick_cycles);
        self.packets_sent += o.packets_sent;
        self.packet_deliveries += o.packet_deliveries;
    }
}

/// A network placed on the modelled machine.
#[derive(Clone, Debug)]
pub struct SpinnakerDeployment {
    net: SnnNetwork,
    pops: Vec<PopPlan>,
    projs: Vec<ProjPlan>,
    details: MappingDetails,
    config: SpinnakerConfig,
    last: Option<RunStats>,
}

impl Deployed for SpinnakerDeployment {
    fn network(&self) -> &SnnNetwork {
        &self.net
    }

    fn mapping(&self) -> MappingReport {
        let mut r = MappingReport::of(&self.net);
        r.units = vec![
            HardwareUnits { kind: "core".into(), count: self.details.cores },
            HardwareUnits { kind: "chip".into(), count: self.details.chips },
            HardwareUnits { kind: "board".into(), count: self.details.boards },
        ];
        r
    }
}

impl SpinnakerDeployment {
    /// Placement and weight-conversion details.
    pub fn details(&self) -> &MappingDetails {
        &self.details
    }

    /// Statistics of the most recent run (`None` before the first).
    pub fn last_run(&self) -> Option<&RunStats> {
        self.last.as_ref()
    }

    /// The weights of projection `k` as the chip realises them (signed, units of the
    /// projection: 16-bit weight ÷ weight scale of its core and receptor).
    ///
    /// **Errors** with [`BackendError::InvalidNetwork`] if `k` does not exist.
    pub fn effective_weights(&self, k: usize) -> Result<Array2<f64>, BackendError> {
        let proj = self.projs.get(k).ok_or(BackendError::InvalidNetwork(
            spikeport_snn::SnnError::ProjectionOutOfRange { projection: k, projections: self.projs.len() },
        ))?;
        let post = &self.pops[proj.post];
        let global = post.kernel.map_or(1.0, |k| k.global_weight_scale());
        let mut w = Array2::zeros((self.pops[proj.pre].n, post.n));
        for j in 0..self.pops[proj.pre].n {
            for s in &proj.syns[proj.row_off[j] as usize..proj.row_off[j + 1] as usize] {
                let i = s.post as usize;
                let r = s.receptor as usize;
                let scale = weight_scale(post.shifts[i / post.per_core][r], global);
                let sign = if r == 0 { 1.0 } else { -1.0 };
                w[[j, i]] = sign * s.w as f64 / scale;
            }
        }
        Ok(w)
    }
}

/// Shifts per core of `post` from all projections into it (see [`crate::weights`]).
fn compute_shifts(net: &SnnNetwork, post: usize, plan: &PopPlan, cfg: &SpinnakerConfig) -> Vec<[u32; 2]> {
    let global = plan.kernel.map_or(1.0, |k| k.global_weight_scale());
    let spikes_per_tick = (cfg.spikes_per_second * DT_MS * 1e-3).max(1.0);
    (0..plan.cores())
        .map(|c| {
            let cols = c * plan.per_core..((c + 1) * plan.per_core).min(plan.n);
            let mut bound = [0.0f64; 2];
            for k in net.incoming(post) {
                let w = &net.projections()[k].weights;
                for (r, b) in bound.iter_mut().enumerate() {
                    let mut max_w = 0.0f64;
                    let mut max_fan_in = 0usize;
                    for i in cols.clone() {
                        let col = w.column(i);
                        let mut fan_in = 0;
                        for &x in col.iter() {
                            if (r == 0 && x > 0.0) || (r == 1 && x < 0.0) {
                                fan_in += 1;
                                max_w = max_w.max(x.abs());
                            }
                        }
                        max_fan_in = max_fan_in.max(fan_in);
                    }
                    *b += spikes_per_tick * max_w * global * max_fan_in as f64;
                }
            }
            [ring_buffer_shift(bound[0]), ring_buffer_shift(bound[1])]
        })
        .collect()
}

/// Convert projection `k`'s weights with the shifts of its post population.
fn build_projection(net: &SnnNetwork, k: usize, pops: &[PopPlan], details: &mut MappingDetails) -> ProjPlan {
    let p = &net.projections()[k];
    let post = &pops[p.post];
    let global = post.kernel.map_or(1.0, |k| k.global_weight_scale());
    let (n_pre, n_post) = p.weights.dim();
    let mut plan = ProjPlan {
        pre: p.pre,
        post: p.post,
        delay: delay_steps(p.delay_ms, DT_MS),
        row_off: Vec::with_capacity(n_pre + 1),
        seg_off: Vec::with_capacity(n_pre + 1),
        ..ProjPlan::default()
    };
    plan.row_off.push(0);
    plan.seg_off.push(0);
    for j in 0..n_pre {
        let mut cur_core = u32::MAX;
        for i in 0..n_post {
            let x = p.weights[[j, i]];
            if x == 0.0 {
                continue;
            }
            let receptor = usize::from(x < 0.0);
            let core = i / post.per_core;
            let (w, clipped) = quantise(x, weight_scale(post.shifts[core][receptor], global));
            details.weights_clipped += u64::from(clipped);
            details.weights_rounded_to_zero += u64::from(w == 0);
            plan.syns.push(Syn { post: i as u32, w, receptor: receptor as u8 });
            if core as u32 != cur_core {
                cur_core = core as u32;
                plan.segs.push((cur_core, 0));
            }
            if let Some(last) = plan.segs.last_mut() {
                last.1 += 1;
            }
        }
        plan.row_off.push(plan.syns.len() as u32);
        plan.seg_off.push(plan.segs.len() as u32);
    }
    plan
}

fn quantise_all(
    net: &SnnNetwork,
    pops: &mut [PopPlan],
    cfg: &SpinnakerConfig,
) -> (Vec<ProjPlan>, MappingDetails) {
    let mut details = MappingDetails::default();
    for (p, plan) in pops.iter_mut().enumerate().skip(1) {
        plan.shifts = compute_shifts(net, p, plan, cfg);
    }
    let projs = (0..net.projections().len()).map(|k| build_projection(net, k, pops, &mut details)).collect();
    details.ring_buffer_shifts = pops.iter().map(|p| p.shifts.clone()).collect();
    (projs, details)
}

impl Backend for Spinnaker {
    type Deployment = SpinnakerDeployment;

    fn info(&self) -> &PlatformInfo {
        &self.info
    }

    fn deploy(&self, net: &SnnNetwork, _seed: u64) -> Result<SpinnakerDeployment, BackendError> {
        self.info.check_network(net)?;
        let cfg = &self.config;
        let mut pops = Vec::with_capacity(net.populations().len());
        for pop in net.populations() {
            let (kernel, max) = match &pop.model {
                NeuronModel::SpikeSource => (None, MAX_SPIKE_SOURCES_PER_CORE),
                m => {
                    let k = LifFixed::new(m, DT_MS)?;
                    let model_max =
                        if k.is_conductance() { MAX_COND_EXP_PER_CORE } else { MAX_CURR_EXP_PER_CORE };
                    (Some(k), cfg.max_neurons_per_core.map_or(model_max, |u| u.min(model_max)))
                }
            };
            pops.push(PopPlan { kernel, n: pop.size, per_core: max, shifts: Vec::new() });
        }
        // delays
        let mut ext_pre = vec![false; pops.len()];
        for (k, p) in net.projections().iter().enumerate() {
            let steps = delay_steps(p.delay_ms, DT_MS);
            if steps > MAX_EXTENDED_DELAY_STEPS {
                return Err(SpinnakerError::DelayTooLong {
                    projection: k,
                    steps,
                    max: MAX_EXTENDED_DELAY_STEPS,
                }
                .into());
            }
            if steps > MAX_NATIVE_DELAY_STEPS {
                ext_pre[p.pre] = true;
            }
        }
        let (projs, mut details) = quantise_all(net, &mut pops, cfg);
        details.cores_per_population = pops.iter().map(PopPlan::cores).collect();
        details.neurons_per_core = pops.iter().map(|p| p.per_core).collect();
        details.delay_extension_cores =
            pops.iter().zip(&ext_pre).filter(|(_, &e)| e).map(|(p, _)| p.cores()).sum();
        details.cores = details.cores_per_population.iter().sum::<usize>() + details.delay_extension_cores;
        details.chips = details.cores.div_ceil(APP_CORES_PER_CHIP);
        details.boards = details.chips.div_ceil(cfg.board.chips());
        details.ring_slots = projs.iter().map(|p| p.delay).max().unwrap_or(1) + 1;
        let available = cfg.cores_available();
        if details.cores > available {
            return Err(BackendError::DoesNotFit {
                what: format!(
                    "application cores ({} {} board(s) x {} chips x {} cores; {} more than available)",
                    cfg.n_boards,
                    cfg.board.name(),
                    cfg.board.chips(),
                    APP_CORES_PER_CHIP,
                    details.cores - available
                ),
                needed: details.cores,
                available,
            });
        }
        // synaptic-matrix memory per core
        for (p, plan) in pops.iter().enumerate().skip(1) {
            let mut bytes = vec![0usize; plan.cores()];
            for proj in projs.iter().filter(|q| q.post == p) {
                for &(c, n) in &proj.segs {
                    bytes[c as usize] += row_bytes(n as usize);
                }
            }
            for (c, &b) in bytes.iter().enumerate() {
                details.max_synaptic_matrix_bytes = details.max_synaptic_matrix_bytes.max(b);
                if b > cfg.sdram_per_core_bytes {
                    return Err(BackendError::DoesNotFit {
                        what: format!(
                            "synaptic-matrix bytes on core {c} of population {p} ('{}'; {} bytes over the per-core budget)",
                            net.populations()[p].label,
                            b - cfg.sdram_per_core_bytes
                        ),
                        needed: b,
                        available: cfg.sdram_per_core_bytes,
                    });
                }
            }
        }
        Ok(SpinnakerDeployment { net: net.clone(), pops, projs, details, config: cfg.clone(), last: None })
    }

    fn update_weights(
        &self,
        dep: &mut SpinnakerDeployment,
        projection: usize,
        weights: ArrayView2<'_, f64>,
    ) -> Result<(), BackendError> {
        dep.net.set_weights(projection, weights)?;
        let (projs, details) = quantise_all(&dep.net, &mut dep.pops, &dep.config);
        dep.projs = projs;
        dep.details.ring_buffer_shifts = details.ring_buffer_shifts;
        dep.details.weights_clipped = details.weights_clipped;
        dep.details.weights_rounded_to_zero = details.weights_rounded_to_zero;
        Ok(())
    }

    fn run(
        &self,
        dep: &mut SpinnakerDeployment,
        input: &SpikeInput,
        rec: &Recording,
    ) -> Result<RunOutput, BackendError> {
        let t0 = Instant::now();
        self.info.check_run(&dep.net, input, rec)?;
        if rec.membrane.iter().any(|s| s.population == 0) {
            return Err(BackendError::invalid_recording(
                "population 0 is the spike source and has no membrane",
            ));
        }
        let sched =
            InputSchedule::new(input, DT_MS).map_err(|e| BackendError::invalid_input(e.to_string()))?;
        let period = duration_steps(input.period_ms(), DT_MS);
        if period == 0 {
            return Err(BackendError::invalid_input("image period is shorter than one 1 ms tick"));
        }
        let n_images = input.n_images();
        if n_images == 0 {
            dep.last = Some(RunStats::default());
            return Ok(RunOutput {
                counts: dep.net.sizes().iter().map(|&n| Array2::zeros((0, n))).collect(),
                activity: Activity::zeros(dep.net.populations().len(), dep.projs.len()),
                ..RunOutput::default()
            });
        }
        let (lo, hi) = input.readout_window_steps(DT_MS);
        let plan = RecPlan::new(&dep.net, rec, input)?;
        let ctx = Ctx {
            dep,
            sched: &sched,
            period,
            lo,
            hi,
            budget: self.config.cycles_per_tick(DT_MS),
            rec: &plan,
            output: dep.net.output_index(),
        };
        let chunks: Vec<Chunk> = match input.boundary() {
            ImageBoundary::Continuous => vec![ctx.simulate(0, n_images)],
            _ => (0..n_images).into_par_iter().map(|i| ctx.simulate(i, 1)).collect(),
        };
        // assemble
        let sizes = dep.net.sizes();
        let mut counts: Vec<Array2<u32>> = sizes.iter().map(|&n| Array2::zeros((n_images, n))).collect();
        let mut activity = Activity::zeros(sizes.len(), dep.projs.len());
        let mut stats = RunStats {
            ring_saturations: vec![0; sizes.len()],
            overrun_ticks: vec![0; sizes.len()],
            ..RunStats::default()
        };
        let mut spikes: Vec<RecordedSpikes> = plan
            .spikes
            .iter()
            .map(|(p, ids)| RecordedSpikes {
                population: *p,
                neurons: ids.clone(),
                first_image: plan.first,
                times_ms: vec![vec![Vec::new(); ids.len()]; plan.n_rec],
            })
            .collect();
        let mut membrane: Vec<RecordedMembrane> = plan
            .membrane
            .iter()
            .map(|(p, ids)| RecordedMembrane {
                population: *p,
                neurons: ids.clone(),
                first_image: plan.first,
                dt_ms: DT_MS,
                v_mv: Array3::zeros((plan.n_rec, ids.len(), period)),
            })
            .collect();
        let n_out = sizes[ctx.output];
        let mut cps: Vec<Array2<u32>> =
            plan.cp_times.iter().map(|_| Array2::zeros((n_images, n_out))).collect();
        let mut image = 0usize;
        for ch in &chunks {
            for q in 0..ch.len {
                let gi = image + q;
                for (p, &n) in sizes.iter().enumerate() {
                    for j in 0..n {
                        counts[p][[gi, j]] = ch.counts[p][q * n + j];
                    }
                }
                for (c, cp) in cps.iter_mut().enumerate() {
                    for j in 0..n_out {
                        cp[[gi, j]] = ch.checkpoints[(q * plan.cp_times.len() + c) * n_out + j];
                    }
                }
                if let Some(r) = plan.rec_index(gi) {
                    for (s, rs) in spikes.iter_mut().enumerate() {
                        rs.times_ms[r] = ch.spikes[s][q].clone();
                    }
                    for (s, rm) in membrane.iter_mut().enumerate() {
                        let n = rm.neurons.len();
                        for k in 0..n {
                            for t in 0..period {
                                rm.v_mv[[r, k, t]] = ch.membrane[s][(q * n + k) * period + t];
                            }
                        }
                    }
                }
            }
            image += ch.len;
            for (a, b) in activity.spikes.iter_mut().zip(&ch.spikes_emitted) {
                *a += b;
            }
            for (a, b) in activity.synaptic_events.iter_mut().zip(&ch.events) {
                *a += b;
            }
            stats.add(&ch.stats);
        }
        let bio_ms = input.total_ms();
        activity.images = n_images;
        activity.neuron_updates = (dep.net.n_neurons() * period * n_images) as u64;
        activity.bio_time_ms = bio_ms;
        stats.run_time_s = bio_ms * 1e-3 * self.config.time_scale_factor;
        stats.load_time_s = self.config.load_time_s;
        activity.hardware_time_s = stats.run_time_s;
        activity.wall_time_s = t0.elapsed().as_secs_f64();
        for (name, n) in [
            ("ring_saturations", stats.ring_saturations()),
            ("tick_overruns", stats.overrun_ticks()),
            ("core_ticks", stats.core_ticks),
            ("packets_sent", stats.packets_sent),
            ("packet_deliveries", stats.packet_deliveries),
        ] {
            activity.counters.insert(name.to_string(), n);
        }
        let checkpoints = rec.checkpoint_every_ms.map(|_| CountCheckpoints {
            population: ctx.output,
            times_ms: plan.cp_times.clone(),
            counts: cps,
        });
        dep.last = Some(stats);
        Ok(RunOutput { counts, spikes, membrane, checkpoints, activity })
    }
}

/// What to record, resolved.
struct RecPlan {
    spikes: Vec<(usize, Vec<usize>)>,
    membrane: Vec<(usize, Vec<usize>)>,
    /// `[selection][population neuron]` → positions in the selection.
    spike_pos: Vec<Vec<Vec<u32>>>,
    first: usize,
    n_rec: usize,
    cp_times: Vec<f64>,
}

impl RecPlan {
    fn new(net: &SnnNetwork, rec: &Recording, input: &SpikeInput) -> Result<Self, BackendError> {
        let n_images = input.n_images();
        let (first, end) = match &rec.images {
            Some(r) => (r.start.min(n_images), r.end.min(n_images)),
            None => (0, n_images),
        };
        let n_rec = end.saturating_sub(first);
        let resolve =
            |sels: &[spikeport_snn::NeuronSelection]| -> Result<Vec<(usize, Vec<usize>)>, BackendError> {
                sels.iter().map(|s| Ok((s.population, s.resolve(net)?))).collect()
            };
        let spikes = resolve(&rec.spikes)?;
        let membrane = resolve(&rec.membrane)?;
        let sizes = net.sizes();
        let spike_pos = spikes
            .iter()
            .map(|(p, ids)| {
                let mut pos = vec![Vec::new(); sizes[*p]];
                for (k, &j) in ids.iter().enumerate() {
                    pos[j].push(k as u32);
                }
                pos
            })
            .collect();
        Ok(Self { spikes, membrane, spike_pos, first, n_rec, cp_times: rec.checkpoint_times_ms(input) })
    }

    fn rec_index(&self, image: usize) -> Option<usize> {
        (image >= self.first && image < self.first + self.n_rec).then(|| image - self.first)
    }
}

/// Results of simulating `len` consecutive images.
struct Chunk {
    len: usize,
    /// `[population][q · n + j]`.
    counts: Vec<Vec<u32>>,
    /// `[(q · C + c) · n_out + j]`.
    checkpoints: Vec<u32>,
    /// `[selection][q]` → times per selected neuron.
    spikes: Vec<Vec<Vec<Vec<f64>>>>,
    /// `[selection][(q · k + neuron) · period + step]`.
    membrane: Vec<Vec<f64>>,
    spikes_emitted: Vec<u64>,
    events: Vec<u64>,
    stats: RunStats,
}

struct Ctx<'a> {
    dep: &'a SpinnakerDeployment,
    sched: &'a InputSchedule,
    period: usize,
    lo: i64,
    hi: i64,
    budget: u64,
    rec: &'a RecPlan,
    output: usize,
}

/// Per-population mutable state of a simulation.
struct PopState {
    neurons: Vec<NeuronState>,
    ring: Vec<u16>,
    spiked: Vec<u32>,
    tick_rows: Vec<u64>,
    tick_events: Vec<u64>,
}

impl Ctx<'_> {
    /// Which image (position in the chunk) and relative stamp a spike with chunk stamp
    /// `s` is counted for, if any.
    fn attribute(&self, s: usize, len: usize) -> Option<(usize, i64)> {
        let p = self.period;
        let q = s / p;
        let r = (s % p) as i64;
        if q < len && r < self.hi && r >= self.lo {
            Some((q, r))
        } else if q + 1 < len && r - p as i64 >= self.lo && r - (p as i64) < self.hi {
            Some((q + 1, r - p as i64))
        } else {
            None
        }
    }

    /// Input spikes with chunk stamp `s` for a chunk starting at image `first`.
    fn input_at(&self, first: usize, len: usize, s: usize) -> (&[u32], &[u32]) {
        let p = self.period;
        let (q, r) = (s / p, s % p);
        let a = if q < len { self.sched.at(first + q, r) } else { &[][..] };
        let b = if r == 0 && q >= 1 && q <= len { self.sched.at(first + q - 1, p) } else { &[][..] };
        (a, b)
    }

    fn simulate(&self, first: usize, len: usize) -> Chunk {
        let dep = self.dep;
        let pops = &dep.pops;
        let n_pops = pops.len();
        let slots = dep.details.ring_slots;
        let n_cp = self.rec.cp_times.len();
        let n_out = pops[self.output].n;
        let mut ch = Chunk {
            len,
            counts: pops.iter().map(|p| vec![0; len * p.n]).collect(),
            checkpoints: vec![0; len * n_cp * n_out],
            spikes: self
                .rec
                .spikes
                .iter()
                .map(|(_, ids)| (0..len).map(|_| vec![Vec::new(); ids.len()]).collect())
                .collect(),
            membrane: self
                .rec
                .membrane
                .iter()
                .map(|(_, ids)| vec![0.0; len * ids.len() * self.period])
                .collect(),
            spikes_emitted: vec![0; n_pops],
            events: vec![0; dep.projs.len()],
            stats: RunStats {
                ring_saturations: vec![0; n_pops],
                overrun_ticks: vec![0; n_pops],
                ..RunStats::default()
            },
        };
        let mut st: Vec<PopState> = pops
            .iter()
            .map(|p| PopState {
                neurons: p.kernel.map_or_else(Vec::new, |k| vec![k.rest(); p.n]),
                ring: if p.kernel.is_some() { vec![0; slots * 2 * p.n] } else { Vec::new() },
                spiked: Vec::new(),
                tick_rows: vec![0; p.cores()],
                tick_events: vec![0; p.cores()],
            })
            .collect();
        let has_out: Vec<bool> = (0..n_pops).map(|p| dep.projs.iter().any(|q| q.pre == p)).collect();
        let total = len * self.period;
        self.emit(&mut st, &mut ch, first, len, 0, &has_out);
        for g in 0..total {
            let slot = g % slots;
            for (p, plan) in pops.iter().enumerate() {
                let Some(k) = plan.kernel else { continue };
                let s = &mut st[p];
                let n = plan.n;
                // (0) ring buffer → synaptic state
                for r in 0..2 {
                    let base = (slot * 2 + r) * n;
                    for j in 0..n {
                        let w = s.ring[base + j];
                        if w != 0 {
                            let (x, sat) = ring_to_input(w, plan.shifts[j / plan.per_core][r]);
                            ch.stats.input_saturations += u64::from(sat);
                            k.add_input(&mut s.neurons[j], r, x);
                            s.ring[base + j] = 0;
                        }
                    }
                }
                // (1)–(4) neuron updates
                s.spiked.clear();
                for (j, ns) in s.neurons.iter_mut().enumerate() {
                    if k.step(ns) {
                        s.spiked.push(j as u32);
                    }
                }
                // CPU budget of each core in this tick
                let c = &dep.config.cycles;
                for core in 0..plan.cores() {
                    let n_core = (plan.n - core * plan.per_core).min(plan.per_core) as u64;
                    let cycles = n_core * c.per_neuron
                        + s.tick_rows[core] * c.per_spike_row
                        + s.tick_events[core] * c.per_synaptic_event;
                    ch.stats.max_tick_cycles = ch.stats.max_tick_cycles.max(cycles);
                    ch.stats.overrun_ticks[p] += u64::from(cycles > self.budget);
                    s.tick_rows[core] = 0;
                    s.tick_events[core] = 0;
                }
                ch.stats.core_ticks += plan.cores() as u64;
                // membrane recording: after update g
                let (q, step) = (g / self.period, g % self.period);
                if self.rec.rec_index(first + q).is_some() {
                    for (sel, (rp, ids)) in self.rec.membrane.iter().enumerate() {
                        if *rp == p {
                            let m = ids.len();
                            for (kk, &j) in ids.iter().enumerate() {
                                ch.membrane[sel][(q * m + kk) * self.period + step] = s.neurons[j].v.to_f64();
                            }
                        }
                    }
                }
            }
            self.emit(&mut st, &mut ch, first, len, g + 1, &has_out);
        }
        ch
    }

    /// Count, record and propagate all spikes with chunk stamp `s` (neurons spiked in
    /// update `s − 1`, inputs stamped `s`).
    fn emit(
        &self,
        st: &mut [PopState],
        ch: &mut Chunk,
        first: usize,
        len: usize,
        s: usize,
        has_out: &[bool],
    ) {
        let dep = self.dep;
        let (ia, ib) = self.input_at(first, len, s);
        st[0].spiked.clear();
        st[0].spiked.extend_from_slice(ia);
        st[0].spiked.extend_from_slice(ib);
        let attr = self.attribute(s, len);
        let rec_q = (s / self.period).min(len - 1);
        let rec_t = (s - rec_q * self.period) as f64 * DT_MS;
        let recording = self.rec.rec_index(first + rec_q).is_some();
        for p in 0..st.len() {
            if st[p].spiked.is_empty() {
                continue;
            }
            let n = dep.pops[p].n;
            let n_spk = st[p].spiked.len() as u64;
            ch.spikes_emitted[p] += n_spk;
            if has_out[p] {
                ch.stats.packets_sent += n_spk;
            }
            if let Some((q, rel)) = attr {
                for &j in &st[p].spiked {
                    ch.counts[p][q * n + j as usize] += 1;
                }
                if p == self.output {
                    for (c, &t) in self.rec.cp_times.iter().enumerate() {
                        if rel as f64 * DT_MS <= t + 1e-9 {
                            for &j in &st[p].spiked {
                                ch.checkpoints[(q * self.rec.cp_times.len() + c) * n + j as usize] += 1;
                            }
                        }
                    }
                }
            }
            if recording {
                for (sel, (rp, _)) in self.rec.spikes.iter().enumerate() {
                    if *rp == p {
                        for &j in &st[p].spiked {
                            for &kk in &self.rec.spike_pos[sel][j as usize] {
                                ch.spikes[sel][rec_q][kk as usize].push(rec_t);
                            }
                        }
                    }
                }
            }
            // propagate into the post populations' ring buffers
            let spiked = std::mem::take(&mut st[p].spiked);
            for (k, proj) in dep.projs.iter().enumerate().filter(|(_, q)| q.pre == p) {
                let post = proj.post;
                let n_post = dep.pops[post].n;
                let slot = (s + proj.delay) % dep.details.ring_slots;
                let t = &mut st[post];
                for &j in &spiked {
                    let j = j as usize;
                    let row = &proj.syns[proj.row_off[j] as usize..proj.row_off[j + 1] as usize];
                    ch.events[k] += row.len() as u64;
                    for syn in row {
                        let idx = (slot * 2 + syn.receptor as usize) * n_post + syn.post as usize;
                        ch.stats.ring_saturations[post] += u64::from(ring_add(&mut t.ring[idx], syn.w));
                    }
                    for &(core, cnt) in &proj.segs[proj.seg_off[j] as usize..proj.seg_off[j + 1] as usize] {
                        t.tick_rows[core as usize] += 1;
                        t.tick_events[core as usize] += cnt as u64;
                        ch.stats.packet_deliveries += 1;
                    }
                }
            }
            st[p].spiked = spiked;
        }
    }
}
