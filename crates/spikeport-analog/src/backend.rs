//! [`Analog`]: the `Backend` of both platform profiles.

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
    IfCondExpValidParams, ImageBoundary, MappingReport, ModelKind, NeuronModel, PlatformInfo, Recording,
    RunOutput, SnnNetwork, SpikeInput, WeightResolution,
};

use crate::config::{Mismatch, Noise, Profile};
use crate::engine::{simulate_image, ImageResult, NeuronParams, ProjRun, RunPlan, Step};
use crate::mapping::{check_fit, quantise, Quantised, Requirements};
use crate::AnalogError;

/// An analog platform model (Spikey or BrainScaleS-1) with its mismatch and noise
/// settings; see the [crate docs](crate).
#[derive(Clone, Debug, PartialEq)]
pub struct Analog {
    profile: Profile,
    mismatch: Mismatch,
    noise: Noise,
    info: PlatformInfo,
}

impl Analog {
    /// A backend for `profile` with fixed-pattern `mismatch` and trial-to-trial `noise`.
    ///
    /// **Errors** with [`AnalogError`] for an invalid profile, spread or noise level.
    pub fn new(profile: Profile, mismatch: Mismatch, noise: Noise) -> Result<Self, AnalogError> {
        profile.check()?;
        mismatch.check()?;
        noise.check()?;
        let mut info = PlatformInfo::new(&profile.name, profile.step_ms);
        info.speedup = Some(profile.speedup);
        info.max_neurons = Some(profile.max_neurons);
        info.max_synapses = None;
        info.max_batch = Some(10_000);
        info.weight_resolution = WeightResolution::Levels { bits: 4 };
        info.models = vec![ModelKind::IfCondExp];
        info.boundaries = vec![ImageBoundary::Reset];
        info.feed_forward_only = false;
        info.membrane_traces = false;
        info.deterministic = true;
        Ok(Self { profile, mismatch, noise, info })
    }

    /// Spikey with calibrated mismatch and the default noise.
    pub fn spikey() -> Self {
        Self::from_parts(Profile::spikey(), Mismatch::calibrated(), Noise::default_hardware())
    }

    /// BrainScaleS-1 with calibrated mismatch and the default noise.
    pub fn brainscales() -> Self {
        Self::from_parts(Profile::brainscales(), Mismatch::calibrated(), Noise::default_hardware())
    }

    fn from_parts(profile: Profile, mismatch: Mismatch, noise: Noise) -> Self {
        // the presets are valid by construction (tested)
        match Self::new(profile.clone(), mismatch, noise) {
            Ok(b) => b,
            Err(_) => unreachable!("preset analog profiles are valid"),
        }
    }

    /// The same platform with other mismatch spreads.
    ///
    /// **Errors** with [`AnalogError::InvalidSpread`].
    pub fn with_mismatch(mut self, mismatch: Mismatch) -> Result<Self, AnalogError> {
        mismatch.check()?;
        self.mismatch = mismatch;
        Ok(self)
    }

    /// The same platform with other noise levels.
    ///
    /// **Errors** with [`AnalogError::InvalidSpread`].
    pub fn with_noise(mut self, noise: Noise) -> Result<Self, AnalogError> {
        noise.check()?;
        self.noise = noise;
        Ok(self)
    }

    /// The platform profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The fixed-pattern spreads.
    pub fn mismatch(&self) -> &Mismatch {
        &self.mismatch
    }

    /// The trial-to-trial noise.
    pub fn noise(&self) -> &Noise {
        &self.noise
    }

    /// What `net` needs here, or why it does not fit.
    ///
    /// **Errors** as [`Backend::deploy`] would.
    pub fn requirements(&self, net: &SnnNetwork) -> Result<Requirements, BackendError> {
        check_fit(net, &self.profile)
    }
}

/// The paper's neuron parameters for Spikey (DESIGN.md §4): tau_m 10 ms, v_rest −75 mV,
/// v_reset −80 mV, v_thresh −55 mV, e_rev_I −80 mV, e_rev_E 0 mV; cm 0.2 nF; tau_syn_E =
/// tau_syn_I = 5 ms and tau_refrac 1 ms are **assumptions** (Spikey sets synaptic time
/// courses through driver ramps, not a PyNN parameter).
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

/// The paper's Spikey input: regular trains, 50 Hz, 300 ms + 50 ms pause.
pub fn spikey_encoder() -> Encoder {
    match Encoder::regular(50.0, 300.0, 50.0) {
        Ok(e) => e,
        Err(_) => unreachable!("valid constants"),
    }
}

/// The paper's BrainScaleS neuron ([`IfCondExpParams::paper_brainscales`]).
pub fn brainscales_neuron() -> IfCondExpParams {
    IfCondExpParams::paper_brainscales()
}

/// The paper's BrainScaleS input: regular trains, 60 Hz, 900 ms + 50 ms pause.
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
    neurons: Vec<Vec<NeuronParams>>,
    /// Per projection: synapse gain × (0 if lost) for every synapse.
    gains: Vec<Array2<f64>>,
    quantised: Vec<Quantised>,
    requirements: Requirements,
    synapses_lost: usize,
    runs: u64,
    overhead_s: f64,
    /// Spikey's synapse drivers are a unit of their own.
    counts_drivers: bool,
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

    /// Fixed host-side time of every run (configuration, upload, readout), s, reported
    /// apart from the emulated time ([`Activity::hardware_time_s`]).
    pub fn overhead_s(&self) -> f64 {
        self.overhead_s
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
        let mut units = vec![
            HardwareUnits { kind: "chip".into(), count: self.requirements.chips },
            HardwareUnits { kind: "neuron circuit".into(), count: self.requirements.circuits },
        ];
        if self.counts_drivers {
            units.push(HardwareUnits {
                kind: "synapse driver".into(),
                count: self.requirements.synapse_drivers,
            });
        }
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

fn cond_params(net: &SnnNetwork, p: usize) -> Result<IfCondExpValidParams, BackendError> {
    match &net.populations()[p].model {
        NeuronModel::IfCondExp(q) => Ok(*q),
        other => Err(BackendError::unsupported("analog", format!("neuron model {}", other.name()))),
    }
}

impl Backend for Analog {
    type Deployment = AnalogDeployment;

    fn info(&self) -> &PlatformInfo {
        &self.info
    }

    fn deploy(&self, net: &SnnNetwork, seed: u64) -> Result<AnalogDeployment, BackendError> {
        // the platform's own checks first: their messages name the hardware resource
        let requirements = check_fit(net, &self.profile)?;
        self.info.check_network(net)?;
        let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, 1, 0));
        let mut neurons = Vec::with_capacity(net.populations().len());
        for (p, pop) in net.populations().iter().enumerate() {
            if p == 0 {
                neurons.push(Vec::new());
                continue;
            }
            let nominal = NeuronParams::nominal(&cond_params(net, p)?);
            neurons.push((0..pop.size).map(|_| nominal.draw(&self.mismatch, &mut rng)).collect());
        }
        let mut synapses_lost = 0;
        let mut gains = Vec::new();
        let mut quantised = Vec::new();
        for proj in net.projections() {
            let g = Array2::from_shape_fn(proj.weights.dim(), |_| {
                let gain = (1.0 + self.mismatch.weight_gain * rng.sample::<f64, _>(StandardNormal)).max(0.0);
                let lost = self.profile.synapse_loss > 0.0 && rng.random::<f64>() < self.profile.synapse_loss;
                if lost {
                    0.0
                } else {
                    gain
                }
            });
            synapses_lost +=
                proj.weights.iter().zip(g.iter()).filter(|(&w, &x)| w != 0.0 && x == 0.0).count();
            quantised.push(quantise(proj.weights.view(), self.profile.weights));
            gains.push(g);
        }
        Ok(AnalogDeployment {
            net: net.clone(),
            seed,
            neurons,
            gains,
            quantised,
            requirements,
            synapses_lost,
            runs: 0,
            overhead_s: self.profile.overhead_s,
            counts_drivers: self.profile.one_sign_per_population,
        })
    }

    fn update_weights(
        &self,
        dep: &mut AnalogDeployment,
        projection: usize,
        weights: ArrayView2<'_, f64>,
    ) -> Result<(), BackendError> {
        let mut net = dep.net.clone();
        net.set_weights(projection, weights)?;
        let requirements = check_fit(&net, &self.profile)?;
        dep.quantised[projection] = quantise(weights, self.profile.weights);
        dep.net = net;
        dep.requirements = requirements;
        Ok(())
    }

    fn run(
        &self,
        dep: &mut AnalogDeployment,
        input: &SpikeInput,
        rec: &Recording,
    ) -> Result<RunOutput, BackendError> {
        let t0 = Instant::now();
        let net = dep.net.clone();
        self.info.check_run(&net, input, rec)?;
        if !rec.spikes.is_empty() {
            return Err(BackendError::unsupported(&self.profile.name, "spike-time recording"));
        }
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
        dep.runs += 1;
        // this run's drive jitter, shared by all images of the batch
        let mut jrng = ChaCha8Rng::seed_from_u64(mix(dep.seed, 2, run));
        let projs: Vec<ProjRun> = net
            .projections()
            .iter()
            .enumerate()
            .map(|(k, proj)| {
                let q = dep.quantised[k].weights();
                let weights = Array2::from_shape_fn(q.dim(), |(i, j)| {
                    let jitter = if self.noise.weight_jitter > 0.0 {
                        (1.0 + self.noise.weight_jitter * jrng.sample::<f64, _>(StandardNormal)).max(0.0)
                    } else {
                        1.0
                    };
                    q[(i, j)] * dep.gains[k][(i, j)] * jitter
                });
                let row_nnz = weights
                    .rows()
                    .into_iter()
                    .map(|r| r.iter().filter(|&&w| w != 0.0).count() as u64)
                    .collect();
                ProjRun {
                    pre: proj.pre,
                    post: proj.post,
                    delay: delay_steps(proj.delay_ms, h),
                    weights,
                    row_nnz,
                }
            })
            .collect();
        let sizes = net.sizes();
        let steps_tables: Vec<Vec<Step>> =
            dep.neurons.iter().map(|pop| pop.iter().map(|p| Step::new(p, h)).collect()).collect();
        let schedule =
            InputSchedule::new(input, h).map_err(|e| BackendError::Internal { what: e.to_string() })?;
        let plan = RunPlan {
            sizes: &sizes,
            neurons: &steps_tables,
            projs: &projs,
            steps,
            h,
            window_end_steps,
            checkpoint_steps: &checkpoint_steps,
            noise_mv: self.noise.membrane_mv,
            input_loss: self.profile.input_spike_loss,
        };
        let n_images = input.n_images();
        let seed = dep.seed;
        let results: Vec<ImageResult> = (0..n_images)
            .into_par_iter()
            .map(|i| {
                let inputs = |s: usize| schedule.at(i, s).to_vec();
                simulate_image(&plan, &inputs, mix(seed, 3 + run, i as u64))
            })
            .collect();
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
        activity.images = n_images;
        activity.neuron_updates = (net.n_neurons() * steps * n_images) as u64;
        activity.bio_time_ms = input.total_ms();
        activity.hardware_time_s = activity.bio_time_ms * 1e-3 / self.profile.speedup;
        activity.wall_time_s = t0.elapsed().as_secs_f64();
        activity.counters.insert("input_spikes_lost".into(), lost);
        let checkpoints = rec.checkpoint_every_ms.map(|_| CountCheckpoints {
            population: out,
            times_ms: cp_times.clone(),
            counts: cps,
        });
        Ok(RunOutput { counts, checkpoints, activity, ..RunOutput::default() })
    }
}
