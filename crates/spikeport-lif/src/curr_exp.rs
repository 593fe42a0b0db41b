//! PyNN `IF_curr_exp` with exact integration, as NEST's `iaf_psc_exp`.
//!
//! ```text
//! cm dV/dt = cm (v_rest − V)/tau_m + I_E − I_I + i_offset
//! dI_X/dt  = −I_X / tau_syn_X;     an arriving spike of weight w adds |w| nA to I_X
//! ```
//!
//! The system is linear between spikes, so one step is an exact matrix exponential
//! (Rotter & Diesmann 1999; NEST `iaf_psc_exp::update`), with `u = V − v_rest`:
//!
//! ```text
//! u₁   = P22 u₀ + P21_E I_E − P21_I I_I + P20 i_offset
//! I_X ← P11_X I_X
//! P22  = e^{−dt/tau_m},  P11_X = e^{−dt/tau_syn_X},  P20 = (tau_m/cm)(1 − P22)
//! P21_X = (dt/cm) e^{−dt/tau_m} φ(dt (1/tau_syn_X − 1/tau_m)),  φ(x) = (1 − e^{−x})/x
//! ```
//!
//! `φ` is evaluated with `exp_m1`, so `tau_syn = tau_m` (where the textbook form
//! `tau_syn tau_m/(cm (tau_m − tau_syn)) (e^{−dt/tau_m} − e^{−dt/tau_syn})` is 0/0) needs no
//! special case (NEST's `propagator_32` handles it by a separate branch). Threshold,
//! reset and refractory clamp as in [`cond_exp`](crate::cond_exp).

use spikeport_snn::timing::{check_dt, refractory_steps};
use spikeport_snn::IfCurrExpValidParams;

use crate::{LifError, NeuronKernel, Real};

/// φ(x) = (1 − e^{−x}) / x, stable near 0 and for either sign.
pub(crate) fn phi(x: f64) -> f64 {
    if x.abs() < 1e-10 {
        1.0 - 0.5 * x
    } else {
        -(-x).exp_m1() / x
    }
}

/// Exact propagators of `IF_curr_exp` for one (parameters, dt); see the
/// [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurrExpExact<F> {
    v_rest: F,
    v_reset: F,
    v_thresh: F,
    i_offset: F,
    p22: F,
    p11_e: F,
    p11_i: F,
    p21_e: F,
    p21_i: F,
    p20: F,
    refrac_steps: u32,
}

impl<F: Real> CurrExpExact<F> {
    /// Precompute the propagators for `p` at time step `dt_ms`.
    ///
    /// **Errors** with [`LifError::Snn`] for a bad `dt_ms`.
    pub fn new(p: &IfCurrExpValidParams, dt_ms: f64) -> Result<Self, LifError> {
        let dt = check_dt(dt_ms)?;
        let (tau_m, cm) = (p.tau_m(), p.cm());
        let p22 = (-dt / tau_m).exp();
        let p21 = |tau_syn_ms: f64| dt / cm * p22 * phi(dt * (1.0 / tau_syn_ms - 1.0 / tau_m));
        Ok(Self {
            v_rest: F::from_f64(p.v_rest()),
            v_reset: F::from_f64(p.v_reset()),
            v_thresh: F::from_f64(p.v_thresh()),
            i_offset: F::from_f64(p.i_offset()),
            p22: F::from_f64(p22),
            p11_e: F::from_f64((-dt / p.tau_syn_e()).exp()),
            p11_i: F::from_f64((-dt / p.tau_syn_i()).exp()),
            p21_e: F::from_f64(p21(p.tau_syn_e())),
            p21_i: F::from_f64(p21(p.tau_syn_i())),
            p20: F::from_f64(tau_m / cm * -(-dt / tau_m).exp_m1()),
            refrac_steps: refractory_steps(p.tau_refrac(), dt),
        })
    }

    /// Refractory period in updates.
    pub fn refrac_steps(&self) -> u32 {
        self.refrac_steps
    }
}

impl<F: Real> NeuronKernel<F> for CurrExpExact<F> {
    #[inline]
    fn v_init(&self) -> F {
        self.v_rest
    }

    #[inline]
    fn step(&self, v: &mut F, syn_e: &mut F, syn_i: &mut F, refrac: &mut u32) -> bool {
        let free = *refrac == 0;
        if free {
            // exact propagation of u = V − v_rest
            let u = *v - self.v_rest;
            let u = self.p22 * u + self.p21_e * *syn_e - self.p21_i * *syn_i + self.p20 * self.i_offset;
            *v = self.v_rest + u;
        } else {
            // refractory: clamp
            *refrac -= 1;
            *v = self.v_reset;
        }
        // synaptic decay
        *syn_e *= self.p11_e;
        *syn_i *= self.p11_i;
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
