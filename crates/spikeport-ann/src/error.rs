//! The error type of `spikeport-ann`.

use std::path::PathBuf;

/// Everything that can go wrong when building, training, saving or loading a network.
///
/// Every variant names the layer, file or setting at fault, so that the message alone tells
/// the user what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnnError {
    /// A network needs at least one layer.
    #[error("a network needs at least one layer")]
    EmptyNetwork,
    /// Layer `layer` has `outputs` outputs but the next layer expects `next_inputs` inputs.
    #[error("layers do not chain: layer {layer} has {outputs} outputs but layer {} expects {next_inputs} inputs", layer + 1)]
    LayersDoNotChain {
        /// Index of the earlier layer (0-based).
        layer: usize,
        /// Number of outputs of that layer.
        outputs: usize,
        /// Number of inputs of the next layer.
        next_inputs: usize,
    },
    /// A weight or bias is NaN or infinite.
    #[error("layer {layer}: {what} has a non-finite value ({value}) at index {index:?}")]
    NonFinite {
        /// Index of the layer (0-based).
        layer: usize,
        /// `"weight"` or `"bias"`.
        what: &'static str,
        /// Position of the first offending element.
        index: Vec<usize>,
        /// The offending value.
        value: f32,
    },
    /// An array has the wrong shape.
    #[error("{what}: expected shape {expected:?}, found {found:?}")]
    ShapeMismatch {
        /// Which array.
        what: String,
        /// The expected shape.
        expected: Vec<usize>,
        /// The shape found.
        found: Vec<usize>,
    },
    /// A layer has zero inputs or zero outputs.
    #[error("layer {layer} has a zero dimension: {inputs} inputs, {outputs} outputs")]
    ZeroSizedLayer {
        /// Index of the layer (0-based).
        layer: usize,
        /// Number of inputs.
        inputs: usize,
        /// Number of outputs.
        outputs: usize,
    },
    /// A label is not a valid class index of the network's output layer.
    #[error("label {label} at sample {index} is out of range for a network with {classes} outputs")]
    LabelOutOfRange {
        /// Sample index.
        index: usize,
        /// The label found.
        label: usize,
        /// Number of output units (classes).
        classes: usize,
    },
    /// Inputs and labels differ in number.
    #[error("{inputs} input rows but {labels} labels")]
    LabelCountMismatch {
        /// Number of input rows.
        inputs: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A training or model setting is invalid.
    #[error("invalid setting `{name}`: {reason}")]
    InvalidConfig {
        /// The setting, e.g. `batch_size`.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// Training diverged: the loss became NaN or infinite.
    #[error("training diverged at epoch {epoch}, batch {batch}: loss is {loss}")]
    Diverged {
        /// Epoch (0-based).
        epoch: usize,
        /// Batch within the epoch (0-based).
        batch: usize,
        /// The non-finite loss.
        loss: f32,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An `.npz` file could not be read or written.
    #[error("{}: {reason}", path.display())]
    Npz {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An `.npz` file lacks an array the header or the layout requires.
    #[error("{}: missing array `{name}`", path.display())]
    MissingArray {
        /// The file.
        path: PathBuf,
        /// The array name, e.g. `layer1.weight`.
        name: String,
    },
    /// A JSON model header could not be parsed or written.
    #[error("{}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// The model header is inconsistent with the weights or unsupported.
    #[error("{}: {reason}", path.display())]
    BadHeader {
        /// The header file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A network of the zoo is unknown.
    #[error("unknown network `{name}`; known networks: {known}")]
    UnknownNetwork {
        /// The requested name.
        name: String,
        /// Comma-separated list of known names.
        known: String,
    },
    /// The directory of shipped models could not be found.
    #[error("no models directory found; searched: {}; set SPIKEPORT_MODELS to the folder holding <name>.npz and <name>.json", searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    ModelsNotFound {
        /// Every place that was searched.
        searched: Vec<PathBuf>,
    },
    /// A dataset error (loading or preprocessing).
    #[error(transparent)]
    Data(#[from] spikeport_data::DataError),
}

/// Result type of `spikeport-ann`.
pub type Result<T> = std::result::Result<T, AnnError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn error_is_send_sync() {
        assert_send_sync::<AnnError>();
    }

    #[test]
    fn chain_message_names_both_layers() {
        let e = AnnError::LayersDoNotChain { layer: 0, outputs: 10, next_inputs: 12 };
        let msg = e.to_string();
        assert!(msg.contains("layer 0 has 10 outputs"), "{msg}");
        assert!(msg.contains("layer 1 expects 12 inputs"), "{msg}");
    }
}
