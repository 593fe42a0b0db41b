//! Integrate-and-fire with delta synapses and reset by subtraction
//! ([`IfCurrDeltaSubValidParams`]), for per-layer normalised conversion.
//!
//! One update `k` (`t_k → t_{k+1}`):
//!
//! 1. the input arriving at `t_k` (`syn_e − syn_i`, mV) is taken from the synaptic
//!    variables, which are cleared; while refractory it is discarded, V is held and the
//!    update ends here;
//! 2. `V ← V + input`;
//! 3. leak and bias, exactly: `V ← v_rest + (V − v_rest) e^{−dt/tau_m} + R_m (1 − e^{−dt/tau_m}) i_offset`,
//!    or `V ← V + i_offset dt / cm` without leak (`tau_m = None`);
//! 4. if `V ≥ v_thresh`: spike, `V ← V − (v_thresh − v_reset)` (the residual is kept), and
//!    `⌈tau_refrac/dt⌉` refractory updates follow.
//!
//! At most one spike per update; a residual still above threshold fires in the next one.

use spikeport_snn::timing::{check_dt, refractory_steps};
use spikeport_snn::IfCurrDeltaSubValidParams;

use crate::{LifError, NeuronKernel, Real};

/// Precomputed step of the delta-synapse IF with reset by subtraction; see the
/// [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeltaSub<F> {
    v_rest: F,
    v_thresh: F,
    /// v_thresh − v_reset, mV.
    reset_step: F,
    /// e^{−dt/tau_m}, or 1 without leak.
    decay: F,
    /// Voltage added by i_offset over one step, mV.
    bias: F,
    refrac_steps: u32,
}

impl<F: Real> DeltaSub<F> {
    /// Precompute for `p` at time step `dt_ms`.
    ///
    /// **Errors** with [`LifError::Snn`] for a bad `dt_ms`.
    pub fn new(p: &IfCurrDeltaSubValidParams, dt_ms: f64) -> Result<Self, LifError> {
        let dt = check_dt(dt_ms)?;
        let (decay, bias) = match p.tau_m() {
            Some(tau_m) => ((-dt / tau_m).exp(), tau_m / p.cm() * -(-dt / tau_m).exp_m1() * p.i_offset()),
            None => (1.0, p.i_offset() * dt / p.cm()),
        };
        Ok(Self {
            v_rest: F::from_f64(p.v_rest()),
            v_thresh: F::from_f64(p.v_thresh()),
            reset_step: F::from_f64(p.reset_step()),
            decay: F::from_f64(decay),
            bias: F::from_f64(bias),
            refrac_steps: refractory_steps(p.tau_refrac(), dt),
        })
    }

    /// Refractory period in updates.
    pub fn refrac_steps(&self) -> u32 {
        self.refrac_steps
    }
}

impl<F: Real> NeuronKernel<F> for DeltaSub<F> {
    #[inline]
    fn v_init(&self) -> F {
        self.v_rest
    }

    #[inline]
    fn step(&self, v: &mut F, syn_e: &mut F, syn_i: &mut F, refrac: &mut u32) -> bool {
        // take the input arriving at t_k
        let input = *syn_e - *syn_i;
        *syn_e = F::ZERO;
        *syn_i = F::ZERO;
        if *refrac > 0 {
            // refractory: hold V, discard input
            *refrac -= 1;
            return false;
        }
        // jump, then exact leak and bias
        *v = self.v_rest + (*v + input - self.v_rest) * self.decay + self.bias;
        // threshold on the grid, reset by subtraction
        if *v >= self.v_thresh {
            *v -= self.reset_step;
            *refrac = self.refrac_steps;
            true
        } else {
            false
        }
    }
}
