//! [`Error`]: the umbrella error of the facade. Every member crate's error converts into it
//! with `?`, so an application written against `spikeport` needs one error type.
//!
//! ```
//! fn accuracy_pct() -> Result<f64, spikeport::Error> {
//!     let model = spikeport::ann::load_zoo("nas63")?;                 // AnnError
//!     let test = spikeport::data::Mnist::load_test()?.take(8)?;       // DataError
//!     let p = spikeport::registry::platform("fast")?;                 // ExperimentError
//!     let net = spikeport::convert::convert_global(&model.network, &p.neuron, 0.02, 1.0)?; // ConvertError
//!     let backend = p.backend()?;                                     // BackendError
//!     let mut run = backend.session(&net.network, 0.into())?;
//!     let out = run.run(&p.encoder.encode(model.features(&test)?.view())?, &Default::default())?;
//!     Ok(out.accuracy_pct(test.labels())?)                            // SnnError
//! }
//! assert!(accuracy_pct().is_ok());
//! ```

/// Any error of spikeport's crates.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or preparing data ([`crate::data`]).
    #[error(transparent)]
    Data(#[from] spikeport_data::DataError),
    /// Training, saving or loading an ANN ([`crate::ann`]).
    #[error(transparent)]
    Ann(#[from] spikeport_ann::AnnError),
    /// An invalid spiking network, parameter or encoding ([`crate::snn`]).
    #[error(transparent)]
    Snn(#[from] spikeport_snn::SnnError),
    /// A backend could not deploy or run ([`crate::snn::Backend`]).
    #[error(transparent)]
    Backend(#[from] spikeport_snn::BackendError),
    /// The LIF kernels ([`crate::lif`]).
    #[error(transparent)]
    Lif(#[from] spikeport_lif::LifError),
    /// A conversion ([`crate::convert`]).
    #[error(transparent)]
    Convert(#[from] spikeport_convert::ConvertError),
    /// A CPU simulator's settings ([`crate::cpu`]).
    #[error(transparent)]
    Cpu(#[from] spikeport_cpu::CpuError),
    /// The SpiNNaker model's settings ([`crate::spinnaker`]).
    #[error(transparent)]
    Spinnaker(#[from] spikeport_spinnaker::SpinnakerError),
    /// An analog model's settings ([`crate::analog`]).
    #[error(transparent)]
    Analog(#[from] spikeport_analog::AnalogError),
    /// The GPU backend ([`crate::gpu`]).
    #[cfg(feature = "gpu")]
    #[error(transparent)]
    Gpu(#[from] spikeport_gpu::GpuError),
    /// Hardware-in-the-loop training ([`crate::hil`]).
    #[error(transparent)]
    Hil(#[from] spikeport_hil::HilError),
    /// An energy model ([`crate::energy`]).
    #[error(transparent)]
    Energy(#[from] spikeport_energy::EnergyError),
    /// The harness ([`crate::bench`]).
    #[error(transparent)]
    Bench(#[from] spikeport_bench::BenchError),
    /// Model import and export ([`crate::io`]).
    #[error(transparent)]
    Io(#[from] spikeport_io::IoError),
    /// Figures ([`crate::plot`]).
    #[error(transparent)]
    Plot(#[from] spikeport_plot::PlotError),
    /// Names, registry and experiments ([`crate::experiment`]).
    #[error(transparent)]
    Experiment(#[from] spikeport_app::experiment::ExperimentError),
    /// The paper's table ([`crate::table`]).
    #[error(transparent)]
    Table(#[from] spikeport_app::table::TableError),
    /// Experiment files ([`crate::config`]).
    #[error(transparent)]
    Config(#[from] spikeport_app::config::ConfigError),
}
