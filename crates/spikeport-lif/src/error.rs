//! The error type of the simulation core.

use spikeport_snn::SnnError;
use thiserror::Error;

/// Why a kernel, buffer or synapse matrix could not be built.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum LifError {
    /// An invalid time step or other description error.
    #[error(transparent)]
    Snn(#[from] SnnError),
    /// A weight matrix has the wrong shape for the synapses it replaces.
    #[error("weight matrix is {found:?}, expected {expected:?} (pre, post)")]
    WeightShape {
        /// Shape expected, (pre, post).
        expected: [usize; 2],
        /// Shape given.
        found: [usize; 2],
    },
    /// An adaptive-integration tolerance is not finite and ≥ 0, or both are 0.
    #[error("integration tolerances must be finite, >= 0 and not both 0; got abs {abs_mv} mV, rel {rel}")]
    InvalidTolerance {
        /// Absolute tolerance, mV.
        abs_mv: f64,
        /// Relative tolerance.
        rel: f64,
    },
    /// A fixed number of integration sub-steps of zero.
    #[error("the number of sub-steps per time step must be >= 1")]
    ZeroSubsteps,
    /// The neuron model has no simulation kernel here (the input spike source).
    #[error("model {model} has no neuron kernel")]
    NoKernel {
        /// PyNN-style model name.
        model: &'static str,
    },
}
