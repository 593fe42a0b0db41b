//! Criterion benchmark of the GPU's event-driven propagation kernel: one projection,
//! a batch of lanes, a fixed fraction of the sources spiking per lane, 100 dispatches
//! per iteration (one submission). Sizes are those of the zoo's first layers (784 → 43
//! for NAS63, 784 → 1200 for the Diehl net). Without a Vulkan adapter it prints that it
//! skips.
//!
//! `cargo bench -p spikeport-gpu --bench propagate`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use spikeport_gpu::bench::PropagationBench;
use spikeport_gpu::Gpu;

/// Dispatches per iteration.
const DISPATCHES: usize = 100;

fn propagate(c: &mut Criterion) {
    let gpu = match Gpu::new(1.0) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("skipping the GPU benchmark: {e}");
            return;
        }
    };
    eprintln!("adapter: {}", gpu.adapter().summary());
    let mut group = c.benchmark_group("propagate");
    group.sample_size(10);
    // (sources, targets, lanes, spiking sources per lane): input layers at the paper's
    // input rate (about 12 of 784 inputs spike per 1 ms step), and a dense hidden layer
    for (n_pre, n_post, lanes, spikes) in [(784, 43, 256, 12), (784, 1200, 64, 12), (1200, 1200, 64, 60)] {
        let bench = match PropagationBench::new(&gpu, n_pre, n_post, lanes, spikes) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("skipping {n_pre}x{n_post}: {e}");
                continue;
            }
        };
        // synaptic events (spike × target) per iteration
        group.throughput(Throughput::Elements((DISPATCHES * lanes * spikes * n_post) as u64));
        let id = BenchmarkId::from_parameter(format!("{n_pre}x{n_post}, {lanes} lanes, {spikes} spikes"));
        group.bench_function(id, |b| {
            b.iter(|| {
                if let Err(e) = bench.run(DISPATCHES) {
                    panic!("the propagation kernel failed: {e}");
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, propagate);
criterion_main!(benches);
