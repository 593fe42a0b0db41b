//! # spikeport-analog — models of the analog platforms Spikey and BrainScaleS-1
//!
//! One engine ([`Analog`]) with two platform [`Profile`]s, both implementing
//! [`Backend`](spikeport_snn::Backend):
//!
//! | | Spikey | BrainScaleS-1 |
//! |---|---|---|
//! | neurons | 384 in 2 blocks of 192; the blocks cannot connect, so connected populations share a block | 384 chips × 512 circuits ÷ 8 circuits per neuron = 24,576 |
//! | fan-in | 256 synapse drivers per block (one per source neuron) | 224 synapses × 8 circuits = 1,792 |
//! | weights | 4 bit: exc. 0.001–0.015 µS, inh. 0.004–0.06 µS | 4 bit 0–15, scaled per synapse row |
//! | rules | one sign per population; shared v_rest, v_reset, v_thresh, e_rev | synapse loss, input spike loss (rates) |
//! | speed-up | 10⁴ | 10⁴ |
//!
//! **One seed, one chip.** [`Backend::deploy`](spikeport_snn::Backend::deploy) draws the
//! chip's fixed-pattern [`Mismatch`] (per neuron: tau_m, v_thresh, v_reset, v_rest, e_rev,
//! tau_syn, tau_refrac; per synapse: weight gain; synapse losses) from the seed; every
//! run then draws its trial-to-trial [`Noise`] (membrane noise, drive jitter, input spike
//! loss) from the seed and a run counter, so a deployment replays identically on any
//! number of threads. [`Variability`] bundles both with the presets `calibrated()`,
//! `uncalibrated()` and `ideal()`.
//!
//! **Time.** Neurons are integrated on the emulated biological time axis with
//! [`Profile::step_ms`] (0.1 ms) steps (see the engine's error bound in
//! docs/backends/analog.md); `Activity::hardware_time_s` is biological time ÷ 10⁴, and
//! the modelled host overheads are reported apart in `Activity::counters`
//! (`run_overhead_us`, `config_overhead_us`).
//!
//! **Mapping.** [`requirements`] reports what a network needs (neurons, blocks or chips,
//! fan-in, synapse drivers, sign rule) and every reason it does not fit, before deploying;
//! `deploy` fails with `BackendError::DoesNotFit` naming the resource, the need and the
//! supply.
//!
//! Spikey-net on a Spikey chip (the paper's settings via [`Platform`]):
//!
//! ```
//! use spikeport_analog::{Analog, Platform};
//! use spikeport_snn::{Backend, Recording, SnnNetwork};
//!
//! let lif = Platform::Spikey.paper_neuron().into_model()?;
//! // a stand-in for the converted 81×100×10 Spikey-net: non-negative weights in µS
//! let w1 = ndarray::Array2::from_shape_fn((81, 100), |(i, j)| if i % 10 == j % 10 { 0.015 } else { 0.0 });
//! let w2 = ndarray::Array2::from_shape_fn((100, 10), |(i, j)| if i % 10 == j { 0.015 } else { 0.0 });
//! let net = SnnNetwork::feed_forward(81, vec![(lif, w1), (lif, w2)], 1.0)?;
//! let spikey = Analog::spikey();
//! let mut chip = spikey.deploy(&net, 7)?; // chip seed 7
//! let mut image = ndarray::Array2::<f32>::zeros((1, 81));
//! image.row_mut(0).iter_mut().step_by(10).for_each(|p| *p = 1.0); // pixels 0, 10, 20, …
//! let input = Platform::Spikey.paper_encoder().encode(image.view())?;
//! let out = spikey.run(&mut chip, &input, &Recording::counts_only())?;
//! assert_eq!(out.predictions(), vec![Some(0)]);
//! assert!((out.activity.hardware_time_s - 350e-3 / 1e4).abs() < 1e-15); // 350 ms of biology
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backend;
mod chip;
mod config;
mod engine;
mod error;
mod mapping;
pub mod platforms;
mod run;

pub use backend::{brainscales_encoder, brainscales_neuron, spikey_encoder, spikey_neuron, Analog, Platform};
pub use chip::AnalogDeployment;
pub use config::{Mismatch, Noise, Profile, Topology, Variability, WeightGrid, MAX_LEVEL};
pub use engine::NeuronParams;
pub use error::AnalogError;
pub use mapping::{
    check_fit, check_fit_for, quantise, requirements, requirements_for, MixedSign, Quantised, Requirements,
};
pub use platforms::platforms;

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<crate::Analog>();
        assert_send_sync::<crate::AnalogDeployment>();
        assert_send_sync::<crate::Profile>();
        assert_send_sync::<crate::Variability>();
        assert_send_sync::<crate::Requirements>();
        assert_send_sync::<crate::AnalogError>();
    }
}
