//! # spikeport-bench — the experiment harness
//!
//! Runs networks × backends over MNIST test images and reports, per cell: ANN accuracy, SNN
//! accuracy and the conversion loss on the same images, spikes per layer, synaptic events,
//! biological, hardware and host time per image, and accuracy as a function of simulated
//! time. Reports come as a Markdown table, JSON and CSV with unit-carrying field names
//! ([`report`]).
//!
//! Any [`Backend`](spikeport_snn::Backend) can be used through the object-safe
//! [`DynBackend`](spikeport_snn::DynBackend); [`run_cell`] runs one network on one
//! [`BackendSetup`].

pub mod cost;
mod error;
pub mod metrics;
pub mod report;
mod runner;

pub use cost::{CostAt, CostOfInference};
pub use error::BenchError;
pub use metrics::CostMetrics;
pub use report::{
    cost_table, markdown_table, platform_table, predictions_csv, to_csv, write_csv, write_json, AccuracyAt,
    ImagePrediction, Record,
};
pub use runner::{
    convert, run_cell, BackendSetup, Conversion, Converted, Copies, Progress, CONTINUOUS_MIN_COPIES_PER_RUN,
};
pub use spikeport_ann::zoo::{load_zoo, zoo, ZOO_NAMES};
