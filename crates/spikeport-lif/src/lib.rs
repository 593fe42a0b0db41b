//! # spikeport-lif — the simulation core of spikeport's float backends
//!
//! Pure, allocation-free step kernels per neuron model, with propagators precomputed once
//! per (parameters, dt) in the NEST style; a delay ring buffer; and event-driven, batched
//! spike propagation. Backends (`spikeport-cpu`'s `Reference` and `Fast`, later the GPU
//! backend's host reference) own the loop and the recording; this crate owns the numbers.
//!
//! | model ([`spikeport_snn`]) | kernel | method |
//! |---|---|---|
//! | `IF_cond_exp` | [`CondExpExact`] | GeNN / sPyNNaker exact constant-input step, f32 or f64 |
//! | `IF_cond_exp` | [`CondExpExpEuler`] | held-conductance exact step (exponential Euler), f32 or f64 |
//! | `IF_cond_exp` | [`CondExpAccurate`] | closed-form conductances + adaptive Dormand–Prince 5(4) for V (NEST-like reference) |
//! | `IF_curr_exp` | [`CurrExpExact`] | exact propagators (NEST `iaf_psc_exp`) |
//! | `IF_curr_delta_sub` | [`DeltaSub`] | exact leak, delta input, reset by subtraction |
//!
//! The time-grid rules (threshold on the grid, spike stamps, delays, refractory
//! rounding) are those of [`spikeport_snn::timing`]; [`InputSchedule`] puts input spikes
//! on the grid, [`DelayRing`] documents the step protocol that realises the rules, and
//! [`kernel`] the batch layout.
//!
//! ## Example: one neuron, one input spike, 1 ms grid
//!
//! ```
//! use spikeport_lif::{CondExpExact, DelayRing, NeuronKernel};
//! use spikeport_snn::IfCondExpParams;
//!
//! let p = IfCondExpParams::paper_digital().check()?;
//! let k = CondExpExact::<f32>::new(&p, 1.0)?;
//! let (mut v, mut ge, mut gi, mut r) = (k.v_init(), 0.0f32, 0.0f32, 0u32);
//! let mut ring = DelayRing::<f32>::new(1, 1);
//! let mut trace = Vec::new();
//! for step in 0..20 {
//!     let (mut e, mut i) = ([ge], [gi]);
//!     ring.deliver_into(&mut e, &mut i); // input arriving at t_step
//!     (ge, gi) = (e[0], i[0]);
//!     k.step(&mut v, &mut ge, &mut gi, &mut r);
//!     trace.push(v);
//!     if step == 2 {
//!         ring.slot_mut(1).0[0] += 0.01; // an input spike stamped 3 with delay 1 ms: 0.01 µS
//!     }
//! }
//! assert_eq!(trace[3], -65.0);        // arrives at t = 4 ms, before update 4
//! assert!(trace[4] > -65.0);          // the membrane starts to rise in update 4
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cond_exp;
pub mod curr_exp;
pub mod delta_sub;
mod error;
pub mod kernel;
pub mod propagate;
mod real;
pub mod ring;
pub mod schedule;
mod simd;

pub use cond_exp::{CondExpAccurate, CondExpExact, CondExpExpEuler, CondExpStep, RkControl};
pub use curr_exp::CurrExpExact;
pub use delta_sub::DeltaSub;
pub use error::LifError;
pub use kernel::{step_each, step_slice, NeuronKernel, StateBlock, StateSliceMut};
pub use propagate::{DenseSynapses, SpikeBatch};
pub use real::Real;
pub use ring::DelayRing;
pub use schedule::InputSchedule;
pub use simd::Simd;

use spikeport_snn::NeuronModel;

/// Any kernel of this crate, chosen from a [`NeuronModel`] at run time. Dispatch once per
/// block with [`Kernel::step_slice`]; the per-neuron [`NeuronKernel`] impl matches on
/// every call.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Kernel<F> {
    /// `IF_cond_exp`, exact constant-input step (GeNN, sPyNNaker).
    CondExpExact(CondExpExact<F>),
    /// `IF_cond_exp`, held-conductance exact step (exponential Euler).
    CondExpExpEuler(CondExpExpEuler<F>),
    /// `IF_cond_exp`, adaptive reference integration.
    CondExpAccurate(CondExpAccurate<F>),
    /// `IF_curr_exp`, exact propagators.
    CurrExpExact(CurrExpExact<F>),
    /// Delta-synapse IF with reset by subtraction.
    DeltaSub(DeltaSub<F>),
}

impl<F: Real> Kernel<F> {
    /// The GeNN-like kernel for `model` at `dt_ms`: exact constant-input step for
    /// `IF_cond_exp`, exact propagators for the others.
    ///
    /// **Errors** with [`LifError::NoKernel`] for the spike source, or as the kernel's
    /// constructor.
    pub fn exact(model: &NeuronModel, dt_ms: f64) -> Result<Self, LifError> {
        match model {
            NeuronModel::IfCondExp(p) => CondExpExact::new(p, dt_ms).map(Self::CondExpExact),
            NeuronModel::IfCurrExp(p) => CurrExpExact::new(p, dt_ms).map(Self::CurrExpExact),
            NeuronModel::IfCurrDeltaSub(p) => DeltaSub::new(p, dt_ms).map(Self::DeltaSub),
            other => Err(LifError::NoKernel { model: other.name() }),
        }
    }

    /// The held-conductance kernel for `model` at `dt_ms`: [`CondExpExpEuler`] for
    /// `IF_cond_exp`, exact propagators for the others (as [`Kernel::exact`]).
    ///
    /// **Errors** with [`LifError::NoKernel`] for the spike source, or as the kernel's
    /// constructor.
    pub fn exp_euler(model: &NeuronModel, dt_ms: f64) -> Result<Self, LifError> {
        match model {
            NeuronModel::IfCondExp(p) => CondExpExpEuler::new(p, dt_ms).map(Self::CondExpExpEuler),
            other => Self::exact(other, dt_ms),
        }
    }

    /// The NEST-like kernel for `model` at `dt_ms`: adaptive integration with `control`
    /// for `IF_cond_exp`, exact propagators for the others (already exact).
    ///
    /// **Errors** with [`LifError::NoKernel`] for the spike source, or as the kernel's
    /// constructor.
    pub fn accurate(model: &NeuronModel, dt_ms: f64, control: RkControl) -> Result<Self, LifError> {
        match model {
            NeuronModel::IfCondExp(p) => CondExpAccurate::new(p, dt_ms, control).map(Self::CondExpAccurate),
            other => Self::exact(other, dt_ms),
        }
    }

    /// [`step_slice`] with this kernel, dispatching once.
    pub fn step_slice(&self, state: StateSliceMut<'_, F>, spiked: &mut Vec<u32>) -> usize {
        match self {
            Self::CondExpExact(k) => k.step_slice(state, spiked),
            Self::CondExpExpEuler(k) => k.step_slice(state, spiked),
            Self::CondExpAccurate(k) => k.step_slice(state, spiked),
            Self::CurrExpExact(k) => k.step_slice(state, spiked),
            Self::DeltaSub(k) => k.step_slice(state, spiked),
        }
    }
}

impl<F: Real> NeuronKernel<F> for Kernel<F> {
    fn v_init(&self) -> F {
        match self {
            Self::CondExpExact(k) => k.v_init(),
            Self::CondExpExpEuler(k) => k.v_init(),
            Self::CondExpAccurate(k) => k.v_init(),
            Self::CurrExpExact(k) => k.v_init(),
            Self::DeltaSub(k) => k.v_init(),
        }
    }

    fn step(&self, v: &mut F, syn_e: &mut F, syn_i: &mut F, refrac: &mut u32) -> bool {
        match self {
            Self::CondExpExact(k) => k.step(v, syn_e, syn_i, refrac),
            Self::CondExpExpEuler(k) => k.step(v, syn_e, syn_i, refrac),
            Self::CondExpAccurate(k) => k.step(v, syn_e, syn_i, refrac),
            Self::CurrExpExact(k) => k.step(v, syn_e, syn_i, refrac),
            Self::DeltaSub(k) => k.step(v, syn_e, syn_i, refrac),
        }
    }

    fn step_slice(&self, state: StateSliceMut<'_, F>, spiked: &mut Vec<u32>) -> usize {
        Kernel::step_slice(self, state, spiked)
    }
}

#[cfg(test)]
mod autotraits {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        send_sync::<LifError>();
        send_sync::<CondExpExact<f32>>();
        send_sync::<CondExpExact<f64>>();
        send_sync::<CondExpExpEuler<f32>>();
        send_sync::<CondExpAccurate<f64>>();
        send_sync::<RkControl>();
        send_sync::<CurrExpExact<f32>>();
        send_sync::<DeltaSub<f32>>();
        send_sync::<Kernel<f32>>();
        send_sync::<Kernel<f64>>();
        send_sync::<StateBlock<f32>>();
        send_sync::<StateSliceMut<'static, f32>>();
        send_sync::<DelayRing<f32>>();
        send_sync::<DenseSynapses<f32>>();
        send_sync::<SpikeBatch>();
        send_sync::<InputSchedule>();
    }
}
