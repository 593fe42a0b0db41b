//! # spikeport-app — the application
//!
//! What the `spikeport` command line, the examples and the paper's table share, on top of
//! the library crates:
//!
//! | module | job |
//! |---|---|
//! | [`registry`] | the platforms by name (each backend crate's `platforms()`), with suggestions for typos |
//! | [`experiment`] | HIL scale sweep, running a spiking network as it is, names and errors |
//! | [`benchmark`] | the paper's benchmark matrix (networks × platforms × conversions) |
//! | [`table`] | the paper's full results table with HIL and energy, resumable |
//! | [`config`] | TOML experiment files of the subcommands |
//! | [`cli`] | the `spikeport` command line, one file per subcommand |
//!
//! The GPU platform is behind the `gpu` feature, NIR files behind `nir`.

// short paths for the library crates, as the facade names them
pub(crate) use spikeport_ann as ann;
pub(crate) use spikeport_bench as bench;
pub(crate) use spikeport_convert as convert;
pub(crate) use spikeport_data as data;
pub(crate) use spikeport_energy as energy;
pub(crate) use spikeport_hil as hil;
pub(crate) use spikeport_io as io;
pub(crate) use spikeport_snn as snn;

pub mod benchmark;
pub mod cli;
pub mod config;
pub mod experiment;
pub mod registry;
pub mod table;
