//! PyNN `IF_cond_exp`: leaky integrate-and-fire with exponential synaptic conductances.
//!
//! ```text
//! cm dV/dt = g_L (v_rest − V) + g_E (e_rev_E − V) + g_I (e_rev_I − V) + i_offset,  g_L = cm / tau_m
//! dg_X/dt  = −g_X / tau_syn_X;     an arriving spike of weight w adds |w| µS to g_X
//! ```
//!
//! Two integrators:
//!
//! * [`CondExpExact`] — the **exact constant-input step** of GeNN's `LIF` neuron with the
//!   `ExpCond` post-synaptic model and of sPyNNaker's `neuron_model_lif_impl.h`: the
//!   synaptic current is evaluated once with V and g at the start of the step,
//!   `I = g_E (e_rev_E − V₀) + g_I (e_rev_I − V₀)`, held constant, and V moves exactly
//!   toward the resulting target with the *leak* time constant:
//!   `α = v_rest + R_m (I + i_offset)`, `V₁ = α − e^{−dt/tau_m} (α − V₀)`, `R_m = tau_m/cm`
//!   (MΩ). Neither GeNN nor sPyNNaker uses an effective (conductance-shortened) time
//!   constant. Then `g ← g · e^{−dt/tau_syn}`. First-order accurate in dt for conductance
//!   input; exact for constant current input. Generic over f32/f64.
//!   (sPyNNaker additionally scales *new* input by `(tau/dt)(1 − e^{−dt/tau})` and runs
//!   in s16.15 fixed point; that belongs to the SpiNNaker model, not here.)
//! * [`CondExpAccurate`] — the reference integrator, in the spirit of NEST's
//!   `iaf_cond_exp` (GSL RKF45 with adaptive step inside each simulation step): the
//!   conductances decay in closed form, and V is integrated with the embedded
//!   Dormand–Prince 5(4) pair under local error control on V, restarting each simulation
//!   step at `h = dt` and sub-stepping as needed on dyadic sub-steps `dt / 2^k`
//!   (a rejected sub-step shrinks by the power of two nearest below the classic
//!   `0.9 (tol/err)^{1/5}` factor, a very accurate one doubles where it stays on the
//!   dyadic grid; the stage decay factors of every level are precomputed, so no `exp`
//!   is evaluated while stepping) ([`RkControl::Adaptive`]), or with a
//!   fixed number of sub-steps ([`RkControl::FixedSubsteps`]). As NEST does, the
//!   right-hand side uses `min(V, v_thresh)`, and V is held at `v_reset` while
//!   refractory. When both conductances are negligible (< 1e-15 · g_L) the step is the
//!   exact exponential relaxation. One shortcut NEST does not take: the last sub-step
//!   of a time step is accepted whatever its error estimate `e` if it ends at
//!   `V − e ≥ v_thresh` and is well inside the stability region
//!   (`h (g_L + g_E + g_I)/cm ≤ 1`), because the neuron then spikes and V is reset, so
//!   refining V (around the kink that `min(V, v_thresh)` puts into the right-hand side)
//!   cannot change the outcome. The first attempt of every step is computed for blocks of 16
//!   neurons at once in [`NeuronKernel::step_slice`] (vectorised, bit-identical to
//!   [`NeuronKernel::step`]).
//!
//! Common to both (the grid rules of [`spikeport_snn::timing`]): the threshold is checked
//! on the grid after the update; a spike resets V to `v_reset` and holds it there for
//! `⌈tau_refrac/dt⌉` updates, during which the conductances keep decaying and still
//! receive input.

use spikeport_snn::timing::{check_dt, refractory_steps};
use spikeport_snn::IfCondExpValidParams;

use crate::kernel::step_each;
use crate::simd::Simd;
use crate::{LifError, NeuronKernel, Real, StateSliceMut};

/// How a fixed-step simulator steps `IF_cond_exp` neurons (the choice of `Fast` in
/// spikeport-cpu and of the GPU backend, which must agree).
///
/// Exhaustive on purpose: a new step must be implemented by every backend that offers it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CondExpStep {
    /// The held-conductance exact step ([`CondExpExpEuler`]): conductances held at their
    /// mean over the step, V on the exact solution for them. Tracks the accurate solution
    /// at dt = 1 ms (the default).
    #[default]
    HeldConductance,
    /// GeNN's own update ([`CondExpExact`], `LIF` with `ExpCond` synapses): the synaptic
    /// current at the step start held for the whole step, V relaxing with the leak time
    /// constant. At dt = 1 ms and tau_syn = 3 ms it overestimates each step's synaptic
    /// charge (by about 15 % for a decaying conductance), so layers fire faster than
    /// under the accurate solution.
    GennHeldCurrent,
}

/// Propagators of the exact constant-input step for one (parameters, dt); see the
/// [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CondExpExact<F> {
    v_rest: F,
    v_reset: F,
    v_thresh: F,
    e_rev_e: F,
    e_rev_i: F,
    i_offset: F,
    /// Membrane resistance tau_m / cm, MΩ.
    r_mem: F,
    /// e^{−dt/tau_m}.
    exp_tc: F,
    /// e^{−dt/tau_syn_E}.
    decay_e: F,
    /// e^{−dt/tau_syn_I}.
    decay_i: F,
    refrac_steps: u32,
}

impl<F: Real> CondExpExact<F> {
    /// Precompute the propagators for `p` at time step `dt_ms`.
    ///
    /// **Errors** with [`SnnError::InvalidTimestep`](spikeport_snn::SnnError) (wrapped) for
    /// a bad `dt_ms`.
    pub fn new(p: &IfCondExpValidParams, dt_ms: f64) -> Result<Self, LifError> {
        let dt = check_dt(dt_ms)?;
        Ok(Self {
            v_rest: F::from_f64(p.v_rest()),
            v_reset: F::from_f64(p.v_reset()),
            v_thresh: F::from_f64(p.v_thresh()),
            e_rev_e: F::from_f64(p.e_rev_e()),
            e_rev_i: F::from_f64(p.e_rev_i()),
            i_offset: F::from_f64(p.i_offset()),
            r_mem: F::from_f64(p.tau_m() / p.cm()),
            exp_tc: F::from_f64((-dt / p.tau_m()).exp()),
            decay_e: F::from_f64((-dt / p.tau_syn_e()).exp()),
            decay_i: F::from_f64((-dt / p.tau_syn_i()).exp()),
            refrac_steps: refractory_steps(p.tau_refrac(), dt),
        })
    }

    /// Refractory period in updates.
    pub fn refrac_steps(&self) -> u32 {
        self.refrac_steps
    }
}

impl<F: Real> NeuronKernel<F> for CondExpExact<F> {
    #[inline]
    fn v_init(&self) -> F {
        self.v_rest
    }

    #[inline]
    fn step(&self, v: &mut F, syn_e: &mut F, syn_i: &mut F, refrac: &mut u32) -> bool {
        let free = *refrac == 0;
        if free {
            // synaptic current with V at the step start, held for the whole step
            let i_syn = *syn_e * (self.e_rev_e - *v) + *syn_i * (self.e_rev_i - *v);
            let alpha = self.v_rest + self.r_mem * (i_syn + self.i_offset);
            *v = alpha - self.exp_tc * (alpha - *v);
        } else {
            // refractory: clamp
            *refrac -= 1;
            *v = self.v_reset;
        }
        // synaptic decay
        *syn_e *= self.decay_e;
        *syn_i *= self.decay_i;
        // threshold on the grid, reset
        if free && *v >= self.v_thresh {
            *v = self.v_reset;
            *refrac = self.refrac_steps;
            true
        } else {
            false
        }
    }
}

/// The **held-conductance exact step** (exponential Euler) for `IF_cond_exp`: each
/// conductance is replaced by its exact mean over the step, `ḡ = g₀ (tau_syn/dt)(1 −
/// e^{−dt/tau_syn})`, and V follows the exact solution of the membrane equation with these
/// conductances held constant: `g_tot = g_L + ḡ_E + ḡ_I`,
/// `V∞ = (g_L v_rest + i_offset + ḡ_E e_rev_E + ḡ_I e_rev_I) / g_tot`,
/// `V₁ = V∞ − e^{−dt g_tot / cm} (V∞ − V₀)`. Then `g ← g e^{−dt/tau_syn}`, threshold and
/// reset as in [`CondExpExact`]. Unlike [`CondExpExact`] (GeNN's and sPyNNaker's update,
/// which holds the *current* `g₀ (E − V₀)` and relaxes with the leak time constant), it
/// neither overestimates the charge of a decaying conductance within the step nor ignores
/// how the conductance shortens the membrane time constant, so at dt = 1 ms it tracks the
/// accurate solution closely (it is exact for constant conductances). One exponential per
/// neuron and step, computed with [`Real::exp_fast`] so that block updates vectorise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CondExpExpEuler<F> {
    v_reset: F,
    v_thresh: F,
    v_rest: F,
    e_rev_e: F,
    e_rev_i: F,
    /// g_L, µS.
    g_leak: F,
    /// g_L v_rest + i_offset, nA.
    leak_drive: F,
    /// −dt / cm, ms/nF.
    neg_dt_over_cm: F,
    /// Mean of a decaying conductance over a step relative to its start value.
    mean_e: F,
    mean_i: F,
    decay_e: F,
    decay_i: F,
    refrac_steps: u32,
}

impl<F: Real> CondExpExpEuler<F> {
    /// Precompute the constants for `p` at time step `dt_ms`.
    ///
    /// **Errors** with [`SnnError::InvalidTimestep`](spikeport_snn::SnnError) (wrapped) for
    /// a bad `dt_ms`.
    pub fn new(p: &IfCondExpValidParams, dt_ms: f64) -> Result<Self, LifError> {
        let dt = check_dt(dt_ms)?;
        let mean = |tau: f64| tau / dt * -(-dt / tau).exp_m1();
        Ok(Self {
            v_reset: F::from_f64(p.v_reset()),
            v_thresh: F::from_f64(p.v_thresh()),
            v_rest: F::from_f64(p.v_rest()),
            e_rev_e: F::from_f64(p.e_rev_e()),
            e_rev_i: F::from_f64(p.e_rev_i()),
            g_leak: F::from_f64(p.g_leak()),
            leak_drive: F::from_f64(p.g_leak() * p.v_rest() + p.i_offset()),
            neg_dt_over_cm: F::from_f64(-dt / p.cm()),
            mean_e: F::from_f64(mean(p.tau_syn_e())),
            mean_i: F::from_f64(mean(p.tau_syn_i())),
            decay_e: F::from_f64((-dt / p.tau_syn_e()).exp()),
            decay_i: F::from_f64((-dt / p.tau_syn_i()).exp()),
            refrac_steps: refractory_steps(p.tau_refrac(), dt),
        })
    }

    /// Refractory period in updates.
    pub fn refrac_steps(&self) -> u32 {
        self.refrac_steps
    }
}

impl<F: Real> NeuronKernel<F> for CondExpExpEuler<F> {
    #[inline]
    fn v_init(&self) -> F {
        self.v_rest
    }

    #[inline]
    fn step(&self, v: &mut F, syn_e: &mut F, syn_i: &mut F, refrac: &mut u32) -> bool {
        let free = *refrac == 0;
        // computed unconditionally so that a block of neurons vectorises (selects, no branches)
        let ge = *syn_e * self.mean_e;
        let gi = *syn_i * self.mean_i;
        let g_tot = self.g_leak + ge + gi;
        let v_inf = (self.leak_drive + ge * self.e_rev_e + gi * self.e_rev_i) / g_tot;
        let f = (g_tot * self.neg_dt_over_cm).exp_fast();
        let v_free = v_inf - f * (v_inf - *v);
        if free {
            *v = v_free;
        } else {
            // refractory: clamp
            *refrac -= 1;
            *v = self.v_reset;
        }
        // synaptic decay
        *syn_e *= self.decay_e;
        *syn_i *= self.decay_i;
        // threshold on the grid, reset
        if free && *v >= self.v_thresh {
            *v = self.v_reset;
            *refrac = self.refrac_steps;
            true
        } else {
            false
        }
    }
}

/// Step control of [`CondExpAccurate`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum RkControl {
    /// Adaptive Dormand–Prince 5(4): a sub-step is accepted when the embedded error
    /// estimate of V is at most `abs_mv + rel · |V|`.
    Adaptive {
        /// Absolute tolerance, mV.
        abs_mv: f64,
        /// Relative tolerance.
        rel: f64,
    },
    /// Exactly this many equal Dormand–Prince 5 sub-steps per time step, no error
    /// control (for convergence studies).
    FixedSubsteps(u32),
}

impl Default for RkControl {
    /// Adaptive with an absolute tolerance of 1e-6 mV (NEST uses 1e-3 in mV and nS) and
    /// no relative tolerance.
    fn default() -> Self {
        Self::Adaptive { abs_mv: 1e-6, rel: 0.0 }
    }
}

// Dormand–Prince 5(4) tableau (Dormand & Prince 1980; Hairer, Nørsett & Wanner,
// "Solving ODEs I", Table 5.2).
const C: [f64; 7] = [0.0, 0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0];
const A21: f64 = 0.2;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
const B1: f64 = 35.0 / 384.0;
const B3: f64 = 500.0 / 1113.0;
const B4: f64 = 125.0 / 192.0;
const B5: f64 = -2187.0 / 6784.0;
const B6: f64 = 11.0 / 84.0;
// b − b* (5th minus embedded 4th order weights)
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;

/// Conductance decay factors e^{−c_s h/tau} at the six distinct DP5 stage times.
#[derive(Clone, Copy, Debug, PartialEq)]
struct StageDecay<F> {
    e: [F; 6],
    i: [F; 6],
}

impl<F: Real> StageDecay<F> {
    fn new(h: f64, tau_e: f64, tau_i: f64) -> Self {
        let mut e = [F::ZERO; 6];
        let mut i = [F::ZERO; 6];
        for s in 0..6 {
            e[s] = F::from_f64((-C[s] * h / tau_e).exp());
            i[s] = F::from_f64((-C[s] * h / tau_i).exp());
        }
        Self { e, i }
    }
}

/// The reference integrator for `IF_cond_exp`; see the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CondExpAccurate<F> {
    v_rest: F,
    v_reset: F,
    v_thresh: F,
    e_rev_e: F,
    e_rev_i: F,
    /// g_L, µS.
    g_leak: F,
    /// 1 / cm, 1/nF.
    inv_cm: F,
    i_offset: F,
    /// v_rest + R_m i_offset: the target without synaptic input.
    alpha0: F,
    exp_tc: F,
    decay_e: F,
    decay_i: F,
    dt: f64,
    /// Length of one regular (sub-)step, ms.
    h0: f64,
    /// Stage decay factors for `h0`.
    stages0: StageDecay<F>,
    /// Stage decay factors of the adaptive sub-steps `dt / 2^k`, k = 0..=[`MAX_LEVEL`]
    /// (unused under [`RkControl::FixedSubsteps`]).
    levels: [StageDecay<F>; MAX_LEVEL as usize + 1],
    /// The adaptive sub-step lengths `dt / 2^k`, k = 0..=[`MAX_LEVEL`], ms.
    level_h: [F; MAX_LEVEL as usize + 1],
    control: RkControl,
    refrac_steps: u32,
}

/// Below this fraction of g_L the synaptic conductances are treated as zero and the step
/// is the exact leak relaxation (the relative change of dV/dt is below f64 rounding).
const QUIET: f64 = 1e-15;

/// The adaptive sub-steps are `dt / 2^k` for k up to this level (dt · 1.2e-7); a step
/// this small is accepted whatever its error estimate, bounding the work per step.
const MAX_LEVEL: u32 = 23;

/// A sub-step may double when its error is below the tolerance divided by this,
/// `(2 / 0.9)^5`: the usual controller `h ← 0.9 h (tol/err)^{1/5}` would at least double it.
const GROW_RATIO: f64 = 54.19;

/// How many levels (halvings) a rejected sub-step with `ratio = err / tol > 1` descends:
/// the smallest `j ≥ 1` with `2^{−j} ≤ 0.9 ratio^{−1/5}`, as the usual controller would
/// shrink it, rounded down to a power of two. NaN descends one level.
fn levels_down(ratio: f64) -> u32 {
    let mut j = 1;
    let mut limit = 1.8f64.powi(5); // (0.9 · 2^j)^5
    while j < MAX_LEVEL && ratio > limit {
        j += 1;
        limit *= 32.0;
    }
    j
}

impl<F: Real> CondExpAccurate<F> {
    /// Precompute for `p` at `dt_ms` with step control `control`.
    ///
    /// **Errors** with [`LifError::Snn`] for a bad `dt_ms`,
    /// [`LifError::InvalidTolerance`] or [`LifError::ZeroSubsteps`].
    pub fn new(p: &IfCondExpValidParams, dt_ms: f64, control: RkControl) -> Result<Self, LifError> {
        let dt = check_dt(dt_ms)?;
        let h0 = match control {
            RkControl::Adaptive { abs_mv, rel } => {
                let ok = abs_mv.is_finite()
                    && rel.is_finite()
                    && abs_mv >= 0.0
                    && rel >= 0.0
                    && (abs_mv > 0.0 || rel > 0.0);
                if !ok {
                    return Err(LifError::InvalidTolerance { abs_mv, rel });
                }
                dt
            }
            RkControl::FixedSubsteps(0) => return Err(LifError::ZeroSubsteps),
            RkControl::FixedSubsteps(n) => dt / f64::from(n),
        };
        let r_mem = p.tau_m() / p.cm();
        Ok(Self {
            v_rest: F::from_f64(p.v_rest()),
            v_reset: F::from_f64(p.v_reset()),
            v_thresh: F::from_f64(p.v_thresh()),
            e_rev_e: F::from_f64(p.e_rev_e()),
            e_rev_i: F::from_f64(p.e_rev_i()),
            g_leak: F::from_f64(p.g_leak()),
            inv_cm: F::from_f64(1.0 / p.cm()),
            i_offset: F::from_f64(p.i_offset()),
            alpha0: F::from_f64(p.v_rest() + r_mem * p.i_offset()),
            exp_tc: F::from_f64((-dt / p.tau_m()).exp()),
            decay_e: F::from_f64((-dt / p.tau_syn_e()).exp()),
            decay_i: F::from_f64((-dt / p.tau_syn_i()).exp()),
            dt,
            h0,
            stages0: StageDecay::new(h0, p.tau_syn_e(), p.tau_syn_i()),
            levels: std::array::from_fn(|k| {
                StageDecay::new(dt / f64::from(1u32 << k), p.tau_syn_e(), p.tau_syn_i())
            }),
            level_h: std::array::from_fn(|k| F::from_f64(dt / f64::from(1u32 << k))),
            control,
            refrac_steps: refractory_steps(p.tau_refrac(), dt),
        })
    }

    /// Refractory period in updates.
    pub fn refrac_steps(&self) -> u32 {
        self.refrac_steps
    }

    /// dV/dt, mV/ms, with conductances `ge`, `gi` (NEST: V bounded by the threshold).
    #[inline(always)]
    fn rhs(&self, v: F, ge: F, gi: F) -> F {
        let vc = v.min(self.v_thresh);
        (self.g_leak * (self.v_rest - vc)
            + ge * (self.e_rev_e - vc)
            + gi * (self.e_rev_i - vc)
            + self.i_offset)
            * self.inv_cm
    }

    /// One Dormand–Prince step of length `h` from `v` with conductances `ge`, `gi` at the
    /// step start; returns (V after the step, error estimate).
    #[inline(always)]
    fn dp5(&self, v: F, ge: F, gi: F, h: F, sd: &StageDecay<F>) -> (F, F) {
        let c = F::from_f64;
        let k1 = self.rhs(v, ge, gi);
        let k2 = self.rhs(v + h * c(A21) * k1, ge * sd.e[1], gi * sd.i[1]);
        let k3 = self.rhs(v + h * (c(A31) * k1 + c(A32) * k2), ge * sd.e[2], gi * sd.i[2]);
        let k4 = self.rhs(v + h * (c(A41) * k1 + c(A42) * k2 + c(A43) * k3), ge * sd.e[3], gi * sd.i[3]);
        let k5 = self.rhs(
            v + h * (c(A51) * k1 + c(A52) * k2 + c(A53) * k3 + c(A54) * k4),
            ge * sd.e[4],
            gi * sd.i[4],
        );
        let k6 = self.rhs(
            v + h * (c(A61) * k1 + c(A62) * k2 + c(A63) * k3 + c(A64) * k4 + c(A65) * k5),
            ge * sd.e[5],
            gi * sd.i[5],
        );
        let v5 = v + h * (c(B1) * k1 + c(B3) * k3 + c(B4) * k4 + c(B5) * k5 + c(B6) * k6);
        let k7 = self.rhs(v5, ge * sd.e[5], gi * sd.i[5]);
        let err = h * (c(E1) * k1 + c(E3) * k3 + c(E4) * k4 + c(E5) * k5 + c(E6) * k6 + c(E7) * k7);
        (v5, err.abs())
    }

    /// [`dp5`](Self::dp5) for [`CHUNK`] lanes that each have their own step length `h[j]`
    /// and stage decay factors (`de[s][j]`, `di[s][j]`: excitatory and inhibitory factors
    /// of stage `s` for lane `j`), stage by stage over arrays so that the compiler
    /// vectorises it. The same operations in the same order as `dp5`, so every lane's
    /// result is bit-identical to `dp5` with that lane's values.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn dp5_lanes(
        &self,
        v: &[F; CHUNK],
        ge: &[F; CHUNK],
        gi: &[F; CHUNK],
        h: &[F; CHUNK],
        de: &[[F; CHUNK]; 6],
        di: &[[F; CHUNK]; 6],
        v5: &mut [F; CHUNK],
        err: &mut [F; CHUNK],
    ) {
        let c = F::from_f64;
        let mut k1 = [F::ZERO; CHUNK];
        let mut k2 = [F::ZERO; CHUNK];
        let mut k3 = [F::ZERO; CHUNK];
        let mut k4 = [F::ZERO; CHUNK];
        let mut k5 = [F::ZERO; CHUNK];
        let mut k6 = [F::ZERO; CHUNK];
        for j in 0..CHUNK {
            k1[j] = self.rhs(v[j], ge[j], gi[j]);
        }
        for j in 0..CHUNK {
            k2[j] = self.rhs(v[j] + h[j] * c(A21) * k1[j], ge[j] * de[1][j], gi[j] * di[1][j]);
        }
        for j in 0..CHUNK {
            k3[j] =
                self.rhs(v[j] + h[j] * (c(A31) * k1[j] + c(A32) * k2[j]), ge[j] * de[2][j], gi[j] * di[2][j]);
        }
        for j in 0..CHUNK {
            k4[j] = self.rhs(
                v[j] + h[j] * (c(A41) * k1[j] + c(A42) * k2[j] + c(A43) * k3[j]),
                ge[j] * de[3][j],
                gi[j] * di[3][j],
            );
        }
        for j in 0..CHUNK {
            k5[j] = self.rhs(
                v[j] + h[j] * (c(A51) * k1[j] + c(A52) * k2[j] + c(A53) * k3[j] + c(A54) * k4[j]),
                ge[j] * de[4][j],
                gi[j] * di[4][j],
            );
        }
        for j in 0..CHUNK {
            k6[j] = self.rhs(
                v[j] + h[j]
                    * (c(A61) * k1[j] + c(A62) * k2[j] + c(A63) * k3[j] + c(A64) * k4[j] + c(A65) * k5[j]),
                ge[j] * de[5][j],
                gi[j] * di[5][j],
            );
        }
        for j in 0..CHUNK {
            v5[j] =
                v[j] + h[j] * (c(B1) * k1[j] + c(B3) * k3[j] + c(B4) * k4[j] + c(B5) * k5[j] + c(B6) * k6[j]);
        }
        for j in 0..CHUNK {
            let k7 = self.rhs(v5[j], ge[j] * de[5][j], gi[j] * di[5][j]);
            err[j] = (h[j]
                * (c(E1) * k1[j]
                    + c(E3) * k3[j]
                    + c(E4) * k4[j]
                    + c(E5) * k5[j]
                    + c(E6) * k6[j]
                    + c(E7) * k7))
                .abs();
        }
    }

    /// [`dp5_lanes`](Self::dp5_lanes), compiled for the widest vector unit `simd` says
    /// this CPU has (x86-64 only); bit-identical on every path (no FMA).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn dp5_lanes_dispatch(&self, simd: Simd, lanes: &mut Lanes<F>) {
        match simd {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Simd::Avx512` is only returned by `Simd::detect` when the CPU has
            // AVX2 and AVX-512F, the features the called function is compiled for.
            #[allow(unsafe_code)]
            Simd::Avx512 => unsafe { self.dp5_lanes_avx512(lanes) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Simd::Avx2` is only returned by `Simd::detect` when the CPU has AVX2.
            #[allow(unsafe_code)]
            Simd::Avx2 => unsafe { self.dp5_lanes_avx2(lanes) },
            _ => self.dp5_lanes_of(lanes),
        }
    }

    /// [`dp5_lanes`](Self::dp5_lanes) on the lanes' current values.
    #[inline(always)]
    fn dp5_lanes_of(&self, l: &mut Lanes<F>) {
        self.dp5_lanes(&l.v, &l.ge, &l.gi, &l.h, &l.de, &l.di, &mut l.v5, &mut l.err);
    }

    /// [`dp5_lanes_of`](Self::dp5_lanes_of) compiled with AVX2 (no FMA).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn dp5_lanes_avx2(&self, lanes: &mut Lanes<F>) {
        self.dp5_lanes_of(lanes);
    }

    /// [`dp5_lanes_of`](Self::dp5_lanes_of) compiled with AVX2 and AVX-512F (no FMA).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx512f")]
    fn dp5_lanes_avx512(&self, lanes: &mut Lanes<F>) {
        self.dp5_lanes_of(lanes);
    }

    /// Load lane `j` with the step length and stage factors of sub-step level `k`.
    #[inline(always)]
    fn set_level(&self, l: &mut Lanes<F>, j: usize, k: u32) {
        let sd = &self.levels[k as usize];
        l.k[j] = k;
        l.h[j] = self.level_h[k as usize];
        for s in 1..6 {
            l.de[s][j] = sd.e[s];
            l.di[s][j] = sd.i[s];
        }
    }

    /// Load lane `j` with the next neuron of `pending` (its index into `v`, `ge`, `gi`
    /// and the `err / tol` of its rejected first attempt), or leave it idle when none
    /// is left.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn refill(
        &self,
        l: &mut Lanes<F>,
        j: usize,
        next: &mut usize,
        pending: &[(u32, f64)],
        v: &[F],
        ge: &[F],
        gi: &[F],
    ) {
        if let Some(&(i, ratio)) = pending.get(*next) {
            *next += 1;
            let i = i as usize;
            l.neuron[j] = Some(i);
            l.v[j] = v[i];
            l.ge[j] = ge[i];
            l.gi[j] = gi[i];
            l.pos[j] = 0;
            self.set_level(l, j, levels_down(ratio).min(MAX_LEVEL));
        } else {
            l.neuron[j] = None;
            l.v[j] = self.v_rest;
            l.ge[j] = F::ZERO;
            l.gi[j] = F::ZERO;
        }
    }

    /// [`integrate_adaptive`](Self::integrate_adaptive) for every neuron of `pending`
    /// (index into the slices, `err / tol` of its rejected first attempt), writing each
    /// neuron's V at the end of the step into `v`. The neurons run side by side in
    /// [`CHUNK`] lanes, each at its own sub-step level and position, one vectorised
    /// Dormand–Prince attempt for all lanes at a time; a lane whose neuron has finished
    /// takes the next pending one. Every lane takes exactly the decisions
    /// `integrate_adaptive` takes, so V is bit-identical to it.
    #[allow(clippy::too_many_arguments)]
    fn integrate_pending(
        &self,
        simd: Simd,
        pending: &[(u32, f64)],
        v: &mut [F],
        ge: &[F],
        gi: &[F],
        abs_mv: f64,
        rel: f64,
    ) {
        let (abs_tol, rel_tol) = (F::from_f64(abs_mv), F::from_f64(rel));
        let full: u64 = 1 << MAX_LEVEL;
        let mut l = Lanes::idle(self.v_rest, &self.levels[0]);
        let mut next = 0;
        for j in 0..CHUNK {
            self.refill(&mut l, j, &mut next, pending, v, ge, gi);
        }
        while l.neuron.iter().any(Option::is_some) {
            self.dp5_lanes_dispatch(simd, &mut l);
            for j in 0..CHUNK {
                let Some(i) = l.neuron[j] else { continue };
                let k = l.k[j];
                let (v_new, err) = (l.v5[j], l.err[j]);
                let tol = abs_tol + rel_tol * v_new.abs();
                let span = 1u64 << (MAX_LEVEL - k);
                let last = l.pos[j] + span == full;
                if err <= tol
                    || k == MAX_LEVEL
                    || (last && self.settled_spike(v_new, err, l.ge[j], l.gi[j], l.h[j]))
                {
                    if last {
                        v[i] = v_new;
                        self.refill(&mut l, j, &mut next, pending, v, ge, gi);
                        continue;
                    }
                    l.v[j] = v_new;
                    l.pos[j] += span;
                    l.ge[j] *= l.de[5][j];
                    l.gi[j] *= l.di[5][j];
                    if k > 0 && err.to_f64() * GROW_RATIO <= tol.to_f64() && l.pos[j] % (2 * span) == 0 {
                        self.set_level(&mut l, j, k - 1);
                    }
                } else {
                    let down = (k + levels_down(err.to_f64() / tol.to_f64())).min(MAX_LEVEL);
                    self.set_level(&mut l, j, down);
                }
            }
        }
    }

    /// Whether a final sub-step of length `h` from conductances `ge`, `gi` that ends at
    /// `v` with error estimate `err` certainly ends above threshold: `v − err ≥ v_thresh`
    /// on a step well inside the stability region (`h (g_L + g_E + g_I)/cm ≤ 1`, where
    /// the estimate is meaningful; DP5's real stability limit is about 3.3).
    #[inline(always)]
    fn settled_spike(&self, v: F, err: F, ge: F, gi: F, h: F) -> bool {
        v - err >= self.v_thresh && (self.g_leak + ge + gi) * self.inv_cm * h <= F::ONE
    }

    /// Integrate V over one time step from conductances `ge`, `gi` at its start.
    fn integrate(&self, mut v: F, mut ge: F, mut gi: F) -> F {
        match self.control {
            RkControl::FixedSubsteps(n) => {
                let h = F::from_f64(self.h0);
                let (de, di) = (self.stages0.e[5], self.stages0.i[5]);
                for _ in 0..n {
                    v = self.dp5(v, ge, gi, h, &self.stages0).0;
                    ge *= de;
                    gi *= di;
                }
                v
            }
            RkControl::Adaptive { abs_mv, rel } => self.integrate_adaptive(v, ge, gi, abs_mv, rel, None),
        }
    }

    /// Adaptive Dormand–Prince 5(4) over one time step on dyadic sub-steps `dt / 2^k`:
    /// a rejected sub-step descends [`levels_down`] levels, an accepted one with an error
    /// below `tol / GROW_RATIO` ascends one level where the position allows, so every
    /// sub-step ends on the time step's dyadic grid and the stage decay factors are
    /// precomputed. `rejected` is `err / tol` of a first attempt over the whole step that
    /// the caller already computed and rejected (it is not computed again).
    fn integrate_adaptive(
        &self,
        mut v: F,
        mut ge: F,
        mut gi: F,
        abs_mv: f64,
        rel: f64,
        rejected: Option<f64>,
    ) -> F {
        let (abs_tol, rel_tol) = (F::from_f64(abs_mv), F::from_f64(rel));
        let full: u64 = 1 << MAX_LEVEL;
        let mut pos: u64 = 0;
        let mut k = rejected.map_or(0, |r| levels_down(r).min(MAX_LEVEL));
        loop {
            let sd = &self.levels[k as usize];
            let h = self.level_h[k as usize];
            let (v_new, err) = self.dp5(v, ge, gi, h, sd);
            let tol = abs_tol + rel_tol * v_new.abs();
            let span = 1u64 << (MAX_LEVEL - k);
            let last = pos + span == full;
            // A final sub-step that ends above threshold by more than its error estimate
            // is accepted as it is: the neuron spikes and V is reset, so refining V would
            // not change the outcome.
            if err <= tol || k == MAX_LEVEL || (last && self.settled_spike(v_new, err, ge, gi, h)) {
                v = v_new;
                if last {
                    return v;
                }
                pos += span;
                ge *= sd.e[5];
                gi *= sd.i[5];
                if k > 0 && err.to_f64() * GROW_RATIO <= tol.to_f64() && pos % (2 * span) == 0 {
                    k -= 1;
                }
            } else {
                k = (k + levels_down(err.to_f64() / tol.to_f64())).min(MAX_LEVEL);
            }
        }
    }
}

impl<F: Real> CondExpAccurate<F> {
    /// The body of `step_slice` under a single first attempt per step: windows of
    /// [`WINDOW`] neurons, `pending` a reusable list for the rejected ones.
    fn step_windows(
        &self,
        state: StateSliceMut<'_, F>,
        spiked: &mut Vec<u32>,
        pending: &mut Vec<(u32, f64)>,
    ) {
        let n = state.v.len();
        let h = F::from_f64(self.h0);
        let quiet = F::from_f64(QUIET) * self.g_leak;
        // the first attempt: every lane one step of length h0 with the regular stage factors
        let mut first = Lanes::idle(self.v_rest, &self.stages0);
        first.h = [h; CHUNK];
        let simd = Simd::detect();
        let mut window = 0;
        while window < n {
            let wn = WINDOW.min(n - window);
            let v = &mut state.v[window..window + wn];
            let ge = &mut state.syn_e[window..window + wn];
            let gi = &mut state.syn_i[window..window + wn];
            let refrac = &mut state.refrac[window..window + wn];
            pending.clear();
            // 1. the first attempt over the whole step, for blocks of neurons (vectorised)
            let mut start = 0;
            while start < wn {
                let c = CHUNK.min(wn - start);
                first.v[..c].copy_from_slice(&v[start..start + c]);
                first.ge[..c].copy_from_slice(&ge[start..start + c]);
                first.gi[..c].copy_from_slice(&gi[start..start + c]);
                self.dp5_lanes_dispatch(simd, &mut first);
                let (v5, err) = (&first.v5, &first.err);
                for j in 0..c {
                    let i = start + j;
                    if refrac[i] > 0 {
                        // refractory: clamp (the count falls in step 3)
                        v[i] = self.v_reset;
                    } else if ge[i] + gi[i] <= quiet {
                        // no synaptic input: exact relaxation
                        v[i] = self.alpha0 - self.exp_tc * (self.alpha0 - v[i]);
                    } else {
                        match self.control {
                            RkControl::Adaptive { abs_mv, rel } => {
                                let tol = F::from_f64(abs_mv) + F::from_f64(rel) * v5[j].abs();
                                if err[j] <= tol || self.settled_spike(v5[j], err[j], ge[i], gi[i], h) {
                                    v[i] = v5[j];
                                } else {
                                    // rejected: sub-stepped in step 2
                                    pending.push((i as u32, err[j].to_f64() / tol.to_f64()));
                                }
                            }
                            RkControl::FixedSubsteps(_) => v[i] = v5[j],
                        }
                    }
                }
                start += c;
            }
            // 2. the rejected neurons, sub-stepped side by side (vectorised)
            if let RkControl::Adaptive { abs_mv, rel } = self.control {
                if !pending.is_empty() {
                    self.integrate_pending(simd, pending, v, ge, gi, abs_mv, rel);
                }
            }
            // 3. synaptic decay (closed form), threshold on the grid, reset
            for i in 0..wn {
                ge[i] *= self.decay_e;
                gi[i] *= self.decay_i;
                if refrac[i] > 0 {
                    refrac[i] -= 1;
                } else if v[i] >= self.v_thresh {
                    v[i] = self.v_reset;
                    refrac[i] = self.refrac_steps;
                    spiked.push((window + i) as u32);
                }
            }
            window += wn;
        }
    }
}

/// Neurons per block of the vectorised first attempt in
/// [`CondExpAccurate`]'s `step_slice`.
const CHUNK: usize = 16;

/// Neurons per window of [`CondExpAccurate`]'s `step_slice`: their first attempts are
/// computed, those rejected are sub-stepped side by side ([`Lanes`]), then the window's
/// conductances decay and its spikes are recorded in index order.
const WINDOW: usize = 1024;

/// The state of [`CHUNK`] neurons sub-stepped side by side by
/// `CondExpAccurate::integrate_pending`: each lane's V, conductances, sub-step level,
/// step length, stage factors and position in the time step (in units of the finest
/// sub-step), and the results of the last attempt.
struct Lanes<F> {
    /// Index of the lane's neuron in its window, `None` when the lane is idle.
    neuron: [Option<usize>; CHUNK],
    v: [F; CHUNK],
    ge: [F; CHUNK],
    gi: [F; CHUNK],
    k: [u32; CHUNK],
    h: [F; CHUNK],
    de: [[F; CHUNK]; 6],
    di: [[F; CHUNK]; 6],
    pos: [u64; CHUNK],
    v5: [F; CHUNK],
    err: [F; CHUNK],
}

thread_local! {
    /// The rejected neurons of a window of `step_slice` (index, `err / tol`), reused
    /// from call to call so that stepping allocates nothing once warm.
    static PENDING: std::cell::RefCell<Vec<(u32, f64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl<F: Real> Lanes<F> {
    /// All lanes idle at `v_rest` with the factors of `sd` (a finite, harmless attempt).
    fn idle(v_rest: F, sd: &StageDecay<F>) -> Self {
        Self {
            neuron: [None; CHUNK],
            v: [v_rest; CHUNK],
            ge: [F::ZERO; CHUNK],
            gi: [F::ZERO; CHUNK],
            k: [0; CHUNK],
            h: [F::ZERO; CHUNK],
            de: std::array::from_fn(|s| [sd.e[s]; CHUNK]),
            di: std::array::from_fn(|s| [sd.i[s]; CHUNK]),
            pos: [0; CHUNK],
            v5: [F::ZERO; CHUNK],
            err: [F::ZERO; CHUNK],
        }
    }
}

impl<F: Real> NeuronKernel<F> for CondExpAccurate<F> {
    #[inline]
    fn v_init(&self) -> F {
        self.v_rest
    }

    /// Block version, bit-identical to [`step`](NeuronKernel::step) per neuron: the
    /// first Dormand–Prince attempt of length `dt` is computed for blocks of neurons in a
    /// branch-free loop the compiler vectorises; only neurons whose error estimate
    /// exceeds the tolerance are sub-stepped, side by side in vectorised lanes.
    fn step_slice(&self, state: StateSliceMut<'_, F>, spiked: &mut Vec<u32>) -> usize {
        let single = match self.control {
            RkControl::Adaptive { .. } => true,
            RkControl::FixedSubsteps(n) => n == 1,
        };
        if !single {
            return step_each(self, state, spiked);
        }
        let n = state.v.len();
        assert!(
            state.syn_e.len() == n && state.syn_i.len() == n && state.refrac.len() == n,
            "state vectors differ in length"
        );
        let before = spiked.len();
        PENDING.with(|pending| {
            let mut pending = pending.borrow_mut();
            self.step_windows(state, spiked, &mut pending);
        });
        spiked.len() - before
    }

    fn step(&self, v: &mut F, syn_e: &mut F, syn_i: &mut F, refrac: &mut u32) -> bool {
        let free = *refrac == 0;
        if !free {
            // refractory: clamp
            *refrac -= 1;
            *v = self.v_reset;
        } else if *syn_e + *syn_i <= F::from_f64(QUIET) * self.g_leak {
            // no synaptic input: exact relaxation toward v_rest + R_m i_offset
            *v = self.alpha0 - self.exp_tc * (self.alpha0 - *v);
        } else {
            *v = self.integrate(*v, *syn_e, *syn_i);
        }
        // synaptic decay (closed form)
        *syn_e *= self.decay_e;
        *syn_i *= self.decay_i;
        // threshold on the grid, reset
        if free && *v >= self.v_thresh {
            *v = self.v_reset;
            *refrac = self.refrac_steps;
            true
        } else {
            false
        }
    }
}
