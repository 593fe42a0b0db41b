//! The ONNX done-criterion end to end: a PyTorch-exported MLP with biases and a BatchNorm
//! (crates/spikeport-io/tests/fixtures/mlp_torch.onnx, written by
//! scripts/make_onnx_fixtures.py) has, in spikeport's ANN, exactly PyTorch's predictions and
//! accuracy on the recorded test images, and runs through the paper's conversion on the
//! `Fast` backend, its biases carried by a constant input unit.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use spikeport::bench::{run_cell, BackendSetup, Conversion};
use spikeport::cpu::Fast;
use spikeport::data::Mnist;
use spikeport::io::{load_model, LoadedModel};
use spikeport::snn::{Encoder, IfCondExpParams};

#[derive(serde::Deserialize)]
struct Recorded {
    predictions: Vec<usize>,
    accuracy_pct: f64,
}

#[test]
fn pytorch_onnx_mlp_converts_and_runs_on_fast_with_pytorch_ann_accuracy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/spikeport-io/tests/fixtures");
    let rec: Recorded =
        serde_json::from_str(&std::fs::read_to_string(dir.join("mlp_torch.json")).unwrap()).unwrap();
    let LoadedModel::Ann { model, notes } = load_model(&dir.join("mlp_torch.onnx")).unwrap() else {
        panic!("an ONNX file is an ANN")
    };
    assert_eq!(notes.len(), 3, "BatchNorm folded, Softmax dropped, biases on a constant input: {notes:?}");
    let mnist = Mnist::load().unwrap();
    let test = mnist.test.take(rec.predictions.len()).unwrap();
    let pred = model.network.predict(model.features(&test).unwrap().view()).unwrap();
    assert_eq!(pred, rec.predictions, "spikeport's ANN forward = PyTorch's predictions");
    let setup = BackendSetup {
        name: "fast".into(),
        backend: Box::new(Fast::new(1.0).unwrap()),
        neuron: IfCondExpParams::paper_digital().into_model().unwrap(),
        encoder: Encoder::paper_digital(),
        // measured on the first 300 test images: 0.012 µS 85 %, 0.015 µS 96.7 %, 0.02 µS 97.0 %
        conversion: Conversion::Global { max_weight: 0.02 },
        batch_size: 250,
        seed: 0,
        checkpoint_every_ms: None,
        energy_profiles: Vec::new(),
        timing: spikeport::platform::Timing::Host,
        capacity: spikeport::platform::Capacity::Backend,
        copies: spikeport::bench::Copies::One,
        keep_predictions: false,
        priced_images: None,
    };
    let r = run_cell(&model, &test, &mnist.train, &setup, &mut |_| {}).unwrap();
    assert_eq!(r.ann_accuracy_pct, rec.accuracy_pct, "the harness's ANN accuracy is PyTorch's");
    assert!(r.snn_accuracy_pct >= 94.0, "SNN {} % (ANN {} %)", r.snn_accuracy_pct, r.ann_accuracy_pct);
    assert!(r.ann_agreement_pct >= 95.0, "{r:?}");
    // the constant input fires at 120 Hz for 500 ms: at least 60 of the input spikes per image
    assert_eq!(r.spikes_per_image.len(), 4);
    assert!(r.spikes_per_image.iter().all(|&s| s > 1.0), "{:?}", r.spikes_per_image);
    println!(
        "mlp_torch.onnx, {} images: PyTorch {:.2} %, spikeport ANN {:.2} %, SNN on Fast {:.2} % (max_weight 0.02 µS)",
        r.images, rec.accuracy_pct, r.ann_accuracy_pct, r.snn_accuracy_pct
    );
}

/// ONNX → paper conversion → NIR (current-based, since NIR has no IF_cond_exp) → import:
/// the re-imported network is the current-based equivalent, spike for spike on `Fast`, and
/// still classifies.
#[test]
#[cfg(feature = "nir")]
fn onnx_mlp_through_nir_and_back_runs_on_fast() {
    use spikeport::io::nir::{current_based_equivalent, export_nir, import_nir, CondExp, NirExportOptions};
    use spikeport::snn::{Backend, Recording};

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/spikeport-io/tests/fixtures");
    let LoadedModel::Ann { model, .. } = load_model(&dir.join("mlp_torch.onnx")).unwrap() else {
        panic!("an ONNX file is an ANN")
    };
    let lif = IfCondExpParams::paper_digital().into_model().unwrap();
    let snn = spikeport::convert::convert_global(&model.network, &lif, 0.025, 1.0).unwrap().network;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("mlp.nir");
    let opts =
        NirExportOptions { cond_exp: CondExp::CurrentBased, bias_input: true, ..NirExportOptions::default() };
    let warnings = export_nir(&path, &snn, &opts).unwrap();
    assert!(warnings.iter().any(|w| w.contains("IF_cond_exp approximated")), "{warnings:?}");
    let back = import_nir(&path).unwrap();
    assert!(back.bias_input);
    let (equivalent, _) = current_based_equivalent(&snn).unwrap();
    assert_eq!(back.network, equivalent);
    let test = Mnist::load_test().unwrap().take(300).unwrap();
    let x = model.features(&test).unwrap();
    let input = Encoder::paper_digital().encode(x.view()).unwrap();
    let fast = Fast::new(1.0).unwrap();
    let run = |net| {
        let mut dep = fast.deploy(net, 0).unwrap();
        fast.run(&mut dep, &input, &Recording::counts_only()).unwrap()
    };
    let (a, b) = (run(&back.network), run(&equivalent));
    assert_eq!(a.counts, b.counts, "the imported network is the exported one");
    let acc = a.accuracy_pct(test.labels()).unwrap();
    assert!(acc >= 90.0, "current-based equivalent: {acc} %");
}

/// `spikeport run --model file.nir` runs the spiking network as it is (no conversion), with
/// the same accuracy as `experiment::run_as_is` on the imported network.
#[test]
#[cfg(feature = "nir")]
fn the_command_line_runs_a_nir_file_as_it_is() {
    use spikeport::data::Preprocessing;
    use spikeport::experiment::run_as_is;
    use spikeport::io::nir::{export_nir, import_nir, CondExp, NirExportOptions};
    use spikeport::registry::platform;

    let model = spikeport::ann::load_zoo("nas63").unwrap();
    let lif = IfCondExpParams::paper_digital().into_model().unwrap();
    let snn = spikeport::convert::convert_global(&model.network, &lif, 0.02, 1.0).unwrap().network;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("nas63.nir");
    let opts = NirExportOptions { cond_exp: CondExp::CurrentBased, ..NirExportOptions::default() };
    export_nir(&path, &snn, &opts).unwrap();
    let back = import_nir(&path).unwrap();
    let test = Mnist::load_test().unwrap();
    let p = platform("fast").unwrap();
    let direct = run_as_is(&back.network, back.bias_input, Preprocessing::Scale, &test, &p, 100, 50).unwrap();
    assert!(direct.snn_accuracy_pct >= 85.0, "{direct:?}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spikeport"))
        .args(["run", "--model", path.to_str().unwrap(), "--platform", "fast", "--images", "100", "--json"])
        .arg(tmp.path().join("r.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("as given, no conversion"));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(r["images"], 100);
    assert_eq!(r["snn_accuracy_pct"].as_f64(), Some(direct.snn_accuracy_pct));
}
