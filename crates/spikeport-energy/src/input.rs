//! [`EnergyInput`]: the activity counters and platform facts an energy model needs.

use serde::{Deserialize, Serialize};
use spikeport_snn::{Activity, Counter, MappingReport, SnnNetwork, UnitKind};

use crate::EnergyError;

/// What a run did, in the units energy models price: counts, neurons, hardware units
/// and times.
///
/// Every field is an `f64` so that per-image averages (fractional counts) can be filled
/// in by hand; every field must be finite and ≥ 0 ([`EnergyInput::validate`]). Fields
/// missing from JSON default to 0; unknown keys are an error.
///
/// Build it from a run with [`EnergyInput::from_run`] (or
/// [`EnergyInput::from_activity`]), or fill it by hand:
///
/// ```
/// use spikeport_energy::EnergyInput;
///
/// let input = EnergyInput {
///     images: 1.0,
///     neurons: 2_410.0,
///     spikes: 3_000.0,
///     synaptic_events: 6.0e6,
///     bio_time_ms: 550.0,
///     hardware_time_s: 0.55,
///     ..EnergyInput::default()
/// };
/// input.validate()?;
/// # Ok::<(), spikeport_energy::EnergyError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnergyInput {
    /// Number of images (inferences) the counters cover; used only by
    /// [`EnergyEstimate::per_image`](crate::EnergyEstimate::per_image).
    pub images: f64,
    /// Neurons deployed (non-input populations), count.
    pub neurons: f64,
    /// Spikes emitted by non-input neurons, count.
    pub spikes: f64,
    /// Spikes of the input population (spike sources), count.
    pub input_spikes: f64,
    /// Synaptic events on all projections (one spike arriving at one non-zero synapse),
    /// including those from the input population, count.
    pub synaptic_events: f64,
    /// Multicast packets sent (SpiNNaker's `packets_sent` counter), count.
    pub packets: f64,
    /// Cores used (SpiNNaker application cores), count.
    pub cores: f64,
    /// Chips used (SpiNNaker chips, BrainScaleS HICANNs, Spikey chips), count.
    pub chips: f64,
    /// Boards used (SpiNNaker boards), count.
    pub boards: f64,
    /// Biological time for which the deployed neurons run, ms. From a plain run's
    /// [`Activity`] this is the time summed over images (one copy, images in sequence);
    /// the harness's cost model passes the run's span instead (the longest copy's chain of
    /// images), because every copy's neurons run for the whole run.
    pub bio_time_ms: f64,
    /// Modelled hardware time, s: biological time ÷ speed-up on accelerated hardware,
    /// real time × time-scale factor on SpiNNaker, host wall time for software
    /// simulators (as [`Activity::hardware_time_s`]).
    pub hardware_time_s: f64,
    /// Host wall-clock time of the run, s.
    pub wall_time_s: f64,
}

impl EnergyInput {
    /// Build from a run's [`Activity`] and the deployment's [`MappingReport`], taking the
    /// network's projections to tell input spikes from the others: population 0 is the
    /// input (spike sources), as everywhere in spikeport.
    ///
    /// Hardware units are read from [`MappingReport::units`] by kind: [`UnitKind::Core`] →
    /// cores, [`UnitKind::Chip`] or [`UnitKind::Hicann`] → chips, [`UnitKind::Board`] →
    /// boards (others are not priced). Packets come from the [`Counter::PacketsSent`]
    /// counter when the backend reports it.
    ///
    /// **Errors** with [`EnergyError::InvalidInput`] if a time in `activity` is negative
    /// or not finite, or with [`EnergyError::InvalidProfile`] if `activity` and `net`
    /// disagree on the number of populations.
    pub fn from_run(
        activity: &Activity,
        mapping: &MappingReport,
        net: &SnnNetwork,
    ) -> Result<Self, EnergyError> {
        let pops = net.populations().len();
        if !activity.spikes.is_empty() && activity.spikes.len() != pops {
            return Err(EnergyError::InvalidProfile {
                profile: String::new(),
                reason: format!(
                    "activity has spike counts for {} populations, the network has {pops}",
                    activity.spikes.len()
                ),
            });
        }
        Self::from_activity(activity, mapping)
    }

    /// Build from a run's [`Activity`] and [`MappingReport`] alone: `activity.spikes[0]`
    /// is taken as the input population's spikes (spikeport's convention), the rest as
    /// neuron spikes. See [`EnergyInput::from_run`] for how units and packets are read.
    ///
    /// **Errors** with [`EnergyError::InvalidInput`] if a time in `activity` is negative
    /// or not finite.
    pub fn from_activity(activity: &Activity, mapping: &MappingReport) -> Result<Self, EnergyError> {
        let cores = mapping.units_of(UnitKind::Core);
        let chips = mapping.units_of(UnitKind::Chip) + mapping.units_of(UnitKind::Hicann);
        let boards = mapping.units_of(UnitKind::Board);
        let input_spikes = activity.spikes.first().copied().unwrap_or(0);
        let spikes: u64 = activity.spikes.iter().skip(1).sum();
        let input = Self {
            images: activity.images as f64,
            neurons: mapping.neurons as f64,
            spikes: spikes as f64,
            input_spikes: input_spikes as f64,
            synaptic_events: activity.total_synaptic_events() as f64,
            packets: activity.counters.get(&Counter::PacketsSent).copied().unwrap_or(0) as f64,
            cores: cores as f64,
            chips: chips as f64,
            boards: boards as f64,
            bio_time_ms: activity.bio_time_ms,
            hardware_time_s: activity.hardware_time_s,
            wall_time_s: activity.wall_time_s,
        };
        input.validate()?;
        Ok(input)
    }

    /// The fields with their names, in declaration order.
    pub fn fields(&self) -> [(&'static str, f64); 12] {
        [
            ("images", self.images),
            ("neurons", self.neurons),
            ("spikes", self.spikes),
            ("input_spikes", self.input_spikes),
            ("synaptic_events", self.synaptic_events),
            ("packets", self.packets),
            ("cores", self.cores),
            ("chips", self.chips),
            ("boards", self.boards),
            ("bio_time_ms", self.bio_time_ms),
            ("hardware_time_s", self.hardware_time_s),
            ("wall_time_s", self.wall_time_s),
        ]
    }

    /// Check that every field is finite and ≥ 0.
    ///
    /// **Errors** with [`EnergyError::InvalidInput`] naming the first bad field.
    pub fn validate(&self) -> Result<(), EnergyError> {
        for (field, value) in self.fields() {
            if !(value.is_finite() && value >= 0.0) {
                return Err(EnergyError::InvalidInput { field, value });
            }
        }
        Ok(())
    }
}
