//! The linear energy model: [`Term`]s, [`Coefficient`]s, [`Profile`]s and
//! [`estimate`].
//!
//! A profile prices a run as a sum of terms, each a coefficient times a quantity read
//! from an [`EnergyInput`]:
//!
//! ```text
//! E = Σ_k c_k · q_k(input)
//! ```
//!
//! Coefficients are independent random variables with mean `value` and standard
//! deviation `sd`; quantities are taken as exact. So the estimate's mean is
//! `Σ c_k q_k` and its variance `Σ (q_k · sd_k)²` (first-order propagation, exact for a
//! linear model with uncorrelated coefficients).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{EnergyError, EnergyInput};

/// One term of the energy model: what a coefficient multiplies, and in which units.
///
/// The JSON key of each term (its serde name, also [`Term::key`]) carries the
/// coefficient's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Term {
    /// Static power of the whole system, W, × modelled hardware time (s).
    #[serde(rename = "idle_power_w")]
    IdlePower,
    /// Power per deployed neuron, W, × neurons × modelled hardware time (s). With
    /// [`Profile::fixed_neurons`] set, that fixed count replaces the deployed neurons.
    #[serde(rename = "neuron_power_w")]
    NeuronPower,
    /// Energy per neuron per biological millisecond, J, × neurons × biological time
    /// (ms): the form of the GeNN rows, whose per-neuron cost scales with simulated, not
    /// wall-clock, time.
    #[serde(rename = "neuron_energy_per_bio_ms_j")]
    NeuronBioEnergy,
    /// Energy per spike of a non-input neuron, J, × spikes.
    #[serde(rename = "spike_energy_j")]
    Spike,
    /// Energy per input (spike-source) spike, J, × input spikes.
    #[serde(rename = "input_spike_energy_j")]
    InputSpike,
    /// Energy per synaptic event, J, × synaptic events (all projections).
    #[serde(rename = "synaptic_event_energy_j")]
    SynapticEvent,
    /// Energy per multicast packet, J, × packets.
    #[serde(rename = "packet_energy_j")]
    Packet,
    /// Power per used core, W, × cores × modelled hardware time (s).
    #[serde(rename = "core_power_w")]
    CorePower,
    /// Power per used chip, W, × chips × modelled hardware time (s).
    #[serde(rename = "chip_power_w")]
    ChipPower,
    /// Power per used board, W, × boards × modelled hardware time (s).
    #[serde(rename = "board_power_w")]
    BoardPower,
    /// Power of the host running spikeport, W, × host wall time (s).
    #[serde(rename = "host_power_w")]
    HostPower,
}

impl Term {
    /// Every term, in a fixed order (the order of breakdowns).
    pub const ALL: [Term; 11] = [
        Term::IdlePower,
        Term::NeuronPower,
        Term::NeuronBioEnergy,
        Term::Spike,
        Term::InputSpike,
        Term::SynapticEvent,
        Term::Packet,
        Term::CorePower,
        Term::ChipPower,
        Term::BoardPower,
        Term::HostPower,
    ];

    /// The JSON key, which names the coefficient's unit, e.g. `"idle_power_w"`.
    pub fn key(self) -> &'static str {
        match self {
            Term::IdlePower => "idle_power_w",
            Term::NeuronPower => "neuron_power_w",
            Term::NeuronBioEnergy => "neuron_energy_per_bio_ms_j",
            Term::Spike => "spike_energy_j",
            Term::InputSpike => "input_spike_energy_j",
            Term::SynapticEvent => "synaptic_event_energy_j",
            Term::Packet => "packet_energy_j",
            Term::CorePower => "core_power_w",
            Term::ChipPower => "chip_power_w",
            Term::BoardPower => "board_power_w",
            Term::HostPower => "host_power_w",
        }
    }

    /// Short label for report breakdowns: `"idle"`, `"neurons"`, `"spikes"`,
    /// `"synapses"`, ….
    pub fn label(self) -> &'static str {
        match self {
            Term::IdlePower => "idle",
            Term::NeuronPower | Term::NeuronBioEnergy => "neurons",
            Term::Spike => "spikes",
            Term::InputSpike => "input spikes",
            Term::SynapticEvent => "synapses",
            Term::Packet => "packets",
            Term::CorePower => "cores",
            Term::ChipPower => "chips",
            Term::BoardPower => "boards",
            Term::HostPower => "host",
        }
    }

    /// Unit of the coefficient, e.g. `"W per neuron"`.
    pub fn coefficient_unit(self) -> &'static str {
        match self {
            Term::IdlePower => "W",
            Term::NeuronPower => "W per neuron",
            Term::NeuronBioEnergy => "J per neuron per biological ms",
            Term::Spike => "J per spike",
            Term::InputSpike => "J per input spike",
            Term::SynapticEvent => "J per synaptic event",
            Term::Packet => "J per packet",
            Term::CorePower => "W per core",
            Term::ChipPower => "W per chip",
            Term::BoardPower => "W per board",
            Term::HostPower => "W",
        }
    }

    /// Unit of the quantity the coefficient multiplies, e.g. `"neuron·s (hardware)"`.
    pub fn quantity_unit(self) -> &'static str {
        match self {
            Term::IdlePower => "s (hardware time)",
            Term::NeuronPower => "neuron·s (hardware time)",
            Term::NeuronBioEnergy => "neuron·ms (biological time)",
            Term::Spike => "spikes",
            Term::InputSpike => "input spikes",
            Term::SynapticEvent => "synaptic events",
            Term::Packet => "packets",
            Term::CorePower => "core·s (hardware time)",
            Term::ChipPower => "chip·s (hardware time)",
            Term::BoardPower => "board·s (hardware time)",
            Term::HostPower => "s (host wall time)",
        }
    }

    /// The quantity this term's coefficient multiplies, for `input`; `fixed_neurons`
    /// (see [`Profile::fixed_neurons`]) replaces `input.neurons` in the neuron terms.
    pub fn quantity(self, input: &EnergyInput, fixed_neurons: Option<f64>) -> f64 {
        let neurons = fixed_neurons.unwrap_or(input.neurons);
        let t = input.hardware_time_s;
        match self {
            Term::IdlePower => t,
            Term::NeuronPower => neurons * t,
            Term::NeuronBioEnergy => neurons * input.bio_time_ms,
            Term::Spike => input.spikes,
            Term::InputSpike => input.input_spikes,
            Term::SynapticEvent => input.synaptic_events,
            Term::Packet => input.packets,
            Term::CorePower => input.cores * t,
            Term::ChipPower => input.chips * t,
            Term::BoardPower => input.boards * t,
            Term::HostPower => input.wall_time_s,
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A model coefficient: mean, standard deviation (1 SD, same unit) and where it comes
/// from. The unit is fixed by the [`Term`] it belongs to ([`Term::coefficient_unit`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coefficient {
    /// Mean value, in the term's coefficient unit (SI: W or J).
    pub value: f64,
    /// Standard deviation (1 SD), same unit as `value`.
    pub sd: f64,
    /// Where the value comes from: file, key, paper, and any conversion applied.
    pub source: String,
}

impl Coefficient {
    /// A coefficient `value ± sd` (1 SD, SI units of its term) from `source`.
    pub fn new(value: f64, sd: f64, source: impl Into<String>) -> Self {
        Self { value, sd, source: source.into() }
    }

    /// An equal-weight mixture of several measurements `(mean, sd)` of the same
    /// quantity under different conditions (e.g. two connectivity benchmarks that give
    /// a range such as 7.3–7.6 nJ): mean = average of the means, variance by the law of
    /// total variance = average of the variances + variance of the means
    /// (`Σ(mᵢ − m̄)²/n`). For two values a, b this is
    /// `((σa² + σb²)/2 + (b − a)²/4)^½`.
    ///
    /// An empty `parts` gives a NaN coefficient, which [`Profile::validate`] rejects.
    ///
    /// ```
    /// use spikeport_energy::Coefficient;
    /// let c = Coefficient::mixture(&[(7.0, 0.0), (9.0, 0.0)], "two benchmarks");
    /// assert_eq!(c.value, 8.0);
    /// assert_eq!(c.sd, 1.0);
    /// ```
    pub fn mixture(parts: &[(f64, f64)], source: impl Into<String>) -> Self {
        let n = parts.len() as f64;
        let mean = parts.iter().map(|p| p.0).sum::<f64>() / n;
        let within = parts.iter().map(|p| p.1 * p.1).sum::<f64>() / n;
        let between = parts.iter().map(|p| (p.0 - mean).powi(2)).sum::<f64>() / n;
        Self::new(mean, (within + between).sqrt(), source)
    }

    /// `sd / value` (infinite for a zero value with non-zero SD, NaN for 0 ± 0).
    pub fn relative_sd(&self) -> f64 {
        self.sd / self.value
    }
}

/// How a profile's coefficients were obtained; reports show it next to the figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// From power measurements of the platform (e.g. the SNABSuite energy model).
    Measured,
    /// Built from documented assumptions, not measured on the platform; the
    /// assumptions are in [`Profile::assumptions`] and must be shown with the figure.
    Estimate,
    /// Fitted with [`fit`](crate::fit()) to the user's own measurements.
    Fitted,
}

impl fmt::Display for ProfileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProfileKind::Measured => "measured",
            ProfileKind::Estimate => "estimate",
            ProfileKind::Fitted => "fitted",
        })
    }
}

/// The energy model of one platform: a set of priced [`Term`]s.
///
/// Serialised as strict JSON (unknown keys are an error naming the key):
///
/// ```
/// use spikeport_energy::{Profile, Term};
///
/// let json = r#"{
///   "name": "my-board",
///   "description": "a board I measured",
///   "kind": "fitted",
///   "coefficients": {
///     "idle_power_w": { "value": 3.0, "sd": 0.1, "source": "my bench, 2026-01" },
///     "spike_energy_j": { "value": 1e-8, "sd": 2e-9, "source": "my bench, 2026-01" }
///   }
/// }"#;
/// let p = Profile::from_json(json)?;
/// assert_eq!(p.coefficient(Term::IdlePower).map(|c| c.value), Some(3.0));
///
/// let bad = json.replace("idle_power_w", "idle_watts");
/// let err = Profile::from_json(&bad).unwrap_err().to_string();
/// assert!(err.contains("idle_watts"));
/// # Ok::<(), spikeport_energy::EnergyError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name, e.g. `"SpiNN-5"`.
    pub name: String,
    /// One sentence on what is modelled (system boundary, measurement setup).
    #[serde(default)]
    pub description: String,
    /// Measured, estimated from assumptions, or fitted.
    pub kind: ProfileKind,
    /// When set, the neuron terms charge this many neurons whatever the deployment uses
    /// (Spikey keeps all 384 neurons running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_neurons: Option<f64>,
    /// Assumptions behind the coefficients, one sentence each; non-empty for
    /// [`ProfileKind::Estimate`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assumptions: Vec<String>,
    /// The priced terms.
    pub coefficients: BTreeMap<Term, Coefficient>,
}

impl Profile {
    /// An empty profile; add terms with [`Profile::with`].
    pub fn new(name: impl Into<String>, description: impl Into<String>, kind: ProfileKind) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            kind,
            fixed_neurons: None,
            assumptions: Vec::new(),
            coefficients: BTreeMap::new(),
        }
    }

    /// This profile with `term` priced at `coefficient` (replacing any previous one).
    pub fn with(mut self, term: Term, coefficient: Coefficient) -> Self {
        self.coefficients.insert(term, coefficient);
        self
    }

    /// This profile with an assumption sentence added.
    pub fn with_assumption(mut self, text: impl Into<String>) -> Self {
        self.assumptions.push(text.into());
        self
    }

    /// The coefficient of `term`, if the profile prices it.
    pub fn coefficient(&self, term: Term) -> Option<&Coefficient> {
        self.coefficients.get(&term)
    }

    /// Whether the profile is built from assumptions rather than measured or fitted.
    pub fn is_estimate(&self) -> bool {
        self.kind == ProfileKind::Estimate
    }

    /// Check the profile: a name, at least one term, every coefficient finite and ≥ 0
    /// with a finite SD ≥ 0 and a source, a finite `fixed_neurons` ≥ 0, and assumptions
    /// for an estimate.
    ///
    /// **Errors** with [`EnergyError::InvalidProfile`] or
    /// [`EnergyError::InvalidCoefficient`].
    pub fn validate(&self) -> Result<(), EnergyError> {
        let bad = |reason: String| EnergyError::InvalidProfile { profile: self.name.clone(), reason };
        if self.name.trim().is_empty() {
            return Err(bad("the name is empty".into()));
        }
        if self.coefficients.is_empty() {
            return Err(bad("no coefficients".into()));
        }
        if let Some(n) = self.fixed_neurons {
            if !(n.is_finite() && n >= 0.0) {
                return Err(bad(format!("fixed_neurons is {n}: it must be finite and >= 0")));
            }
        }
        if self.kind == ProfileKind::Estimate && self.assumptions.is_empty() {
            return Err(bad("an estimate must list its assumptions".into()));
        }
        for (&term, c) in &self.coefficients {
            let reason = if !(c.value.is_finite() && c.value >= 0.0) {
                Some(format!("has value {}: it must be finite and >= 0", c.value))
            } else if !(c.sd.is_finite() && c.sd >= 0.0) {
                Some(format!("has SD {}: it must be finite and >= 0", c.sd))
            } else if c.source.trim().is_empty() {
                Some("has no source".to_string())
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(EnergyError::InvalidCoefficient { profile: self.name.clone(), term, reason });
            }
        }
        Ok(())
    }

    /// Parse and [validate](Profile::validate) a profile from JSON.
    ///
    /// **Errors** with [`EnergyError::Json`] (syntax, missing field, unknown key — the
    /// message names it) or a validation error.
    pub fn from_json(json: &str) -> Result<Self, EnergyError> {
        let p: Profile = serde_json::from_str(json)?;
        p.validate()?;
        Ok(p)
    }

    /// The profile as pretty-printed JSON.
    ///
    /// **Errors** with [`EnergyError::Json`] (only if serialisation itself fails).
    pub fn to_json(&self) -> Result<String, EnergyError> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Read a profile from a JSON file ([`Profile::from_json`]).
    ///
    /// **Errors** with [`EnergyError::Io`] or as [`Profile::from_json`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, EnergyError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| EnergyError::Io { path: path.to_path_buf(), source })?;
        Self::from_json(&text)
    }

    /// Write the profile to a JSON file (validated first).
    ///
    /// **Errors** with a validation error or [`EnergyError::Io`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), EnergyError> {
        self.validate()?;
        let path = path.as_ref();
        let mut text = self.to_json()?;
        text.push('\n');
        std::fs::write(path, text).map_err(|source| EnergyError::Io { path: path.to_path_buf(), source })
    }

    /// Price `input` with this profile: [`estimate`].
    ///
    /// **Errors** as [`estimate`].
    pub fn estimate(&self, input: &EnergyInput) -> Result<EnergyEstimate, EnergyError> {
        estimate(self, input)
    }
}

/// The energy of one term in an estimate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TermEnergy {
    /// Which term.
    pub term: Term,
    /// The quantity the coefficient multiplied, in [`Term::quantity_unit`].
    pub quantity: f64,
    /// The coefficient used (with its source).
    pub coefficient: Coefficient,
    /// Mean energy of this term, J.
    pub energy_j: f64,
    /// Standard deviation of this term's energy, J: `quantity × coefficient.sd`.
    pub sd_j: f64,
}

/// An energy figure: mean ± SD in joules, with the per-term breakdown and, for an
/// estimate, the assumptions behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnergyEstimate {
    /// Name of the profile used.
    pub profile: String,
    /// Measured, estimate or fitted: reports must flag [`ProfileKind::Estimate`].
    pub kind: ProfileKind,
    /// Mean energy, J.
    pub energy_j: f64,
    /// Standard deviation, J (1 SD, coefficients uncorrelated, quantities exact).
    pub sd_j: f64,
    /// Images the figure covers (from [`EnergyInput::images`]; 1 after
    /// [`EnergyEstimate::per_image`]).
    pub images: f64,
    /// One entry per priced term, in [`Term::ALL`] order.
    pub terms: Vec<TermEnergy>,
    /// The profile's assumptions (empty for measured profiles).
    pub assumptions: Vec<String>,
}

/// Price `input` with `profile`: `E = Σ c_k q_k`, `SD = (Σ (q_k σ_k)²)^½`.
///
/// Which time each term uses is part of the term ([`Term::quantity`]): idle, per-neuron
/// power and per-unit power multiply the **modelled hardware time**
/// ([`EnergyInput::hardware_time_s`]); the GeNN-style per-neuron energy multiplies the
/// **biological time** in ms; the host term multiplies the **host wall time**.
///
/// ```
/// use spikeport_energy::{estimate, profiles, EnergyInput, Term};
///
/// // One 550 ms image on a SpiNN-5 board (an illustrative activity, not a measurement).
/// let input = EnergyInput {
///     images: 1.0, neurons: 2_410.0, spikes: 3_000.0, synaptic_events: 6.0e6,
///     bio_time_ms: 550.0, hardware_time_s: 0.55, ..EnergyInput::default()
/// };
/// let e = estimate(&profiles::spinn5(), &input)?;
/// let idle = 23.048989855072463 * 0.55;
/// assert!((e.terms[0].energy_j - idle).abs() < 1e-12);
/// assert!(e.energy_j > idle && e.sd_j > 0.0);
/// println!("{e}"); // "12.86 J ± 50.63 mJ (SpiNN-5, measured)"
/// # Ok::<(), spikeport_energy::EnergyError>(())
/// ```
///
/// **Errors** with a validation error of the profile ([`Profile::validate`]) or of the
/// input ([`EnergyInput::validate`]).
pub fn estimate(profile: &Profile, input: &EnergyInput) -> Result<EnergyEstimate, EnergyError> {
    profile.validate()?;
    input.validate()?;
    let mut terms = Vec::with_capacity(profile.coefficients.len());
    for term in Term::ALL {
        if let Some(c) = profile.coefficients.get(&term) {
            let q = term.quantity(input, profile.fixed_neurons);
            terms.push(TermEnergy {
                term,
                quantity: q,
                coefficient: c.clone(),
                energy_j: q * c.value,
                sd_j: q * c.sd,
            });
        }
    }
    let energy_j = terms.iter().map(|t| t.energy_j).sum();
    let sd_j = terms.iter().map(|t| t.sd_j * t.sd_j).sum::<f64>().sqrt();
    Ok(EnergyEstimate {
        profile: profile.name.clone(),
        kind: profile.kind,
        energy_j,
        sd_j,
        images: input.images,
        terms,
        assumptions: profile.assumptions.clone(),
    })
}

impl EnergyEstimate {
    /// The same figure divided by the number of images (every term's quantity, energy
    /// and SD scale by `1 / images`; coefficient uncertainty is shared by all images, so
    /// the relative SD is unchanged).
    ///
    /// **Errors** with [`EnergyError::NoImages`] when `images` is 0.
    pub fn per_image(&self) -> Result<EnergyEstimate, EnergyError> {
        if self.images.is_nan() || self.images <= 0.0 {
            return Err(EnergyError::NoImages);
        }
        let k = 1.0 / self.images;
        let mut out = self.clone();
        out.energy_j *= k;
        out.sd_j *= k;
        out.images = 1.0;
        for t in &mut out.terms {
            t.quantity *= k;
            t.energy_j *= k;
            t.sd_j *= k;
        }
        Ok(out)
    }

    /// The breakdown entry of `term`, if the profile priced it.
    pub fn term(&self, term: Term) -> Option<&TermEnergy> {
        self.terms.iter().find(|t| t.term == term)
    }

    /// Fraction of the mean energy spent in `term` (0 if not priced or if the total is 0).
    pub fn share(&self, term: Term) -> f64 {
        match self.term(term) {
            Some(t) if self.energy_j > 0.0 => t.energy_j / self.energy_j,
            _ => 0.0,
        }
    }

    /// `sd_j / energy_j`.
    pub fn relative_sd(&self) -> f64 {
        self.sd_j / self.energy_j
    }

    /// Whether the figure comes from an estimate built on assumptions.
    pub fn is_estimate(&self) -> bool {
        self.kind == ProfileKind::Estimate
    }

    /// A multi-line, human-readable breakdown with units, shares, sources and (for
    /// estimates) assumptions.
    pub fn summary(&self) -> String {
        let mut s = format!("{self}\n");
        for t in &self.terms {
            s.push_str(&format!(
                "  {:<13} {:>12} ± {:<12} ({:5.1} %)  = {} × {} {}  [{}]\n",
                t.term.label(),
                si(t.energy_j, "J"),
                si(t.sd_j, "J"),
                100.0 * self.share(t.term),
                fmt_g(t.quantity),
                fmt_g(t.coefficient.value),
                t.term.coefficient_unit(),
                t.coefficient.source
            ));
        }
        if !self.assumptions.is_empty() {
            s.push_str("  assumptions (this figure is an estimate, not a measurement):\n");
            for a in &self.assumptions {
                s.push_str(&format!("    - {a}\n"));
            }
        }
        s
    }
}

impl fmt::Display for EnergyEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ± {} ({}, {})", si(self.energy_j, "J"), si(self.sd_j, "J"), self.profile, self.kind)
    }
}

/// `x` with an SI prefix and 4 significant digits, e.g. `si(0.0123, "J") == "12.30 mJ"`.
pub fn si(x: f64, unit: &str) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x} {unit}");
    }
    const PREFIXES: [(f64, &str); 9] = [
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "µ"),
        (1e-9, "n"),
        (1e-12, "p"),
        (1e-15, "f"),
    ];
    let a = x.abs();
    let (scale, p) = PREFIXES.iter().copied().find(|(s, _)| a >= *s).unwrap_or((1e-15, "f"));
    let v = x / scale;
    let digits = if v.abs() >= 100.0 {
        1
    } else if v.abs() >= 10.0 {
        2
    } else {
        3
    };
    format!("{v:.digits$} {p}{unit}")
}

fn fmt_g(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e5 || x.abs() < 1e-3) {
        format!("{x:.4e}")
    } else {
        format!("{x:.4}")
    }
}
