//! Modelled run time of a platform that spikeport does not run itself: a linear model of
//! the wall-clock time of a simulation on a given machine (e.g. GeNN on the paper's Ryzen
//! 2600X), so that the machine's power is multiplied by the machine's own time — never by
//! this host's.
//!
//! ```text
//! T = Σ_k c_k · q_k,   q ∈ {time steps, neuron-steps, spikes, synaptic events}
//! ```
//!
//! As in the energy model ([`crate::model`]), coefficients are independent with mean
//! `value` and SD `sd`; quantities are exact, so `Var T = Σ (q_k sd_k)²`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Coefficient, EnergyError};

/// One term of a run-time model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TimeTerm {
    /// Seconds per time step of the run (fixed per-step cost: kernel launches, loop
    /// overhead), × steps the run spans.
    #[serde(rename = "step_s")]
    Step,
    /// Seconds per neuron per time step, × neurons (all copies) × steps.
    #[serde(rename = "neuron_step_s")]
    NeuronStep,
    /// Seconds per spike of a non-input neuron, × spikes.
    #[serde(rename = "spike_s")]
    Spike,
    /// Seconds per synaptic event, × synaptic events.
    #[serde(rename = "synaptic_event_s")]
    SynapticEvent,
}

impl TimeTerm {
    /// Every term, in a fixed order.
    pub const ALL: [TimeTerm; 4] =
        [TimeTerm::Step, TimeTerm::NeuronStep, TimeTerm::Spike, TimeTerm::SynapticEvent];

    /// The JSON key, which names the coefficient's unit.
    pub fn key(self) -> &'static str {
        match self {
            TimeTerm::Step => "step_s",
            TimeTerm::NeuronStep => "neuron_step_s",
            TimeTerm::Spike => "spike_s",
            TimeTerm::SynapticEvent => "synaptic_event_s",
        }
    }

    /// The quantity this term multiplies, for `q`.
    pub fn quantity(self, q: &TimeInput) -> f64 {
        match self {
            TimeTerm::Step => q.steps,
            TimeTerm::NeuronStep => q.neurons * q.steps,
            TimeTerm::Spike => q.spikes,
            TimeTerm::SynapticEvent => q.synaptic_events,
        }
    }
}

impl fmt::Display for TimeTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What a run does, in the units of a [`RunTimeModel`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeInput {
    /// Time steps the run spans (the longest copy's images × steps per image).
    pub steps: f64,
    /// Neurons simulated in every step (non-input, all copies).
    pub neurons: f64,
    /// Spikes of non-input neurons over the run.
    pub spikes: f64,
    /// Synaptic events over the run.
    pub synaptic_events: f64,
}

/// A linear model of a machine's wall-clock run time, with the source of every coefficient
/// and the range of runs it was calibrated on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunTimeModel {
    /// Short name, e.g. `"GeNN on a Ryzen 2600X"`.
    pub name: String,
    /// What is timed (e.g. the step loop of a GeNN simulation, without code generation).
    pub description: String,
    /// The runs the coefficients were derived from, and what lies outside them.
    pub validity: String,
    /// The terms.
    pub coefficients: BTreeMap<TimeTerm, Coefficient>,
}

impl RunTimeModel {
    /// An empty model; add terms with [`RunTimeModel::with`].
    pub fn new(name: impl Into<String>, description: impl Into<String>, validity: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            validity: validity.into(),
            coefficients: BTreeMap::new(),
        }
    }

    /// This model with `term` at `coefficient` (s per unit).
    pub fn with(mut self, term: TimeTerm, coefficient: Coefficient) -> Self {
        self.coefficients.insert(term, coefficient);
        self
    }

    /// The modelled run time, s: (mean, SD).
    ///
    /// **Errors** with [`EnergyError::InvalidInput`] if a quantity is negative or not
    /// finite, or [`EnergyError::InvalidProfile`] if the model has no terms.
    pub fn estimate(&self, q: &TimeInput) -> Result<(f64, f64), EnergyError> {
        for (field, value) in [
            ("steps", q.steps),
            ("neurons", q.neurons),
            ("spikes", q.spikes),
            ("synaptic_events", q.synaptic_events),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(EnergyError::InvalidInput { field, value });
            }
        }
        if self.coefficients.is_empty() {
            return Err(EnergyError::InvalidProfile {
                profile: self.name.clone(),
                reason: "no time terms".into(),
            });
        }
        let (mut mean, mut var) = (0.0, 0.0);
        for (&term, c) in &self.coefficients {
            let x = term.quantity(q);
            mean += c.value * x;
            var += (c.sd * x).powi(2);
        }
        Ok((mean, var.sqrt()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_model_adds_its_terms_and_their_variances() {
        let m = RunTimeModel::new("m", "test", "any")
            .with(TimeTerm::Step, Coefficient::new(1e-6, 1e-7, "a"))
            .with(TimeTerm::NeuronStep, Coefficient::new(1e-9, 0.0, "b"))
            .with(TimeTerm::SynapticEvent, Coefficient::new(2e-9, 1e-9, "c"));
        let q = TimeInput { steps: 1000.0, neurons: 100.0, spikes: 5.0, synaptic_events: 1e6 };
        let (t, sd) = m.estimate(&q).expect("estimate");
        assert!((t - (1e-3 + 1e-4 + 2e-3)).abs() < 1e-15);
        assert!((sd - ((1e-4f64).powi(2) + (1e-3f64).powi(2)).sqrt()).abs() < 1e-15);
        let bad = TimeInput { spikes: -1.0, ..q };
        assert!(matches!(m.estimate(&bad), Err(EnergyError::InvalidInput { field: "spikes", .. })));
        assert!(RunTimeModel::new("e", "", "").estimate(&q).is_err());
    }
}
