//! Throughput of event-driven spike propagation, in synaptic events per second.
//!
//! A Diehl-sized dense layer (1200 × 1200, signed f32 weights, no zeros) receives, for a
//! batch of 16 images, the spikes of 5 % of its pre-synaptic neurons per image in one
//! step: 16 · 60 · 1200 = 1.15 M events per iteration. Criterion reports elements/s =
//! synaptic events/s (single thread; the `Fast` backend parallelises over images).
//!
//! Run with `cargo bench -p spikeport-lif --bench propagate`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::Array2;
use spikeport_lif::{DenseSynapses, SpikeBatch};

/// Deterministic pseudo-random numbers in [0, 1) (SplitMix64), to avoid a dependency.
fn uniform(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn bench_propagate(c: &mut Criterion) {
    let (n_pre, n_post, batch, active) = (1200usize, 1200usize, 16usize, 60usize);
    let mut seed = 1u64;
    let signed = Array2::from_shape_simple_fn((n_pre, n_post), || {
        let x = uniform(&mut seed) * 0.02 - 0.01;
        if x == 0.0 {
            1e-4
        } else {
            x
        }
    });
    let positive = signed.mapv(f64::abs);
    let mut spikes = SpikeBatch::with_capacity(batch, batch * active);
    for _ in 0..batch {
        let list = spikes.open_image();
        for _ in 0..active {
            list.push((uniform(&mut seed) * n_pre as f64) as u32);
        }
        spikes.finish_image();
    }

    let mut group = c.benchmark_group("propagate_batch");
    group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for (name, w) in [("signed", &signed), ("excitatory_only", &positive)] {
        let syn = DenseSynapses::<f32>::from_signed(w.view());
        let events: u64 = (0..batch).map(|b| syn.events(spikes.image(b))).sum();
        let (mut exc, mut inh) = (vec![0.0f32; batch * n_post], vec![0.0f32; batch * n_post]);
        group.throughput(Throughput::Elements(events));
        group.bench_with_input(BenchmarkId::new(name, "1200x1200_b16_5pct"), &syn, |bencher, syn| {
            bencher.iter(|| black_box(syn.propagate_batch(black_box(&spikes), &mut exc, &mut inh)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_propagate);
criterion_main!(benches);
