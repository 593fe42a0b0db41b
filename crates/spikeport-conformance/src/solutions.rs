//! Independent solutions the bodies compare backends against: a high-precision
//! `IF_cond_exp` integration on the time grid, the closed form of `IF_curr_exp`, and a
//! `spikeport-lif` kernel stepped by hand.

use ndarray::Array2;
use spikeport_lif::{Kernel, NeuronKernel, Real, RkControl};
use spikeport_snn::timing::{delay_steps, refractory_steps, spike_step};
use spikeport_snn::{IfCondExpValidParams, IfCurrExpValidParams, NeuronModel, SpikeInput};

use crate::KernelKind;

/// A conductance (or current) jump arriving before the update of step `step`: `(step,
/// excitatory magnitude, inhibitory magnitude)`.
pub type Arrival = (usize, f64, f64);

/// The jumps arriving at the single post neuron in column `post` of `weights` (pre =
/// the inputs of image 0) with `delay_ms`, on a grid of `dt`: input spike at `t` arrives
/// before update `⌈t/dt⌉ + D` ([`spikeport_snn::timing`]). Sorted by step.
pub fn arrivals(
    input: &SpikeInput,
    weights: &Array2<f64>,
    post: usize,
    delay_ms: f64,
    dt: f64,
) -> Vec<Arrival> {
    let d = delay_steps(delay_ms, dt);
    let mut out = Vec::new();
    for (j, train) in input.image_trains(0).enumerate() {
        let w = weights[[j, post]];
        for &t in train {
            let step = spike_step(t, dt) as usize + d;
            if w > 0.0 {
                out.push((step, w, 0.0));
            } else if w < 0.0 {
                out.push((step, 0.0, -w));
            }
        }
    }
    out.sort_by_key(|a| a.0);
    out
}

/// High-precision solution of one `IF_cond_exp` neuron on a grid of `dt` for `steps`
/// updates: conductances in closed form, V by classical RK4 with `sub` sub-steps per dt,
/// threshold checked on the grid (NEST: right-hand side with min(V, v_thresh)), reset and
/// refractory clamp as in [`spikeport_snn::timing`]. Returns V after every update (after
/// any reset) and the spike stamps (update index + 1).
pub fn hp_cond_exp(
    p: &IfCondExpValidParams,
    dt: f64,
    steps: usize,
    arrivals: &[Arrival],
    sub: usize,
) -> (Vec<f64>, Vec<usize>) {
    let refrac_steps = refractory_steps(p.tau_refrac(), dt) as usize;
    let rhs = |v: f64, ge: f64, gi: f64| {
        let vc = v.min(p.v_thresh());
        (p.g_leak() * (p.v_rest() - vc) + ge * (p.e_rev_e() - vc) + gi * (p.e_rev_i() - vc) + p.i_offset())
            / p.cm()
    };
    let h = dt / sub as f64;
    let (de_h, di_h) = ((-h / p.tau_syn_e()).exp(), (-h / p.tau_syn_i()).exp());
    let (de_half, di_half) = ((-0.5 * h / p.tau_syn_e()).exp(), (-0.5 * h / p.tau_syn_i()).exp());
    let (mut v, mut ge, mut gi, mut refrac) = (p.v_rest(), 0.0f64, 0.0f64, 0usize);
    let mut trace = Vec::with_capacity(steps);
    let mut stamps = Vec::new();
    let mut a = 0;
    for k in 0..steps {
        while a < arrivals.len() && arrivals[a].0 == k {
            ge += arrivals[a].1;
            gi += arrivals[a].2;
            a += 1;
        }
        if refrac > 0 {
            refrac -= 1;
            v = p.v_reset();
            ge *= de_h.powi(sub as i32);
            gi *= di_h.powi(sub as i32);
        } else {
            for _ in 0..sub {
                let k1 = rhs(v, ge, gi);
                let k2 = rhs(v + 0.5 * h * k1, ge * de_half, gi * di_half);
                let k3 = rhs(v + 0.5 * h * k2, ge * de_half, gi * di_half);
                let k4 = rhs(v + h * k3, ge * de_h, gi * di_h);
                v += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
                ge *= de_h;
                gi *= di_h;
            }
            if v >= p.v_thresh() {
                v = p.v_reset();
                refrac = refrac_steps;
                stamps.push(k + 1);
            }
        }
        trace.push(v);
    }
    (trace, stamps)
}

/// Sub-steps per dt that make [`hp_cond_exp`] converge to well below the tolerances
/// (100 per ms, at least 100).
pub fn hp_substeps(dt: f64) -> usize {
    ((100.0 / dt).round() as usize).max(100)
}

/// The closed-form `IF_curr_exp` membrane potential at time `t` (ms after the image
/// start) for current jumps `arrivals` on a grid of `dt` (no spike, no refractoriness):
/// `V = v_rest + Σ w · τ_s τ_m / (cm (τ_m − τ_s)) · (e^{−u/τ_m} − e^{−u/τ_s})`, u the
/// time since the jump.
pub fn curr_exp_closed_form(p: &IfCurrExpValidParams, arrivals: &[Arrival], dt: f64, t: f64) -> f64 {
    let (tm, cm) = (p.tau_m(), p.cm());
    let resp = |u: f64, ts: f64| ts * tm / (cm * (tm - ts)) * ((-u / tm).exp() - (-u / ts).exp());
    let mut v = p.v_rest();
    for &(step, e, i) in arrivals {
        let u = t - step as f64 * dt;
        if u >= 0.0 {
            v += e * resp(u, p.tau_syn_e()) - i * resp(u, p.tau_syn_i());
        }
    }
    v
}

/// One neuron stepped by hand with a `spikeport-lif` kernel, arrivals added before the
/// update of their step (the protocol of `spikeport_lif::ring`). Returns V after every
/// update (as f64) and the spike stamps.
pub fn kernel_run<F: Real>(kernel: &Kernel<F>, steps: usize, arrivals: &[Arrival]) -> (Vec<f64>, Vec<usize>) {
    let (mut v, mut ge, mut gi, mut r) = (kernel.v_init(), F::ZERO, F::ZERO, 0u32);
    let mut trace = Vec::with_capacity(steps);
    let mut stamps = Vec::new();
    let mut a = 0;
    for k in 0..steps {
        // the ring sums the step's arrivals in its own plane before adding them
        let (mut xe, mut xi) = (F::ZERO, F::ZERO);
        while a < arrivals.len() && arrivals[a].0 == k {
            xe += F::from_f64(arrivals[a].1);
            xi += F::from_f64(arrivals[a].2);
            a += 1;
        }
        ge += xe;
        gi += xi;
        if kernel.step(&mut v, &mut ge, &mut gi, &mut r) {
            stamps.push(k + 1);
        }
        trace.push(v.to_f64());
    }
    (trace, stamps)
}

/// [`kernel_run`] with the kernel of `kind` for `model` at `dt`.
///
/// **Panics** if the kernel cannot be built for `model`.
pub fn kernel_run_for(
    kind: KernelKind,
    model: &NeuronModel,
    dt: f64,
    steps: usize,
    arrivals: &[Arrival],
) -> (Vec<f64>, Vec<usize>) {
    let built = "a spikeport-lif kernel for a valid model";
    match kind {
        KernelKind::ExactF32 => kernel_run(&Kernel::<f32>::exact(model, dt).expect(built), steps, arrivals),
        KernelKind::ExpEulerF32 => {
            kernel_run(&Kernel::<f32>::exp_euler(model, dt).expect(built), steps, arrivals)
        }
        KernelKind::AccurateF64 => kernel_run(
            &Kernel::<f64>::accurate(model, dt, RkControl::default()).expect(built),
            steps,
            arrivals,
        ),
    }
}

/// Largest |a − b| over two traces of equal length.
///
/// **Panics** if the lengths differ.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "traces of different lengths");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The high-precision solution has converged: doubling the sub-steps changes the
    /// trace by less than a third of the tightest tolerance a backend declares (Reference
    /// at 0.1 ms, 3e-11 mV); what is left is f64 rounding (3.6e-12 mV at dt 0.1 ms).
    #[test]
    fn the_high_precision_solution_has_converged() {
        let p = spikeport_snn::IfCondExpParams::paper_digital().check().expect("valid");
        let arr = vec![(5, 0.004, 0.0), (20, 0.0, 0.01), (22, 0.003, 0.0)];
        for dt in [1.0, 0.1] {
            let steps = (60.0 / dt) as usize;
            let shift = |a: &[Arrival]| -> Vec<Arrival> {
                a.iter().map(|&(s, e, i)| (((s as f64) / dt).round() as usize, e, i)).collect()
            };
            let (a, _) = hp_cond_exp(&p, dt, steps, &shift(&arr), hp_substeps(dt));
            let (b, _) = hp_cond_exp(&p, dt, steps, &shift(&arr), 2 * hp_substeps(dt));
            assert!(max_abs_diff(&a, &b) < 1e-11, "dt {dt}: {}", max_abs_diff(&a, &b));
            assert!(a.iter().any(|&v| v > p.v_rest() + 1.0));
        }
    }

    #[test]
    fn the_closed_form_starts_at_rest_and_rises() {
        let p = spikeport_snn::IfCurrExpParams::new().check().expect("valid");
        let arr = vec![(2, 1.0, 0.0)];
        assert_eq!(curr_exp_closed_form(&p, &arr, 1.0, 2.0), p.v_rest());
        assert!(curr_exp_closed_form(&p, &arr, 1.0, 5.0) > p.v_rest());
    }
}
