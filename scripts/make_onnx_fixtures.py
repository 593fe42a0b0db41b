#!/usr/bin/env python3
"""Write the ONNX test fixtures of spikeport-io (crates/spikeport-io/tests/fixtures/).

CI does not run this script: its outputs are committed. Rerun it only to change the
fixtures, then commit what it writes.

    python3 -m venv /tmp/onnx-venv
    /tmp/onnx-venv/bin/pip install torch onnx onnxscript numpy   # CPU is enough
    /tmp/onnx-venv/bin/python scripts/make_onnx_fixtures.py      # from the repository root

What it writes (all small):

* mlp_torch.onnx + mlp_torch.json -- a 784x64x32x10 MLP with biases, a BatchNorm1d after the
  first layer and Dropout, trained for 2 epochs on MNIST (data/mnist) with a fixed seed,
  exported by torch.onnx.export (TorchScript exporter) with nn.Flatten in front and a
  Softmax at the end. The JSON records PyTorch's predictions and accuracy on the first
  500 MNIST test images (pixels / 255), the accuracy on all 10,000, and the first
  5 images' logits.
* mlp_torch_dynamo.onnx + .json -- the same network exported by the newer
  torch.onnx.export(dynamo=True), if this torch version has it.
* keras_style.onnx + keras_style.json -- a 784x32x10 MLP with biases, written with
  onnx.helper in the layout tf2onnx gives a Keras Sequential model (Reshape to [-1, 784]
  with a constant shape, MatMul + Add, Relu, Softmax, Identity, a symbolic batch axis).
  Its weights are trained here with PyTorch; Keras itself is not needed.
* err_residual.onnx, err_conv.onnx, err_dynamic_reshape.onnx, err_sigmoid.onnx -- tiny
  PyTorch exports that the importer must reject (residual branch, Conv, a Shape-computed
  reshape, a Sigmoid hidden activation).
"""

import gzip
import json
import os
import struct
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "spikeport-io", "tests", "fixtures")
MNIST = os.path.join(ROOT, "data", "mnist")
N_CHECK = 500  # test images whose predictions are recorded


def idx(name):
    with gzip.open(os.path.join(MNIST, name), "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist():
    xtr = idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    ytr = idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    yte = idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return xtr, ytr, xte, yte


def train(net, xtr, ytr, epochs, seed):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.from_numpy(xtr).unsqueeze(1)  # (N, 1, 28, 28)
    y = torch.from_numpy(ytr)
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            b = perm[i : i + 128]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x[b]), y[b])
            loss.backward()
            opt.step()
    net.eval()
    return net


def record(net, xte, yte, path, extra):
    with torch.no_grad():
        logits = net(torch.from_numpy(xte).unsqueeze(1)).numpy()
    pred = logits.argmax(axis=1)
    info = {
        "images": f"the first {N_CHECK} MNIST test images (t10k), pixels / 255, row-major",
        "torch_version": torch.__version__,
        "predictions": pred[:N_CHECK].tolist(),
        "labels": yte[:N_CHECK].tolist(),
        "accuracy_pct": float(100.0 * (pred[:N_CHECK] == yte[:N_CHECK]).mean()),
        "accuracy_pct_10000": float(100.0 * (pred == yte).mean()),
        "logits_first5": logits[:5].astype(float).tolist(),
        **extra,
    }
    with open(path, "w") as f:  # one key per line, lists on their line
        f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in info.items()) + "\n}\n")
    print(f"{os.path.basename(path)}: {info['accuracy_pct']:.2f} % on {N_CHECK}, "
          f"{info['accuracy_pct_10000']:.2f} % on 10,000")


def export(net, path, example, dynamo=False):
    kwargs = dict(input_names=["input"], output_names=["probabilities"], opset_version=17)
    if dynamo:
        torch.onnx.export(net, (example,), path, dynamo=True, external_data=False,
                          dynamic_shapes={"x": {0: torch.export.Dim("batch")}}, **kwargs)
    else:
        try:
            torch.onnx.export(net, (example,), path, dynamo=False,
                              dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}}, **kwargs)
        except TypeError:  # torch versions without the dynamo argument
            torch.onnx.export(net, (example,), path,
                              dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}}, **kwargs)
    onnx.checker.check_model(onnx.load(path))


class WithSoftmax(torch.nn.Module):
    """The trained logits network followed by a Softmax, as a deployed classifier would be."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.softmax = torch.nn.Softmax(dim=1)

    def forward(self, x):
        return self.softmax(self.net(x))


def keras_style(w1, b1, w2, b2, path):
    """A tf2onnx-shaped graph for Dense(32, relu) -> Dense(10, softmax) on 28x28 input."""
    inits = [
        numpy_helper.from_array(np.array([-1, 784], dtype=np.int64), "const_shape"),
        numpy_helper.from_array(w1.astype(np.float32), "sequential/dense/MatMul/ReadVariableOp:0"),
        numpy_helper.from_array(b1.astype(np.float32), "sequential/dense/BiasAdd/ReadVariableOp:0"),
        numpy_helper.from_array(w2.astype(np.float32), "sequential/dense_1/MatMul/ReadVariableOp:0"),
        numpy_helper.from_array(b2.astype(np.float32), "sequential/dense_1/BiasAdd/ReadVariableOp:0"),
    ]
    nodes = [
        helper.make_node("Reshape", ["input_1", "const_shape"], ["sequential/flatten/Reshape:0"],
                         name="sequential/flatten/Reshape"),
        helper.make_node("MatMul", ["sequential/flatten/Reshape:0", "sequential/dense/MatMul/ReadVariableOp:0"],
                         ["sequential/dense/MatMul:0"], name="sequential/dense/MatMul"),
        helper.make_node("Add", ["sequential/dense/MatMul:0", "sequential/dense/BiasAdd/ReadVariableOp:0"],
                         ["sequential/dense/BiasAdd:0"], name="sequential/dense/BiasAdd"),
        helper.make_node("Relu", ["sequential/dense/BiasAdd:0"], ["sequential/dense/Relu:0"],
                         name="sequential/dense/Relu"),
        helper.make_node("MatMul", ["sequential/dense/Relu:0", "sequential/dense_1/MatMul/ReadVariableOp:0"],
                         ["sequential/dense_1/MatMul:0"], name="sequential/dense_1/MatMul"),
        helper.make_node("Add", ["sequential/dense_1/MatMul:0", "sequential/dense_1/BiasAdd/ReadVariableOp:0"],
                         ["sequential/dense_1/BiasAdd:0"], name="sequential/dense_1/BiasAdd"),
        helper.make_node("Softmax", ["sequential/dense_1/BiasAdd:0"], ["sequential/dense_1/Softmax:0"],
                         name="sequential/dense_1/Softmax", axis=-1),
        helper.make_node("Identity", ["sequential/dense_1/Softmax:0"], ["dense_1"], name="Identity"),
    ]
    graph = helper.make_graph(
        nodes, "tf2onnx",
        [helper.make_tensor_value_info("input_1", TensorProto.FLOAT, ["unk__6", 28, 28])],
        [helper.make_tensor_value_info("dense_1", TensorProto.FLOAT, ["unk__7", 10])],
        initializer=inits,
    )
    model = helper.make_model(graph, producer_name="tf2onnx-layout (onnx.helper)",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


class Residual(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 8)
        self.fc2 = torch.nn.Linear(8, 8)
        self.out = torch.nn.Linear(8, 3)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        h = torch.relu(self.fc2(h) + h)  # the skip connection
        return self.out(h)


class DynamicReshape(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(x.view(x.size(0), -1))  # shape computed from the input at run time


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    np.random.seed(0)
    xtr, ytr, xte, yte = load_mnist()

    mlp = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(784, 64), torch.nn.BatchNorm1d(64), torch.nn.ReLU(), torch.nn.Dropout(0.1),
        torch.nn.Linear(64, 32), torch.nn.ReLU(),
        torch.nn.Linear(32, 10),
    )
    train(mlp, xtr, ytr, epochs=2, seed=1)
    example = torch.from_numpy(xte[:2]).unsqueeze(1)
    deployed = WithSoftmax(mlp).eval()
    layout = "Flatten, Gemm, BatchNormalization, Relu, Dropout, Gemm, Relu, Gemm, Softmax"
    export(deployed, os.path.join(OUT, "mlp_torch.onnx"), example)
    record(mlp, xte, yte, os.path.join(OUT, "mlp_torch.json"),
           {"model": "784x64(BN)x32x10 MLP with biases, 2 epochs Adam 1e-3, batch 128, seed 1",
            "onnx": "mlp_torch.onnx (torch.onnx.export, TorchScript exporter, opset 17)",
            "pytorch_modules": layout})
    try:
        export(deployed, os.path.join(OUT, "mlp_torch_dynamo.onnx"), example, dynamo=True)
        record(mlp, xte, yte, os.path.join(OUT, "mlp_torch_dynamo.json"),
               {"model": "the same network as mlp_torch.onnx",
                "onnx": "mlp_torch_dynamo.onnx (torch.onnx.export(dynamo=True), opset 17)"})
    except Exception as e:  # older torch without the dynamo exporter
        print(f"dynamo export skipped: {e}", file=sys.stderr)

    small = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 10))
    train(small, xtr, ytr, epochs=1, seed=2)
    w1, b1 = small[1].weight.detach().numpy().T, small[1].bias.detach().numpy()
    w2, b2 = small[3].weight.detach().numpy().T, small[3].bias.detach().numpy()
    keras_style(w1, b1, w2, b2, os.path.join(OUT, "keras_style.onnx"))
    record(small, xte, yte, os.path.join(OUT, "keras_style.json"),
           {"model": "784x32x10 MLP with biases, 1 epoch Adam 1e-3, batch 128, seed 2",
            "onnx": "keras_style.onnx (onnx.helper, tf2onnx's layout for a Keras Sequential)"})

    torch.manual_seed(3)
    export(Residual().eval(), os.path.join(OUT, "err_residual.onnx"), torch.randn(2, 8))
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(2 * 4 * 4, 3))
    export(conv.eval(), os.path.join(OUT, "err_conv.onnx"), torch.randn(2, 1, 6, 6))
    export(DynamicReshape().eval(), os.path.join(OUT, "err_dynamic_reshape.onnx"), torch.randn(2, 4, 4))
    sig = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 3))
    export(sig.eval(), os.path.join(OUT, "err_sigmoid.onnx"), torch.randn(2, 8))
    for name in sorted(os.listdir(OUT)):
        if name.endswith(".onnx"):
            m = onnx.load(os.path.join(OUT, name))
            print(f"{name}: {[n.op_type for n in m.graph.node]}")


if __name__ == "__main__":
    main()
