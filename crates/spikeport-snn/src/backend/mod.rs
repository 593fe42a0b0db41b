//! The [`Backend`] trait and what goes in and out of a run.
//!
//! ## Design
//!
//! A backend is a software model of one platform. [`Backend::deploy`] maps a
//! [`SnnNetwork`] onto it once — size checks, quantisation, a mismatch draw, placement —
//! and returns the backend's own [`Backend::Deployment`] (an associated type, so each
//! backend keeps whatever state it needs without downcasting). [`Backend::run`] then
//! simulates batches of images on that deployment as often as wanted; it takes the
//! deployment mutably so that a backend may reuse buffers and trial-to-trial noise
//! generators between runs. Capabilities a platform lacks (weight updates without
//! re-mapping, membrane traces, a neuron model) answer with a typed
//! [`BackendError::Unsupported`], never a panic.
//!
//! All backends follow the time-grid rules of [`timing`](crate::timing) and the
//! [`ImageBoundary`] of the input, so that the same network and input give the same
//! spikes on every exact backend and differ only by declared tolerances on the
//! approximate ones.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{ImageBoundary, ModelKind, SnnError, SnnNetwork, SpikeInput, UnitKind};

// ------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------

/// Why a backend could not deploy or run.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The platform cannot do this at all (a neuron model, recurrent projections,
    /// membrane traces, weight updates without re-mapping, …).
    #[error("{backend} does not support {what}")]
    Unsupported {
        /// Backend name ([`PlatformInfo::name`]).
        backend: String,
        /// What was asked for.
        what: String,
    },
    /// The network is too large for the platform.
    #[error("network does not fit: {what} needs {needed}, the platform has {available}")]
    DoesNotFit {
        /// Which resource, e.g. `"neurons"` or `"synapse drivers in block 0"`.
        what: String,
        /// How many the network needs.
        needed: usize,
        /// How many the platform offers.
        available: usize,
    },
    /// The network description itself is invalid.
    #[error("invalid network: {0}")]
    InvalidNetwork(#[from] SnnError),
    /// The input does not suit the deployed network (wrong number of inputs, a time step
    /// that does not divide the image period, …).
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
    /// The recording request names populations or neurons that do not exist, or a
    /// checkpoint interval that is not > 0.
    #[error("invalid recording request: {reason}")]
    InvalidRecording {
        /// What is wrong.
        reason: String,
    },
    /// A run would need more of a host resource than allowed, e.g. a batch larger than
    /// memory allows.
    #[error("resource limit: {what} of {requested} exceeds the limit of {limit}")]
    ResourceLimit {
        /// Which resource, e.g. `"images per batch"` or `"bytes of state"`.
        what: String,
        /// How much was requested.
        requested: usize,
        /// The most that is allowed.
        limit: usize,
    },
    /// The simulation became numerically invalid (an integrator failed, a state turned
    /// NaN).
    #[error("numerical failure: {what}")]
    Numerical {
        /// What failed, with the population and neuron where known.
        what: String,
    },
    /// A broken internal invariant: a bug in the backend, please report it.
    #[error("internal error (potential bug): {what}")]
    Internal {
        /// What went wrong.
        what: String,
    },
}

impl BackendError {
    /// Shorthand for [`BackendError::Unsupported`].
    pub fn unsupported(backend: impl Into<String>, what: impl Into<String>) -> Self {
        Self::Unsupported { backend: backend.into(), what: what.into() }
    }

    /// Shorthand for [`BackendError::InvalidInput`].
    pub fn invalid_input(reason: impl Into<String>) -> Self {
        Self::InvalidInput { reason: reason.into() }
    }

    /// Shorthand for [`BackendError::InvalidRecording`].
    pub fn invalid_recording(reason: impl Into<String>) -> Self {
        Self::InvalidRecording { reason: reason.into() }
    }
}

// ------------------------------------------------------------------------------------
// Platform facts
// ------------------------------------------------------------------------------------

/// How finely a platform resolves synaptic weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum WeightResolution {
    /// IEEE single precision.
    Float32,
    /// IEEE double precision.
    Float64,
    /// Signed or unsigned fixed point with `bits` bits in all, `frac_bits` of them after
    /// the binary point (e.g. SpiNNaker's 16-bit weights with a per-receptor shift).
    FixedPoint {
        /// Total bits.
        bits: u8,
        /// Fractional bits.
        frac_bits: u8,
    },
    /// `2^bits` discrete levels per synapse, scaled per synapse row or per population
    /// (e.g. the 4-bit weights of Spikey and BrainScaleS).
    Levels {
        /// Bits per weight.
        bits: u8,
    },
}

/// Facts about a platform that harnesses, energy models and error messages need.
///
/// Construct with [`PlatformInfo::new`] and set the other public fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlatformInfo {
    /// Backend name, e.g. `"Reference"`, `"Fast"`, `"SpiNNaker"`.
    pub name: String,
    /// Simulation time step, ms of biological time.
    pub dt_ms: f64,
    /// Biological time ÷ hardware time, e.g. 1 for real-time SpiNNaker, 1e4 for the
    /// accelerated analog systems; `None` for software simulators, whose hardware time is
    /// the host wall time.
    pub speedup: Option<f64>,
    /// Most neurons (all non-input populations) the platform can hold; `None` = no fixed
    /// limit.
    pub max_neurons: Option<usize>,
    /// Most synapses the platform can hold; `None` = no fixed limit.
    pub max_synapses: Option<usize>,
    /// Most images one run may simulate at once; `None` = limited only by memory.
    pub max_batch: Option<usize>,
    /// Resolution of synaptic weights.
    pub weight_resolution: WeightResolution,
    /// Neuron models the platform simulates (besides the input spike source, which every
    /// backend accepts).
    pub models: Vec<ModelKind>,
    /// Image boundaries the platform honours.
    pub boundaries: Vec<ImageBoundary>,
    /// Whether only feed-forward chains ([`SnnNetwork::is_feed_forward_chain`]) can be
    /// deployed.
    pub feed_forward_only: bool,
    /// Whether membrane traces can be recorded.
    pub membrane_traces: bool,
    /// Whether the same seed and input give bit-identical outputs (false for platforms
    /// with trial-to-trial noise).
    pub deterministic: bool,
}

impl PlatformInfo {
    /// A platform called `name` stepping at `dt_ms`, with permissive defaults: software
    /// timing (`speedup: None`), no size limits, f64 weights, all models, both
    /// boundaries, any topology, traces, deterministic.
    pub fn new(name: impl Into<String>, dt_ms: f64) -> Self {
        Self {
            name: name.into(),
            dt_ms,
            speedup: None,
            max_neurons: None,
            max_synapses: None,
            max_batch: None,
            weight_resolution: WeightResolution::Float64,
            models: vec![ModelKind::IfCondExp, ModelKind::IfCurrExp, ModelKind::IfCurrDeltaSub],
            boundaries: vec![ImageBoundary::Reset, ImageBoundary::Continuous],
            feed_forward_only: false,
            membrane_traces: true,
            deterministic: true,
        }
    }

    /// Whether populations of `kind` can be deployed.
    pub fn supports(&self, kind: ModelKind) -> bool {
        kind == ModelKind::SpikeSource || self.models.contains(&kind)
    }

    /// Hardware time for a span of biological time: `bio / speedup`, s; `None` for
    /// software simulators (use the measured wall time).
    pub fn hardware_time_s(&self, bio_time_ms: f64) -> Option<f64> {
        self.speedup.map(|s| bio_time_ms * 1e-3 / s)
    }

    /// The capability checks every backend makes in `deploy`: supported models,
    /// topology, neuron and synapse limits.
    ///
    /// **Errors** with [`BackendError::Unsupported`] or [`BackendError::DoesNotFit`].
    pub fn check_network(&self, net: &SnnNetwork) -> Result<(), BackendError> {
        for p in net.populations() {
            let kind = p.model.kind();
            if !self.supports(kind) {
                return Err(BackendError::unsupported(
                    &self.name,
                    format!("neuron model {kind} (population '{}')", p.label),
                ));
            }
        }
        if self.feed_forward_only && !net.is_feed_forward_chain() {
            return Err(BackendError::unsupported(&self.name, "networks that are not feed-forward chains"));
        }
        if let Some(available) = self.max_neurons {
            let needed = net.n_neurons();
            if needed > available {
                return Err(BackendError::DoesNotFit { what: "neurons".into(), needed, available });
            }
        }
        if let Some(available) = self.max_synapses {
            let needed = net.n_synapses();
            if needed > available {
                return Err(BackendError::DoesNotFit { what: "synapses".into(), needed, available });
            }
        }
        Ok(())
    }

    /// The checks every backend makes at the start of `run`: input size, boundary, batch
    /// size, and the recording request.
    ///
    /// **Errors** with [`BackendError::InvalidInput`], [`BackendError::Unsupported`],
    /// [`BackendError::ResourceLimit`] or [`BackendError::InvalidRecording`].
    pub fn check_run(
        &self,
        net: &SnnNetwork,
        input: &SpikeInput,
        rec: &Recording,
    ) -> Result<(), BackendError> {
        if input.n_inputs() != net.input_size() {
            return Err(BackendError::invalid_input(format!(
                "{} inputs per image, the network has {} input neurons",
                input.n_inputs(),
                net.input_size()
            )));
        }
        if !self.boundaries.contains(&input.boundary()) {
            return Err(BackendError::unsupported(
                &self.name,
                format!("image boundary {:?}", input.boundary()),
            ));
        }
        if let Some(limit) = self.max_batch {
            if input.n_images() > limit {
                return Err(BackendError::ResourceLimit {
                    what: "images per batch".into(),
                    requested: input.n_images(),
                    limit,
                });
            }
        }
        if !rec.membrane.is_empty() && !self.membrane_traces {
            return Err(BackendError::unsupported(&self.name, "membrane traces"));
        }
        rec.validate(net)
    }
}

mod output;

pub use output::*;

// ------------------------------------------------------------------------------------
// Deployments and the trait
// ------------------------------------------------------------------------------------

/// A count of hardware units a deployment occupies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardwareUnits {
    /// Kind of unit.
    pub kind: UnitKind,
    /// How many are used.
    pub count: usize,
}

/// How a network was mapped onto a platform.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingReport {
    /// Neurons placed (non-input populations, all copies).
    pub neurons: usize,
    /// Synapses placed (non-zero weights that made it onto the platform, all copies).
    pub synapses: usize,
    /// Synapses the mapping could not realise (e.g. BrainScaleS routing losses).
    pub synapses_lost: usize,
    /// Hardware units used (cores, chips, boards, …), for energy models.
    pub units: Vec<HardwareUnits>,
    /// Network copies placed side by side.
    #[serde(default = "one")]
    pub copies: usize,
}

fn one() -> usize {
    1
}

impl MappingReport {
    /// The trivial mapping of a software simulator: every neuron and synapse of `copies`
    /// copies, no units.
    pub fn of(net: &SnnNetwork, copies: usize) -> Self {
        Self {
            neurons: net.n_neurons() * copies,
            synapses: net.n_synapses() * copies,
            copies,
            ..Self::default()
        }
    }

    /// The count of units of `kind` (0 if none are used).
    pub fn units_of(&self, kind: UnitKind) -> usize {
        self.units.iter().filter(|u| u.kind == kind).map(|u| u.count).sum()
    }
}

/// Where and how often a network is placed on a platform: the seed of every random draw
/// (one seed = one virtual chip) and the number of independent copies of the network that
/// run side by side in one run, each on its own share of the images (SNABSuite's
/// `batch_parallel`).
///
/// ```
/// use spikeport_snn::Placement;
/// let p = Placement::from(7).with_copies(179);
/// assert_eq!((p.seed, p.copies), (7, 179));
/// assert_eq!(Placement::default().copies, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Placement {
    /// Seed of the mapping's and later runs' random draws (mismatch, noise).
    pub seed: u64,
    /// Copies of the network placed side by side (≥ 1).
    pub copies: usize,
}

impl Default for Placement {
    fn default() -> Self {
        Self { seed: 0, copies: 1 }
    }
}

impl From<u64> for Placement {
    /// One copy with seed `seed`.
    fn from(seed: u64) -> Self {
        Self { seed, copies: 1 }
    }
}

impl Placement {
    /// The same seed with `copies` copies.
    #[must_use]
    pub fn with_copies(self, copies: usize) -> Self {
        Self { copies, ..self }
    }

    /// Images each copy runs when `images` are dealt evenly over the copies in order:
    /// ⌈images / copies⌉ (SNABSuite's `batchsize`).
    pub fn images_per_copy(&self, images: usize) -> usize {
        images.div_ceil(self.copies.max(1))
    }
}

/// The largest number of copies of a network a platform holds ([`Backend::max_copies`]).
#[derive(Clone, Debug, PartialEq)]
pub struct CopyFit {
    /// The largest number of copies that fit (≥ 1), at most the limit asked for.
    pub copies: usize,
    /// The mapping of that many copies.
    pub mapping: MappingReport,
    /// Why one more copy does not fit (the binding constraint, a
    /// [`BackendError::DoesNotFit`] naming the resource), or `None` if the limit asked for
    /// was reached first.
    pub binding: Option<BackendError>,
}

/// What every backend's deployment offers beside its private state.
pub trait Deployed: Send {
    /// The network as it was deployed (with any weight updates applied since).
    fn network(&self) -> &SnnNetwork;

    /// The seed and number of copies it was deployed with.
    fn placement(&self) -> Placement;

    /// How the network was mapped; by default every neuron and synapse of every copy, no
    /// units.
    fn mapping(&self) -> MappingReport {
        MappingReport::of(self.network(), self.placement().copies)
    }

    /// Runs made on this deployment so far, where the run's number seeds its trial-to-trial
    /// noise (the analog models); 0 for a platform whose runs draw nothing at random. A
    /// checkpoint stores it so that a resumed run draws the noise the uninterrupted run
    /// would have drawn ([`Deployed::set_runs`]).
    fn runs(&self) -> u64 {
        0
    }

    /// Continues as if `runs` runs had been made: the next run draws the noise of run
    /// number `runs`. The default, for platforms without trial-to-trial noise, does nothing.
    fn set_runs(&mut self, runs: u64) {
        let _ = runs;
    }
}

/// A software model of a neuromorphic platform (or a simulator).
///
/// ### Contract
///
/// * [`Backend::deploy`] and [`Backend::place`] make the contract's checks
///   ([`PlatformInfo::check_network`], at least one copy) and then call the backend's own
///   [`Backend::map`], which checks everything else it can up front and fails with
///   [`BackendError::DoesNotFit`] / [`BackendError::Unsupported`] rather than at run time.
/// * [`Backend::fit`] says what `copies` copies need, or which resource they exceed,
///   without building a deployment; [`Backend::max_copies`] finds the largest number that
///   fits.
/// * `run` simulates every image of `input` for `duration + pause` ms on the grid of
///   [`timing`](crate::timing), honours `input.boundary()`, deals the images to the
///   deployment's copies ([`SpikeInput::with_copies`], else evenly in order), and returns
///   [`RunOutput::counts`] for every population plus whatever `rec` asks for. Copies are
///   independent: an image's result does not depend on what the other copies run.
/// * The same deployment seed, input and recording give the same output (bit-identical
///   when [`PlatformInfo::deterministic`]), whatever the number of threads.
///
/// ```
/// use spikeport_snn::*;
///
/// /// A toy backend: the input layer relays, nothing else ever spikes.
/// struct Silent(PlatformInfo);
/// struct Dep(SnnNetwork, Placement);
/// impl Deployed for Dep {
///     fn network(&self) -> &SnnNetwork { &self.0 }
///     fn placement(&self) -> Placement { self.1 }
/// }
/// impl Backend for Silent {
///     type Deployment = Dep;
///     fn info(&self) -> &PlatformInfo { &self.0 }
///     fn map(&self, net: &SnnNetwork, at: Placement) -> Result<Dep, BackendError> {
///         Ok(Dep(net.clone(), at))
///     }
///     fn run(&self, dep: &mut Dep, input: &SpikeInput, rec: &Recording)
///         -> Result<RunOutput, BackendError> {
///         let net = dep.network();
///         self.0.check_run(net, input, rec)?;
///         let counts = net.sizes().iter()
///             .map(|&n| ndarray::Array2::zeros((input.n_images(), n)))
///             .collect();
///         Ok(RunOutput { counts, ..RunOutput::default() })
///     }
/// }
///
/// let backend = Silent(PlatformInfo::new("silent", 1.0));
/// let lif = IfCurrExpParams::new().into_model()?;
/// let net = SnnNetwork::feed_forward(2, vec![(lif, ndarray::Array2::zeros((2, 3)))], 1.0)?;
/// let mut dep = backend.deploy(&net, 7)?;
/// let input = Encoder::paper_digital().encode(ndarray::array![[0.5f32, 1.0]].view())?;
/// let out = backend.run(&mut dep, &input, &Recording::counts_only())?;
/// assert_eq!(out.predictions(), vec![None]); // all-zero counts are a tie
/// // Weight updates are an optional capability.
/// let w = ndarray::Array2::zeros((2, 3));
/// assert!(matches!(backend.update_weights(&mut dep, 0, w.view()),
///                  Err(BackendError::Unsupported { .. })));
/// // Without limits, any number of copies fits.
/// let fit = backend.max_copies(&net, 64)?;
/// assert_eq!((fit.copies, fit.binding), (64, None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Backend {
    /// The backend's mapped network and whatever state it keeps between runs.
    type Deployment: Deployed;

    /// Platform facts: name, time step, speed-up, size limits, weight resolution, models.
    fn info(&self) -> &PlatformInfo;

    /// The backend's settings as text, for the fingerprints of resumable results: two
    /// backends with equal text give equal results for the same network, input and
    /// placement. The default is the platform facts ([`Backend::info`]); a backend with
    /// settings beyond them returns its `Debug` form.
    fn settings_text(&self) -> String {
        format!("{:?}", self.info())
    }

    /// The backend's own mapping of `placement.copies` copies of `net`, called by
    /// [`Backend::deploy`] and [`Backend::place`] after the contract's checks. `seed` fixes
    /// every random draw of the mapping and of later runs (fixed-pattern mismatch, noise).
    ///
    /// **Errors** with [`BackendError::Unsupported`], [`BackendError::DoesNotFit`] or
    /// [`BackendError::InvalidNetwork`].
    fn map(&self, net: &SnnNetwork, placement: Placement) -> Result<Self::Deployment, BackendError>;

    /// Map one copy of `net` onto the platform with `seed`: one seed = one virtual chip.
    ///
    /// **Errors** as [`Backend::place`].
    fn deploy(&self, net: &SnnNetwork, seed: u64) -> Result<Self::Deployment, BackendError> {
        self.place(net, Placement::from(seed))
    }

    /// Map `placement.copies` copies of `net` onto the platform, side by side.
    ///
    /// **Errors** with [`BackendError::Unsupported`], [`BackendError::DoesNotFit`] or
    /// [`BackendError::InvalidNetwork`], and with [`BackendError::InvalidInput`] for zero
    /// copies.
    fn place(&self, net: &SnnNetwork, placement: Placement) -> Result<Self::Deployment, BackendError> {
        if placement.copies == 0 {
            return Err(BackendError::invalid_input("a deployment needs at least one network copy"));
        }
        self.info().check_network(net)?;
        self.map(net, placement)
    }

    /// What `copies` copies of `net` need on the platform, or the resource they exceed,
    /// without deploying. The default (software simulators) checks the network and the
    /// neuron and synapse limits of [`PlatformInfo`] for all copies together; hardware
    /// models override it with their own resources.
    ///
    /// **Errors** with [`BackendError::DoesNotFit`] naming the binding resource,
    /// [`BackendError::Unsupported`], or [`BackendError::InvalidInput`] for zero copies.
    fn fit(&self, net: &SnnNetwork, copies: usize) -> Result<MappingReport, BackendError> {
        if copies == 0 {
            return Err(BackendError::invalid_input("a deployment needs at least one network copy"));
        }
        let info = self.info();
        info.check_network(net)?;
        let mapping = MappingReport::of(net, copies);
        for (what, needed, limit) in [
            ("neurons", mapping.neurons, info.max_neurons),
            ("synapses", mapping.synapses, info.max_synapses),
        ] {
            if let Some(available) = limit.filter(|&a| needed > a) {
                return Err(BackendError::DoesNotFit {
                    what: format!("{what} of {copies} network copies"),
                    needed,
                    available,
                });
            }
        }
        Ok(mapping)
    }

    /// The largest number of copies of `net`, at most `limit`, that [`Backend::fit`]
    /// accepts, and the constraint that binds (fit is taken to be monotone in the number
    /// of copies: found by doubling, then bisection).
    ///
    /// **Errors** with the reason a single copy does not fit, or
    /// [`BackendError::InvalidInput`] for a zero limit.
    fn max_copies(&self, net: &SnnNetwork, limit: usize) -> Result<CopyFit, BackendError> {
        if limit == 0 {
            return Err(BackendError::invalid_input("the copy limit must be at least 1"));
        }
        let mut best = (1, self.fit(net, 1)?);
        let mut bad: Option<(usize, BackendError)> = None;
        let mut k = 1usize;
        while k < limit {
            k = (k * 2).min(limit);
            match self.fit(net, k) {
                Ok(m) => best = (k, m),
                Err(e @ BackendError::DoesNotFit { .. }) => {
                    bad = Some((k, e));
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if let Some((mut hi, mut why)) = bad {
            while hi - best.0 > 1 {
                let mid = best.0 + (hi - best.0) / 2;
                match self.fit(net, mid) {
                    Ok(m) => best = (mid, m),
                    Err(e @ BackendError::DoesNotFit { .. }) => (hi, why) = (mid, e),
                    Err(e) => return Err(e),
                }
            }
            return Ok(CopyFit { copies: best.0, mapping: best.1, binding: Some(why) });
        }
        Ok(CopyFit { copies: best.0, mapping: best.1, binding: None })
    }

    /// Replace the weights of projection `projection` (signed, (pre, post), units as in
    /// [`Projection`](crate::Projection)) in every copy without re-mapping, for
    /// hardware-in-the-loop training. Backends that can, override this; the default
    /// answers [`BackendError::Unsupported`].
    ///
    /// **Errors** with [`BackendError::Unsupported`] or [`BackendError::InvalidNetwork`]
    /// (wrong projection index, shape, non-finite weight).
    fn update_weights(
        &self,
        dep: &mut Self::Deployment,
        projection: usize,
        weights: ArrayView2<'_, f64>,
    ) -> Result<(), BackendError> {
        let _ = (dep, projection, weights);
        Err(BackendError::unsupported(&self.info().name, "weight updates without re-deployment"))
    }

    /// Simulate the batch `input` on `dep`, recording what `rec` asks for.
    ///
    /// **Errors** with [`BackendError::InvalidInput`], [`BackendError::InvalidRecording`],
    /// [`BackendError::ResourceLimit`], [`BackendError::Unsupported`] or
    /// [`BackendError::Numerical`].
    fn run(
        &self,
        dep: &mut Self::Deployment,
        input: &SpikeInput,
        rec: &Recording,
    ) -> Result<RunOutput, BackendError>;
}
