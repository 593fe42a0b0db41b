//! Forward pass and training step throughput (images per second) on paper-sized networks.
//!
//! `cargo bench -p spikeport-ann --bench ann`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::Array2;
use spikeport_ann::{train, Init, Labelled, Network, TrainConfig};

fn inputs(rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(i, j)| ((i * 31 + j * 17) % 255) as f32 / 255.0)
}

fn forward(c: &mut Criterion) {
    let mut g = c.benchmark_group("forward");
    for (name, sizes) in [("nas63", &[784usize, 43, 10, 10][..]), ("diehl", &[784, 1200, 1200, 10][..])] {
        let net = Network::init(sizes, false, Init::GlorotUniform, 1).expect("net");
        let x = inputs(1000, 784);
        g.throughput(Throughput::Elements(1000));
        g.bench_with_input(BenchmarkId::new(name, "1000 images"), &x, |b, x| {
            b.iter(|| net.forward(x.view()).expect("forward"))
        });
    }
    g.finish();
}

fn train_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("train_step");
    for (name, sizes) in [("nas63", &[784usize, 43, 10, 10][..]), ("diehl", &[784, 1200, 1200, 10][..])] {
        let x = inputs(128, 784);
        let y: Vec<u8> = (0..128).map(|i| (i % 10) as u8).collect();
        let cfg = TrainConfig { epochs: 1, batch_size: 128, ..TrainConfig::default() };
        let mut net = Network::init(sizes, false, Init::GlorotUniform, 1).expect("net");
        g.throughput(Throughput::Elements(128));
        g.bench_function(BenchmarkId::new(name, "batch 128"), |b| {
            b.iter(|| train(&mut net, Labelled::new(x.view(), &y), None, &cfg, &mut |_| {}).expect("train"))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = forward, train_step
}
criterion_main!(benches);
