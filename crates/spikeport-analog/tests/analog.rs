//! The analog platform models: configuration checks, mismatch statistics, size limits,
//! quantisation, determinism, agreement of an ideal chip with `Fast`, and real MNIST.

#![allow(clippy::unwrap_used)]

use ndarray::{array, Array2};
use spikeport_analog::*;
use spikeport_snn::{Backend, BackendError, Encoder, IfCondExpParams, Recording, SnnNetwork};

/// Deterministic numbers in [0, 1) (SplitMix64).
fn uniform(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

fn images(n: usize, pixels: usize, seed: u64) -> Array2<f32> {
    let mut s = seed;
    Array2::from_shape_fn((n, pixels), |_| if uniform(&mut s) < 0.4 { uniform(&mut s) as f32 } else { 0.0 })
}

/// A non-negative chain with weights on Spikey's excitatory grid (multiples of 0.001 µS).
fn grid_chain(sizes: &[usize], seed: u64) -> SnnNetwork {
    let lif = spikey_neuron().into_model().unwrap();
    let mut s = seed;
    let layers: Vec<(spikeport_snn::NeuronModel, Array2<f64>)> = sizes
        .windows(2)
        .map(|w| {
            (lif, Array2::from_shape_fn((w[0], w[1]), |_| (uniform(&mut s) * 16.0).floor().min(15.0) * 0.001))
        })
        .collect();
    SnnNetwork::feed_forward(sizes[0], layers, 1.0).unwrap()
}

#[test]
fn presets_are_valid_and_bad_settings_are_errors() {
    for m in [Mismatch::calibrated(), Mismatch::uncalibrated(), Mismatch::ideal()] {
        m.check().unwrap();
    }
    Profile::spikey().check().unwrap();
    Profile::brainscales().check().unwrap();
    let mut m = Mismatch::calibrated();
    m.tau_m = f64::NAN;
    assert!(matches!(
        Analog::spikey().with_mismatch(m),
        Err(AnalogError::InvalidSpread { name: "tau_m", .. })
    ));
    m.tau_m = -0.1;
    assert!(Analog::spikey().with_mismatch(m).is_err());
    let n = Noise { membrane_mv: -1.0, weight_jitter: 0.0 };
    assert!(matches!(
        Analog::spikey().with_noise(n),
        Err(AnalogError::InvalidSpread { name: "membrane_mv", .. })
    ));
    let mut p = Profile::brainscales();
    p.synapse_loss = 1.5;
    assert!(matches!(
        Analog::new(p, Mismatch::ideal(), Noise::none()),
        Err(AnalogError::InvalidProfile { .. })
    ));
}

#[test]
fn a_drawn_chip_has_the_configured_spreads_and_one_seed_is_one_chip() {
    // 3000 neurons on BrainScaleS-1 (fan-in 1): sample SDs within 10 % of the configured
    let n = 3000;
    let lif = brainscales_neuron().into_model().unwrap();
    let w = Array2::from_elem((1, n), 0.01);
    let net = SnnNetwork::feed_forward(1, vec![(lif, w)], 1.0).unwrap();
    let bss = Analog::brainscales().with_mismatch(Mismatch::uncalibrated()).unwrap();
    let chip = bss.deploy(&net, 11).unwrap();
    let m = Mismatch::uncalibrated();
    let nominal = brainscales_neuron().check().unwrap();
    let rel_sd = |f: &dyn Fn(&NeuronParams) -> f64, x0: f64| {
        let xs: Vec<f64> = (0..n).map(|j| f(chip.neuron(1, j).unwrap())).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (mean, var.sqrt() / x0.abs())
    };
    for (name, f, x0, sd) in [
        ("tau_m", &(|p: &NeuronParams| p.tau_m) as &dyn Fn(&NeuronParams) -> f64, nominal.tau_m(), m.tau_m),
        ("v_rest", &|p: &NeuronParams| p.v_rest, nominal.v_rest(), m.v_rest),
        ("v_reset", &|p: &NeuronParams| p.v_reset, nominal.v_reset(), m.v_reset),
        ("e_rev_I", &|p: &NeuronParams| p.e_rev_i, nominal.e_rev_i(), m.e_rev_i),
        ("tau_syn_E", &|p: &NeuronParams| p.tau_syn_e, nominal.tau_syn_e(), m.tau_syn),
    ] {
        let (mean, got) = rel_sd(f, x0);
        assert!((got - sd).abs() <= 0.1 * sd, "{name}: relative SD {got} vs configured {sd}");
        assert!((mean - x0).abs() <= 4.0 * sd * x0.abs() / (n as f64).sqrt(), "{name}: mean {mean} vs {x0}");
    }
    // synapse gains
    let g = chip.gains(0).unwrap();
    let mean = g.mean().unwrap();
    let sd = (g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    assert!((sd - m.weight_gain).abs() <= 0.1 * m.weight_gain, "gain SD {sd}");
    // the same seed gives the same chip, another seed another one
    let again = bss.deploy(&net, 11).unwrap();
    let other = bss.deploy(&net, 12).unwrap();
    assert_eq!(chip, again);
    assert_ne!(chip.neuron(1, 0), other.neuron(1, 0));
    // an ideal chip is the nominal neuron
    let ideal = Analog::brainscales().with_mismatch(Mismatch::ideal()).unwrap().deploy(&net, 11).unwrap();
    assert_eq!(*ideal.neuron(1, 5).unwrap(), NeuronParams::nominal(&nominal));
}

#[test]
fn networks_that_do_not_fit_are_typed_errors() {
    let spikey = Analog::spikey();
    // 193 neurons: more than one block
    let err = spikey.deploy(&grid_chain(&[10, 193], 1), 0).unwrap_err();
    assert!(
        matches!(&err, BackendError::DoesNotFit { needed: 193, available: 192, what } if what.contains("block")),
        "{err}"
    );
    // 300 source neurons need 300 synapse drivers
    let err = spikey.deploy(&grid_chain(&[300, 10], 2), 0).unwrap_err();
    assert!(matches!(&err, BackendError::DoesNotFit { needed: 300, available: 256, .. }), "{err}");
    // mixed signs out of one population
    let lif = spikey_neuron().into_model().unwrap();
    let net = SnnNetwork::feed_forward(2, vec![(lif, array![[0.01, -0.01], [0.01, 0.0]])], 1.0).unwrap();
    let err = spikey.deploy(&net, 0).unwrap_err();
    assert!(matches!(&err, BackendError::Unsupported { what, .. } if what.contains("one sign")), "{err}");
    // BrainScaleS: fan-in over 1792 and more neurons than the wafer
    let bss = Analog::brainscales();
    let lif = brainscales_neuron().into_model().unwrap();
    let net = SnnNetwork::feed_forward(1800, vec![(lif, Array2::from_elem((1800, 2), 0.01))], 1.0).unwrap();
    let err = bss.deploy(&net, 0).unwrap_err();
    assert!(matches!(&err, BackendError::DoesNotFit { needed: 1800, available: 1792, .. }), "{err}");
    let net = SnnNetwork::feed_forward(1, vec![(lif, Array2::from_elem((1, 25_000), 0.01))], 1.0).unwrap();
    let err = bss.deploy(&net, 0).unwrap_err();
    assert!(matches!(&err, BackendError::DoesNotFit { needed: 25_000, available: 24_576, .. }), "{err}");
    // the helper reports the needs before deploying
    let r = spikey.requirements(&grid_chain(&[81, 100, 10], 3)).unwrap();
    assert_eq!((r.neurons, r.synapse_drivers, r.chips), (110, 181, 1));
    // other neuron models are unsupported
    let curr = spikeport_snn::IfCurrExpParams::new().into_model().unwrap();
    let net = SnnNetwork::feed_forward(2, vec![(curr, Array2::from_elem((2, 2), 0.1))], 1.0).unwrap();
    assert!(matches!(spikey.deploy(&net, 0), Err(BackendError::Unsupported { .. })));
}

#[test]
fn weights_are_quantised_to_4_bits() {
    let grid = WeightGrid::Fixed { exc_step_us: 0.001, inh_step_us: 0.004 };
    let q = quantise(array![[0.0034, -0.0061, 0.02], [0.00049, -0.1, 0.0]].view(), grid);
    assert_eq!(q.levels, array![[3, -2, 15], [0, -15, 0]]);
    assert_eq!(q.clipped, 2);
    let w = q.weights();
    assert!((w[(0, 0)] - 0.003).abs() < 1e-15 && (w[(0, 1)] + 0.008).abs() < 1e-15);
    // per row: the row's largest |w| is level 15
    let q = quantise(array![[0.3, 0.1, -0.15], [0.0, 0.0, 0.0]].view(), WeightGrid::PerRow);
    assert_eq!(q.levels.row(0).to_vec(), vec![15, 5, -8]);
    assert_eq!(q.clipped, 0);
    assert!((q.weights()[(0, 1)] - 0.1).abs() < 1e-12);
}

#[test]
fn an_ideal_chip_matches_fast_at_the_same_step() {
    // weights on the grid, no mismatch, no noise: the analog engine (f64, per neuron) and
    // Fast (f32, same held-conductance step) see the same network
    let net = grid_chain(&[30, 20, 5], 4);
    let input = Encoder::regular(50.0, 100.0, 20.0).unwrap().encode(images(8, 30, 5).view()).unwrap();
    let ideal = Analog::new(Profile::spikey(), Mismatch::ideal(), Noise::none()).unwrap();
    let mut dep = ideal.deploy(&net, 0).unwrap();
    let a = ideal.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    let fast = spikeport_cpu::Fast::new(0.1).unwrap();
    let mut fdep = fast.deploy(&net, 0).unwrap();
    let f = fast.run(&mut fdep, &input, &Recording::counts_only()).unwrap();
    assert_eq!(a.counts[0], f.counts[0], "same input spikes");
    for p in 1..3 {
        let (sa, sf) = (a.counts[p].sum() as f64, f.counts[p].sum() as f64);
        assert!(sf > 10.0, "layer {p} is active");
        let max_diff = a.counts[p].iter().zip(f.counts[p].iter()).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
        assert!(max_diff <= 1, "layer {p}: counts differ by up to {max_diff} ({sa} vs {sf})");
    }
    assert_eq!(a.activity.bio_time_ms, 8.0 * 120.0);
    assert!((a.activity.hardware_time_s - 8.0 * 120.0e-3 / 1e4).abs() < 1e-15);
}

#[test]
fn runs_are_reproducible_per_seed_and_thread_count_and_noise_varies_between_runs() {
    let net = grid_chain(&[30, 20, 5], 6);
    let input = Encoder::regular(50.0, 100.0, 20.0).unwrap().encode(images(12, 30, 7).view()).unwrap();
    let spikey = Analog::spikey();
    let rec = Recording::counts_only().with_checkpoints(50.0);
    let run_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut dep = spikey.deploy(&net, 21).unwrap();
            let first = spikey.run(&mut dep, &input, &rec).unwrap();
            let second = spikey.run(&mut dep, &input, &rec).unwrap();
            (first.counts, first.checkpoints, second.counts)
        })
    };
    let (a1, c1, a2) = run_on(1);
    let (b1, d1, b2) = run_on(2);
    assert_eq!(a1, b1);
    assert_eq!(c1, d1);
    assert_eq!(a2, b2);
    assert_ne!(a1, a2, "trial-to-trial noise: a second run differs");
    // checkpoints at 50 and 100 ms count a growing share of the final counts (window end 110 ms)
    let cp = c1.unwrap();
    assert_eq!(cp.times_ms, vec![50.0, 100.0]);
    assert!(cp.counts[0].iter().zip(cp.counts[1].iter()).all(|(a, b)| a <= b));
    assert!(cp.counts[1].iter().zip(a1[2].iter()).all(|(a, b)| a <= b));
    assert!(cp.counts[1].sum() > cp.counts[0].sum());
}

#[test]
fn weight_updates_requantise_on_the_same_chip() {
    let net = grid_chain(&[10, 6, 3], 8);
    let spikey = Analog::spikey();
    let mut dep = spikey.deploy(&net, 3).unwrap();
    let before = *dep.neuron(1, 2).unwrap();
    let w = Array2::from_elem((6, 3), 0.0072);
    spikey.update_weights(&mut dep, 1, w.view()).unwrap();
    assert_eq!(dep.quantised(1).unwrap().levels, Array2::from_elem((6, 3), 7));
    assert_eq!(*dep.neuron(1, 2).unwrap(), before, "same chip");
    // a mixed-sign update is refused and leaves the deployment as it was
    let bad = array![[0.01, -0.01, 0.0], [0.0; 3], [0.0; 3], [0.0; 3], [0.0; 3], [0.0; 3]];
    assert!(spikey.update_weights(&mut dep, 1, bad.view()).is_err());
    assert_eq!(dep.quantised(1).unwrap().levels, Array2::from_elem((6, 3), 7));
    assert!(matches!(spikey.update_weights(&mut dep, 5, w.view()), Err(BackendError::InvalidNetwork(_))));
}

#[test]
fn spikey_net_on_real_mnist_loses_accuracy_on_the_analog_models() {
    let model = spikeport_ann::load_zoo("spikey-net").unwrap();
    let test = spikeport_data::Mnist::load_test().unwrap().take(200).unwrap();
    let x = model.features(&test).unwrap();
    let labels = test.labels();
    let ann = model.network.predict(x.view()).unwrap();
    let ann_acc = ann.iter().zip(labels).filter(|(p, &l)| **p == usize::from(l)).count() as f64 / 2.0;
    for (backend, neuron, encoder, max_weight) in [
        (Analog::spikey(), spikey_neuron(), spikey_encoder(), 0.015),
        (Analog::brainscales(), brainscales_neuron(), brainscales_encoder(), 0.015),
    ] {
        let lif = neuron.into_model().unwrap();
        let net = spikeport_convert::convert_global(&model.network, &lif, max_weight, 1.0).unwrap();
        let mut dep = backend.deploy(&net, 1).unwrap();
        let input = encoder.encode(x.view()).unwrap();
        let out = backend.run(&mut dep, &input, &Recording::counts_only()).unwrap();
        let acc = 100.0 * out.accuracy(labels).unwrap();
        println!("{}: {acc:.1} % (ANN {ann_acc:.1} %)", backend.profile().name);
        assert!(acc > 50.0, "{}: {acc} %", backend.profile().name);
        assert!(acc <= ann_acc + 2.0, "{}: {acc} % vs ANN {ann_acc} %", backend.profile().name);
    }
    let _ = IfCondExpParams::paper_brainscales();
}
