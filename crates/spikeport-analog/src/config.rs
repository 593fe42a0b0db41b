//! Checked configuration: device mismatch, trial-to-trial noise and platform profiles.

use serde::{Deserialize, Serialize};

use crate::AnalogError;

/// Fixed-pattern variation of one chip: relative standard deviations (σ / |nominal|) of
/// each neuron's parameters and of each synapse's weight gain, drawn once per chip seed.
///
/// A parameter `x` of neuron `i` becomes `x · (1 + σ_x · z_i)` with `z_i` standard normal
/// (voltages relative to their magnitude in mV, as the calibration papers state spreads);
/// time constants are kept ≥ 5 % of nominal and `v_thresh` ≥ `v_reset` + 1 mV after the
/// draw. A synapse's weight is multiplied by `max(0, 1 + σ_w · z)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mismatch {
    /// Membrane time constant `tau_m`.
    pub tau_m: f64,
    /// Threshold `v_thresh`.
    pub v_thresh: f64,
    /// Reset potential `v_reset`.
    pub v_reset: f64,
    /// Resting potential `v_rest`.
    pub v_rest: f64,
    /// Excitatory reversal potential `e_rev_E`.
    pub e_rev_e: f64,
    /// Inhibitory reversal potential `e_rev_I`.
    pub e_rev_i: f64,
    /// Synaptic time constants `tau_syn_E`, `tau_syn_I`.
    pub tau_syn: f64,
    /// Refractory period `tau_refrac`.
    pub tau_refrac: f64,
    /// Weight gain of every synapse.
    pub weight_gain: f64,
}

impl Mismatch {
    /// The calibrated neuron-to-neuron spreads of BrainScaleS-1 (DESIGN.md §5, from the
    /// calibration of Schmitt et al. 2017 / Petrovici et al. 2014): e_rev_E 11.1 %, e_rev_I
    /// 1.6 %, tau_m 8.0 %, tau_refrac 1.5 %, tau_syn 0.5 %, v_rest 2 %, v_thresh 1.1 %,
    /// v_reset 1.6 %; synaptic weight gain 10 % (**assumption**: no per-synapse figure is
    /// in the sources at hand; the 4-bit DACs and the per-row drivers are calibrated
    /// together, and 10 % is a deliberately moderate value).
    pub fn calibrated() -> Self {
        Self {
            tau_m: 0.080,
            v_thresh: 0.011,
            v_reset: 0.016,
            v_rest: 0.02,
            e_rev_e: 0.111,
            e_rev_i: 0.016,
            tau_syn: 0.005,
            tau_refrac: 0.015,
            weight_gain: 0.10,
        }
    }

    /// Uncalibrated chips: every calibrated spread × 3, weight gain 20 %. **Assumption**
    /// (stated, not sourced): the calibration papers report uncalibrated spreads several
    /// times the calibrated ones without a per-parameter table we could cite here.
    pub fn uncalibrated() -> Self {
        let c = Self::calibrated();
        Self {
            tau_m: 3.0 * c.tau_m,
            v_thresh: 3.0 * c.v_thresh,
            v_reset: 3.0 * c.v_reset,
            v_rest: 3.0 * c.v_rest,
            e_rev_e: 3.0 * c.e_rev_e,
            e_rev_i: 3.0 * c.e_rev_i,
            tau_syn: 3.0 * c.tau_syn,
            tau_refrac: 3.0 * c.tau_refrac,
            weight_gain: 0.20,
        }
    }

    /// No mismatch at all (isolates the loss from 4-bit weights and size limits).
    pub fn ideal() -> Self {
        Self {
            tau_m: 0.0,
            v_thresh: 0.0,
            v_reset: 0.0,
            v_rest: 0.0,
            e_rev_e: 0.0,
            e_rev_i: 0.0,
            tau_syn: 0.0,
            tau_refrac: 0.0,
            weight_gain: 0.0,
        }
    }

    /// Check every spread is finite and in [0, 1].
    ///
    /// **Errors** with [`AnalogError::InvalidSpread`].
    pub fn check(&self) -> Result<(), AnalogError> {
        for (name, v) in [
            ("tau_m", self.tau_m),
            ("v_thresh", self.v_thresh),
            ("v_reset", self.v_reset),
            ("v_rest", self.v_rest),
            ("e_rev_E", self.e_rev_e),
            ("e_rev_I", self.e_rev_i),
            ("tau_syn", self.tau_syn),
            ("tau_refrac", self.tau_refrac),
            ("weight_gain", self.weight_gain),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(AnalogError::InvalidSpread { name, value: v });
            }
        }
        Ok(())
    }
}

/// Trial-to-trial variability, drawn afresh for every run.
///
/// The membrane noise is drawn per neuron and integration step from a 1024-stratum
/// approximation of the standard normal distribution (mean 0, variance 1, tails cut at
/// ±3.4 σ, six draws per 64 random bits), several times cheaper than an exact normal draw
/// and indistinguishable after the membrane's low-pass filter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noise {
    /// White membrane noise, mV/√ms: every integration step of `h` ms adds
    /// `membrane_mv · √h · z` to a free (non-refractory) membrane.
    pub membrane_mv: f64,
    /// Relative standard deviation of every synapse's drive in one run (the weight is
    /// multiplied by `max(0, 1 + σ z)` for the whole run).
    pub weight_jitter: f64,
}

impl Noise {
    /// Default: 0.1 mV/√ms membrane noise and 2 % drive jitter. **Assumption**: of the
    /// order of the trial-to-trial variability reported for the accelerated analog
    /// systems (a fraction of a mV on the membrane), not fitted to a measurement.
    ///
    /// ```
    /// let n = spikeport_analog::Noise::default_hardware();
    /// assert_eq!((n.membrane_mv, n.weight_jitter), (0.1, 0.02));
    /// ```
    pub fn default_hardware() -> Self {
        Self { membrane_mv: 0.1, weight_jitter: 0.02 }
    }

    /// No noise.
    pub fn none() -> Self {
        Self { membrane_mv: 0.0, weight_jitter: 0.0 }
    }

    /// Check both magnitudes are finite and ≥ 0 (jitter ≤ 1).
    ///
    /// **Errors** with [`AnalogError::InvalidSpread`].
    pub fn check(&self) -> Result<(), AnalogError> {
        if !(self.membrane_mv.is_finite() && self.membrane_mv >= 0.0) {
            return Err(AnalogError::InvalidSpread { name: "membrane_mv", value: self.membrane_mv });
        }
        if !(self.weight_jitter.is_finite() && (0.0..=1.0).contains(&self.weight_jitter)) {
            return Err(AnalogError::InvalidSpread { name: "weight_jitter", value: self.weight_jitter });
        }
        Ok(())
    }
}

/// Fixed-pattern mismatch and trial-to-trial noise together: the whole "analog
/// imperfection" setting of a backend, with the presets the experiments need.
///
/// ```
/// use spikeport_analog::{Mismatch, Noise, Variability};
/// let v = Variability::ideal(); // 4-bit weights and hardware limits only
/// assert_eq!(v, Variability { mismatch: Mismatch::ideal(), noise: Noise::none() });
/// assert!(Variability::calibrated().check().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variability {
    /// Fixed-pattern spreads, drawn once per chip seed.
    pub mismatch: Mismatch,
    /// Trial-to-trial noise, drawn per run.
    pub noise: Noise,
}

impl Variability {
    /// Calibrated chips ([`Mismatch::calibrated`]) with the default noise
    /// ([`Noise::default_hardware`]): the presets `Analog::spikey()` and
    /// `Analog::brainscales()` use.
    pub fn calibrated() -> Self {
        Self { mismatch: Mismatch::calibrated(), noise: Noise::default_hardware() }
    }

    /// Uncalibrated chips ([`Mismatch::uncalibrated`]) with the default noise.
    pub fn uncalibrated() -> Self {
        Self { mismatch: Mismatch::uncalibrated(), noise: Noise::default_hardware() }
    }

    /// No mismatch and no noise: what is left is the 4-bit weights, the analog neuron and
    /// the platform's size limits.
    pub fn ideal() -> Self {
        Self { mismatch: Mismatch::ideal(), noise: Noise::none() }
    }

    /// Check both parts.
    ///
    /// **Errors** with [`AnalogError::InvalidSpread`].
    pub fn check(&self) -> Result<(), AnalogError> {
        self.mismatch.check()?;
        self.noise.check()
    }
}

impl Default for Variability {
    /// [`Variability::calibrated`].
    fn default() -> Self {
        Self::calibrated()
    }
}

/// How weights are resolved on a platform.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum WeightGrid {
    /// Spikey: fixed steps, levels 0–15; excitatory synapses in multiples of
    /// `exc_step_us` µS, inhibitory ones in multiples of `inh_step_us` µS.
    Fixed {
        /// Excitatory step, µS (0.001 on Spikey: 0.001–0.015 µS).
        exc_step_us: f64,
        /// Inhibitory step, µS (0.004 on Spikey: 0.004–0.06 µS).
        inh_step_us: f64,
    },
    /// BrainScaleS-1: 4-bit digital weights 0–15 scaled per synapse row. A row is one
    /// pre-synaptic neuron and one sign (excitatory and inhibitory synapses of a neuron sit
    /// on different rows): its largest |weight| is level 15.
    PerRow,
}

/// Largest 4-bit weight level.
pub const MAX_LEVEL: u8 = 15;

/// How neurons are laid out on a platform, and what that limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Topology {
    /// Spikey: isolated blocks of neurons, each with its own synapse drivers. Neurons of
    /// different blocks cannot connect; external inputs can reach every block (each block
    /// spends a driver on every source it receives).
    Blocks {
        /// Blocks on the chip (2).
        blocks: usize,
        /// Neurons per block (192).
        neurons_per_block: usize,
        /// Synapse drivers per block (256): one per source neuron (input or on-chip) that
        /// projects into the block, which also caps every neuron's fan-in.
        drivers_per_block: usize,
    },
    /// BrainScaleS-1: a wafer of HICANN chips whose neuron circuits are combined into
    /// logical neurons; a logical neuron's circuits sit on one chip.
    Wafer {
        /// HICANN chips on the wafer (384).
        chips: usize,
        /// Neuron circuits (denmems) per chip (512).
        circuits_per_chip: usize,
        /// Circuits combined into one logical neuron (the paper: 8).
        circuits_per_neuron: usize,
        /// Synapses per circuit (224 rows of the synapse array feed each circuit column),
        /// so a logical neuron has `224 × circuits_per_neuron` synapses.
        synapses_per_circuit: usize,
    },
}

impl Topology {
    /// Most neurons a network may use.
    pub fn max_neurons(&self) -> usize {
        match *self {
            Topology::Blocks { blocks, neurons_per_block, .. } => blocks * neurons_per_block,
            Topology::Wafer { chips, circuits_per_chip, circuits_per_neuron, .. } => {
                chips * (circuits_per_chip / circuits_per_neuron.max(1))
            }
        }
    }

    /// Largest fan-in of one neuron.
    pub fn max_fan_in(&self) -> usize {
        match *self {
            Topology::Blocks { drivers_per_block, .. } => drivers_per_block,
            Topology::Wafer { circuits_per_neuron, synapses_per_circuit, .. } => {
                circuits_per_neuron * synapses_per_circuit
            }
        }
    }
}

/// The facts of one analog platform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Name in reports: `"Spikey"` or `"BrainScaleS"`.
    pub name: String,
    /// Speed-up of emulated over biological time (10⁴ on both).
    pub speedup: f64,
    /// Layout and size limits.
    pub topology: Topology,
    /// Whether every population's outgoing weights must have one sign (Spikey).
    pub one_sign_per_population: bool,
    /// Whether v_rest, v_reset, v_thresh, e_rev_E and e_rev_I are one setting for all
    /// neurons (Spikey), so every population must ask for the same values.
    pub shared_potentials: bool,
    /// Weight resolution.
    pub weights: WeightGrid,
    /// Fraction of synapses the mapping loses (BrainScaleS routing), drawn per chip seed.
    pub synapse_loss: f64,
    /// Fraction of input spikes dropped on the links, drawn per run.
    pub input_spike_loss: f64,
    /// Modelled host time to configure the chip, s: charged by `deploy` and by every
    /// `update_weights`, reported apart from the emulated time.
    pub config_overhead_s: f64,
    /// Modelled host time of one run besides the emulation (input upload, spike
    /// read-out), s, reported apart from the emulated time.
    pub run_overhead_s: f64,
    /// Integration step on the biological time axis, ms.
    pub step_ms: f64,
}

impl Profile {
    /// Spikey (Pfeil et al. 2013, *Six networks on a universal neuromorphic computing
    /// substrate*; DESIGN.md §5): 384 neurons in 2 blocks of 192 that cannot connect to
    /// each other, 256 synapse drivers per block, 4-bit weights in steps of 0.001 µS
    /// (excitatory, up to 0.015) and 0.004 µS (inhibitory, up to 0.06), one sign per
    /// population, shared potentials, speed-up 10⁴. Overheads (**assumptions**, see
    /// docs/backends/analog.md): 2 s to configure, 0.5 s per run.
    ///
    /// ```
    /// let p = spikeport_analog::Profile::spikey();
    /// assert_eq!((p.topology.max_neurons(), p.topology.max_fan_in()), (384, 256));
    /// ```
    pub fn spikey() -> Self {
        Self {
            name: "Spikey".into(),
            speedup: 1e4,
            topology: Topology::Blocks { blocks: 2, neurons_per_block: 192, drivers_per_block: 256 },
            one_sign_per_population: true,
            shared_potentials: true,
            weights: WeightGrid::Fixed { exc_step_us: 0.001, inh_step_us: 0.004 },
            synapse_loss: 0.0,
            input_spike_loss: 0.0,
            config_overhead_s: 2.0,
            run_overhead_s: 0.5,
            step_ms: 0.1,
        }
    }

    /// BrainScaleS-1 (Schemmel et al. 2010; DESIGN.md §5): a wafer of 384 HICANN chips
    /// with 512 neuron circuits each and 224 synapses per circuit, 8 circuits per logical
    /// neuron (the paper's setting), 4-bit weights scaled per row, speed-up 10⁴. Synapse
    /// loss and input spike loss default to 0 (see
    /// [`Profile::with_losses`] and docs/backends/analog.md for why and for the
    /// published ranges). Overheads (**assumptions**): 60 s to configure the wafer, 1 s
    /// per run.
    ///
    /// ```
    /// let p = spikeport_analog::Profile::brainscales();
    /// assert_eq!((p.topology.max_neurons(), p.topology.max_fan_in()), (24_576, 1_792));
    /// ```
    pub fn brainscales() -> Self {
        Self {
            name: "BrainScaleS".into(),
            speedup: 1e4,
            topology: Topology::Wafer {
                chips: 384,
                circuits_per_chip: 512,
                circuits_per_neuron: 8,
                synapses_per_circuit: 224,
            },
            one_sign_per_population: false,
            shared_potentials: false,
            weights: WeightGrid::PerRow,
            synapse_loss: 0.0,
            input_spike_loss: 0.0,
            config_overhead_s: 60.0,
            run_overhead_s: 1.0,
            step_ms: 0.1,
        }
    }

    /// The same profile with other synapse-loss and input-spike-loss rates (fractions).
    ///
    /// **Errors** with [`AnalogError::InvalidLossRate`] unless both are finite and in
    /// [0, 1).
    ///
    /// ```
    /// let p = spikeport_analog::Profile::brainscales().with_losses(0.1, 0.02)?;
    /// assert_eq!((p.synapse_loss, p.input_spike_loss), (0.1, 0.02));
    /// # Ok::<(), spikeport_analog::AnalogError>(())
    /// ```
    pub fn with_losses(mut self, synapse_loss: f64, input_spike_loss: f64) -> Result<Self, AnalogError> {
        self.synapse_loss = synapse_loss;
        self.input_spike_loss = input_spike_loss;
        self.check()?;
        Ok(self)
    }

    /// The same BrainScaleS profile with `n` circuits per logical neuron (fewer circuits:
    /// more neurons, smaller fan-in).
    ///
    /// **Errors** with [`AnalogError::InvalidProfile`] for a block topology, `n = 0` or
    /// `n` above the circuits of a chip.
    pub fn with_circuits_per_neuron(mut self, n: usize) -> Result<Self, AnalogError> {
        match &mut self.topology {
            Topology::Wafer { circuits_per_neuron, .. } => *circuits_per_neuron = n,
            Topology::Blocks { .. } => {
                return Err(AnalogError::InvalidProfile {
                    what: "circuits per neuron exist only on a wafer topology".into(),
                })
            }
        }
        self.check()?;
        Ok(self)
    }

    /// Check the profile's numbers.
    ///
    /// **Errors** with [`AnalogError::InvalidProfile`] or [`AnalogError::InvalidLossRate`].
    pub fn check(&self) -> Result<(), AnalogError> {
        let bad = |what: &str| Err(AnalogError::InvalidProfile { what: what.to_string() });
        if !(self.speedup.is_finite() && self.speedup > 0.0) {
            return bad("speedup must be > 0");
        }
        match self.topology {
            Topology::Blocks { blocks, neurons_per_block, drivers_per_block } => {
                if blocks == 0 || neurons_per_block == 0 || drivers_per_block == 0 {
                    return bad("blocks, neurons per block and drivers per block must be ≥ 1");
                }
            }
            Topology::Wafer { chips, circuits_per_chip, circuits_per_neuron, synapses_per_circuit } => {
                if chips == 0
                    || circuits_per_chip == 0
                    || circuits_per_neuron == 0
                    || synapses_per_circuit == 0
                {
                    return bad("chip, circuit and synapse counts must be ≥ 1");
                }
                if circuits_per_neuron > circuits_per_chip {
                    return bad("circuits_per_neuron exceeds circuits_per_chip");
                }
            }
        }
        for (name, v) in [("synapse_loss", self.synapse_loss), ("input_spike_loss", self.input_spike_loss)] {
            if !(v.is_finite() && (0.0..1.0).contains(&v)) {
                return Err(AnalogError::InvalidLossRate { name, value: v });
            }
        }
        if !(self.config_overhead_s.is_finite() && self.config_overhead_s >= 0.0) {
            return bad("config_overhead_s must be finite and ≥ 0");
        }
        if !(self.run_overhead_s.is_finite() && self.run_overhead_s >= 0.0) {
            return bad("run_overhead_s must be finite and ≥ 0");
        }
        if !(self.step_ms.is_finite() && self.step_ms > 0.0) {
            return bad("step_ms must be > 0");
        }
        if let WeightGrid::Fixed { exc_step_us, inh_step_us } = self.weights {
            if !(exc_step_us.is_finite() && exc_step_us > 0.0 && inh_step_us.is_finite() && inh_step_us > 0.0)
            {
                return bad("weight steps must be > 0");
            }
        }
        Ok(())
    }
}
