//! [`Analog`]: the `Backend` of both platform profiles, and the paper's settings per
//! [`Platform`].

use spikeport_snn::{
    BackendError, Encoder, IfCondExpParams, ImageBoundary, ModelKind, PlatformInfo, SnnNetwork,
    WeightResolution,
};

use crate::config::{Mismatch, Noise, Profile, Variability};
use crate::mapping::{check_fit, Requirements};
use crate::AnalogError;

/// An analog platform model (Spikey or BrainScaleS-1) with its mismatch and noise
/// settings; see the [crate docs](crate).
#[derive(Clone, Debug, PartialEq)]
pub struct Analog {
    pub(crate) profile: Profile,
    pub(crate) variability: Variability,
    pub(crate) info: PlatformInfo,
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
        // the chip's own mapping checks the neuron limit and names the resource (neurons per
        // block, HICANNs), see `check_fit_for`
        info.max_neurons = None;
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
    /// **Errors** as [`Backend::deploy`](spikeport_snn::Backend::deploy) would; use
    /// [`crate::requirements`] for the complete list of problems.
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
