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
fn a_resume_with_trial_to_trial_noise_is_bit_identical_to_the_uninterrupted_run() {
    // the chip's noise depends on the run counter: the checkpoint carries it, so a fresh
    // deployment (a new process) continues with the noise the whole run drew
    let (model, x, y) = spikey_setup(120, 1000);
    let lif = spikey_neuron().into_model().unwrap();
    let scale = 0.015 / f64::from(model.network.max_weight());
    let net = spikeport_convert::convert_global(&model.network, &lif, 0.015, 1.0).unwrap().network;
    let spikey = Analog::new(Profile::spikey(), Mismatch::calibrated(), Noise::default_hardware()).unwrap();
    let cfg = HilConfig { batch_size: 40, epochs: 2, ..HilConfig::paper_spikey() };
    let enc = spikey_training_encoder();
    let go = |cp: Option<&std::path::Path>, stop_after: Option<usize>| {
        let mut dep = spikey.session(&net, Placement::from(3)).unwrap();
        let mut seen = 0;
        train(dep.as_mut(), &model.network, scale, &enc, x.view(), &y, &cfg, cp, &mut |e| {
            seen += usize::from(matches!(e, HilEvent::Batch { .. }));
            if Some(seen) == stop_after {
                Control::Stop
            } else {
                Control::Continue
            }
        })
        .unwrap()
    };
    let whole = go(None, None);
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("hil.json");
    // interrupted twice, each time resumed on a fresh deployment
    assert!(go(Some(&cp), Some(2)).stopped);
    assert!(go(Some(&cp), Some(2)).stopped);
    assert_eq!(read_checkpoint(&cp).unwrap().runs, 4);
    let rest = go(Some(&cp), None);
    for (a, b) in whole.network.layers().iter().zip(rest.network.layers()) {
        let bits = |w: ndarray::ArrayView2<'_, f32>| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a.weight()), bits(b.weight()));
    }
    assert_eq!(whole.epoch_accuracy_pct, rest.epoch_accuracy_pct);
}

#[test]
fn a_checkpoint_of_other_settings_is_refused_naming_the_field() {
    let (model, x, y) = spikey_setup(80, 0);
    let lif = spikey_neuron().into_model().unwrap();
    let scale = 0.015 / f64::from(model.network.max_weight());
    let net = spikeport_convert::convert_global(&model.network, &lif, 0.015, 1.0).unwrap().network;
    let spikey = Analog::new(Profile::spikey(), Mismatch::calibrated(), Noise::none()).unwrap();
    let cfg = HilConfig { batch_size: 20, epochs: 1, ..HilConfig::paper_spikey() };
    let enc = spikey_training_encoder();
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("hil.json");
    let go = |seed: u64, n: usize, cfg: &HilConfig| {
        let mut dep = spikey.session(&net, Placement::from(seed)).unwrap();
        train(
            dep.as_mut(),
            &model.network,
            scale,
            &enc,
            x.slice(ndarray::s![..n, ..]),
            &y[..n],
            cfg,
            Some(&cp),
            &mut |_| Control::Stop,
        )
    };
    assert!(go(0, 80, &cfg).unwrap().stopped);
    let before = std::fs::read(&cp).unwrap();
    // another chip
    let err = go(7, 80, &cfg).unwrap_err().to_string();
    assert!(err.contains("seed = 0 (this run: 7)"), "{err}");
    // fewer training images than the checkpoint's position once stalled the loop forever
    let err = go(0, 20, &cfg).unwrap_err().to_string();
    assert!(err.contains("train_images = 80 (this run: 20)"), "{err}");
    // another batch size
    let err = go(0, 80, &HilConfig { batch_size: 40, ..cfg.clone() }).unwrap_err().to_string();
    assert!(err.contains("hil_config"), "{err}");
    // another platform: the same network on BrainScaleS
    let bss = Analog::new(Profile::brainscales(), Mismatch::calibrated(), Noise::none()).unwrap();
    let mut dep = bss.session(&net, Placement::from(0)).unwrap();
    let err = train(dep.as_mut(), &model.network, scale, &enc, x.view(), &y, &cfg, Some(&cp), &mut |_| {
        Control::Stop
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("platform = \"Spikey\" (this run: \"BrainScaleS"), "{err}");
    assert_eq!(std::fs::read(&cp).unwrap(), before, "a refused resume leaves the checkpoint alone");
    // more epochs continue the same run (epochs are not part of the fingerprint)
    let more = HilConfig { epochs: 2, ..cfg.clone() };
    assert!(go(0, 80, &more).is_ok());
    // a checkpoint of an older spikeport (no version, no fingerprint) is refused clearly
    let mut old: serde_json::Value = serde_json::from_slice(&before).unwrap();
    for k in ["version", "fingerprint", "runs"] {
        old.as_object_mut().unwrap().remove(k);
    }
    std::fs::write(&cp, serde_json::to_vec(&old).unwrap()).unwrap();
    let err = go(0, 80, &cfg).unwrap_err().to_string();
    assert!(err.contains("older spikeport"), "{err}");
    // a hand-edited position past the epoch is an error, not a loop without progress
    let mut cp_state: serde_json::Value = serde_json::from_slice(&before).unwrap();
    cp_state["batch"] = serde_json::json!(9);
    std::fs::write(&cp, serde_json::to_vec(&cp_state).unwrap()).unwrap();
    let err = go(0, 80, &cfg).unwrap_err().to_string();
    assert!(err.contains("past the 4 batches"), "{err}");
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

// ---------------------------------------------------------------------------------------
// SNABSuite's rules (HilConfig::norm_hidden / norm_last, hinge, update, skip_incomplete),
// each against a hand computation on a toy network.
// ---------------------------------------------------------------------------------------

fn close(a: &Array2<f64>, b: &Array2<f64>) -> bool {
    a.dim() == b.dim() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
}

#[test]
fn counts_become_activations_by_rate_or_by_a_constant_per_layer_kind() {
    // a 2-2-3 network, one image: input, hidden and output counts
    let counts = vec![array![[4u32, 2]], array![[3u32, 1]], array![[5u32, 10, 0]]];
    // spikeport: count ÷ (0.2 s × 10 Hz) = count ÷ 2 in every layer
    let rate = HilConfig { norm_rate_hz: 10.0, ..HilConfig::paper_spikey() };
    let a = activations(&counts, 200.0, &rate);
    assert!(close(&a[0], &array![[2.0, 1.0]]) && close(&a[1], &array![[1.5, 0.5]]));
    assert!(close(&a[2], &array![[2.5, 5.0, 0.0]]));
    // SNABSuite's Spikey setting: input and hidden ÷ 1 (raw counts), output ÷ 5, whatever
    // the duration
    let snab = HilConfig::snabsuite_spikey();
    for duration_ms in [180.0, 300.0] {
        let a = activations(&counts, duration_ms, &snab);
        assert!(close(&a[0], &array![[4.0, 2.0]]) && close(&a[1], &array![[3.0, 1.0]]));
        assert!(close(&a[2], &array![[1.0, 2.0, 0.0]]));
    }
    // the two kinds can be mixed: hidden by rate, output by count
    let mixed = HilConfig { norm_last: Norm::Count(2.5), ..rate };
    let a = activations(&counts, 200.0, &mixed);
    assert!(close(&a[1], &array![[1.5, 0.5]]) && close(&a[2], &array![[2.0, 4.0, 0.0]]));
    // bad divisors are errors
    for bad in [0.0, -1.0, f64::NAN] {
        let c = HilConfig { norm_hidden: Norm::Count(bad), ..HilConfig::snabsuite_spikey() };
        assert!(matches!(c.check(), Err(HilError::InvalidConfig { name: "norm_hidden", .. })), "{bad}");
        let c = HilConfig { norm_last: Norm::Count(bad), ..HilConfig::snabsuite_spikey() };
        assert!(matches!(c.check(), Err(HilError::InvalidConfig { name: "norm_last", .. })), "{bad}");
    }
    HilConfig::snabsuite_spikey().check().unwrap();
    HilConfig::snabsuite_brainscales().check().unwrap();
}

#[test]
fn the_two_hinge_rules_differ_only_at_a_margin_of_exactly_one_and_for_silent_outputs() {
    let out = array![
        [1.0, 2.0, 0.0], // label 0, wrong output 1 leads: both rules push 0 up, 1 down
        [2.0, 1.0, 0.0], // label 0 leads by exactly 1: SNABSuite's ≥ still steps
        [0.0, 0.0, 0.0], // all silent, label 0: SNABSuite's argmax picks the label itself
        [0.0, 0.0, 0.0], // all silent, label 2: both pick output 0
        [3.0, 0.0, 0.5], // label 0 leads by 2.5: no error
    ];
    let labels = [0u8, 0, 0, 2, 0];
    let (strict, loss) = hinge_errors(&out, &labels, Hinge::Strict);
    let expect_strict =
        array![[-1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, 0.0, 0.0]];
    assert!(close(&strict, &expect_strict), "{strict}");
    // losses 2, 0, 1, 1, 0
    assert!((loss - 0.8).abs() < 1e-12, "{loss}");
    let (snab, loss_snab) = hinge_errors(&out, &labels, Hinge::Snabsuite);
    let expect_snab =
        array![[-1.0, 1.0, 0.0], [-1.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [1.0, 0.0, -1.0], [0.0, 0.0, 0.0]];
    assert!(close(&snab, &expect_snab), "{snab}");
    assert_eq!(loss, loss_snab);
    // hinge_gradients is the strict rule's batch mean
    let acts = vec![array![[1.0], [1.0], [1.0], [1.0], [1.0]], out.clone()];
    let w = vec![array![[0.1, 0.2, 0.3]]];
    let (g, l) = hinge_gradients(&acts, &w, &labels);
    assert!(close(&g[0], &array![[-1.0 / 5.0, 2.0 / 5.0, -1.0 / 5.0]]), "{}", g[0]);
    assert_eq!(l, loss);
}

/// The toy 2-2-3 network of the step tests: weights, and two images whose activations are
/// equal and whose errors cancel (image A: label 0, output 1 leads; image B: label 1,
/// output 0 leads).
fn toy() -> (Vec<Array2<f64>>, Vec<Array2<f64>>, [u8; 2]) {
    let w = vec![array![[0.5, 0.2], [0.1, 0.4]], array![[0.3, 0.1, 0.6], [0.2, 0.5, 0.1]]];
    let acts = vec![
        array![[1.0, 0.0], [1.0, 0.0]],
        array![[1.0, 0.0], [1.0, 0.0]],
        array![[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]],
    ];
    (w, acts, [0, 1])
}

#[test]
fn per_sample_steps_clip_after_every_image_and_backpropagate_through_the_batch_start_weights() {
    let (w0, acts, labels) = toy();
    let cfg = HilConfig { lr: 1.0, clip: Some((0.0, 1.0)), ..HilConfig::paper_spikey() };
    // batch mean: the two errors cancel, nothing moves
    let mut w = w0.clone();
    let loss = step(&mut w, &w0, (0.0, 1.0), &acts, &labels, &cfg);
    assert!((loss - 2.0).abs() < 1e-12, "{loss}");
    assert!(close(&w[0], &w0[0]) && close(&w[1], &w0[1]));
    // per sample, lr / batch = 0.5:
    // A: e = (−1, +1, 0); W1 row 0 −= 0.5·1·e → (0.8, −0.4, 0.6), clipped to (0.8, 0, 0.6);
    //    δ_hidden = W1(start)·e = (−0.3 + 0.1, −0.2 + 0.5) = (−0.2, 0.3);
    //    W0 row 0 −= 0.5·1·δ → (0.6, 0.05)
    // B: e = (+1, −1, 0); W1 row 0 → (0.3, 0.5, 0.6);
    //    δ_hidden = W1(start)·e = (0.2, −0.3) (with the updated W1 it would be (0.8, −0.3));
    //    W0 row 0 → (0.5, 0.2)
    let per = HilConfig { update: Update::PerSample, ..cfg.clone() };
    let mut w = w0.clone();
    step(&mut w, &w0, (0.0, 1.0), &acts, &labels, &per);
    assert!(close(&w[1], &array![[0.3, 0.5, 0.6], [0.2, 0.5, 0.1]]), "{}", w[1]);
    assert!(close(&w[0], &array![[0.5, 0.2], [0.1, 0.4]]), "{}", w[0]);
    // without clipping the image by image steps sum to the batch-mean step
    let wide = HilConfig { clip: Some((-10.0, 10.0)), ..per.clone() };
    let acts2 = vec![
        array![[1.0, 0.5], [0.2, 1.0]],
        array![[0.7, 0.3], [0.4, 0.9]],
        array![[0.1, 1.0, 0.3], [0.6, 0.2, 0.0]],
    ];
    let (mut a, mut b) = (w0.clone(), w0.clone());
    step(&mut a, &w0, (-10.0, 10.0), &acts2, &labels, &wide);
    step(
        &mut b,
        &w0,
        (-10.0, 10.0),
        &acts2,
        &labels,
        &HilConfig { update: Update::BatchMean, ..wide.clone() },
    );
    assert!(close(&a[0], &b[0]) && close(&a[1], &b[1]));
    assert!(!close(&a[0], &w0[0]), "the lower layer moved");
    // last layer only: the lower layer stays
    let mut w = w0.clone();
    step(&mut w, &w0, (0.0, 1.0), &acts, &labels, &HilConfig { last_layer_only: true, ..per });
    assert!(close(&w[0], &w0[0]) && close(&w[1], &array![[0.3, 0.5, 0.6], [0.2, 0.5, 0.1]]));
}

/// A backend that reports fixed spike counts and remembers how many images each run held.
struct Counting(PlatformInfo, std::sync::Arc<std::sync::Mutex<Vec<usize>>>);
struct CountingDep(SnnNetwork);
impl Deployed for CountingDep {
    fn network(&self) -> &SnnNetwork {
        &self.0
    }
    fn placement(&self) -> Placement {
        Placement::default()
    }
}
impl Backend for Counting {
    type Deployment = CountingDep;
    fn info(&self) -> &PlatformInfo {
        &self.0
    }
    fn map(&self, net: &SnnNetwork, _: Placement) -> Result<CountingDep, BackendError> {
        Ok(CountingDep(net.clone()))
    }
    fn run(
        &self,
        dep: &mut CountingDep,
        input: &SpikeInput,
        _: &Recording,
    ) -> Result<RunOutput, BackendError> {
        let n = input.n_images();
        self.1.lock().unwrap().push(n);
        let counts = dep.0.sizes().iter().map(|&s| Array2::from_elem((n, s), 1u32)).collect();
        Ok(RunOutput { counts, ..RunOutput::default() })
    }
    fn update_weights(
        &self,
        _: &mut CountingDep,
        _: usize,
        _: ndarray::ArrayView2<'_, f64>,
    ) -> Result<(), BackendError> {
        Ok(())
    }
}

#[test]
fn incomplete_batches_are_skipped_only_when_asked() {
    let (model, x, y) = spikey_setup(250, 0);
    let lif = spikey_neuron().into_model().unwrap();
    let net = spikeport_convert::convert_global(&model.network, &lif, 0.015, 1.0).unwrap().network;
    let runs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let b = Counting(PlatformInfo::new("counting", 1.0), runs.clone());
    let enc = spikey_training_encoder();
    let go = |cfg: &HilConfig, n: usize| {
        runs.lock().unwrap().clear();
        let mut dep = b.session(&net, Placement::from(0)).unwrap();
        let mut batches = 0;
        let r = train(
            dep.as_mut(),
            &model.network,
            0.01,
            &enc,
            x.slice(ndarray::s![..n, ..]),
            &y[..n],
            cfg,
            None,
            &mut |e| {
                if let HilEvent::Batch { batches: per_epoch, .. } = e {
                    batches = per_epoch;
                }
                Control::Continue
            },
        );
        (r.map(|_| batches), runs.lock().unwrap().clone())
    };
    let keep = HilConfig { epochs: 2, ..HilConfig::paper_spikey() };
    let (batches, sizes) = go(&keep, 250);
    assert_eq!((batches.unwrap(), sizes), (3, vec![100, 100, 50, 100, 100, 50]));
    assert_eq!(keep.batches_per_epoch(250), 3);
    let skip = HilConfig { skip_incomplete: true, ..keep };
    let (batches, sizes) = go(&skip, 250);
    assert_eq!((batches.unwrap(), sizes), (2, vec![100; 4]));
    assert_eq!((skip.batches_per_epoch(250), skip.batches_per_epoch(50)), (2, 0));
    // fewer images than one batch leave nothing to train
    let (r, sizes) = go(&skip, 50);
    assert!(matches!(r, Err(HilError::InvalidData(_))), "{r:?}");
    assert!(sizes.is_empty());
}

#[test]
fn configs_without_the_new_fields_still_read_and_the_presets_are_snabsuites() {
    let old = r#"{"batch_size":100,"epochs":5,"lr":0.02,"norm_rate_hz":70.0,"clip":null,
        "last_layer_only":false,"seed":0}"#;
    let c: HilConfig = serde_json::from_str(old).unwrap();
    assert_eq!(c, HilConfig::paper_spikey());
    let s = HilConfig::snabsuite_spikey();
    assert_eq!((s.batch_size, s.epochs, s.lr), (100, 5, 0.02));
    assert_eq!((s.norm_hidden, s.norm_last), (Norm::Count(1.0), Norm::Count(5.0)));
    assert_eq!((s.update, s.hinge, s.skip_incomplete), (Update::PerSample, Hinge::Snabsuite, true));
    let round: HilConfig = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(round, s);
    let b = HilConfig::snabsuite_brainscales();
    assert_eq!((b.batch_size, b.epochs, b.lr), (500, 5, 0.008));
    assert_eq!((b.norm_hidden, b.norm_last), (Norm::Count(5.0), Norm::Count(5.0)));
}
