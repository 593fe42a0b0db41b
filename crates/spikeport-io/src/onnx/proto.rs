//! The part of ONNX's protobuf schema (`onnx.proto`, IR version ≥ 3) that the importer
//! reads, as `prost` messages.
//!
//! Only the fields a feed-forward classifier needs are declared; protobuf decoding skips
//! every other field, so models that use the rest of the schema still decode. Field
//! numbers and enum values are those of `onnx.proto`; proto2 `optional` scalars decode to
//! their default (0, empty) when absent, which is also ONNX's meaning of an absent field.

/// `TensorProto.DataType` values the importer reads.
pub mod data_type {
    /// 32-bit float.
    pub const FLOAT: i32 = 1;
    /// 32-bit signed integer.
    pub const INT32: i32 = 6;
    /// 64-bit signed integer.
    pub const INT64: i32 = 7;
    /// 64-bit float.
    pub const DOUBLE: i32 = 11;
}

/// `AttributeProto.AttributeType` values the importer reads.
pub mod attribute_type {
    /// A single float (`f`).
    pub const FLOAT: i32 = 1;
    /// A single integer (`i`).
    pub const INT: i32 = 2;
    /// A byte string (`s`).
    pub const STRING: i32 = 3;
    /// A tensor (`t`).
    pub const TENSOR: i32 = 4;
    /// A list of integers (`ints`).
    pub const INTS: i32 = 7;
}

/// `TensorProto.DataLocation::EXTERNAL`: the data lie in another file.
pub const DATA_LOCATION_EXTERNAL: i32 = 1;

/// A whole ONNX model file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ModelProto {
    /// IR version of the file format.
    #[prost(int64, tag = "1")]
    pub ir_version: i64,
    /// Tool that wrote the file, e.g. `"pytorch"`.
    #[prost(string, tag = "2")]
    pub producer_name: String,
    /// Version of that tool.
    #[prost(string, tag = "3")]
    pub producer_version: String,
    /// The computation.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    /// Operator sets the graph uses.
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
}

/// One operator set a model imports.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OperatorSetIdProto {
    /// Domain; empty or `"ai.onnx"` for the default operators.
    #[prost(string, tag = "1")]
    pub domain: String,
    /// Operator-set version.
    #[prost(int64, tag = "2")]
    pub version: i64,
}

/// A graph: nodes in topological order, constant tensors, inputs and outputs.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphProto {
    /// The nodes, topologically sorted.
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    /// Graph name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Constant tensors (weights), by name.
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    /// Sparse constant tensors (not supported; read only to report them).
    #[prost(message, repeated, tag = "15")]
    pub sparse_initializer: Vec<SparseTensorProto>,
    /// Graph inputs (older exporters list the initializers here too).
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    /// Graph outputs.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
}

/// One operator application.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeProto {
    /// Names of the input values (an empty name is an omitted optional input).
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    /// Names of the output values.
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    /// Node name (may be empty).
    #[prost(string, tag = "3")]
    pub name: String,
    /// Operator, e.g. `"Gemm"`.
    #[prost(string, tag = "4")]
    pub op_type: String,
    /// Attributes.
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
    /// Operator domain; empty or `"ai.onnx"` for the default operators.
    #[prost(string, tag = "7")]
    pub domain: String,
}

/// A named attribute of a node.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AttributeProto {
    /// Attribute name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Float value.
    #[prost(float, tag = "2")]
    pub f: f32,
    /// Integer value.
    #[prost(int64, tag = "3")]
    pub i: i64,
    /// String value (UTF-8 bytes).
    #[prost(bytes = "vec", tag = "4")]
    pub s: Vec<u8>,
    /// Tensor value.
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    /// List of floats.
    #[prost(float, repeated, tag = "7")]
    pub floats: Vec<f32>,
    /// List of integers.
    #[prost(int64, repeated, tag = "8")]
    pub ints: Vec<i64>,
    /// Which value field is used ([`attribute_type`]).
    #[prost(int32, tag = "20")]
    pub r#type: i32,
    /// Set inside functions: the attribute refers to the caller's attribute of this name.
    #[prost(string, tag = "21")]
    pub ref_attr_name: String,
}

/// A dense tensor.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// Shape.
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    /// Element type ([`data_type`]).
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    /// Float elements (when not in `raw_data`).
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    /// Int32 elements (when not in `raw_data`).
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    /// Int64 elements (when not in `raw_data`).
    #[prost(int64, repeated, tag = "7")]
    pub int64_data: Vec<i64>,
    /// Tensor name.
    #[prost(string, tag = "8")]
    pub name: String,
    /// Elements as little-endian bytes.
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
    /// Double elements (when not in `raw_data`).
    #[prost(double, repeated, tag = "10")]
    pub double_data: Vec<f64>,
    /// Where the data are; [`DATA_LOCATION_EXTERNAL`] is not supported.
    #[prost(int32, tag = "14")]
    pub data_location: i32,
}

/// A sparse tensor (only its presence is checked).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SparseTensorProto {
    /// The non-zero values; their name is the tensor's name.
    #[prost(message, optional, tag = "1")]
    pub values: Option<TensorProto>,
}

/// Name and type of a graph input or output.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueInfoProto {
    /// Value name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Its type.
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
}

/// A value's type; only tensors are read.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TypeProto {
    /// Tensor type, when the value is a tensor.
    #[prost(message, optional, tag = "1")]
    pub tensor_type: Option<TensorTypeProto>,
}

/// `TypeProto.Tensor`: element type and (possibly symbolic) shape.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorTypeProto {
    /// Element type ([`data_type`]).
    #[prost(int32, tag = "1")]
    pub elem_type: i32,
    /// Shape; absent means unknown rank.
    #[prost(message, optional, tag = "2")]
    pub shape: Option<TensorShapeProto>,
}

/// A tensor shape.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// One entry per axis.
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<Dimension>,
}

/// One axis of a shape: a number, a symbol, or unknown.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dimension {
    /// The size, or a symbol.
    #[prost(oneof = "DimensionValue", tags = "1, 2")]
    pub value: Option<DimensionValue>,
}

/// The value of a [`Dimension`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum DimensionValue {
    /// A fixed size.
    #[prost(int64, tag = "1")]
    DimValue(i64),
    /// A symbolic size such as `"batch_size"`.
    #[prost(string, tag = "2")]
    DimParam(String),
}
