//! The error type of `spikeport-convert`.

/// Everything that can go wrong while converting or sweeping.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// A conversion argument is invalid.
    #[error("invalid `{name}`: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The ANN has biases; rate conversion of biases is not supported yet.
    #[error(
        "the ANN has biases, which these conversions do not support (the paper's networks are bias-free)"
    )]
    BiasUnsupported,
    /// No ANN weight is positive, so no neuron could ever fire.
    #[error("the ANN has no positive weight: nothing to scale to max_weight")]
    NoPositiveWeight,
    /// A layer's activations are all zero on the calibration images.
    #[error("layer {layer} is silent on all {images} calibration images: cannot normalise it")]
    SilentLayer {
        /// Layer index (0-based).
        layer: usize,
        /// Number of calibration images.
        images: usize,
    },
    /// A sweep was given no candidates or no images.
    #[error("nothing to sweep: {0}")]
    EmptySweep(String),
    /// The ANN rejected the calibration data.
    #[error(transparent)]
    Ann(#[from] spikeport_ann::AnnError),
    /// The converted network is invalid.
    #[error(transparent)]
    Snn(#[from] spikeport_snn::SnnError),
    /// A backend failed during a sweep.
    #[error(transparent)]
    Backend(#[from] spikeport_snn::BackendError),
}
