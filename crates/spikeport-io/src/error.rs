//! The error type of `spikeport-io`.

use std::path::PathBuf;

/// Everything that can go wrong while importing or exporting a model.
///
/// Graph errors name the ONNX node (its name, or `#index` when it has none), its operator
/// type and the reason, so that the message alone says what to change in the exported
/// model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// [`load_model`](crate::load_model) does not know the file's extension.
    #[error("{}: unknown model file extension (expected .onnx, .npz, .json or .nir)", path.display())]
    UnknownExtension {
        /// The file.
        path: PathBuf,
    },
    /// The bytes are not a valid ONNX protobuf message.
    #[error("not a valid ONNX model: {reason}")]
    OnnxDecode {
        /// The protobuf decoder's message.
        reason: String,
    },
    /// The ONNX graph as a whole cannot be imported (no graph, several inputs or outputs,
    /// no layer, an output that is not the end of the chain).
    #[error("ONNX graph not importable: {reason}")]
    InvalidGraph {
        /// Why.
        reason: String,
    },
    /// A node's operator is not supported at that place.
    #[error("ONNX node `{node}` ({op_type}): unsupported: {reason}")]
    UnsupportedOp {
        /// Node name, or `#index` for an unnamed node.
        node: String,
        /// Operator type, e.g. `"Conv"`.
        op_type: String,
        /// Why, and what would be supported.
        reason: String,
    },
    /// A shape is only known at run time (a symbolic feature axis, a computed reshape).
    #[error("ONNX node `{node}` ({op_type}): dynamic shape: {reason}")]
    DynamicShape {
        /// Node (or graph input) name.
        node: String,
        /// Operator type, or `"graph input"`.
        op_type: String,
        /// Which shape is dynamic.
        reason: String,
    },
    /// The graph branches: a value feeds several nodes, or a node combines two computed
    /// values (residual connections, parallel paths).
    #[error("ONNX node `{node}` ({op_type}): branch in the graph: {reason}")]
    Branch {
        /// Node name, or `#index` for an unnamed node.
        node: String,
        /// Operator type.
        op_type: String,
        /// Which values branch.
        reason: String,
    },
    /// A supported operator has inputs or attributes spikeport cannot use (wrong shape,
    /// missing weights, a transposed data input, training mode).
    #[error("ONNX node `{node}` ({op_type}): {reason}")]
    InvalidNode {
        /// Node name, or `#index` for an unnamed node.
        node: String,
        /// Operator type.
        op_type: String,
        /// Why.
        reason: String,
    },
    /// A constant tensor cannot be read (type, size, external data, non-finite value).
    #[error("ONNX tensor `{name}`: {reason}")]
    InvalidTensor {
        /// Tensor name.
        name: String,
        /// Why.
        reason: String,
    },
    /// NIR files need HDF5, and this build has no HDF5 support.
    #[error(
        "{}: NIR files need HDF5 support; build with the `hdf5` feature of spikeport-io (`nir` of \
         spikeport), which needs the HDF5 C library (Debian: apt-get install libhdf5-dev pkg-config)",
        path.display()
    )]
    NoHdf5 {
        /// The file.
        path: PathBuf,
    },
    /// The HDF5 library reported an error.
    #[error("{}: HDF5: {reason}", path.display())]
    Hdf5 {
        /// The file.
        path: PathBuf,
        /// The library's message, with the object it concerned.
        reason: String,
    },
    /// A NIR file is well-formed HDF5 but not a NIR graph spikeport can read (missing
    /// key, wrong shape, inconsistent parameters).
    #[error("NIR: {reason}")]
    NirFormat {
        /// Why.
        reason: String,
    },
    /// A NIR node type or layout has no spikeport equivalent.
    #[error("NIR node `{node}` ({node_type}): unsupported: {reason}")]
    NirUnsupported {
        /// Node name.
        node: String,
        /// NIR node type, e.g. `"Conv2d"`.
        node_type: String,
        /// Why, and what would be supported.
        reason: String,
    },
    /// A population's neuron model has no NIR node (NIR has no conductance-based
    /// synapses); the message says which option maps it to a current-based equivalent.
    #[error("population {population} ({model}) has no NIR equivalent: {reason}")]
    NoNirEquivalent {
        /// Population index.
        population: usize,
        /// The model's PyNN name, e.g. `"IF_cond_exp"`.
        model: &'static str,
        /// Why, and the explicit alternative.
        reason: String,
    },
    /// The ANN built from the file is invalid.
    #[error(transparent)]
    Ann(#[from] spikeport_ann::AnnError),
    /// The spiking network built from the file is invalid.
    #[error(transparent)]
    Snn(#[from] spikeport_snn::SnnError),
}

/// `Result` with [`IoError`].
pub type Result<T> = std::result::Result<T, IoError>;
