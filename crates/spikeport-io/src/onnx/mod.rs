//! ONNX import of feed-forward classifiers into spikeport's ANN [`Model`].
//!
//! The graphs that PyTorch's (`torch.onnx.export`) and Keras' (`tf2onnx`) exporters write
//! for a multi-layer perceptron are a single chain from one input to one output. The
//! importer walks that chain node by node:
//!
//! | operator | what the importer does |
//! |---|---|
//! | `Gemm` (`transA = 0`, any `transB`, `alpha`, `beta`, optional bias `C`) | a dense layer: `W = alpha · B` (transposed if `transB`), bias `beta · C` |
//! | `MatMul` with a constant right-hand side, then optionally `Add` of a constant | a dense layer with the `Add` as its bias |
//! | `BatchNormalization` (inference mode) directly after a dense layer | folded into it: `W·s`, `(b − mean)·s + B` with `s = scale / √(var + epsilon)` |
//! | `Relu` | closes the current dense layer as a hidden layer |
//! | `Flatten` (`axis = 1`), `Reshape` to a constant shape that keeps the batch axis | no-op on the row-major feature vector |
//! | `Identity`, `Dropout` | dropped (Dropout is the identity at inference) |
//! | `Softmax` / `LogSoftmax` on the class axis, at the output only | dropped, with a note: the spike-count readout takes the argmax, which they do not change |
//! | `Constant` | read as a constant tensor |
//!
//! Everything else is an [`IoError`]: an unknown operator or one at a place the chain cannot
//! hold it ([`IoError::UnsupportedOp`]), a shape known only at run time
//! ([`IoError::DynamicShape`]), a value that feeds several nodes or a node that combines two
//! computed values — a residual connection ([`IoError::Branch`]), or a supported node with
//! unusable inputs ([`IoError::InvalidNode`]). Each names the node, its operator type and
//! the reason.
//!
//! The imported network keeps its biases exactly ([`spikeport_ann::Network`] has optional
//! biases); the ANN→SNN conversions take bias-free networks, so convert
//! [`Model::with_bias_input`] of it, which carries the biases on a constant input unit.

pub mod proto;

use std::collections::HashMap;
use std::path::Path;

use ndarray::{Array1, Array2};
use prost::Message;
use spikeport_ann::{Dense, Model, ModelHeader, Network};
use spikeport_data::Preprocessing;

use crate::error::{IoError, Result};
use proto::{attribute_type, data_type, DimensionValue, GraphProto, ModelProto, NodeProto, TensorProto};

/// An imported ONNX model and what the import changed on the way.
#[derive(Clone, Debug, PartialEq)]
pub struct OnnxImport {
    /// The network with its biases, header named after the file, preprocessing as chosen.
    pub model: Model,
    /// One line per thing the importer dropped or folded (Softmax, Dropout,
    /// BatchNormalization, a ReLU on the output layer), for the caller to show.
    pub notes: Vec<String>,
    /// The exporter named in the file, e.g. `"pytorch 2.5.0"`.
    pub producer: String,
}

/// The preprocessing a model with `inputs` inputs most likely expects on MNIST: the
/// 3×3-pooled 9×9 image for 81 inputs (Spikey-net), else pixels ÷ 255.
pub fn default_preprocessing(inputs: usize) -> Preprocessing {
    if inputs == 81 {
        Preprocessing::SPIKEY
    } else {
        Preprocessing::Scale
    }
}

/// Imports the ONNX file at `path`; the model is named after the file's stem and
/// preprocessed with `preprocessing` (or [`default_preprocessing`] if `None`).
///
/// **Errors** with [`IoError::Io`] if the file cannot be read, and as [`import_onnx_bytes`].
pub fn import_onnx(path: &Path, preprocessing: Option<Preprocessing>) -> Result<OnnxImport> {
    let bytes = std::fs::read(path).map_err(|source| IoError::Io { path: path.to_path_buf(), source })?;
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "onnx".into());
    let mut import = import_onnx_bytes(&bytes, &name, preprocessing)?;
    import.model.header.description = Some(format!(
        "imported from {} (ONNX, {})",
        path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        import.producer
    ));
    Ok(import)
}

/// Imports an ONNX model from its serialised bytes, named `name`.
///
/// **Errors** with [`IoError::OnnxDecode`] for bytes that are not an ONNX model, and with
/// the graph errors listed in the [module docs](self).
pub fn import_onnx_bytes(
    bytes: &[u8],
    name: &str,
    preprocessing: Option<Preprocessing>,
) -> Result<OnnxImport> {
    let model = ModelProto::decode(bytes).map_err(|e| IoError::OnnxDecode { reason: e.to_string() })?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| IoError::InvalidGraph { reason: "the model has no graph".into() })?;
    let opset = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map_or(0, |o| o.version);
    let (network, notes) = walk(graph, opset)?;
    let preprocessing = preprocessing.unwrap_or_else(|| default_preprocessing(network.inputs()));
    let header = ModelHeader::for_network(name, &network, preprocessing);
    let producer = format!("{} {}", model.producer_name, model.producer_version).trim().to_owned();
    Ok(OnnxImport { model: Model::new(header, network)?, notes, producer })
}

/// A constant tensor, values widened to f64 (weights are f32 or f64, shapes i64; both are
/// exact in f64 for the sizes that occur).
#[derive(Clone, Debug)]
struct Const {
    dims: Vec<usize>,
    values: Vec<f64>,
}

impl Const {
    fn from_tensor(t: &TensorProto, name: &str) -> Result<Self> {
        let bad = |reason: String| IoError::InvalidTensor { name: name.to_owned(), reason };
        if t.data_location == proto::DATA_LOCATION_EXTERNAL {
            return Err(bad("its data are stored in an external file, which is not supported \
                 (export with the weights inside the .onnx file)"
                .into()));
        }
        let dims = t
            .dims
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| bad(format!("negative dimension {d}"))))
            .collect::<Result<Vec<_>>>()?;
        let n: usize = dims.iter().product();
        let raw = &t.raw_data;
        let values: Vec<f64> = match t.data_type {
            data_type::FLOAT if !raw.is_empty() => le_chunks::<4>(raw, n, "float32")
                .map_err(bad)?
                .map(|b| f64::from(f32::from_le_bytes(b)))
                .collect(),
            data_type::FLOAT => t.float_data.iter().map(|&v| f64::from(v)).collect(),
            data_type::DOUBLE if !raw.is_empty() => {
                le_chunks::<8>(raw, n, "float64").map_err(bad)?.map(f64::from_le_bytes).collect()
            }
            data_type::DOUBLE => t.double_data.clone(),
            data_type::INT64 if !raw.is_empty() => {
                le_chunks::<8>(raw, n, "int64").map_err(bad)?.map(|b| i64::from_le_bytes(b) as f64).collect()
            }
            data_type::INT64 => t.int64_data.iter().map(|&v| v as f64).collect(),
            data_type::INT32 if !raw.is_empty() => le_chunks::<4>(raw, n, "int32")
                .map_err(bad)?
                .map(|b| f64::from(i32::from_le_bytes(b)))
                .collect(),
            data_type::INT32 => t.int32_data.iter().map(|&v| f64::from(v)).collect(),
            other => {
                return Err(bad(format!(
                    "data type {other} is not supported (float32, float64, int32 and int64 are)"
                )))
            }
        };
        if values.len() != n {
            return Err(bad(format!("holds {} values but its shape {dims:?} needs {n}", values.len())));
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(bad(format!("holds a non-finite value ({v})")));
        }
        Ok(Self { dims, values })
    }

    fn len(&self) -> usize {
        self.values.len()
    }
}

/// The `N`-byte little-endian chunks of `raw`, which must hold exactly `n` of them.
fn le_chunks<'r, const N: usize>(
    raw: &'r [u8],
    n: usize,
    what: &str,
) -> std::result::Result<impl Iterator<Item = [u8; N]> + 'r, String> {
    if raw.len() != n * N {
        return Err(format!("raw data has {} bytes, {n} {what} values need {}", raw.len(), n * N));
    }
    Ok(raw.chunks_exact(N).map(|c| {
        let mut b = [0u8; N];
        b.copy_from_slice(c);
        b
    }))
}

/// A dense layer being assembled: weights (inputs, outputs) and bias, in f64 so that
/// folding adds no rounding of its own.
struct Pending {
    weight: Array2<f64>,
    bias: Option<Array1<f64>>,
    /// The node that created it, for messages.
    node: String,
}

impl Pending {
    fn outputs(&self) -> usize {
        self.weight.ncols()
    }

    fn into_dense(self, layer: usize) -> Result<Dense> {
        let w = self.weight.mapv(|v| v as f32);
        let b = self.bias.map(|b| b.mapv(|v| v as f32));
        Ok(Dense::new(w, b, layer)?)
    }
}

/// The chain walker's state.
struct Walker<'g> {
    consts: HashMap<&'g str, Const>,
    /// Number of nodes (and graph outputs) reading each value.
    readers: HashMap<&'g str, Vec<String>>,
    /// The value carrying the chain's activation.
    current: &'g str,
    /// Its shape without the batch axis.
    shape: Vec<usize>,
    pending: Option<Pending>,
    layers: Vec<Dense>,
    /// Set once a Softmax has been dropped: only Identity may follow.
    after_softmax: bool,
    notes: Vec<String>,
    opset: i64,
}

fn node_label(index: usize, node: &NodeProto) -> String {
    if node.name.is_empty() {
        format!("#{index}")
    } else {
        node.name.clone()
    }
}

const SUPPORTED: &str = "supported: Gemm, MatMul, Add (bias), BatchNormalization, Relu, Flatten, Reshape, \
Identity, Dropout, Softmax/LogSoftmax (output), Constant";

/// Walks `graph` and returns the network and the notes.
fn walk(graph: &GraphProto, opset: i64) -> Result<(Network, Vec<String>)> {
    if let Some(s) = graph.sparse_initializer.first() {
        let name = s.values.as_ref().map(|v| v.name.clone()).unwrap_or_default();
        return Err(IoError::InvalidTensor { name, reason: "sparse initializers are not supported".into() });
    }
    let mut consts: HashMap<&str, Const> = HashMap::new();
    for t in &graph.initializer {
        consts.insert(t.name.as_str(), Const::from_tensor(t, &t.name)?);
    }
    let inputs: Vec<_> = graph.input.iter().filter(|i| !consts.contains_key(i.name.as_str())).collect();
    let input = match inputs.as_slice() {
        [one] => *one,
        [] => return Err(IoError::InvalidGraph { reason: "the graph has no input".into() }),
        many => {
            return Err(IoError::InvalidGraph {
                reason: format!(
                    "the graph has {} inputs ({}); a classifier has one",
                    many.len(),
                    many.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            })
        }
    };
    let output = match graph.output.as_slice() {
        [one] => one.name.as_str(),
        other => {
            return Err(IoError::InvalidGraph {
                reason: format!("the graph has {} outputs; a classifier has one", other.len()),
            })
        }
    };
    let shape = input_shape(input)?;
    let mut readers: HashMap<&str, Vec<String>> = HashMap::new();
    for (i, node) in graph.node.iter().enumerate() {
        for name in node.input.iter().filter(|n| !n.is_empty()) {
            readers.entry(name.as_str()).or_default().push(format!(
                "{} `{}`",
                node.op_type,
                node_label(i, node)
            ));
        }
    }
    readers.entry(output).or_default().push("the graph output".into());
    let mut w = Walker {
        consts,
        readers,
        current: input.name.as_str(),
        shape,
        pending: None,
        layers: Vec::new(),
        after_softmax: false,
        notes: Vec::new(),
        opset,
    };
    for (i, node) in graph.node.iter().enumerate() {
        w.step(i, node)?;
    }
    if w.current != output {
        return Err(IoError::InvalidGraph {
            reason: format!(
                "the graph output `{output}` is not the end of the layer chain (`{}`)",
                w.current
            ),
        });
    }
    let index = w.layers.len();
    match w.pending.take() {
        Some(p) => w.layers.push(p.into_dense(index)?),
        None if !w.layers.is_empty() => w.notes.push(
            "the output layer's Relu was dropped: spikeport's output layer is linear; the argmax \
             readout is unchanged unless all outputs are ≤ 0"
                .into(),
        ),
        None => return Err(IoError::InvalidGraph { reason: "the graph has no Gemm or MatMul layer".into() }),
    }
    let network = Network::new(w.layers)?;
    Ok((network, w.notes))
}

/// The input's shape without its batch axis; every other axis must be fixed.
fn input_shape(input: &proto::ValueInfoProto) -> Result<Vec<usize>> {
    let dynamic = |reason: String| IoError::DynamicShape {
        node: input.name.clone(),
        op_type: "graph input".into(),
        reason,
    };
    let tensor = input.r#type.as_ref().and_then(|t| t.tensor_type.as_ref()).ok_or_else(|| {
        IoError::InvalidGraph { reason: format!("the graph input `{}` is not a tensor", input.name) }
    })?;
    if tensor.elem_type != data_type::FLOAT && tensor.elem_type != data_type::DOUBLE {
        return Err(IoError::InvalidGraph {
            reason: format!(
                "the graph input `{}` has element type {}; float32 or float64 is needed",
                input.name, tensor.elem_type
            ),
        });
    }
    let dims =
        &tensor.shape.as_ref().ok_or_else(|| dynamic("the input has no shape (unknown rank)".into()))?.dim;
    if dims.len() < 2 {
        return Err(IoError::InvalidGraph {
            reason: format!(
                "the graph input `{}` has rank {}; expected a batch axis followed by the features",
                input.name,
                dims.len()
            ),
        });
    }
    dims[1..]
        .iter()
        .enumerate()
        .map(|(axis, d)| match &d.value {
            Some(DimensionValue::DimValue(v)) if *v > 0 => Ok(*v as usize),
            Some(DimensionValue::DimParam(p)) => {
                Err(dynamic(format!("axis {} is the symbol `{p}`; only the batch axis may vary", axis + 1)))
            }
            _ => Err(dynamic(format!("axis {} has no fixed size; only the batch axis may vary", axis + 1))),
        })
        .collect()
}

fn attr<'n>(node: &'n NodeProto, name: &str) -> Option<&'n proto::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

impl<'g> Walker<'g> {
    fn step(&mut self, index: usize, node: &'g NodeProto) -> Result<()> {
        let label = node_label(index, node);
        let op = node.op_type.as_str();
        let unsupported =
            |reason: String| IoError::UnsupportedOp { node: label.clone(), op_type: op.to_owned(), reason };
        let invalid =
            |reason: String| IoError::InvalidNode { node: label.clone(), op_type: op.to_owned(), reason };
        if !(node.domain.is_empty() || node.domain == "ai.onnx") {
            return Err(unsupported(format!(
                "operator domain `{}` is not supported; {SUPPORTED}",
                node.domain
            )));
        }
        if op == "Constant" {
            let out = node.output.first().ok_or_else(|| invalid("has no output".into()))?;
            let value = self.constant_value(node, out).map_err(&invalid)?;
            self.consts.insert(out.as_str(), value);
            return Ok(());
        }
        if op == "Shape" || op == "Size" {
            return Err(IoError::DynamicShape {
                node: label,
                op_type: op.to_owned(),
                reason: "computes a tensor shape at run time; export with fixed shapes (e.g. \
                         nn.Flatten or x.view(-1, features)) so that reshapes use constants"
                    .into(),
            });
        }
        // The node's computed (non-constant) inputs: exactly the chain's current value.
        let dynamic: Vec<&str> = node
            .input
            .iter()
            .map(String::as_str)
            .filter(|n| !n.is_empty() && !self.consts.contains_key(n))
            .collect();
        if dynamic.is_empty() {
            return Err(unsupported(format!("computes only from constants; {SUPPORTED}")));
        }
        if let Some(other) = dynamic.iter().find(|n| **n != self.current) {
            return Err(IoError::Branch {
                node: label,
                op_type: op.to_owned(),
                reason: format!(
                    "reads `{other}`, which is not the output of the previous layer (`{}`): residual \
                     connections and parallel paths are not supported",
                    self.current
                ),
            });
        }
        if dynamic.len() > 1 {
            return Err(IoError::Branch {
                node: label,
                op_type: op.to_owned(),
                reason: format!(
                    "reads `{}` {} times: the graph combines a value with itself",
                    self.current,
                    dynamic.len()
                ),
            });
        }
        if let Some(readers) = self.readers.get(self.current).filter(|r| r.len() > 1) {
            return Err(IoError::Branch {
                node: label,
                op_type: op.to_owned(),
                reason: format!(
                    "`{}` feeds {} readers ({}): residual connections and parallel paths are not supported",
                    self.current,
                    readers.len(),
                    readers.join(", ")
                ),
            });
        }
        let out =
            node.output.first().filter(|o| !o.is_empty()).ok_or_else(|| invalid("has no output".into()))?;
        if let Some(extra) = node.output.iter().skip(1).find(|o| self.readers.contains_key(o.as_str())) {
            return Err(match op {
                "Dropout" => unsupported(format!("its mask output `{extra}` is used; only inference graphs are supported")),
                "BatchNormalization" => unsupported(format!(
                    "its output `{extra}` (running statistics) is used: training-mode graphs are not supported"
                )),
                _ => invalid(format!("its extra output `{extra}` is used")),
            });
        }
        if self.after_softmax && op != "Identity" {
            return Err(unsupported("Softmax is supported only as the last operation of the graph".into()));
        }
        match op {
            "Identity" => {}
            "Dropout" => self.notes.push(format!("Dropout `{label}` ignored (the identity at inference)")),
            "Flatten" => {
                let rank = self.shape.len() as i64 + 1;
                let axis = attr(node, "axis").map_or(1, |a| a.i);
                let axis = if axis < 0 { axis + rank } else { axis };
                if axis != 1 {
                    return Err(unsupported(format!(
                        "axis {axis} would merge the batch axis with features; only axis 1 is supported"
                    )));
                }
                self.shape = vec![self.shape.iter().product()];
            }
            "Reshape" => self.reshape(node, &label)?,
            "Gemm" | "MatMul" => self.linear(node, &label)?,
            "Add" => self.add_bias(node, &label)?,
            "BatchNormalization" => self.batch_norm(node, &label)?,
            "Relu" => {
                let pending = self
                    .pending
                    .take()
                    .ok_or_else(|| unsupported("Relu must follow a dense layer (Gemm or MatMul)".into()))?;
                let index = self.layers.len();
                self.layers.push(pending.into_dense(index)?);
            }
            "Softmax" | "LogSoftmax" => {
                if self.shape.len() != 1 {
                    return Err(unsupported(format!("applied to a tensor of feature shape {:?}", self.shape)));
                }
                let default_axis = if self.opset >= 13 { -1 } else { 1 };
                let axis = attr(node, "axis").map_or(default_axis, |a| a.i);
                if axis != 1 && axis != -1 {
                    return Err(unsupported(format!("axis {axis} is not the class axis")));
                }
                self.after_softmax = true;
                self.notes.push(format!(
                    "{op} `{label}` at the output dropped: the spike-count readout takes the argmax, \
                     which {op} does not change"
                ));
            }
            "Conv" | "ConvTranspose" | "MaxPool" | "AveragePool" | "GlobalAveragePool" => {
                return Err(unsupported("convolutional and pooling layers are not supported (spikeport's ANN has dense layers only)".into()))
            }
            "Sigmoid" | "Tanh" | "LeakyRelu" | "Elu" | "Selu" | "Gelu" | "HardSigmoid" | "Softplus" | "PRelu" | "Clip" => {
                return Err(unsupported(
                    "only Relu hidden activations convert to rate-coded integrate-and-fire neurons".into(),
                ))
            }
            _ => return Err(unsupported(format!("operator not supported; {SUPPORTED}"))),
        }
        self.current = out.as_str();
        Ok(())
    }

    fn constant_value(&self, node: &NodeProto, out: &str) -> std::result::Result<Const, String> {
        let a = node.attribute.first().ok_or("has no value attribute")?;
        match (a.name.as_str(), a.r#type) {
            ("value", attribute_type::TENSOR) => {
                let t = a.t.as_ref().ok_or("its `value` attribute holds no tensor")?;
                Const::from_tensor(t, out).map_err(|e| e.to_string())
            }
            ("value_float", attribute_type::FLOAT) => {
                Ok(Const { dims: vec![], values: vec![f64::from(a.f)] })
            }
            ("value_floats", _) => Ok(Const {
                dims: vec![a.floats.len()],
                values: a.floats.iter().map(|&v| f64::from(v)).collect(),
            }),
            ("value_int", attribute_type::INT) => Ok(Const { dims: vec![], values: vec![a.i as f64] }),
            ("value_ints", attribute_type::INTS) => {
                Ok(Const { dims: vec![a.ints.len()], values: a.ints.iter().map(|&v| v as f64).collect() })
            }
            (name, _) => Err(format!("constant attribute `{name}` is not supported")),
        }
    }

    fn reshape(&mut self, node: &NodeProto, label: &str) -> Result<()> {
        let err = |kind: fn(String, String, String) -> IoError, reason: String| {
            kind(label.to_owned(), "Reshape".into(), reason)
        };
        let target_name = node.input.get(1).map(String::as_str).unwrap_or("");
        let target = self.consts.get(target_name).ok_or_else(|| {
            err(
                |node, op_type, reason| IoError::DynamicShape { node, op_type, reason },
                format!("the target shape `{target_name}` is computed at run time, not a constant"),
            )
        })?;
        let allowzero = attr(node, "allowzero").is_some_and(|a| a.i != 0);
        let features: usize = self.shape.iter().product();
        let input_dims: Vec<Option<usize>> =
            std::iter::once(None).chain(self.shape.iter().map(|&d| Some(d))).collect();
        let t: Vec<i64> = target.values.iter().map(|&v| v as i64).collect();
        let invalid = |reason: String| {
            err(|node, op_type, reason| IoError::UnsupportedOp { node, op_type, reason }, reason)
        };
        if t.is_empty() {
            return Err(invalid("reshapes to a scalar".into()));
        }
        // Axis 0 must stay the batch axis: 0 (copy), -1 (inferred: the batch) or a fixed size
        // when the rest accounts for all features.
        let mut rest = Vec::with_capacity(t.len() - 1);
        let mut infer = None;
        for (k, &d) in t.iter().enumerate().skip(1) {
            match d {
                0 if !allowzero => match input_dims.get(k).copied().flatten() {
                    Some(v) => rest.push(v),
                    None => {
                        return Err(invalid(format!("axis {k} copies an input axis that does not exist")))
                    }
                },
                -1 => {
                    if infer.replace(rest.len()).is_some() || t[0] == -1 {
                        return Err(invalid(format!("target {t:?} has more than one inferred axis")));
                    }
                    rest.push(0);
                }
                d if d > 0 => rest.push(d as usize),
                d => return Err(invalid(format!("target {t:?} has an invalid size {d}"))),
            }
        }
        if let Some(k) = infer {
            let known: usize = rest.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, v)| *v).product();
            if known == 0 || features % known != 0 {
                return Err(invalid(format!("cannot infer an axis of {t:?} from {features} features")));
            }
            rest[k] = features / known;
        }
        let product: usize = rest.iter().product();
        let batch_ok = match t[0] {
            0 | -1 => true,
            b => b > 0 && product == features,
        };
        if product != features || !batch_ok || rest.is_empty() {
            return Err(invalid(format!(
                "target {t:?} does not keep the batch axis with the {features} features of shape {:?}",
                self.shape
            )));
        }
        self.shape = rest;
        Ok(())
    }

    fn linear(&mut self, node: &NodeProto, label: &str) -> Result<()> {
        let op = node.op_type.as_str();
        let invalid =
            |reason: String| IoError::InvalidNode { node: label.to_owned(), op_type: op.to_owned(), reason };
        if node.input.first().map(String::as_str) != Some(self.current) {
            return Err(invalid(
                "the layer input must be the first operand (x·W); here the weights come first".into(),
            ));
        }
        if let Some(p) = &self.pending {
            return Err(IoError::UnsupportedOp {
                node: label.to_owned(),
                op_type: op.to_owned(),
                reason: format!(
                    "follows the dense layer of `{}` without a Relu between them (two linear layers in a row)",
                    p.node
                ),
            });
        }
        if self.shape.len() != 1 {
            return Err(invalid(format!(
                "its input has feature shape {:?}; a dense layer needs a flat vector (add a Flatten before it)",
                self.shape
            )));
        }
        let k = self.shape[0];
        let b_name = node.input.get(1).map(String::as_str).unwrap_or("");
        let b = self
            .consts
            .get(b_name)
            .ok_or_else(|| invalid(format!("its weights `{b_name}` are not a constant")))?;
        if b.dims.len() != 2 {
            return Err(invalid(format!(
                "its weights `{b_name}` have shape {:?}; a 2-D matrix is needed",
                b.dims
            )));
        }
        let (trans_a, trans_b, alpha, beta) = if op == "Gemm" {
            (
                attr(node, "transA").is_some_and(|a| a.i != 0),
                attr(node, "transB").is_some_and(|a| a.i != 0),
                attr(node, "alpha").map_or(1.0, |a| f64::from(a.f)),
                attr(node, "beta").map_or(1.0, |a| f64::from(a.f)),
            )
        } else {
            (false, false, 1.0, 1.0)
        };
        if trans_a {
            return Err(invalid("transA = 1 would multiply along the batch axis".into()));
        }
        let m = Array2::from_shape_vec((b.dims[0], b.dims[1]), b.values.clone())
            .map_err(|e| invalid(format!("weights `{b_name}`: {e}")))?;
        let weight = if trans_b { m.reversed_axes() } else { m } * alpha;
        if weight.nrows() != k {
            return Err(invalid(format!(
                "its weights `{b_name}` take {} inputs but the layer receives {k}",
                weight.nrows()
            )));
        }
        let n = weight.ncols();
        let bias = match node.input.get(2).map(String::as_str).filter(|s| !s.is_empty()) {
            Some(c_name) => {
                let c = self
                    .consts
                    .get(c_name)
                    .ok_or_else(|| invalid(format!("its bias `{c_name}` is not a constant")))?;
                Some(broadcast_bias(c, n).map_err(|r| invalid(format!("bias `{c_name}`: {r}")))? * beta)
            }
            None => None,
        };
        self.pending = Some(Pending { weight, bias, node: label.to_owned() });
        self.shape = vec![n];
        Ok(())
    }

    fn add_bias(&mut self, node: &NodeProto, label: &str) -> Result<()> {
        let unsupported =
            |reason: String| IoError::UnsupportedOp { node: label.to_owned(), op_type: "Add".into(), reason };
        let c_name = node
            .input
            .iter()
            .map(String::as_str)
            .find(|n| self.consts.contains_key(n))
            .ok_or_else(|| unsupported("adds no constant".into()))?;
        let pending = self.pending.as_mut().ok_or_else(|| {
            unsupported(
                "an Add of a constant is supported only as the bias of the MatMul or Gemm right before it"
                    .into(),
            )
        })?;
        let c = &self.consts[c_name];
        let b = broadcast_bias(c, pending.outputs()).map_err(|r| IoError::InvalidNode {
            node: label.to_owned(),
            op_type: "Add".into(),
            reason: format!("bias `{c_name}`: {r}"),
        })?;
        pending.bias = Some(match pending.bias.take() {
            Some(old) => old + b,
            None => b,
        });
        Ok(())
    }

    fn batch_norm(&mut self, node: &NodeProto, label: &str) -> Result<()> {
        let invalid = |reason: String| IoError::InvalidNode {
            node: label.to_owned(),
            op_type: "BatchNormalization".into(),
            reason,
        };
        if attr(node, "training_mode").is_some_and(|a| a.i != 0) {
            return Err(invalid("training_mode = 1: only inference graphs are supported".into()));
        }
        let pending = self.pending.as_mut().ok_or_else(|| IoError::UnsupportedOp {
            node: label.to_owned(),
            op_type: "BatchNormalization".into(),
            reason: "must directly follow a dense layer (Gemm or MatMul, with its bias) to be folded into it"
                .into(),
        })?;
        let n = pending.outputs();
        let mut params = Vec::with_capacity(4);
        for (slot, what) in ["scale", "B", "mean", "var"].iter().enumerate() {
            let name = node.input.get(slot + 1).map(String::as_str).unwrap_or("");
            let c = self
                .consts
                .get(name)
                .ok_or_else(|| invalid(format!("its `{what}` input `{name}` is not a constant")))?;
            if c.len() != n {
                return Err(invalid(format!("its `{what}` has {} values for {n} channels", c.len())));
            }
            params.push(Array1::from_vec(c.values.clone()));
        }
        let eps = attr(node, "epsilon").map_or(1e-5, |a| f64::from(a.f));
        let (scale, shift, mean, var) = (&params[0], &params[1], &params[2], &params[3]);
        if let Some(v) = var.iter().find(|v| **v + eps <= 0.0) {
            return Err(invalid(format!("variance {v} + epsilon {eps} is not positive")));
        }
        let s = scale / &var.mapv(|v| (v + eps).sqrt());
        pending.weight *= &s;
        let b = pending.bias.take().unwrap_or_else(|| Array1::zeros(n));
        pending.bias = Some((b - mean) * &s + shift);
        self.notes
            .push(format!("BatchNormalization `{label}` folded into the dense layer of `{}`", pending.node));
        Ok(())
    }
}

/// A bias of `n` values from a constant of `n` values (any shape that broadcasts to (1, n):
/// `[n]`, `[1, n]`) or a single value.
fn broadcast_bias(c: &Const, n: usize) -> std::result::Result<Array1<f64>, String> {
    let last = c.dims.last().copied().unwrap_or(1);
    let leading_ones = c.dims.iter().rev().skip(1).all(|&d| d == 1);
    match c.len() {
        1 => Ok(Array1::from_elem(n, c.values[0])),
        len if len == n && last == n && leading_ones => Ok(Array1::from_vec(c.values.clone())),
        _ => Err(format!("shape {:?} does not broadcast to the layer's {n} outputs", c.dims)),
    }
}
