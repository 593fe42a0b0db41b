//! Single neurons against accurate solutions: traces, spike times, closed forms.

use super::*;

/// One `IF_cond_exp` neuron (the paper's parameters) driven by a known spike train
/// through an excitatory and an inhibitory input, kept below threshold: its membrane
/// trace against the high-precision solution ([`Tolerances::cond_trace_mv`]), against
/// the backend's own `spikeport-lif` kernel stepped by hand ([`Tolerances::kernel`]),
/// and exactly at rest before the first arrival. Without membrane traces: the typed
/// error, and no spike.
///
/// [`Tolerances::cond_trace_mv`]: crate::Tolerances::cond_trace_mv
/// [`Tolerances::kernel`]: crate::Tolerances::kernel
pub fn subthreshold_trace(fx: &Fixture) {
    let b = fx.backend(Mode::Ideal);
    let dt = fx.dt_ms();
    let tol = fx.tolerances();
    let p = paper_lif();
    let inhibition = !fx.constraints().one_sign_per_population;
    let w = if inhibition { array![[0.002], [-0.01]] } else { array![[0.002], [0.0]] };
    let net = SnnNetwork::feed_forward(2, vec![(p.into(), w.clone())], 1.0).unwrap();
    let trains = vec![vec![vec![5.0, 12.3, 20.0, 21.0, 22.5, 40.0, 41.0], vec![30.0, 55.5]]];
    let input = SpikeInput::new(2, 80.0, 20.0, &trains).unwrap();
    let rec = Recording::counts_only().with_membrane(NeuronSelection::all(1));
    let steps = steps_of(100.0, dt);
    let arr = arrivals(&input, &w, 0, 1.0, dt);
    let (exact, stamps) = hp_cond_exp(&p, dt, steps, &arr, hp_substeps(dt));
    assert!(stamps.is_empty(), "the test must stay subthreshold");
    let mut session = deploy(fx, &*b, &net, Placement::from(0));
    if !fx.supports(Feature::MembraneTraces) {
        fx.expect_unsupported(&*b, Feature::MembraneTraces, session.run(&input, &rec));
        let out = session.run(&input, &Recording::counts_only()).unwrap();
        assert_eq!(out.activity.spikes[1], 0, "{}: the neuron stays below threshold", fx.name());
        return;
    }
    let out = session.run(&input, &rec).unwrap();
    let m = &out.membrane[0];
    assert_eq!(m.v_mv.shape(), &[1, 1, steps]);
    assert_eq!(m.dt_ms, dt);
    let got: Vec<f64> = m.v_mv.slice(s![0, 0, ..]).to_vec();
    assert!(out.counts[1].iter().all(|&c| c == 0));
    let err = max_abs_diff(&got, &exact);
    measured(fx, "subthreshold IF_cond_exp: max |V − V_exact| (mV)", err, tol.cond_trace_mv);
    assert!(
        err <= tol.cond_trace_mv,
        "{}: max |V − V_exact| = {err} mV > {} mV",
        fx.name(),
        tol.cond_trace_mv
    );
    // the trace moved: excitation up, inhibition down
    let rest = p.v_rest();
    assert!(got.iter().any(|&v| v > rest + 1.0), "{}: excitation moves V up", fx.name());
    if inhibition {
        assert!(got.iter().any(|&v| v < rest - 1.0), "{}: inhibition moves V down", fx.name());
    }
    if let Some(k) = tol.kernel {
        let (by_hand, _) = kernel_run_for(k.kind, &p.into(), dt, steps, &arr);
        let err = max_abs_diff(&got, &by_hand);
        measured(fx, "max |V − V_kernel| (mV)", err, k.max_mv);
        assert!(err <= k.max_mv, "{}: max |V − V_kernel| = {err} mV", fx.name());
    }
    // nothing happens before the first arrival at ⌈5 / dt⌉ + D
    let first = steps_of(5.0, dt) + delay_steps(1.0, dt);
    assert!(got[..first].iter().all(|&v| v == rest), "{}: {:?}", fx.name(), &got[..first + 1]);
    assert!(got[first] > rest);
}

/// A neuron driven hard for 1 s (a 400 Hz excitatory train through 0.012 µS, refractory
/// 2 ms): its spike stamps against the high-precision solution
/// ([`Tolerances::driven_spike_steps`], [`Tolerances::driven_count_rel`]), the refractory
/// clamp (membrane at `v_reset` for ⌈tau_refrac/dt⌉ updates after every spike, where
/// traces are supported) and inter-spike intervals longer than it.
///
/// [`Tolerances::driven_spike_steps`]: crate::Tolerances::driven_spike_steps
/// [`Tolerances::driven_count_rel`]: crate::Tolerances::driven_count_rel
pub fn driven_spike_times(fx: &Fixture) {
    let b = fx.backend(Mode::Ideal);
    let dt = fx.dt_ms();
    let tol = fx.tolerances();
    let p = spikeport_snn::IfCondExpParams::paper_digital().tau_refrac(2.0).check().unwrap();
    let w = array![[0.012]];
    let net = SnnNetwork::feed_forward(1, vec![(p.into(), w.clone())], 1.0).unwrap();
    let train: Vec<f64> = (1..400).map(|k| k as f64 * 2.5).collect();
    let input = SpikeInput::new(1, 1000.0, 0.0, &[vec![train]]).unwrap();
    let traces = fx.supports(Feature::MembraneTraces);
    let mut rec = Recording::counts_only().with_spikes(NeuronSelection::all(1));
    let mut session = deploy(fx, &*b, &net, Placement::from(0));
    if traces {
        rec = rec.with_membrane(NeuronSelection::all(1));
    } else {
        let with = rec.clone().with_membrane(NeuronSelection::all(1));
        fx.expect_unsupported(&*b, Feature::MembraneTraces, session.run(&input, &with));
    }
    let out = session.run(&input, &rec).unwrap();
    let steps = steps_of(1000.0, dt);
    let arr = arrivals(&input, &w, 0, 1.0, dt);
    let (_, exact) = hp_cond_exp(&p, dt, steps, &arr, hp_substeps(dt));
    let got: Vec<usize> = out.spikes[0].times_ms[0][0].iter().map(|&t| stamp_of(t, dt)).collect();
    assert!(exact.len() > 20, "the neuron is driven: {} spikes", exact.len());
    let rel = (got.len() as f64 - exact.len() as f64).abs() / exact.len() as f64;
    eprintln!("{}: driven neuron: {} spikes, high-precision solution {}", fx.name(), got.len(), exact.len());
    measured(fx, "driven neuron: relative spike-count difference", rel, tol.driven_count_rel);
    assert!(rel <= tol.driven_count_rel, "{}: {} spikes vs {} exact", fx.name(), got.len(), exact.len());
    if got.len() == exact.len() {
        let worst = got.iter().zip(&exact).map(|(g, e)| g.abs_diff(*e)).max().unwrap_or(0);
        eprintln!("{}: driven neuron: largest stamp difference {worst} steps", fx.name());
    }
    if let Some(max) = tol.driven_spike_steps {
        assert_eq!(got.len(), exact.len(), "{}: spike count", fx.name());
        for (g, e) in got.iter().zip(&exact) {
            assert!(g.abs_diff(*e) as u64 <= max, "{}: spike at step {g} vs {e}", fx.name());
        }
    }
    let r = spikeport_snn::timing::refractory_steps(2.0, dt) as usize;
    if traces {
        // V after update stamp − 1 is the reset, then r clamped updates
        let v = out.membrane[0].v_mv.slice(s![0, 0, ..]).to_vec();
        for &stamp in &got {
            let held = &v[stamp - 1..(stamp + r).min(steps)];
            assert!(
                held.iter().all(|&x| x == p.v_reset()),
                "{}: after the spike stamped {stamp}: {held:?}",
                fx.name()
            );
        }
    }
    let isi = got.windows(2).map(|w| w[1] - w[0]).min().unwrap();
    assert!(isi > r, "{}: inter-spike interval {isi} steps within the refractory period", fx.name());
}

/// `IF_curr_exp` (tau_syn 5 / 2 ms) driven by three excitatory and one inhibitory jump:
/// the trace against the closed form ([`Tolerances::curr_trace_mv`]). Without the model
/// or without traces: the typed error.
///
/// [`Tolerances::curr_trace_mv`]: crate::Tolerances::curr_trace_mv
pub fn curr_exp_closed_form(fx: &Fixture) {
    let b = fx.backend(Mode::Ideal);
    let dt = fx.dt_ms();
    let tol = fx.tolerances();
    let p = IfCurrExpParams::new().tau_syn_e(5.0).tau_syn_i(2.0).check().unwrap();
    let w = array![[0.3], [-0.5]];
    let net = SnnNetwork::feed_forward(2, vec![(p.into(), w.clone())], 1.0).unwrap();
    let feature = Feature::Model(ModelKind::IfCurrExp);
    if !fx.supports(feature) {
        fx.expect_unsupported(&*b, feature, b.session(&net, Placement::from(0)));
        return;
    }
    let input = SpikeInput::new(2, 60.0, 0.0, &[vec![vec![3.0, 10.0, 10.0], vec![25.0]]]).unwrap();
    let rec = Recording::counts_only().with_membrane(NeuronSelection::all(1));
    let mut session = deploy(fx, &*b, &net, Placement::from(0));
    if !fx.supports(Feature::MembraneTraces) {
        fx.expect_unsupported(&*b, Feature::MembraneTraces, session.run(&input, &rec));
        return;
    }
    let out = session.run(&input, &rec).unwrap();
    let arr = arrivals(&input, &w, 0, 1.0, dt);
    let got = out.membrane[0].v_mv.slice(s![0, 0, ..]).to_vec();
    let exact: Vec<f64> =
        (0..got.len()).map(|k| curr_closed_form(&p, &arr, dt, (k + 1) as f64 * dt)).collect();
    let err = max_abs_diff(&got, &exact);
    measured(fx, "IF_curr_exp: max |V − V_closed form| (mV)", err, tol.curr_trace_mv);
    assert!(err <= tol.curr_trace_mv, "{}: max |V − V_exact| = {err} mV", fx.name());
    assert!(got.iter().any(|&v| v > p.v_rest() + 0.5), "{}: the trace moved", fx.name());
}

/// `IF_curr_delta_sub`: a jump of w per input spike, reset by subtraction keeping the
/// residual above threshold; stamps within [`Tolerances::timing_steps`], potentials
/// within [`Tolerances::curr_trace_mv`]. Without the model: the typed error.
///
/// [`Tolerances::timing_steps`]: crate::Tolerances::timing_steps
/// [`Tolerances::curr_trace_mv`]: crate::Tolerances::curr_trace_mv
pub fn delta_sub_reset(fx: &Fixture) {
    let b = fx.backend(Mode::Ideal);
    let dt = fx.dt_ms();
    let tol = fx.tolerances();
    let p = IfCurrDeltaSubParams::new().check().unwrap();
    let net = SnnNetwork::feed_forward(1, vec![(p.into(), array![[0.375]])], 1.0).unwrap();
    let feature = Feature::Model(ModelKind::IfCurrDeltaSub);
    if !fx.supports(feature) {
        fx.expect_unsupported(&*b, feature, b.session(&net, Placement::from(0)));
        return;
    }
    // 8 spikes, one every 2 ms: V = 0.375, 0.75, 1.125 → spike → 0.125, 0.5, 0.875,
    // 1.25 → spike → 0.25, 0.625, 1.0 → spike → 0.0
    let train: Vec<f64> = (1..=8).map(|k| k as f64 * 2.0).collect();
    let input = SpikeInput::new(1, 20.0, 0.0, &[vec![train]]).unwrap();
    let traces = fx.supports(Feature::MembraneTraces);
    let mut rec = Recording::counts_only().with_spikes(NeuronSelection::all(1));
    if traces {
        rec = rec.with_membrane(NeuronSelection::all(1));
    }
    let out = run_fresh(fx, &*b, &net, &input, &rec);
    let d = delay_steps(1.0, dt);
    let arrival = |k: usize| steps_of(2.0 * k as f64, dt) + d; // update index
    let stamps: Vec<f64> = [3, 6, 8].iter().map(|&k| (arrival(k) + 1) as f64 * dt).collect();
    let got = &out.spikes[0].times_ms[0][0];
    assert_eq!(got.len(), 3, "{}: {got:?}", fx.name());
    let slack = tol.timing_steps as f64 * dt + 1e-9;
    for (g, e) in got.iter().zip(&stamps) {
        assert!((g - e).abs() <= slack, "{}: {got:?} vs {stamps:?}", fx.name());
    }
    assert_eq!(out.counts[1][[0, 0]], 3);
    if traces {
        let v = out.membrane[0].v_mv.slice(s![0, 0, ..]).to_vec();
        let checks = [(arrival(3), 0.125), (arrival(7), 0.625), (arrival(8), 0.0), (arrival(1), 0.375)];
        let err = checks.iter().map(|&(k, want)| (v[k] - want).abs()).fold(0.0, f64::max);
        measured(fx, "IF_curr_delta_sub: max |V − V_exact| (mV)", err, tol.curr_trace_mv);
        assert!(err <= tol.curr_trace_mv, "{}: V after the jumps: {checks:?} vs {v:?}", fx.name());
        let last = v[arrival(8)];
        assert!(v[arrival(8)..].iter().all(|&x| x == last), "{}: no leak, no input: V stays", fx.name());
    }
}
