//! Neuron models with PyNN names and units, and their checked parameters.
//!
//! Each model comes as a pair, in the linfa style:
//!
//! * `XxxParams` — a consuming builder that starts from the defaults (PyNN's, where
//!   PyNN has the model) and may hold invalid values;
//! * `XxxValidParams` — what [`XxxParams::check`](IfCondExpParams::check) returns: every
//!   field has been checked, the fields are private, and only this type enters a
//!   [`NeuronModel`] and so reaches a simulator.
//!
//! Serialised forms use PyNN's parameter names (`tau_syn_E`, `e_rev_I`, …); missing
//! fields take the defaults, unknown fields are rejected, and deserialising a
//! `XxxValidParams` runs the same checks as `check()`.
//!
//! Units (PyNN's): membrane potentials mV, capacitance nF, time constants ms, currents
//! nA, conductances µS. They combine without factors: nA · ms / nF = mV and
//! µS · mV = nA.
//!
//! ```
//! use spikeport_snn::{IfCondExpParams, SnnError};
//!
//! // The paper's digital setting (NEST, GeNN, SpiNNaker rows of DESIGN.md §4).
//! let p = IfCondExpParams::paper_digital().check()?;
//! assert_eq!(p.cm(), 0.2);
//! assert_eq!(p.e_rev_i(), -130.0);
//!
//! // One error variant per violated constraint.
//! let err = IfCondExpParams::new().tau_m(0.0).check().unwrap_err();
//! assert!(matches!(err, SnnError::NonPositiveTimeConstant { param: "tau_m", .. }));
//! # Ok::<(), SnnError>(())
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::SnnError;

/// Generates, for one neuron model: the checked parameter struct (private fields,
/// getters), the builder newtype (setters, `check`), a private serde mirror with PyNN
/// field names, and the conversions between them. The constraints themselves are
/// written by hand in `fn validate` per model.
macro_rules! neuron_params {
    (
        model: $model:literal,
        $(#[$vmeta:meta])*
        valid: $Valid:ident,
        $(#[$bmeta:meta])*
        builder: $Builder:ident,
        raw: $Raw:ident,
        fields: {
            $(
                $(#[$fmeta:meta])*
                $field:ident ($pynn:literal): $ty:ty = $default:expr,
            )*
        }
    ) => {
        $(#[$vmeta])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $Valid {
            $( $field: $ty, )*
        }

        impl $Valid {
            /// PyNN-style name of the model.
            pub const MODEL: &'static str = $model;

            $(
                $(#[$fmeta])*
                #[inline]
                pub fn $field(&self) -> $ty {
                    self.$field
                }
            )*
        }

        impl Default for $Valid {
            /// The defaults listed on the builder's `new()`; they pass `check()`.
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        $(#[$bmeta])*
        #[derive(Clone, Copy, Debug, PartialEq, Default)]
        pub struct $Builder($Valid);

        impl $Builder {
            $(
                #[doc = concat!("Set `", $pynn, "`; see [`", stringify!($Valid), "::",
                    stringify!($field), "`] for meaning and unit.")]
                #[must_use]
                pub fn $field(mut self, value: $ty) -> Self {
                    self.0.$field = value;
                    self
                }
            )*

            /// Check every constraint and borrow the parameters as valid.
            ///
            /// **Errors** with the [`SnnError`] variant of the first violated constraint.
            pub fn check_ref(&self) -> Result<&$Valid, SnnError> {
                self.0.validate()?;
                Ok(&self.0)
            }

            /// Check every constraint and return the valid parameters.
            ///
            /// **Errors** with the [`SnnError`] variant of the first violated constraint.
            pub fn check(self) -> Result<$Valid, SnnError> {
                self.0.validate()?;
                Ok(self.0)
            }

            /// Check and wrap the parameters as a [`NeuronModel`].
            ///
            /// **Errors** as [`check`](Self::check).
            pub fn into_model(self) -> Result<NeuronModel, SnnError> {
                self.check().map(NeuronModel::from)
            }
        }

        impl From<$Valid> for $Builder {
            fn from(valid: $Valid) -> Self {
                Self(valid)
            }
        }

        #[derive(Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        struct $Raw {
            $( #[serde(rename = $pynn)] $field: $ty, )*
        }

        impl Default for $Raw {
            fn default() -> Self {
                $Valid::default().into()
            }
        }

        impl From<$Valid> for $Raw {
            fn from(v: $Valid) -> Self {
                Self { $( $field: v.$field, )* }
            }
        }

        impl From<$Raw> for $Builder {
            fn from(r: $Raw) -> Self {
                Self($Valid { $( $field: r.$field, )* })
            }
        }

        impl Serialize for $Valid {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $Raw::from(*self).serialize(s)
            }
        }

        impl<'de> Deserialize<'de> for $Valid {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = $Raw::deserialize(d)?;
                $Builder::from(raw).check().map_err(serde::de::Error::custom)
            }
        }

        impl Serialize for $Builder {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $Raw::from(self.0).serialize(s)
            }
        }

        impl<'de> Deserialize<'de> for $Builder {
            /// Reads unchecked parameters; call `check()` afterwards.
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $Raw::deserialize(d).map($Builder::from)
            }
        }
    };
}

fn finite(model: &'static str, param: &'static str, value: f64) -> Result<(), SnnError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(SnnError::NonFinite { model, param, value })
    }
}

fn positive_tau(model: &'static str, param: &'static str, value: f64) -> Result<(), SnnError> {
    finite(model, param, value)?;
    if value > 0.0 {
        Ok(())
    } else {
        Err(SnnError::NonPositiveTimeConstant { model, param, value })
    }
}

fn positive_cm(model: &'static str, cm: f64) -> Result<(), SnnError> {
    finite(model, "cm", cm)?;
    if cm > 0.0 {
        Ok(())
    } else {
        Err(SnnError::NonPositiveCapacitance { model, cm })
    }
}

fn refractory(model: &'static str, tau_refrac: f64) -> Result<(), SnnError> {
    finite(model, "tau_refrac", tau_refrac)?;
    if tau_refrac >= 0.0 {
        Ok(())
    } else {
        Err(SnnError::NegativeRefractoryPeriod { model, tau_refrac })
    }
}

fn threshold(model: &'static str, v_thresh: f64, v_reset: f64) -> Result<(), SnnError> {
    finite(model, "v_thresh", v_thresh)?;
    finite(model, "v_reset", v_reset)?;
    if v_thresh > v_reset {
        Ok(())
    } else {
        Err(SnnError::ThresholdNotAboveReset { model, v_thresh, v_reset })
    }
}

// ------------------------------------------------------------------------------------
// IF_cond_exp
// ------------------------------------------------------------------------------------

neuron_params! {
    model: "IF_cond_exp",
    /// Checked parameters of PyNN's `IF_cond_exp`: a leaky integrate-and-fire neuron with
    /// a fixed threshold and exponentially decaying synaptic *conductances*.
    ///
    /// ```text
    /// cm dV/dt  = cm (v_rest − V)/tau_m + g_E (e_rev_E − V) + g_I (e_rev_I − V) + i_offset
    /// dg_X/dt   = −g_X / tau_syn_X                 (X = E, I)
    /// spike of weight w at receptor X:  g_X ← g_X + |w|      (w in µS)
    /// V ≥ v_thresh on the grid:  spike, V ← v_reset, V held at v_reset for tau_refrac
    /// ```
    ///
    /// Build it with [`IfCondExpParams`]. Defaults are PyNN's (see
    /// [`IfCondExpParams::new`]).
    valid: IfCondExpValidParams,
    /// Builder for [`IfCondExpValidParams`] (PyNN `IF_cond_exp`).
    builder: IfCondExpParams,
    raw: RawIfCondExp,
    fields: {
        /// Membrane capacitance `cm`, nF.
        cm ("cm"): f64 = 1.0,
        /// Membrane time constant `tau_m`, ms (leak conductance = cm / tau_m, µS).
        tau_m ("tau_m"): f64 = 20.0,
        /// Decay time constant of the excitatory conductance `tau_syn_E`, ms.
        tau_syn_e ("tau_syn_E"): f64 = 5.0,
        /// Decay time constant of the inhibitory conductance `tau_syn_I`, ms.
        tau_syn_i ("tau_syn_I"): f64 = 5.0,
        /// Absolute refractory period `tau_refrac`, ms.
        tau_refrac ("tau_refrac"): f64 = 0.1,
        /// Resting (leak reversal) potential `v_rest`, mV; also the initial potential.
        v_rest ("v_rest"): f64 = -65.0,
        /// Reset potential after a spike `v_reset`, mV.
        v_reset ("v_reset"): f64 = -65.0,
        /// Spike threshold `v_thresh`, mV.
        v_thresh ("v_thresh"): f64 = -50.0,
        /// Excitatory reversal potential `e_rev_E`, mV.
        e_rev_e ("e_rev_E"): f64 = 0.0,
        /// Inhibitory reversal potential `e_rev_I`, mV.
        e_rev_i ("e_rev_I"): f64 = -70.0,
        /// Constant offset current `i_offset`, nA.
        i_offset ("i_offset"): f64 = 0.0,
    }
}

impl IfCondExpValidParams {
    fn validate(&self) -> Result<(), SnnError> {
        let m = Self::MODEL;
        positive_cm(m, self.cm)?;
        positive_tau(m, "tau_m", self.tau_m)?;
        positive_tau(m, "tau_syn_E", self.tau_syn_e)?;
        positive_tau(m, "tau_syn_I", self.tau_syn_i)?;
        refractory(m, self.tau_refrac)?;
        finite(m, "v_rest", self.v_rest)?;
        threshold(m, self.v_thresh, self.v_reset)?;
        finite(m, "e_rev_E", self.e_rev_e)?;
        finite(m, "e_rev_I", self.e_rev_i)?;
        finite(m, "i_offset", self.i_offset)
    }

    /// Leak conductance `cm / tau_m`, µS.
    pub fn g_leak(&self) -> f64 {
        self.cm / self.tau_m
    }
}

impl IfCondExpParams {
    /// Start from PyNN's defaults for `IF_cond_exp`:
    ///
    /// | parameter | default | unit |
    /// |---|---|---|
    /// | cm | 1.0 | nF |
    /// | tau_m | 20.0 | ms |
    /// | tau_syn_E | 5.0 | ms |
    /// | tau_syn_I | 5.0 | ms |
    /// | tau_refrac | 0.1 | ms |
    /// | v_rest | −65.0 | mV |
    /// | v_reset | −65.0 | mV |
    /// | v_thresh | −50.0 | mV |
    /// | e_rev_E | 0.0 | mV |
    /// | e_rev_I | −70.0 | mV |
    /// | i_offset | 0.0 | nA |
    ///
    /// ```
    /// # use spikeport_snn::IfCondExpParams;
    /// let p = IfCondExpParams::new().check().unwrap();
    /// assert_eq!((p.cm(), p.tau_m(), p.tau_syn_e(), p.tau_syn_i()), (1.0, 20.0, 5.0, 5.0));
    /// assert_eq!((p.tau_refrac(), p.v_rest(), p.v_reset(), p.v_thresh()), (0.1, -65.0, -65.0, -50.0));
    /// assert_eq!((p.e_rev_e(), p.e_rev_i(), p.i_offset()), (0.0, -70.0, 0.0));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The paper's digital setting (NEST, GeNN and SpiNNaker rows of Ostrau et al. 2020,
    /// DESIGN.md §4): cm 0.2 nF, tau_m 20 ms, tau_syn_E = tau_syn_I = 3 ms,
    /// v_rest −65 mV, v_reset −75 mV, v_thresh −55 mV, tau_refrac 0 ms, e_rev_E 0 mV,
    /// e_rev_I −130 mV, i_offset 0 nA.
    pub fn paper_digital() -> Self {
        Self::new()
            .cm(0.2)
            .tau_m(20.0)
            .tau_syn_e(3.0)
            .tau_syn_i(3.0)
            .tau_refrac(0.0)
            .v_rest(-65.0)
            .v_reset(-75.0)
            .v_thresh(-55.0)
            .e_rev_e(0.0)
            .e_rev_i(-130.0)
            .i_offset(0.0)
    }

    /// The paper's BrainScaleS setting (DESIGN.md §4): cm 0.2 nF, tau_m 20 ms,
    /// tau_syn_E = tau_syn_I = 5 ms, v_rest −40 mV, v_reset −65 mV, v_thresh −25 mV,
    /// tau_refrac 0.1 ms, e_rev_E 0 mV, e_rev_I −80 mV, i_offset 0 nA.
    pub fn paper_brainscales() -> Self {
        Self::new()
            .cm(0.2)
            .tau_m(20.0)
            .tau_syn_e(5.0)
            .tau_syn_i(5.0)
            .tau_refrac(0.1)
            .v_rest(-40.0)
            .v_reset(-65.0)
            .v_thresh(-25.0)
            .e_rev_e(0.0)
            .e_rev_i(-80.0)
            .i_offset(0.0)
    }
}

// ------------------------------------------------------------------------------------
// IF_curr_exp
// ------------------------------------------------------------------------------------

neuron_params! {
    model: "IF_curr_exp",
    /// Checked parameters of PyNN's `IF_curr_exp`: a leaky integrate-and-fire neuron with
    /// a fixed threshold and exponentially decaying synaptic *currents*.
    ///
    /// ```text
    /// cm dV/dt  = cm (v_rest − V)/tau_m + I_E − I_I + i_offset
    /// dI_X/dt   = −I_X / tau_syn_X                 (X = E, I)
    /// spike of weight w at receptor X:  I_X ← I_X + |w|      (w in nA)
    /// V ≥ v_thresh on the grid:  spike, V ← v_reset, V held at v_reset for tau_refrac
    /// ```
    ///
    /// Build it with [`IfCurrExpParams`]. Defaults are PyNN's (see
    /// [`IfCurrExpParams::new`]).
    valid: IfCurrExpValidParams,
    /// Builder for [`IfCurrExpValidParams`] (PyNN `IF_curr_exp`).
    builder: IfCurrExpParams,
    raw: RawIfCurrExp,
    fields: {
        /// Membrane capacitance `cm`, nF.
        cm ("cm"): f64 = 1.0,
        /// Membrane time constant `tau_m`, ms.
        tau_m ("tau_m"): f64 = 20.0,
        /// Decay time constant of the excitatory current `tau_syn_E`, ms.
        tau_syn_e ("tau_syn_E"): f64 = 5.0,
        /// Decay time constant of the inhibitory current `tau_syn_I`, ms.
        tau_syn_i ("tau_syn_I"): f64 = 5.0,
        /// Absolute refractory period `tau_refrac`, ms.
        tau_refrac ("tau_refrac"): f64 = 0.1,
        /// Resting potential `v_rest`, mV; also the initial potential.
        v_rest ("v_rest"): f64 = -65.0,
        /// Reset potential after a spike `v_reset`, mV.
        v_reset ("v_reset"): f64 = -65.0,
        /// Spike threshold `v_thresh`, mV.
        v_thresh ("v_thresh"): f64 = -50.0,
        /// Constant offset current `i_offset`, nA.
        i_offset ("i_offset"): f64 = 0.0,
    }
}

impl IfCurrExpValidParams {
    fn validate(&self) -> Result<(), SnnError> {
        let m = Self::MODEL;
        positive_cm(m, self.cm)?;
        positive_tau(m, "tau_m", self.tau_m)?;
        positive_tau(m, "tau_syn_E", self.tau_syn_e)?;
        positive_tau(m, "tau_syn_I", self.tau_syn_i)?;
        refractory(m, self.tau_refrac)?;
        finite(m, "v_rest", self.v_rest)?;
        threshold(m, self.v_thresh, self.v_reset)?;
        finite(m, "i_offset", self.i_offset)
    }
}

impl IfCurrExpParams {
    /// Start from PyNN's defaults for `IF_curr_exp`:
    ///
    /// | parameter | default | unit |
    /// |---|---|---|
    /// | cm | 1.0 | nF |
    /// | tau_m | 20.0 | ms |
    /// | tau_syn_E | 5.0 | ms |
    /// | tau_syn_I | 5.0 | ms |
    /// | tau_refrac | 0.1 | ms |
    /// | v_rest | −65.0 | mV |
    /// | v_reset | −65.0 | mV |
    /// | v_thresh | −50.0 | mV |
    /// | i_offset | 0.0 | nA |
    ///
    /// ```
    /// # use spikeport_snn::IfCurrExpParams;
    /// let p = IfCurrExpParams::new().check().unwrap();
    /// assert_eq!((p.cm(), p.tau_m(), p.tau_syn_e(), p.tau_syn_i()), (1.0, 20.0, 5.0, 5.0));
    /// assert_eq!((p.tau_refrac(), p.v_rest(), p.v_reset(), p.v_thresh()), (0.1, -65.0, -65.0, -50.0));
    /// assert_eq!(p.i_offset(), 0.0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
}

// ------------------------------------------------------------------------------------
// IF with delta synapses and reset by subtraction
// ------------------------------------------------------------------------------------

neuron_params! {
    model: "IF_curr_delta_sub",
    /// Checked parameters of an integrate-and-fire neuron with instantaneous (delta)
    /// synapses and *reset by subtraction*, for per-layer normalised ANN conversion
    /// (Rueckauer et al. 2017, "Conversion of continuous-valued deep networks to
    /// efficient event-driven networks for image classification", Front. Neurosci.).
    /// PyNN has no such model; the name follows PyNN's `IF_curr_delta`, whose
    /// parameters it shares.
    ///
    /// ```text
    /// cm dV/dt = cm (v_rest − V)/tau_m + i_offset     (no leak term when tau_m is None)
    /// spike of signed weight w (mV):  V ← V + w        (excitatory w > 0, inhibitory w < 0)
    /// V ≥ v_thresh on the grid:  spike, V ← V − (v_thresh − v_reset)
    /// ```
    ///
    /// Subtracting `v_thresh − v_reset` keeps the residual `V − v_thresh` above the
    /// threshold, which removes the systematic rate loss of reset-to-zero. At most one
    /// spike is emitted per time step, so a residual above a second threshold is carried
    /// into the next step. During the refractory period V is held and arriving input is
    /// discarded (as NEST's `iaf_psc_delta`). The defaults are Rueckauer's normalised
    /// units: no leak, v_rest = v_reset = 0 mV, v_thresh = 1 mV, so a weight of 1 mV is one
    /// threshold. Build it with [`IfCurrDeltaSubParams`].
    valid: IfCurrDeltaSubValidParams,
    /// Builder for [`IfCurrDeltaSubValidParams`].
    builder: IfCurrDeltaSubParams,
    raw: RawIfCurrDeltaSub,
    fields: {
        /// Membrane capacitance `cm`, nF; scales only `i_offset`.
        cm ("cm"): f64 = 1.0,
        /// Membrane time constant `tau_m`, ms; `None` for a perfect (non-leaky)
        /// integrator.
        tau_m ("tau_m"): Option<f64> = None,
        /// Absolute refractory period `tau_refrac`, ms.
        tau_refrac ("tau_refrac"): f64 = 0.0,
        /// Resting potential `v_rest`, mV: leak target and initial potential.
        v_rest ("v_rest"): f64 = 0.0,
        /// Reset reference `v_reset`, mV: a spike subtracts `v_thresh − v_reset`.
        v_reset ("v_reset"): f64 = 0.0,
        /// Spike threshold `v_thresh`, mV.
        v_thresh ("v_thresh"): f64 = 1.0,
        /// Constant offset current `i_offset`, nA (a bias: `i_offset · dt / cm` mV per
        /// step without leak).
        i_offset ("i_offset"): f64 = 0.0,
    }
}

impl IfCurrDeltaSubValidParams {
    fn validate(&self) -> Result<(), SnnError> {
        let m = Self::MODEL;
        positive_cm(m, self.cm)?;
        if let Some(tau_m) = self.tau_m {
            positive_tau(m, "tau_m", tau_m)?;
        }
        refractory(m, self.tau_refrac)?;
        finite(m, "v_rest", self.v_rest)?;
        threshold(m, self.v_thresh, self.v_reset)?;
        finite(m, "i_offset", self.i_offset)
    }

    /// The amount a spike subtracts from V, `v_thresh − v_reset`, mV (> 0).
    pub fn reset_step(&self) -> f64 {
        self.v_thresh - self.v_reset
    }
}

impl IfCurrDeltaSubParams {
    /// Start from the defaults (Rueckauer's normalised units):
    ///
    /// | parameter | default | unit |
    /// |---|---|---|
    /// | cm | 1.0 | nF |
    /// | tau_m | None (no leak) | ms |
    /// | tau_refrac | 0.0 | ms |
    /// | v_rest | 0.0 | mV |
    /// | v_reset | 0.0 | mV |
    /// | v_thresh | 1.0 | mV |
    /// | i_offset | 0.0 | nA |
    ///
    /// ```
    /// # use spikeport_snn::IfCurrDeltaSubParams;
    /// let p = IfCurrDeltaSubParams::new().check().unwrap();
    /// assert_eq!((p.cm(), p.tau_m(), p.tau_refrac()), (1.0, None, 0.0));
    /// assert_eq!((p.v_rest(), p.v_reset(), p.v_thresh(), p.i_offset()), (0.0, 0.0, 1.0, 0.0));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
}

// ------------------------------------------------------------------------------------
// The model enum
// ------------------------------------------------------------------------------------

/// How a synapse onto a model acts, and so the unit of the weights that target it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SynapseKind {
    /// A spike adds |w| µS to an exponentially decaying conductance.
    Conductance,
    /// A spike adds |w| nA to an exponentially decaying current.
    Current,
    /// A spike moves the membrane potential by w mV at once.
    VoltageJump,
}

impl SynapseKind {
    /// Unit of a weight onto this synapse kind: `"uS"`, `"nA"` or `"mV"`.
    pub fn weight_unit(self) -> &'static str {
        match self {
            Self::Conductance => "uS",
            Self::Current => "nA",
            Self::VoltageJump => "mV",
        }
    }
}

/// Which neuron model a population uses, without its parameters (for capability lists
/// such as [`PlatformInfo::models`](crate::PlatformInfo::models)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ModelKind {
    /// Input spike source (PyNN `SpikeSourceArray`).
    SpikeSource,
    /// PyNN `IF_cond_exp`.
    IfCondExp,
    /// PyNN `IF_curr_exp`.
    IfCurrExp,
    /// Delta-synapse IF with reset by subtraction ([`IfCurrDeltaSubValidParams`]).
    IfCurrDeltaSub,
}

impl ModelKind {
    /// The PyNN-style model name (`"SpikeSourceArray"`, `"IF_cond_exp"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::SpikeSource => "SpikeSourceArray",
            Self::IfCondExp => IfCondExpValidParams::MODEL,
            Self::IfCurrExp => IfCurrExpValidParams::MODEL,
            Self::IfCurrDeltaSub => IfCurrDeltaSubValidParams::MODEL,
        }
    }

    /// How synapses onto this model act; `None` for the spike source, which has none.
    pub fn synapse_kind(self) -> Option<SynapseKind> {
        match self {
            Self::SpikeSource => None,
            Self::IfCondExp => Some(SynapseKind::Conductance),
            Self::IfCurrExp => Some(SynapseKind::Current),
            Self::IfCurrDeltaSub => Some(SynapseKind::VoltageJump),
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A population's neuron model with its checked parameters.
///
/// Serialised as `{"model": "IfCondExp", "params": {...PyNN names...}}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", content = "params")]
#[non_exhaustive]
pub enum NeuronModel {
    /// The input layer: neurons that emit the spikes of a [`SpikeInput`](crate::SpikeInput).
    SpikeSource,
    /// PyNN `IF_cond_exp` (weights in µS).
    IfCondExp(IfCondExpValidParams),
    /// PyNN `IF_curr_exp` (weights in nA).
    IfCurrExp(IfCurrExpValidParams),
    /// Delta-synapse IF with reset by subtraction (weights in mV).
    IfCurrDeltaSub(IfCurrDeltaSubValidParams),
}

impl NeuronModel {
    /// The model without its parameters.
    pub fn kind(&self) -> ModelKind {
        match self {
            Self::SpikeSource => ModelKind::SpikeSource,
            Self::IfCondExp(_) => ModelKind::IfCondExp,
            Self::IfCurrExp(_) => ModelKind::IfCurrExp,
            Self::IfCurrDeltaSub(_) => ModelKind::IfCurrDeltaSub,
        }
    }

    /// PyNN-style model name.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Potential a neuron starts from (and returns to between images), mV; `None` for the
    /// spike source.
    pub fn v_rest(&self) -> Option<f64> {
        match self {
            Self::SpikeSource => None,
            Self::IfCondExp(p) => Some(p.v_rest()),
            Self::IfCurrExp(p) => Some(p.v_rest()),
            Self::IfCurrDeltaSub(p) => Some(p.v_rest()),
        }
    }
}

impl From<IfCondExpValidParams> for NeuronModel {
    fn from(p: IfCondExpValidParams) -> Self {
        Self::IfCondExp(p)
    }
}

impl From<IfCurrExpValidParams> for NeuronModel {
    fn from(p: IfCurrExpValidParams) -> Self {
        Self::IfCurrExp(p)
    }
}

impl From<IfCurrDeltaSubValidParams> for NeuronModel {
    fn from(p: IfCurrDeltaSubValidParams) -> Self {
        Self::IfCurrDeltaSub(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_their_checks() {
        assert!(IfCondExpParams::new().check().is_ok());
        assert!(IfCondExpParams::paper_digital().check().is_ok());
        assert!(IfCondExpParams::paper_brainscales().check().is_ok());
        assert!(IfCurrExpParams::new().check().is_ok());
        assert!(IfCurrDeltaSubParams::new().check().is_ok());
    }

    #[test]
    fn paper_digital_matches_design() {
        let p = IfCondExpParams::paper_digital().check().unwrap();
        assert_eq!(p.cm(), 0.2);
        assert_eq!(p.tau_m(), 20.0);
        assert_eq!((p.tau_syn_e(), p.tau_syn_i()), (3.0, 3.0));
        assert_eq!((p.v_rest(), p.v_reset(), p.v_thresh()), (-65.0, -75.0, -55.0));
        assert_eq!(p.tau_refrac(), 0.0);
        assert_eq!((p.e_rev_e(), p.e_rev_i()), (0.0, -130.0));
        assert!((p.g_leak() - 0.01).abs() < 1e-15);
    }

    #[test]
    fn one_variant_per_violated_constraint() {
        let e = IfCondExpParams::new().cm(0.0).check().unwrap_err();
        assert_eq!(e, SnnError::NonPositiveCapacitance { model: "IF_cond_exp", cm: 0.0 });
        let e = IfCondExpParams::new().tau_syn_i(-1.0).check().unwrap_err();
        assert!(matches!(e, SnnError::NonPositiveTimeConstant { param: "tau_syn_I", .. }));
        let e = IfCurrExpParams::new().tau_syn_e(0.0).check().unwrap_err();
        assert!(matches!(e, SnnError::NonPositiveTimeConstant { param: "tau_syn_E", .. }));
        let e = IfCondExpParams::new().v_thresh(-70.0).check().unwrap_err();
        assert!(matches!(e, SnnError::ThresholdNotAboveReset { .. }));
        let e = IfCondExpParams::new().v_thresh(-65.0).check().unwrap_err();
        assert!(matches!(e, SnnError::ThresholdNotAboveReset { .. }), "equal is invalid");
        let e = IfCurrExpParams::new().tau_refrac(-0.1).check().unwrap_err();
        assert!(matches!(e, SnnError::NegativeRefractoryPeriod { .. }));
        let e = IfCondExpParams::new().e_rev_i(f64::NAN).check().unwrap_err();
        assert!(matches!(e, SnnError::NonFinite { param: "e_rev_I", .. }));
        let e = IfCondExpParams::new().tau_m(f64::INFINITY).check().unwrap_err();
        assert!(matches!(e, SnnError::NonFinite { param: "tau_m", .. }));
        let e = IfCurrDeltaSubParams::new().tau_m(Some(0.0)).check().unwrap_err();
        assert!(matches!(e, SnnError::NonPositiveTimeConstant { .. }));
        let e = IfCurrDeltaSubParams::new().v_reset(1.0).check().unwrap_err();
        assert!(matches!(e, SnnError::ThresholdNotAboveReset { .. }));
        let e = IfCurrDeltaSubParams::new().i_offset(f64::NEG_INFINITY).check().unwrap_err();
        assert!(matches!(e, SnnError::NonFinite { .. }));
    }

    #[test]
    fn serde_uses_pynn_names_and_checks() {
        let p = IfCondExpParams::paper_digital().check().unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"tau_syn_E\":3.0"), "{json}");
        assert!(json.contains("\"e_rev_I\":-130.0"), "{json}");
        let back: IfCondExpValidParams = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        // Missing fields take defaults.
        let partial: IfCondExpValidParams = serde_json::from_str(r#"{"cm": 0.5}"#).unwrap();
        assert_eq!(partial.cm(), 0.5);
        assert_eq!(partial.tau_m(), 20.0);
        // Invalid values are rejected on deserialisation.
        let bad = serde_json::from_str::<IfCondExpValidParams>(r#"{"tau_m": -1.0}"#);
        assert!(bad.is_err());
        // Unknown fields are rejected.
        let unknown = serde_json::from_str::<IfCondExpValidParams>(r#"{"tau_mem": 1.0}"#);
        assert!(unknown.is_err());
        // The builder reads unchecked values.
        let b: IfCondExpParams = serde_json::from_str(r#"{"tau_m": -1.0}"#).unwrap();
        assert!(b.check().is_err());
        // Model enum round trip.
        let m = NeuronModel::from(p);
        let json = serde_json::to_string(&m).unwrap();
        let back: NeuronModel = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let delta = IfCurrDeltaSubParams::new().into_model().unwrap();
        let back: NeuronModel = serde_json::from_str(&serde_json::to_string(&delta).unwrap()).unwrap();
        assert_eq!(back, delta);
    }

    #[test]
    fn kinds_and_units() {
        assert_eq!(ModelKind::IfCondExp.name(), "IF_cond_exp");
        assert_eq!(ModelKind::IfCondExp.synapse_kind().map(SynapseKind::weight_unit), Some("uS"));
        assert_eq!(ModelKind::IfCurrExp.synapse_kind().map(SynapseKind::weight_unit), Some("nA"));
        assert_eq!(ModelKind::IfCurrDeltaSub.synapse_kind().map(SynapseKind::weight_unit), Some("mV"));
        assert_eq!(ModelKind::SpikeSource.synapse_kind(), None);
        assert_eq!(NeuronModel::SpikeSource.v_rest(), None);
    }
}
