//! [`Analog`]: the `Backend` of both platform profiles, and the paper's settings per
//! [`Platform`].

use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use spikeport_lif::InputSchedule;
use spikeport_snn::timing::{delay_steps, duration_steps, GRID_TOLERANCE};
use spikeport_snn::{
    Activity, Backend, BackendError, CountCheckpoints, Deployed, Encoder, HardwareUnits, IfCondExpParams,
    ImageBoundary, MappingReport, ModelKind, NeuronModel, PlatformInfo, RecordedSpikes, Recording, RunOutput,
    SnnNetwork, SpikeInput, WeightResolution,
};

use crate::config::{Mismatch, Noise, Profile, Topology, Variability};
use crate::engine::{simulate_image, ImageResult, NeuronParams, PopTable, ProjRun, RunPlan};
use crate::mapping::{check_fit, quantise, Quantised, Requirements};
use crate::AnalogError;

/// An analog platform model (Spikey or BrainScaleS-1) with its mismatch and noise
/// settings; see the [crate docs](crate).
#[derive(Clone, Debug, PartialEq)]
pub struct Analog {
    profile: Profile,
    variability: Variability,
    info: PlatformInfo,
}

impl Analog {
    /// A backend for `profile` with fixed-pattern `mismatch` and trial-to-trial `noise`.
    ///
    /// **Errors** with [`AnalogError`] for an invalid profile, spread or noise level.
    pub fn new(profile: Profile, mismatch: Mismatch, noise: Noise) -> Result<Self, AnalogError> {
        Self::with_parts(profile, Variability { mismatch, noise })
    }

    /// A backend for `profile` with the analog imperfections `variability`.
    ///
    /// **Errors** with [`AnalogError`] for an invalid profile, spread or noise level.
    ///
    /// ```
    /// use spikeport_analog::{Analog, Profile, Variability};
    /// let ideal_spikey = Analog::with_parts(Profile::spikey(), Variability::ideal())?;
    /// assert_eq!(ideal_spikey.variability(), &Variability::ideal());
    /// # Ok::<(), spikeport_analog::AnalogError>(())
    /// ```
    pub fn with_parts(profile: Profile, variability: Variability) -> Result<Self, AnalogError> {
        profile.check()?;
        variability.check()?;
        let mut info = PlatformInfo::new(&profile.name, profile.step_ms);
        info.speedup = Some(profile.speedup);
        info.max_neurons = Some(profile.topology.max_neurons());
        info.max_synapses = None;
        info.max_batch = Some(100_000);
        info.weight_resolution = WeightResolution::Levels { bits: 4 };
        info.models = vec![ModelKind::IfCondExp];
        info.boundaries = vec![ImageBoundary::Reset];
        info.feed_forward_only = false;
        info.membrane_traces = false;
        // a fresh deployment of the same seed replays its runs bit for bit
        info.deterministic = true;
        Ok(Self { profile, variability, info })
    }

    /// Spikey with calibrated mismatch and the default noise ([`Variability::calibrated`]).
    pub fn spikey() -> Self {
        match Platform::Spikey.backend(Variability::calibrated()) {
            Ok(b) => b,
            Err(_) => unreachable!("the Spikey preset is valid (tested)"),
        }
    }

    /// BrainScaleS-1 with calibrated mismatch and the default noise.
    pub fn brainscales() -> Self {
        match Platform::BrainScaleS.backend(Variability::calibrated()) {
            Ok(b) => b,
            Err(_) => unreachable!("the BrainScaleS preset is valid (tested)"),
        }
    }

    /// The same platform with other mismatch spreads.
    ///
    /// **Errors** with [`AnalogError::InvalidSpread`].
    pub fn with_mismatch(mut self, mismatch: Mismatch) -> Result<Self, AnalogError> {
        mismatch.check()?;
        self.variability.mismatch = mismatch;
        Ok(self)
    }

    /// The same platform with other noise levels.
    ///
    /// **Errors** with [`AnalogError::InvalidSpread`].
    pub fn with_noise(mut self, noise: Noise) -> Result<Self, AnalogError> {
        noise.check()?;
        self.variability.noise = noise;
        Ok(self)
    }

    /// The same platform with other imperfections.
    ///
    /// **Errors** with [`AnalogError::InvalidSpread`].
    pub fn with_variability(mut self, variability: Variability) -> Result<Self, AnalogError> {
        variability.check()?;
        self.variability = variability;
        Ok(self)
    }

    /// The platform profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The fixed-pattern spreads.
    pub fn mismatch(&self) -> &Mismatch {
        &self.variability.mismatch
    }

    /// The trial-to-trial noise.
    pub fn noise(&self) -> &Noise {
        &self.variability.noise
    }

    /// Mismatch and noise together.
    pub fn variability(&self) -> &Variability {
        &self.variability
    }

    /// What `net` needs here, or why it does not fit (the first problem).
    ///
    /// **Errors** as [`Backend::deploy`] would; use [`crate::requirements`] for the
    /// complete list of problems.
    pub fn requirements(&self, net: &SnnNetwork) -> Result<Requirements, BackendError> {
        check_fit(net, &self.profile)
    }
}

/// The two analog platforms, with the paper's settings for each (DESIGN.md §4).
///
/// ```
/// use spikeport_analog::Platform;
/// let enc = Platform::Spikey.paper_encoder();
/// assert_eq!((enc.duration_ms(), enc.pause_ms()), (300.0, 50.0));
/// assert_eq!(Platform::BrainScaleS.paper_neuron().check()?.v_thresh(), -25.0);
/// # Ok::<(), spikeport_snn::SnnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Platform {
    /// Spikey ([`Profile::spikey`]).
    Spikey,
    /// BrainScaleS-1 ([`Profile::brainscales`]).
    BrainScaleS,
}

impl Platform {
    /// The platform's profile.
    pub fn profile(self) -> Profile {
        match self {
            Platform::Spikey => Profile::spikey(),
            Platform::BrainScaleS => Profile::brainscales(),
        }
    }

    /// A backend of this platform with `variability`.
    ///
    /// **Errors** with [`AnalogError::InvalidSpread`] for an invalid `variability`.
    pub fn backend(self, variability: Variability) -> Result<Analog, AnalogError> {
        Analog::with_parts(self.profile(), variability)
    }

    /// The paper's neuron ([`spikey_neuron`] / [`brainscales_neuron`]).
    pub fn paper_neuron(self) -> IfCondExpParams {
        match self {
            Platform::Spikey => spikey_neuron(),
            Platform::BrainScaleS => brainscales_neuron(),
        }
    }

    /// The paper's input ([`spikey_encoder`] / [`brainscales_encoder`]).
    pub fn paper_encoder(self) -> Encoder {
        match self {
            Platform::Spikey => spikey_encoder(),
            Platform::BrainScaleS => brainscales_encoder(),
        }
    }

    /// The paper's `max_weight`, µS, for the global conversion: 0.015 µS on Spikey (its
    /// largest excitatory weight). BrainScaleS used digital weight 15, i.e. the largest
    /// level of a row whatever its scale; with per-row scaling the conversion's µS scale
    /// sets the rows' conductances, and 0.015 µS is used there too (**assumption**; sweep
    /// it for best accuracy, as the harness does).
    pub fn paper_max_weight_us(self) -> f64 {
        0.015
    }
}

/// The paper's neuron parameters for Spikey (DESIGN.md §4): tau_m 10 ms, v_rest −75 mV,
/// v_reset −80 mV, v_thresh −55 mV, e_rev_I −80 mV. Spikey fixes the rest in silicon;
/// the values PyNN.hardware.spikey assumes for them (its `estimator_*` constants): cm
/// 0.2 nF, e_rev_E 0 mV, tau_syn_E = tau_syn_I = 5 ms; tau_refrac 1 ms is PyNN's fixed
/// refractory time of `IF_facets_hardware1`, Spikey's neuron model.
///
/// ```
/// let p = spikeport_analog::spikey_neuron().check()?;
/// assert_eq!((p.tau_m(), p.v_rest(), p.e_rev_i()), (10.0, -75.0, -80.0));
/// # Ok::<(), spikeport_snn::SnnError>(())
/// ```
pub fn spikey_neuron() -> IfCondExpParams {
    IfCondExpParams::new()
        .cm(0.2)
        .tau_m(10.0)
        .tau_syn_e(5.0)
        .tau_syn_i(5.0)
        .tau_refrac(1.0)
        .v_rest(-75.0)
        .v_reset(-80.0)
        .v_thresh(-55.0)
        .e_rev_e(0.0)
        .e_rev_i(-80.0)
}

/// The paper's Spikey input: regular trains of pixel × 50 Hz, 300 ms + 50 ms pause.
pub fn spikey_encoder() -> Encoder {
    match Encoder::regular(50.0, 300.0, 50.0) {
        Ok(e) => e,
        Err(_) => unreachable!("valid constants"),
    }
}

/// The paper's BrainScaleS neuron ([`IfCondExpParams::paper_brainscales`]: cm 0.2 nF,
/// tau_m 20 ms, tau_syn 5/5 ms, v_rest −40, v_reset −65, v_thresh −25, e_rev_I −80 mV,
/// tau_refrac 0.1 ms).
pub fn brainscales_neuron() -> IfCondExpParams {
    IfCondExpParams::paper_brainscales()
}

/// The paper's BrainScaleS input: regular trains of pixel × 60 Hz, 900 ms + 50 ms pause.
pub fn brainscales_encoder() -> Encoder {
    match Encoder::regular(60.0, 900.0, 50.0) {
        Ok(e) => e,
        Err(_) => unreachable!("valid constants"),
    }
}

/// A network on one virtual chip: the drawn neurons, quantised weights with their
/// synapse gains and losses, and a run counter for the trial-to-trial noise.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalogDeployment {
    net: SnnNetwork,
    seed: u64,
    platform: String,
    neurons: Vec<Vec<NeuronParams>>,
    /// Per projection: synapse gain × (0 if lost) for every synapse.
    gains: Vec<Array2<f64>>,
    quantised: Vec<Quantised>,
    requirements: Requirements,
    synapses_lost: usize,
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
        self.seed
    }

    /// The drawn parameters of neuron `j` of population `p` (`None` for inputs or out of
    /// range).
    pub fn neuron(&self, p: usize, j: usize) -> Option<&NeuronParams> {
        self.neurons.get(p).and_then(|v| v.get(j))
    }

    /// The 4-bit weights of projection `k`.
    pub fn quantised(&self, k: usize) -> Option<&Quantised> {
        self.quantised.get(k)
    }

    /// Synapse gains of projection `k` (0 for a lost synapse).
    pub fn gains(&self, k: usize) -> Option<&Array2<f64>> {
        self.gains.get(k)
    }

    /// What the network needs on the platform.
    pub fn requirements(&self) -> &Requirements {
        &self.requirements
    }

    /// Modelled host time of every run besides the emulation (input upload, read-out),
    /// s; reported apart from the emulated time in each run's
    /// `activity.counters["run_overhead_us"]`.
    pub fn overhead_s(&self) -> f64 {
        self.run_overhead_s
    }

    /// Modelled host time of configuring the chip, s, charged once by `deploy` and by
    /// every `update_weights`; reported in the next run's
    /// `activity.counters["config_overhead_us"]`.
    pub fn config_overhead_s(&self) -> f64 {
        self.config_overhead_s
    }

    /// Runs made so far on this deployment.
    pub fn runs(&self) -> u64 {
        self.runs
    }
}

impl Deployed for AnalogDeployment {
    fn network(&self) -> &SnnNetwork {
        &self.net
    }

    fn mapping(&self) -> MappingReport {
        let r = &self.requirements;
        let units = match self.topology {
            Topology::Blocks { .. } => vec![
                HardwareUnits { kind: "chip".into(), count: 1 },
                HardwareUnits {
                    kind: "block".into(),
                    count: r.block_neurons.iter().filter(|&&n| n > 0).count(),
                },
                HardwareUnits { kind: "neuron".into(), count: r.neurons },
                HardwareUnits { kind: "synapse driver".into(), count: r.block_drivers.iter().sum() },
            ],
            Topology::Wafer { .. } => vec![
                HardwareUnits { kind: "wafer".into(), count: 1 },
                HardwareUnits { kind: "HICANN".into(), count: r.chips },
                HardwareUnits { kind: "neuron circuit".into(), count: r.circuits },
            ],
        };
        MappingReport {
            neurons: self.net.n_neurons(),
            synapses: self.net.n_synapses() - self.synapses_lost,
            synapses_lost: self.synapses_lost,
            units,
        }
    }
}

/// A stream seed from the chip seed and two labels (SplitMix64 mixing).
fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Non-zero weights whose synapse was lost.
fn lost_synapses(w: ArrayView2<'_, f64>, gains: &Array2<f64>) -> usize {
    w.iter().zip(gains.iter()).filter(|(&w, &g)| w != 0.0 && g == 0.0).count()
}

impl Backend for Analog {
    type Deployment = AnalogDeployment;

    fn info(&self) -> &PlatformInfo {
        &self.info
    }

    /// Map `net` onto a virtual chip: size checks ([`check_fit`]), the chip's
    /// fixed-pattern mismatch drawn from `seed` (per neuron and per synapse, including
    /// synapses whose weight is 0 now, so that later weight updates land on the same
    /// chip), synapse losses, and 4-bit quantisation.
    fn deploy(&self, net: &SnnNetwork, seed: u64) -> Result<AnalogDeployment, BackendError> {
        // the platform's own checks first: their messages name the hardware resource
        let requirements = check_fit(net, &self.profile)?;
        self.info.check_network(net)?;
        let m = &self.variability.mismatch;
        let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, 1, 0));
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
        let mut quantised = Vec::new();
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
            quantised.push(quantise(proj.weights.view(), self.profile.weights));
            gains.push(g);
        }
        Ok(AnalogDeployment {
            net: net.clone(),
            seed,
            platform: self.profile.name.clone(),
            neurons,
            gains,
            quantised,
            requirements,
            synapses_lost,
            runs: 0,
            run_overhead_s: self.profile.run_overhead_s,
            config_overhead_s: self.profile.config_overhead_s,
            pending_config_s: self.profile.config_overhead_s,
            topology: self.profile.topology,
        })
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
        let requirements = check_fit(&net, &self.profile)?;
        let old_lost =
            lost_synapses(dep.net.projections()[projection].weights.view(), &dep.gains[projection]);
        let new_lost = lost_synapses(weights, &dep.gains[projection]);
        dep.synapses_lost = dep.synapses_lost + new_lost - old_lost;
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
        self.info.check_run(&dep.net, input, rec)?;
        let net = &dep.net;
        let h = self.profile.step_ms;
        let period = input.period_ms();
        let steps = duration_steps(period, h);
        if ((steps as f64) * h - period).abs() > 1e-6 * period.max(1.0) {
            return Err(BackendError::invalid_input(format!(
                "the image period {period} ms is not a whole number of {h} ms steps"
            )));
        }
        let to_steps = |t: f64| ((t / h) - GRID_TOLERANCE).ceil().max(0.0) as usize;
        let window_end_steps = to_steps(input.readout_window_ms().1);
        let cp_times = rec.checkpoint_times_ms(input);
        let checkpoint_steps: Vec<usize> = cp_times.iter().map(|&t| to_steps(t)).collect();
        let run = dep.runs;
        // this run's drive jitter, shared by all images of the batch
        let jitter = self.variability.noise.weight_jitter;
        let mut jrng = ChaCha8Rng::seed_from_u64(mix(dep.seed, 2, run));
        let projs: Vec<ProjRun> = net
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
                    q[(i, j)] * dep.gains[k][(i, j)] * x
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
        let sizes = net.sizes();
        let tables: Vec<PopTable> = dep.neurons.iter().map(|pop| PopTable::new(pop, h)).collect();
        let schedule =
            InputSchedule::new(input, h).map_err(|e| BackendError::Internal { what: e.to_string() })?;
        let mut record = vec![false; sizes.len()];
        let mut selections = Vec::with_capacity(rec.spikes.len());
        for sel in &rec.spikes {
            record[sel.population] = true;
            selections.push((sel.population, sel.resolve(net)?));
        }
        let plan = RunPlan {
            sizes: &sizes,
            tables: &tables,
            projs: &projs,
            steps,
            h,
            window_end_steps,
            checkpoint_steps: &checkpoint_steps,
            noise_mv: self.variability.noise.membrane_mv,
            input_loss: self.profile.input_spike_loss,
            record: &record,
        };
        let n_images = input.n_images();
        let seed = dep.seed;
        let results: Vec<ImageResult> = (0..n_images)
            .into_par_iter()
            .map(|i| {
                let inputs = |s: usize| schedule.at(i, s);
                let recorded = !selections.is_empty() && rec.records_image(i);
                simulate_image(&plan, &inputs, mix(seed, 3 + run, i as u64), recorded)
            })
            .collect();
        dep.runs += 1;
        let mut counts: Vec<Array2<u32>> = sizes.iter().map(|&n| Array2::zeros((n_images, n))).collect();
        let out = sizes.len() - 1;
        let mut cps: Vec<Array2<u32>> =
            cp_times.iter().map(|_| Array2::zeros((n_images, sizes[out]))).collect();
        let mut activity = Activity::zeros(sizes.len(), projs.len());
        let mut lost = 0;
        for (i, r) in results.iter().enumerate() {
            for (p, c) in r.counts.iter().enumerate() {
                for (j, &x) in c.iter().enumerate() {
                    counts[p][(i, j)] = x;
                }
            }
            for (c, cp) in r.checkpoints.iter().enumerate() {
                for (j, &x) in cp.iter().enumerate() {
                    cps[c][(i, j)] = x;
                }
            }
            for (a, b) in activity.spikes.iter_mut().zip(&r.spikes) {
                *a += b;
            }
            for (a, b) in activity.synaptic_events.iter_mut().zip(&r.events) {
                *a += b;
            }
            lost += r.inputs_lost;
        }
        // recorded spike times per selection
        let recorded_images: Vec<usize> = (0..n_images).filter(|&i| rec.records_image(i)).collect();
        let spikes = selections
            .iter()
            .map(|(p, ids)| {
                let mut slot = vec![usize::MAX; sizes[*p]];
                for (k, &j) in ids.iter().enumerate() {
                    slot[j] = k;
                }
                let times_ms = recorded_images
                    .iter()
                    .map(|&i| {
                        let mut t = vec![Vec::new(); ids.len()];
                        for &(j, s) in &results[i].recorded[*p] {
                            if let Some(k) = slot.get(j as usize).copied().filter(|&k| k != usize::MAX) {
                                t[k].push(f64::from(s) * h);
                            }
                        }
                        t
                    })
                    .collect();
                RecordedSpikes {
                    population: *p,
                    neurons: ids.clone(),
                    first_image: recorded_images.first().copied().unwrap_or(0),
                    times_ms,
                }
            })
            .collect();
        activity.images = n_images;
        activity.neuron_updates = (net.n_neurons() * steps * n_images) as u64;
        activity.bio_time_ms = input.total_ms();
        activity.hardware_time_s = activity.bio_time_ms * 1e-3 / self.profile.speedup;
        activity.wall_time_s = t0.elapsed().as_secs_f64();
        activity.counters.insert("input_spikes_lost".into(), lost);
        activity.counters.insert("run_overhead_us".into(), (dep.run_overhead_s * 1e6).round() as u64);
        activity.counters.insert("config_overhead_us".into(), (dep.pending_config_s * 1e6).round() as u64);
        dep.pending_config_s = 0.0;
        let checkpoints = rec.checkpoint_every_ms.map(|_| CountCheckpoints {
            population: out,
            times_ms: cp_times.clone(),
            counts: cps,
        });
        Ok(RunOutput { counts, spikes, checkpoints, activity, ..RunOutput::default() })
    }
}
