//! What a network needs on a platform, and 4-bit weight quantisation.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use spikeport_snn::{BackendError, ModelKind, SnnNetwork};

use crate::config::{Profile, WeightGrid, MAX_LEVEL};

/// The resources a network needs on a platform, computed before deploying
/// ([`requirements`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirements {
    /// Neurons (all non-input populations).
    pub neurons: usize,
    /// Neuron circuits (neurons × circuits per neuron).
    pub circuits: usize,
    /// Chips the circuits occupy.
    pub chips: usize,
    /// Largest number of non-zero incoming synapses of one neuron.
    pub max_fan_in: usize,
    /// Spikey: synapse drivers of the block, one per source neuron (input or on-chip) with
    /// any non-zero outgoing weight.
    pub synapse_drivers: usize,
    /// Populations (by index) whose outgoing weights have both signs.
    pub mixed_sign_populations: Vec<usize>,
}

/// What `net` needs on `profile`.
pub fn requirements(net: &SnnNetwork, profile: &Profile) -> Requirements {
    let neurons = net.n_neurons();
    let circuits = neurons * profile.circuits_per_neuron;
    let chips = circuits.div_ceil(profile.circuits_per_chip.max(1));
    let pops = net.populations();
    let mut fan_in: Vec<Vec<usize>> = pops.iter().map(|p| vec![0; p.size]).collect();
    let mut drives: Vec<Vec<bool>> = pops.iter().map(|p| vec![false; p.size]).collect();
    let mut sign: Vec<(bool, bool)> = vec![(false, false); pops.len()];
    for proj in net.projections() {
        for ((i, j), &w) in proj.weights.indexed_iter() {
            if w != 0.0 {
                fan_in[proj.post][j] += 1;
                drives[proj.pre][i] = true;
                if w > 0.0 {
                    sign[proj.pre].0 = true;
                } else {
                    sign[proj.pre].1 = true;
                }
            }
        }
    }
    Requirements {
        neurons,
        circuits,
        chips,
        max_fan_in: fan_in.iter().flatten().copied().max().unwrap_or(0),
        synapse_drivers: drives.iter().flatten().filter(|&&d| d).count(),
        mixed_sign_populations: sign.iter().enumerate().filter(|(_, s)| s.0 && s.1).map(|(k, _)| k).collect(),
    }
}

/// Check that `net` fits `profile`; returns what it needs.
///
/// **Errors** with [`BackendError::Unsupported`] for neuron models other than
/// `IF_cond_exp` or projections between non-adjacent stages the hardware cannot route,
/// with [`BackendError::DoesNotFit`] naming the resource, what is needed and what exists.
pub fn check_fit(net: &SnnNetwork, profile: &Profile) -> Result<Requirements, BackendError> {
    for (k, p) in net.populations().iter().enumerate().skip(1) {
        if p.model.kind() != ModelKind::IfCondExp {
            return Err(BackendError::unsupported(
                &profile.name,
                format!(
                    "neuron model {} (population {k}); the analog neurons are IF_cond_exp",
                    p.model.name()
                ),
            ));
        }
    }
    let r = requirements(net, profile);
    let fits = |what: String, needed: usize, available: usize| {
        if needed > available {
            Err(BackendError::DoesNotFit { what, needed, available })
        } else {
            Ok(())
        }
    };
    if profile.one_sign_per_population {
        if let Some(&k) = r.mixed_sign_populations.first() {
            return Err(BackendError::unsupported(
                &profile.name,
                format!(
                    "population {k} with both excitatory and inhibitory outgoing synapses ({} allows one sign \
                     per population; train with non-negative weights or split the population)",
                    profile.name
                ),
            ));
        }
    }
    if profile.name == "Spikey" {
        fits(
            "neurons in one Spikey block (the two blocks cannot connect to each other)".into(),
            r.neurons,
            192,
        )?;
        fits("synapse drivers of the Spikey block (one per source neuron)".into(), r.synapse_drivers, 256)?;
    }
    fits(format!("neurons on {}", profile.name), r.neurons, profile.max_neurons)?;
    fits(format!("chips on {}", profile.name), r.chips, profile.chips)?;
    fits("synapses into one neuron (fan-in)".into(), r.max_fan_in, profile.max_fan_in)?;
    Ok(r)
}

/// 4-bit levels of one projection: `levels[(i, j)]` ∈ 0..=15 with the sign kept apart,
/// and the conductance of one level per row (µS).
#[derive(Clone, Debug, PartialEq)]
pub struct Quantised {
    /// Signed levels, −15..=15 (negative: inhibitory).
    pub levels: Array2<i8>,
    /// Conductance of one excitatory level per pre-synaptic row, µS.
    pub exc_step: Vec<f64>,
    /// Conductance of one inhibitory level per pre-synaptic row, µS.
    pub inh_step: Vec<f64>,
    /// Synapses whose |weight| exceeded the largest level and were clipped to it.
    pub clipped: usize,
}

impl Quantised {
    /// The signed conductances the levels stand for, µS (before mismatch).
    pub fn weights(&self) -> Array2<f64> {
        Array2::from_shape_fn(self.levels.dim(), |(i, j)| {
            let l = self.levels[(i, j)];
            if l >= 0 {
                f64::from(l) * self.exc_step[i]
            } else {
                f64::from(l) * self.inh_step[i]
            }
        })
    }
}

/// Quantise signed weights (µS) to the platform's 4-bit grid: round to the nearest level,
/// clip above level 15 (counted).
pub fn quantise(w: ArrayView2<'_, f64>, grid: WeightGrid) -> Quantised {
    let (rows, cols) = w.dim();
    let max = f64::from(MAX_LEVEL);
    let (exc_step, inh_step): (Vec<f64>, Vec<f64>) = match grid {
        WeightGrid::Fixed { exc_step_us, inh_step_us } => (vec![exc_step_us; rows], vec![inh_step_us; rows]),
        WeightGrid::PerRow => (0..rows)
            .map(|i| {
                let top = w.row(i).iter().fold(0.0f64, |m, &x| m.max(x.abs()));
                let step = if top > 0.0 { top / max } else { 1.0 };
                (step, step)
            })
            .unzip(),
    };
    let mut clipped = 0;
    let levels = Array2::from_shape_fn((rows, cols), |(i, j)| {
        let x = w[(i, j)];
        let step = if x >= 0.0 { exc_step[i] } else { inh_step[i] };
        let l = (x.abs() / step).round();
        let l = if l > max {
            clipped += 1;
            max
        } else {
            l
        };
        // l ∈ [0, 15]
        let l = l as i8;
        if x < 0.0 {
            -l
        } else {
            l
        }
    });
    Quantised { levels, exc_step, inh_step, clipped }
}
