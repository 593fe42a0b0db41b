//! Determinism as a tested promise (docs/reliability.md): on every platform, the same seed
//! gives the same per-image results at 1, 2 and 4 threads; on the digital platforms also at
//! any batch size. On the analog chips a run's trial-to-trial noise is drawn per run, so
//! their results depend on how the images are split into runs (the batch size, which every
//! record carries); at one batch size they are identical at any thread count.

use spikeport::bench::{run_cell, BackendSetup, Conversion, Copies, ImagePrediction};
use spikeport::data::Mnist;
use spikeport::registry::{platform, Family};

/// Per-image results and spikes per image of spikey-net on `name` with `threads` worker
/// threads and `batch` images per simulated batch, two network copies.
fn results(name: &str, threads: usize, batch: usize) -> (Vec<ImagePrediction>, Vec<f64>) {
    let p = platform(name).expect("a known platform");
    let max_weight = if p.family == Family::Analog { 0.015 } else { 0.007 };
    let mut setup = BackendSetup::from_platform(
        &p,
        p.backend().expect("backend"),
        Conversion::Global { max_weight },
        batch,
        7,
        Copies::Fixed(2),
    );
    setup.keep_predictions = true;
    let model = spikeport::ann::load_zoo("spikey-net").expect("zoo");
    let mnist = Mnist::load().expect("mnist");
    let test = mnist.test.take(24).expect("take");
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
    let record = pool.install(|| run_cell(&model, &test, &mnist.train, &setup, &mut |_| {})).expect("cell");
    assert_eq!(record.predictions.len(), 24);
    (record.predictions, record.spikes_per_image)
}

#[test]
fn every_platform_gives_the_same_results_at_any_thread_count_and_digital_ones_at_any_batch() {
    for name in ["reference", "fast", "spinnaker", "spikey", "brainscales"] {
        let base = results(name, 1, 6);
        assert!(base.0.iter().any(|p| p.snn_class.is_some()), "{name}: the network answers");
        for threads in [2, 4] {
            assert_eq!(results(name, threads, 6), base, "{name} at {threads} threads");
        }
        let digital = platform(name).expect("platform").family != Family::Analog;
        if digital {
            for batch in [1, 24] {
                assert_eq!(results(name, 2, batch), base, "{name} in batches of {batch}");
            }
        }
    }
}
