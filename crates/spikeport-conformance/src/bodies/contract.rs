//! The contract: errors, absurd requests, activity counters, weight updates, network copies, models and recurrence.

use super::*;

/// Typed errors, never panics: an input of the wrong size or whose period the time step
/// does not divide (`InvalidInput`); recordings of populations, neurons or images that do
/// not exist and checkpoint intervals that are not > 0 (`InvalidRecording`); a batch over
/// the platform's `max_batch` (`ResourceLimit`); with the fixture's [`Limit`] hook, a
/// smaller batch limit, a memory limit and a missing neuron model. An empty batch is
/// fine. (Absurd requests: [`absurd_requests`].)
pub fn errors(fx: &Fixture) {
    let b = fx.backend(Mode::AsConfigured);
    let dt = fx.dt_ms();
    let traces = fx.supports(Feature::MembraneTraces);
    let net = grid_chain(fx, &[6, 4, 2], 3);
    let mut s = deploy(fx, &*b, &net, Placement::from(0));
    let enc = Encoder::regular(100.0, 20.0, 10.0).unwrap();
    let good = enc.encode(random_images(3, 6, 1).view()).unwrap();
    let wrong = enc.encode(random_images(1, 5, 1).view()).unwrap();
    let err = s.run(&wrong, &Recording::counts_only()).unwrap_err();
    assert!(matches!(err, BackendError::InvalidInput { .. }), "{}: {err}", fx.name());
    // a time step that does not divide the image period
    let odd = SpikeInput::new(6, 20.0 + dt / 2.0, 0.0, &[vec![Vec::new(); 6]]).unwrap();
    let err = s.run(&odd, &Recording::counts_only()).unwrap_err();
    assert!(matches!(err, BackendError::InvalidInput { .. }), "{}: {err}", fx.name());
    let mut bad = vec![
        Recording::counts_only().with_spikes(NeuronSelection::all(3)),
        Recording::counts_only().with_spikes(NeuronSelection::list(2, vec![0, 2])),
        Recording::counts_only().with_checkpoints(0.0),
        Recording::counts_only().with_checkpoints(f64::NAN),
        Recording::counts_only().with_spikes(NeuronSelection::all(1)).for_images(2..4),
    ];
    let bad_trace = Recording::counts_only().with_membrane(NeuronSelection::list(1, vec![0, 4]));
    if traces {
        bad.push(bad_trace);
    } else {
        fx.expect_unsupported(&*b, Feature::MembraneTraces, s.run(&good, &bad_trace));
    }
    for rec in bad {
        let err = s.run(&good, &rec).unwrap_err();
        assert!(matches!(err, BackendError::InvalidRecording { .. }), "{}: {rec:?}: {err}", fx.name());
    }
    // the platform's batch limit
    if let Some(limit) = b.platform().max_batch {
        let many = silent_input(6, limit + 1, 20.0, 10.0);
        let err = s.run(&many, &Recording::counts_only()).unwrap_err();
        assert!(
            matches!(err, BackendError::ResourceLimit { requested, limit: l, .. } if requested == limit + 1 && l == limit),
            "{}: {err}",
            fx.name()
        );
    }
    // limits through the fixture's hook
    if let Some(small) = fx.limited(&Limit::MaxBatch(2)) {
        let mut s = deploy(fx, &*small, &net, Placement::from(0));
        let err = s.run(&good, &Recording::counts_only()).unwrap_err();
        assert!(
            matches!(err, BackendError::ResourceLimit { requested: 3, limit: 2, .. }),
            "{}: {err}",
            fx.name()
        );
        assert!(s.run(&good.to_slice(0..2).unwrap(), &Recording::counts_only()).is_ok());
    }
    if let (true, Some(small)) = (traces, fx.limited(&Limit::MemoryBytes(20_000))) {
        // 40 images: counts take 2 kB, traces of 4 neurons ≥ 38 kB (limit 20 kB)
        let many = enc.encode(random_images(40, 6, 2).view()).unwrap();
        let mut s = deploy(fx, &*small, &net, Placement::from(0));
        let err = s.run(&many, &Recording::counts_only().with_membrane(NeuronSelection::all(1))).unwrap_err();
        assert!(matches!(err, BackendError::ResourceLimit { .. }), "{}: {err}", fx.name());
        assert!(s.run(&many, &Recording::counts_only()).is_ok());
    }
    if let Some(only_curr) = fx.limited(&Limit::Models(vec![ModelKind::IfCurrExp])) {
        let Err(err) = only_curr.session(&net, Placement::from(0)) else {
            panic!("{}: IF_cond_exp deployed on an IF_curr_exp-only backend", fx.name())
        };
        assert!(matches!(err, BackendError::Unsupported { .. }), "{}: {err}", fx.name());
        assert!(err.to_string().contains("IF_cond_exp"), "{}: {err}", fx.name());
    }
    // an empty batch is fine
    let empty = SpikeInput::from_compressed(6, 20.0, 10.0, vec![0], vec![]).unwrap();
    let out = s.run(&empty, &Recording::counts_only().with_checkpoints(10.0)).unwrap();
    assert_eq!(out.counts[2].dim(), (0, 2));
    assert_eq!(out.activity.images, 0);
}

/// Absurd requests are refused with a typed error before anything is allocated, never a
/// panic: a delay of 1e300 ms (at deployment or at the run), a checkpoint every 1e-12 ms,
/// and (where traces are supported) membrane traces of 10,000 images of 1,000 s.
pub fn absurd_requests(fx: &Fixture) {
    let b = fx.backend(Mode::AsConfigured);
    let net = grid_chain(fx, &[6, 4, 2], 3);
    let good = Encoder::regular(100.0, 20.0, 10.0).unwrap().encode(random_images(3, 6, 1).view()).unwrap();
    let (pops, mut projs) = net.clone().into_parts();
    projs[1].delay_ms = 1e300;
    let far = SnnNetwork::new(pops, projs).unwrap();
    let err = expect_typed_error(fx, "a delay of 1e300 ms", || {
        let mut s = b.session(&far, Placement::from(0))?;
        s.run(&good, &Recording::counts_only()).map(|_| ())
    });
    assert!(
        matches!(
            err,
            BackendError::ResourceLimit { .. }
                | BackendError::DoesNotFit { .. }
                | BackendError::Unsupported { .. }
                | BackendError::InvalidNetwork(_)
        ),
        "{}: a delay of 1e300 ms: {err}",
        fx.name()
    );
    let mut s = deploy(fx, &*b, &net, Placement::from(0));
    let err = expect_typed_error(fx, "a checkpoint every 1e-12 ms", || {
        s.run(&good, &Recording::counts_only().with_checkpoints(1e-12)).map(|_| ())
    });
    assert!(matches!(err, BackendError::ResourceLimit { .. }), "{}: {err}", fx.name());
    if fx.supports(Feature::MembraneTraces) {
        let images = b.platform().max_batch.unwrap_or(10_000).min(10_000);
        let long = silent_input(6, images, 1e6, 0.0);
        let rec = Recording::counts_only().with_membrane(NeuronSelection::all(1));
        let err = expect_typed_error(fx, "membrane traces of 10,000 images of 1,000 s", || {
            s.run(&long, &rec).map(|_| ())
        });
        assert!(matches!(err, BackendError::ResourceLimit { .. }), "{}: {err}", fx.name());
    }
}

/// Activity counters: input spikes delivered, neuron updates, synaptic events = Σ spikes
/// × non-zero synapses of the row (spikes that would arrive after the end are not
/// propagated), biological time, the run's span, and hardware time (the wall time for
/// software simulators, the span ÷ speed-up for hardware models).
pub fn activity_counters(fx: &Fixture) {
    let b = fx.backend(Mode::AsConfigured);
    let dt = fx.dt_ms();
    let net = grid_chain(fx, &[10, 8, 3], 4);
    // some zero weights: not synapses, not events
    let (pops, mut projs) = net.into_parts();
    projs[0].weights.row_mut(2).fill(0.0);
    projs[1].weights[[0, 1]] = 0.0;
    let net = SnnNetwork::new(pops, projs).unwrap();
    let input = Encoder::regular(120.0, 40.0, 10.0).unwrap().encode(random_images(3, 10, 6).view()).unwrap();
    let rec = Recording::counts_only().with_spikes(NeuronSelection::all(1));
    let out = run_fresh(fx, &*b, &net, &input, &rec);
    let a = &out.activity;
    let steps = steps_of(50.0, dt) as u64;
    assert_eq!(a.images, 3);
    assert_eq!(a.spikes[0], input.total_spikes() as u64, "{}: input spikes", fx.name());
    assert_eq!(a.neuron_updates, 11 * steps * 3, "{}: neuron updates", fx.name());
    assert!((a.bio_time_ms - 150.0).abs() < 1e-9);
    assert!((a.run_bio_ms - 150.0).abs() < 1e-9, "{}: one copy runs all images: {}", fx.name(), a.run_bio_ms);
    assert!(a.wall_time_s > 0.0);
    match b.platform().speedup {
        None => assert_eq!(a.hardware_time_s, a.wall_time_s, "{}: software time is wall time", fx.name()),
        Some(speedup) => {
            let want = a.run_bio_ms * 1e-3 / speedup;
            assert!(
                (a.hardware_time_s - want).abs() <= 1e-12 * want.max(1.0),
                "{}: {} s vs {want} s",
                fx.name(),
                a.hardware_time_s
            );
        }
    }
    let row_syn = |w: &Array2<f64>, j: usize| w.row(j).iter().filter(|x| **x != 0.0).count() as u64;
    let w0 = &net.projections()[0].weights;
    let expected0: u64 = (0..3)
        .flat_map(|i| {
            input
                .image_trains(i)
                .enumerate()
                .map(|(j, t)| t.len() as u64 * row_syn(w0, j))
                .collect::<Vec<_>>()
        })
        .sum();
    assert_eq!(a.synaptic_events[0], expected0, "{}: events of projection 0", fx.name());
    let w1 = &net.projections()[1].weights;
    let last = steps as f64 * dt - delay_steps(1.0, dt) as f64 * dt; // later spikes never arrive
    let expected1: u64 = out.spikes[0]
        .times_ms
        .iter()
        .flat_map(|img| {
            img.iter()
                .enumerate()
                .map(|(j, t)| t.iter().filter(|&&x| x < last - 1e-9).count() as u64 * row_syn(w1, j))
        })
        .sum();
    assert_eq!(a.synaptic_events[1], expected1, "{}: events of projection 1", fx.name());
    assert!(a.spikes[1] > 0 && a.spikes[2] > 0);
    let recorded: usize = out.spikes[0].times_ms.iter().flatten().map(Vec::len).sum();
    assert_eq!(a.spikes[1], recorded as u64, "{}: activity counts every recorded spike", fx.name());
}

/// Weight updates: replacing a projection's weights in place gives the same run as a
/// fresh deployment of the updated network with the same seed (within
/// [`Tolerances::counts`], trial-to-trial noise off) — for all-zero weights (the output
/// falls silent, the other layers do not change), for another matrix, and back to the
/// original (the first run again); an update of the wrong shape, projection or with a
/// non-finite weight is a typed error and changes nothing. Without updates: the typed
/// error.
///
/// [`Tolerances::counts`]: crate::Tolerances::counts
pub fn weight_updates(fx: &Fixture) {
    let b = fx.backend(Mode::Noiseless);
    let net = grid_chain(fx, &[10, 8, 3], 1);
    let seed = Placement::from(5);
    let mut s = deploy(fx, &*b, &net, seed);
    let w = net.projections()[1].weights.clone();
    if !fx.supports(Feature::WeightUpdates) {
        fx.expect_unsupported(&*b, Feature::WeightUpdates, s.update_weights(1, w.view()));
        return;
    }
    let input = Encoder::regular(120.0, 40.0, 10.0).unwrap().encode(random_images(3, 10, 3).view()).unwrap();
    let rec = Recording::counts_only().with_spikes(NeuronSelection::all(2));
    let fresh = |n: &SnnNetwork| run_at(fx, &*b, n, seed, &input, &rec);
    let with = |k: usize, m: &Array2<f64>| {
        let mut n = net.clone();
        n.set_weights(k, m.view()).unwrap();
        n
    };
    let before = s.run(&input, &rec).unwrap();
    assert!(before.counts[2].sum() > 0, "{}: the output layer spikes", fx.name());
    let zeros = Array2::zeros(w.dim());
    s.update_weights(1, zeros.view()).unwrap();
    let silent = s.run(&input, &rec).unwrap();
    assert_eq!(silent.counts[2].sum(), 0, "{}: all-zero weights silence the output", fx.name());
    assert_eq!(silent.activity.synaptic_events[1], 0);
    assert_eq!(silent.counts[1], before.counts[1], "{}: the hidden layer does not change", fx.name());
    assert!(s.network().projections()[1].weights.iter().all(|&x| x == 0.0));
    assert_agree(fx, "zero weights: update vs fresh deployment", &silent, &fresh(&with(1, &zeros)));
    // another matrix, on both projections
    let other = grid_chain(fx, &[10, 8, 3], 77);
    for k in [1, 0] {
        let m = other.projections()[k].weights.clone();
        s.update_weights(k, m.view()).unwrap();
    }
    let updated = s.run(&input, &rec).unwrap();
    assert_agree(fx, "another network: update vs fresh deployment", &updated, &fresh(&other));
    assert_ne!(updated.counts, before.counts, "{}: the update changed the output", fx.name());
    // back to the original
    for k in [0, 1] {
        s.update_weights(k, net.projections()[k].weights.view()).unwrap();
    }
    assert_agree(fx, "updated back: vs the first run", &s.run(&input, &rec).unwrap(), &before);
    // bad updates are typed errors and change nothing
    let err = s.update_weights(1, Array2::zeros((3, 3)).view()).unwrap_err();
    assert!(
        matches!(err, BackendError::InvalidNetwork(SnnError::WeightShape { .. })),
        "{}: {err}",
        fx.name()
    );
    let err = s.update_weights(2, w.view()).unwrap_err();
    assert!(
        matches!(err, BackendError::InvalidNetwork(SnnError::ProjectionOutOfRange { .. })),
        "{}: {err}",
        fx.name()
    );
    let mut nan = w.clone();
    nan[[0, 0]] = f64::NAN;
    let err = s.update_weights(1, nan.view()).unwrap_err();
    assert!(
        matches!(err, BackendError::InvalidNetwork(SnnError::NonFiniteWeight { .. })),
        "{}: {err}",
        fx.name()
    );
    assert_eq!(s.network(), &net, "{}: refused updates leave the network", fx.name());
    let after = s.run(&input, &rec).unwrap();
    assert_agree(fx, "after refused updates", &after, &before);
}

/// Network copies are independent (mismatch and noise off): [`max_copies`] fits at least
/// one and at most the limit, with a `DoesNotFit` binding constraint that one more copy
/// hits (or none when the limit was reached); under `Reset`, k copies give the counts and
/// spikes of one (within [`Tolerances::counts`]) and span ⌈n/k⌉ images; an explicit copy
/// layout is honoured and one beyond the deployment refused; under `Continuous`, each
/// copy's share of the batch equals that share run alone on one copy (or the typed error
/// without the boundary).
///
/// [`max_copies`]: spikeport_snn::DynBackend::max_copies_fit
/// [`Tolerances::counts`]: crate::Tolerances::counts
pub fn network_copies(fx: &Fixture) {
    let b = fx.backend(Mode::Ideal);
    let net = grid_chain(fx, &[20, 12, 4], 21);
    let limit = 4096;
    let fit = b.max_copies_fit(&net, limit).unwrap();
    eprintln!(
        "{}: {} of at most {limit} copies fit; binding: {}",
        fx.name(),
        fit.copies,
        fit.binding.as_ref().map_or("none".to_string(), ToString::to_string)
    );
    assert!((1..=limit).contains(&fit.copies), "{}: {} copies", fx.name(), fit.copies);
    assert_eq!(fit.mapping.copies, fit.copies);
    assert_eq!(b.fit_copies(&net, fit.copies).unwrap(), fit.mapping);
    match &fit.binding {
        None => assert_eq!(fit.copies, limit, "{}: no binding constraint below the limit", fx.name()),
        Some(BackendError::DoesNotFit { .. }) => {
            let err = b.fit_copies(&net, fit.copies + 1).unwrap_err();
            assert!(matches!(err, BackendError::DoesNotFit { .. }), "{}: {err}", fx.name());
            let Err(err) = b.session(&net, Placement::from(0).with_copies(fit.copies + 1)) else {
                panic!("{}: one copy more than fit was deployed", fx.name())
            };
            assert!(matches!(err, BackendError::DoesNotFit { .. }), "{}: {err}", fx.name());
        }
        Some(other) => panic!("{}: the binding constraint is not DoesNotFit: {other:?}", fx.name()),
    }
    for err in [
        b.fit_copies(&net, 0).unwrap_err(),
        b.max_copies_fit(&net, 0).unwrap_err(),
        b.session(&net, Placement::from(0).with_copies(0)).err().unwrap(),
    ] {
        assert!(matches!(err, BackendError::InvalidInput { .. }), "{}: zero copies: {err}", fx.name());
    }
    let k = fit.copies.min(3);
    let n = 7;
    let input = Encoder::regular(120.0, 40.0, 10.0).unwrap().encode(random_images(n, 20, 4).view()).unwrap();
    let rec = Recording::counts_only().with_spikes(NeuronSelection::all(2));
    let one = run_fresh(fx, &*b, &net, &input, &rec);
    assert!(one.counts[2].sum() > 0, "{}: the output layer spikes", fx.name());
    let at = Placement::from(0).with_copies(k);
    let mut s = deploy(fx, &*b, &net, at);
    assert_eq!(s.placement(), at);
    assert_eq!(s.mapping().copies, k);
    assert_eq!(s.mapping().neurons, k * net.n_neurons());
    let mut many = s.run(&input, &rec).unwrap();
    let span = n.div_ceil(k) as f64 * input.period_ms();
    assert!(
        (many.activity.run_bio_ms - span).abs() < 1e-9,
        "{}: {k} copies span {} ms",
        fx.name(),
        many.activity.run_bio_ms
    );
    assert!((many.activity.bio_time_ms - one.activity.bio_time_ms).abs() < 1e-9);
    many.activity.run_bio_ms = one.activity.run_bio_ms;
    assert_agree(fx, &format!("Reset: {k} copies vs one"), &one, &many);
    // an explicit layout: all images on the last copy
    let mut last = s.run(&input.clone().with_copies(k - 1, n).unwrap(), &rec).unwrap();
    last.activity.run_bio_ms = one.activity.run_bio_ms;
    assert_agree(fx, "all images on the last copy vs one copy", &one, &last);
    let err = s.run(&input.clone().with_copies(k, n).unwrap(), &rec).unwrap_err();
    assert!(
        matches!(err, BackendError::InvalidInput { .. }),
        "{}: a copy beyond the deployment: {err}",
        fx.name()
    );
    // Continuous: each copy's share is one independent chain
    let cont = input.clone().with_boundary(ImageBoundary::Continuous);
    if !fx.supports(Feature::ContinuousBoundary) {
        fx.expect_unsupported(&*b, Feature::ContinuousBoundary, s.run(&cont, &rec));
        return;
    }
    let chains = s.run(&cont, &rec).unwrap();
    let per = n.div_ceil(k);
    let tol = fx.tolerances().counts;
    for c in 0..k {
        let range = c * per..((c + 1) * per).min(n);
        if range.is_empty() {
            continue;
        }
        let alone = run_fresh(fx, &*b, &net, &cont.to_slice(range.clone()).unwrap(), &rec);
        for (p, (x, y)) in chains.counts.iter().zip(&alone.counts).enumerate() {
            let d = count_diff(x.slice(s![range.clone(), ..]), y.view());
            assert!(d <= tol, "{}: Continuous, copy {c}, population {p}: counts differ by {d}", fx.name());
        }
        if tol == 0 {
            assert_eq!(
                &chains.spikes[0].times_ms[range.clone()],
                alone.spikes[0].times_ms.as_slice(),
                "{}: Continuous, copy {c}",
                fx.name()
            );
        }
    }
}

/// Every supported neuron model deploys and spikes in one chain (`IF_curr_exp` →
/// `IF_curr_delta_sub` → `IF_cond_exp`, as far as supported), a lateral inhibitory
/// projection in the last population carries events (networks that are not feed-forward
/// chains); unsupported models and recurrence are typed errors at deployment.
pub fn models_and_recurrence(fx: &Fixture) {
    let b = fx.backend(Mode::AsConfigured);
    let curr: NeuronModel = IfCurrExpParams::new().tau_refrac(1.0).into_model().unwrap();
    let delta: NeuronModel = IfCurrDeltaSubParams::new().into_model().unwrap();
    let cond = lif_refrac(1.0);
    let cond_w = fx.constraints().max_weight_us.map_or(0.05, |m| m.min(0.05));
    // (model, size, weight into it, delay into it)
    let stages = [
        (ModelKind::IfCurrExp, curr, 4, 2.0, 1.0),
        (ModelKind::IfCurrDeltaSub, delta, 2, 0.3, 1.0),
        (ModelKind::IfCondExp, cond, 2, cond_w, 2.0),
    ];
    let mut pops = vec![Population::spike_source(3)];
    let mut projs = Vec::new();
    for &(kind, model, size, w, delay) in &stages {
        let feature = Feature::Model(kind);
        if !fx.supports(feature) {
            let alone =
                SnnNetwork::feed_forward(3, vec![(model, Array2::from_elem((3, size), w))], 1.0).unwrap();
            fx.expect_unsupported(&*b, feature, b.session(&alone, Placement::from(0)));
            continue;
        }
        let pre = pops.len() - 1;
        pops.push(Population::new(size, model));
        projs.push(Projection::new(pre, pre + 1, Array2::from_elem((pops[pre].size, size), w), delay));
    }
    let chain = SnnNetwork::new(pops.clone(), projs.clone()).unwrap();
    let last = pops.len() - 1;
    let lateral = {
        let mut projs = projs.clone();
        // lateral inhibition within the last population, delay 1 ms
        let n = pops[last].size;
        let w = Array2::from_shape_fn((n, n), |(i, j)| if i == j { 0.0 } else { -0.2 });
        projs.push(Projection::new(last, last, w, 1.0));
        SnnNetwork::new(pops.clone(), projs).unwrap()
    };
    assert!(!lateral.is_feed_forward_chain());
    let input =
        Encoder::regular(100.0, 50.0, 10.0).unwrap().encode(array![[1.0f32, 0.5, 0.8]].view()).unwrap();
    let net = if fx.supports(Feature::Recurrence) {
        lateral
    } else {
        fx.expect_unsupported(&*b, Feature::Recurrence, b.session(&lateral, Placement::from(0)));
        chain
    };
    let out = run_fresh(fx, &*b, &net, &input, &Recording::counts_only());
    for p in 1..pops.len() {
        assert!(
            out.activity.spikes[p] > 0,
            "{}: population {p} spikes: {:?}",
            fx.name(),
            out.activity.spikes
        );
    }
    assert_eq!(out.activity.synaptic_events.len(), net.projections().len());
    if fx.supports(Feature::Recurrence) {
        assert!(
            out.activity.synaptic_events[projs.len()] > 0,
            "{}: the lateral projection carries events",
            fx.name()
        );
    }
}
