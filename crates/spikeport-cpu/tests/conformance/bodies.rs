//! The bodies of the conformance suite, generic over the backend: one set of tests that
//! every backend runs with its declared `Tolerance`. Included as `mod bodies` by
//! `conformance.rs` here and by the other backends' conformance tests (e.g.
//! `spikeport-gpu`), whose root module provides the imports below plus `run` and
//! `without_timings`.

use super::*;

/// One IF_cond_exp neuron driven by a known spike train through an excitatory and an
/// inhibitory input, kept below threshold: its recorded trace against the
/// high-precision solution (declared tolerance) and against the backend's own lif
/// kernel stepped by hand (bit-identical).
pub fn cond_exp_subthreshold_trace<B: Backend>(b: &B, tol: &Tolerance) {
    let dt = b.info().dt_ms;
    let p = paper_lif();
    let w = array![[0.002], [-0.01]];
    let net = SnnNetwork::feed_forward(2, vec![(p.into(), w.clone())], 1.0).unwrap();
    let trains = vec![vec![vec![5.0, 12.3, 20.0, 21.0, 22.5, 40.0, 41.0], vec![30.0, 55.5]]];
    let input = SpikeInput::new(2, 80.0, 20.0, &trains).unwrap();
    let rec = Recording::counts_only().with_membrane(NeuronSelection::all(1));
    let out = run(b, &net, &input, &rec);
    let steps = (100.0 / dt).round() as usize;
    let m = &out.membrane[0];
    assert_eq!(m.v_mv.shape(), &[1, 1, steps]);
    assert_eq!(m.dt_ms, dt);
    let got: Vec<f64> = m.v_mv.slice(s![0, 0, ..]).to_vec();
    let arr = arrivals(&input, &w, 0, 1.0, dt);
    let (exact, stamps) = hp_cond_exp(&p, dt, steps, &arr, (1.0 / dt).round() as usize * 100);
    assert!(stamps.is_empty(), "the test must stay subthreshold");
    assert!(out.counts[1].iter().all(|&c| c == 0));
    let err = got.iter().zip(&exact).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(err <= tol.cond_trace_mv, "max |V - V_exact| = {err} mV > {} mV", tol.cond_trace_mv);
    // the trace moved: excitation up, inhibition down
    let rest = p.v_rest();
    assert!(got.iter().any(|&v| v > rest + 1.0) && got.iter().any(|&v| v < rest - 1.0));
    let (by_hand, _) = kernel_run_for(tol.kernel, &p.into(), dt, steps, &arr);
    let err = got.iter().zip(&by_hand).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(err <= tol.kernel_mv, "max |V - V_kernel| = {err} mV");
    // nothing happens before the first arrival at ceil(5 / dt) + D
    let first = (5.0 / dt).round() as usize + delay_steps(1.0, dt);
    assert!(got[..first].iter().all(|&v| v == rest), "{:?}", &got[..first + 1]);
    assert!(got[first] > rest);
}

/// A neuron driven hard for 1 s (400 Hz excitatory train, refractory 2 ms): spike
/// stamps against the high-precision solution, and the refractory clamp.
pub fn cond_exp_driven_spike_times<B: Backend>(b: &B, tol: &Tolerance) {
    let dt = b.info().dt_ms;
    let p = IfCondExpParams::paper_digital().tau_refrac(2.0).check().unwrap();
    let w = array![[0.012]];
    let net = SnnNetwork::feed_forward(1, vec![(p.into(), w.clone())], 1.0).unwrap();
    let train: Vec<f64> = (1..400).map(|k| k as f64 * 2.5).collect();
    let input = SpikeInput::new(1, 1000.0, 0.0, &[vec![train]]).unwrap();
    let rec =
        Recording::counts_only().with_spikes(NeuronSelection::all(1)).with_membrane(NeuronSelection::all(1));
    let out = run(b, &net, &input, &rec);
    let steps = (1000.0 / dt).round() as usize;
    let arr = arrivals(&input, &w, 0, 1.0, dt);
    let (_, exact) = hp_cond_exp(&p, dt, steps, &arr, (1.0 / dt).round() as usize * 100);
    let got: Vec<usize> = out.spikes[0].times_ms[0][0].iter().map(|t| (t / dt).round() as usize).collect();
    assert!(exact.len() > 20, "the neuron is driven: {} spikes", exact.len());
    let rel = (got.len() as f64 - exact.len() as f64).abs() / exact.len() as f64;
    assert!(rel <= tol.spike_count_rel, "{} spikes vs {} exact", got.len(), exact.len());
    if let Some(max) = tol.spike_steps {
        assert_eq!(got.len(), exact.len());
        for (g, e) in got.iter().zip(&exact) {
            assert!((*g as i64 - *e as i64).abs() <= max, "spike at step {g} vs {e}");
        }
    }
    // refractory: clamped to v_reset for ceil(2 / dt) updates after every spike
    let r = (2.0 / dt).round() as usize;
    let v = out.membrane[0].v_mv.slice(s![0, 0, ..]).to_vec();
    for &stamp in &got {
        // V after update stamp-1 is the reset, then r clamped updates
        let held = &v[stamp - 1..(stamp + r).min(steps)];
        assert!(held.iter().all(|&x| x == p.v_reset()), "after the spike stamped {stamp}: {held:?}");
    }
    let isi = got.windows(2).map(|w| w[1] - w[0]).min().unwrap();
    assert!(isi > r, "inter-spike interval {isi} steps within the refractory period");
}

/// IF_curr_exp: exact propagators on both backends, so the trace equals the closed
/// form up to rounding.
pub fn curr_exp_closed_form<B: Backend>(b: &B, tol: &Tolerance) {
    let dt = b.info().dt_ms;
    let p = IfCurrExpParams::new().tau_syn_e(5.0).tau_syn_i(2.0).check().unwrap();
    let w = array![[0.3], [-0.5]];
    let net = SnnNetwork::feed_forward(2, vec![(p.into(), w.clone())], 1.0).unwrap();
    let input = SpikeInput::new(2, 60.0, 0.0, &[vec![vec![3.0, 10.0, 10.0], vec![25.0]]]).unwrap();
    let out = run(b, &net, &input, &Recording::counts_only().with_membrane(NeuronSelection::all(1)));
    let arr = arrivals(&input, &w, 0, 1.0, dt);
    // the response of cm dV/dt = −cm (V − v_rest)/τ_m + w e^{−u/τ_s} to a jump at u = 0:
    // ΔV(u) = w τ_s τ_m / (cm (τ_m − τ_s)) · (e^{−u/τ_m} − e^{−u/τ_s})
    let (tm, cm) = (p.tau_m(), p.cm());
    let resp = |u: f64, ts: f64| ts * tm / (cm * (tm - ts)) * ((-u / tm).exp() - (-u / ts).exp());
    let got = out.membrane[0].v_mv.slice(s![0, 0, ..]).to_vec();
    for (k, v) in got.iter().enumerate() {
        let t = (k + 1) as f64 * dt;
        let mut exact = p.v_rest();
        for &(step, e, i) in &arr {
            let u = t - step as f64 * dt;
            if u >= 0.0 {
                exact += e * resp(u, p.tau_syn_e()) - i * resp(u, p.tau_syn_i());
            }
        }
        assert!((v - exact).abs() <= tol.curr_trace_mv, "t = {t}: {v} vs {exact}");
    }
}

/// IF_curr_delta_sub: a jump of w per input spike, reset by subtraction keeping the
/// residual above threshold.
pub fn delta_sub_reset_by_subtraction<B: Backend>(b: &B, _tol: &Tolerance) {
    let dt = b.info().dt_ms;
    let p = IfCurrDeltaSubParams::new().check().unwrap();
    let net = SnnNetwork::feed_forward(1, vec![(p.into(), array![[0.375]])], 1.0).unwrap();
    // 8 spikes, one every 2 ms: V = 0.375, 0.75, 1.125 → spike → 0.125, 0.5, 0.875,
    // 1.25 → spike → 0.25, 0.625, 1.0 → spike → 0.0
    let train: Vec<f64> = (1..=8).map(|k| k as f64 * 2.0).collect();
    let input = SpikeInput::new(1, 20.0, 0.0, &[vec![train]]).unwrap();
    let rec =
        Recording::counts_only().with_spikes(NeuronSelection::all(1)).with_membrane(NeuronSelection::all(1));
    let out = run(b, &net, &input, &rec);
    let d = delay_steps(1.0, dt);
    let arrival = |k: usize| (2.0 * k as f64 / dt).round() as usize + d; // update index
    let stamps: Vec<f64> = [3, 6, 8].iter().map(|&k| (arrival(k) + 1) as f64 * dt).collect();
    let got = &out.spikes[0].times_ms[0][0];
    assert_eq!(got.len(), 3, "{got:?}");
    for (g, e) in got.iter().zip(&stamps) {
        assert!((g - e).abs() < 1e-9, "{got:?} vs {stamps:?}");
    }
    let v = out.membrane[0].v_mv.slice(s![0, 0, ..]).to_vec();
    assert!((v[arrival(3)] - 0.125).abs() < 1e-6, "residual after the first spike: {}", v[arrival(3)]);
    assert!((v[arrival(7)] - 0.625).abs() < 1e-6, "{}", v[arrival(7)]);
    assert!(v[arrival(8)].abs() < 1e-6, "{}", v[arrival(8)]);
    assert!(v[arrival(8)..].iter().all(|&x| x == v[arrival(8)]), "no leak, no input: V stays");
    assert_eq!(out.counts[1][[0, 0]], 3);
}

/// A two-layer chain: an input spike at 3 ms through strong weights makes each layer
/// fire in the update its input arrives in, D + 1 steps per layer; events and
/// activity counters follow.
pub fn two_layer_timing<B: Backend>(b: &B, _tol: &Tolerance) {
    let dt = b.info().dt_ms;
    let lif = IfCondExpParams::paper_digital().tau_refrac(5.0).into_model().unwrap();
    for delay in [1.0, 3.0] {
        let w1 = array![[1.0, 0.0], [0.0, 0.0]];
        let w2 = array![[1.0], [0.5]];
        let net = SnnNetwork::feed_forward(2, vec![(lif, w1), (lif, w2)], delay).unwrap();
        let input = SpikeInput::new(2, 20.0, 10.0, &[vec![vec![3.0], vec![]]]).unwrap();
        let rec = Recording::counts_only()
            .with_spikes(NeuronSelection::all(1))
            .with_spikes(NeuronSelection::all(2));
        let out = run(b, &net, &input, &rec);
        let s_in = (3.0 / dt).round() as usize;
        let d = delay_steps(delay, dt);
        let first = |times: &[f64]| (times[0] / dt).round() as usize;
        assert_eq!(first(&out.spikes[0].times_ms[0][0]), s_in + d + 1, "dt {dt} delay {delay}");
        assert!(out.spikes[0].times_ms[0][1].is_empty());
        assert_eq!(first(&out.spikes[1].times_ms[0][0]), s_in + 2 * (d + 1), "dt {dt} delay {delay}");
        // events: one per input spike (one synapse), two per layer-1 spike of neuron 0
        let n1 = out.activity.spikes[1];
        assert_eq!(out.activity.spikes[0], 1);
        assert_eq!(out.activity.synaptic_events, vec![1, n1]);
        assert_eq!(out.counts[0][[0, 0]], 1);
        assert_eq!(u64::from(out.counts[1].sum()), n1);
    }
}

/// The readout window [−pause/2, duration + pause/2): a spike stamped just before
/// its end counts, one stamped at it does not (but is recorded and is activity).
pub fn readout_window<B: Backend>(b: &B, _tol: &Tolerance) {
    let dt = b.info().dt_ms;
    let lif = IfCondExpParams::paper_digital().tau_refrac(50.0).into_model().unwrap();
    // duration 20, pause 10: window [−5, 25) ms; delay 6 ms, the target fires in the
    // arrival update, so an input at t fires at stamp t + 6 + dt
    let w = array![[1.0, 0.0], [0.0, 1.0]];
    let net = SnnNetwork::feed_forward(2, vec![(lif, w)], 6.0).unwrap();
    let t_in = [18.0 - dt, 19.0 - dt]; // stamps 24 and 25 ms
    let input = SpikeInput::new(2, 20.0, 10.0, &[vec![vec![t_in[0]], vec![t_in[1]]]]).unwrap();
    let rec = Recording::counts_only().with_spikes(NeuronSelection::all(1)).with_checkpoints(5.0);
    let out = run(b, &net, &input, &rec);
    let times = &out.spikes[0].times_ms[0];
    assert!((times[0][0] - 24.0).abs() < 1e-9 && (times[1][0] - 25.0).abs() < 1e-9, "{times:?}");
    assert_eq!(out.counts[1].row(0).to_vec(), vec![1, 0], "stamp 25 ms is outside [-5, 25)");
    assert_eq!(out.activity.spikes[1], 2);
    assert_eq!(out.counts[0].row(0).to_vec(), vec![1, 1], "input spikes in the window");
    let cp = out.checkpoints.as_ref().unwrap();
    assert_eq!(cp.population, 1);
    assert_eq!(cp.times_ms, vec![5.0, 10.0, 15.0, 20.0, 25.0]);
    assert_eq!(cp.counts.len(), 5);
    assert!(cp.counts[..4].iter().all(|c| c.sum() == 0));
    assert_eq!(cp.counts[4], out.counts[1], "the last checkpoint equals the final counts");
}

/// Count checkpoints grow monotonically to the final counts on a busier network.
pub fn checkpoints_accumulate<B: Backend>(b: &B, _tol: &Tolerance) {
    let net = random_chain(&[20, 12, 4], 5);
    let images = random_images(3, 20, 9);
    let input = Encoder::regular(120.0, 100.0, 20.0).unwrap().encode(images.view()).unwrap();
    let out = run(b, &net, &input, &Recording::counts_only().with_checkpoints(25.0));
    let cp = out.checkpoints.unwrap();
    assert_eq!(cp.times_ms, vec![25.0, 50.0, 75.0, 100.0]);
    for w in cp.counts.windows(2) {
        assert!(w[0].iter().zip(w[1].iter()).all(|(a, b)| a <= b));
    }
    // the window ends at 110 ms, after the last checkpoint
    assert!(cp.counts[3].iter().zip(out.counts[2].iter()).all(|(a, b)| a <= b));
    assert!(out.counts[2].sum() > 0, "the output layer spikes");
}

/// The same deployment and input give the same output whatever the seed and the
/// number of threads (rayon pools of 1 and 2), and an image's result does not
/// depend on its batch under `Reset`.
pub fn deterministic_across_seeds_threads_batches<B: Backend + Sync>(b: &B, _tol: &Tolerance)
where
    B::Deployment: Sync,
{
    let net = random_chain(&[30, 24, 16, 5], 11);
    let images = random_images(7, 30, 3);
    let input = Encoder::poisson(100.0, 60.0, 10.0, 4).unwrap().encode(images.view()).unwrap();
    let rec = Recording::counts_only()
        .with_spikes(NeuronSelection::all(2))
        .with_membrane(NeuronSelection::list(1, vec![0, 7, 3]))
        .with_checkpoints(20.0)
        .for_images(1..5);
    let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    let one = pool(1).install(|| {
        let mut dep = b.deploy(&net, 1).unwrap();
        without_timings(b.run(&mut dep, &input, &rec).unwrap())
    });
    let two = pool(2).install(|| {
        let mut dep = b.deploy(&net, 2).unwrap();
        without_timings(b.run(&mut dep, &input, &rec).unwrap())
    });
    assert!(one.counts[3].sum() > 0 && one.counts[1].sum() > 0);
    assert_eq!(one, two, "bit-identical on 1 and 2 threads and for seeds 1 and 2");
    // image 4 alone
    let alone = run(b, &net, &input.to_slice(4..5).unwrap(), &Recording::counts_only());
    for (all, single) in one.counts.iter().zip(&alone.counts) {
        assert_eq!(all.row(4), single.row(0));
    }
}

/// `Continuous`: one image equals `Reset`; with three images, state and spikes in
/// flight carry over, and the first image is unaffected.
pub fn continuous_boundary<B: Backend>(b: &B, _tol: &Tolerance) {
    let dt = b.info().dt_ms;
    // refractory for longer than the rest of the batch: one spike at most
    let lif = IfCondExpParams::paper_digital().tau_refrac(25.0).into_model().unwrap();
    let net = SnnNetwork::feed_forward(1, vec![(lif, array![[1.0]])], 4.0).unwrap();
    // duration 10, pause 0: an input at 8 ms arrives at 12 ms, i.e. 2 ms into the next image
    let trains = vec![vec![vec![8.0]], vec![vec![]], vec![vec![]]];
    let reset = SpikeInput::new(1, 10.0, 0.0, &trains).unwrap();
    let cont = reset.clone().with_boundary(ImageBoundary::Continuous);
    let rec = Recording::counts_only().with_spikes(NeuronSelection::all(1));
    let r = run(b, &net, &reset, &rec);
    let c = run(b, &net, &cont, &rec);
    assert_eq!(r.activity.spikes[1], 0, "under Reset the spike never arrives");
    assert_eq!(c.activity.spikes[1], 1, "under Continuous it arrives in image 1");
    let stamp = (12.0 / dt).round() + 1.0;
    assert_eq!(c.spikes[0].times_ms[1][0].len(), 1);
    assert!((c.spikes[0].times_ms[1][0][0] - (stamp * dt - 10.0)).abs() < 1e-9, "{:?}", c.spikes[0].times_ms);
    assert_eq!(c.counts[1].column(0).to_vec(), vec![0, 1, 0]);
    let one_r = run(b, &net, &reset.to_slice(0..1).unwrap(), &rec);
    let one_c = run(b, &net, &cont.to_slice(0..1).unwrap(), &rec);
    assert_eq!(without_timings(one_r), without_timings(one_c));
    // a random network: image 0 is the same under both boundaries
    let net = random_chain(&[16, 10, 3], 2);
    let input = Encoder::regular(100.0, 40.0, 10.0).unwrap().encode(random_images(3, 16, 1).view()).unwrap();
    let r = run(b, &net, &input, &Recording::counts_only());
    let c = run(b, &net, &input.clone().with_boundary(ImageBoundary::Continuous), &Recording::counts_only());
    for (a, b) in r.counts.iter().zip(&c.counts) {
        assert_eq!(a.row(0), b.row(0));
    }
    assert_eq!(r.activity.neuron_updates, c.activity.neuron_updates);
}

/// Recording shapes, ranges and their consistency with the counts.
pub fn recording_shapes<B: Backend>(b: &B, _tol: &Tolerance) {
    let dt = b.info().dt_ms;
    let net = random_chain(&[12, 9, 4], 8);
    let input = Encoder::regular(120.0, 50.0, 10.0).unwrap().encode(random_images(4, 12, 2).view()).unwrap();
    let rec = Recording::counts_only()
        .with_spikes(NeuronSelection::all(1))
        .with_spikes(NeuronSelection::list(2, vec![3, 1, 3]))
        .with_membrane(NeuronSelection::range(1, 2..5))
        .with_membrane(NeuronSelection::all(2))
        .for_images(1..3);
    let out = run(b, &net, &input, &rec);
    let steps = (60.0 / dt).round() as usize;
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
                assert!(t.windows(2).all(|w| w[0] < w[1]), "sorted, at most one spike per step");
                assert!(t.iter().all(|&x| x > 0.0 && x <= 60.0 + 1e-9));
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
    assert_eq!(out.membrane.len(), 2);
    assert_eq!(out.membrane[0].v_mv.shape(), &[2, 3, steps]);
    assert_eq!(out.membrane[1].v_mv.shape(), &[2, 4, steps]);
    assert_eq!(out.membrane[0].neurons, vec![2, 3, 4]);
    assert_eq!(out.membrane[0].first_image, 1);
    assert!(out.membrane[1].v_mv.iter().all(|v| v.is_finite() && *v < -40.0));
    // no recording: empty
    let bare = run(b, &net, &input, &Recording::counts_only());
    assert!(bare.spikes.is_empty() && bare.membrane.is_empty() && bare.checkpoints.is_none());
    assert_eq!(bare.counts, out.counts);
}

/// Activity counters: input spikes, neuron updates, events = Σ spikes × row synapses
/// (spikes that would arrive after the end are not propagated), biological time.
pub fn activity_counters<B: Backend>(b: &B, _tol: &Tolerance) {
    let dt = b.info().dt_ms;
    let mut net = random_chain(&[10, 8, 3], 4);
    // some zero weights: not synapses, not events
    let (pops, mut projs) = net.into_parts();
    projs[0].weights.row_mut(2).fill(0.0);
    projs[1].weights[[0, 1]] = 0.0;
    net = SnnNetwork::new(pops, projs).unwrap();
    let input = Encoder::regular(120.0, 40.0, 10.0).unwrap().encode(random_images(3, 10, 6).view()).unwrap();
    let rec = Recording::counts_only().with_spikes(NeuronSelection::all(1));
    let out = run(b, &net, &input, &rec);
    let a = &out.activity;
    let steps = (50.0 / dt).round() as u64;
    assert_eq!(a.images, 3);
    assert_eq!(a.spikes[0], input.total_spikes() as u64);
    assert_eq!(a.neuron_updates, 11 * steps * 3);
    assert!((a.bio_time_ms - 150.0).abs() < 1e-9);
    assert_eq!(a.hardware_time_s, a.wall_time_s);
    assert!(a.wall_time_s > 0.0);
    let w0 = &net.projections()[0].weights;
    let row_syn = |w: &Array2<f64>, j: usize| w.row(j).iter().filter(|x| **x != 0.0).count() as u64;
    let expected0: u64 = (0..3)
        .flat_map(|i| {
            input
                .image_trains(i)
                .enumerate()
                .map(|(j, t)| t.len() as u64 * row_syn(w0, j))
                .collect::<Vec<_>>()
        })
        .sum();
    assert_eq!(a.synaptic_events[0], expected0);
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
    assert_eq!(a.synaptic_events[1], expected1);
    assert!(a.spikes[1] > 0 && a.spikes[2] > 0);
}

/// Weight updates replace a projection's weights in place.
pub fn update_weights<B: Backend>(b: &B, _tol: &Tolerance) {
    let net = random_chain(&[10, 8, 3], 1);
    let input = Encoder::regular(120.0, 40.0, 10.0).unwrap().encode(random_images(2, 10, 3).view()).unwrap();
    let rec = Recording::counts_only();
    let mut dep = b.deploy(&net, 0).unwrap();
    let before = without_timings(b.run(&mut dep, &input, &rec).unwrap());
    assert!(before.counts[2].sum() > 0);
    let w = net.projections()[1].weights.clone();
    b.update_weights(&mut dep, 1, Array2::zeros(w.dim()).view()).unwrap();
    let silent = b.run(&mut dep, &input, &rec).unwrap();
    assert_eq!(silent.counts[2].sum(), 0);
    assert_eq!(silent.activity.synaptic_events[1], 0);
    assert_eq!(silent.counts[1], before.counts[1]);
    assert!(spikeport_snn::Deployed::network(&dep).projections()[1].weights.iter().all(|&x| x == 0.0));
    b.update_weights(&mut dep, 1, w.view()).unwrap();
    assert_eq!(without_timings(b.run(&mut dep, &input, &rec).unwrap()), before);
    // bad updates are typed errors and change nothing
    let err = b.update_weights(&mut dep, 1, Array2::zeros((3, 3)).view()).unwrap_err();
    assert!(matches!(err, BackendError::InvalidNetwork(SnnError::WeightShape { .. })), "{err}");
    let err = b.update_weights(&mut dep, 2, w.view()).unwrap_err();
    assert!(matches!(err, BackendError::InvalidNetwork(SnnError::ProjectionOutOfRange { .. })), "{err}");
    let mut nan = w.clone();
    nan[[0, 0]] = f64::NAN;
    let err = b.update_weights(&mut dep, 1, nan.view()).unwrap_err();
    assert!(matches!(err, BackendError::InvalidNetwork(SnnError::NonFiniteWeight { .. })), "{err}");
    assert_eq!(without_timings(b.run(&mut dep, &input, &rec).unwrap()), before);
}

/// Every neuron model deploys and runs, and lateral/recurrent projections work.
pub fn all_models_and_recurrence<B: Backend>(b: &B, _tol: &Tolerance) {
    let curr = IfCurrExpParams::new().tau_refrac(1.0).into_model().unwrap();
    let delta = IfCurrDeltaSubParams::new().into_model().unwrap();
    let cond = IfCondExpParams::paper_digital().tau_refrac(1.0).into_model().unwrap();
    let pops = vec![
        Population::spike_source(3),
        Population::new(4, curr),
        Population::new(2, delta),
        Population::new(2, cond),
    ];
    let projs = vec![
        Projection::new(0, 1, Array2::from_elem((3, 4), 2.0), 1.0),
        Projection::new(1, 2, Array2::from_elem((4, 2), 0.3), 1.0),
        Projection::new(2, 3, Array2::from_elem((2, 2), 0.05), 2.0),
        // lateral inhibition within population 3, delay 1 ms
        Projection::new(3, 3, array![[0.0, -0.2], [-0.2, 0.0]], 1.0),
    ];
    let net = SnnNetwork::new(pops, projs).unwrap();
    assert!(!net.is_feed_forward_chain());
    let input =
        Encoder::regular(100.0, 50.0, 10.0).unwrap().encode(array![[1.0f32, 0.5, 0.8]].view()).unwrap();
    let out = run(b, &net, &input, &Recording::counts_only());
    for p in 1..4 {
        assert!(out.activity.spikes[p] > 0, "population {p} spikes: {:?}", out.activity.spikes);
    }
    assert_eq!(out.activity.synaptic_events.len(), 4);
    assert!(out.activity.synaptic_events[3] > 0, "the lateral projection carries events");
}

/// Typed errors for bad inputs, recordings and limits.
pub fn errors<B: Backend>(b: &B, small_batch: &B, small_memory: &B, only_curr: &B) {
    let net = random_chain(&[6, 4, 2], 3);
    let mut dep = b.deploy(&net, 0).unwrap();
    let enc = Encoder::regular(100.0, 20.0, 10.0).unwrap();
    let good = enc.encode(random_images(3, 6, 1).view()).unwrap();
    let wrong = enc.encode(random_images(1, 5, 1).view()).unwrap();
    assert!(matches!(
        b.run(&mut dep, &wrong, &Recording::counts_only()),
        Err(BackendError::InvalidInput { .. })
    ));
    for rec in [
        Recording::counts_only().with_spikes(NeuronSelection::all(3)),
        Recording::counts_only().with_membrane(NeuronSelection::list(1, vec![0, 4])),
        Recording::counts_only().with_checkpoints(0.0),
        Recording::counts_only().with_spikes(NeuronSelection::all(1)).for_images(2..4),
    ] {
        let err = b.run(&mut dep, &good, &rec).unwrap_err();
        assert!(matches!(err, BackendError::InvalidRecording { .. }), "{rec:?}: {err}");
    }
    let mut dep = small_batch.deploy(&net, 0).unwrap();
    let err = small_batch.run(&mut dep, &good, &Recording::counts_only()).unwrap_err();
    assert!(matches!(err, BackendError::ResourceLimit { requested: 3, limit: 2, .. }), "{err}");
    assert!(small_batch.run(&mut dep, &good.to_slice(0..2).unwrap(), &Recording::counts_only()).is_ok());
    // 40 images: counts take 2 kB, traces of 4 neurons ≥ 38 kB (limit 20 kB)
    let many = enc.encode(random_images(40, 6, 2).view()).unwrap();
    let mut dep = small_memory.deploy(&net, 0).unwrap();
    let err = small_memory
        .run(&mut dep, &many, &Recording::counts_only().with_membrane(NeuronSelection::all(1)))
        .unwrap_err();
    assert!(matches!(err, BackendError::ResourceLimit { .. }), "{err}");
    assert!(small_memory.run(&mut dep, &many, &Recording::counts_only()).is_ok());
    let Err(err) = only_curr.deploy(&net, 0) else {
        panic!("IF_cond_exp deployed on an IF_curr_exp-only backend")
    };
    assert!(matches!(err, BackendError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("IF_cond_exp"), "{err}");
    // absurd delays and checkpoint intervals are refused before allocating
    let (pops, mut projs) = random_chain(&[6, 4, 2], 3).into_parts();
    projs[1].delay_ms = 1e300;
    let far = SnnNetwork::new(pops, projs).unwrap();
    let mut dep = b.deploy(&far, 0).unwrap();
    let err = b.run(&mut dep, &good, &Recording::counts_only()).unwrap_err();
    assert!(matches!(err, BackendError::ResourceLimit { .. }), "{err}");
    let mut dep = b.deploy(&net, 0).unwrap();
    let err = b.run(&mut dep, &good, &Recording::counts_only().with_checkpoints(1e-12)).unwrap_err();
    assert!(matches!(err, BackendError::ResourceLimit { .. }), "{err}");
    // an empty batch is fine
    let empty = SpikeInput::from_compressed(6, 20.0, 10.0, vec![0], vec![]).unwrap();
    let mut dep = b.deploy(&net, 0).unwrap();
    let out = b.run(&mut dep, &empty, &Recording::counts_only().with_checkpoints(10.0)).unwrap();
    assert_eq!(out.counts[2].dim(), (0, 2));
    assert_eq!(out.activity.images, 0);
}
