//! The analog engine: conductance-based LIF neurons with per-neuron (mismatched)
//! parameters, integrated on the emulated biological time axis.
//!
//! ## The step
//!
//! The membrane obeys PyNN's `IF_cond_exp`,
//!
//! ```text
//! cm dV/dt = g_L (v_rest − V) + g_E(t) (e_rev_E − V) + g_I(t) (e_rev_I − V),   g_L = cm / tau_m
//! dg_X/dt  = −g_X / tau_syn_X,   g_X += w on the arrival of a spike
//! ```
//!
//! Each step of `h` ms (0.1 ms by default) replaces the conductances by their exact mean
//! over the step, `ḡ = g (tau/h)(1 − e^{−h/tau})`, and moves V on the exact solution of
//! the membrane equation for these constant conductances:
//! `V ← V∞ + (V − V∞) e^{−h G/cm}` with `G = g_L + ḡ_E + ḡ_I` and
//! `V∞ = (g_L v_rest + ḡ_E e_rev_E + ḡ_I e_rev_I) / G`. This is exact for constant
//! conductances and second order in `h` otherwise; against a high-precision solution
//! (RK4 at 1 µs) the error after an excitatory jump is below 2·10⁻³ mV at h = 0.1 ms
//! (test `the_step_is_within_2e_3_mv_of_a_high_precision_solution`). The factor
//! `e^{−x}` is `(p(x/4))⁴` with `p` the degree-7 Taylor polynomial for x ≤ 1 (relative
//! error < 2·10⁻⁹, < 10⁻¹⁵ for the usual x < 0.1), the library `exp` above.
//!
//! The branch-free part of a step runs vectorised (AVX2 / AVX-512 where the CPU has them,
//! chosen at run time) without fused multiply-adds, so every CPU path gives the same bits.
//!
//! Spikes, delays, refractory clamping and the readout window follow
//! `spikeport_snn::timing`, so an analog chip without mismatch, noise or quantisation
//! gives the same counts as `Fast` at the same step up to rounding.

// Index loops over several parallel arrays are what the vectoriser reads best here.
#![allow(clippy::needless_range_loop)]

use rand::Rng;
use rand_distr::StandardNormal;
use spikeport_lif::Simd;
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

/// Largest exponent `x` of `e^{−x}` the vectorised step evaluates with [`exp_neg_small`];
/// larger ones (conductances over ~2 µS for cm 0.2 nF at 0.1 ms) take the library `exp`.
pub(crate) const X_FAST_MAX: f64 = 1.0;

/// `e^{−x}` for `0 ≤ x ≤ 1` without branches: `(p(x/4))⁴` with `p` the degree-7 Taylor
/// polynomial of `e^{−y}` (relative error < 2·10⁻⁹; below 10⁻¹⁵ for x < 0.1).
#[inline(always)]
pub(crate) fn exp_neg_small(x: f64) -> f64 {
    let y = -0.25 * x;
    let p = 1.0
        + y * (1.0
            + y * (0.5
                + y * (1.0 / 6.0
                    + y * (1.0 / 24.0 + y * (1.0 / 120.0 + y * (1.0 / 720.0 + y * (1.0 / 5040.0)))))));
    let p2 = p * p;
    p2 * p2
}

/// `e^{−x}` for `x ≥ 0` as the engine evaluates it.
#[inline]
#[cfg(test)]
pub(crate) fn exp_neg(x: f64) -> f64 {
    if x <= X_FAST_MAX {
        exp_neg_small(x)
    } else {
        (-x).exp()
    }
}

/// Per-step constants of one population for step `h` ms, one entry per neuron
/// (structure of arrays).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct PopTable {
    pub v_rest: Vec<f64>,
    v_reset: Vec<f64>,
    v_thresh: Vec<f64>,
    g_leak: Vec<f64>,
    /// g_L · v_rest
    gl_vrest: Vec<f64>,
    e_rev_e: Vec<f64>,
    e_rev_i: Vec<f64>,
    /// h / cm
    h_over_cm: Vec<f64>,
    mean_e: Vec<f64>,
    mean_i: Vec<f64>,
    decay_e: Vec<f64>,
    decay_i: Vec<f64>,
    refrac_steps: Vec<u32>,
}

impl PopTable {
    pub(crate) fn new(params: &[NeuronParams], h: f64) -> Self {
        let mean = |tau: f64| tau / h * -(-h / tau).exp_m1();
        let mut t = Self::default();
        for p in params {
            let gl = p.cm / p.tau_m;
            t.v_rest.push(p.v_rest);
            t.v_reset.push(p.v_reset);
            t.v_thresh.push(p.v_thresh);
            t.g_leak.push(gl);
            t.gl_vrest.push(gl * p.v_rest);
            t.e_rev_e.push(p.e_rev_e);
            t.e_rev_i.push(p.e_rev_i);
            t.h_over_cm.push(h / p.cm);
            t.mean_e.push(mean(p.tau_syn_e));
            t.mean_i.push(mean(p.tau_syn_i));
            t.decay_e.push((-h / p.tau_syn_e).exp());
            t.decay_i.push((-h / p.tau_syn_i).exp());
            t.refrac_steps.push(refractory_steps(p.tau_refrac, h));
        }
        t
    }

    pub(crate) fn len(&self) -> usize {
        self.v_rest.len()
    }
}

/// The state of one population.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PopState {
    pub v: Vec<f64>,
    pub ge: Vec<f64>,
    pub gi: Vec<f64>,
    pub refrac: Vec<u32>,
}

impl PopState {
    /// At rest, no conductance, not refractory.
    pub(crate) fn rest(t: &PopTable) -> Self {
        let n = t.len();
        Self { v: t.v_rest.clone(), ge: vec![0.0; n], gi: vec![0.0; n], refrac: vec![0; n] }
    }
}

/// Scratch space of one population step.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch {
    v_new: Vec<f64>,
    v_inf: Vec<f64>,
    x: Vec<f64>,
    spiked: Vec<u32>,
}

impl Scratch {
    pub(crate) fn new(n: usize) -> Self {
        Self { v_new: vec![0.0; n], v_inf: vec![0.0; n], x: vec![0.0; n], spiked: vec![0; n] }
    }
}

/// The first branch-free pass of a population step, which the compiler vectorises:
/// arrivals join the conductances (and are zeroed), conductances decay, and every
/// neuron's free membrane update is computed into the scratch (`v_new`, with `V∞` and the
/// exponent `x` kept for the exact fallback). Returns how many exponents exceed
/// [`X_FAST_MAX`]. Plain IEEE operations without contraction, so every vector width
/// gives the same bits.
#[inline(always)]
fn integrate_body(
    t: &PopTable,
    s: &mut PopState,
    in_e: &mut [f64],
    in_i: &mut [f64],
    noise: &[f64],
    w: &mut Scratch,
) -> u32 {
    let n = t.len();
    let (v, ge, gi) = (&s.v[..n], &mut s.ge[..n], &mut s.gi[..n]);
    let (in_e, in_i, noise) = (&mut in_e[..n], &mut in_i[..n], &noise[..n]);
    let (v_new, v_inf, xs) = (&mut w.v_new[..n], &mut w.v_inf[..n], &mut w.x[..n]);
    let (de, di, me_, mi_) = (&t.decay_e[..n], &t.decay_i[..n], &t.mean_e[..n], &t.mean_i[..n]);
    let (gl, glv, ee, ei, hc) =
        (&t.g_leak[..n], &t.gl_vrest[..n], &t.e_rev_e[..n], &t.e_rev_i[..n], &t.h_over_cm[..n]);
    let mut big = 0u32;
    for j in 0..n {
        let e = ge[j] + in_e[j];
        let i = gi[j] + in_i[j];
        in_e[j] = 0.0;
        in_i[j] = 0.0;
        ge[j] = e * de[j];
        gi[j] = i * di[j];
        let me = e * me_[j];
        let mi = i * mi_[j];
        let g_tot = gl[j] + me + mi;
        let vi = (glv[j] + me * ee[j] + mi * ei[j]) / g_tot;
        let x = g_tot * hc[j];
        v_inf[j] = vi;
        xs[j] = x;
        big += u32::from(x > X_FAST_MAX);
        v_new[j] = vi + (v[j] - vi) * exp_neg_small(x) + noise[j];
    }
    big
}

/// The second branch-free pass: refractory neurons are held at `v_reset` and count down,
/// free ones take `v_new` and spike at or above threshold (`spiked[j]` = 1, reset,
/// refractory). Returns the number of spikes.
#[inline(always)]
fn threshold_body(t: &PopTable, s: &mut PopState, w: &mut Scratch) -> u32 {
    let n = t.len();
    let (v, refrac) = (&mut s.v[..n], &mut s.refrac[..n]);
    let (v_new, spiked) = (&w.v_new[..n], &mut w.spiked[..n]);
    let (v_reset, v_thresh, steps) = (&t.v_reset[..n], &t.v_thresh[..n], &t.refrac_steps[..n]);
    let mut count = 0u32;
    for j in 0..n {
        let r = refrac[j];
        let free = r == 0;
        let spike = free & (v_new[j] >= v_thresh[j]);
        v[j] = if free & !spike { v_new[j] } else { v_reset[j] };
        refrac[j] = if spike { steps[j] } else { r.saturating_sub(1) };
        spiked[j] = u32::from(spike);
        count += u32::from(spike);
    }
    count
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn integrate_avx2(
    t: &PopTable,
    s: &mut PopState,
    in_e: &mut [f64],
    in_i: &mut [f64],
    noise: &[f64],
    w: &mut Scratch,
) -> u32 {
    integrate_body(t, s, in_e, in_i, noise, w)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f")]
fn integrate_avx512(
    t: &PopTable,
    s: &mut PopState,
    in_e: &mut [f64],
    in_i: &mut [f64],
    noise: &[f64],
    w: &mut Scratch,
) -> u32 {
    integrate_body(t, s, in_e, in_i, noise, w)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn threshold_avx2(t: &PopTable, s: &mut PopState, w: &mut Scratch) -> u32 {
    threshold_body(t, s, w)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f")]
fn threshold_avx512(t: &PopTable, s: &mut PopState, w: &mut Scratch) -> u32 {
    threshold_body(t, s, w)
}

/// Advance every neuron of a population by one step: arrivals `in_e`, `in_i` (µS, zeroed
/// here) join the conductances, `noise[j]` mV is added to a free membrane, refractory
/// neurons are held at `v_reset`, and the indices of the neurons that spiked are pushed
/// to `fired`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn advance_pop(
    simd: Simd,
    t: &PopTable,
    s: &mut PopState,
    in_e: &mut [f64],
    in_i: &mut [f64],
    noise: &[f64],
    w: &mut Scratch,
    fired: &mut Vec<u32>,
) {
    let big = match simd {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Simd::Avx512` is only returned by `Simd::detect` when the CPU has AVX2
        // and AVX-512F, the features the called function is compiled for.
        #[allow(unsafe_code)]
        Simd::Avx512 => unsafe { integrate_avx512(t, s, in_e, in_i, noise, w) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Simd::Avx2` is only returned by `Simd::detect` when the CPU has AVX2.
        #[allow(unsafe_code)]
        Simd::Avx2 => unsafe { integrate_avx2(t, s, in_e, in_i, noise, w) },
        _ => integrate_body(t, s, in_e, in_i, noise, w),
    };
    let n = t.len();
    if big > 0 {
        // exact exponential where the polynomial is out of range
        for j in 0..n {
            let x = w.x[j];
            if x > X_FAST_MAX {
                let vi = w.v_inf[j];
                w.v_new[j] = vi + (s.v[j] - vi) * (-x).exp() + noise[j];
            }
        }
    }
    let spikes = match simd {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        #[allow(unsafe_code)]
        Simd::Avx512 => unsafe { threshold_avx512(t, s, w) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        #[allow(unsafe_code)]
        Simd::Avx2 => unsafe { threshold_avx2(t, s, w) },
        _ => threshold_body(t, s, w),
    };
    if spikes > 0 {
        fired.extend(w.spiked[..n].iter().enumerate().filter(|(_, &f)| f != 0).map(|(j, _)| j as u32));
    }
}

/// A fast random stream (wyrand: a 64-bit counter hashed by a 128-bit multiply) for the
/// per-step membrane noise; seeded per image, so results do not depend on threads.
#[derive(Clone, Debug)]
pub(crate) struct NoiseRng(u64);

impl NoiseRng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    #[inline(always)]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// A uniform number in [0, 1).
    #[inline(always)]
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Fill `out` with approximately standard normal numbers: each is one of
    /// [`NORMAL_TABLE_LEN`] equiprobable strata of N(0, 1) (the stratum means, so the
    /// distribution has mean 0, variance 1 and tails cut at ±3.4 σ), chosen by 10 random
    /// bits; one 64-bit draw serves six numbers.
    #[inline]
    pub(crate) fn fill_normal(&mut self, out: &mut [f64]) {
        let table = normal_table();
        for chunk in out.chunks_mut(6) {
            let mut r = self.next_u64();
            for x in chunk {
                *x = table[(r & (NORMAL_TABLE_LEN as u64 - 1)) as usize];
                r >>= 10;
            }
        }
    }
}

/// Strata of the normal table (a power of two).
pub(crate) const NORMAL_TABLE_LEN: usize = 1024;

/// The means of [`NORMAL_TABLE_LEN`] equiprobable strata of the standard normal
/// distribution, estimated once from 2^20 sorted draws of a fixed-seed generator and
/// normalised to mean 0 and variance 1.
pub(crate) fn normal_table() -> &'static [f64; NORMAL_TABLE_LEN] {
    static TABLE: std::sync::OnceLock<[f64; NORMAL_TABLE_LEN]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        use rand::SeedableRng;
        let per = 1024;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed_7ab1e);
        let mut xs: Vec<f64> = (0..NORMAL_TABLE_LEN * per).map(|_| rng.sample(StandardNormal)).collect();
        xs.sort_by(f64::total_cmp);
        let mut t = [0.0; NORMAL_TABLE_LEN];
        for (k, c) in xs.chunks(per).enumerate() {
            t[k] = c.iter().sum::<f64>() / per as f64;
        }
        // symmetrise, then scale to unit variance
        for k in 0..NORMAL_TABLE_LEN / 2 {
            let m = 0.5 * (t[NORMAL_TABLE_LEN - 1 - k] - t[k]);
            t[k] = -m;
            t[NORMAL_TABLE_LEN - 1 - k] = m;
        }
        let var = t.iter().map(|x| x * x).sum::<f64>() / NORMAL_TABLE_LEN as f64;
        let scale = 1.0 / var.sqrt();
        t.iter_mut().for_each(|x| *x *= scale);
        t
    })
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

    /// Step one neuron `steps` times from `(v, ge, gi)`; returns the V trace and spike steps.
    fn trace(p: &NeuronParams, h: f64, ge: f64, gi: f64, steps: usize) -> (Vec<f64>, Vec<usize>) {
        let t = PopTable::new(&[*p], h);
        let mut s = PopState::rest(&t);
        let (mut e, mut i) = ([ge], [gi]);
        let mut vs = Vec::new();
        let mut spikes = Vec::new();
        let mut fired = Vec::new();
        let mut w = Scratch::new(1);
        for k in 0..steps {
            fired.clear();
            advance_pop(Simd::detect(), &t, &mut s, &mut e, &mut i, &[0.0], &mut w, &mut fired);
            if !fired.is_empty() {
                spikes.push(k);
            }
            vs.push(s.v[0]);
        }
        (vs, spikes)
    }

    #[test]
    fn the_fast_exponential_is_accurate() {
        for k in 0..=3000 {
            let x = k as f64 * 0.001;
            let rel = (exp_neg(x) - (-x).exp()).abs() / (-x).exp();
            let bound = if x < 0.1 { 1e-15 } else { 2e-9 };
            assert!(rel < bound, "x = {x}: relative error {rel}");
        }
    }

    #[test]
    fn constant_conductances_relax_exactly() {
        // tau_syn so long that the conductances stay constant: V(t) = V∞ + (V0 − V∞) e^{−t g/cm}
        let p = NeuronParams { tau_syn_e: 1e12, tau_syn_i: 1e12, ..params() };
        let (ge0, gi0) = (0.03, 0.01);
        let g = p.cm / p.tau_m + ge0 + gi0;
        let v_inf = (p.cm / p.tau_m * p.v_rest + ge0 * p.e_rev_e + gi0 * p.e_rev_i) / g;
        let (vs, spikes) = trace(&p, 0.1, ge0, gi0, 300);
        assert!(spikes.is_empty());
        for (k, v) in vs.iter().enumerate() {
            let want = v_inf + (p.v_rest - v_inf) * (-((k + 1) as f64) * 0.1 * g / p.cm).exp();
            assert!((v - want).abs() < 1e-9, "step {k}: {v} vs {want}");
        }
    }

    /// RK4 on the full ODE with a decaying conductance, step `h` ms.
    fn rk4(p: &NeuronParams, ge0: f64, t_end: f64, h: f64) -> f64 {
        let f = |t: f64, v: f64| {
            let ge = ge0 * (-t / p.tau_syn_e).exp();
            (p.cm / p.tau_m * (p.v_rest - v) + ge * (p.e_rev_e - v)) / p.cm
        };
        let (mut t, mut v) = (0.0, p.v_rest);
        for _ in 0..(t_end / h).round() as usize {
            let k1 = f(t, v);
            let k2 = f(t + h / 2.0, v + h / 2.0 * k1);
            let k3 = f(t + h / 2.0, v + h / 2.0 * k2);
            let k4 = f(t + h, v + h * k3);
            v += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
            t += h;
        }
        v
    }

    #[test]
    fn the_step_is_within_2e_3_mv_of_a_high_precision_solution() {
        // one excitatory jump of 0.05 µS (a PSP of several mV); compare every ms up to 30 ms
        let p = params();
        let (vs, _) = trace(&p, 0.1, 0.05, 0.0, 300);
        let mut worst: f64 = 0.0;
        for ms in 1..=30 {
            let exact = rk4(&p, 0.05, ms as f64, 1e-3);
            worst = worst.max((vs[ms * 10 - 1] - exact).abs());
        }
        assert!(worst < 2e-3, "largest error at h = 0.1 ms: {worst} mV");
        assert!(vs[49] > p.v_rest + 2.0, "the jump moved the membrane: {}", vs[49]);
        // and the error shrinks with h (second order: ÷ ~4 per halving)
        let (fine, _) = trace(&p, 0.05, 0.05, 0.0, 600);
        let err_fine = (fine[199] - rk4(&p, 0.05, 10.0, 1e-3)).abs();
        let err = (vs[99] - rk4(&p, 0.05, 10.0, 1e-3)).abs();
        assert!(err_fine < err / 3.0, "h = 0.05: {err_fine}, h = 0.1: {err}");
    }

    #[test]
    fn refractory_neurons_are_clamped_for_whole_steps() {
        let p = NeuronParams { v_thresh: -74.0, tau_refrac: 0.25, tau_syn_e: 1e12, ..params() };
        let (vs, spikes) = trace(&p, 0.1, 0.5, 0.0, 40);
        // ⌈0.25 / 0.1⌉ = 3 clamped updates between spikes
        assert!(spikes.len() >= 3);
        assert!(spikes.windows(2).all(|w| w[1] - w[0] >= 4), "{spikes:?}");
        for &s in &spikes {
            for k in s + 1..(s + 4).min(vs.len()) {
                assert_eq!(vs[k], p.v_reset, "clamped after the spike at step {s}");
            }
        }
    }

    #[test]
    fn the_table_normal_has_unit_variance_and_normal_quantiles() {
        let mut r = NoiseRng::new(42);
        let n = 300_000;
        let mut xs = vec![0.0; n];
        r.fill_normal(&mut xs);
        // quantiles of N(0, 1): 84.13 % below +1 σ, 97.72 % below +2 σ
        let below = |z: f64| xs.iter().filter(|&&x| x < z).count() as f64 / n as f64;
        assert!((below(1.0) - 0.8413).abs() < 0.005, "{}", below(1.0));
        assert!((below(2.0) - 0.9772).abs() < 0.003, "{}", below(2.0));
        assert!((below(0.0) - 0.5).abs() < 0.005);
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
        let u: f64 = (0..n).map(|_| r.uniform()).sum::<f64>() / n as f64;
        assert!((u - 0.5).abs() < 0.005, "uniform mean {u}");
    }
}
