//! The machine: boards, chips, cores, time, CPU cycle budget, memory budget.

use crate::SpinnakerError;

/// Application cores per chip: 18 ARM968 cores, one runs the monitor and one is spare
/// (DESIGN.md §5; SpiNNaker datasheet; sPyNNaker places 16 application cores per chip).
pub const APP_CORES_PER_CHIP: usize = 16;

/// Core clock, Hz (ARM968 at 200 MHz on SpiNNaker-1).
pub const CLOCK_HZ: u64 = 200_000_000;

/// Most `IF_cond_exp` neurons per core (sPyNNaker `IFCondExpBase`:
/// `_model_based_max_atoms_per_core = 255`).
pub const MAX_COND_EXP_PER_CORE: usize = 255;

/// Most `IF_curr_exp` neurons per core (256 as in the issue; sPyNNaker releases differ
/// between 255 and 256).
pub const MAX_CURR_EXP_PER_CORE: usize = 256;

/// Longest delay a neuron core's ring buffer holds, timesteps (4 delay bits per
/// synaptic word: `SYNAPSE_DELAY_BITS` in sPyNNaker's `synapse_row.h`).
pub const MAX_NATIVE_DELAY_STEPS: usize = 16;

/// Longest delay with delay-extension cores, timesteps (sPyNNaker: 16 ticks per core
/// times up to 8 extra delay stages = 144).
pub const MAX_EXTENDED_DELAY_STEPS: usize = 144;

/// Per-core SDRAM budget for the synaptic matrix, bytes: 128 MiB SDRAM per chip shared
/// by 16 application cores (an assumption of this model; sPyNNaker's placer budgets
/// SDRAM per chip, not per core).
pub const SDRAM_PER_CORE_BYTES: usize = 128 * 1024 * 1024 / APP_CORES_PER_CHIP;

/// Bytes of one synaptic row: a 3-word header plus one 32-bit word per synapse (16-bit
/// weight, delay, synapse type, 8-bit target index: sPyNNaker's static synapse row,
/// `synapse_row.h`).
pub fn row_bytes(n_synapses: usize) -> usize {
    (3 + n_synapses) * 4
}

/// A SpiNNaker-1 board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Board {
    /// SpiNN-3: 4 chips.
    Spinn3,
    /// SpiNN-5: 48 chips.
    Spinn5,
}

impl Board {
    /// Chips on the board.
    pub fn chips(self) -> usize {
        match self {
            Self::Spinn3 => 4,
            Self::Spinn5 => 48,
        }
    }

    /// Board name, `"SpiNN-3"` or `"SpiNN-5"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Spinn3 => "SpiNN-3",
            Self::Spinn5 => "SpiNN-5",
        }
    }
}

/// Assumed CPU cycles per item of work in one timer tick of a neuron core.
///
/// These are **modelling assumptions** of the right order of magnitude, not measured
/// figures: sPyNNaker's own resource estimator (`get_n_cpu_cycles` of its neuron,
/// synapse, input and threshold components) budgets a few hundred cycles per neuron per
/// tick, and its static synapse loop costs tens of cycles per synaptic word after a
/// per-spike overhead for the packet interrupt, master-population-table lookup and row
/// DMA. See `docs/backends/spinnaker.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleCosts {
    /// Cycles per neuron update (state update, synaptic shaping, input, threshold).
    pub per_neuron: u64,
    /// Cycles per incoming spike row (interrupt, table lookup, DMA set-up).
    pub per_spike_row: u64,
    /// Cycles per synaptic word processed (one synaptic event).
    pub per_synaptic_event: u64,
}

impl Default for CycleCosts {
    /// 220 cycles per neuron, 150 per spike row, 20 per synaptic event.
    fn default() -> Self {
        Self { per_neuron: 220, per_spike_row: 150, per_synaptic_event: 20 }
    }
}

/// Configuration of the modelled machine and run.
#[derive(Clone, Debug, PartialEq)]
pub struct SpinnakerConfig {
    /// Board type.
    pub board: Board,
    /// Number of boards available.
    pub n_boards: usize,
    /// User limit on neurons per core (as `set_number_of_neurons_per_core`); `None` = the
    /// model's maximum (255 / 256). The paper used 180–200 for large networks.
    pub max_neurons_per_core: Option<usize>,
    /// Limit on spike sources (`SpikeSourceArray` atoms) per core; `None` = no limit, one
    /// core per spike-source population: sPyNNaker 5.x (2019–2020, the paper's) sets no
    /// atom limit for spike-source arrays (`AbstractPyNNModel`: `sys.maxsize`) and
    /// splits them only when their SDRAM does not fit, which a 784-input MNIST layer does.
    pub max_spike_sources_per_core: Option<usize>,
    /// sPyNNaker's `time_scale_factor`: each 1 ms tick lasts `time_scale_factor` ms of
    /// wall time (≥ 1), and the CPU budget per tick grows accordingly.
    pub time_scale_factor: f64,
    /// Fixed set-up / load time per run, s (mapping, data generation, loading,
    /// start-up), reported apart from the run time. Assumption, see docs.
    pub load_time_s: f64,
    /// Expected peak rate used by the host to size ring-buffer shifts, Hz (sPyNNaker's
    /// `spikes_per_second`, default 30; spikes per tick are at least 1).
    pub spikes_per_second: f64,
    /// SDRAM budget for each core's synaptic matrix, bytes.
    pub sdram_per_core_bytes: usize,
    /// Cycle costs for the per-tick CPU budget.
    pub cycles: CycleCosts,
}

impl SpinnakerConfig {
    /// One SpiNN-5 board, model maxima per core, real time (tsf 1), 10 s load time,
    /// 30 Hz expected rate, [`SDRAM_PER_CORE_BYTES`], default [`CycleCosts`].
    pub fn spinn5() -> Self {
        Self {
            board: Board::Spinn5,
            n_boards: 1,
            max_neurons_per_core: None,
            max_spike_sources_per_core: None,
            time_scale_factor: 1.0,
            load_time_s: 10.0,
            spikes_per_second: 30.0,
            sdram_per_core_bytes: SDRAM_PER_CORE_BYTES,
            cycles: CycleCosts::default(),
        }
    }

    /// As [`SpinnakerConfig::spinn5`] with one SpiNN-3 board.
    pub fn spinn3() -> Self {
        Self { board: Board::Spinn3, ..Self::spinn5() }
    }

    /// Set the neurons-per-core limit.
    #[must_use]
    pub fn with_neurons_per_core(mut self, n: usize) -> Self {
        self.max_neurons_per_core = Some(n);
        self
    }

    /// Set the time-scale factor.
    #[must_use]
    pub fn with_time_scale_factor(mut self, tsf: f64) -> Self {
        self.time_scale_factor = tsf;
        self
    }

    /// Set the number of boards.
    #[must_use]
    pub fn with_boards(mut self, n: usize) -> Self {
        self.n_boards = n;
        self
    }

    /// Check the settings.
    ///
    /// **Errors** with [`SpinnakerError::InvalidConfig`].
    pub fn validate(&self) -> Result<(), SpinnakerError> {
        let bad = |what, expected, value: f64| Err(SpinnakerError::InvalidConfig { what, expected, value });
        if self.n_boards == 0 {
            return bad("n_boards", ">= 1", 0.0);
        }
        if let Some(n) = self.max_neurons_per_core {
            if n == 0 || n > MAX_CURR_EXP_PER_CORE {
                return bad("max_neurons_per_core", "in 1..=256", n as f64);
            }
        }
        if self.max_spike_sources_per_core == Some(0) {
            return bad("max_spike_sources_per_core", ">= 1", 0.0);
        }
        if !(self.time_scale_factor.is_finite() && self.time_scale_factor >= 1.0) {
            return bad("time_scale_factor", "finite and >= 1", self.time_scale_factor);
        }
        if !(self.load_time_s.is_finite() && self.load_time_s >= 0.0) {
            return bad("load_time_s", "finite and >= 0 s", self.load_time_s);
        }
        if !(self.spikes_per_second.is_finite() && self.spikes_per_second > 0.0) {
            return bad("spikes_per_second", "finite and > 0 Hz", self.spikes_per_second);
        }
        Ok(())
    }

    /// Application cores available: boards × chips × 16.
    pub fn cores_available(&self) -> usize {
        self.n_boards * self.board.chips() * APP_CORES_PER_CHIP
    }

    /// CPU cycles available to a core in one tick of `dt_ms` biological ms:
    /// 200 MHz × dt × time_scale_factor.
    pub fn cycles_per_tick(&self, dt_ms: f64) -> u64 {
        (CLOCK_HZ as f64 * dt_ms * 1e-3 * self.time_scale_factor) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_sizes_and_budget() {
        assert_eq!(SpinnakerConfig::spinn5().cores_available(), 768);
        assert_eq!(SpinnakerConfig::spinn3().cores_available(), 64);
        assert_eq!(SpinnakerConfig::spinn5().cycles_per_tick(1.0), 200_000);
        assert_eq!(SpinnakerConfig::spinn5().with_time_scale_factor(10.0).cycles_per_tick(1.0), 2_000_000);
        assert_eq!(row_bytes(10), 52);
    }

    #[test]
    fn validation() {
        assert!(SpinnakerConfig::spinn5().validate().is_ok());
        assert!(SpinnakerConfig::spinn5().with_neurons_per_core(0).validate().is_err());
        assert!(SpinnakerConfig::spinn5().with_time_scale_factor(0.5).validate().is_err());
        assert!(SpinnakerConfig::spinn5().with_boards(0).validate().is_err());
    }
}
