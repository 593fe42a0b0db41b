//! The [`Spinnaker`] backend: deployment (placement of network copies, weight conversion),
//! the resources copies need, and runs on the contract's executor.

use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use spikeport_snn::exec::{Executor, RunPlan};
use spikeport_snn::{
    Backend, BackendError, Counter, Deployed, HardwareUnits, MappingReport, ModelKind, Placement,
    PlatformInfo, Recording, RunOutput, SnnNetwork, SpikeInput, UnitKind, WeightResolution,
};

use crate::machine::SpinnakerConfig;
use crate::mapping::{place_populations, quantise_all, resources, MappingDetails, PopPlan, ProjPlan};
use crate::run::{MachineRun, RunStats};
use crate::weights::weight_scale;
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
/// // 768 cores of a SpiNN-5 board hold 384 copies of 2 cores each
/// let fit = backend.max_copies(&net, 10_000)?;
/// assert_eq!(fit.copies, 384);
/// assert!(fit.binding.is_some_and(|e| e.to_string().contains("application cores")));
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

/// A network placed on the modelled machine.
#[derive(Clone, Debug)]
pub struct SpinnakerDeployment {
    net: SnnNetwork,
    placement: Placement,
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

    fn placement(&self) -> Placement {
        self.placement
    }

    fn mapping(&self) -> MappingReport {
        mapping_report(&self.net, &self.details)
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

/// The contract's mapping report of a placement: every neuron and synapse of every copy,
/// and the cores, chips and boards used.
fn mapping_report(net: &SnnNetwork, d: &MappingDetails) -> MappingReport {
    let mut r = MappingReport::of(net, d.copies);
    r.units = vec![
        HardwareUnits { kind: UnitKind::Core, count: d.cores },
        HardwareUnits { kind: UnitKind::Chip, count: d.chips },
        HardwareUnits { kind: UnitKind::Board, count: d.boards },
    ];
    r
}

/// Most bytes a run may allocate for its outputs and one tile's working memory, 2 GiB.
const MEMORY_LIMIT_BYTES: usize = 2 << 30;

impl Backend for Spinnaker {
    type Deployment = SpinnakerDeployment;

    fn info(&self) -> &PlatformInfo {
        &self.info
    }

    /// Machine, neurons per core, time-scale factor and platform facts (`Debug`).
    fn settings_text(&self) -> String {
        format!("{self:?}")
    }

    /// Place `placement.copies` copies, each population of each copy on cores of its own
    /// (at most one population per core), and convert the weights once (every copy holds
    /// the same 16-bit rows).
    fn map(&self, net: &SnnNetwork, placement: Placement) -> Result<SpinnakerDeployment, BackendError> {
        let cfg = &self.config;
        let mut pops = place_populations(net, cfg)?;
        let placed = resources(net, &pops, cfg, placement.copies)?;
        let (projs, mut details) = quantise_all(net, &mut pops, cfg);
        details.ring_slots = projs.iter().map(|p| p.delay).max().unwrap_or(1) + 1;
        let details = MappingDetails {
            ring_buffer_shifts: details.ring_buffer_shifts,
            weights_rounded_to_zero: details.weights_rounded_to_zero,
            weights_clipped: details.weights_clipped,
            ring_slots: details.ring_slots,
            ..placed
        };
        Ok(SpinnakerDeployment {
            net: net.clone(),
            placement,
            pops,
            projs,
            details,
            config: cfg.clone(),
            last: None,
        })
    }

    /// Cores, chips and boards of `copies` copies, or the binding resource: application
    /// cores of the configured boards, or a core's synaptic-matrix SDRAM.
    fn fit(&self, net: &SnnNetwork, copies: usize) -> Result<MappingReport, BackendError> {
        if copies == 0 {
            return Err(BackendError::invalid_input("a deployment needs at least one network copy"));
        }
        self.info.check_network(net)?;
        let pops = place_populations(net, &self.config)?;
        Ok(mapping_report(net, &resources(net, &pops, &self.config, copies)?))
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
        if rec.membrane.iter().any(|s| s.population == 0) {
            return Err(BackendError::invalid_recording(
                "population 0 is the spike source and has no membrane",
            ));
        }
        let plan = RunPlan::new(&self.info, &dep.net, input, rec, dep.placement.copies, DT_MS)?;
        let sim = MachineRun {
            pops: &dep.pops,
            projs: &dep.projs,
            config: &self.config,
            ring_slots: dep.details.ring_slots,
        };
        // every lane is one copy's cores, simulated on its own
        let exec = Executor { max_lanes: 1, memory_limit_bytes: MEMORY_LIMIT_BYTES };
        let (mut output, mut stats) = exec.run(&sim, &self.info, &plan, input)?;
        if stats.ring_saturations.is_empty() {
            stats.ring_saturations = vec![0; dep.pops.len()];
            stats.overrun_ticks = vec![0; dep.pops.len()];
        }
        let activity = &mut output.activity;
        stats.run_time_s = activity.run_bio_ms * 1e-3 * self.config.time_scale_factor;
        stats.load_time_s = self.config.load_time_s;
        activity.hardware_time_s = stats.run_time_s;
        activity.wall_time_s = t0.elapsed().as_secs_f64();
        for (c, n) in stats.counters(&self.config) {
            activity.counters.insert(c, n);
        }
        activity.counters.insert(Counter::LoadTimeUs, (stats.load_time_s * 1e6).round() as u64);
        dep.last = Some(stats);
        Ok(output)
    }
}
