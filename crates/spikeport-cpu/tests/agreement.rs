//! Fast against Reference on a real converted network: the zoo's NAS63 (784×43×10×10)
//! in the paper's digital setting (IF_cond_exp, regular trains at 120 Hz, 500 ms + 50 ms,
//! global conversion with max_weight 0.015 µS), on the first 200 MNIST test images.
//!
//! At dt = 1 ms the two backends integrate the same ODE differently: Fast holds each
//! step's conductance at its start value (GeNN's exact constant-input step, a first-order
//! error of about 16 % of the synaptic drive at dt / tau_syn = 1/3), Reference integrates
//! it accurately. The network's own sensitivity bounds what agreement is possible: on the
//! full test set Reference at 1 ms and at 0.1 ms give the same class for only 97.0 % of
//! the images. Measured on all 10,000 test images (`cargo run --release -p spikeport-cpu
//! --example cpu_throughput -- --network nas63 --images 10000 --run fast,ref1,fast01,ref`):
//!
//! | pair | same class | accuracy |
//! |---|---|---|
//! | Fast 1 ms vs Reference 1 ms | 95.3 % | 93.19 % vs 93.63 % |
//! | Fast 0.1 ms vs Reference 0.1 ms | 98.7 % | 93.93 % vs 93.60 % |
//! | Reference 1 ms vs Reference 0.1 ms | 97.0 % | 93.63 % vs 93.60 % |
//!
//! The thresholds below are set from these figures (the first 200 images give 96.5 % and
//! 99.5 %).

#![allow(clippy::unwrap_used)]

use spikeport_cpu::{Fast, Reference};
use spikeport_snn::{Backend, Encoder, IfCondExpParams, Recording, RunOutput, SnnNetwork, SpikeInput};

/// Images compared.
const IMAGES: usize = 200;
/// Least fraction of images with the same prediction (a tie counts as a prediction of
/// its own), dt = 1 ms.
const AGREEMENT_1MS: f64 = 0.95;
/// Largest accuracy difference, percentage points, dt = 1 ms.
const ACCURACY_PP_1MS: f64 = 2.0;
/// Least agreement, dt = 0.1 ms.
const AGREEMENT_01MS: f64 = 0.98;
/// Largest accuracy difference, percentage points, dt = 0.1 ms.
const ACCURACY_PP_01MS: f64 = 1.0;

fn setup() -> (SnnNetwork, SpikeInput, Vec<u8>) {
    let model = spikeport_ann::load_zoo("nas63").unwrap();
    let test = spikeport_data::Mnist::load_test().unwrap().take(IMAGES).unwrap();
    let x = model.features(&test).unwrap();
    let lif = IfCondExpParams::paper_digital().into_model().unwrap();
    let net = spikeport_convert::convert_global(&model.network, &lif, 0.015, 1.0).unwrap();
    let input = Encoder::paper_digital().encode(x.view()).unwrap();
    (net, input, test.labels().to_vec())
}

fn run<B: Backend>(b: &B, net: &SnnNetwork, input: &SpikeInput) -> RunOutput {
    let mut dep = b.deploy(net, 0).unwrap();
    b.run(&mut dep, input, &Recording::counts_only()).unwrap()
}

fn compare(
    fast: &RunOutput,
    reference: &RunOutput,
    labels: &[u8],
    agreement: f64,
    accuracy_pp: f64,
    dt: f64,
) {
    let (pf, pr) = (fast.predictions(), reference.predictions());
    let same = pf.iter().zip(&pr).filter(|(a, b)| a == b).count() as f64 / IMAGES as f64;
    let acc_f = 100.0 * fast.accuracy(labels).unwrap();
    let acc_r = 100.0 * reference.accuracy(labels).unwrap();
    println!(
        "dt {dt} ms: same class {:.1} %, accuracy Fast {acc_f:.1} % Reference {acc_r:.1} %, spikes/image Fast {:?} Reference {:?}",
        100.0 * same,
        fast.activity.spikes_per_image(),
        reference.activity.spikes_per_image()
    );
    assert!(acc_r > 85.0, "the converted network works: {acc_r} %");
    assert!(same >= agreement, "same class on {same} of the images < {agreement}");
    assert!((acc_f - acc_r).abs() <= accuracy_pp, "accuracy {acc_f} % vs {acc_r} %");
}

#[test]
fn fast_agrees_with_reference_at_1ms() {
    let (net, input, labels) = setup();
    let fast = run(&Fast::default(), &net, &input);
    let reference = run(&Reference::new(1.0).unwrap(), &net, &input);
    compare(&fast, &reference, &labels, AGREEMENT_1MS, ACCURACY_PP_1MS, 1.0);
    // same input spikes on both
    assert_eq!(fast.counts[0], reference.counts[0]);
}

#[test]
fn fast_agrees_with_reference_at_01ms() {
    let (net, input, labels) = setup();
    let fast = run(&Fast::new(0.1).unwrap(), &net, &input);
    let reference = run(&Reference::default(), &net, &input);
    compare(&fast, &reference, &labels, AGREEMENT_01MS, ACCURACY_PP_01MS, 0.1);
}
