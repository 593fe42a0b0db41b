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
//! | [`ann`] | `spikeport-ann` | bias-free ReLU networks: training, evaluation, save/load |

pub use spikeport_ann as ann;
pub use spikeport_data as data;
