//! # spikeport
//!
//! Benchmark deep spiking neural networks on software models of neuromorphic hardware,
//! after Ostrau et al., *Benchmarking Deep Spiking Neural Networks on Neuromorphic
//! Hardware* (ICANN 2020, arXiv 2004.01656).
//!
//! This facade crate re-exports the member crates:
//!
//! | module | crate | job |
//! |---|---|---|
//! | [`data`] | `spikeport-data` | MNIST IDX reader, scaling, pooling, subsets, splits |
//! | [`ann`] | `spikeport-ann` | bias-free ReLU networks: training, evaluation, save/load, the paper's zoo |
//! | [`snn`] | `spikeport-snn` | the contract: SNN description, neuron parameters, encoders, `Backend` trait |
//! | [`lif`] | `spikeport-lif` | LIF kernels, delay buffers, event-driven propagation |
//! | [`convert`] | `spikeport-convert` | ANN → SNN conversion (global scale, per-layer normalisation, sweeps) |
//! | [`cpu`] | `spikeport-cpu` | CPU simulators: `Reference` (NEST-like) and `Fast` (GeNN-like) |
//! | [`gpu`] | `spikeport-gpu` | `Fast`'s semantics as WGSL compute kernels on wgpu (Vulkan) |
//! | [`spinnaker`] | `spikeport-spinnaker` | fixed-point model of sPyNNaker on SpiNNaker-1 |
//! | [`analog`] | `spikeport-analog` | Spikey and BrainScaleS-1 models: 4-bit weights, mismatch, noise, size limits |
//! | [`energy`] | `spikeport-energy` | energy per inference: platform profiles with ± and sources, host RAPL, calibration fit |
//! | [`hil`] | `spikeport-hil` | hardware-in-the-loop training against any backend, with checkpoints |
//! | [`bench`](mod@bench) | `spikeport-bench` | the experiment harness and reports |
//! | [`plot`] | `spikeport-plot` | figures (SVG, PNG): accuracy vs time, energy vs accuracy, accuracy over chip seeds |
//! | [`io`] | `spikeport-io` | ONNX import, NIR export and import, `load_model` by file extension |
//! | [`platform`] | `spikeport-platform` | the platform object: backend, paper setting, sweep grid, HIL, energy, clock, copies |
//! | [`app`] | `spikeport-app` | the application: [`registry`], [`benchmark`], [`table`], [`experiment`], [`config`], the CLI |
//!
//! The GPU backend is the default feature `gpu` (`default-features = false` builds without
//! wgpu); NIR files need the feature `nir`. Every crate's error converts into the umbrella
//! [`Error`].

pub use spikeport_analog as analog;
pub use spikeport_ann as ann;
pub use spikeport_bench as bench;
pub use spikeport_convert as convert;
pub use spikeport_cpu as cpu;
pub use spikeport_data as data;
pub use spikeport_energy as energy;
#[cfg(feature = "gpu")]
pub use spikeport_gpu as gpu;
pub use spikeport_hil as hil;
pub use spikeport_io as io;
pub use spikeport_lif as lif;
pub use spikeport_plot as plot;
pub use spikeport_snn as snn;
pub use spikeport_spinnaker as spinnaker;

pub use spikeport_platform as platform;

pub use spikeport_app as app;
pub use spikeport_app::{benchmark, config, experiment, registry, table};

pub use ndarray;

mod error;
pub use error::Error;
