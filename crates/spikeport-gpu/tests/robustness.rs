//! Robustness: a lost device, buffers over the device's limits (forced with a small cap),
//! and automatic splitting of batches that do not fit are typed errors or identical
//! results, never panics. (No adapter at all: `no_adapter.rs`; shader validation errors:
//! the unit tests of the crate's `context` module.)

#![allow(clippy::unwrap_used)]

mod gpu_common;

use ndarray::Array2;
use spikeport_gpu::GpuError;
use spikeport_snn::{
    Backend, BackendError, Encoder, IfCondExpParams, ImageBoundary, NeuronSelection, Recording, RunOutput,
    SnnNetwork,
};

/// A 40 → 30 → 5 chain whose layers spike, and 12 images for it.
fn net_and_input() -> (SnnNetwork, spikeport_snn::SpikeInput) {
    let lif = IfCondExpParams::paper_digital().into_model().unwrap();
    let mut state = 5u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let w1 = Array2::from_shape_simple_fn((40, 30), || (next() - 0.3) * 0.02);
    let w2 = Array2::from_shape_simple_fn((30, 5), || (next() - 0.3) * 0.03);
    let net = SnnNetwork::feed_forward(40, vec![(lif, w1), (lif, w2)], 1.0).unwrap();
    let images = Array2::from_shape_simple_fn((12, 40), || next() as f32);
    let input = Encoder::regular(120.0, 100.0, 20.0).unwrap().encode(images.view()).unwrap();
    (net, input)
}

fn without_counters(mut out: RunOutput) -> RunOutput {
    out.activity.wall_time_s = 0.0;
    out.activity.hardware_time_s = 0.0;
    out.activity.counters.clear();
    out
}

#[test]
fn a_lost_device_is_a_typed_error() {
    // its own device: destroying it must not affect the other tests
    let Some(gpu) = gpu_common::fresh_gpu() else { return };
    let (net, input) = net_and_input();
    let mut dep = gpu.try_deploy(&net).unwrap();
    assert!(gpu.try_run(&mut dep, &input, &Recording::counts_only()).is_ok());
    gpu.device().destroy();
    let err = gpu.try_run(&mut dep, &input, &Recording::counts_only()).unwrap_err();
    assert!(matches!(err, GpuError::DeviceLost { .. }), "{err:?}");
    assert!(err.to_string().contains("device was lost"), "{err}");
    let err = gpu.try_deploy(&net).unwrap_err();
    assert!(matches!(err, GpuError::DeviceLost { .. }), "{err:?}");
    // through the Backend trait: an Internal error carrying the message
    let err = gpu.run(&mut dep, &input, &Recording::counts_only()).unwrap_err();
    assert!(matches!(&err, BackendError::Internal { what } if what.contains("lost")), "{err}");
}

#[test]
fn batches_over_the_buffer_limit_are_split_with_identical_results() {
    let Some(gpu) = gpu_common::gpu() else { return };
    let (net, input) = net_and_input();
    let rec = Recording::counts_only()
        .with_spikes(NeuronSelection::all(1))
        .with_spikes(NeuronSelection::list(0, vec![3, 7]))
        .with_membrane(NeuronSelection::list(2, vec![4, 0]))
        .with_checkpoints(30.0)
        .for_images(2..9);
    let mut dep = gpu.deploy(&net, 0).unwrap();
    let whole = gpu.run(&mut dep, &input, &rec).unwrap();
    assert_eq!(whole.activity.counters[&spikeport_snn::Counter::GpuChunks], 1);
    assert!(whole.counts[2].sum() > 0 && whole.counts[1].sum() > 0);
    // caps on every buffer (the weights take 4,800 bytes; an image's input lists about
    // 1.5 KiB) and on the images per chunk
    for (cap, chunk_images) in [(8192, 1024), (1 << 20, 5), (6000, 3)] {
        let small = gpu.clone().with_max_buffer_bytes(cap).unwrap().with_chunk_images(chunk_images).unwrap();
        let mut dep = small.deploy(&net, 0).unwrap();
        let split = small.run(&mut dep, &input, &rec).unwrap();
        assert!(
            split.activity.counters[&spikeport_snn::Counter::GpuChunks] > 1,
            "cap {cap}: {:?}",
            split.activity.counters
        );
        assert_eq!(without_counters(split), without_counters(whole.clone()), "cap {cap}");
    }
}

#[test]
fn what_cannot_be_split_is_a_resource_limit() {
    let Some(gpu) = gpu_common::gpu() else { return };
    let (net, input) = net_and_input();
    // one image of 1 s: its input lists alone (about 14 KiB) exceed a 5,000-byte cap that
    // the weights (4,800 bytes) fit
    let long = Encoder::regular(120.0, 1000.0, 20.0)
        .unwrap()
        .encode(Array2::from_elem((2, 40), 0.5f32).view())
        .unwrap();
    let tiny = gpu.clone().with_max_buffer_bytes(5000).unwrap();
    let mut dep = tiny.try_deploy(&net).unwrap();
    assert!(tiny.try_run(&mut dep, &input, &Recording::counts_only()).is_ok());
    let err = tiny.try_run(&mut dep, &long, &Recording::counts_only()).unwrap_err();
    assert!(matches!(&err, GpuError::TooLarge { limit: 5000, .. }), "{err:?}");
    assert!(err.to_string().contains("one lane"), "{err}");
    let err = tiny.run(&mut dep, &long, &Recording::counts_only()).unwrap_err();
    assert!(matches!(err, BackendError::ResourceLimit { limit: 5000, .. }), "{err}");
    // a Continuous batch is one lane: it fits the default limits but not a small cap
    // that the same images fit under Reset
    let cont = input.clone().with_boundary(ImageBoundary::Continuous);
    let capped = gpu.clone().with_max_buffer_bytes(8 << 10).unwrap();
    let mut dep = capped.deploy(&net, 0).unwrap();
    assert!(capped.run(&mut dep, &input, &Recording::counts_only()).is_ok());
    let err = capped.run(&mut dep, &cont, &Recording::counts_only()).unwrap_err();
    assert!(matches!(err, BackendError::ResourceLimit { .. }), "{err}");
    let mut dep = gpu.deploy(&net, 0).unwrap();
    assert!(gpu.run(&mut dep, &cont, &Recording::counts_only()).is_ok());
    // weights over the cap fail at deployment (40 × 30 × 4 bytes)
    let tiny = gpu.clone().with_max_buffer_bytes(1024).unwrap();
    let err = tiny.try_deploy(&net).unwrap_err();
    assert!(matches!(&err, GpuError::TooLarge { bytes: 4800, .. }), "{err:?}");
    let err = tiny.deploy(&net, 0).unwrap_err();
    assert!(matches!(err, BackendError::ResourceLimit { requested: 4800, .. }), "{err}");
}

#[test]
fn a_non_finite_state_is_a_numerical_error() {
    let Some(gpu) = gpu_common::gpu() else { return };
    // an infinite weight drives the conductance to infinity, V to NaN
    let lif = IfCondExpParams::paper_digital().into_model().unwrap();
    let net = SnnNetwork::feed_forward(1, vec![(lif, ndarray::array![[f64::MAX]])], 1.0).unwrap();
    let input = Encoder::regular(100.0, 50.0, 0.0).unwrap().encode(ndarray::array![[1.0f32]].view()).unwrap();
    let mut dep = gpu.deploy(&net, 0).unwrap();
    let err = gpu.run(&mut dep, &input, &Recording::counts_only()).unwrap_err();
    assert!(
        matches!(&err, BackendError::Numerical { what } if what.contains("population 1, neuron 0")),
        "{err}"
    );
}
