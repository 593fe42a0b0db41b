#!/usr/bin/env python3
"""Check spikeport's NIR files with NIR's reference Python package, and write the NIR
fixtures that spikeport-io's tests import.

CI does not run this script (it needs Python); run it after changing the NIR exporter:

    python3 -m venv /tmp/nir-venv && /tmp/nir-venv/bin/pip install nir numpy
    SPIKEPORT_WRITE_FIXTURES=1 cargo test -p spikeport-io --test nir committed_exports
    /tmp/nir-venv/bin/python scripts/check_nir.py                 # the committed exports
    /tmp/nir-venv/bin/python scripts/check_nir.py results/net.nir # any other export

For every spikeport export it checks that `nir.read` accepts the file (with NIR's own type
checking), that the graph is Input -> (Linear -> neuron)+ -> Output with consistent
shapes, and that the parameters follow spikeport's documented conventions (seconds,
w_in = tau_syn for CubaLIF, r = tau for LIF), printing a summary. It also writes, with
`nir.write`, the foreign-style fixtures nir_python_*.nir (gzip-compressed arrays, no
spikeport metadata) that the Rust tests must import or reject.
"""

import os
import sys

import nir
from nir.serialization import read_version
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "crates", "spikeport-io", "tests", "fixtures")
EXPORTS = ["spikeport_curr_exp.nir", "spikeport_delta.nir", "spikeport_cond_as_curr.nir"]


def check(path):
    g = nir.read(path)  # type-checks every edge
    assert read_version(path), "version"
    inputs = [k for k, n in g.nodes.items() if isinstance(n, nir.Input)]
    outputs = [k for k, n in g.nodes.items() if isinstance(n, nir.Output)]
    assert len(inputs) == 1 and len(outputs) == 1, (inputs, outputs)
    succ = {}
    for a, b in g.edges:
        succ.setdefault(a, []).append(b)
    kinds = []
    for name, node in sorted(g.nodes.items()):
        if isinstance(node, nir.Linear):
            (post,) = succ[name]
            target = g.nodes[post]
            assert node.weight.shape[0] == np.prod(target.input_type["input"]), (name, node.weight.shape)
            assert "delay_ms" in node.metadata, name
        elif isinstance(node, nir.CubaLIF):
            assert np.allclose(node.w_in, node.tau_syn), "w_in = tau_syn (s)"
            assert np.all(node.tau_mem < 1.0) and np.all(node.tau_syn < 1.0), "seconds"
            assert np.allclose(node.r, node.metadata["tau_m_ms"] / node.metadata["cm_nF"]), "r = tau_m / cm"
        elif isinstance(node, nir.LIF):
            assert np.allclose(node.r, node.tau), "r = tau (s)"
            assert node.metadata["reset"] in (b"subtract", "subtract")
        elif isinstance(node, nir.IF):
            assert np.allclose(node.r, 1.0)
        kinds.append(f"{name}:{type(node).__name__}")
    print(f"{os.path.relpath(path, ROOT)}: nir {read_version(path)} OK -- {', '.join(kinds)}; "
          f"{len(g.edges)} edges; metadata {sorted(g.metadata)}")


def write_foreign():
    lif = nir.CubaLIF(tau_syn=np.full(4, 0.002, np.float32), tau_mem=np.full(4, 0.01, np.float32),
                      r=np.full(4, 10.0, np.float32), v_leak=np.zeros(4, np.float32),
                      v_threshold=np.ones(4, np.float32), w_in=np.ones(4, np.float32))
    out = nir.CubaLIF(tau_syn=np.full(2, 0.002, np.float32), tau_mem=np.full(2, 0.01, np.float32),
                      r=np.full(2, 10.0, np.float32), v_leak=np.zeros(2, np.float32),
                      v_threshold=np.ones(2, np.float32), w_in=np.ones(2, np.float32))
    w0 = np.full((4, 3), 0.5, np.float32)
    w1 = np.arange(8, dtype=np.float32).reshape(2, 4) / 8
    g = nir.NIRGraph.from_list(nir.Linear(weight=w0), lif, nir.Linear(weight=w1), out)
    nir.write(os.path.join(FIX, "nir_python_cubalif.nir"), g)
    conv = nir.NIRGraph.from_list(
        nir.Conv2d(input_shape=(4, 4), weight=np.ones((1, 1, 3, 3), np.float32), stride=1, padding=0,
                   dilation=1, groups=1, bias=np.zeros(1, np.float32)),
        nir.IF(r=np.ones((1, 2, 2)), v_threshold=np.ones((1, 2, 2))),
    )
    nir.write(os.path.join(FIX, "nir_python_conv.nir"), conv)
    lif_only = nir.NIRGraph.from_list(
        nir.Linear(weight=np.ones((2, 3), np.float32)),
        nir.LIF(tau=np.full(2, 0.02), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2)),
    )
    nir.write(os.path.join(FIX, "nir_python_lif.nir"), lif_only)
    for name in ("nir_python_cubalif.nir", "nir_python_conv.nir", "nir_python_lif.nir"):
        nir.read(os.path.join(FIX, name))
        print(f"wrote {name}")


if __name__ == "__main__":
    paths = sys.argv[1:] or [os.path.join(FIX, n) for n in EXPORTS]
    for p in paths:
        check(p)
    if not sys.argv[1:]:
        write_foreign()
