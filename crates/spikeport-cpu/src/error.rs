//! The error type of the CPU backends' constructors.

use spikeport_lif::LifError;
use spikeport_snn::SnnError;
use thiserror::Error;

/// Why a [`Reference`](crate::Reference) or [`Fast`](crate::Fast) backend could not be
/// configured. (Deploying and running report
/// [`BackendError`](spikeport_snn::BackendError)s.)
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CpuError {
    /// An invalid time step (zero, negative, NaN or infinite).
    #[error(transparent)]
    Snn(#[from] SnnError),
    /// An invalid integrator setting (tolerances, number of sub-steps).
    #[error(transparent)]
    Lif(#[from] LifError),
    /// Another invalid setting, e.g. a batch limit of zero images.
    #[error("invalid setting `{name}`: {reason}")]
    InvalidArgument {
        /// Name of the setting.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
