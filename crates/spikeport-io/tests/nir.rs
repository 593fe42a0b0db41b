//! NIR export and import: identical round trips in memory and through HDF5 files, the
//! committed spikeport exports (checked with NIR's Python package by
//! `scripts/check_nir.py`) still match the exporter, files written by the Python package
//! import, and every refusal is its typed error.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use ndarray::{array, Array1, Array2};
use spikeport_io::nir::{
    current_based_equivalent, export_nir, from_nir, import_nir, read_nir, to_nir, write_nir, CondExp,
    MetaValue, NirElement, NirExportOptions, NirGraph, NirNode,
};
#[cfg(feature = "hdf5")]
use spikeport_io::LoadedModel;
use spikeport_io::{load_model, IoError};
use spikeport_snn::{
    IfCondExpParams, IfCurrDeltaSubParams, IfCurrExpParams, NeuronModel, Population, Projection, SnnNetwork,
};

#[cfg_attr(not(feature = "hdf5"), allow(dead_code))]
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn curr_exp() -> NeuronModel {
    IfCurrExpParams::new()
        .cm(0.25)
        .tau_m(17.0)
        .tau_syn_e(3.3)
        .tau_syn_i(3.3)
        .tau_refrac(2.0)
        .v_rest(-65.0)
        .v_reset(-70.0)
        .v_thresh(-52.5)
        .i_offset(0.1)
        .into_model()
        .unwrap()
}

/// 4 inputs → 3 IF_curr_exp → 2 IF_curr_exp, mixed signs, delays 1 and 2.5 ms.
fn curr_exp_net() -> SnnNetwork {
    let w0 = Array2::from_shape_fn((4, 3), |(i, j)| 0.3 * (i as f64 - 1.5) + 0.07 * j as f64);
    let w1 = array![[0.5, -0.25], [0.0, 1.0 / 3.0], [-0.125, 0.75]];
    let pops = vec![
        Population::spike_source(4),
        Population::new(3, curr_exp()).with_label("hidden"),
        Population::new(2, curr_exp()).with_label("out"),
    ];
    SnnNetwork::new(pops, vec![Projection::new(0, 1, w0, 1.0), Projection::new(1, 2, w1, 2.5)]).unwrap()
}

/// 3 inputs → 2 leaky delta IF → 2 non-leaky delta IF, both with reset by subtraction.
fn delta_net() -> SnnNetwork {
    let leaky = IfCurrDeltaSubParams::new()
        .cm(0.5)
        .tau_m(Some(40.0))
        .v_rest(0.1)
        .v_thresh(1.0)
        .i_offset(0.02)
        .tau_refrac(1.0)
        .into_model()
        .unwrap();
    let perfect = IfCurrDeltaSubParams::new().v_rest(0.25).v_thresh(2.0).into_model().unwrap();
    SnnNetwork::feed_forward(
        3,
        vec![
            (leaky, array![[0.5, -0.2], [0.1, 0.9], [-0.3, 0.4]]),
            (perfect, array![[1.5, 0.0], [-0.5, 0.7]]),
        ],
        1.0,
    )
    .unwrap()
}

fn cond_exp_net() -> SnnNetwork {
    let lif = IfCondExpParams::paper_digital().into_model().unwrap();
    SnnNetwork::feed_forward(2, vec![(lif, array![[0.01, -0.02], [0.015, 0.0]])], 1.0).unwrap()
}

#[test]
fn round_trip_in_memory_is_identical() {
    for net in [curr_exp_net(), delta_net()] {
        let export = to_nir(&net, &NirExportOptions::default()).unwrap();
        let back = from_nir(&export.graph).unwrap();
        assert_eq!(back.network, net);
        assert!(!back.bias_input);
        assert!(back.notes.is_empty(), "{:?}", back.notes);
    }
}

#[test]
#[cfg(feature = "hdf5")]
fn round_trip_through_hdf5_is_identical() {
    let dir = tempfile::tempdir().unwrap();
    for (i, net) in [curr_exp_net(), delta_net()].into_iter().enumerate() {
        let path = dir.path().join(format!("n{i}.nir"));
        let opts = NirExportOptions { bias_input: i == 1, ..NirExportOptions::default() };
        export_nir(&path, &net, &opts).unwrap();
        let graph = read_nir(&path).unwrap();
        assert_eq!(graph, to_nir(&net, &opts).unwrap().graph, "the file holds the graph");
        let back = import_nir(&path).unwrap();
        assert_eq!(back.network, net);
        assert_eq!(back.bias_input, i == 1);
        let LoadedModel::Snn { network, .. } = load_model(&path).unwrap() else { panic!(".nir is an SNN") };
        assert_eq!(network, net);
    }
}

#[test]
fn curr_exp_maps_to_cubalif_in_nir_units() {
    let export = to_nir(&curr_exp_net(), &NirExportOptions::default()).unwrap();
    let g = &export.graph;
    let NirNode::CubaLif { tau_syn, tau_mem, r, v_leak, v_threshold, v_reset, w_in } = &g.nodes["pop1"].node
    else {
        panic!("IF_curr_exp is a CubaLIF")
    };
    assert_eq!(tau_syn.len(), 3);
    assert!((tau_syn[0] - 0.0033).abs() < 1e-15 && (w_in[0] - 0.0033).abs() < 1e-15); // seconds
    assert!((tau_mem[0] - 0.017).abs() < 1e-15);
    assert!((r[0] - 68.0).abs() < 1e-12); // tau_m / cm = 17 ms / 0.25 nF = 68 MΩ
    assert!((v_leak[0] - (-65.0 + 68.0 * 0.1)).abs() < 1e-12); // v_rest + r · i_offset
    assert_eq!((v_threshold[0], v_reset[0]), (-52.5, -70.0));
    let NirNode::Linear { weight } = &g.nodes["proj1"].node else { panic!("projection is Linear") };
    assert_eq!(weight, &curr_exp_net().projections()[1].weights.t().to_owned(), "(post, pre), nA");
    assert_eq!(g.nodes["proj1"].metadata.get("delay_ms"), Some(&MetaValue::Number(2.5)));
    assert_eq!(g.nodes["input"].node, NirNode::Input { shape: vec![4] });
    assert_eq!(g.nodes["output"].node, NirNode::Output { shape: vec![2] });
    assert!(g.edges.contains(&("pop2".into(), "output".into())));
    assert!(export.warnings.iter().any(|w| w.contains("tau_refrac")), "{:?}", export.warnings);
    assert!(export.warnings.iter().any(|w| w.contains("delay")), "{:?}", export.warnings);
}

#[test]
fn delta_if_maps_to_lif_and_if_with_a_subtraction_warning() {
    let export = to_nir(&delta_net(), &NirExportOptions::default()).unwrap();
    let NirNode::Lif { tau, r, v_leak, .. } = &export.graph.nodes["pop1"].node else {
        panic!("leaky → LIF")
    };
    assert!((tau[0] - 0.04).abs() < 1e-15 && (r[0] - 0.04).abs() < 1e-15);
    assert!((v_leak[0] - (0.1 + 40.0 * 0.02 / 0.5)).abs() < 1e-12);
    assert!(matches!(export.graph.nodes["pop2"].node, NirNode::If { .. }));
    assert_eq!(export.warnings.iter().filter(|w| w.contains("reset by subtraction")).count(), 2);
    // without the metadata, a LIF/IF means reset to v_reset, which spikeport cannot run
    let mut g = export.graph.clone();
    g.nodes.get_mut("pop2").unwrap().metadata.remove("reset");
    let err = from_nir(&g).unwrap_err();
    assert!(
        matches!(&err, IoError::NirUnsupported { node, node_type, .. } if node == "pop2" && node_type == "IF"),
        "{err}"
    );
}

#[test]
fn cond_exp_is_refused_unless_the_current_based_equivalent_is_asked_for() {
    let net = cond_exp_net();
    let err = to_nir(&net, &NirExportOptions::default()).unwrap_err();
    assert!(
        matches!(&err, IoError::NoNirEquivalent { population: 1, model: "IF_cond_exp", reason } if reason.contains("CurrentBased")),
        "{err}"
    );
    let opts = NirExportOptions { cond_exp: CondExp::CurrentBased, ..NirExportOptions::default() };
    let export = to_nir(&net, &opts).unwrap();
    assert!(
        export.warnings.iter().any(|w| w.contains("IF_cond_exp approximated by IF_curr_exp")),
        "{:?}",
        export.warnings
    );
    let (equivalent, notes) = current_based_equivalent(&net).unwrap();
    assert_eq!(notes.len(), 1);
    // driving forces at v_rest −65 mV: e_rev_E 0 → 65 mV, e_rev_I −130 → 65 mV
    assert_eq!(equivalent.projections()[0].weights, array![[0.01 * 65.0, -0.02 * 65.0], [0.015 * 65.0, 0.0]]);
    assert!(matches!(equivalent.populations()[1].model, NeuronModel::IfCurrExp(_)));
    assert_eq!(from_nir(&export.graph).unwrap().network, equivalent);
    // a reversal potential below rest cannot give a positive current
    let bad = IfCondExpParams::paper_digital().e_rev_e(-70.0).into_model().unwrap();
    let net = SnnNetwork::feed_forward(1, vec![(bad, array![[0.01]])], 1.0).unwrap();
    assert!(matches!(current_based_equivalent(&net), Err(IoError::NoNirEquivalent { population: 1, .. })));
}

#[test]
fn other_unmappable_models_are_no_nir_equivalent() {
    let split = IfCurrExpParams::new().tau_syn_e(2.0).tau_syn_i(4.0).into_model().unwrap();
    let net = SnnNetwork::feed_forward(1, vec![(split, array![[1.0]])], 1.0).unwrap();
    let err = to_nir(&net, &NirExportOptions::default()).unwrap_err();
    assert!(
        matches!(&err, IoError::NoNirEquivalent { model: "IF_curr_exp", reason, .. } if reason.contains("tau_syn_I")),
        "{err}"
    );
    let offset = IfCurrDeltaSubParams::new().i_offset(0.5).into_model().unwrap();
    let net = SnnNetwork::feed_forward(1, vec![(offset, array![[1.0]])], 1.0).unwrap();
    assert!(matches!(to_nir(&net, &NirExportOptions::default()), Err(IoError::NoNirEquivalent { .. })));
}

fn element(node: NirNode) -> NirElement {
    NirElement { node, metadata: Default::default() }
}

/// A minimal foreign-style graph: input(2) → lin → CubaLIF(2) → output, no metadata.
fn foreign() -> NirGraph {
    let full = |v: f64| Array1::from_elem(2, v);
    let mut g = NirGraph::default();
    g.nodes.insert("in".into(), element(NirNode::Input { shape: vec![2] }));
    g.nodes.insert("lin".into(), element(NirNode::Linear { weight: array![[1.0, 2.0], [3.0, 4.0]] }));
    g.nodes.insert(
        "lif".into(),
        element(NirNode::CubaLif {
            tau_syn: full(0.005),
            tau_mem: full(0.02),
            r: full(20.0),
            v_leak: full(0.0),
            v_threshold: full(1.0),
            v_reset: full(0.0),
            w_in: full(1.0),
        }),
    );
    g.nodes.insert("out".into(), element(NirNode::Output { shape: vec![2] }));
    g.edges = vec![("in".into(), "lin".into()), ("lin".into(), "lif".into()), ("lif".into(), "out".into())];
    g
}

#[test]
fn foreign_graphs_import_with_assumed_defaults() {
    let imp = from_nir(&foreign()).unwrap();
    let net = &imp.network;
    assert_eq!(net.sizes(), vec![2, 2]);
    let NeuronModel::IfCurrExp(p) = net.populations()[1].model else { panic!("CubaLIF → IF_curr_exp") };
    assert!(
        (p.tau_m() - 20.0).abs() < 1e-9 && (p.cm() - 1.0).abs() < 1e-12 && (p.tau_syn_e() - 5.0).abs() < 1e-9
    );
    // w_in = 1: a weight W raises the current by W / tau_syn = 200 W (per second of tau)
    assert!((net.projections()[0].weights[[0, 1]] - 3.0 / 0.005).abs() < 1e-9);
    assert_eq!(net.projections()[0].delay_ms, 1.0);
    assert!(
        imp.notes.iter().any(|n| n.contains("delay")) && imp.notes.iter().any(|n| n.contains("tau_refrac"))
    );
}

#[test]
fn malformed_graphs_are_nir_format_errors() {
    let mut g = foreign();
    g.edges.push(("lif".into(), "ghost".into()));
    assert!(matches!(from_nir(&g), Err(IoError::NirFormat { reason }) if reason.contains("ghost")));
    let mut g = foreign();
    g.nodes.insert("in2".into(), element(NirNode::Input { shape: vec![2] }));
    assert!(matches!(from_nir(&g), Err(IoError::NirFormat { .. })));
    let mut g = foreign();
    g.nodes.insert("out".into(), element(NirNode::Output { shape: vec![3] }));
    assert!(matches!(from_nir(&g), Err(IoError::NirFormat { reason }) if reason.contains("Output shape")));
    let mut g = foreign();
    g.nodes.insert("lin".into(), element(NirNode::Linear { weight: Array2::zeros((3, 2)) }));
    assert!(matches!(from_nir(&g), Err(IoError::NirFormat { reason }) if reason.contains("shape")));
    // a neuron node without neurons, an input without size
    let mut g = foreign();
    g.nodes
        .insert("lif".into(), element(NirNode::If { r: array![], v_threshold: array![], v_reset: array![] }));
    g.nodes.get_mut("lif").unwrap().metadata.insert("reset".into(), MetaValue::Text("subtract".into()));
    assert!(matches!(from_nir(&g), Err(IoError::NirFormat { reason }) if reason.contains("0 neurons")));
    let mut g = foreign();
    g.nodes.insert("in".into(), element(NirNode::Input { shape: vec![-1, -2] }));
    assert!(matches!(from_nir(&g), Err(IoError::NirFormat { reason }) if reason.contains("Input shape")));
}

#[test]
fn unsupported_layouts_name_the_node() {
    // heterogeneous parameters
    let mut g = foreign();
    if let NirNode::CubaLif { tau_mem, .. } = &mut g.nodes.get_mut("lif").unwrap().node {
        tau_mem[1] = 0.03;
    }
    let err = from_nir(&g).unwrap_err();
    assert!(
        matches!(&err, IoError::NirUnsupported { node, reason, .. } if node == "lif" && reason.contains("tau_mem")),
        "{err}"
    );
    // an Affine with a bias
    let mut g = foreign();
    g.nodes.insert(
        "lin".into(),
        element(NirNode::Affine { weight: Array2::ones((2, 2)), bias: array![0.0, 0.5] }),
    );
    let err = from_nir(&g).unwrap_err();
    assert!(
        matches!(&err, IoError::NirUnsupported { node, node_type, .. } if node == "lin" && node_type == "Affine"),
        "{err}"
    );
    // a zero bias is a Linear
    let mut g = foreign();
    g.nodes.insert(
        "lin".into(),
        element(NirNode::Affine { weight: Array2::ones((2, 2)), bias: array![0.0, 0.0] }),
    );
    assert!(from_nir(&g).is_ok());
    // an edge between neurons without weights
    let mut g = foreign();
    g.edges = vec![
        ("in".into(), "lin".into()),
        ("lin".into(), "lif".into()),
        ("lif".into(), "lif2".into()),
        ("lif2".into(), "out".into()),
    ];
    let lif = g.nodes["lif"].clone();
    g.nodes.insert("lif2".into(), lif);
    let err = from_nir(&g).unwrap_err();
    assert!(matches!(&err, IoError::NirUnsupported { node, .. } if node == "lif2"), "{err}");
}

#[test]
#[cfg(feature = "hdf5")]
fn files_that_are_not_nir_are_typed_errors() {
    assert!(matches!(import_nir(Path::new("/nonexistent.nir")), Err(IoError::Io { .. })));
    // an ONNX file is not HDF5
    let err = import_nir(&fixture("mlp_torch.onnx")).unwrap_err();
    assert!(matches!(err, IoError::Hdf5 { .. }), "{err}");
    // an HDF5 file without the NIR layout
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.nir");
    write_nir(&path, &NirGraph::default()).unwrap();
    assert!(from_nir(&read_nir(&path).unwrap()).is_err(), "no Input/Output");
}

/// Files written by NIR's Python package (`scripts/check_nir.py`): gzip-compressed float32
/// arrays, h5py strings, no spikeport metadata.
#[test]
#[cfg(feature = "hdf5")]
fn files_written_by_the_nir_package_import() {
    let imp = import_nir(&fixture("nir_python_cubalif.nir")).unwrap();
    assert_eq!(imp.network.sizes(), vec![3, 4, 2]);
    assert!(imp.network.populations()[1..].iter().all(|p| matches!(p.model, NeuronModel::IfCurrExp(_))));
    let NeuronModel::IfCurrExp(p) = imp.network.populations()[2].model else { unreachable!() };
    assert!((p.tau_m() - 10.0).abs() < 1e-4 && (p.tau_syn_e() - 2.0).abs() < 1e-4, "{p:?}");
    // w_in = 1 in the file: spikeport weight = W / tau_syn(s)
    let w = imp.network.projections()[0].weights[[0, 0]];
    assert!((w - 0.5 / 0.002).abs() < 1e-2, "{w}");
    let err = import_nir(&fixture("nir_python_conv.nir")).unwrap_err();
    assert!(matches!(&err, IoError::NirUnsupported { node_type, .. } if node_type == "Conv2d"), "{err}");
    let err = import_nir(&fixture("nir_python_lif.nir")).unwrap_err();
    assert!(
        matches!(&err, IoError::NirUnsupported { node_type, reason, .. } if node_type == "LIF" && reason.contains("reset")),
        "{err}"
    );
}

/// The committed exports that `scripts/check_nir.py` reads with NIR's Python package are
/// what the exporter writes today (`SPIKEPORT_WRITE_FIXTURES=1` rewrites them).
#[test]
#[cfg(feature = "hdf5")]
fn committed_exports_match_the_exporter() {
    let cases = [
        ("spikeport_curr_exp.nir", curr_exp_net(), NirExportOptions::default()),
        ("spikeport_delta.nir", delta_net(), NirExportOptions::default()),
        (
            "spikeport_cond_as_curr.nir",
            cond_exp_net(),
            NirExportOptions {
                cond_exp: CondExp::CurrentBased,
                bias_input: true,
                ..NirExportOptions::default()
            },
        ),
    ];
    for (name, net, opts) in cases {
        if std::env::var_os("SPIKEPORT_WRITE_FIXTURES").is_some() {
            export_nir(&fixture(name), &net, &opts).unwrap();
        }
        let graph = read_nir(&fixture(name)).unwrap();
        assert_eq!(graph, to_nir(&net, &opts).unwrap().graph, "{name}");
    }
}

#[test]
fn invalid_parameters_and_models_are_wrapped_errors() {
    // a CubaLIF whose threshold is below its reset is no valid IF_curr_exp
    let mut g = foreign();
    if let NirNode::CubaLif { v_threshold, .. } = &mut g.nodes.get_mut("lif").unwrap().node {
        v_threshold.fill(-1.0);
    }
    assert!(matches!(from_nir(&g), Err(IoError::Snn(_))));
    // a spikeport model file that is not there
    assert!(matches!(load_model(Path::new("/nonexistent/model.npz")), Err(IoError::Ann(_))));
}

#[test]
#[cfg(not(feature = "hdf5"))]
fn without_hdf5_nir_files_are_a_clear_error() {
    let path = fixture("spikeport_curr_exp.nir");
    assert!(matches!(import_nir(&path), Err(IoError::NoHdf5 { .. })));
    assert!(matches!(load_model(&path), Err(IoError::NoHdf5 { .. })));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x.nir");
    assert!(matches!(
        export_nir(&out, &curr_exp_net(), &NirExportOptions::default()),
        Err(IoError::NoHdf5 { .. })
    ));
    assert!(matches!(write_nir(&out, &NirGraph::default()), Err(IoError::NoHdf5 { .. })));
    assert!(matches!(read_nir(&out), Err(IoError::NoHdf5 { .. })));
    let e = import_nir(&path).unwrap_err().to_string();
    assert!(e.contains("libhdf5-dev") && e.contains("`hdf5` feature"), "{e}");
}
