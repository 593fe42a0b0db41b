//! Networks and time: layer timing, the readout window, recording, determinism, image boundaries.

use super::*;

/// A two-layer chain with strong connections ([`strong`]): an input spike at 3 ms makes
/// each layer fire in the update its input arrives in, D + 1 steps per layer (within
/// [`Tolerances::timing_steps`] per layer), for delays of 1 and 3 ms; an unconnected
/// neuron stays silent; input spikes, events and counts follow.
///
/// [`Tolerances::timing_steps`]: crate::Tolerances::timing_steps
pub fn two_layer_network(fx: &Fixture) {
    let b = fx.backend(Mode::Ideal);
    let dt = fx.dt_ms();
    let slack = fx.tolerances().timing_steps;
    let st = strong(fx);
    let k = st.parallel;
    let lif = lif_refrac(5.0);
    for delay in [1.0, 3.0] {
        // k copies of input 0 (one spike at 3 ms) and of the silent input 1 drive k copies
        // of layer-1 neurons 0 and 1; all layer-1 neurons drive the output neuron
        let w1 = expand(&(array![[1.0, 0.0], [0.0, 0.0]] * st.weight_us), k, k);
        let w2 = expand(&(array![[1.0], [0.5]] * st.weight_us), k, 1);
        let net = SnnNetwork::feed_forward(2 * k, vec![(lif, w1), (lif, w2)], delay).unwrap();
        let trains = repeat_inputs(&[vec![vec![3.0], vec![]]], k);
        let input = SpikeInput::new(2 * k, 20.0, 10.0, &trains).unwrap();
        let rec = Recording::counts_only()
            .with_spikes(NeuronSelection::all(1))
            .with_spikes(NeuronSelection::all(2));
        let out = run_fresh(fx, &*b, &net, &input, &rec);
        let s_in = steps_of(3.0, dt);
        let d = delay_steps(delay, dt);
        let first = |times: &[f64]| stamp_of(times[0], dt);
        let l1 = &out.spikes[0].times_ms[0];
        for (j, times) in l1.iter().enumerate().take(k) {
            assert!(!times.is_empty(), "{}: layer-1 neuron {j} fires (delay {delay})", fx.name());
            let got = first(times);
            let want = s_in + d + 1;
            assert!(
                got.abs_diff(want) as u64 <= slack,
                "{}: layer 1 at stamp {got}, rule {want} (dt {dt}, delay {delay})",
                fx.name()
            );
        }
        assert!(l1[k..].iter().all(Vec::is_empty), "{}: unconnected layer-1 neurons stay silent", fx.name());
        let l2 = &out.spikes[1].times_ms[0][0];
        assert!(!l2.is_empty(), "{}: the output neuron fires (delay {delay})", fx.name());
        let want = s_in + 2 * (d + 1);
        assert!(
            first(l2).abs_diff(want) as u64 <= 2 * slack,
            "{}: layer 2 at stamp {}, rule {want} (dt {dt}, delay {delay})",
            fx.name(),
            first(l2)
        );
        // events: k per input spike (k synapses each), one per layer-1 spike
        let n1 = out.activity.spikes[1];
        assert_eq!(out.activity.spikes[0], k as u64, "{}: input spikes", fx.name());
        assert_eq!(out.activity.synaptic_events, vec![(k * k) as u64, n1], "{}: events", fx.name());
        assert_eq!(out.counts[0].sum() as usize, k);
        assert_eq!(u64::from(out.counts[1].sum()), n1);
    }
}

/// The readout window `[−pause/2, duration + pause/2)`: with duration 20 and pause 10 ms,
/// a spike stamped at 24 ms counts, one stamped at 25 ms does not (but is recorded and
/// is activity); stamps within [`Tolerances::timing_steps`] of the rule, counts by the
/// window rule applied to the recorded stamps. Checkpoints count the window's spikes
/// stamped at or before their time: none at 20 ms, the 24 ms spike at 24 ms (inclusive),
/// and the last equals the final counts.
///
/// [`Tolerances::timing_steps`]: crate::Tolerances::timing_steps
pub fn readout_window(fx: &Fixture) {
    let b = fx.backend(Mode::Ideal);
    let dt = fx.dt_ms();
    let slack = fx.tolerances().timing_steps as f64 * dt + 1e-9;
    let st = strong(fx);
    let k = st.parallel;
    let lif = lif_refrac(50.0);
    // delay 6 ms, the target fires in the arrival update, so an input at t fires at
    // stamp t + 6 + dt
    let w = expand(&(array![[1.0, 0.0], [0.0, 1.0]] * st.weight_us), k, 1);
    let net = SnnNetwork::feed_forward(2 * k, vec![(lif, w)], 6.0).unwrap();
    let t_in = [18.0 - dt, 19.0 - dt]; // stamps 24 and 25 ms
    let trains = repeat_inputs(&[vec![vec![t_in[0]], vec![t_in[1]]]], k);
    let input = SpikeInput::new(2 * k, 20.0, 10.0, &trains).unwrap();
    let (lo, hi) = input.readout_window_ms();
    assert_eq!((lo, hi), (-5.0, 25.0));
    for every in [5.0, 6.0] {
        let rec = Recording::counts_only().with_spikes(NeuronSelection::all(1)).with_checkpoints(every);
        let out = run_fresh(fx, &*b, &net, &input, &rec);
        let times = &out.spikes[0].times_ms[0];
        assert!(times.iter().all(|t| t.len() == 1), "{}: one spike each: {times:?}", fx.name());
        let (t0, t1) = (times[0][0], times[1][0]);
        assert!((t0 - 24.0).abs() <= slack && (t1 - 25.0).abs() <= slack, "{}: {times:?}", fx.name());
        let counted = |t: f64| u32::from(t < hi - 1e-9);
        assert_eq!(
            out.counts[1].row(0).to_vec(),
            vec![counted(t0), counted(t1)],
            "{}: window rule",
            fx.name()
        );
        if slack < dt {
            assert_eq!(
                out.counts[1].row(0).to_vec(),
                vec![1, 0],
                "{}: stamp 25 ms is outside [-5, 25)",
                fx.name()
            );
        }
        assert_eq!(out.activity.spikes[1], 2, "{}: both spikes are activity", fx.name());
        assert_eq!(
            out.counts[0].row(0).to_vec(),
            vec![1; 2 * k],
            "{}: input spikes in the window",
            fx.name()
        );
        let cp = out.checkpoints.as_ref().unwrap();
        assert_eq!(cp.population, 1);
        let want_times: Vec<f64> = (1..).map(|c| c as f64 * every).take_while(|&t| t <= hi + 1e-9).collect();
        assert_eq!(cp.times_ms, want_times);
        assert_eq!(cp.counts.len(), want_times.len());
        for (c, &t) in cp.times_ms.iter().enumerate() {
            let want: Vec<u32> = [t0, t1].iter().map(|&x| counted(x) * u32::from(x <= t + 1e-9)).collect();
            assert_eq!(cp.counts[c].row(0).to_vec(), want, "{}: checkpoint at {t} ms", fx.name());
        }
        assert_eq!(
            cp.counts.last(),
            Some(&out.counts[1]),
            "{}: the last checkpoint equals the final counts",
            fx.name()
        );
        if every == 6.0 && slack < dt {
            assert_eq!(
                cp.counts[3].row(0).to_vec(),
                vec![1, 0],
                "{}: the checkpoint at 24 ms includes the spike stamped 24 ms",
                fx.name()
            );
            assert_eq!(cp.counts[2].sum(), 0);
        }
    }
}

/// Recording: shapes, neuron orders (a neuron listed twice), image ranges, spike times
/// sorted and within the period, window counts equal to the recorded times, membrane
/// traces where supported (else the typed error), nothing recorded when nothing is asked
/// for; on a busier network, count checkpoints that grow to the final counts and equal
/// the recorded spikes stamped at or before their time.
pub fn recording(fx: &Fixture) {
    let b = fx.backend(Mode::AsConfigured);
    let dt = fx.dt_ms();
    let traces = fx.supports(Feature::MembraneTraces);
    let net = grid_chain(fx, &[12, 9, 4], 8);
    let input = Encoder::regular(120.0, 50.0, 10.0).unwrap().encode(random_images(4, 12, 2).view()).unwrap();
    let mut rec = Recording::counts_only()
        .with_spikes(NeuronSelection::all(1))
        .with_spikes(NeuronSelection::list(2, vec![3, 1, 3]));
    let with_traces =
        rec.clone().with_membrane(NeuronSelection::range(1, 2..5)).with_membrane(NeuronSelection::all(2));
    if traces {
        rec = with_traces;
    } else {
        let mut s = deploy(fx, &*b, &net, Placement::from(0));
        fx.expect_unsupported(&*b, Feature::MembraneTraces, s.run(&input, &with_traces.for_images(1..3)));
    }
    let rec = rec.for_images(1..3);
    let out = run_fresh(fx, &*b, &net, &input, &rec);
    let steps = steps_of(60.0, dt);
    assert_eq!(out.counts.len(), 3);
    for (c, n) in out.counts.iter().zip([12, 9, 4]) {
        assert_eq!(c.dim(), (4, n));
    }
    assert_eq!(out.spikes.len(), 2);
    assert_eq!(out.spikes[0].population, 1);
    assert_eq!(out.spikes[0].neurons, (0..9).collect::<Vec<_>>());
    assert_eq!(out.spikes[1].neurons, vec![3, 1, 3]);
    for sp in &out.spikes {
        assert_eq!(sp.first_image, 1);
        assert_eq!(sp.times_ms.len(), 2);
        for img in &sp.times_ms {
            assert_eq!(img.len(), sp.neurons.len());
            for t in img {
                assert!(
                    t.windows(2).all(|w| w[0] < w[1]),
                    "{}: sorted, at most one spike per step",
                    fx.name()
                );
                assert!(t.iter().all(|&x| x > 0.0 && x <= 60.0 + 1e-9), "{}: {t:?}", fx.name());
                assert!(
                    t.iter().all(|&x| (x / dt - (x / dt).round()).abs() < 1e-6),
                    "{}: on the grid",
                    fx.name()
                );
            }
        }
    }
    assert_eq!(out.spikes[1].times_ms[0][0], out.spikes[1].times_ms[0][2], "a neuron listed twice");
    // counts in the window [−5, 55) agree with the recorded times
    for (i, img) in out.spikes[0].times_ms.iter().enumerate() {
        for (k, t) in img.iter().enumerate() {
            let in_window = t.iter().filter(|&&x| x < 55.0 - 1e-9).count() as u32;
            assert_eq!(out.counts[1][[i + 1, k]], in_window);
        }
    }
    assert!(out.counts[1].sum() > 0 && out.counts[2].sum() > 0, "{}: the network is active", fx.name());
    if traces {
        assert_eq!(out.membrane.len(), 2);
        assert_eq!(out.membrane[0].v_mv.shape(), &[2, 3, steps]);
        assert_eq!(out.membrane[1].v_mv.shape(), &[2, 4, steps]);
        assert_eq!(out.membrane[0].neurons, vec![2, 3, 4]);
        assert_eq!(out.membrane[0].first_image, 1);
        assert_eq!(out.membrane[0].dt_ms, dt);
        assert!(out.membrane[1].v_mv.iter().all(|v| v.is_finite() && *v < -40.0));
    } else {
        assert!(out.membrane.is_empty());
    }
    // no recording: empty, same counts (a fresh deployment with the same seed)
    let bare = run_fresh(fx, &*b, &net, &input, &Recording::counts_only());
    assert!(bare.spikes.is_empty() && bare.membrane.is_empty() && bare.checkpoints.is_none());
    assert_eq!(bare.counts, out.counts, "{}: recording does not change the counts", fx.name());

    // checkpoints on a busier network: every 10 ms of a [−10, 110) window
    let net = grid_chain(fx, &[20, 12, 4], 5);
    let input = Encoder::regular(120.0, 100.0, 20.0).unwrap().encode(random_images(3, 20, 9).view()).unwrap();
    let rec = Recording::counts_only().with_spikes(NeuronSelection::all(2)).with_checkpoints(10.0);
    let out = run_fresh(fx, &*b, &net, &input, &rec);
    let cp = out.checkpoints.as_ref().unwrap();
    assert_eq!(cp.population, 2);
    let want: Vec<f64> = (1..=11).map(|c| c as f64 * 10.0).collect();
    assert_eq!(cp.times_ms, want);
    for w in cp.counts.windows(2) {
        assert!(w[0].iter().zip(w[1].iter()).all(|(a, b)| a <= b), "{}: cumulative", fx.name());
    }
    assert_eq!(
        cp.counts.last(),
        Some(&out.counts[2]),
        "{}: the last checkpoint is the window's end",
        fx.name()
    );
    assert!(out.counts[2].sum() > 0, "{}: the output layer spikes", fx.name());
    let (_, hi) = input.readout_window_ms();
    for (c, &t) in cp.times_ms.iter().enumerate() {
        for (i, img) in out.spikes[0].times_ms.iter().enumerate() {
            for (n, times) in img.iter().enumerate() {
                let upto = times.iter().filter(|&&x| x <= t + 1e-9 && x < hi - 1e-9).count() as u32;
                assert_eq!(
                    cp.counts[c][[i, n]],
                    upto,
                    "{}: checkpoint {t} ms, image {i}, neuron {n}",
                    fx.name()
                );
            }
        }
    }
}

/// The same seed and input give bit-identical outputs on 1 and 2 threads (rayon pools)
/// for deterministic platforms (within [`Tolerances::counts`] otherwise); a second run on
/// the same deployment repeats the first unless the platform has trial-to-trial noise
/// ([`Difference::TrialNoise`](crate::Difference)); another seed gives the same outputs
/// unless seeds draw chips ([`Fixture::seed_matters`]).
///
/// [`Tolerances::counts`]: crate::Tolerances::counts
pub fn determinism(fx: &Fixture) {
    let b = fx.backend(Mode::AsConfigured);
    let net = grid_chain(fx, &[30, 24, 16, 5], 11);
    let input =
        Encoder::poisson(100.0, 60.0, 10.0, 4).unwrap().encode(random_images(7, 30, 3).view()).unwrap();
    let mut rec = Recording::counts_only().with_spikes(NeuronSelection::all(2)).with_checkpoints(20.0);
    if fx.supports(Feature::MembraneTraces) {
        rec = rec.with_membrane(NeuronSelection::list(1, vec![0, 7, 3]));
    }
    let rec = rec.for_images(1..5);
    let twice = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut s = deploy(fx, &*b, &net, Placement::from(seed));
            let first = s.run(&input, &rec).unwrap();
            let second = s.run(&input, &rec).unwrap();
            (fx.comparable(first), fx.comparable(second))
        })
    };
    let (a1, a2) = twice(1, 1);
    let (b1, b2) = twice(2, 1);
    assert!(a1.counts[3].sum() > 0 && a1.counts[1].sum() > 0, "{}: the network is active", fx.name());
    if b.platform().deterministic {
        assert_eq!(a1, b1, "{}: bit-identical on 1 and 2 threads", fx.name());
        assert_eq!(a2, b2, "{}: second runs bit-identical on 1 and 2 threads", fx.name());
    } else {
        assert_agree(fx, "1 and 2 threads", &a1, &b1);
    }
    if fx.differs(crate::Difference::TrialNoise) {
        assert_ne!(a1.counts, a2.counts, "{}: trial-to-trial noise: a second run differs", fx.name());
    } else {
        assert!(same_results(&a1, &a2), "{}: a second run repeats the first", fx.name());
    }
    let (c1, _) = twice(2, 2);
    if fx.seed_matters() {
        assert_ne!(a1.counts, c1.counts, "{}: another seed draws another chip", fx.name());
    } else if b.platform().deterministic {
        assert_eq!(a1, c1, "{}: the seed draws nothing", fx.name());
    }
}

/// Under `Reset`, an image's counts (and recorded spikes) do not depend on the batch it
/// runs in: the whole batch against slices of it, within [`Tolerances::counts`] (with
/// trial-to-trial noise off).
///
/// [`Tolerances::counts`]: crate::Tolerances::counts
pub fn reset_batch_independence(fx: &Fixture) {
    let b = fx.backend(Mode::Noiseless);
    let tol = fx.tolerances().counts;
    let net = grid_chain(fx, &[30, 24, 16, 5], 11);
    let input =
        Encoder::poisson(100.0, 60.0, 10.0, 4).unwrap().encode(random_images(7, 30, 3).view()).unwrap();
    let rec = Recording::counts_only().with_spikes(NeuronSelection::all(3));
    let all = run_fresh(fx, &*b, &net, &input, &rec);
    assert!(all.counts[3].sum() > 0, "{}: the output layer spikes", fx.name());
    for range in [0..1, 4..5, 2..6, 6..7] {
        let part = run_fresh(fx, &*b, &net, &input.to_slice(range.clone()).unwrap(), &rec);
        for (p, (whole, alone)) in all.counts.iter().zip(&part.counts).enumerate() {
            let d = count_diff(whole.slice(s![range.clone(), ..]), alone.view());
            assert!(
                d <= tol,
                "{}: images {range:?}, population {p}: counts differ by {d} from the batch's",
                fx.name()
            );
        }
        if tol == 0 {
            assert_eq!(
                &all.spikes[0].times_ms[range.clone()],
                part.spikes[0].times_ms.as_slice(),
                "{}: images {range:?}: spike times",
                fx.name()
            );
        }
    }
}

/// `Continuous`: one image equals `Reset`; with three images, state and spikes in flight
/// carry over (an input at 8 ms with delay 4 ms fires the neuron 2 ms into image 1,
/// within [`Tolerances::timing_steps`]), and the first image of a batch is unaffected.
/// Without the boundary: the typed error.
///
/// [`Tolerances::timing_steps`]: crate::Tolerances::timing_steps
pub fn continuous_boundary(fx: &Fixture) {
    let b = fx.backend(Mode::Ideal);
    let dt = fx.dt_ms();
    let slack = fx.tolerances().timing_steps as f64 * dt + 1e-9;
    let st = strong(fx);
    let k = st.parallel;
    // refractory for longer than the rest of the batch: one spike at most
    let lif = lif_refrac(25.0);
    let net = SnnNetwork::feed_forward(k, vec![(lif, Array2::from_elem((k, 1), st.weight_us))], 4.0).unwrap();
    // duration 10, pause 0: an input at 8 ms arrives at 12 ms, i.e. 2 ms into the next image
    let trains = repeat_inputs(&[vec![vec![8.0]], vec![vec![]], vec![vec![]]], k);
    let reset = SpikeInput::new(k, 10.0, 0.0, &trains).unwrap();
    let cont = reset.clone().with_boundary(ImageBoundary::Continuous);
    let rec = Recording::counts_only().with_spikes(NeuronSelection::all(1));
    if !fx.supports(Feature::ContinuousBoundary) {
        let mut s = deploy(fx, &*b, &net, Placement::from(0));
        fx.expect_unsupported(&*b, Feature::ContinuousBoundary, s.run(&cont, &rec));
        return;
    }
    let r = run_fresh(fx, &*b, &net, &reset, &rec);
    let c = run_fresh(fx, &*b, &net, &cont, &rec);
    assert_eq!(r.activity.spikes[1], 0, "{}: under Reset the spike never arrives", fx.name());
    assert_eq!(c.activity.spikes[1], 1, "{}: under Continuous it arrives in image 1", fx.name());
    let stamp = (12.0 / dt).round() + 1.0;
    assert_eq!(c.spikes[0].times_ms[1][0].len(), 1);
    assert!(
        (c.spikes[0].times_ms[1][0][0] - (stamp * dt - 10.0)).abs() <= slack,
        "{}: {:?}",
        fx.name(),
        c.spikes[0].times_ms
    );
    assert_eq!(c.counts[1].column(0).to_vec(), vec![0, 1, 0]);
    let one_r = run_fresh(fx, &*b, &net, &reset.to_slice(0..1).unwrap(), &rec);
    let one_c = run_fresh(fx, &*b, &net, &cont.to_slice(0..1).unwrap(), &rec);
    assert_eq!(fx.comparable(one_r), fx.comparable(one_c), "{}: one image: Continuous = Reset", fx.name());
    // a random network: image 0 is the same under both boundaries
    let net = grid_chain(fx, &[16, 10, 3], 2);
    let input = Encoder::regular(100.0, 40.0, 10.0).unwrap().encode(random_images(3, 16, 1).view()).unwrap();
    let r = run_fresh(fx, &*b, &net, &input, &Recording::counts_only());
    let c = run_fresh(
        fx,
        &*b,
        &net,
        &input.clone().with_boundary(ImageBoundary::Continuous),
        &Recording::counts_only(),
    );
    for (a, b) in r.counts.iter().zip(&c.counts) {
        assert_eq!(a.row(0), b.row(0));
    }
    assert!(r.counts[2].sum() > 0, "{}: the output layer spikes", fx.name());
    assert_eq!(r.activity.neuron_updates, c.activity.neuron_updates);
}
