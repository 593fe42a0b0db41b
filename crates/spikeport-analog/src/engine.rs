//! The analog engine: conductance-based LIF neurons with per-neuron (mismatched)
//! parameters, integrated on the emulated biological time axis.
//!
//! Each step of `h` ms (default 0.1 ms) holds the conductances at their exact mean over
//! the step and moves V on the exact solution of the membrane equation for them (the
//! held-conductance step of `spikeport_lif::CondExpExpEuler`, here per neuron and in f64;
//! at h = 0.1 ms its error on a subthreshold trace is about 1e-4 mV). Spikes, delays,
//! refractory clamping and the readout window follow `spikeport_snn::timing`, so an
//! analog chip without mismatch, noise or quantisation gives the same counts as `Fast`
//! at the same step.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use spikeport_snn::timing::refractory_steps;
use spikeport_snn::IfCondExpValidParams;

use crate::config::Mismatch;

/// One neuron's parameters after the chip's fixed-pattern draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NeuronParams {
    /// Resting potential, mV.
    pub v_rest: f64,
    /// Reset potential, mV.
    pub v_reset: f64,
    /// Threshold, mV.
    pub v_thresh: f64,
    /// Excitatory reversal potential, mV.
    pub e_rev_e: f64,
    /// Inhibitory reversal potential, mV.
    pub e_rev_i: f64,
    /// Membrane capacitance, nF.
    pub cm: f64,
    /// Membrane time constant, ms.
    pub tau_m: f64,
    /// Excitatory synaptic time constant, ms.
    pub tau_syn_e: f64,
    /// Inhibitory synaptic time constant, ms.
    pub tau_syn_i: f64,
    /// Refractory period, ms.
    pub tau_refrac: f64,
}

impl NeuronParams {
    /// The nominal parameters of `p`.
    pub fn nominal(p: &IfCondExpValidParams) -> Self {
        Self {
            v_rest: p.v_rest(),
            v_reset: p.v_reset(),
            v_thresh: p.v_thresh(),
            e_rev_e: p.e_rev_e(),
            e_rev_i: p.e_rev_i(),
            cm: p.cm(),
            tau_m: p.tau_m(),
            tau_syn_e: p.tau_syn_e(),
            tau_syn_i: p.tau_syn_i(),
            tau_refrac: p.tau_refrac(),
        }
    }

    /// One fixed-pattern draw around `self` with the spreads of `m`; see [`Mismatch`].
    pub fn draw(&self, m: &Mismatch, rng: &mut impl Rng) -> Self {
        let mut z = || -> f64 { rng.sample(StandardNormal) };
        let rel = |x: f64, s: f64, z: f64| x + s * x.abs() * z;
        let tau = |x: f64, s: f64, z: f64| (x * (1.0 + s * z)).max(0.05 * x);
        let mut q = Self {
            v_rest: rel(self.v_rest, m.v_rest, z()),
            v_reset: rel(self.v_reset, m.v_reset, z()),
            v_thresh: rel(self.v_thresh, m.v_thresh, z()),
            e_rev_e: rel(self.e_rev_e, m.e_rev_e, z()),
            e_rev_i: rel(self.e_rev_i, m.e_rev_i, z()),
            cm: self.cm,
            tau_m: tau(self.tau_m, m.tau_m, z()),
            tau_syn_e: 0.0,
            tau_syn_i: 0.0,
            tau_refrac: (self.tau_refrac * (1.0 + m.tau_refrac * z())).max(0.0),
        };
        // e_rev_E = 0 mV has no magnitude to be relative to: spread it by σ · 10 mV
        if self.e_rev_e == 0.0 {
            q.e_rev_e = m.e_rev_e * 10.0 * z();
        }
        let zs = z();
        q.tau_syn_e = tau(self.tau_syn_e, m.tau_syn, zs);
        q.tau_syn_i = tau(self.tau_syn_i, m.tau_syn, z());
        if q.v_thresh < q.v_reset + 1.0 {
            q.v_thresh = q.v_reset + 1.0;
        }
        q
    }
}

/// Per-step constants of one neuron for step `h` ms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Step {
    v_rest: f64,
    v_reset: f64,
    v_thresh: f64,
    e_rev_e: f64,
    e_rev_i: f64,
    g_leak: f64,
    neg_h_over_cm: f64,
    mean_e: f64,
    mean_i: f64,
    decay_e: f64,
    decay_i: f64,
    refrac_steps: u32,
}

impl Step {
    pub(crate) fn new(p: &NeuronParams, h: f64) -> Self {
        let mean = |tau: f64| tau / h * -(-h / tau).exp_m1();
        Self {
            v_rest: p.v_rest,
            v_reset: p.v_reset,
            v_thresh: p.v_thresh,
            e_rev_e: p.e_rev_e,
            e_rev_i: p.e_rev_i,
            g_leak: p.cm / p.tau_m,
            neg_h_over_cm: -h / p.cm,
            mean_e: mean(p.tau_syn_e),
            mean_i: mean(p.tau_syn_i),
            decay_e: (-h / p.tau_syn_e).exp(),
            decay_i: (-h / p.tau_syn_i).exp(),
            refrac_steps: refractory_steps(p.tau_refrac, h),
        }
    }

    /// Advance one neuron by one step (noise `kick` mV added to a free membrane); `true`
    /// if it spiked.
    #[inline]
    pub(crate) fn advance(
        &self,
        v: &mut f64,
        ge: &mut f64,
        gi: &mut f64,
        refrac: &mut u32,
        kick: f64,
    ) -> bool {
        let free = *refrac == 0;
        if free {
            let me = *ge * self.mean_e;
            let mi = *gi * self.mean_i;
            let g_tot = self.g_leak + me + mi;
            let v_inf = (self.g_leak * self.v_rest + me * self.e_rev_e + mi * self.e_rev_i) / g_tot;
            *v = v_inf + (*v - v_inf) * (g_tot * self.neg_h_over_cm).exp() + kick;
        } else {
            *refrac -= 1;
            *v = self.v_reset;
        }
        *ge *= self.decay_e;
        *gi *= self.decay_i;
        if free && *v >= self.v_thresh {
            *v = self.v_reset;
            *refrac = self.refrac_steps;
            true
        } else {
            false
        }
    }
}

/// A projection as the engine runs it: effective signed conductances (µS) after
/// quantisation, synapse gains and losses.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ProjRun {
    pub pre: usize,
    pub post: usize,
    pub delay: usize,
    pub weights: Array2<f64>,
    /// Non-zero weights per pre-synaptic row (synaptic events per spike).
    pub row_nnz: Vec<u64>,
}

/// What one image produced.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ImageResult {
    /// Spike counts in the readout window, per population.
    pub counts: Vec<Vec<u32>>,
    /// Checkpoint counts of the output population, one vector per checkpoint.
    pub checkpoints: Vec<Vec<u32>>,
    /// All spikes per population.
    pub spikes: Vec<u64>,
    /// Synaptic events per projection.
    pub events: Vec<u64>,
    /// Input spikes dropped on the links.
    pub inputs_lost: u64,
}

/// Everything fixed during a run.
pub(crate) struct RunPlan<'a> {
    pub sizes: &'a [usize],
    pub neurons: &'a [Vec<Step>],
    pub projs: &'a [ProjRun],
    pub steps: usize,
    pub h: f64,
    pub window_end_steps: usize,
    pub checkpoint_steps: &'a [usize],
    pub noise_mv: f64,
    pub input_loss: f64,
}

/// Simulate one image from rest. `inputs[s]` lists the input neurons with stamp `s`.
pub(crate) fn simulate_image(
    plan: &RunPlan<'_>,
    inputs: &dyn Fn(usize) -> Vec<u32>,
    seed: u64,
) -> ImageResult {
    let n_pop = plan.sizes.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut v: Vec<Vec<f64>> = (0..n_pop)
        .map(|p| if p == 0 { Vec::new() } else { plan.neurons[p].iter().map(|s| s.v_rest).collect() })
        .collect();
    let mut ge: Vec<Vec<f64>> = plan.sizes.iter().map(|&n| vec![0.0; n]).collect();
    let mut gi = ge.clone();
    let mut refrac: Vec<Vec<u32>> = plan.sizes.iter().map(|&n| vec![0; n]).collect();
    let ring_len = plan.projs.iter().map(|p| p.delay).max().unwrap_or(1) + 1;
    // ring[slot][pop] = (exc, inh) arrivals
    let mut ring_e: Vec<Vec<Vec<f64>>> =
        (0..ring_len).map(|_| plan.sizes.iter().map(|&n| vec![0.0; n]).collect()).collect();
    let mut ring_i = ring_e.clone();
    let mut result = ImageResult {
        counts: plan.sizes.iter().map(|&n| vec![0; n]).collect(),
        checkpoints: vec![vec![0; plan.sizes[n_pop - 1]]; plan.checkpoint_steps.len()],
        spikes: vec![0; n_pop],
        events: vec![0; plan.projs.len()],
        inputs_lost: 0,
    };
    let mut fired: Vec<Vec<u32>> = vec![Vec::new(); n_pop];
    let noise_scale = plan.noise_mv * plan.h.sqrt();
    // spikes with stamp `s`: count them and send them into the rings
    let emit = |fired: &Vec<Vec<u32>>,
                s: usize,
                result: &mut ImageResult,
                ring_e: &mut Vec<Vec<Vec<f64>>>,
                ring_i: &mut Vec<Vec<Vec<f64>>>| {
        for (p, list) in fired.iter().enumerate() {
            result.spikes[p] += list.len() as u64;
            if s < plan.window_end_steps {
                for &j in list {
                    result.counts[p][j as usize] += 1;
                }
            }
        }
        let out = n_pop - 1;
        for (c, &cs) in plan.checkpoint_steps.iter().enumerate() {
            if s < cs {
                for &j in &fired[out] {
                    result.checkpoints[c][j as usize] += 1;
                }
            }
        }
        for (k, proj) in plan.projs.iter().enumerate() {
            let slot = (s + proj.delay) % ring_len;
            // arrivals after the last update never happen (timing rules)
            if s + proj.delay >= plan.steps {
                continue;
            }
            for &j in &fired[proj.pre] {
                let row = proj.weights.row(j as usize);
                let (re, ri) = (&mut ring_e[slot][proj.post], &mut ring_i[slot][proj.post]);
                for (t, &w) in row.iter().enumerate() {
                    if w > 0.0 {
                        re[t] += w;
                    } else if w < 0.0 {
                        ri[t] -= w;
                    }
                }
                result.events[k] += proj.row_nnz[j as usize];
            }
        }
    };
    let take_inputs = |s: usize, rng: &mut ChaCha8Rng, lost: &mut u64| -> Vec<u32> {
        let mut list = inputs(s);
        if plan.input_loss > 0.0 {
            let before = list.len();
            list.retain(|_| rng.random::<f64>() >= plan.input_loss);
            *lost += (before - list.len()) as u64;
        }
        list
    };
    let mut lost = 0u64;
    fired[0] = take_inputs(0, &mut rng, &mut lost);
    emit(&fired, 0, &mut result, &mut ring_e, &mut ring_i);
    for k in 0..plan.steps {
        let slot = k % ring_len;
        for p in 1..n_pop {
            for j in 0..plan.sizes[p] {
                ge[p][j] += ring_e[slot][p][j];
                gi[p][j] += ring_i[slot][p][j];
                ring_e[slot][p][j] = 0.0;
                ring_i[slot][p][j] = 0.0;
            }
        }
        for p in 1..n_pop {
            fired[p].clear();
            for j in 0..plan.sizes[p] {
                let kick = if noise_scale > 0.0 && refrac[p][j] == 0 {
                    noise_scale * rng.sample::<f64, _>(StandardNormal)
                } else {
                    0.0
                };
                if plan.neurons[p][j].advance(
                    &mut v[p][j],
                    &mut ge[p][j],
                    &mut gi[p][j],
                    &mut refrac[p][j],
                    kick,
                ) {
                    fired[p].push(j as u32);
                }
            }
        }
        fired[0] = take_inputs(k + 1, &mut rng, &mut lost);
        emit(&fired, k + 1, &mut result, &mut ring_e, &mut ring_i);
    }
    result.inputs_lost = lost;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> NeuronParams {
        NeuronParams {
            v_rest: -75.0,
            v_reset: -80.0,
            v_thresh: 50.0, // out of reach: subthreshold
            e_rev_e: 0.0,
            e_rev_i: -80.0,
            cm: 0.2,
            tau_m: 10.0,
            tau_syn_e: 5.0,
            tau_syn_i: 5.0,
            tau_refrac: 1.0,
        }
    }

    #[test]
    fn constant_conductances_relax_exactly() {
        // tau_syn so long that the conductances stay constant: V(t) = V∞ + (V0 − V∞) e^{−t g/cm}
        let p = NeuronParams { tau_syn_e: 1e12, tau_syn_i: 1e12, ..params() };
        let (ge0, gi0) = (0.03, 0.01);
        let g = p.cm / p.tau_m + ge0 + gi0;
        let v_inf = (p.cm / p.tau_m * p.v_rest + ge0 * p.e_rev_e + gi0 * p.e_rev_i) / g;
        let s = Step::new(&p, 0.1);
        let (mut v, mut ge, mut gi, mut r) = (p.v_rest, ge0, gi0, 0u32);
        for k in 1..=300 {
            assert!(!s.advance(&mut v, &mut ge, &mut gi, &mut r, 0.0));
            let want = v_inf + (p.v_rest - v_inf) * (-(k as f64) * 0.1 * g / p.cm).exp();
            assert!((v - want).abs() < 1e-9, "step {k}: {v} vs {want}");
        }
    }

    #[test]
    fn a_decaying_conductance_converges_to_the_fine_solution() {
        // one excitatory jump of 0.05 µS; compare h = 0.1 ms with h = 0.001 ms at 20 ms
        let p = params();
        let run = |h: f64| {
            let s = Step::new(&p, h);
            let (mut v, mut ge, mut gi, mut r) = (p.v_rest, 0.05, 0.0, 0u32);
            for _ in 0..(20.0 / h).round() as usize {
                s.advance(&mut v, &mut ge, &mut gi, &mut r, 0.0);
            }
            v
        };
        let fine = run(0.001);
        let err = (run(0.1) - fine).abs();
        assert!(err < 1e-3, "error at h = 0.1 ms: {err} mV");
        assert!(fine > p.v_rest + 1.0, "the jump moved the membrane");
    }

    #[test]
    fn refractory_neurons_are_clamped_for_whole_steps() {
        let p = NeuronParams { v_thresh: -74.0, tau_refrac: 0.25, ..params() };
        let s = Step::new(&p, 0.1);
        let (mut v, mut ge, mut gi, mut r) = (p.v_rest, 0.5, 0.0, 0u32);
        let mut stamps = Vec::new();
        for k in 0..20 {
            if s.advance(&mut v, &mut ge, &mut gi, &mut r, 0.0) {
                stamps.push(k);
            }
            if r > 0 {
                assert_eq!(v, p.v_reset);
            }
        }
        // ⌈0.25 / 0.1⌉ = 3 clamped updates between spikes at least
        assert!(stamps.windows(2).all(|w| w[1] - w[0] >= 4), "{stamps:?}");
        assert!(stamps.len() >= 2);
    }
}
