//! # spikeport-snn — the contract between conversion, backends and the harness
//!
//! A backend-independent description of a deep spiking network converted from an ANN
//! (after Ostrau et al., *Benchmarking Deep Spiking Neural Networks on Neuromorphic
//! Hardware*, ICANN 2020), the input spike encoders, and the [`Backend`] trait every
//! platform model implements.
//!
//! | module | what |
//! |---|---|
//! | [`params`] | neuron models with PyNN names and units (`IF_cond_exp`, `IF_curr_exp`, delta-synapse IF with reset by subtraction), checked parameters |
//! | [`network`] | [`SnnNetwork`]: populations and dense signed-weight projections, validated |
//! | [`encode`] | [`Encoder`] (regular trains as in the paper, seeded Poisson) → [`SpikeInput`] |
//! | [`timing`] | the time-grid rules all backends share (spike stamps, delays, refractoriness, readout window) |
//! | [`backend`] | [`Backend`], [`PlatformInfo`], [`Recording`], [`RunOutput`], [`Activity`], [`BackendError`] |
//! | [`readout`] | argmax readout with ties as wrong, accuracy |
//!
//! Units are PyNN's throughout: mV, nF, ms, nA, µS; rates in Hz. Names of fields that are
//! not PyNN parameters carry their unit (`delay_ms`, `max_freq_hz`).
//!
//! ## Example
//!
//! ```
//! use ndarray::array;
//! use spikeport_snn::{Encoder, IfCondExpParams, SnnNetwork, SnnError};
//!
//! // A 2-input, 2-output layer in the paper's digital setting: weights in µS, the sign
//! // selects the receptor (negative = inhibitory), delay 1 ms.
//! let lif = IfCondExpParams::paper_digital().into_model()?;
//! let net = SnnNetwork::feed_forward(2, vec![(lif, array![[0.02, -0.01], [0.0, 0.015]])], 1.0)?;
//!
//! // Two images, pixels in [0, 1], encoded as the paper does (120 Hz, 500 ms + 50 ms).
//! let input = Encoder::paper_digital().encode(array![[1.0f32, 0.0], [0.25, 0.5]].view())?;
//! assert_eq!(input.n_images(), 2);
//! assert_eq!(input.n_inputs(), net.input_size());
//! assert_eq!(input.spike_times(1, 0).len(), 15); // 30 Hz for 500 ms
//! # Ok::<(), SnnError>(())
//! ```
//!
//! A backend then deploys the network and runs the input; see [`Backend`] for a complete
//! toy implementation.

pub mod backend;
mod counters;
pub mod encode;
mod error;
pub mod exec;
pub mod network;
pub mod params;
pub mod readout;
mod session;
pub mod timing;

pub use backend::{
    Activity, Backend, BackendError, CopyFit, CountCheckpoints, Deployed, HardwareUnits, MappingReport,
    NeuronSelection, Neurons, Placement, PlatformInfo, RecordedMembrane, RecordedSpikes, Recording,
    RunOutput, WeightResolution,
};
pub use counters::{Counter, UnitKind};
pub use encode::{CopyLayout, Encoder, Encoding, ImageBoundary, SpikeInput};
pub use error::SnnError;
pub use network::{Population, Projection, SnnNetwork};
pub use params::{
    IfCondExpParams, IfCondExpValidParams, IfCurrDeltaSubParams, IfCurrDeltaSubValidParams, IfCurrExpParams,
    IfCurrExpValidParams, ModelKind, NeuronModel, SynapseKind,
};
pub use session::{DynBackend, Session};

#[cfg(test)]
mod autotraits {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        send_sync::<SnnError>();
        send_sync::<BackendError>();
        send_sync::<IfCondExpParams>();
        send_sync::<IfCondExpValidParams>();
        send_sync::<IfCurrExpParams>();
        send_sync::<IfCurrExpValidParams>();
        send_sync::<IfCurrDeltaSubParams>();
        send_sync::<IfCurrDeltaSubValidParams>();
        send_sync::<NeuronModel>();
        send_sync::<ModelKind>();
        send_sync::<SynapseKind>();
        send_sync::<Population>();
        send_sync::<Projection>();
        send_sync::<SnnNetwork>();
        send_sync::<Encoder>();
        send_sync::<Encoding>();
        send_sync::<ImageBoundary>();
        send_sync::<SpikeInput>();
        send_sync::<PlatformInfo>();
        send_sync::<WeightResolution>();
        send_sync::<Recording>();
        send_sync::<NeuronSelection>();
        send_sync::<Neurons>();
        send_sync::<RunOutput>();
        send_sync::<RecordedSpikes>();
        send_sync::<RecordedMembrane>();
        send_sync::<CountCheckpoints>();
        send_sync::<Activity>();
        send_sync::<MappingReport>();
        send_sync::<HardwareUnits>();
        send_sync::<Placement>();
        send_sync::<Counter>();
        send_sync::<UnitKind>();
        send_sync::<exec::RunPlan>();
        send_sync::<exec::TileOutput>();
    }
}
