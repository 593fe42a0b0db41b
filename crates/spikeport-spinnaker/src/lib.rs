//! # spikeport-spinnaker — a fixed-point model of sPyNNaker on SpiNNaker-1
//!
//! [`Spinnaker`] implements [`spikeport_snn::Backend`] with the arithmetic, weight
//! representation, placement and timing of sPyNNaker (the PyNN implementation for
//! SpiNNaker-1), so that a converted network shows what it loses on the real machine:
//! weight quantisation, ring-buffer saturation, the 1 ms tick, neurons per core.
//!
//! | module | what | sPyNNaker source it follows |
//! |---|---|---|
//! | [`fixed`] | s16.15 (`accum`) and unsigned 0.32 (`decay_t`) arithmetic, saturating | `common/neuron-typedefs.h`, `neuron/decay.h` |
//! | [`kernel`] | `IF_cond_exp`, `IF_curr_exp` updates in sPyNNaker's order | `neuron_model_lif_impl.h`, `synapse_types_exponential_impl.h`, `input_type_conductance.h`, `neuron_impl_standard.h` |
//! | [`weights`] | per-core, per-receptor ring-buffer shifts and 16-bit weights | `synaptic_manager.py` (`_get_ring_buffer_to_input_left_shifts`, `_get_weight_scale`) |
//! | [`machine`] | boards, chips, cores, tick budget, memory budget | DESIGN.md §5, `IFCondExpBase` (255 per core) |
//! | [`backend`] | [`Spinnaker`], [`SpinnakerDeployment`], [`RunStats`], [`MappingDetails`] | — |
//!
//! Time follows the shared grid of [`spikeport_snn::timing`] (1 ms tick, spikes
//! stamped at the end of the update, delays ≥ 1 tick). Runs over a batch of images are
//! parallel over images with rayon for [`ImageBoundary::Reset`](spikeport_snn::ImageBoundary)
//! and bit-identical for any thread count (integer arithmetic, ordered reduction).
//!
//! What a run reports beyond [`Activity`](spikeport_snn::Activity) — ring-buffer
//! saturations, tick overruns, packets, run and load time — is in
//! [`SpinnakerDeployment::last_run`]. Full modelling notes with sources and measured
//! agreement: `docs/backends/spinnaker.md`.
//!
//! | feature | what |
//! |---|---|
//! | `cpu-compare` | builds the `agreement` example, which compares this model with `spikeport-cpu`'s `Reference` and `Fast` on zoo networks |

pub mod backend;
mod error;
pub mod fixed;
pub mod kernel;
pub mod machine;
mod mapping;
pub mod platforms;
mod run;
pub mod weights;

pub use backend::{Spinnaker, SpinnakerDeployment, DT_MS};
pub use error::SpinnakerError;
pub use kernel::{LifFixed, NeuronState};
pub use machine::{Board, CycleCosts, SpinnakerConfig};
pub use mapping::MappingDetails;
pub use platforms::platforms;
pub use run::RunStats;

#[cfg(test)]
mod autotraits {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        send_sync::<Spinnaker>();
        send_sync::<SpinnakerDeployment>();
        send_sync::<RunStats>();
        send_sync::<MappingDetails>();
        send_sync::<SpinnakerError>();
        send_sync::<SpinnakerConfig>();
        send_sync::<LifFixed>();
        send_sync::<fixed::S1615>();
    }
}
