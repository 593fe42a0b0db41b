//! Throughput of the CPU backends in the paper's digital setting (IF_cond_exp, regular
//! trains at 120 Hz, 500 ms + 50 ms per image) on real MNIST test images, all cores.
//!
//! * `fast_diehl/images` and `fast_diehl/events`: [`Fast`] at dt 1 ms on the zoo's Diehl
//!   net (784×1200×1200×10, shipped weights, global conversion at max_weight 0.01 µS), a
//!   batch of 64 images; criterion's throughput line reads images/s and synaptic
//!   events/s respectively (the goal: 10,000 images in ≤ 60 s on 2 cores).
//! * `reference_784x100x10/dt_0.1ms` and `…/dt_1ms`: [`Reference`] on a 784×100×10
//!   network (trained here for 2 epochs on 10,000 training images, max_weight 0.015 µS),
//!   a batch of 8 images; the time column is **per image** (the target at 0.1 ms:
//!   ≤ 6 ms per image).
//!
//! Run with `cargo bench -p spikeport-cpu --bench cpu`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use spikeport_ann::{Init, Labelled, Network, TrainConfig};
use spikeport_cpu::{Fast, Reference};
use spikeport_data::Mnist;
use spikeport_snn::{Backend, Encoder, IfCondExpParams, Recording, SnnNetwork, SpikeInput};

fn paper_input(images: usize) -> SpikeInput {
    let test = Mnist::load_test().expect("MNIST test set").take(images).expect("enough test images");
    Encoder::paper_digital().encode(test.scaled().view()).expect("pixels in [0, 1]")
}

fn convert(ann: &Network, max_weight: f64) -> SnnNetwork {
    let lif = IfCondExpParams::paper_digital().into_model().expect("valid parameters");
    spikeport_convert::convert_global(ann, &lif, max_weight, 1.0).expect("conversion").network
}

fn bench_fast_diehl(c: &mut Criterion) {
    let model = spikeport_ann::load_zoo("diehl").expect("shipped diehl weights");
    let net = convert(&model.network, 0.01);
    let input = paper_input(64);
    let backend = Fast::default();
    let mut dep = backend.deploy(&net, 0).expect("deploys");
    let rec = Recording::counts_only();
    let probe = backend.run(&mut dep, &input, &rec).expect("runs");
    let events = probe.activity.total_synaptic_events();
    println!(
        "fast_diehl: {} images, {:.3e} synaptic events/image, spikes/image {:?}",
        input.n_images(),
        probe.activity.synaptic_events_per_image(),
        probe.activity.spikes_per_image()
    );
    let mut group = c.benchmark_group("fast_diehl");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    group.throughput(Throughput::Elements(input.n_images() as u64));
    group.bench_function("images", |b| {
        b.iter(|| black_box(backend.run(&mut dep, &input, &rec).expect("runs")))
    });
    group.throughput(Throughput::Elements(events));
    group.bench_function("events", |b| {
        b.iter(|| black_box(backend.run(&mut dep, &input, &rec).expect("runs")))
    });
    group.finish();
}

fn mlp_784_100_10() -> Network {
    let train = Mnist::load().expect("MNIST").train.take(10_000).expect("enough training images");
    let x = train.scaled();
    let mut net = Network::init(&[784, 100, 10], false, Init::GlorotUniform, 1).expect("valid sizes");
    let cfg = TrainConfig { epochs: 2, ..TrainConfig::default() };
    spikeport_ann::train(&mut net, Labelled::new(x.view(), train.labels()), None, &cfg, &mut |_| {})
        .expect("trains");
    net
}

fn bench_reference(c: &mut Criterion) {
    let net = convert(&mlp_784_100_10(), 0.015);
    let input = paper_input(8);
    let n = input.n_images() as u32;
    let rec = Recording::counts_only();
    let mut group = c.benchmark_group("reference_784x100x10");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    for dt in [0.1, 1.0] {
        let backend = Reference::new(dt).expect("valid dt");
        let mut dep = backend.deploy(&net, 0).expect("deploys");
        // time per image: each iteration simulates the whole batch
        group.bench_function(format!("dt_{dt}ms"), |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    black_box(backend.run(&mut dep, &input, &rec).expect("runs"));
                }
                t.elapsed() / n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_fast_diehl, bench_reference);
criterion_main!(benches);
