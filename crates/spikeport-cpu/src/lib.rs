//! # spikeport-cpu — CPU simulators on the spikeport LIF core
//!
//! Two [`Backend`](spikeport_snn::Backend)s for the digital rows of Ostrau et al.,
//! *Benchmarking Deep Spiking Neural Networks on Neuromorphic Hardware* (ICANN 2020):
//!
//! | backend | role in the paper | float | `IF_cond_exp` kernel | default dt | parallelism |
//! |---|---|---|---|---|---|
//! | [`Reference`] | NEST | f64 | [`CondExpAccurate`](spikeport_lif::CondExpAccurate) (adaptive Dormand–Prince 5(4)) | 0.1 ms | images in parallel |
//! | [`Fast`] | GeNN (CPU) | f32 | [`CondExpExact`](spikeport_lif::CondExpExact) (exact constant-input step) | 1 ms | images in parallel, vectorised updates, unrolled event-driven propagation |
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
//! ## Measured (2-core Xeon Sapphire Rapids VM, generic x86-64 build, 2 rayon threads)
//!
//! Paper setting (IF_cond_exp, 120 Hz regular trains, 500 ms + 50 ms, global conversion),
//! real MNIST test images, `cargo run --release -p spikeport-cpu --example cpu_throughput
//! -- --network NET --images N --max-weight W --run RUNS`:
//!
//! | network | backend, dt | images | wall per image | accuracy (ANN) |
//! |---|---|---|---|---|
//! | diehl 784×1200×1200×10, W 0.01 | Fast, 1 ms | 10,000 | 3.75 ms (37.5 s in all; 3.8·10⁹ synaptic events/s) | 98.18 % (98.82 %) |
//! | diehl, W 0.015 | Fast, 1 ms | 10,000 | 4.66 ms (46.6 s; 4.3·10⁹ events/s) | 97.38 % |
//! | nas63 784×43×10×10, W 0.015 | Fast, 1 ms | 10,000 | 0.30 ms | 93.19 % (96.88 %) |
//! | nas63, W 0.015 | Reference, 1 ms | 10,000 | 9.5 ms | 93.63 % |
//! | nas63, W 0.015 | Reference, 0.1 ms | 10,000 | 3.9 ms | 93.60 % |
//! | 784×100×10 (`mlp100`), W 0.015 | Reference, 0.1 ms | 1,000 | 8.0 ms | 88.9 % (89.9 %) |
//! | 784×100×10, W 0.015 | Reference, 1 ms | 1,000 | 22.6 ms | 88.4 % |
//!
//! `cargo bench -p spikeport-cpu --bench cpu` (criterion, idle machine): Fast on diehl
//! (W 0.01, 64 images) 321 images/s = 3.1 ms per image, 4.4·10⁹ synaptic events/s;
//! Reference on the 784×100×10 network 8.1 ms per image at 0.1 ms, 23 ms at 1 ms.
//!
//! About 83 % of the Reference's time is spent inside `CondExpAccurate` (perf); NEST's
//! looser tolerance (1e-3 mV) does not change it measurably, at 1 ms the adaptive control
//! sub-steps (so 1 ms is slower than 0.1 ms), and a `-C target-cpu=native` build brings
//! 0.1 ms down to 6.3 ms per image (while making Fast slower). Fast vs Reference on
//! NAS63: same class for 95.3 % of the 10,000 images at 1 ms, 98.7 % at 0.1 ms (see
//! `tests/agreement.rs` for why 1 ms cannot do much better).
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
mod reference;

pub use common::{DEFAULT_MAX_BATCH, DEFAULT_MEMORY_LIMIT_BYTES};
pub use engine::CpuDeployment;
pub use error::CpuError;
pub use fast::Fast;
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
