//! Mapping, memory, saturation, CPU-budget and capability tests of the SpiNNaker model.

#![allow(clippy::unwrap_used)]

use ndarray::Array2;
use spikeport_snn::{
    Backend, BackendError, Deployed, Encoder, IfCondExpParams, IfCurrDeltaSubParams, IfCurrExpParams,
    ImageBoundary, Recording, SnnNetwork, SpikeInput,
};
use spikeport_spinnaker::{Spinnaker, SpinnakerConfig};

fn cond() -> spikeport_snn::NeuronModel {
    IfCondExpParams::paper_digital().into_model().unwrap()
}

fn chain(sizes: &[usize], w: f64) -> SnnNetwork {
    let layers: Vec<_> = sizes.windows(2).map(|s| (cond(), Array2::from_elem((s[0], s[1]), w))).collect();
    SnnNetwork::feed_forward(sizes[0], layers, 1.0).unwrap()
}

#[test]
fn diehl_sized_network_maps_to_cores_chips_boards() {
    let net = chain(&[784, 1200, 1200, 10], 0.001);
    let dep = Spinnaker::spinn5().deploy(&net, 0).unwrap();
    let d = dep.details();
    // sPyNNaker 5.x places a spike-source array on one core (no atom limit)
    assert_eq!(d.cores_per_population, vec![1, 5, 5, 1]);
    assert_eq!((d.cores, d.chips, d.boards), (12, 1, 1));
    let units = dep.mapping().units;
    assert_eq!(units[0].count, 12);
    assert_eq!(units[1].count, 1);
    assert_eq!(units[2].count, 1);
    // the paper's 180 neurons per core for big nets
    let b = Spinnaker::new(SpinnakerConfig::spinn5().with_neurons_per_core(180)).unwrap();
    let d = b.deploy(&net, 0).unwrap().details().clone();
    assert_eq!(d.cores_per_population, vec![1, 7, 7, 1]);
    assert_eq!((d.cores, d.chips), (16, 1));
    // 1200 rows of one 32-bit word per synapse onto 180 neurons + 3 header words
    assert_eq!(d.max_synaptic_matrix_bytes, 1200 * (3 + 180) * 4);
}

#[test]
fn oversized_network_fails_with_what_and_by_how_much() {
    let net = chain(&[10, 17000, 10], 0.001);
    let err = Spinnaker::spinn3().deploy(&net, 0).unwrap_err();
    match &err {
        BackendError::DoesNotFit { what, needed, available } => {
            assert_eq!((*needed, *available), (69, 64));
            assert!(what.contains("5 more than available"), "{what}");
            assert!(what.contains("SpiNN-3"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    // fits on one SpiNN-5
    assert!(Spinnaker::spinn5().deploy(&net, 0).is_ok());
}

#[test]
fn copies_fill_the_board_one_population_per_core() {
    // NAS63: spike sources, 43, 10, 10 neurons: 4 cores per copy, 768 cores on a SpiNN-5
    let nas63 = chain(&[784, 43, 10, 10], 0.001);
    let b = Spinnaker::spinn5();
    let fit = b.max_copies(&nas63, 10_000).unwrap();
    assert_eq!(fit.copies, 192);
    assert_eq!(fit.mapping.units[0].count, 768);
    let why = fit.binding.expect("cores bind");
    assert!(matches!(why, BackendError::DoesNotFit { needed: 772, available: 768, .. }), "{why}");
    assert_eq!(b.max_copies(&nas63, 100).unwrap().copies, 100, "the limit asked for");
    // the paper's Diehl setting: 200 neurons per core, 14 cores per copy
    let diehl = chain(&[784, 1200, 1200, 10], 0.001);
    let b200 = Spinnaker::new(SpinnakerConfig::spinn5().with_neurons_per_core(200)).unwrap();
    assert_eq!(b200.max_copies(&diehl, 10_000).unwrap().copies, 54);
    let dep = b200.place(&diehl, spikeport_snn::Placement::from(0).with_copies(54)).unwrap();
    assert_eq!((dep.details().cores, dep.details().chips, dep.details().boards), (756, 48, 1));
    assert!(b200.place(&diehl, spikeport_snn::Placement::from(0).with_copies(55)).is_err());
}

#[test]
fn synaptic_matrix_budget_is_checked() {
    let net = chain(&[100, 50], 0.001);
    let mut cfg = SpinnakerConfig::spinn5();
    cfg.sdram_per_core_bytes = 10_000;
    let err = Spinnaker::new(cfg).unwrap().deploy(&net, 0).unwrap_err();
    match err {
        BackendError::DoesNotFit { what, needed, available } => {
            assert_eq!((needed, available), (100 * (3 + 50) * 4, 10_000));
            assert!(what.contains("synaptic-matrix"), "{what}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn simultaneous_input_saturates_ring_buffers_and_is_counted() {
    let n = 200;
    let net = chain(&[n, 5], 0.015);
    // every input fires 10 spikes at t = 1 ms: 10× the host's bound of one spike per tick
    let trains = vec![vec![vec![1.0; 10]; n]];
    let input = SpikeInput::new(n, 20.0, 0.0, &trains).unwrap();
    let b = Spinnaker::spinn5();
    let mut dep = b.deploy(&net, 0).unwrap();
    b.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    let s = dep.last_run().unwrap();
    assert!(s.ring_saturations[1] > 0, "{s:?}");
    assert_eq!(s.ring_saturations(), s.ring_saturations[1]);
    // one spike per input per tick does not saturate
    let trains = vec![vec![vec![1.0]; n]];
    let input = SpikeInput::new(n, 20.0, 0.0, &trains).unwrap();
    b.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    assert_eq!(dep.last_run().unwrap().ring_saturations(), 0);
}

#[test]
fn tick_overruns_and_time_scale_factor() {
    let net = chain(&[500, 255], 0.0001);
    let px = Array2::from_elem((1, 500), 1.0f32);
    let input = Encoder::regular(1000.0, 50.0, 0.0).unwrap().encode(px.view()).unwrap();
    let run = |tsf: f64| {
        let b = Spinnaker::new(SpinnakerConfig::spinn5().with_time_scale_factor(tsf)).unwrap();
        let mut dep = b.deploy(&net, 0).unwrap();
        let out = b.run(&mut dep, &input, &Recording::counts_only()).unwrap();
        (out.activity, dep.last_run().unwrap().clone())
    };
    let (a1, s1) = run(1.0);
    // 500 × 255 synaptic events per tick ≈ 2.6 M cycles > 200 k
    assert!(s1.overrun_ticks() >= 49, "{s1:?}");
    assert_eq!(s1.core_ticks, 50);
    assert!((a1.hardware_time_s - 0.05).abs() < 1e-12);
    assert_eq!(s1.load_time_s, 10.0);
    assert!(s1.packets_sent >= 500 * 49);
    let (a20, s20) = run(20.0);
    assert_eq!(s20.overrun_ticks(), 0);
    assert!((a20.hardware_time_s - 1.0).abs() < 1e-12);
    assert_eq!(a1.synaptic_events, a20.synaptic_events);
}

#[test]
fn delays_and_delay_extensions() {
    let lif = cond();
    let mk = |d: f64| SnnNetwork::feed_forward(4, vec![(lif, Array2::from_elem((4, 3), 0.01))], d).unwrap();
    let b = Spinnaker::spinn5();
    assert_eq!(b.deploy(&mk(16.0), 0).unwrap().details().delay_extension_cores, 0);
    let dep = b.deploy(&mk(20.0), 0).unwrap();
    assert_eq!(dep.details().delay_extension_cores, 1);
    assert_eq!(dep.details().cores, 3);
    assert!(matches!(b.deploy(&mk(200.0), 0), Err(BackendError::Unsupported { .. })));
    // a longer delay shifts the first output spike by the same amount
    let px = Array2::from_elem((1, 4), 1.0f32);
    let input = Encoder::regular(120.0, 100.0, 0.0).unwrap().encode(px.view()).unwrap();
    let first = |d: f64| {
        let mut dep = b.deploy(&mk(d), 0).unwrap();
        let rec = Recording::counts_only().with_spikes(spikeport_snn::NeuronSelection::all(1));
        let out = b.run(&mut dep, &input, &rec).unwrap();
        out.spikes[0].times_ms[0][0][0]
    };
    assert_eq!(first(20.0) - first(1.0), 19.0);
}

#[test]
fn curr_exp_256_per_core_and_unsupported_models() {
    let lif = IfCurrExpParams::new().into_model().unwrap();
    let net = SnnNetwork::feed_forward(10, vec![(lif, Array2::from_elem((10, 512), 0.5))], 1.0).unwrap();
    let b = Spinnaker::spinn5();
    let mut dep = b.deploy(&net, 0).unwrap();
    assert_eq!(dep.details().cores_per_population, vec![1, 2]);
    let px = Array2::from_elem((2, 10), 0.8f32);
    let input = Encoder::paper_digital().encode(px.view()).unwrap();
    let out = b.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    assert!(out.counts[1].sum() > 0);
    let d = IfCurrDeltaSubParams::new().into_model().unwrap();
    let net = SnnNetwork::feed_forward(2, vec![(d, Array2::from_elem((2, 2), 0.5))], 1.0).unwrap();
    assert!(matches!(b.deploy(&net, 0), Err(BackendError::Unsupported { .. })));
    assert!(Spinnaker::new(SpinnakerConfig::spinn5().with_time_scale_factor(0.0)).is_err());
}

#[test]
fn weights_are_16_bit_with_per_core_shift() {
    let net = chain(&[784, 10], 0.015);
    let dep = Spinnaker::spinn5().deploy(&net, 0).unwrap();
    // bound = 784 · 0.015 µS · 1024 = 12042 → shift 14, scale 2^(15−14)·1024 = 2048/µS
    assert_eq!(dep.details().ring_buffer_shifts[1], vec![[14, 0]]);
    let w = dep.effective_weights(0).unwrap();
    assert_eq!(w[[0, 0]], 31.0 / 2048.0);
}

#[test]
fn update_weights_requantises_and_continuous_runs() {
    let net = chain(&[20, 5], 0.01);
    let b = Spinnaker::spinn5();
    let mut dep = b.deploy(&net, 0).unwrap();
    let px = Array2::from_elem((3, 20), 0.7f32);
    let input = Encoder::paper_digital().encode(px.view()).unwrap();
    let before = b.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    b.update_weights(&mut dep, 0, Array2::from_elem((20, 5), 0.002).view()).unwrap();
    assert_eq!(dep.network().projections()[0].weights[[0, 0]], 0.002);
    let after = b.run(&mut dep, &input, &Recording::counts_only()).unwrap();
    assert!(after.counts[1].sum() < before.counts[1].sum());
    let cont = input.clone().with_boundary(ImageBoundary::Continuous);
    let c = b.run(&mut dep, &cont, &Recording::counts_only()).unwrap();
    let (x, y) = (c.counts[1].sum() as f64, after.counts[1].sum() as f64);
    assert!((x - y).abs() <= 0.05 * y + 5.0, "{x} vs {y}");
}
