//! The error type of `spikeport-bench`.

use std::path::PathBuf;

/// Everything that can go wrong in an experiment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// An experiment setting is invalid.
    #[error("invalid `{name}`: {reason}")]
    InvalidArgument {
        /// The setting.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// Writing a report failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Serialising a report failed.
    #[error("serialising the report: {0}")]
    Json(#[from] serde_json::Error),
    /// Loading data failed.
    #[error(transparent)]
    Data(#[from] spikeport_data::DataError),
    /// An ANN operation failed.
    #[error(transparent)]
    Ann(#[from] spikeport_ann::AnnError),
    /// Conversion failed.
    #[error(transparent)]
    Convert(#[from] spikeport_convert::ConvertError),
    /// The SNN description or encoding is invalid.
    #[error(transparent)]
    Snn(#[from] spikeport_snn::SnnError),
    /// A backend failed.
    #[error(transparent)]
    Backend(#[from] spikeport_snn::BackendError),
    /// Pricing a run with an energy profile failed.
    #[error(transparent)]
    Energy(#[from] spikeport_energy::EnergyError),
}
