//! Training behaviour: learning, determinism across thread counts, constraints, bad settings.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use spikeport_ann::{train, AnnError, Init, Labelled, Loss, LrSchedule, Network, Optimizer, TrainConfig};

/// Three Gaussian blobs in 10-D with non-negative coordinates.
fn blobs(n: usize, seed: u64) -> (Array2<f32>, Vec<u8>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::zeros((n, 10));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % 3;
        y.push(c as u8);
        for j in 0..10 {
            let centre = if j % 3 == c { 0.8 } else { 0.2 };
            x[[i, j]] = (centre + rng.random_range(-0.15f32..0.15)).max(0.0);
        }
    }
    (x, y)
}

fn run(threads: usize, cfg: &TrainConfig) -> Network {
    let (x, y) = blobs(300, 1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
    pool.install(|| {
        let mut net = Network::init(&[10, 40, 40, 3], false, Init::GlorotUniform, 3).expect("net");
        train(&mut net, Labelled::new(x.view(), &y), None, cfg, &mut |_| {}).expect("train");
        net
    })
}

#[test]
fn same_seed_same_weights_on_any_thread_count() {
    // Batches of 100 rows span several row blocks, so threads really share the work.
    let cfg = TrainConfig {
        epochs: 3,
        batch_size: 100,
        hidden_dropout: 0.2,
        hidden_noise: 0.1,
        input_dropout: 0.1,
        l2: 1e-4,
        ..TrainConfig::default()
    };
    let a = run(1, &cfg);
    let b = run(2, &cfg);
    let c = run(4, &cfg);
    assert_eq!(a, b);
    assert_eq!(a, c);
    let d = run(2, &TrainConfig { seed: 99, ..cfg });
    assert_ne!(a, d, "another seed gives other weights");
}

#[test]
fn hidden_noise_perturbs_training_and_the_network_still_learns() {
    let plain_cfg = TrainConfig { epochs: 10, batch_size: 50, ..TrainConfig::default() };
    let noisy_cfg = TrainConfig { hidden_noise: 0.2, ..plain_cfg.clone() };
    let plain = run(2, &plain_cfg);
    let noisy = run(2, &noisy_cfg);
    assert_ne!(plain, noisy, "the noise must change the updates");
    assert_eq!(noisy, run(1, &noisy_cfg), "and be drawn from the seeded stream");
    let (xt, yt) = blobs(300, 3);
    let acc = noisy.evaluate(xt.view(), &yt).expect("eval").accuracy_pct();
    assert!(acc > 90.0, "noisy training still learns the blobs: {acc} %");
}

/// Accuracy (%) of `net` when every hidden unit computes max(0, z − `offset`): how a network
/// fares when its hidden units have a threshold, as converted leaky neurons do.
fn accuracy_with_offset(net: &Network, x: &Array2<f32>, y: &[u8], offset: f32) -> f64 {
    let mut a = x.clone();
    let n = net.layers().len();
    for (l, layer) in net.layers().iter().enumerate() {
        a = a.dot(&layer.weight());
        if l + 1 < n {
            a.mapv_inplace(|v| (v - offset).max(0.0));
        }
    }
    let correct = a
        .rows()
        .into_iter()
        .zip(y)
        .filter(|(r, &c)| {
            let best = r.iter().enumerate().max_by(|p, q| p.1.total_cmp(q.1)).map(|(k, _)| k);
            best == Some(usize::from(c))
        })
        .count();
    100.0 * correct as f64 / y.len() as f64
}

#[test]
fn hidden_offset_training_tolerates_a_hidden_threshold_at_inference() {
    let plain_cfg = TrainConfig { epochs: 20, batch_size: 50, l2: 1e-3, ..TrainConfig::default() };
    let offset_cfg = TrainConfig { hidden_offset: 0.5, ..plain_cfg.clone() };
    let plain = run(2, &plain_cfg);
    let robust = run(2, &offset_cfg);
    assert_ne!(plain, robust, "the offset must change the updates");
    assert_eq!(robust, run(1, &offset_cfg), "and be drawn from the seeded stream");
    let (xt, yt) = blobs(300, 3);
    let clean = robust.evaluate(xt.view(), &yt).expect("eval").accuracy_pct();
    assert!(clean > 90.0, "inference without the offset still classifies the blobs: {clean} %");
    let (p, r) = (accuracy_with_offset(&plain, &xt, &yt, 0.4), accuracy_with_offset(&robust, &xt, &yt, 0.4));
    assert!(r > 95.0 && p < 80.0, "with a threshold of 0.4 at inference: plain {p} %, offset-trained {r} %");
}

#[test]
fn every_loss_and_optimiser_learns_the_blobs() {
    let (x, y) = blobs(600, 2);
    let (xt, yt) = blobs(300, 3);
    for (loss, opt) in [
        (Loss::CrossEntropy, Optimizer::adam(1e-2)),
        (Loss::CategoricalHinge, Optimizer::adam(1e-2)),
        (Loss::CrossEntropy, Optimizer::sgd(0.1, 0.9)),
    ] {
        let mut net = Network::init(&[10, 16, 3], false, Init::HeUniform, 5).expect("net");
        let before = net.evaluate(xt.view(), &yt).expect("eval").accuracy_pct();
        let cfg = TrainConfig {
            epochs: 15,
            batch_size: 32,
            loss,
            optimizer: opt,
            schedule: LrSchedule::Cosine { final_fraction: 0.1 },
            ..TrainConfig::default()
        };
        let stats = train(
            &mut net,
            Labelled::new(x.view(), &y),
            Some(Labelled::new(xt.view(), &yt)),
            &cfg,
            &mut |_| {},
        )
        .expect("train");
        let after = stats.last().and_then(|s| s.validation_accuracy_pct).expect("val");
        assert!(after > 97.0, "{loss:?} {opt:?}: {before} -> {after}");
        assert!(stats.first().expect("first").loss > stats.last().expect("last").loss);
    }
}

#[test]
fn non_negative_constraint_holds_after_training() {
    let (x, y) = blobs(300, 4);
    let mut net = Network::init(&[10, 20, 3], false, Init::GlorotUniform, 6).expect("net");
    assert!(net.layers()[0].weight().iter().any(|&w| w < 0.0));
    let cfg = TrainConfig {
        epochs: 5,
        batch_size: 50,
        loss: Loss::CategoricalHinge,
        l2: 1e-3,
        non_negative: true,
        ..TrainConfig::default()
    };
    train(&mut net, Labelled::new(x.view(), &y), None, &cfg, &mut |_| {}).expect("train");
    for l in net.layers() {
        assert!(l.weight().iter().all(|&w| w >= 0.0));
    }
}

#[test]
fn l2_shrinks_weights() {
    let (x, y) = blobs(300, 5);
    let norm = |l2: f32| {
        let mut net = Network::init(&[10, 20, 3], false, Init::GlorotUniform, 6).expect("net");
        let cfg = TrainConfig {
            epochs: 20,
            batch_size: 50,
            l2,
            optimizer: Optimizer::sgd(0.2, 0.0),
            ..TrainConfig::default()
        };
        train(&mut net, Labelled::new(x.view(), &y), None, &cfg, &mut |_| {}).expect("train");
        net.layers().iter().map(|l| l.weight().iter().map(|w| w * w).sum::<f32>()).sum::<f32>()
    };
    let (with, without) = (norm(0.05), norm(0.0));
    assert!(with < 0.7 * without, "{with} vs {without}");
}

#[test]
fn bad_settings_and_data_are_typed_errors() {
    let (x, y) = blobs(30, 6);
    let mut net = Network::init(&[10, 5, 3], false, Init::GlorotUniform, 1).expect("net");
    let d = Labelled::new(x.view(), &y);
    let mut obs = |_: spikeport_ann::TrainEvent<'_>| {};
    let bad = |name: &str,
               cfg: TrainConfig,
               net: &mut Network,
               obs: &mut dyn FnMut(spikeport_ann::TrainEvent<'_>)| {
        let err = train(net, d, None, &cfg, obs).unwrap_err();
        assert!(matches!(&err, AnnError::InvalidConfig { name: n, .. } if *n == name), "{err}");
    };
    bad("batch_size", TrainConfig { batch_size: 0, ..TrainConfig::default() }, &mut net, &mut obs);
    bad("epochs", TrainConfig { epochs: 0, ..TrainConfig::default() }, &mut net, &mut obs);
    bad("hidden_dropout", TrainConfig { hidden_dropout: 1.0, ..TrainConfig::default() }, &mut net, &mut obs);
    bad("l2", TrainConfig { l2: -1.0, ..TrainConfig::default() }, &mut net, &mut obs);
    bad("hidden_noise", TrainConfig { hidden_noise: -0.1, ..TrainConfig::default() }, &mut net, &mut obs);
    bad("hidden_noise", TrainConfig { hidden_noise: f32::NAN, ..TrainConfig::default() }, &mut net, &mut obs);
    bad("hidden_offset", TrainConfig { hidden_offset: -0.1, ..TrainConfig::default() }, &mut net, &mut obs);
    bad(
        "hidden_offset",
        TrainConfig { hidden_offset: f32::INFINITY, ..TrainConfig::default() },
        &mut net,
        &mut obs,
    );
    bad("lr", TrainConfig { optimizer: Optimizer::adam(-1.0), ..TrainConfig::default() }, &mut net, &mut obs);
    let y_bad: Vec<u8> = y.iter().map(|_| 7).collect();
    let err = train(&mut net, Labelled::new(x.view(), &y_bad), None, &TrainConfig::default(), &mut obs)
        .unwrap_err();
    assert!(matches!(err, AnnError::LabelOutOfRange { label: 7, classes: 3, .. }));
    let err = train(&mut net, Labelled::new(x.view(), &y[..5]), None, &TrainConfig::default(), &mut obs)
        .unwrap_err();
    assert!(matches!(err, AnnError::LabelCountMismatch { .. }));
    let mut xn = x.clone();
    xn[[3, 3]] = f32::NAN;
    let err =
        train(&mut net, Labelled::new(xn.view(), &y), None, &TrainConfig::default(), &mut obs).unwrap_err();
    assert!(matches!(err, AnnError::InvalidConfig { name: "inputs", .. }));
    let wide = Array2::zeros((30, 11));
    let err =
        train(&mut net, Labelled::new(wide.view(), &y), None, &TrainConfig::default(), &mut obs).unwrap_err();
    assert!(matches!(err, AnnError::ShapeMismatch { .. }));
}

#[test]
fn divergence_is_reported() {
    let (x, y) = blobs(60, 7);
    let xs = x.mapv(|v| v * 1e18);
    let mut net = Network::init(&[10, 5, 3], false, Init::GlorotUniform, 1).expect("net");
    let cfg = TrainConfig {
        optimizer: Optimizer::sgd(1e6, 0.0),
        epochs: 5,
        batch_size: 10,
        ..TrainConfig::default()
    };
    let err = train(&mut net, Labelled::new(xs.view(), &y), None, &cfg, &mut |_| {}).unwrap_err();
    assert!(matches!(err, AnnError::Diverged { .. }), "{err}");
}
