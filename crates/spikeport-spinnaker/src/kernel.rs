//! Fixed-point neuron kernels in sPyNNaker's order: `IF_cond_exp` and `IF_curr_exp`.
//!
//! One update of a neuron, as `neuron_impl_standard.h` does it each timer tick, written
//! here from sPyNNaker's component headers (`neuron_model_lif_impl.h`,
//! `synapse_types_exponential_impl.h`, `input_type_conductance.h`,
//! `input_type_current.h`, `threshold_type_static.h`):
//!
//! ```text
//! (0) ring buffer → synapse:  syn_X ← syn_X + decay_s1615(w_X << shift_X, init_X)
//!                             init_X = (tau_X/dt)(1 − e^{−dt/tau_X})   (0.32 fraction)
//! (1) synaptic input with V at step start:
//!       IF_cond_exp: g_X = syn_X >> 10  (µS; syn holds 1024·g)
//!                    I = g_E (e_rev_E − V) − inh,  inh = −(g_I (e_rev_I − V))
//!       IF_curr_exp: I = syn_E − syn_I  (nA)
//! (2) if not refractory: exact constant-input step
//!       α = (I + i_offset) · R_m + v_rest,   V ← α − exp_TC · (α − V)
//!     else: refract_timer −= 1 (V frozen at v_reset)
//! (3) threshold: V ≥ v_thresh → spike, V ← v_reset, refract_timer ← ⌈tau_refrac/dt⌉
//! (4) synaptic decay: syn_X ← decay_s1615(syn_X, e^{−dt/tau_X})
//! ```
//!
//! All arithmetic is [`S1615`] (saturating, products truncated toward −∞) with the decay
//! and input-scaling factors as [`U032`] fractions. `exp_TC` and `R_m` are `REAL`
//! (s16.15) in sPyNNaker's `neuron_t`, and are here too.

use spikeport_snn::timing::refractory_steps;
use spikeport_snn::{IfCondExpValidParams, IfCurrExpValidParams, NeuronModel};

use crate::fixed::{S1615, U032};
use crate::SpinnakerError;

/// The shift sPyNNaker applies to conductance synaptic state before use
/// (`input_type_conductance.h`: `exc_input >> 10`); conductance weights are scaled up by
/// 2¹⁰ on the host (`get_global_weight_scale` = 1024) to keep small µS values resolvable.
pub const CONDUCTANCE_SHIFT: u32 = 10;

/// State of one neuron.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeuronState {
    /// Membrane potential, mV.
    pub v: S1615,
    /// Synaptic state per receptor (0 excitatory, 1 inhibitory): nA for `IF_curr_exp`,
    /// 1024 · µS for `IF_cond_exp`.
    pub syn: [S1615; 2],
    /// Updates left in the refractory period.
    pub refrac: u32,
}

/// Precomputed fixed-point parameters of one population's neurons at dt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LifFixed {
    /// Conductance (`IF_cond_exp`) or current (`IF_curr_exp`) synapses.
    conductance: bool,
    v_rest: S1615,
    v_reset: S1615,
    v_thresh: S1615,
    /// Reversal potentials (E, I), mV; unused for current synapses.
    e_rev: [S1615; 2],
    /// Offset current, nA.
    i_offset: S1615,
    /// Membrane resistance tau_m / cm, MΩ.
    r_mem: S1615,
    /// e^{−dt/tau_m}.
    exp_tc: S1615,
    /// e^{−dt/tau_syn} per receptor.
    decay: [U032; 2],
    /// (tau_syn/dt)(1 − e^{−dt/tau_syn}) per receptor.
    init: [U032; 2],
    refrac_steps: u32,
}

fn param(model: &'static str, name: &'static str, x: f64) -> Result<S1615, SpinnakerError> {
    S1615::checked_from_f64(x).ok_or(SpinnakerError::OutOfRange { model, param: name, value: x })
}

fn init_factor(tau: f64, dt: f64) -> U032 {
    U032::from_f64(tau / dt * (1.0 - (-dt / tau).exp()))
}

impl LifFixed {
    /// Fixed-point parameters for `model` at `dt_ms`.
    ///
    /// **Errors** with [`SpinnakerError::UnsupportedModel`] for models other than
    /// `IF_cond_exp` / `IF_curr_exp`, and [`SpinnakerError::OutOfRange`] for a parameter
    /// (or `tau_m / cm`) outside the s16.15 range.
    pub fn new(model: &NeuronModel, dt_ms: f64) -> Result<Self, SpinnakerError> {
        match model {
            NeuronModel::IfCondExp(p) => Self::cond(p, dt_ms),
            NeuronModel::IfCurrExp(p) => Self::curr(p, dt_ms),
            other => Err(SpinnakerError::UnsupportedModel { model: other.name() }),
        }
    }

    /// `IF_cond_exp` at `dt_ms`. **Errors** as [`LifFixed::new`].
    pub fn cond(p: &IfCondExpValidParams, dt_ms: f64) -> Result<Self, SpinnakerError> {
        let m = "IF_cond_exp";
        Ok(Self {
            conductance: true,
            v_rest: param(m, "v_rest", p.v_rest())?,
            v_reset: param(m, "v_reset", p.v_reset())?,
            v_thresh: param(m, "v_thresh", p.v_thresh())?,
            e_rev: [param(m, "e_rev_E", p.e_rev_e())?, param(m, "e_rev_I", p.e_rev_i())?],
            i_offset: param(m, "i_offset", p.i_offset())?,
            r_mem: param(m, "tau_m/cm", p.tau_m() / p.cm())?,
            exp_tc: S1615::from_f64((-dt_ms / p.tau_m()).exp()),
            decay: [
                U032::from_f64((-dt_ms / p.tau_syn_e()).exp()),
                U032::from_f64((-dt_ms / p.tau_syn_i()).exp()),
            ],
            init: [init_factor(p.tau_syn_e(), dt_ms), init_factor(p.tau_syn_i(), dt_ms)],
            refrac_steps: refractory_steps(p.tau_refrac(), dt_ms),
        })
    }

    /// `IF_curr_exp` at `dt_ms`. **Errors** as [`LifFixed::new`].
    pub fn curr(p: &IfCurrExpValidParams, dt_ms: f64) -> Result<Self, SpinnakerError> {
        let m = "IF_curr_exp";
        Ok(Self {
            conductance: false,
            v_rest: param(m, "v_rest", p.v_rest())?,
            v_reset: param(m, "v_reset", p.v_reset())?,
            v_thresh: param(m, "v_thresh", p.v_thresh())?,
            e_rev: [S1615::ZERO; 2],
            i_offset: param(m, "i_offset", p.i_offset())?,
            r_mem: param(m, "tau_m/cm", p.tau_m() / p.cm())?,
            exp_tc: S1615::from_f64((-dt_ms / p.tau_m()).exp()),
            decay: [
                U032::from_f64((-dt_ms / p.tau_syn_e()).exp()),
                U032::from_f64((-dt_ms / p.tau_syn_i()).exp()),
            ],
            init: [init_factor(p.tau_syn_e(), dt_ms), init_factor(p.tau_syn_i(), dt_ms)],
            refrac_steps: refractory_steps(p.tau_refrac(), dt_ms),
        })
    }

    /// Whether synapses are conductances (weights scaled by 2¹⁰ on the host).
    pub fn is_conductance(&self) -> bool {
        self.conductance
    }

    /// Factor from weight units (µS or nA) to synaptic-state units: 1024 for conductance,
    /// 1 for current synapses (sPyNNaker's `get_global_weight_scale`).
    pub fn global_weight_scale(&self) -> f64 {
        if self.conductance {
            (1u32 << CONDUCTANCE_SHIFT) as f64
        } else {
            1.0
        }
    }

    /// Refractory period in updates, ⌈tau_refrac/dt⌉.
    pub fn refrac_steps(&self) -> u32 {
        self.refrac_steps
    }

    /// Input-scaling factor `(tau/dt)(1 − e^{−dt/tau})` of `receptor` (0 E, 1 I).
    pub fn init_factor(&self, receptor: usize) -> U032 {
        self.init[receptor & 1]
    }

    /// The resting state: V = v_rest, no synaptic input, not refractory.
    pub fn rest(&self) -> NeuronState {
        NeuronState { v: self.v_rest, syn: [S1615::ZERO; 2], refrac: 0 }
    }

    /// Step (0): add ring-buffer input (already shifted into s16.15) to `receptor`,
    /// scaled by the input factor (`add_input_exp`).
    #[inline]
    pub fn add_input(&self, s: &mut NeuronState, receptor: usize, input: S1615) {
        let r = receptor & 1;
        s.syn[r] = s.syn[r].saturating_add(input.mul_u032(self.init[r]));
    }

    /// Steps (1)–(4) of one update; returns whether the neuron spiked.
    #[inline]
    pub fn step(&self, s: &mut NeuronState) -> bool {
        if s.refrac == 0 {
            let input = if self.conductance {
                let ge = s.syn[0].shift_right(CONDUCTANCE_SHIFT);
                let gi = s.syn[1].shift_right(CONDUCTANCE_SHIFT);
                let exc = ge.saturating_mul(self.e_rev[0].saturating_sub(s.v));
                // sPyNNaker: inh = −(g_I · (E_I − V)); total = exc − inh
                let inh = gi.saturating_mul(self.e_rev[1].saturating_sub(s.v)).saturating_neg();
                exc.saturating_sub(inh)
            } else {
                s.syn[0].saturating_sub(s.syn[1])
            };
            let input = input.saturating_add(self.i_offset);
            let alpha = input.saturating_mul(self.r_mem).saturating_add(self.v_rest);
            s.v = alpha.saturating_sub(self.exp_tc.saturating_mul(alpha.saturating_sub(s.v)));
        } else {
            s.refrac -= 1;
        }
        let spiked = s.v >= self.v_thresh;
        if spiked {
            s.v = self.v_reset;
            s.refrac = self.refrac_steps;
        }
        s.syn[0] = s.syn[0].mul_u032(self.decay[0]);
        s.syn[1] = s.syn[1].mul_u032(self.decay[1]);
        spiked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikeport_snn::{IfCondExpParams, IfCurrExpParams};

    fn paper() -> LifFixed {
        LifFixed::new(&IfCondExpParams::paper_digital().into_model().unwrap(), 1.0).unwrap()
    }

    #[test]
    fn rest_is_a_fixed_point() {
        let k = paper();
        let mut s = k.rest();
        for _ in 0..100 {
            assert!(!k.step(&mut s));
        }
        assert_eq!(s, k.rest());
    }

    #[test]
    fn constant_current_step_is_exact_closed_form() {
        // IF_curr_exp, i_offset 0.5 nA, R = 20 MΩ: V → −65 + 10 mV with exp(−dt/τ).
        let p = IfCurrExpParams::new().i_offset(0.5).v_thresh(100.0).into_model().unwrap();
        let k = LifFixed::new(&p, 1.0).unwrap();
        let mut s = k.rest();
        let mut v = -65.0f64;
        let e = (-1.0f64 / 20.0).exp();
        for _ in 0..200 {
            k.step(&mut s);
            v = -55.0 - e * (-55.0 - v);
            // fixed-point error: a few ulp per step, bounded by the contraction
            assert!((s.v.to_f64() - v).abs() < 2e-3, "{} vs {v}", s.v.to_f64());
        }
    }

    #[test]
    fn init_factor_and_decay_match_their_formulas() {
        let k = paper();
        let init = 3.0 * (1.0 - (-1.0f64 / 3.0).exp());
        assert!((k.init_factor(0).to_f64() - init).abs() < 1e-9);
        assert!((k.decay[1].to_f64() - (-1.0f64 / 3.0).exp()).abs() < 1e-9);
        assert_eq!(k.global_weight_scale(), 1024.0);
    }

    #[test]
    fn threshold_reset_and_refractory_rounding() {
        let p = IfCurrExpParams::new().i_offset(5.0).tau_refrac(1.5).into_model().unwrap();
        let k = LifFixed::new(&p, 1.0).unwrap();
        assert_eq!(k.refrac_steps(), 2);
        let mut s = k.rest();
        let mut n = 0;
        while !k.step(&mut s) {
            n += 1;
            assert!(n < 100);
        }
        assert_eq!(s.v, S1615::from_f64(-65.0));
        // membrane frozen for exactly 2 updates
        assert!(!k.step(&mut s));
        assert_eq!(s.v, S1615::from_f64(-65.0));
        assert!(!k.step(&mut s));
        assert_eq!(s.v, S1615::from_f64(-65.0));
        k.step(&mut s);
        assert!(s.v > S1615::from_f64(-65.0));
    }

    #[test]
    fn conductance_input_drives_toward_reversal() {
        let k = paper();
        let mut s = k.rest();
        // 0.01 µS stored as 1024·g in s16.15
        k.add_input(&mut s, 0, S1615::from_f64(0.01 * 1024.0));
        let g0 = s.syn[0];
        k.step(&mut s);
        assert!(s.v > S1615::from_f64(-65.0));
        assert!(s.syn[0] < g0);
        let mut t = k.rest();
        k.add_input(&mut t, 1, S1615::from_f64(0.01 * 1024.0));
        k.step(&mut t);
        assert!(t.v < S1615::from_f64(-65.0));
    }

    #[test]
    fn rejects_unrepresentable_and_unsupported() {
        let p = IfCurrExpParams::new().cm(1e-4).into_model().unwrap(); // R = 2e5 MΩ
        assert!(matches!(LifFixed::new(&p, 1.0), Err(SpinnakerError::OutOfRange { .. })));
        let d = spikeport_snn::IfCurrDeltaSubParams::new().into_model().unwrap();
        assert!(matches!(LifFixed::new(&d, 1.0), Err(SpinnakerError::UnsupportedModel { .. })));
    }

    proptest! {
        #[test]
        fn any_state_and_input_never_panics(
            v in any::<i32>(), e in any::<i32>(), i in any::<i32>(), r in 0u32..5,
            inp in any::<i32>(), cond in any::<bool>(),
        ) {
            let k = if cond { paper() } else {
                LifFixed::new(&IfCurrExpParams::new().into_model().unwrap(), 1.0).unwrap()
            };
            let mut s = NeuronState { v: S1615::from_raw(v), syn: [S1615::from_raw(e), S1615::from_raw(i)], refrac: r };
            k.add_input(&mut s, 0, S1615::from_raw(inp));
            k.add_input(&mut s, 1, S1615::from_raw(inp));
            for _ in 0..3 {
                k.step(&mut s);
            }
        }
    }
}
