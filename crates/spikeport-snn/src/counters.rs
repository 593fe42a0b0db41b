//! Typed keys shared by backends, reports and energy models: the platform event counters of
//! a run ([`Counter`]) and the hardware units a deployment occupies ([`UnitKind`]).
//!
//! Both serialise as the lower-case names reports have always used (`"packets_sent"`,
//! `"core"`, …), so JSON and CSV files keep their form; a name that is not one of them is an
//! error when read, never a silent zero.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every variant.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name in reports, e.g. `"packets_sent"` or `"core"`.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.name() == s).ok_or_else(|| {
                    let known: Vec<&str> = Self::ALL.iter().map(|v| v.name()).collect();
                    format!("unknown {} `{s}`; known: {}", stringify!($name), known.join(", "))
                })
            }
        }

        /// Ordered by name, so that maps keyed by it list their entries alphabetically.
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> Ordering {
                self.name().cmp(other.name())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }
    };
}

named_enum! {
    /// A platform event counted over a run ([`Activity::counters`](crate::Activity)); every
    /// value is a count (durations in whole µs where the name says so).
    Counter {
        /// SpiNNaker: 16-bit synaptic input ring-buffer slots that saturated.
        RingSaturations => "ring_saturations",
        /// SpiNNaker: core ticks whose modelled CPU cycles exceeded the tick's budget.
        TickOverruns => "tick_overruns",
        /// SpiNNaker: core ticks simulated (cores × ticks).
        CoreTicks => "core_ticks",
        /// SpiNNaker: the largest modelled CPU load of one core in one tick, ‰ of the
        /// cycles a real-time tick (time-scale factor 1) offers; a time-scale factor of at
        /// least this ÷ 1000 runs without overruns. Combined over runs by maximum.
        MaxTickLoadPermille => "max_tick_load_permille",
        /// SpiNNaker: multicast packets sent (one per spike of a population with outgoing
        /// projections).
        PacketsSent => "packets_sent",
        /// SpiNNaker: packets delivered to target cores.
        PacketDeliveries => "packet_deliveries",
        /// SpiNNaker: modelled host time to map, generate and load a run, µs (reported apart
        /// from the run time). Combined over runs by maximum: one load per deployment.
        LoadTimeUs => "load_time_us",
        /// GPU: device chunks a run was cut into.
        GpuChunks => "gpu_chunks",
        /// GPU: command submissions of a run.
        GpuSubmissions => "gpu_submissions",
        /// Analog: input spikes dropped on the links.
        InputSpikesLost => "input_spikes_lost",
        /// Analog: host overhead of the run (start, read-out), µs.
        RunOverheadUs => "run_overhead_us",
        /// Analog: configuration overhead (weights written since the last run), µs.
        ConfigOverheadUs => "config_overhead_us",
    }
}

named_enum! {
    /// A kind of hardware unit a deployment occupies ([`HardwareUnits`](crate::HardwareUnits)).
    UnitKind {
        /// A SpiNNaker application core.
        Core => "core",
        /// A chip: a SpiNNaker chip or a Spikey chip.
        Chip => "chip",
        /// A SpiNNaker board.
        Board => "board",
        /// A BrainScaleS-1 HICANN chip.
        Hicann => "HICANN",
        /// A BrainScaleS-1 wafer.
        Wafer => "wafer",
        /// An analog neuron circuit (BrainScaleS-1 denmem).
        NeuronCircuit => "neuron circuit",
        /// A Spikey block (192 neurons, 256 synapse drivers).
        Block => "block",
        /// An analog neuron.
        Neuron => "neuron",
        /// A Spikey synapse driver.
        SynapseDriver => "synapse driver",
    }
}

impl Counter {
    /// Combines two totals of this counter (of two runs or parts of a run): the maximum
    /// for [`Counter::MaxTickLoadPermille`] and [`Counter::LoadTimeUs`], the sum for every
    /// other counter.
    pub fn combine(self, a: u64, b: u64) -> u64 {
        match self {
            Counter::MaxTickLoadPermille | Counter::LoadTimeUs => a.max(b),
            _ => a.saturating_add(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for &c in Counter::ALL {
            assert_eq!(c.name().parse::<Counter>(), Ok(c));
            assert_eq!(serde_json::to_string(&c).expect("json"), format!("\"{}\"", c.name()));
        }
        for &u in UnitKind::ALL {
            assert_eq!(u.name().parse::<UnitKind>(), Ok(u));
        }
        assert!("packet_sent".parse::<Counter>().unwrap_err().contains("packets_sent"));
        assert!(serde_json::from_str::<UnitKind>("\"cores\"").is_err());
    }

    #[test]
    fn maps_keyed_by_them_list_entries_by_name() {
        let m: std::collections::BTreeMap<UnitKind, usize> =
            [(UnitKind::Core, 3), (UnitKind::Board, 1), (UnitKind::Chip, 1)].into_iter().collect();
        assert_eq!(serde_json::to_string(&m).expect("json"), r#"{"board":1,"chip":1,"core":3}"#);
    }
}
