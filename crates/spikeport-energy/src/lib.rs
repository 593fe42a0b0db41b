//! # spikeport-energy — energy per inference, with sources and error bars
//!
//! A linear energy model per platform [`Profile`]:
//!
//! ```text
//! E = P_idle · T_hw + p_neuron · N · T_hw      (or e_neuron · N · T_bio for GeNN)
//!   + E_spike · spikes + E_syn · synaptic events
//!   (+ per-packet, per-core, per-chip, per-board, host terms where a profile has them)
//! ```
//!
//! where `T_hw` is the **modelled hardware time** of the run in s
//! ([`EnergyInput::hardware_time_s`]: biological time ÷ speed-up on accelerated analog
//! hardware, real time × time-scale factor on SpiNNaker, host wall time for software
//! simulators) and `T_bio` the biological time in ms. Every coefficient is a
//! [`Coefficient`] — value, 1 SD, source — and [`estimate`] returns an
//! [`EnergyEstimate`]: mean ± SD in J with a per-term breakdown (idle, neurons, spikes,
//! synapses, …). Coefficients are treated as independent, counts and times as exact:
//! `SD = (Σ_k (q_k σ_k)²)^½`.
//!
//! | module | what |
//! |---|---|
//! | [`model`] | [`Term`], [`Coefficient`], [`Profile`] (strict JSON), [`estimate`], [`EnergyEstimate`] |
//! | [`input`] | [`EnergyInput`], from an [`Activity`](spikeport_snn::Activity) + [`MappingReport`](spikeport_snn::MappingReport) or by hand |
//! | [`profiles`] | SpiNN-5, SpiNN-3, Spikey, GeNN on RTX 2070 and Ryzen 2600X (measured, SNABSuite), BrainScaleS-1 (estimate), host CPU |
//! | [`host`] | [`RaplMeter`], [`HostMeter`]: host energy from Linux RAPL counters or an assumed power |
//! | [`fit`](mod@fit) | [`fit()`]: non-negative least squares to calibrate a profile on your own measurements |
//!
//! Units: joules (J), watts (W), seconds (s) unless a name says otherwise (`bio_time_ms`).
//! The model, each coefficient's source and the BrainScaleS-1 assumptions are written up
//! in `docs/energy.md`.
//!
//! ## Example
//!
//! ```
//! use spikeport_energy::{profiles, EnergyInput, Term};
//!
//! // 10 images on SpiNN-5 with invented counters (for illustration only).
//! let input = EnergyInput {
//!     images: 10.0,
//!     neurons: 2_410.0,
//!     spikes: 30_000.0,
//!     input_spikes: 50_000.0,
//!     synaptic_events: 9.0e7,
//!     bio_time_ms: 5_500.0,
//!     hardware_time_s: 5.5,
//!     ..EnergyInput::default()
//! };
//! let e = profiles::spinn5().estimate(&input)?.per_image()?;
//! assert!(e.share(Term::IdlePower) > 0.9); // a SpiNN-5 board is mostly idle power
//! print!("{}", e.summary());
//! # Ok::<(), spikeport_energy::EnergyError>(())
//! ```

mod error;
pub mod fit;
pub mod host;
pub mod input;
pub mod model;
pub mod profiles;
pub mod time;

pub use error::EnergyError;
pub use fit::{fit, FitResult, FittedTerm, Sample};
pub use host::{HostMeasurement, HostMeter, HostMethod, RaplMeter, RaplReading};
pub use input::EnergyInput;
pub use model::{estimate, Coefficient, EnergyEstimate, Profile, ProfileKind, Term, TermEnergy};
pub use time::{RunTimeModel, TimeInput, TimeTerm};

#[cfg(test)]
mod autotraits {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        send_sync::<EnergyError>();
        send_sync::<EnergyInput>();
        send_sync::<Term>();
        send_sync::<Coefficient>();
        send_sync::<Profile>();
        send_sync::<ProfileKind>();
        send_sync::<EnergyEstimate>();
        send_sync::<TermEnergy>();
        send_sync::<Sample>();
        send_sync::<FitResult>();
        send_sync::<FittedTerm>();
        send_sync::<RaplMeter>();
        send_sync::<RaplReading>();
        send_sync::<HostMeter>();
        send_sync::<HostMeasurement>();
        send_sync::<HostMethod>();
    }
}
