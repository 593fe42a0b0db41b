//! # spikeport-ann
//!
//! The non-spiking half of spikeport: feed-forward networks of dense layers with ReLU hidden
//! units and a linear output (bias optional — the paper's networks have none), trained by
//! mini-batch back-propagation, evaluated, and saved in an interoperable format.
//!
//! * [`Network`] / [`Dense`]: the model; [`Network::forward_all`] returns every layer's
//!   activation, which the ANN→SNN conversion normalises with.
//! * [`train`] with a [`TrainConfig`]: softmax cross-entropy or categorical hinge
//!   ([`Loss`]), SGD with momentum or Adam ([`Optimizer`]), L2, a non-negative weight
//!   constraint, dropout, noise and offsets on the hidden units, seeded shuffling. Work is spread over rayon's threads in blocks
//!   that do not depend on the thread count, so the same seed gives the same weights, bit
//!   for bit, on any number of threads.
//! * [`Model`]: save and load as `.npz` weights + JSON header ([`io`]).
//! * [`zoo`](mod@zoo): the paper's five networks and their shipped trained weights.
//!
//! ```
//! use ndarray::array;
//! use spikeport_ann::{Init, Network};
//! let net = Network::init(&[4, 3, 2], false, Init::GlorotUniform, 7)?;
//! let acts = net.forward_all(array![[0.0f32, 0.5, 1.0, 0.25]].view())?;
//! assert_eq!(acts.len(), 2);                       // one per layer
//! assert!(acts[0].iter().all(|&a| a >= 0.0));      // ReLU hidden layer
//! # Ok::<(), spikeport_ann::AnnError>(())
//! ```

mod error;
pub mod io;
mod linalg;
mod loss;
mod metrics;
mod network;
mod optim;
mod train;
pub mod zoo;

pub use error::{AnnError, Result};
pub use io::{Model, ModelHeader, TrainingRecord};
pub use loss::Loss;
pub use metrics::Evaluation;
pub use network::{Dense, Init, Network};
pub use optim::{LrSchedule, Optimizer};
pub use train::{train, EpochStats, Labelled, TrainConfig, TrainEvent};
pub use zoo::{load_zoo, zoo, zoo_net, ZooNet, ZOO_NAMES};
