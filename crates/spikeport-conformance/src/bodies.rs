//! The test bodies, each a public function of a [`Fixture`]. A body panics (fails its
//! test) when the backend does not conform; it prints what it measured where it compares
//! with an accurate solution, so that tolerances can be set from measurements.
//!
//! Every body that needs a feature the fixture declares unsupported checks that asking
//! for it is a typed [`BackendError::Unsupported`] and runs whatever part of the body
//! does not need it.

// Test bodies: a failed unwrap is a failed conformance check, reported with its location.
#![allow(clippy::unwrap_used)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use ndarray::{array, s, Array2, ArrayView2};
use spikeport_snn::timing::delay_steps;
use spikeport_snn::{
    BackendError, DynBackend, Encoder, IfCurrDeltaSubParams, IfCurrExpParams, ImageBoundary, ModelKind,
    NeuronModel, NeuronSelection, Placement, Population, Projection, Recording, RunOutput, Session, SnnError,
    SnnNetwork, SpikeInput,
};

use crate::nets::{
    expand, grid_chain, lif_refrac, paper_lif, random_images, repeat_inputs, silent_input, strong,
};
use crate::solutions::{
    arrivals, curr_exp_closed_form as curr_closed_form, hp_cond_exp, hp_substeps, kernel_run_for,
    max_abs_diff,
};
use crate::{Feature, Fixture, Limit, Mode};

// ------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------

/// A session of `net` at `at` on `b`.
#[track_caller]
fn deploy<'a>(fx: &Fixture, b: &'a dyn DynBackend, net: &SnnNetwork, at: Placement) -> Box<dyn Session + 'a> {
    b.session(net, at).unwrap_or_else(|e| panic!("{}: deploying failed: {e}", fx.name()))
}

/// One run of `input` on a fresh deployment of `net` with seed 0.
#[track_caller]
fn run_fresh(
    fx: &Fixture,
    b: &dyn DynBackend,
    net: &SnnNetwork,
    input: &SpikeInput,
    rec: &Recording,
) -> RunOutput {
    run_at(fx, b, net, Placement::from(0), input, rec)
}

/// One run of `input` on a fresh deployment of `net` at `at`.
#[track_caller]
fn run_at(
    fx: &Fixture,
    b: &dyn DynBackend,
    net: &SnnNetwork,
    at: Placement,
    input: &SpikeInput,
    rec: &Recording,
) -> RunOutput {
    let mut s = deploy(fx, b, net, at);
    s.run(input, rec).unwrap_or_else(|e| panic!("{}: the run failed: {e}", fx.name()))
}

fn steps_of(ms: f64, dt: f64) -> usize {
    (ms / dt).round() as usize
}

/// Stamp (update index + 1) of a recorded spike time.
fn stamp_of(t: f64, dt: f64) -> usize {
    (t / dt).round() as usize
}

/// Prints a measured deviation next to its tolerance.
fn measured(fx: &Fixture, what: &str, value: f64, tolerance: f64) {
    eprintln!("{}: {what} = {value:.4e} (tolerance {tolerance:.4e})", fx.name());
}

/// Largest |a − b| of two count matrices.
fn count_diff(a: ArrayView2<'_, u32>, b: ArrayView2<'_, u32>) -> u32 {
    assert_eq!(a.dim(), b.dim(), "count matrices of different shapes");
    a.iter().zip(b.iter()).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0)
}

/// Asserts that two runs the contract says agree do: counts of every population within
/// the fixture's count tolerance and, when that is 0, everything else too (recordings,
/// checkpoints, activity) but the timings and the platform counters.
#[track_caller]
fn assert_agree(fx: &Fixture, what: &str, a: &RunOutput, b: &RunOutput) {
    let tol = fx.tolerances().counts;
    assert_eq!(a.counts.len(), b.counts.len(), "{}: {what}: populations", fx.name());
    for (p, (x, y)) in a.counts.iter().zip(&b.counts).enumerate() {
        let d = count_diff(x.view(), y.view());
        assert!(
            d <= tol,
            "{}: {what}: counts of population {p} differ by up to {d} (tolerance {tol})",
            fx.name()
        );
    }
    if tol == 0 {
        let strip = |o: &RunOutput| {
            let mut o = o.clone();
            o.activity.wall_time_s = 0.0;
            o.activity.hardware_time_s = 0.0;
            o.activity.counters.clear();
            o
        };
        assert_eq!(strip(a), strip(b), "{}: {what}", fx.name());
    }
}

/// Whether two outputs have the same results (counts, recordings, checkpoints, spikes
/// and events), whatever their timings and platform counters.
fn same_results(a: &RunOutput, b: &RunOutput) -> bool {
    a.counts == b.counts
        && a.spikes == b.spikes
        && a.membrane == b.membrane
        && a.checkpoints == b.checkpoints
        && a.activity.spikes == b.activity.spikes
        && a.activity.synaptic_events == b.activity.synaptic_events
}

/// The typed error `f` answers with; a panic or success fails the check.
#[track_caller]
fn expect_typed_error(
    fx: &Fixture,
    what: &str,
    f: impl FnOnce() -> Result<(), BackendError>,
) -> BackendError {
    match catch_unwind(AssertUnwindSafe(f)) {
        Err(_) => panic!("{}: {what} panicked instead of answering with a typed error", fx.name()),
        Ok(Ok(())) => panic!("{}: {what} was accepted", fx.name()),
        Ok(Err(e)) => e,
    }
}

// ------------------------------------------------------------------------------------
// Single neurons against accurate solutions
// ------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------
// Networks and time
// ------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------
// Errors, activity, weight updates, copies, models
// ------------------------------------------------------------------------------------

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
