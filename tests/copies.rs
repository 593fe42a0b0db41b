//! Network copies are independent on every platform: placing k copies side by side changes
//! the run's span, the units used and the counters, never an image's result.
//!
//! * Under `Reset` every image gives the same counts whatever the number of copies.
//! * Under `Continuous` (the paper's back-to-back presentation) a run of k copies gives,
//!   image for image, what each copy's share gives when run alone on one copy.
//! * On an analog chip every copy sits on other circuits (its own mismatch draw); the first
//!   copy is the chip's own, so its images match a one-copy deployment.

use ndarray::{s, Array2};
use spikeport::analog::{Analog, Mismatch, Noise, Profile};
use spikeport::cpu::{Fast, Reference};
use spikeport::data::Mnist;
use spikeport::snn::{
    DynBackend, Encoder, IfCondExpParams, ImageBoundary, Placement, Recording, RunOutput, SnnNetwork,
};
use spikeport::spinnaker::Spinnaker;

fn nas63(neuron: &spikeport::snn::NeuronModel, max_weight: f64) -> (SnnNetwork, Array2<f32>) {
    let model = spikeport::ann::load_zoo("nas63").expect("zoo");
    let test = Mnist::load_test().expect("mnist").take(12).expect("take");
    let x = model.features(&test).expect("features");
    (spikeport::convert::convert_global(&model.network, neuron, max_weight, 1.0).expect("convert").network, x)
}

fn run(b: &dyn DynBackend, net: &SnnNetwork, copies: usize, input: &spikeport::snn::SpikeInput) -> RunOutput {
    let mut session = b.session(net, Placement::from(3).with_copies(copies)).expect("deploy");
    session.run(input, &Recording::counts_only().with_checkpoints(100.0)).expect("run")
}

fn digital() -> Vec<Box<dyn DynBackend>> {
    vec![
        Box::new(Fast::new(1.0).expect("fast")),
        Box::new(Reference::new(1.0).expect("reference")),
        Box::new(Spinnaker::spinn5()),
    ]
}

#[test]
fn under_reset_an_image_gives_the_same_counts_on_any_number_of_copies() {
    let lif = IfCondExpParams::paper_digital().into_model().expect("lif");
    let (net, x) = nas63(&lif, 0.02);
    let input = Encoder::paper_digital().encode(x.view()).expect("encode");
    for b in digital() {
        let one = run(b.as_ref(), &net, 1, &input);
        for k in [2, 5, 12] {
            let many = run(b.as_ref(), &net, k, &input);
            assert_eq!(many.counts, one.counts, "{} with {k} copies", b.platform().name);
            assert_eq!(many.checkpoints, one.checkpoints, "{}", b.platform().name);
            assert_eq!(many.activity.spikes, one.activity.spikes);
            // the copies run side by side: the run spans one copy's share
            let per_copy = 12usize.div_ceil(k) as f64;
            assert_eq!(many.activity.run_bio_ms, per_copy * 550.0, "{}", b.platform().name);
        }
    }
}

#[test]
fn under_continuous_presentation_k_copies_are_k_independent_chains() {
    let lif = IfCondExpParams::paper_digital().into_model().expect("lif");
    let (net, x) = nas63(&lif, 0.02);
    let enc = Encoder::paper_digital().with_boundary(ImageBoundary::Continuous);
    let input = enc.encode(x.view()).expect("encode");
    for b in digital() {
        let name = &b.platform().name;
        let three = run(b.as_ref(), &net, 3, &input);
        for c in 0..3 {
            let share = enc.encode(x.slice(s![4 * c..4 * (c + 1), ..])).expect("encode");
            let alone = run(b.as_ref(), &net, 1, &share);
            for (p, (all, part)) in three.counts.iter().zip(&alone.counts).enumerate() {
                assert_eq!(all.slice(s![4 * c..4 * (c + 1), ..]), part, "{name}: copy {c}, population {p}");
            }
        }
        // one copy runs all twelve images back to back; three copies a third each
        let one = run(b.as_ref(), &net, 1, &input);
        assert_eq!(one.activity.run_bio_ms, 12.0 * 550.0);
        assert_eq!(three.activity.run_bio_ms, 4.0 * 550.0);
    }
}

#[test]
fn analog_copies_sit_on_their_own_circuits() {
    let lif = spikeport::analog::brainscales_neuron().into_model().expect("lif");
    let (net, x) = nas63(&lif, 0.07);
    let enc = spikeport::analog::brainscales_encoder();
    let input = enc.encode(x.view()).expect("encode");
    // an ideal chip: every copy is the same circuit, any number of copies gives the same counts
    let ideal = Analog::new(Profile::brainscales(), Mismatch::ideal(), Noise::none()).expect("ideal");
    let one = run(&ideal, &net, 1, &input);
    assert_eq!(run(&ideal, &net, 4, &input).counts, one.counts);
    // a calibrated chip with noise: the first copy is the one-copy chip, the others differ
    let chip = Analog::brainscales();
    let one = run(&chip, &net, 1, &input);
    let two = run(&chip, &net, 2, &input);
    let last = one.counts.len() - 1;
    assert_eq!(
        two.counts[last].slice(s![..6, ..]),
        one.counts[last].slice(s![..6, ..]),
        "copy 0 is the chip's own"
    );
    assert_ne!(
        two.counts[1].slice(s![6.., ..]),
        one.counts[1].slice(s![6.., ..]),
        "copy 1 has its own mismatch"
    );
    // the chip's resources grow with the copies
    let mapping = |k| chip.fit_copies(&net, k).expect("fits");
    let hicanns = |k| mapping(k).units_of(spikeport::snn::UnitKind::Hicann);
    assert_eq!(hicanns(2), 2 * hicanns(1));
}

#[test]
fn spikey_holds_one_copy_of_spikey_net_per_block() {
    let model = spikeport::ann::load_zoo("spikey-net").expect("zoo");
    let lif = spikeport::analog::spikey_neuron().into_model().expect("lif");
    let net = spikeport::convert::convert_global(&model.network, &lif, 0.02, 1.0).expect("convert").network;
    let fit = Analog::spikey().max_copies_fit(&net, 100).expect("one copy fits");
    assert_eq!(fit.copies, 2);
    let why = fit.binding.expect("a binding constraint").to_string();
    assert!(why.contains("Spikey block") && why.contains("3 network copies"), "{why}");
}
