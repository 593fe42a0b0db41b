//! The crate's error type.

use spikeport_snn::BackendError;
use thiserror::Error;

/// What can be wrong with a SpiNNaker configuration or a network's parameters on it.
/// Converted into [`BackendError`] by [`Backend`](spikeport_snn::Backend) methods.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SpinnakerError {
    /// The neuron model has no SpiNNaker kernel here.
    #[error("SpiNNaker does not support neuron model {model}")]
    UnsupportedModel {
        /// PyNN-style model name.
        model: &'static str,
    },
    /// A neuron parameter (or a derived one such as `tau_m/cm`) is outside the s16.15
    /// range [−65536, 65536).
    #[error("{model}: `{param}` = {value} is outside the s16.15 range [-65536, 65536)")]
    OutOfRange {
        /// PyNN-style model name.
        model: &'static str,
        /// Parameter name.
        param: &'static str,
        /// The value.
        value: f64,
    },
    /// A configuration value is invalid.
    #[error("invalid SpiNNaker configuration: {what} must be {expected}, got {value}")]
    InvalidConfig {
        /// Which setting.
        what: &'static str,
        /// What is allowed.
        expected: &'static str,
        /// The value given.
        value: f64,
    },
    /// A projection's delay needs more timesteps than delay extensions provide.
    #[error("projection {projection}: delay of {steps} timesteps exceeds the maximum of {max}")]
    DelayTooLong {
        /// Projection index.
        projection: usize,
        /// Delay in timesteps.
        steps: usize,
        /// Largest supported delay in timesteps.
        max: usize,
    },
}

impl From<SpinnakerError> for BackendError {
    fn from(e: SpinnakerError) -> Self {
        match e {
            SpinnakerError::InvalidConfig { .. } => BackendError::invalid_input(e.to_string()),
            other => BackendError::unsupported("SpiNNaker", other.to_string()),
        }
    }
}
