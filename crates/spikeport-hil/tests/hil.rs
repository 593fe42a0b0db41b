//! HIL training: gradients against finite differences, settings, a backend without weight
//! updates, recovery of analog loss on real MNIST, and resuming from a checkpoint.

#![allow(clippy::unwrap_used)]

use ndarray::{array, Array2, Axis};
use spikeport_analog::{spikey_encoder, spikey_neuron, Analog, Mismatch, Noise, Profile};
use spikeport_hil::*;
use spikeport_snn::{
    Backend, BackendError, Deployed, DynBackend, Placement, PlatformInfo, Recording, RunOutput, Session,
    SnnNetwork, SpikeInput,
};

fn hinge(out: &Array2<f64>, labels: &[u8]) -> f64 {
    let mut total = 0.0;
    for (i, row) in out.rows().into_iter().enumerate() {
        let y = usize::from(labels[i]);
        let other = row.iter().enumerate().filter(|(j, _)| *j != y).map(|(_, &a)| a).fold(f64::MIN, f64::max);
        total += (1.0 + other - row[y]).max(0.0);
    }
    total / out.nrows() as f64
}

#[test]
fn gradients_match_finite_differences_of_the_linear_network() {
    // with the ReLU derivative taken as 1, the gradient is that of the linear network
    let a0 = array![[0.5, 1.0, 0.0], [0.2, 0.3, 0.9]];
    let w = vec![array![[0.3, -0.2], [0.1, 0.4], [0.5, 0.2]], array![[0.7, 0.1, -0.3], [0.2, 0.6, 0.4]]];
    let labels = [2u8, 0];
    let forward = |w: &[Array2<f64>]| {
        let a1 = a0.dot(&w[0]);
        let a2 = a1.dot(&w[1]);
        vec![a0.clone(), a1, a2]
    };
    let acts = forward(&w);
    let (g, loss) = hinge_gradients(&acts, &w, &labels);
    assert!((loss - hinge(&acts[2], &labels)).abs() < 1e-12);
    for l in 0..2 {
        for idx in ndarray::indices(w[l].dim()) {
            let h = 1e-6;
            let mut wp = w.clone();
            wp[l][idx] += h;
            let mut wm = w.clone();
            wm[l][idx] -= h;
            let num = (hinge(&forward(&wp)[2], &labels) - hinge(&forward(&wm)[2], &labels)) / (2.0 * h);
            assert!((g[l][idx] - num).abs() < 1e-6, "layer {l} {idx:?}: {} vs {num}", g[l][idx]);
        }
    }
}

#[test]
fn bad_settings_are_errors() {
    for c in [
        HilConfig { batch_size: 0, ..HilConfig::paper_spikey() },
        HilConfig { epochs: 0, ..HilConfig::paper_spikey() },
        HilConfig { lr: f64::NAN, ..HilConfig::paper_spikey() },
        HilConfig { lr: -0.1, ..HilConfig::paper_spikey() },
        HilConfig { norm_rate_hz: 0.0, ..HilConfig::paper_spikey() },
        HilConfig { clip: Some((1.0, 0.0)), ..HilConfig::paper_spikey() },
    ] {
        assert!(matches!(c.check(), Err(HilError::InvalidConfig { .. })), "{c:?}");
    }
    HilConfig::paper_brainscales().check().unwrap();
}

/// A backend that cannot change weights without re-deploying.
struct Frozen(PlatformInfo);
struct FrozenDep(SnnNetwork);
impl Deployed for FrozenDep {
    fn network(&self) -> &SnnNetwork {
        &self.0
    }
    fn placement(&self) -> Placement {
        Placement::default()
    }
}
impl Backend for Frozen {
    type Deployment = FrozenDep;
    fn info(&self) -> &PlatformInfo {
        &self.0
    }
    fn map(&self, net: &SnnNetwork, _: Placement) -> Result<FrozenDep, BackendError> {
        Ok(FrozenDep(net.clone()))
    }
    fn run(&self, _: &mut FrozenDep, _: &SpikeInput, _: &Recording) -> Result<RunOutput, BackendError> {
        Ok(RunOutput::default())
    }
}

fn spikey_setup(images: usize, offset: usize) -> (spikeport_ann::Model, Array2<f32>, Vec<u8>) {
    let model = spikeport_ann::load_zoo("spikey-net").unwrap();
    let train = spikeport_data::Mnist::load().unwrap().train;
    let idx: Vec<usize> = (offset..offset + images).collect();
    let subset = train.select(&idx).unwrap();
    let x = model.features(&subset).unwrap();
    (model, x, subset.labels().to_vec())
}

#[test]
fn a_backend_without_weight_updates_is_a_clear_error_and_bad_data_too() {
    let (model, x, y) = spikey_setup(10, 0);
    let lif = spikey_neuron().into_model().unwrap();
    let net = spikeport_convert::convert_global(&model.network, &lif, 0.015, 1.0).unwrap().network;
    let b = Frozen(PlatformInfo::new("frozen", 1.0));
    let mut dep = b.session(&net, Placement::from(0)).unwrap();
    let cfg = HilConfig { batch_size: 5, epochs: 1, ..HilConfig::paper_spikey() };
    let enc = spikey_training_encoder();
    let err =
        train(dep.as_mut(), &model.network, 0.01, &enc, x.view(), &y, &cfg, None, &mut |_| Control::Continue)
            .unwrap_err();
    assert!(matches!(err, HilError::Backend(BackendError::Unsupported { .. })), "{err}");
    let err = train(dep.as_mut(), &model.network, 0.01, &enc, x.view(), &y[..3], &cfg, None, &mut |_| {
        Control::Continue
    })
    .unwrap_err();
    assert!(matches!(err, HilError::InvalidData(_)), "{err}");
}

fn accuracy(session: &mut dyn Session, x: &Array2<f32>, y: &[u8]) -> f64 {
    let input = spikey_encoder().encode(x.view()).unwrap();
    session.run(&input, &Recording::counts_only()).unwrap().accuracy_pct(y).unwrap()
}

#[test]
fn hil_recovers_accuracy_on_an_uncalibrated_spikey_chip() {
    let (model, x, y) = spikey_setup(600, 0);
    let (xt, yt) = (x.slice(ndarray::s![400.., ..]).to_owned(), y[400..].to_vec());
    let xtr = x.select(Axis(0), &(0..400).collect::<Vec<_>>());
    let lif = spikey_neuron().into_model().unwrap();
    let max_weight = 0.015;
    let scale = max_weight / f64::from(model.network.max_weight());
    let net = spikeport_convert::convert_global(&model.network, &lif, max_weight, 1.0).unwrap().network;
    let spikey = Analog::spikey().with_mismatch(Mismatch::uncalibrated()).unwrap();
    let mut dep = spikey.session(&net, Placement::from(5)).unwrap();
    let before = accuracy(dep.as_mut(), &xt, &yt);
    let cfg = HilConfig { epochs: 2, ..HilConfig::paper_spikey() };
    let mut batches = 0;
    let r = train(
        dep.as_mut(),
        &model.network,
        scale,
        &spikey_training_encoder(),
        xtr.view(),
        &y[..400],
        &cfg,
        None,
        &mut |e| {
            if matches!(e, HilEvent::Batch { .. }) {
                batches += 1;
            }
            Control::Continue
        },
    )
    .unwrap();
    assert_eq!(batches, 8);
    assert_eq!(r.epoch_accuracy_pct.len(), 2);
    let after = accuracy(dep.as_mut(), &xt, &yt);
    println!(
        "uncalibrated Spikey chip, 200 held-out training images: {before:.1} % → {after:.1} % after HIL"
    );
    assert!(after > before + 2.0, "HIL should recover accuracy: {before} → {after}");
    // the trained weights stay in [0, initial max]
    let top = model.network.max_weight();
    assert!(r.network.layers().iter().all(|l| l.weight().iter().all(|&w| (0.0..=top).contains(&w))));
}

#[test]
fn an_interrupted_run_resumes_to_the_same_weights() {
    let (model, x, y) = spikey_setup(120, 1000);
    let lif = spikey_neuron().into_model().unwrap();
    let scale = 0.015 / f64::from(model.network.max_weight());
    let net = spikeport_convert::convert_global(&model.network, &lif, 0.015, 1.0).unwrap().network;
    // no run-to-run noise, so a fresh deployment after the interruption is the same chip
    let spikey = Analog::new(Profile::spikey(), Mismatch::calibrated(), Noise::none()).unwrap();
    let cfg = HilConfig { batch_size: 40, epochs: 2, ..HilConfig::paper_spikey() };
    let enc = spikey_training_encoder();
    let mut dep = spikey.session(&net, Placement::from(9)).unwrap();
    let whole = train(dep.as_mut(), &model.network, scale, &enc, x.view(), &y, &cfg, None, &mut |_| {
        Control::Continue
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("hil.json");
    let mut dep = spikey.session(&net, Placement::from(9)).unwrap();
    let mut seen = 0;
    let part = train(dep.as_mut(), &model.network, scale, &enc, x.view(), &y, &cfg, Some(&cp), &mut |e| {
        if matches!(e, HilEvent::Batch { .. }) {
            seen += 1;
        }
        if seen == 4 {
            Control::Stop
        } else {
            Control::Continue
        }
    })
    .unwrap();
    assert!(part.stopped);
    let state = read_checkpoint(&cp).unwrap();
    assert_eq!((state.epoch, state.batch), (1, 1));
    let mut dep = spikey.session(&net, Placement::from(9)).unwrap();
    let rest = train(dep.as_mut(), &model.network, scale, &enc, x.view(), &y, &cfg, Some(&cp), &mut |_| {
        Control::Continue
    })
    .unwrap();
    assert!(!rest.stopped);
    for (a, b) in whole.network.layers().iter().zip(rest.network.layers()) {
        assert_eq!(a.weight(), b.weight());
    }
    assert_eq!(whole.epoch_accuracy_pct, rest.epoch_accuracy_pct);
    assert_ne!(
        whole.network.layers()[1].weight(),
        model.network.layers()[1].weight(),
        "training changed weights"
    );
}

#[test]
fn the_default_clip_keeps_every_weight_on_its_side_of_zero() {
    // nas63 has inhibitory (negative) weights; the paper's [0, max] clip would zero them all
    let model = spikeport_ann::load_zoo("nas63").unwrap();
    let train_set = spikeport_data::Mnist::load().unwrap().train.take(20).unwrap();
    let x = model.features(&train_set).unwrap();
    let y = train_set.labels().to_vec();
    let lif = spikeport_analog::brainscales_neuron().into_model().unwrap();
    let net = spikeport_convert::convert_global(&model.network, &lif, 0.02, 1.0).unwrap().network;
    let b = Analog::new(Profile::brainscales(), Mismatch::ideal(), Noise::none()).unwrap();
    let mut dep = b.session(&net, Placement::from(0)).unwrap();
    // a large step, so that many weights are pushed to their bounds
    let cfg = HilConfig { batch_size: 10, epochs: 1, lr: 5.0, ..HilConfig::paper_brainscales() };
    let scale = 0.02 / f64::from(model.network.max_weight());
    let enc = spikeport_analog::brainscales_encoder();
    let r = train(dep.as_mut(), &model.network, scale, &enc, x.view(), &y, &cfg, None, &mut |_| {
        Control::Continue
    })
    .unwrap();
    let (mut negative, mut moved) = (0usize, 0usize);
    // the initial extremes over all layers
    let all = || model.network.layers().iter().flat_map(|l| l.weight().iter().copied().collect::<Vec<_>>());
    let (lo, hi) = (all().fold(0.0f32, f32::min), all().fold(0.0f32, f32::max));
    for (before, after) in model.network.layers().iter().zip(r.network.layers()) {
        let (w0, w1) = (before.weight(), after.weight());
        for (&a, &b) in w0.iter().zip(w1.iter()) {
            if a < 0.0 {
                assert!(b <= 0.0 && b >= lo - 1e-6, "a negative weight left its range: {a} -> {b}");
                negative += usize::from(b < 0.0);
            } else {
                assert!(b >= 0.0 && b <= hi + 1e-6, "a non-negative weight left its range: {a} -> {b}");
            }
            moved += usize::from(a != b);
        }
    }
    assert!(moved > 100, "the step changed weights ({moved})");
    assert!(negative > 1000, "inhibition survives training ({negative} negative weights)");
}
