//! Fast against Reference on a real converted network: the zoo's NAS63 (784×43×10×10)
//! in the paper's digital setting (IF_cond_exp, regular trains at 120 Hz, 500 ms + 50 ms,
//! global conversion with max_weight 0.015 µS), on the first 200 MNIST test images.
//!
//! At dt = 1 ms the two backends integrate the same ODE differently: Fast holds each
//! step's conductances at their exact mean over the step and moves V on the exact
//! solution for them (`CondExpStep::HeldConductance`), Reference integrates the decaying
//! conductances accurately (adaptive Dormand–Prince); both put spikes on the same grid.
//! GeNN's own update (`CondExpStep::GennHeldCurrent`) holds the synaptic *current* at its
//! step-start value instead, a first-order error of about 16 % of the synaptic drive at
//! dt / tau_syn = 1/3, which makes layers fire faster. Measured on all 10,000 test images
//! (`cargo run --release -p spikeport-cpu --example cpu_throughput -- --network nas63
//! --images 10000 --max-weight 0.015 --run fast,fastgenn,ref1,ref`, nas63 retrained
//! 2026-11-28):
//!
//! | pair | same class | accuracy |
//! |---|---|---|
//! | Fast 1 ms vs Reference 1 ms | 99.36 % | 95.62 % vs 95.57 % |
//! | Fast with GeNN's step, 1 ms vs Reference 1 ms | 98.20 % | 96.18 % vs 95.57 % |
//! | Reference 1 ms vs Reference 0.1 ms | 98.22 % | 95.57 % vs 95.88 % |
//!
//! The thresholds below are the targets (≥ 99 %, ≤ 0.2 pp) with room for the
//! smaller sample: 500 images, where one image is 0.2 pp. At dt = 0.1 ms the first 500
//! images all get the same class.

#![allow(clippy::unwrap_used)]

use spikeport_cpu::{CondExpStep, Fast, Reference};
use spikeport_snn::{Backend, Encoder, IfCondExpParams, Recording, RunOutput, SnnNetwork, SpikeInput};

/// Images compared.
const IMAGES: usize = 500;
/// Least fraction of images with the same prediction (a tie counts as a prediction of
/// its own), dt = 1 ms.
const AGREEMENT_1MS: f64 = 0.99;
/// Largest accuracy difference, percentage points, dt = 1 ms (three images of 500: the
/// first 500 images differ by two, 96.8 % vs 97.2 %; all 10,000 by 0.05 pp).
const ACCURACY_PP_1MS: f64 = 0.6;
/// Least agreement, dt = 0.1 ms.
const AGREEMENT_01MS: f64 = 0.995;
/// Largest accuracy difference, percentage points, dt = 0.1 ms.
const ACCURACY_PP_01MS: f64 = 0.2;

fn setup() -> (SnnNetwork, SpikeInput, Vec<u8>) {
    let model = spikeport_ann::load_zoo("nas63").unwrap();
    let test = spikeport_data::Mnist::load_test().unwrap().take(IMAGES).unwrap();
    let x = model.features(&test).unwrap();
    let lif = IfCondExpParams::paper_digital().into_model().unwrap();
    let net = spikeport_convert::convert_global(&model.network, &lif, 0.015, 1.0).unwrap().network;
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
    let acc_f = fast.accuracy_pct(labels).unwrap();
    let acc_r = reference.accuracy_pct(labels).unwrap();
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
    // GeNN's held-current step fires measurably faster in the hidden layer
    let genn = run(&Fast::default().with_cond_exp_step(CondExpStep::GennHeldCurrent), &net, &input);
    let (h_fast, h_genn) = (fast.activity.spikes_per_image()[1], genn.activity.spikes_per_image()[1]);
    let h_ref = reference.activity.spikes_per_image()[1];
    assert!((h_fast - h_ref).abs() < 0.02 * h_ref, "hidden spikes {h_fast} vs {h_ref}");
    assert!(h_genn > 1.15 * h_ref, "GeNN's step: hidden spikes {h_genn} vs {h_ref}");
}

#[test]
fn fast_agrees_with_reference_at_01ms() {
    let (net, input, labels) = setup();
    let fast = run(&Fast::new(0.1).unwrap(), &net, &input);
    let reference = run(&Reference::default(), &net, &input);
    compare(&fast, &reference, &labels, AGREEMENT_01MS, ACCURACY_PP_01MS, 0.1);
}
