//! [`Fixture`]: what a backend crate writes once to run the suite.

use std::fmt;
use std::sync::Arc;

use spikeport_snn::{BackendError, Counter, DynBackend, ImageBoundary, ModelKind, RunOutput};

use crate::bodies;

/// Which configuration of the backend a body asks for. Bodies that need exact behaviour
/// (a comparison with an accurate solution, copies that must agree) ask for less
/// variability; a backend without noise or mismatch returns the same backend for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// The backend as configured, with whatever noise and mismatch it models.
    AsConfigured,
    /// Trial-to-trial noise off, fixed-pattern mismatch as configured: a deployment's runs
    /// replay exactly and the chip a seed draws stays.
    Noiseless,
    /// Neither noise nor mismatch: every seed and every network copy is the nominal chip.
    Ideal,
}

/// A capability a platform may lack. A fixture lists the ones its backend lacks
/// ([`Fixture::unsupported`]); the bodies then check that asking for them answers with
/// [`BackendError::Unsupported`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// Recording membrane potentials ([`Recording::membrane`](spikeport_snn::Recording)).
    MembraneTraces,
    /// Runs with [`ImageBoundary::Continuous`].
    ContinuousBoundary,
    /// Populations of a neuron model.
    Model(ModelKind),
    /// [`Session::update_weights`](spikeport_snn::Session::update_weights) without
    /// re-deployment.
    WeightUpdates,
    /// Networks that are not feed-forward chains (lateral or recurrent projections).
    Recurrence,
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Feature::MembraneTraces => f.write_str("membrane traces"),
            Feature::ContinuousBoundary => f.write_str("the Continuous image boundary"),
            Feature::Model(kind) => write!(f, "the {kind} neuron model"),
            Feature::WeightUpdates => f.write_str("weight updates"),
            Feature::Recurrence => f.write_str("networks that are not feed-forward chains"),
        }
    }
}

/// What makes a backend differ from the exact semantics by design (not by a bug); the
/// tolerances cover them, and a few bodies adapt their checks to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Difference {
    /// Trial-to-trial noise: two runs on one deployment differ (and an image's result
    /// depends on its place in the batch).
    TrialNoise,
    /// Fixed-pattern mismatch drawn per seed (and per network copy): seeds are chips.
    Mismatch,
    /// Weights are realised on a coarse grid (4-bit levels, 16-bit fixed point).
    WeightQuantisation,
    /// Fixed-point state and arithmetic.
    FixedPoint,
    /// Single-precision state and arithmetic.
    SinglePrecision,
    /// A one-step-per-dt integration scheme with a known error against the accurate
    /// solution.
    Integration,
    /// Arriving synaptic input is scaled or shaped differently from an instantaneous jump
    /// (e.g. sPyNNaker's input factor).
    InputShaping,
}

/// What a platform realises per synapse, for the bodies to build networks it can hold.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Constraints {
    /// Largest excitatory conductance one synapse realises, µS (`None`: any); a body that
    /// needs a strong (1 µS) connection uses parallel synapses of at most this weight.
    pub max_weight_us: Option<f64>,
    /// Every population's outgoing weights must have one sign (Spikey).
    pub one_sign_per_population: bool,
}

/// The `spikeport-lif` kernel family a backend steps `IF_cond_exp` with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelKind {
    /// `Kernel::<f32>::exact` (GeNN's held-current step).
    ExactF32,
    /// `Kernel::<f32>::exp_euler` (the held-conductance step).
    ExpEulerF32,
    /// `Kernel::<f64>::accurate(RkControl::default())`.
    AccurateF64,
}

/// A comparison of a recorded trace with the backend's own `spikeport-lif` kernel stepped
/// by hand (for backends built on it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KernelCheck {
    /// The kernel.
    pub kind: KernelKind,
    /// Largest |V − V_kernel|, mV (0: bit-identical).
    pub max_mv: f64,
}

/// What a backend promises, per kind of comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    /// Largest |V − V_exact| of a subthreshold `IF_cond_exp` trace against the
    /// high-precision solution, mV.
    pub cond_trace_mv: f64,
    /// Largest |V − V_exact| of an `IF_curr_exp` trace against its closed form, and of an
    /// `IF_curr_delta_sub` trace against its exact jumps, mV.
    pub curr_trace_mv: f64,
    /// Largest difference, in steps, between a driven neuron's spike stamps over 1 s and
    /// the high-precision solution's; `None`: compare only the spike count.
    pub driven_spike_steps: Option<u64>,
    /// Largest relative difference of that neuron's spike count.
    pub driven_count_rel: f64,
    /// Largest difference, in steps, from the grid's timing rules where the dynamics
    /// leave no doubt: a neuron driven far above threshold fires in the update its input
    /// arrives in, an `IF_curr_delta_sub` neuron in the update its input crosses
    /// threshold.
    pub timing_steps: u64,
    /// Largest |Δ count| per neuron and image between runs that the contract says agree
    /// (an image alone or in a batch, on one copy or on several, after a weight update or
    /// freshly deployed). 0: the whole outputs must be equal.
    pub counts: u32,
    /// The hand-stepped kernel comparison, for backends built on `spikeport-lif`.
    pub kernel: Option<KernelCheck>,
}

impl Tolerances {
    /// Exact everywhere: every comparison must hold to rounding of f64 (1e-9 mV), no
    /// kernel comparison. A starting point for `..Tolerances::EXACT`.
    pub const EXACT: Tolerances = Tolerances {
        cond_trace_mv: 1e-9,
        curr_trace_mv: 1e-9,
        driven_spike_steps: Some(0),
        driven_count_rel: 0.0,
        timing_steps: 0,
        counts: 0,
        kernel: None,
    };
}

/// A smaller copy of the backend that bodies use to reach its limits, built by the hook
/// of [`Fixture::with_limits`].
#[derive(Clone, Debug, PartialEq)]
pub enum Limit {
    /// At most this many images per run.
    MaxBatch(usize),
    /// At most this many bytes allocated per run.
    MemoryBytes(usize),
    /// Only these neuron models.
    Models(Vec<ModelKind>),
}

type Make = Arc<dyn Fn(Mode) -> Box<dyn DynBackend> + Send + Sync>;
type Configure = Arc<dyn Fn(&Limit) -> Option<Box<dyn DynBackend>> + Send + Sync>;

/// One backend configuration under test: how to build it, its time step, tolerances,
/// declared unsupported features and differences by design, and known deviations.
#[derive(Clone)]
pub struct Fixture {
    name: String,
    dt_ms: f64,
    make: Option<Make>,
    skip: Option<String>,
    tolerances: Tolerances,
    constraints: Constraints,
    unsupported: Vec<(Feature, String)>,
    by_design: Vec<(Difference, String)>,
    deviations: Vec<(Body, String)>,
    volatile_counters: Vec<Counter>,
    limits: Option<Configure>,
}

impl fmt::Debug for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture")
            .field("name", &self.name)
            .field("dt_ms", &self.dt_ms)
            .field("skip", &self.skip)
            .field("tolerances", &self.tolerances)
            .field("constraints", &self.constraints)
            .field("unsupported", &self.unsupported)
            .field("by_design", &self.by_design)
            .field("deviations", &self.deviations)
            .field("volatile_counters", &self.volatile_counters)
            .finish_non_exhaustive()
    }
}

impl Fixture {
    /// A fixture called `name` for a backend stepping at `dt_ms` that `make` builds (for
    /// the [`Mode`] a body asks for), exact [`Tolerances`], no constraints, everything
    /// supported, nothing different by design.
    pub fn new(
        name: impl Into<String>,
        dt_ms: f64,
        make: impl Fn(Mode) -> Box<dyn DynBackend> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            dt_ms,
            make: Some(Arc::new(make)),
            skip: None,
            tolerances: Tolerances::EXACT,
            constraints: Constraints::default(),
            unsupported: Vec::new(),
            by_design: Vec::new(),
            deviations: Vec::new(),
            volatile_counters: Vec::new(),
            limits: None,
        }
    }

    /// A fixture whose backend is not available here (e.g. no GPU adapter): every body
    /// prints `reason` and passes.
    pub fn skipped(name: impl Into<String>, reason: impl Into<String>) -> Self {
        let mut f = Self::new(name, 1.0, |_| unreachable!("a skipped fixture builds no backend"));
        f.make = None;
        f.skip = Some(reason.into());
        f
    }

    /// The same fixture with tolerances `tolerances`.
    #[must_use]
    pub fn with_tolerances(mut self, tolerances: Tolerances) -> Self {
        self.tolerances = tolerances;
        self
    }

    /// The same fixture with the platform's per-synapse constraints.
    #[must_use]
    pub fn with_constraints(mut self, constraints: Constraints) -> Self {
        self.constraints = constraints;
        self
    }

    /// Declares `feature` unsupported, for `reason`: the bodies check that asking for it is
    /// a typed [`BackendError::Unsupported`].
    #[must_use]
    pub fn unsupported(mut self, feature: Feature, reason: impl Into<String>) -> Self {
        self.unsupported.push((feature, reason.into()));
        self
    }

    /// Declares a difference by design, with what it means for this backend.
    #[must_use]
    pub fn by_design(mut self, difference: Difference, note: impl Into<String>) -> Self {
        self.by_design.push((difference, note.into()));
        self
    }

    /// Marks `body` as a known deviation of this backend (a bug in the backend, recorded
    /// with the observed and expected behaviour in `reason`): the body must fail.
    #[must_use]
    pub fn known_deviation(mut self, body: Body, reason: impl Into<String>) -> Self {
        self.deviations.push((body, reason.into()));
        self
    }

    /// Declares activity counters that depend on how a run was split up on the host (e.g.
    /// GPU chunks and submissions); bit-identity checks leave them out.
    #[must_use]
    pub fn with_volatile_counters(mut self, counters: &[Counter]) -> Self {
        self.volatile_counters = counters.to_vec();
        self
    }

    /// A hook that builds the backend with a [`Limit`] (or `None` if it has no such
    /// setting), for the [`errors`](bodies::errors) body to reach the limits.
    #[must_use]
    pub fn with_limits(
        mut self,
        configure: impl Fn(&Limit) -> Option<Box<dyn DynBackend>> + Send + Sync + 'static,
    ) -> Self {
        self.limits = Some(Arc::new(configure));
        self
    }

    /// The fixture's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The time step, ms.
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// The tolerances.
    pub fn tolerances(&self) -> &Tolerances {
        &self.tolerances
    }

    /// The per-synapse constraints.
    pub fn constraints(&self) -> &Constraints {
        &self.constraints
    }

    /// Why the fixture is skipped, if it is.
    pub fn skip_reason(&self) -> Option<&str> {
        self.skip.as_deref()
    }

    /// Whether `feature` is supported (not declared unsupported).
    pub fn supports(&self, feature: Feature) -> bool {
        !self.unsupported.iter().any(|(f, _)| *f == feature)
    }

    /// The declared unsupported features with their reasons.
    pub fn unsupported_features(&self) -> &[(Feature, String)] {
        &self.unsupported
    }

    /// Whether `difference` is declared.
    pub fn differs(&self, difference: Difference) -> bool {
        self.by_design.iter().any(|(d, _)| *d == difference)
    }

    /// The declared differences by design with their notes.
    pub fn differences(&self) -> &[(Difference, String)] {
        &self.by_design
    }

    /// Whether a deployment's seed selects a chip (mismatch or noise drawn from it).
    pub fn seed_matters(&self) -> bool {
        self.differs(Difference::Mismatch) || self.differs(Difference::TrialNoise)
    }

    /// The reason `body` is a known deviation, if it is.
    pub fn deviation(&self, body: Body) -> Option<&str> {
        self.deviations.iter().find(|(b, _)| *b == body).map(|(_, r)| r.as_str())
    }

    /// The backend in `mode`, after checking that its platform facts agree with the
    /// fixture (time step, membrane traces, boundaries, models).
    ///
    /// **Panics** for a skipped fixture or when the facts disagree.
    #[track_caller]
    pub fn backend(&self, mode: Mode) -> Box<dyn DynBackend> {
        let make = self.make.as_ref().unwrap_or_else(|| panic!("fixture {} is skipped", self.name));
        let b = make(mode);
        let info = b.platform();
        assert!(
            (info.dt_ms - self.dt_ms).abs() < 1e-12,
            "{}: the backend steps at {} ms, the fixture says {} ms",
            self.name,
            info.dt_ms,
            self.dt_ms
        );
        let facts = [
            (Feature::MembraneTraces, info.membrane_traces),
            (Feature::ContinuousBoundary, info.boundaries.contains(&ImageBoundary::Continuous)),
            (Feature::Recurrence, !info.feed_forward_only),
            (Feature::Model(ModelKind::IfCondExp), info.supports(ModelKind::IfCondExp)),
            (Feature::Model(ModelKind::IfCurrExp), info.supports(ModelKind::IfCurrExp)),
            (Feature::Model(ModelKind::IfCurrDeltaSub), info.supports(ModelKind::IfCurrDeltaSub)),
        ];
        for (feature, offered) in facts {
            assert_eq!(
                offered,
                self.supports(feature),
                "{}: the platform facts say {feature} is {}supported, the fixture says otherwise",
                self.name,
                if offered { "" } else { "not " }
            );
        }
        b
    }

    /// The backend with `limit`, if the fixture has a hook for it.
    pub fn limited(&self, limit: &Limit) -> Option<Box<dyn DynBackend>> {
        self.limits.as_ref().and_then(|f| f(limit))
    }

    /// `out` without what legitimately differs between identical runs: host timings
    /// (wall time, and hardware time where it is the wall time) and the volatile
    /// counters.
    pub fn comparable(&self, mut out: RunOutput) -> RunOutput {
        out.activity.wall_time_s = 0.0;
        out.activity.hardware_time_s = 0.0;
        for c in &self.volatile_counters {
            out.activity.counters.remove(c);
        }
        out
    }

    /// Asserts that `result` is a typed [`BackendError::Unsupported`] naming this
    /// platform, for the declared unsupported `feature`.
    ///
    /// **Panics** otherwise, or if `feature` is not declared unsupported.
    #[track_caller]
    pub fn expect_unsupported<T>(
        &self,
        b: &dyn DynBackend,
        feature: Feature,
        result: Result<T, BackendError>,
    ) {
        assert!(!self.supports(feature), "{}: {feature} is supported", self.name);
        let name = &b.platform().name;
        match result {
            Err(BackendError::Unsupported { backend, what }) => {
                assert_eq!(&backend, name, "{}: Unsupported names another backend ({what})", self.name);
                eprintln!("{}: {feature} is unsupported as declared: {what}", self.name);
            }
            Err(other) => panic!("{}: asking for {feature} gave {other:?}, not Unsupported", self.name),
            Ok(_) => panic!("{}: {feature} is declared unsupported but was accepted", self.name),
        }
    }
}

/// The bodies of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// [`bodies::subthreshold_trace`].
    SubthresholdTrace,
    /// [`bodies::driven_spike_times`].
    DrivenSpikeTimes,
    /// [`bodies::curr_exp_closed_form`].
    CurrExpClosedForm,
    /// [`bodies::delta_sub_reset`].
    DeltaSubReset,
    /// [`bodies::two_layer_network`].
    TwoLayerNetwork,
    /// [`bodies::readout_window`].
    ReadoutWindow,
    /// [`bodies::recording`].
    Recording,
    /// [`bodies::determinism`].
    Determinism,
    /// [`bodies::reset_batch_independence`].
    ResetBatchIndependence,
    /// [`bodies::continuous_boundary`].
    ContinuousBoundary,
    /// [`bodies::errors`].
    Errors,
    /// [`bodies::absurd_requests`].
    AbsurdRequests,
    /// [`bodies::activity_counters`].
    ActivityCounters,
    /// [`bodies::weight_updates`].
    WeightUpdates,
    /// [`bodies::network_copies`].
    NetworkCopies,
    /// [`bodies::models_and_recurrence`].
    ModelsAndRecurrence,
}

impl Body {
    /// Every body, in the order of the suite.
    pub const ALL: [Body; 16] = [
        Body::SubthresholdTrace,
        Body::DrivenSpikeTimes,
        Body::CurrExpClosedForm,
        Body::DeltaSubReset,
        Body::TwoLayerNetwork,
        Body::ReadoutWindow,
        Body::Recording,
        Body::Determinism,
        Body::ResetBatchIndependence,
        Body::ContinuousBoundary,
        Body::Errors,
        Body::AbsurdRequests,
        Body::ActivityCounters,
        Body::WeightUpdates,
        Body::NetworkCopies,
        Body::ModelsAndRecurrence,
    ];

    /// The body's function name (and test name).
    pub fn name(self) -> &'static str {
        match self {
            Body::SubthresholdTrace => "subthreshold_trace",
            Body::DrivenSpikeTimes => "driven_spike_times",
            Body::CurrExpClosedForm => "curr_exp_closed_form",
            Body::DeltaSubReset => "delta_sub_reset",
            Body::TwoLayerNetwork => "two_layer_network",
            Body::ReadoutWindow => "readout_window",
            Body::Recording => "recording",
            Body::Determinism => "determinism",
            Body::ResetBatchIndependence => "reset_batch_independence",
            Body::ContinuousBoundary => "continuous_boundary",
            Body::Errors => "errors",
            Body::AbsurdRequests => "absurd_requests",
            Body::ActivityCounters => "activity_counters",
            Body::WeightUpdates => "weight_updates",
            Body::NetworkCopies => "network_copies",
            Body::ModelsAndRecurrence => "models_and_recurrence",
        }
    }

    /// The body called `name`.
    pub fn from_name(name: &str) -> Option<Body> {
        Body::ALL.into_iter().find(|b| b.name() == name)
    }

    /// Runs the body against `fixture`.
    ///
    /// **Panics** when the backend does not conform.
    #[track_caller]
    pub fn run(self, fixture: &Fixture) {
        match self {
            Body::SubthresholdTrace => bodies::subthreshold_trace(fixture),
            Body::DrivenSpikeTimes => bodies::driven_spike_times(fixture),
            Body::CurrExpClosedForm => bodies::curr_exp_closed_form(fixture),
            Body::DeltaSubReset => bodies::delta_sub_reset(fixture),
            Body::TwoLayerNetwork => bodies::two_layer_network(fixture),
            Body::ReadoutWindow => bodies::readout_window(fixture),
            Body::Recording => bodies::recording(fixture),
            Body::Determinism => bodies::determinism(fixture),
            Body::ResetBatchIndependence => bodies::reset_batch_independence(fixture),
            Body::ContinuousBoundary => bodies::continuous_boundary(fixture),
            Body::Errors => bodies::errors(fixture),
            Body::AbsurdRequests => bodies::absurd_requests(fixture),
            Body::ActivityCounters => bodies::activity_counters(fixture),
            Body::WeightUpdates => bodies::weight_updates(fixture),
            Body::NetworkCopies => bodies::network_copies(fixture),
            Body::ModelsAndRecurrence => bodies::models_and_recurrence(fixture),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Fixture {
        Fixture::new("toy", 1.0, |_| unreachable!("the toy fixture builds no backend"))
    }

    #[test]
    fn bodies_have_unique_names_that_round_trip() {
        let names: Vec<&str> = Body::ALL.iter().map(|b| b.name()).collect();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(Body::from_name(n), Some(Body::ALL[i]));
            assert!(!names[..i].contains(n), "{n} twice");
        }
        assert_eq!(Body::from_name("no_such_body"), None);
        crate::check_complete(&names);
    }

    #[test]
    fn declarations_are_queried() {
        let fx = toy()
            .unsupported(Feature::MembraneTraces, "no readout")
            .by_design(Difference::Mismatch, "per seed")
            .known_deviation(Body::Errors, "a bug")
            .with_volatile_counters(&[Counter::GpuChunks]);
        assert!(!fx.supports(Feature::MembraneTraces) && fx.supports(Feature::ContinuousBoundary));
        assert!(fx.differs(Difference::Mismatch) && !fx.differs(Difference::TrialNoise));
        assert!(fx.seed_matters());
        assert_eq!(fx.deviation(Body::Errors), Some("a bug"));
        assert_eq!(fx.deviation(Body::Recording), None);
        assert_eq!(fx.unsupported_features().len(), 1);
        assert!(fx.limited(&Limit::MaxBatch(2)).is_none());
        let mut out = RunOutput::default();
        out.activity.wall_time_s = 1.0;
        out.activity.counters.insert(Counter::GpuChunks, 3);
        out.activity.counters.insert(Counter::GpuSubmissions, 4);
        let c = fx.comparable(out);
        assert_eq!(c.activity.wall_time_s, 0.0);
        assert_eq!(c.activity.counters.len(), 1);
        assert_eq!(Feature::Model(ModelKind::IfCurrExp).to_string(), "the IF_curr_exp neuron model");
    }

    #[test]
    fn a_skipped_fixture_runs_nothing() {
        let fx = Fixture::skipped("absent", "no device");
        assert_eq!(fx.skip_reason(), Some("no device"));
        for body in Body::ALL {
            crate::run_body(&fx, body.name());
        }
    }
}
