//! # spikeport-analog — models of the analog platforms Spikey and BrainScaleS-1
//!
//! One engine ([`Analog`]) with two platform [`Profile`]s, both implementing
//! [`Backend`](spikeport_snn::Backend):
//!
//! | | Spikey | BrainScaleS-1 |
//! |---|---|---|
//! | neurons a network may use | 192 (one block; the two blocks of 192 cannot connect) | 384 chips × 512 circuits ÷ 8 circuits per neuron = 24,576 |
//! | fan-in | 256 synapse drivers per block (one per source neuron) | 224 synapses × 8 circuits = 1,792 |
//! | weights | 4 bit: 0.001 µS (exc.) / 0.004 µS (inh.) steps | 4 bit, scaled per synapse row |
//! | sign rule | one sign per population | none |
//! | speed-up | 10⁴ | 10⁴ |
//!
//! **One seed, one chip.** [`Backend::deploy`](spikeport_snn::Backend::deploy) draws the
//! chip's fixed-pattern [`Mismatch`] (per neuron: tau_m, v_thresh, v_reset, v_rest, e_rev,
//! tau_syn, tau_refrac; per synapse: weight gain; BrainScaleS synapse losses) from the
//! seed; every run then draws its trial-to-trial [`Noise`] (membrane noise, drive jitter,
//! input spike loss) from the seed and a run counter, so a deployment replays
//! identically, any number of threads.
//!
//! **Time.** Neurons are integrated on the emulated biological time axis with
//! [`Profile::step_ms`] (0.1 ms) steps; [`Activity::hardware_time_s`](spikeport_snn::Activity)
//! is biological time ÷ 10⁴, and the fixed per-run host overhead is reported apart
//! ([`AnalogDeployment::overhead_s`]).
//!
//! ```
//! use spikeport_analog::{spikey_encoder, spikey_neuron, Analog};
//! use spikeport_snn::{Backend, Recording, SnnNetwork};
//!
//! let lif = spikey_neuron().into_model()?;
//! let w = ndarray::Array2::from_shape_fn((4, 2), |(i, j)| if i % 2 == j { 0.015 } else { 0.0 });
//! let net = SnnNetwork::feed_forward(4, vec![(lif, w)], 1.0)?;
//! let spikey = Analog::spikey();
//! let mut chip = spikey.deploy(&net, 7)?; // chip seed 7
//! let input = spikey_encoder().encode(ndarray::array![[1.0f32, 0.0, 1.0, 0.0]].view())?;
//! let out = spikey.run(&mut chip, &input, &Recording::counts_only())?;
//! assert_eq!(out.predictions(), vec![Some(0)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backend;
mod config;
mod engine;
mod error;
mod mapping;

pub use backend::{
    brainscales_encoder, brainscales_neuron, spikey_encoder, spikey_neuron, Analog, AnalogDeployment,
};
pub use config::{Mismatch, Noise, Profile, WeightGrid, MAX_LEVEL};
pub use engine::NeuronParams;
pub use error::AnalogError;
pub use mapping::{check_fit, quantise, requirements, Quantised, Requirements};
