//! The analog platform models: configuration checks, mismatch statistics, size limits,
//! quantisation, determinism, weight updates, time and overhead reporting, losses,
//! agreement of an ideal chip with `Fast`, and real MNIST. The conformance suite (a single
//! neuron against a high-precision solution, layer timing, the readout window, …) runs
//! from `tests/conformance.rs`.

#![allow(clippy::unwrap_used)]

use ndarray::{array, Array2};
use spikeport_analog::*;
use spikeport_snn::{
    Backend, BackendError, Counter, Deployed, Encoder, IfCondExpParams, NeuronSelection, Population,
    Projection, Recording, SnnNetwork, SpikeInput, UnitKind,
};

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

/// A dense non-negative Spikey chain, every weight 0.005 µS.
fn dense_chain(sizes: &[usize]) -> SnnNetwork {
    let lif = spikey_neuron().into_model().unwrap();
    let layers: Vec<_> = sizes.windows(2).map(|w| (lif, Array2::from_elem((w[0], w[1]), 0.005))).collect();
    SnnNetwork::feed_forward(sizes[0], layers, 1.0).unwrap()
}

/// BrainScaleS without mismatch or noise: per-row weight scaling keeps any weight exact
/// when it is the largest of its row.
fn ideal_brainscales() -> Analog {
    Analog::with_parts(Profile::brainscales(), Variability::ideal()).unwrap()
}

fn run<B: Backend>(b: &B, net: &SnnNetwork, input: &SpikeInput, rec: &Recording) -> spikeport_snn::RunOutput {
    let mut dep = b.deploy(net, 0).unwrap();
    b.run(&mut dep, input, rec).unwrap()
}

#[test]
fn presets_are_valid_and_bad_settings_are_errors() {
    for v in [Variability::calibrated(), Variability::uncalibrated(), Variability::ideal()] {
        v.check().unwrap();
        Platform::Spikey.backend(v).unwrap();
        Platform::BrainScaleS.backend(v).unwrap();
    }
    assert_eq!(Variability::default(), Variability::calibrated());
    assert_eq!(Analog::spikey().variability(), &Variability::calibrated());
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
    assert!(matches!(
        Profile::brainscales().with_losses(1.5, 0.0),
        Err(AnalogError::InvalidLossRate { name: "synapse_loss", .. })
    ));
    assert!(matches!(
        Profile::brainscales().with_losses(0.0, f64::NAN),
        Err(AnalogError::InvalidLossRate { name: "input_spike_loss", .. })
    ));
    assert!(matches!(Profile::spikey().with_circuits_per_neuron(4), Err(AnalogError::InvalidProfile { .. })));
    assert!(Profile::brainscales().with_circuits_per_neuron(0).is_err());
    assert!(Profile::brainscales().with_circuits_per_neuron(513).is_err());
    let mut p = Profile::spikey();
    p.step_ms = 0.0;
    assert!(matches!(
        Analog::new(p, Mismatch::ideal(), Noise::none()),
        Err(AnalogError::InvalidProfile { .. })
    ));
    // the paper's settings
    let enc = Platform::BrainScaleS.paper_encoder();
    assert_eq!((enc.duration_ms(), enc.pause_ms()), (900.0, 50.0));
    let spikey = Platform::Spikey.paper_neuron().check().unwrap();
    assert_eq!((spikey.v_reset(), spikey.v_thresh(), spikey.tau_syn_e()), (-80.0, -55.0, 5.0));
}

#[test]
fn a_drawn_chip_has_the_configured_spreads_and_one_seed_is_one_chip() {
    // 3000 neurons on BrainScaleS-1 (fan-in 1): sample SDs within 10 % of the configured
    let n = 3000;
    let lif = brainscales_neuron().into_model().unwrap();
    let w = Array2::from_elem((1, n), 0.01);
    let net = SnnNetwork::feed_forward(1, vec![(lif, w)], 1.0).unwrap();
    for m in [Mismatch::calibrated(), Mismatch::uncalibrated()] {
        let bss = Analog::brainscales().with_mismatch(m).unwrap();
        let chip = bss.deploy(&net, 11).unwrap();
        let nominal = brainscales_neuron().check().unwrap();
        let stats = |f: &dyn Fn(&NeuronParams) -> f64, x0: f64| {
            let xs: Vec<f64> = (0..n).map(|j| f(chip.neuron(1, j).unwrap())).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            (mean, var.sqrt() / x0.abs())
        };
        type Get = fn(&NeuronParams) -> f64;
        let table: [(&str, Get, f64, f64); 8] = [
            ("tau_m", |p| p.tau_m, nominal.tau_m(), m.tau_m),
            ("v_rest", |p| p.v_rest, nominal.v_rest(), m.v_rest),
            ("v_reset", |p| p.v_reset, nominal.v_reset(), m.v_reset),
            ("v_thresh", |p| p.v_thresh, nominal.v_thresh(), m.v_thresh),
            ("e_rev_I", |p| p.e_rev_i, nominal.e_rev_i(), m.e_rev_i),
            ("tau_syn_E", |p| p.tau_syn_e, nominal.tau_syn_e(), m.tau_syn),
            ("tau_syn_I", |p| p.tau_syn_i, nominal.tau_syn_i(), m.tau_syn),
            ("tau_refrac", |p| p.tau_refrac, nominal.tau_refrac(), m.tau_refrac),
        ];
        for (name, f, x0, sd) in table {
            let (mean, got) = stats(&f, x0);
            assert!((got - sd).abs() <= 0.1 * sd, "{name}: relative SD {got} vs configured {sd}");
            assert!(
                (mean - x0).abs() <= 4.0 * sd * x0.abs() / (n as f64).sqrt(),
                "{name}: mean {mean} vs {x0}"
            );
        }
        // e_rev_E = 0 mV spreads by σ · 10 mV
        let (mean, sd10) = stats(&|p| p.e_rev_e, 10.0);
        assert!((sd10 - m.e_rev_e).abs() <= 0.1 * m.e_rev_e && mean.abs() < 4.0 * m.e_rev_e * 10.0 / 50.0);
        // synapse gains
        let g = chip.gains(0).unwrap();
        let mean = g.mean().unwrap();
        let sd = (g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        assert!((sd - m.weight_gain).abs() <= 0.1 * m.weight_gain, "gain SD {sd}");
        assert!((mean - 1.0).abs() < 4.0 * m.weight_gain / (n as f64).sqrt());
        // the same seed gives the same chip, another seed another one
        assert_eq!(chip, bss.deploy(&net, 11).unwrap());
        let other = bss.deploy(&net, 12).unwrap();
        assert!((0..n).filter(|&j| chip.neuron(1, j) != other.neuron(1, j)).count() == n);
    }
    // an ideal chip is the nominal neuron
    let ideal = ideal_brainscales().deploy(&net, 11).unwrap();
    assert_eq!(*ideal.neuron(1, 5).unwrap(), NeuronParams::nominal(&brainscales_neuron().check().unwrap()));
    assert!(ideal.gains(0).unwrap().iter().all(|&g| g == 1.0));
}

#[test]
fn spikey_networks_that_do_not_fit_are_typed_errors() {
    let spikey = Analog::spikey();
    let lif = spikey_neuron().into_model().unwrap();
    // 385 neurons: more than the chip
    let err = spikey.deploy(&grid_chain(&[10, 385], 1), 0).unwrap_err();
    assert!(matches!(&err, BackendError::DoesNotFit { needed: 385, available: 384, .. }), "{err}");
    // one unconnected population of 300 is split over both blocks
    let r = spikey.requirements(&grid_chain(&[10, 300], 1)).unwrap();
    assert_eq!((r.block_neurons.clone(), r.block_drivers.clone()), (vec![192, 108], vec![10, 10]));
    // connected populations of 150 + 50 must share one block of 192
    let err = spikey.deploy(&grid_chain(&[10, 150, 50], 1), 0).unwrap_err();
    assert!(
        matches!(&err, BackendError::DoesNotFit { needed: 200, available: 192, what } if what.contains("share a block")),
        "{err}"
    );
    // fan-in 300 > 256 synapse drivers
    let err = spikey.deploy(&dense_chain(&[300, 10]), 0).unwrap_err();
    assert!(
        matches!(&err, BackendError::DoesNotFit { needed: 300, available: 256, what } if what.contains("fan-in")),
        "{err}"
    );
    // fan-in 200, but 200 inputs + 40 + 20 on-chip sources need 260 drivers in the block
    let err = spikey.deploy(&dense_chain(&[200, 40, 20, 5]), 0).unwrap_err();
    assert!(
        matches!(&err, BackendError::DoesNotFit { needed: 260, available: 256, what } if what.contains("drivers")),
        "{err}"
    );
    // mixed signs out of one population: 1 inhibitory synapse among 3
    let net = SnnNetwork::feed_forward(2, vec![(lif, array![[0.01, -0.01], [0.01, 0.0]])], 1.0).unwrap();
    let err = spikey.deploy(&net, 0).unwrap_err();
    assert!(
        matches!(&err, BackendError::DoesNotFit { needed: 1, available: 0, what } if what.contains("one sign")),
        "{err}"
    );
    // all-inhibitory outputs are fine
    let net = SnnNetwork::feed_forward(2, vec![(lif, array![[-0.01, -0.02], [0.0, -0.004]])], 1.0).unwrap();
    spikey.deploy(&net, 0).unwrap();
    // shared potentials: a second population with another threshold
    let other = spikey_neuron().v_thresh(-50.0).into_model().unwrap();
    let net = SnnNetwork::feed_forward(
        3,
        vec![(lif, Array2::from_elem((3, 4), 0.003)), (other, Array2::from_elem((4, 2), 0.003))],
        1.0,
    )
    .unwrap();
    let err = spikey.deploy(&net, 0).unwrap_err();
    assert!(matches!(&err, BackendError::Unsupported { what, .. } if what.contains("v_thresh")), "{err}");
    // other neuron models are unsupported
    let curr = spikeport_snn::IfCurrExpParams::new().into_model().unwrap();
    let net = SnnNetwork::feed_forward(2, vec![(curr, Array2::from_elem((2, 2), 0.1))], 1.0).unwrap();
    assert!(matches!(spikey.deploy(&net, 0), Err(BackendError::Unsupported { .. })));
    // the helper reports every need and every problem before deploying
    let net = grid_chain(&[81, 100, 10], 3);
    let r = requirements(&net, &Profile::spikey());
    assert!(r.fits());
    assert_eq!((r.neurons, r.block_drivers.iter().sum::<usize>(), r.chips), (110, 181, 1));
    let r = requirements(&dense_chain(&[300, 200]), &Profile::spikey());
    assert_eq!(r.problems.len(), 3, "{:?}", r.problems); // fan-in, drivers of both blocks
}

#[test]
fn brainscales_networks_that_do_not_fit_are_typed_errors() {
    let bss = Analog::brainscales();
    let lif = brainscales_neuron().into_model().unwrap();
    // fan-in over 224 × 8 = 1792
    let net = SnnNetwork::feed_forward(1800, vec![(lif, Array2::from_elem((1800, 2), 0.01))], 1.0).unwrap();
    let err = bss.deploy(&net, 0).unwrap_err();
    assert!(matches!(&err, BackendError::DoesNotFit { needed: 1800, available: 1792, .. }), "{err}");
    // 25,000 neurons of 8 circuits: 64 per chip, 391 chips > 384
    let net = SnnNetwork::feed_forward(1, vec![(lif, Array2::from_elem((1, 25_000), 0.01))], 1.0).unwrap();
    let err = bss.deploy(&net, 0).unwrap_err();
    assert!(
        matches!(&err, BackendError::DoesNotFit { needed: 391, available: 384, what } if what.contains("chips")),
        "{err}"
    );
    // with 4 circuits per neuron it fits on 196 chips
    let four =
        Analog::with_parts(Profile::brainscales().with_circuits_per_neuron(4).unwrap(), Variability::ideal())
            .unwrap();
    let r = four.requirements(&net).unwrap();
    assert_eq!((r.chips, r.circuits), (196, 100_000));
    // mixed signs are fine on BrainScaleS
    let net = SnnNetwork::feed_forward(2, vec![(lif, array![[0.01, -0.01], [0.01, 0.0]])], 1.0).unwrap();
    let dep = bss.deploy(&net, 0).unwrap();
    let units = dep.mapping().units;
    assert!(units.iter().any(|u| u.kind == UnitKind::Hicann && u.count == 1));
    assert!(units.iter().any(|u| u.kind == UnitKind::NeuronCircuit && u.count == 16));
}

#[test]
fn weights_are_quantised_to_4_bits() {
    let grid = WeightGrid::Fixed { exc_step_us: 0.001, inh_step_us: 0.004 };
    let q = quantise(array![[0.0034, -0.0061, 0.02], [0.00049, -0.1, 0.0]].view(), grid);
    assert_eq!(q.levels, array![[3, -2, 15], [0, -15, 0]]);
    assert_eq!(q.clipped, 2);
    let w = q.to_weights();
    assert!((w[(0, 0)] - 0.003).abs() < 1e-15 && (w[(0, 1)] + 0.008).abs() < 1e-15);
    // per row and sign: the row's largest excitatory and inhibitory |w| are level 15
    let q = quantise(array![[0.3, 0.1, -0.15, -0.05], [0.0, 0.0, 0.0, 0.0]].view(), WeightGrid::PerRow);
    assert_eq!(q.levels.row(0).to_vec(), vec![15, 5, -15, -5]);
    assert_eq!(q.clipped, 0);
    assert!((q.to_weights()[(0, 1)] - 0.1).abs() < 1e-12 && (q.to_weights()[(0, 2)] + 0.15).abs() < 1e-12);
}

#[test]
fn an_ideal_chip_matches_fast_at_the_same_step() {
    // weights on the grid, no mismatch, no noise: the analog engine (f64, per neuron) and
    // Fast (f32, same held-conductance step) see the same network
    let net = grid_chain(&[30, 20, 5], 4);
    let input = Encoder::regular(50.0, 100.0, 20.0).unwrap().encode(images(8, 30, 5).view()).unwrap();
    let ideal = Analog::new(Profile::spikey(), Mismatch::ideal(), Noise::none()).unwrap();
    let a = run(&ideal, &net, &input, &Recording::counts_only());
    let fast = spikeport_cpu::Fast::new(0.1).unwrap();
    let f = run(&fast, &net, &input, &Recording::counts_only());
    assert_eq!(a.counts[0], f.counts[0], "same input spikes");
    for p in 1..3 {
        let (sa, sf) = (a.counts[p].sum() as f64, f.counts[p].sum() as f64);
        assert!(sf > 10.0, "layer {p} is active");
        let max_diff = a.counts[p].iter().zip(f.counts[p].iter()).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
        assert!(max_diff <= 1, "layer {p}: counts differ by up to {max_diff} ({sa} vs {sf})");
    }
}

#[test]
fn runs_are_reproducible_per_seed_and_thread_count_and_noise_varies_between_runs() {
    let net = grid_chain(&[30, 20, 5], 6);
    let input = Encoder::regular(50.0, 100.0, 20.0).unwrap().encode(images(12, 30, 7).view()).unwrap();
    let spikey = Analog::spikey();
    let rec =
        Recording::counts_only().with_checkpoints(50.0).with_spikes(NeuronSelection::all(1)).for_images(2..5);
    let run_on = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut dep = spikey.deploy(&net, seed).unwrap();
            let mut first = spikey.run(&mut dep, &input, &rec).unwrap();
            let mut second = spikey.run(&mut dep, &input, &rec).unwrap();
            first.activity.wall_time_s = 0.0;
            second.activity.wall_time_s = 0.0;
            (first, second)
        })
    };
    let (a1, a2) = run_on(1, 21);
    let (b1, b2) = run_on(2, 21);
    assert_eq!(a1, b1, "bit-identical on 1 and 2 threads");
    assert_eq!(a2, b2);
    assert_ne!(a1.counts, a2.counts, "trial-to-trial noise: a second run differs");
    let (c1, _) = run_on(2, 22);
    assert_ne!(a1.counts, c1.counts, "another chip");
    assert_eq!(a1.spikes[0].first_image, 2);
    assert_eq!(a1.spikes[0].times_ms.len(), 3);
    let rec_count: usize = a1.spikes[0].times_ms[0].iter().map(Vec::len).sum();
    assert!(rec_count as u32 >= a1.counts[1].row(2).sum(), "recorded spikes cover the window's");
    // checkpoints at 50 and 100 ms count a growing share of the final counts (window end 110 ms)
    let cp = a1.checkpoints.unwrap();
    assert_eq!(cp.times_ms, vec![50.0, 100.0]);
    assert!(cp.counts[0].iter().zip(cp.counts[1].iter()).all(|(a, b)| a <= b));
    assert!(cp.counts[1].iter().zip(a1.counts[2].iter()).all(|(a, b)| a <= b));
    assert!(cp.counts[1].sum() > cp.counts[0].sum());
    // an image's result does not depend on its batch for a noiseless chip
    let quiet = Analog::spikey().with_noise(Noise::none()).unwrap();
    let all = run(&quiet, &net, &input, &Recording::counts_only());
    let one = run(&quiet, &net, &input.to_slice(4..5).unwrap(), &Recording::counts_only());
    assert_eq!(all.counts[2].row(4), one.counts[2].row(0));
}

#[test]
fn weight_updates_requantise_on_the_same_chip() {
    let net = grid_chain(&[10, 6, 3], 8);
    let spikey = Analog::spikey();
    let mut dep = spikey.deploy(&net, 3).unwrap();
    let before = *dep.neuron(1, 2).unwrap();
    let gains = dep.gains(1).unwrap().clone();
    let w = Array2::from_elem((6, 3), 0.0072);
    spikey.update_weights(&mut dep, 1, w.view()).unwrap();
    assert_eq!(dep.quantised(1).unwrap().levels, Array2::from_elem((6, 3), 7));
    assert_eq!(*dep.neuron(1, 2).unwrap(), before, "same neurons");
    assert_eq!(dep.gains(1).unwrap(), &gains, "same synapses");
    assert_eq!(dep.network().projections()[1].weights, w);
    // the update is what runs: all-zero weights silence the output layer
    let input = spikey_encoder().encode(images(3, 10, 1).view()).unwrap();
    spikey.update_weights(&mut dep, 1, Array2::zeros((6, 3)).view()).unwrap();
    let out = spikey.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    assert!(out.counts[1].sum() > 0 && out.counts[2].sum() == 0);
    // a mixed-sign update is refused and leaves the deployment as it was
    let bad = array![[0.01, -0.01, 0.0], [0.0; 3], [0.0; 3], [0.0; 3], [0.0; 3], [0.0; 3]];
    assert!(matches!(spikey.update_weights(&mut dep, 1, bad.view()), Err(BackendError::DoesNotFit { .. })));
    assert_eq!(dep.quantised(1).unwrap().levels, Array2::<i8>::zeros((6, 3)));
    assert!(matches!(spikey.update_weights(&mut dep, 5, w.view()), Err(BackendError::InvalidNetwork(_))));
    assert!(matches!(
        spikey.update_weights(&mut dep, 1, Array2::zeros((2, 2)).view()),
        Err(BackendError::InvalidNetwork(_))
    ));
    // BrainScaleS rows rescale on update
    let bss = Analog::brainscales();
    let lif = brainscales_neuron().into_model().unwrap();
    let net = SnnNetwork::feed_forward(2, vec![(lif, array![[0.02, 0.01], [0.0, 0.0]])], 1.0).unwrap();
    let mut dep = bss.deploy(&net, 0).unwrap();
    bss.update_weights(&mut dep, 0, array![[0.002, 0.004], [0.003, 0.0]].view()).unwrap();
    let q = dep.quantised(0).unwrap();
    assert_eq!(q.levels, array![[8, 15], [15, 0]]);
    assert!((q.exc_step[0] - 0.004 / 15.0).abs() < 1e-15);
}

#[test]
fn time_overheads_and_losses_are_reported() {
    let net = grid_chain(&[30, 20, 5], 9);
    let input = spikey_encoder().encode(images(4, 30, 3).view()).unwrap();
    let spikey = Analog::spikey();
    let mut dep = spikey.deploy(&net, 1).unwrap();
    let out = spikey.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    let a = &out.activity;
    assert_eq!(a.bio_time_ms, 4.0 * 350.0);
    assert!((a.hardware_time_s - 4.0 * 0.35 / 1e4).abs() < 1e-15, "bio ÷ 10⁴");
    assert_eq!(a.counters[&Counter::RunOverheadUs], 500_000);
    assert_eq!(
        a.counters[&Counter::ConfigOverheadUs],
        2_000_000,
        "configuration is charged to the first run"
    );
    assert_eq!(a.neuron_updates, 25 * 3500 * 4);
    let again = spikey.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    assert_eq!(again.activity.counters[&Counter::ConfigOverheadUs], 0);
    spikey.update_weights(&mut dep, 0, net.projections()[0].weights.view()).unwrap();
    let after = spikey.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    assert_eq!(after.activity.counters[&Counter::ConfigOverheadUs], 2_000_000, "an update reconfigures");
    assert_eq!(dep.runs(), 3);
    let m = dep.mapping();
    assert_eq!((m.neurons, m.synapses_lost), (25, 0));
    assert!(m.units.iter().any(|u| u.kind == UnitKind::SynapseDriver && u.count == 50));
    // BrainScaleS with 30 % synapse loss and 20 % input spike loss
    let lossy =
        Analog::with_parts(Profile::brainscales().with_losses(0.3, 0.2).unwrap(), Variability::ideal())
            .unwrap();
    let lif = brainscales_neuron().into_model().unwrap();
    let big = SnnNetwork::feed_forward(100, vec![(lif, Array2::from_elem((100, 50), 0.01))], 1.0).unwrap();
    let mut dep = lossy.deploy(&big, 4).unwrap();
    let m = dep.mapping();
    let frac = m.synapses_lost as f64 / 5000.0;
    assert!((frac - 0.3).abs() < 0.03, "synapse loss {frac}");
    assert_eq!(m.synapses + m.synapses_lost, 5000);
    let input = brainscales_encoder().encode(Array2::<f32>::ones((2, 100)).view()).unwrap();
    let out = lossy.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    let lost = out.activity.counters[&Counter::InputSpikesLost] as f64;
    let sent = input.total_spikes() as f64;
    assert!((lost / sent - 0.2).abs() < 0.02, "input spike loss {}", lost / sent);
    assert_eq!(out.activity.spikes[0] as f64, sent - lost);
}

#[test]
fn spikey_net_on_real_mnist_loses_accuracy_on_the_analog_models() {
    let model = spikeport_ann::load_zoo("spikey-net").unwrap();
    let test = spikeport_data::Mnist::load_test().unwrap().take(200).unwrap();
    let x = model.features(&test).unwrap();
    let labels = test.labels();
    let ann = model.network.predict(x.view()).unwrap();
    let ann_acc =
        100.0 * ann.iter().zip(labels).filter(|(p, &l)| **p == usize::from(l)).count() as f64 / 200.0;
    for platform in [Platform::Spikey, Platform::BrainScaleS] {
        let backend = platform.backend(Variability::calibrated()).unwrap();
        let lif = platform.paper_neuron().into_model().unwrap();
        let net =
            spikeport_convert::convert_global(&model.network, &lif, platform.paper_max_weight_us(), 1.0)
                .unwrap()
                .network;
        let mut dep = backend.deploy(&net, 1).unwrap();
        let input = platform.paper_encoder().encode(x.view()).unwrap();
        let out = backend.run(&mut dep, &input, &Recording::counts_only()).unwrap();
        let acc = out.accuracy_pct(labels).unwrap();
        println!("{platform:?}: {acc:.1} % (ANN {ann_acc:.1} %)");
        assert!(acc > 40.0, "{platform:?}: {acc} % is not clearly above chance (10 %)");
        assert!(
            acc < ann_acc,
            "{platform:?}: {acc} % vs ANN {ann_acc} %: the analog model must lose accuracy"
        );
    }
    let _ = IfCondExpParams::paper_brainscales();
    let _ = (Population::spike_source(1), Projection::new(0, 1, Array2::zeros((1, 1)), 1.0));
}
