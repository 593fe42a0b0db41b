//! NIR graphs in memory (the HDF5 layout they are written in is described in `file.rs`,
//! built with the `hdf5` feature):
//!
//! ```text
//! /version                 string, e.g. "1.0.8"
//! /node/type               "NIRGraph"
//! /node/edges              (n, 2) strings: (source, target) node names
//! /node/metadata/…         optional: one dataset per key (string or number)
//! /node/nodes/<name>/type  the node type, e.g. "CubaLIF"
//! /node/nodes/<name>/<p>   one dataset per parameter (float arrays, int64 shapes)
//! /node/nodes/<name>/metadata/…
//! ```
//!
//! Strings are variable-length UTF-8 (h5py's `string_dtype()`); arrays are written as
//! float64 (int64 for shapes), deflate-compressed when the HDF5 library has deflate.
//! Reading accepts any numeric type and variable-length ASCII or UTF-8 strings.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2};

/// The NIR format version written to `/version`: the version of NIR's reference package
/// the layout was checked against.
pub const NIR_VERSION: &str = "1.0.8";

/// A metadata value: NIR keeps free-form metadata per node and per graph.
#[derive(Clone, Debug, PartialEq)]
pub enum MetaValue {
    /// A string.
    Text(String),
    /// A number (any numeric scalar is read as f64).
    Number(f64),
}

/// Metadata of a node or graph, by key.
pub type Metadata = BTreeMap<String, MetaValue>;

/// The NIR node types spikeport reads and writes. Parameters are per neuron (or per
/// output), as NIR stores them; units are those of the file (see `docs/interop.md` for the
/// ones spikeport writes).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum NirNode {
    /// Graph input of the given shape.
    Input {
        /// Shape of one sample.
        shape: Vec<i64>,
    },
    /// Graph output of the given shape.
    Output {
        /// Shape of one sample.
        shape: Vec<i64>,
    },
    /// `y = W x`, `weight` of shape (outputs, inputs).
    Linear {
        /// Weights (outputs, inputs).
        weight: Array2<f64>,
    },
    /// `y = W x + b`.
    Affine {
        /// Weights (outputs, inputs).
        weight: Array2<f64>,
        /// Bias (outputs).
        bias: Array1<f64>,
    },
    /// Current-based LIF: `tau_syn İ = −I + w_in S`, `tau_mem v̇ = (v_leak − v) + r I`,
    /// spike when `v > v_threshold`, then `v = v_reset`.
    CubaLif {
        /// Synaptic time constant.
        tau_syn: Array1<f64>,
        /// Membrane time constant.
        tau_mem: Array1<f64>,
        /// Resistance.
        r: Array1<f64>,
        /// Leak potential.
        v_leak: Array1<f64>,
        /// Threshold.
        v_threshold: Array1<f64>,
        /// Reset potential.
        v_reset: Array1<f64>,
        /// Input weight.
        w_in: Array1<f64>,
    },
    /// LIF: `tau v̇ = (v_leak − v) + r I`, spike when `v > v_threshold`, then `v = v_reset`.
    Lif {
        /// Membrane time constant.
        tau: Array1<f64>,
        /// Resistance.
        r: Array1<f64>,
        /// Leak potential.
        v_leak: Array1<f64>,
        /// Threshold.
        v_threshold: Array1<f64>,
        /// Reset potential.
        v_reset: Array1<f64>,
    },
    /// IF: `v̇ = r I`, spike when `v > v_threshold`, then `v = v_reset`.
    If {
        /// Resistance.
        r: Array1<f64>,
        /// Threshold.
        v_threshold: Array1<f64>,
        /// Reset potential.
        v_reset: Array1<f64>,
    },
}

impl NirNode {
    /// NIR's name of the node type, e.g. `"CubaLIF"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Input { .. } => "Input",
            Self::Output { .. } => "Output",
            Self::Linear { .. } => "Linear",
            Self::Affine { .. } => "Affine",
            Self::CubaLif { .. } => "CubaLIF",
            Self::Lif { .. } => "LIF",
            Self::If { .. } => "IF",
        }
    }
}

/// A node with its metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct NirElement {
    /// The node.
    pub node: NirNode,
    /// Its metadata (spikeport writes what NIR has no parameter for here).
    pub metadata: Metadata,
}

/// A NIR graph: named nodes and directed edges between them.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NirGraph {
    /// Nodes by name.
    pub nodes: BTreeMap<String, NirElement>,
    /// Edges (source, target).
    pub edges: Vec<(String, String)>,
    /// Graph metadata.
    pub metadata: Metadata,
}
