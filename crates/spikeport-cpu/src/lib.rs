//! # spikeport-cpu — CPU simulators on the spikeport LIF core
//!
//! Two [`Backend`](spikeport_snn::Backend)s for the digital rows of Ostrau et al.,
//! *Benchmarking Deep Spiking Neural Networks on Neuromorphic Hardware* (ICANN 2020):
//!
//! | backend | role in the paper | float | `IF_cond_exp` kernel | default dt | parallelism |
//! |---|---|---|---|---|---|
//! | [`Reference`] | NEST | f64 | [`CondExpAccurate`](spikeport_lif::CondExpAccurate) (adaptive Dormand–Prince 5(4)) | 0.1 ms | images in parallel |
//! | [`Fast`] | GeNN (CPU) | f32 | [`CondExpExpEuler`](spikeport_lif::CondExpExpEuler) (held-conductance exact step; GeNN's held-current [`CondExpExact`](spikeport_lif::CondExpExact) with [`CondExpStep::GennHeldCurrent`]) | 1 ms | images in parallel, vectorised updates (AVX2 where the CPU has it), unrolled event-driven propagation |
//!
//! Both simulate all three neuron models of [`spikeport_snn`] (`IF_curr_exp` and
//! `IF_curr_delta_sub` with their exact propagators), any topology (feed-forward chains,
//! lateral and recurrent projections), both [`ImageBoundary`](spikeport_snn::ImageBoundary)
//! values (`Continuous` batches run as one sequential simulation), membrane traces, spike
//! times, count checkpoints and in-place weight updates. They are one engine generic over
//! the float type and the kernel (module `engine`); the time-grid rules are those of
//! [`spikeport_snn::timing`] and the step protocol that of [`spikeport_lif::ring`].
//!
//! **Determinism.** A run is bit-identical whatever the number of rayon threads, and
//! under `Reset` an image's result does not depend on the batch it is in. Software
//! simulators draw nothing at random, so the deployment seed is unused.
//!
//! ## Measured
//!
//! The figures (speed per network, Fast/Reference agreement, conversion loss) and the
//! commands that produced them are in `docs/benchmarks.md` of the repository. In short,
//! on the 2-core development VM: Fast runs the Diehl net in about 3 ms per image
//! (10,000 images in about 30 s); Reference the 784×100×10 network at 0.1 ms in about
//! 5 ms per image; Fast and Reference at dt = 1 ms give the same class on 99.4 % of
//! NAS63's 10,000 test images (GeNN's held-current step: 98.2 %).
//!
//! **Activity.** `hardware_time_s` is the host wall time of the run (software
//! simulators); `synaptic_events` count spikes arriving at non-zero weights (a spike
//! whose arrival would fall after the end of the simulated time is not propagated);
//! `neuron_updates` are neuron-timesteps of all non-input populations.
//!
//! ```
//! use spikeport_cpu::{Fast, Reference};
//! use spikeport_snn::{Backend, Encoder, IfCondExpParams, Recording, RunOutput, SnnNetwork, SpikeInput};
//!
//! fn classify<B: Backend>(b: &B, net: &SnnNetwork, input: &SpikeInput) -> Result<RunOutput, Box<dyn std::error::Error>> {
//!     let mut dep = b.deploy(net, 0)?;
//!     Ok(b.run(&mut dep, input, &Recording::counts_only().with_checkpoints(50.0))?)
//! }
//!
//! // 4 inputs → 2 outputs; even inputs excite output 0, odd ones output 1 (weights in µS).
//! let lif = IfCondExpParams::paper_digital().into_model()?;
//! let w = ndarray::Array2::from_shape_fn((4, 2), |(i, j)| if i % 2 == j { 0.03 } else { -0.01 });
//! let net = SnnNetwork::feed_forward(4, vec![(lif, w)], 1.0)?;
//! let input = Encoder::paper_digital().encode(ndarray::array![[1.0f32, 0.0, 1.0, 0.2]].view())?;
//!
//! let fast = classify(&Fast::default(), &net, &input)?;          // f32, dt 1 ms
//! let reference = classify(&Reference::new(1.0)?, &net, &input)?; // f64, accurate, dt 1 ms
//! assert_eq!(fast.predictions(), vec![Some(0)]);
//! assert_eq!(reference.predictions(), vec![Some(0)]);
//! assert_eq!(fast.checkpoints.as_ref().map(|c| c.times_ms.len()), Some(10)); // 50, …, 500 ms
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod common;
mod engine;
mod error;
mod fast;
pub mod platforms;
mod reference;
mod step;

pub use common::{DEFAULT_MAX_BATCH, DEFAULT_MEMORY_LIMIT_BYTES};
pub use engine::CpuDeployment;
pub use error::CpuError;
pub use fast::{CondExpStep, Fast};
pub use platforms::platforms;
pub use reference::Reference;

/// Deployment of a [`Reference`] backend.
pub type ReferenceDeployment = CpuDeployment<f64>;
/// Deployment of a [`Fast`] backend.
pub type FastDeployment = CpuDeployment<f32>;

#[cfg(test)]
mod autotraits {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        send_sync::<Reference>();
        send_sync::<Fast>();
        send_sync::<ReferenceDeployment>();
        send_sync::<FastDeployment>();
        send_sync::<CpuError>();
    }
}
