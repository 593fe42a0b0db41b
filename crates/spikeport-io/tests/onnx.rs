//! ONNX import: the committed exports of PyTorch (and a tf2onnx-layout graph) give the same
//! predictions as PyTorch did, and every unsupported construct is its typed error.
//! Fixtures come from `scripts/make_onnx_fixtures.py`.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use ndarray::{array, Array2};
use prost::Message;
use spikeport_data::{Mnist, Preprocessing};
use spikeport_io::onnx::proto::{
    attribute_type, data_type, AttributeProto, Dimension, DimensionValue, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, TensorProto, TensorShapeProto, TensorTypeProto, TypeProto, ValueInfoProto,
};
use spikeport_io::{import_onnx, import_onnx_bytes, load_model, IoError, LoadedModel};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

#[derive(serde::Deserialize)]
struct Recorded {
    predictions: Vec<usize>,
    labels: Vec<u8>,
    accuracy_pct: f64,
    logits_first5: Vec<Vec<f32>>,
}

fn recorded(name: &str) -> Recorded {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

/// Imports `onnx`, runs spikeport's ANN on the recorded test images and compares with
/// PyTorch's predictions, logits and accuracy. Returns the notes.
fn same_as_pytorch(onnx: &str, json: &str) -> Vec<String> {
    let rec = recorded(json);
    let import = import_onnx(&fixture(onnx), None).unwrap();
    let model = &import.model;
    assert_eq!(model.header.preprocessing, Preprocessing::Scale);
    let test = Mnist::load_test().unwrap().take(rec.predictions.len()).unwrap();
    assert_eq!(test.labels(), rec.labels.as_slice(), "same images as the script");
    let x = model.features(&test).unwrap();
    let logits = model.network.forward(x.view()).unwrap();
    for (i, row) in rec.logits_first5.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            assert!(
                (logits[[i, j]] - v).abs() < 1e-4,
                "{onnx}: logit [{i}, {j}] {} vs PyTorch {v}",
                logits[[i, j]]
            );
        }
    }
    let pred = model.network.predict(x.view()).unwrap();
    let differ = pred.iter().zip(&rec.predictions).filter(|(a, b)| a != b).count();
    assert_eq!(differ, 0, "{onnx}: {differ} predictions differ from PyTorch's");
    let eval = model.evaluate(&test).unwrap();
    assert!(
        (eval.accuracy_pct() - rec.accuracy_pct).abs() < 1e-9,
        "{onnx}: {} vs {}",
        eval.accuracy_pct(),
        rec.accuracy_pct
    );
    import.notes
}

#[test]
fn pytorch_mlp_with_batchnorm_matches_pytorch() {
    let notes = same_as_pytorch("mlp_torch.onnx", "mlp_torch.json");
    assert!(notes.iter().any(|n| n.starts_with("BatchNormalization") && n.contains("folded")), "{notes:?}");
    assert!(notes.iter().any(|n| n.starts_with("Softmax") && n.contains("dropped")), "{notes:?}");
    let import = import_onnx(&fixture("mlp_torch.onnx"), None).unwrap();
    assert_eq!(import.model.network.sizes(), vec![784, 64, 32, 10]);
    assert!(import.model.network.has_bias());
    assert_eq!(import.model.header.name, "mlp_torch");
    assert!(import.producer.starts_with("pytorch"), "{}", import.producer);
}

#[test]
fn pytorch_dynamo_export_matches_pytorch() {
    let notes = same_as_pytorch("mlp_torch_dynamo.onnx", "mlp_torch_dynamo.json");
    assert!(notes.iter().any(|n| n.contains("Softmax")), "{notes:?}");
}

#[test]
fn tf2onnx_layout_matches_pytorch() {
    let notes = same_as_pytorch("keras_style.onnx", "keras_style.json");
    assert_eq!(notes.len(), 1, "only the Softmax: {notes:?}");
}

#[test]
fn load_model_folds_biases_and_keeps_predictions() {
    let rec = recorded("mlp_torch.json");
    let LoadedModel::Ann { model, notes } = load_model(&fixture("mlp_torch.onnx")).unwrap() else {
        panic!("an ONNX file is an ANN")
    };
    assert!(notes.iter().any(|n| n.contains("constant input")), "{notes:?}");
    assert!(!model.network.has_bias() && model.header.bias_input);
    assert_eq!(model.network.sizes(), vec![785, 65, 33, 10]);
    let test = Mnist::load_test().unwrap().take(rec.predictions.len()).unwrap();
    let pred = model.network.predict(model.features(&test).unwrap().view()).unwrap();
    assert_eq!(pred, rec.predictions);
}

#[test]
fn load_model_reads_spikeport_files_and_rejects_other_extensions() {
    let zoo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/nas63.npz");
    let LoadedModel::Ann { model, notes } = load_model(&zoo).unwrap() else { panic!("npz is an ANN") };
    assert_eq!(model.network.sizes(), vec![784, 43, 10, 10]);
    assert!(notes.is_empty() && !model.header.bias_input);
    assert!(matches!(load_model(Path::new("model.h5")), Err(IoError::UnknownExtension { .. })));
    assert!(matches!(load_model(Path::new("model")), Err(IoError::UnknownExtension { .. })));
    let err = import_onnx(Path::new("/nonexistent/x.onnx"), None).unwrap_err();
    assert!(matches!(err, IoError::Io { .. }), "{err}");
}

// ---- errors from real PyTorch exports ---------------------------------------------------

fn import_err(name: &str) -> IoError {
    import_onnx(&fixture(name), None).unwrap_err()
}

#[test]
fn residual_connection_is_a_branch_error() {
    let err = import_err("err_residual.onnx");
    let IoError::Branch { node, op_type, reason } = &err else { panic!("{err}") };
    assert_eq!(op_type, "Gemm", "{err}");
    assert!(!node.is_empty());
    assert!(reason.contains("2 readers") && reason.contains("Add"), "{err}");
}

#[test]
fn convolution_is_an_unsupported_op() {
    let err = import_err("err_conv.onnx");
    assert!(
        matches!(&err, IoError::UnsupportedOp { op_type, reason, .. } if op_type == "Conv" && reason.contains("dense")),
        "{err}"
    );
    assert!(err.to_string().contains("(Conv)"), "{err}");
}

#[test]
fn shape_computed_reshape_is_a_dynamic_shape_error() {
    let err = import_err("err_dynamic_reshape.onnx");
    assert!(matches!(&err, IoError::DynamicShape { op_type, .. } if op_type == "Shape"), "{err}");
}

#[test]
fn sigmoid_is_an_unsupported_activation() {
    let err = import_err("err_sigmoid.onnx");
    assert!(
        matches!(&err, IoError::UnsupportedOp { op_type, reason, .. } if op_type == "Sigmoid" && reason.contains("Relu")),
        "{err}"
    );
}

// ---- hand-built graphs for the remaining cases -----------------------------------------

fn tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: data_type::FLOAT,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn int_tensor(name: &str, values: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![values.len() as i64],
        data_type: data_type::INT64,
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

fn node(op: &str, name: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: name.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn int_attr(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: name.into(), i, r#type: attribute_type::INT, ..Default::default() }
}

fn float_attr(name: &str, f: f32) -> AttributeProto {
    AttributeProto { name: name.into(), f, r#type: attribute_type::FLOAT, ..Default::default() }
}

fn value(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(v) => DimensionValue::DimValue(*v),
                None => DimensionValue::DimParam("batch".into()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: data_type::FLOAT,
                shape: Some(TensorShapeProto { dim }),
            }),
        }),
    }
}

/// A model with input `x` of shape (batch, 2), the given nodes and initializers, output `out`.
fn model(nodes: Vec<NodeProto>, init: Vec<TensorProto>) -> Vec<u8> {
    model_with_input(value("x", &[None, Some(2)]), nodes, init)
}

fn model_with_input(input: ValueInfoProto, nodes: Vec<NodeProto>, init: Vec<TensorProto>) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        producer_name: "test".into(),
        graph: Some(GraphProto {
            node: nodes,
            initializer: init,
            input: vec![input],
            output: vec![value("out", &[None, Some(2)])],
            ..Default::default()
        }),
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }],
        ..Default::default()
    }
    .encode_to_vec()
}

/// 2×2 weights W (inputs, outputs) as an ONNX MatMul right-hand side, and bias b.
fn weights() -> Vec<TensorProto> {
    vec![tensor("W", &[2, 2], &[1.0, -1.0, 2.0, 0.5]), tensor("b", &[2], &[0.5, -0.25])]
}

fn import(bytes: &[u8]) -> Result<spikeport_io::OnnxImport, IoError> {
    import_onnx_bytes(bytes, "t", None)
}

#[test]
fn matmul_add_dropout_identity_logsoftmax_constant_import_exactly() {
    let mut gemm = node("Gemm", "fc2", &["h", "Wt", "c"], &["z"]);
    gemm.attribute = vec![int_attr("transB", 1), float_attr("alpha", 2.0), float_attr("beta", 0.5)];
    let mut constant = node("Constant", "c_node", &[], &["c"]);
    constant.attribute = vec![AttributeProto {
        name: "value".into(),
        t: Some(tensor("c", &[1, 2], &[4.0, 8.0])),
        r#type: attribute_type::TENSOR,
        ..Default::default()
    }];
    let mut dropout = node("Dropout", "drop", &["a"], &["h", "mask"]);
    dropout.attribute = vec![float_attr("ratio", 0.5)];
    let nodes = vec![
        node("Identity", "", &["x"], &["x1"]),
        node("MatMul", "fc1", &["x1", "W"], &["m"]),
        node("Add", "bias1", &["m", "b"], &["p"]),
        node("Relu", "relu1", &["p"], &["a"]),
        dropout,
        constant,
        gemm,
        node("LogSoftmax", "lsm", &["z"], &["out"]),
    ];
    let mut init = weights();
    init.push(tensor("Wt", &[2, 2], &[1.0, 0.0, 0.0, 1.0])); // (outputs, inputs), transposed
    let import = import(&model(nodes, init)).unwrap();
    let net = &import.model.network;
    assert_eq!(net.sizes(), vec![2, 2, 2]);
    assert_eq!(net.layers()[0].weight(), array![[1.0f32, -1.0], [2.0, 0.5]]);
    assert_eq!(net.layers()[0].bias().unwrap(), array![0.5f32, -0.25]);
    assert_eq!(net.layers()[1].weight(), array![[2.0f32, 0.0], [0.0, 2.0]]); // alpha
    assert_eq!(net.layers()[1].bias().unwrap(), array![2.0f32, 4.0]); // beta · C
    assert!(import.notes.iter().any(|n| n.contains("Dropout `drop` ignored")), "{:?}", import.notes);
    assert!(import.notes.iter().any(|n| n.starts_with("LogSoftmax")), "{:?}", import.notes);
    // x = [1, 1]: hidden relu([3, -0.5] + [0.5, -0.25]) = [3.5, 0]; out = 2·h + [2, 4]
    let out = net.forward(array![[1.0f32, 1.0]].view()).unwrap();
    assert_eq!(out, array![[9.0f32, 4.0]]);
}

#[test]
fn batchnorm_is_folded_exactly() {
    let mut bn = node("BatchNormalization", "bn", &["p", "s", "B", "mean", "var"], &["out"]);
    bn.attribute = vec![float_attr("epsilon", 0.0)];
    let mut init = weights();
    init.extend([
        tensor("s", &[2], &[2.0, 1.0]),
        tensor("B", &[2], &[1.0, 0.0]),
        tensor("mean", &[2], &[0.5, 0.75]),
        tensor("var", &[2], &[4.0, 0.25]),
    ]);
    let nodes = vec![node("MatMul", "fc", &["x", "W"], &["m"]), node("Add", "add", &["m", "b"], &["p"]), bn];
    let net = import(&model(nodes, init)).unwrap().model.network;
    // s' = scale/sqrt(var) = [1, 2]; W·s' ; b' = (b − mean)·s' + B = [1, -2]
    assert_eq!(net.layers()[0].weight(), array![[1.0f32, -2.0], [2.0, 1.0]]);
    assert_eq!(net.layers()[0].bias().unwrap(), array![1.0f32, -2.0]);
}

#[test]
fn output_relu_is_dropped_with_a_note_and_reshape_keeps_the_batch_axis() {
    let input = value("x", &[None, Some(1), Some(2)]);
    let nodes = vec![
        node("Reshape", "flat", &["x", "shape"], &["f"]),
        node("MatMul", "fc", &["f", "W"], &["m"]),
        node("Relu", "r", &["m"], &["out"]),
    ];
    let mut init = weights();
    init.push(int_tensor("shape", &[0, -1]));
    let import = import(&model_with_input(input, nodes, init)).unwrap();
    assert_eq!(import.model.network.sizes(), vec![2, 2]);
    assert!(import.notes.iter().any(|n| n.contains("Relu was dropped")), "{:?}", import.notes);
}

#[test]
fn structural_errors_are_typed() {
    // not protobuf
    assert!(matches!(import(b"\xff\xff\xff"), Err(IoError::OnnxDecode { .. })));
    // no graph
    let empty = ModelProto::default().encode_to_vec();
    assert!(matches!(import(&empty), Err(IoError::InvalidGraph { .. })));
    // no layer at all
    let err = import(&model(vec![node("Identity", "id", &["x"], &["out"])], vec![])).unwrap_err();
    assert!(matches!(&err, IoError::InvalidGraph { reason } if reason.contains("no Gemm")), "{err}");
    // output not at the end of the chain
    let err = import(&model(vec![node("MatMul", "fc", &["x", "W"], &["m"])], weights())).unwrap_err();
    assert!(matches!(&err, IoError::InvalidGraph { reason } if reason.contains("not the end")), "{err}");
    // two inputs
    let mut bytes = ModelProto::decode(model(vec![], vec![]).as_slice()).unwrap();
    bytes.graph.as_mut().unwrap().input.push(value("y", &[None, Some(2)]));
    let err = import(&bytes.encode_to_vec()).unwrap_err();
    assert!(matches!(&err, IoError::InvalidGraph { reason } if reason.contains("2 inputs")), "{err}");
    // a symbolic feature axis
    let input = value("x", &[None, None]);
    let err = import(&model_with_input(input, vec![], vec![])).unwrap_err();
    assert!(matches!(&err, IoError::DynamicShape { op_type, .. } if op_type == "graph input"), "{err}");
}

#[test]
fn misplaced_operators_are_unsupported() {
    let cases: Vec<(Vec<NodeProto>, &str, &str)> = vec![
        (vec![node("Add", "a", &["x", "b"], &["out"])], "Add", "bias of the MatMul"),
        (
            vec![node("BatchNormalization", "bn", &["x", "b", "b", "b", "b"], &["out"])],
            "BatchNormalization",
            "directly follow",
        ),
        (vec![node("Relu", "r", &["x"], &["out"])], "Relu", "must follow"),
        (
            vec![node("MatMul", "a", &["x", "W"], &["m"]), node("MatMul", "b", &["m", "W"], &["out"])],
            "MatMul",
            "without a Relu",
        ),
        (
            vec![
                node("MatMul", "a", &["x", "W"], &["m"]),
                node("Softmax", "s", &["m"], &["p"]),
                node("Relu", "r", &["p"], &["out"]),
            ],
            "Relu",
            "only as the last",
        ),
        (vec![node("Tile", "t", &["x", "b"], &["out"])], "Tile", "not supported"),
        (vec![node("Gemm", "g", &["b", "W"], &["out"])], "Gemm", "computes only from constants"),
    ];
    for (nodes, op, why) in cases {
        let err = import(&model(nodes, weights())).unwrap_err();
        assert!(
            matches!(&err, IoError::UnsupportedOp { op_type, reason, .. } if op_type == op && reason.contains(why)),
            "{op}: {err}"
        );
    }
    let mut flatten = node("Flatten", "f", &["x"], &["out"]);
    flatten.attribute = vec![int_attr("axis", 0)];
    assert!(matches!(import(&model(vec![flatten], vec![])), Err(IoError::UnsupportedOp { .. })));
    let mut custom = node("MatMul", "m", &["x", "W"], &["out"]);
    custom.domain = "com.microsoft".into();
    let err = import(&model(vec![custom], weights())).unwrap_err();
    assert!(
        matches!(&err, IoError::UnsupportedOp { reason, .. } if reason.contains("com.microsoft")),
        "{err}"
    );
    // a Dropout whose mask is used
    let nodes = vec![
        node("MatMul", "fc", &["x", "W"], &["m"]),
        node("Dropout", "d", &["m"], &["out", "mask"]),
        node("Identity", "use", &["mask"], &["z"]),
    ];
    let err = import(&model(nodes, weights())).unwrap_err();
    assert!(matches!(&err, IoError::UnsupportedOp { op_type, .. } if op_type == "Dropout"), "{err}");
}

#[test]
fn branches_and_dynamic_reshapes_are_typed() {
    // a node that reads a value other than the chain's (a second path)
    let nodes = vec![
        node("MatMul", "fc", &["x", "W"], &["m"]),
        node("Relu", "r", &["m"], &["h"]),
        node("Add", "skip", &["h", "x"], &["out"]),
    ];
    let err = import(&model(nodes, weights())).unwrap_err();
    assert!(matches!(&err, IoError::Branch { node, .. } if node == "fc"), "x feeds fc and skip: {err}");
    let nodes = vec![node("MatMul", "fc", &["x", "W"], &["m"]), node("Add", "double", &["m", "m"], &["out"])];
    let err = import(&model(nodes, weights())).unwrap_err();
    assert!(matches!(&err, IoError::Branch { node, .. } if node == "double"), "{err}");
    // a reshape whose target is computed
    let nodes = vec![
        node("MatMul", "fc", &["x", "W"], &["m"]),
        node("Relu", "r", &["m"], &["h"]),
        node("Reshape", "rs", &["h", "h"], &["out"]),
    ];
    let err = import(&model(nodes, weights())).unwrap_err();
    assert!(matches!(&err, IoError::Branch { .. } | IoError::DynamicShape { .. }), "{err}");
    let nodes = vec![node("Reshape", "rs", &["x", "t"], &["out"])];
    let mut init = weights();
    init.push(tensor("t", &[1], &[0.0]));
    init.retain(|t| t.name == "W");
    let dynamic_target = ModelProto::decode(model(nodes, init).as_slice()).unwrap();
    let mut g = dynamic_target.clone();
    g.graph.as_mut().unwrap().initializer.retain(|t| t.name != "t");
    g.graph.as_mut().unwrap().input.push(value("t", &[Some(2)]));
    let err = import(&g.encode_to_vec()).unwrap_err();
    assert!(matches!(&err, IoError::InvalidGraph { .. }), "two inputs: {err}");
    // a reshape that merges the batch axis into the features
    let nodes =
        vec![node("Reshape", "rs", &["x", "shape"], &["f"]), node("MatMul", "fc", &["f", "W"], &["out"])];
    let mut init = weights();
    init.push(int_tensor("shape", &[-1]));
    let err = import(&model(nodes, init)).unwrap_err();
    assert!(matches!(&err, IoError::UnsupportedOp { op_type, .. } if op_type == "Reshape"), "{err}");
}

#[test]
fn unusable_node_inputs_are_invalid_nodes() {
    let mut gemm = node("Gemm", "g", &["x", "W"], &["out"]);
    gemm.attribute = vec![int_attr("transA", 1)];
    let err = import(&model(vec![gemm], weights())).unwrap_err();
    assert!(matches!(&err, IoError::InvalidNode { reason, .. } if reason.contains("transA")), "{err}");
    // the weights as the left operand (W·x)
    let err = import(&model(vec![node("MatMul", "m", &["W", "x"], &["out"])], weights())).unwrap_err();
    assert!(
        matches!(&err, IoError::InvalidNode { reason, .. } if reason.contains("weights come first")),
        "{err}"
    );
    // weights that do not fit the input
    let init = vec![tensor("W", &[3, 2], &[0.0; 6])];
    let err = import(&model(vec![node("MatMul", "m", &["x", "W"], &["out"])], init)).unwrap_err();
    assert!(matches!(&err, IoError::InvalidNode { reason, .. } if reason.contains("take 3 inputs")), "{err}");
    // a bias of the wrong length
    let init = vec![tensor("W", &[2, 2], &[0.0; 4]), tensor("b", &[3], &[0.0; 3])];
    let nodes = vec![node("MatMul", "m", &["x", "W"], &["p"]), node("Add", "a", &["p", "b"], &["out"])];
    assert!(matches!(import(&model(nodes, init)), Err(IoError::InvalidNode { .. })));
    // an image input not flattened before the dense layer
    let input = value("x", &[None, Some(1), Some(2)]);
    let err = import(&model_with_input(input, vec![node("MatMul", "m", &["x", "W"], &["out"])], weights()))
        .unwrap_err();
    assert!(matches!(&err, IoError::InvalidNode { reason, .. } if reason.contains("Flatten")), "{err}");
    // training-mode batch normalisation
    let mut bn = node("BatchNormalization", "bn", &["m", "b", "b", "b", "b"], &["out"]);
    bn.attribute = vec![int_attr("training_mode", 1)];
    let err = import(&model(vec![node("MatMul", "m", &["x", "W"], &["m"]), bn], weights())).unwrap_err();
    assert!(matches!(&err, IoError::InvalidNode { reason, .. } if reason.contains("training_mode")), "{err}");
}

#[test]
fn unreadable_tensors_are_invalid_tensors() {
    let node = || vec![node("MatMul", "m", &["x", "W"], &["out"])];
    let mut external = tensor("W", &[2, 2], &[0.0; 4]);
    external.data_location = 1;
    let err = import(&model(node(), vec![external])).unwrap_err();
    assert!(
        matches!(&err, IoError::InvalidTensor { name, reason } if name == "W" && reason.contains("external")),
        "{err}"
    );
    let mut short = tensor("W", &[2, 2], &[0.0; 4]);
    short.raw_data.pop();
    assert!(matches!(import(&model(node(), vec![short])), Err(IoError::InvalidTensor { .. })));
    let mut half = tensor("W", &[2, 2], &[0.0; 4]);
    half.data_type = 10; // float16
    let err = import(&model(node(), vec![half])).unwrap_err();
    assert!(
        matches!(&err, IoError::InvalidTensor { reason, .. } if reason.contains("data type 10")),
        "{err}"
    );
    let nan = tensor("W", &[2, 2], &[0.0, f32::NAN, 0.0, 0.0]);
    assert!(matches!(import(&model(node(), vec![nan])), Err(IoError::InvalidTensor { .. })));
    // float_data and double_data (not raw) are read too
    let mut fd = tensor("W", &[2, 2], &[]);
    fd.raw_data.clear();
    fd.float_data = vec![1.0, 2.0, 3.0, 4.0];
    let net = import(&model(node(), vec![fd])).unwrap().model.network;
    assert_eq!(
        net.layers()[0].weight(),
        Array2::from_shape_vec((2, 2), vec![1.0f32, 2.0, 3.0, 4.0]).unwrap()
    );
    let mut dd = tensor("W", &[2, 2], &[]);
    dd.raw_data.clear();
    dd.data_type = data_type::DOUBLE;
    dd.double_data = vec![1.0, 2.0, 3.0, 4.5];
    let net = import(&model(node(), vec![dd])).unwrap().model.network;
    assert_eq!(net.layers()[0].weight()[[1, 1]], 4.5);
}
