//! Neuron-model constants for the GPU kernels: the propagators of `spikeport-lif`'s f32
//! kernels, computed the same way (in f64, rounded once to f32) and packed into the
//! 16-float block the WGSL kernel reads.
//!
//! | id | model | kernel it mirrors | slots 0‥ |
//! |---|---|---|---|
//! | 0 | `IF_cond_exp`, held conductance | [`CondExpExpEuler`](spikeport_lif::CondExpExpEuler) | v_reset, v_thresh, v_rest, e_rev_E, e_rev_I, g_L, g_L v_rest + i_offset, −dt/cm, mean_E, mean_I, decay_E, decay_I |
//! | 1 | `IF_cond_exp`, GeNN's held current | [`CondExpExact`](spikeport_lif::CondExpExact) | v_rest, v_reset, v_thresh, e_rev_E, e_rev_I, i_offset, R_m, e^{−dt/tau_m}, decay_E, decay_I |
//! | 2 | `IF_curr_exp` | [`CurrExpExact`](spikeport_lif::CurrExpExact) | v_rest, v_reset, v_thresh, i_offset, P22, P11_E, P11_I, P21_E, P21_I, P20 |
//! | 3 | `IF_curr_delta_sub` | [`DeltaSub`](spikeport_lif::DeltaSub) | v_rest, v_thresh, v_thresh − v_reset, decay, bias |
//!
//! The tests compare every model against its `spikeport-lif` kernel step by step.

use spikeport_snn::timing::refractory_steps;
use spikeport_snn::{IfCondExpValidParams, IfCurrDeltaSubValidParams, IfCurrExpValidParams, NeuronModel};

pub use spikeport_lif::CondExpStep;

/// Model id of the held-conductance `IF_cond_exp` step in the kernel.
pub(crate) const MODEL_COND_EXP_EULER: u32 = 0;
/// Model id of GeNN's `IF_cond_exp` step.
pub(crate) const MODEL_COND_EXP_EXACT: u32 = 1;
/// Model id of `IF_curr_exp`.
pub(crate) const MODEL_CURR_EXP: u32 = 2;
/// Model id of `IF_curr_delta_sub`.
pub(crate) const MODEL_DELTA_SUB: u32 = 3;

/// The constants of one population's kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ModelConsts {
    /// Model id (`MODEL_*`).
    pub id: u32,
    /// Refractory period, updates.
    pub refrac_steps: u32,
    /// Initial (resting) membrane potential, mV.
    pub v_init: f32,
    /// Model constants in the slots of the module table.
    pub c: [f32; 16],
}

/// φ(x) = (1 − e^{−x}) / x, stable near 0 (as `spikeport-lif`'s `IF_curr_exp`).
fn phi(x: f64) -> f64 {
    if x.abs() < 1e-10 {
        1.0 - 0.5 * x
    } else {
        -(-x).exp_m1() / x
    }
}

/// Pack f64 values, rounded to f32, into the 16 slots.
fn pack(values: &[f64]) -> [f32; 16] {
    let mut c = [0.0f32; 16];
    for (d, &x) in c.iter_mut().zip(values) {
        *d = x as f32;
    }
    c
}

/// Held-conductance `IF_cond_exp` at `dt` ms.
fn cond_exp_euler(p: &IfCondExpValidParams, dt: f64) -> ModelConsts {
    let mean = |tau: f64| tau / dt * -(-dt / tau).exp_m1();
    ModelConsts {
        id: MODEL_COND_EXP_EULER,
        refrac_steps: refractory_steps(p.tau_refrac(), dt),
        v_init: p.v_rest() as f32,
        c: pack(&[
            p.v_reset(),
            p.v_thresh(),
            p.v_rest(),
            p.e_rev_e(),
            p.e_rev_i(),
            p.g_leak(),
            p.g_leak() * p.v_rest() + p.i_offset(),
            -dt / p.cm(),
            mean(p.tau_syn_e()),
            mean(p.tau_syn_i()),
            (-dt / p.tau_syn_e()).exp(),
            (-dt / p.tau_syn_i()).exp(),
        ]),
    }
}

/// GeNN's held-current `IF_cond_exp` at `dt` ms.
fn cond_exp_exact(p: &IfCondExpValidParams, dt: f64) -> ModelConsts {
    ModelConsts {
        id: MODEL_COND_EXP_EXACT,
        refrac_steps: refractory_steps(p.tau_refrac(), dt),
        v_init: p.v_rest() as f32,
        c: pack(&[
            p.v_rest(),
            p.v_reset(),
            p.v_thresh(),
            p.e_rev_e(),
            p.e_rev_i(),
            p.i_offset(),
            p.tau_m() / p.cm(),
            (-dt / p.tau_m()).exp(),
            (-dt / p.tau_syn_e()).exp(),
            (-dt / p.tau_syn_i()).exp(),
        ]),
    }
}

/// `IF_curr_exp` with exact propagators at `dt` ms.
fn curr_exp(p: &IfCurrExpValidParams, dt: f64) -> ModelConsts {
    let (tau_m, cm) = (p.tau_m(), p.cm());
    let p22 = (-dt / tau_m).exp();
    let p21 = |tau_syn_ms: f64| dt / cm * p22 * phi(dt * (1.0 / tau_syn_ms - 1.0 / tau_m));
    ModelConsts {
        id: MODEL_CURR_EXP,
        refrac_steps: refractory_steps(p.tau_refrac(), dt),
        v_init: p.v_rest() as f32,
        c: pack(&[
            p.v_rest(),
            p.v_reset(),
            p.v_thresh(),
            p.i_offset(),
            p22,
            (-dt / p.tau_syn_e()).exp(),
            (-dt / p.tau_syn_i()).exp(),
            p21(p.tau_syn_e()),
            p21(p.tau_syn_i()),
            tau_m / cm * -(-dt / tau_m).exp_m1(),
        ]),
    }
}

/// Delta-synapse IF with reset by subtraction at `dt` ms.
fn delta_sub(p: &IfCurrDeltaSubValidParams, dt: f64) -> ModelConsts {
    let (decay, bias) = match p.tau_m() {
        Some(tau_m) => ((-dt / tau_m).exp(), tau_m / p.cm() * -(-dt / tau_m).exp_m1() * p.i_offset()),
        None => (1.0, p.i_offset() * dt / p.cm()),
    };
    ModelConsts {
        id: MODEL_DELTA_SUB,
        refrac_steps: refractory_steps(p.tau_refrac(), dt),
        v_init: p.v_rest() as f32,
        c: pack(&[p.v_rest(), p.v_thresh(), p.reset_step(), decay, bias]),
    }
}

/// The kernel constants of `model` at `dt` ms (`dt` already checked), or `None` for the
/// spike source.
pub(crate) fn consts(model: &NeuronModel, dt: f64, step: CondExpStep) -> Option<ModelConsts> {
    match model {
        NeuronModel::IfCondExp(p) => Some(match step {
            CondExpStep::HeldConductance => cond_exp_euler(p, dt),
            CondExpStep::GennHeldCurrent => cond_exp_exact(p, dt),
        }),
        NeuronModel::IfCurrExp(p) => Some(curr_exp(p, dt)),
        NeuronModel::IfCurrDeltaSub(p) => Some(delta_sub(p, dt)),
        _ => None,
    }
}
