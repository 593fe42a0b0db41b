//! Save / load round trips and every malformed-file error.

use std::path::Path;

use ndarray::{array, Array1, Array2};
use ndarray_npy::NpzWriter;
use spikeport_ann::{AnnError, Dense, Init, Model, ModelHeader, Network};
use spikeport_data::Preprocessing;

fn model(bias: bool) -> Model {
    let net = Network::init(&[6, 4, 3], bias, Init::GlorotUniform, 11).expect("net");
    let mut header = ModelHeader::for_network("tiny", &net, Preprocessing::Scale);
    header.test_accuracy_pct = Some(12.5);
    Model::new(header, net).expect("model")
}

fn write_npz(path: &Path, arrays: &[(&str, Array2<f32>)]) {
    let f = std::fs::File::create(path).expect("create");
    let mut npz = NpzWriter::new(f);
    for (name, a) in arrays {
        npz.add_array(*name, a).expect("add");
    }
    npz.finish().expect("finish");
}

fn write_header(dir: &Path, sizes: &[usize]) -> std::path::PathBuf {
    let net = Network::new(
        sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| Dense::new(Array2::zeros((w[0], w[1])), None, i).expect("d"))
            .collect(),
    )
    .expect("net");
    let header = ModelHeader::for_network("m", &net, Preprocessing::Scale);
    let stem = dir.join("m");
    std::fs::write(stem.with_extension("json"), serde_json::to_string(&header).expect("json"))
        .expect("write");
    stem
}

#[test]
fn round_trip_without_and_with_bias() {
    let dir = tempfile::tempdir().expect("tmp");
    for bias in [false, true] {
        let m = model(bias);
        let stem = dir.path().join(format!("m{bias}"));
        m.save(&stem).expect("save");
        assert!(stem.with_extension("npz").is_file());
        let back = Model::load(&stem.with_extension("json")).expect("load");
        assert_eq!(back, m);
        let back = Model::load(&stem.with_extension("npz")).expect("load via npz path");
        assert_eq!(back.network, m.network);
    }
}

#[test]
fn f64_and_fortran_order_arrays_are_accepted() {
    let dir = tempfile::tempdir().expect("tmp");
    let stem = write_header(dir.path(), &[3, 2]);
    let w = array![[1.0f64, 2.0], [3.0, 4.0], [5.0, 6.0]];
    let wf = w.t().as_standard_layout().into_owned().reversed_axes(); // Fortran order, same values
    let f = std::fs::File::create(stem.with_extension("npz")).expect("create");
    let mut npz = NpzWriter::new(f);
    npz.add_array("layer0.weight", &wf).expect("add");
    npz.finish().expect("finish");
    let m = Model::load(&stem).expect("load");
    assert_eq!(m.network.layers()[0].weight(), w.mapv(|v| v as f32));
}

#[test]
fn wrong_shape_is_a_shape_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let stem = write_header(dir.path(), &[3, 2, 2]);
    write_npz(
        &stem.with_extension("npz"),
        &[("layer0.weight", Array2::zeros((3, 2))), ("layer1.weight", Array2::zeros((3, 2)))],
    );
    let err = Model::load(&stem).unwrap_err();
    assert!(
        matches!(&err, AnnError::ShapeMismatch { expected, found, .. } if expected == &vec![2, 2] && found == &vec![3, 2]),
        "{err}"
    );
    assert!(err.to_string().contains("layer1.weight"), "{err}");
}

#[test]
fn nan_weight_is_rejected_with_its_position() {
    let dir = tempfile::tempdir().expect("tmp");
    let stem = write_header(dir.path(), &[3, 2]);
    let mut w = Array2::zeros((3, 2));
    w[[2, 1]] = f32::NAN;
    write_npz(&stem.with_extension("npz"), &[("layer0.weight", w)]);
    let err = Model::load(&stem).unwrap_err();
    assert!(
        matches!(&err, AnnError::NonFinite { layer: 0, what: "weight", index, .. } if index == &vec![2, 1]),
        "{err}"
    );
}

#[test]
fn missing_and_unexpected_arrays_are_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let stem = write_header(dir.path(), &[3, 2, 2]);
    write_npz(&stem.with_extension("npz"), &[("layer0.weight", Array2::zeros((3, 2)))]);
    let err = Model::load(&stem).unwrap_err();
    assert!(matches!(&err, AnnError::MissingArray { name, .. } if name == "layer1.weight"), "{err}");
    write_npz(
        &stem.with_extension("npz"),
        &[
            ("layer0.weight", Array2::zeros((3, 2))),
            ("layer1.weight", Array2::zeros((2, 2))),
            ("layer1.bias", Array2::zeros((1, 2))),
        ],
    );
    let err = Model::load(&stem).unwrap_err();
    assert!(matches!(&err, AnnError::Npz { reason, .. } if reason.contains("layer1.bias")), "{err}");
}

#[test]
fn layers_that_do_not_chain_are_rejected() {
    // Weights built by hand that do not chain never become a Network.
    let l0 = Dense::new(Array2::zeros((3, 4)), None, 0).expect("l0");
    let l1 = Dense::new(Array2::zeros((5, 2)), None, 1).expect("l1");
    assert!(matches!(
        Network::new(vec![l0, l1]),
        Err(AnnError::LayersDoNotChain { layer: 0, outputs: 4, next_inputs: 5 })
    ));
}

#[test]
fn bad_headers_are_rejected() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = model(false);
    let stem = dir.path().join("m");
    m.save(&stem).expect("save");
    let json_path = stem.with_extension("json");
    let json = std::fs::read_to_string(&json_path).expect("read");
    // unknown key
    std::fs::write(&json_path, json.replacen("\"name\"", "\"nmae\": 1, \"name\"", 1)).expect("w");
    assert!(matches!(Model::load(&stem), Err(AnnError::Json { .. })));
    // unsupported activation
    std::fs::write(&json_path, json.replace("\"relu\"", "\"tanh\"")).expect("w");
    assert!(matches!(Model::load(&stem), Err(AnnError::BadHeader { reason, .. }) if reason.contains("tanh")));
    // wrong format tag
    std::fs::write(&json_path, json.replace("spikeport-model", "keras")).expect("w");
    assert!(matches!(Model::load(&stem), Err(AnnError::BadHeader { .. })));
    // missing npz
    std::fs::write(&json_path, &json).expect("w");
    std::fs::remove_file(stem.with_extension("npz")).expect("rm");
    assert!(matches!(Model::load(&stem), Err(AnnError::Io { .. })));
    // not a zip at all
    std::fs::write(stem.with_extension("npz"), b"not a zip").expect("w");
    assert!(matches!(Model::load(&stem), Err(AnnError::Npz { .. })));
    // header that disagrees with the network
    let net = Network::init(&[6, 4, 3], false, Init::GlorotUniform, 1).expect("net");
    let h = ModelHeader::for_network(
        "x",
        &Network::init(&[6, 5, 3], false, Init::GlorotUniform, 1).expect("n"),
        Preprocessing::Scale,
    );
    assert!(matches!(Model::new(h, net), Err(AnnError::BadHeader { .. })));
    let _ = Array1::<f32>::zeros(1);
}

#[test]
fn bias_input_models_append_a_constant_and_round_trip() {
    use spikeport_data::Dataset;
    let m = model(true);
    let folded = m.with_bias_input().expect("fold");
    assert!(folded.header.bias_input && !folded.header.bias);
    assert_eq!(folded.header.sizes, vec![7, 5, 3]);
    // a 2x3 "image" set: Scale preprocessing keeps 6 pixels, the bias input adds one
    let images = Array2::from_shape_fn((4, 6), |(i, j)| (i * 40 + j * 30) as u8);
    let data = Dataset::new(images, vec![0, 1, 2, 0], 2, 3).expect("data");
    let x = m.features(&data).expect("x");
    let xf = folded.features(&data).expect("xf");
    assert_eq!(xf.ncols(), 7);
    assert!(xf.column(6).iter().all(|&v| v == 1.0));
    let a = m.network.forward(x.view()).expect("a");
    let b = folded.network.forward(xf.view()).expect("b");
    assert!(a.iter().zip(b.iter()).all(|(p, q)| (p - q).abs() < 1e-5));
    // saved and loaded with the flag
    let dir = tempfile::tempdir().expect("tmp");
    folded.save(&dir.path().join("f")).expect("save");
    let json = std::fs::read_to_string(dir.path().join("f.json")).expect("json");
    assert!(json.contains("\"bias_input\": true"));
    assert_eq!(Model::load(&dir.path().join("f")).expect("load"), folded);
    // the flag is not written for ordinary models
    m.save(&dir.path().join("plain")).expect("save");
    assert!(!std::fs::read_to_string(dir.path().join("plain.json")).expect("json").contains("bias_input"));
    // folding twice is a no-op; a bias input with biases cannot take a second one
    assert_eq!(folded.with_bias_input().expect("again"), folded);
    let mut both = m.clone();
    both.header.bias_input = true;
    assert!(matches!(both.with_bias_input(), Err(AnnError::InvalidConfig { name: "bias_input", .. })));
}
