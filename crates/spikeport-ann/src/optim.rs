//! Optimisers (SGD with momentum, Adam) and learning-rate schedules.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{AnnError, Result};

/// Elements per parallel task in parameter updates (fixed, so results do not depend on threads).
const UPDATE_CHUNK: usize = 1 << 14;

/// A gradient-descent optimiser and its hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Optimizer {
    /// Stochastic gradient descent with (heavy-ball) momentum:
    /// `v ← momentum · v − lr · g; w ← w + v`. Momentum 0 is plain SGD.
    Sgd {
        /// Learning rate (dimensionless, > 0).
        lr: f32,
        /// Momentum in [0, 1).
        momentum: f32,
    },
    /// Adam (Kingma & Ba 2015) with bias correction, as in Keras.
    Adam {
        /// Learning rate (> 0); Keras' default is 1e-3.
        lr: f32,
        /// Decay of the first moment, in [0, 1); default 0.9.
        beta1: f32,
        /// Decay of the second moment, in [0, 1); default 0.999.
        beta2: f32,
        /// Added to √v for stability (> 0); Keras' default 1e-7.
        epsilon: f32,
    },
}

impl Optimizer {
    /// Adam with learning rate `lr` and Keras' defaults for the rest.
    pub fn adam(lr: f32) -> Self {
        Optimizer::Adam { lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }
    }

    /// SGD with learning rate `lr` and momentum `momentum`.
    pub fn sgd(lr: f32, momentum: f32) -> Self {
        Optimizer::Sgd { lr, momentum }
    }

    /// The base learning rate.
    pub fn lr(&self) -> f32 {
        match *self {
            Optimizer::Sgd { lr, .. } | Optimizer::Adam { lr, .. } => lr,
        }
    }

    /// Checks every hyper-parameter.
    pub fn check(&self) -> Result<()> {
        let bad = |name, reason: String| Err(AnnError::InvalidConfig { name, reason });
        let lr = self.lr();
        if !(lr.is_finite() && lr > 0.0) {
            return bad("lr", format!("must be finite and > 0, got {lr}"));
        }
        match *self {
            Optimizer::Sgd { momentum, .. } => {
                if !(0.0..1.0).contains(&momentum) {
                    return bad("momentum", format!("must be in [0, 1), got {momentum}"));
                }
            }
            Optimizer::Adam { beta1, beta2, epsilon, .. } => {
                if !(0.0..1.0).contains(&beta1) {
                    return bad("beta1", format!("must be in [0, 1), got {beta1}"));
                }
                if !(0.0..1.0).contains(&beta2) {
                    return bad("beta2", format!("must be in [0, 1), got {beta2}"));
                }
                if !(epsilon.is_finite() && epsilon > 0.0) {
                    return bad("epsilon", format!("must be finite and > 0, got {epsilon}"));
                }
            }
        }
        Ok(())
    }
}

/// How the learning rate changes over the epochs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// The base learning rate throughout.
    #[default]
    Constant,
    /// Cosine decay per epoch from the base rate to `final_fraction` × base rate in the last epoch.
    Cosine {
        /// Fraction of the base rate reached in the last epoch, in [0, 1].
        final_fraction: f32,
    },
}

impl LrSchedule {
    /// Multiplier of the base learning rate in `epoch` (0-based) of `epochs`.
    pub fn factor(&self, epoch: usize, epochs: usize) -> f32 {
        match *self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Cosine { final_fraction } => {
                if epochs <= 1 {
                    return 1.0;
                }
                let t = epoch as f32 / (epochs - 1) as f32;
                final_fraction + (1.0 - final_fraction) * 0.5 * (1.0 + (std::f32::consts::PI * t).cos())
            }
        }
    }

    /// Checks the schedule's parameters.
    pub fn check(&self) -> Result<()> {
        match *self {
            LrSchedule::Constant => Ok(()),
            LrSchedule::Cosine { final_fraction } if (0.0..=1.0).contains(&final_fraction) => Ok(()),
            LrSchedule::Cosine { final_fraction } => Err(AnnError::InvalidConfig {
                name: "final_fraction",
                reason: format!("must be in [0, 1], got {final_fraction}"),
            }),
        }
    }
}

/// The optimiser's per-parameter memory (momentum / moments) and step count.
#[derive(Clone, Debug)]
pub(crate) struct OptState {
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    step: i32,
}

impl OptState {
    /// State for parameter tensors of the given lengths.
    pub(crate) fn new(lengths: &[usize]) -> Self {
        Self {
            m: lengths.iter().map(|&n| vec![0.0; n]).collect(),
            v: lengths.iter().map(|&n| vec![0.0; n]).collect(),
            step: 0,
        }
    }

    /// Starts a new step (call once per batch, before the per-tensor updates).
    pub(crate) fn begin_step(&mut self) {
        self.step = self.step.saturating_add(1);
    }

    /// Updates parameter tensor `k` in place from its gradient, with learning rate `lr`.
    pub(crate) fn update(&mut self, opt: &Optimizer, k: usize, lr: f32, param: &mut [f32], grad: &[f32]) {
        match *opt {
            Optimizer::Sgd { momentum, .. } => {
                let m = &mut self.m[k];
                param
                    .par_chunks_mut(UPDATE_CHUNK)
                    .zip(grad.par_chunks(UPDATE_CHUNK))
                    .zip(m.par_chunks_mut(UPDATE_CHUNK))
                    .for_each(|((p, g), m)| {
                        for ((p, &g), m) in p.iter_mut().zip(g).zip(m.iter_mut()) {
                            *m = momentum * *m - lr * g;
                            *p += *m;
                        }
                    });
            }
            Optimizer::Adam { beta1, beta2, epsilon, .. } => {
                let t = self.step;
                let lr_t = lr * (1.0 - beta2.powi(t)).sqrt() / (1.0 - beta1.powi(t));
                let (m, v) = (&mut self.m[k], &mut self.v[k]);
                param
                    .par_chunks_mut(UPDATE_CHUNK)
                    .zip(grad.par_chunks(UPDATE_CHUNK))
                    .zip(m.par_chunks_mut(UPDATE_CHUNK).zip(v.par_chunks_mut(UPDATE_CHUNK)))
                    .for_each(|((p, g), (m, v))| {
                        for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                            *m = beta1 * *m + (1.0 - beta1) * g;
                            *v = beta2 * *v + (1.0 - beta2) * g * g;
                            *p -= lr_t * *m / (v.sqrt() + epsilon);
                        }
                    });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgd_momentum_matches_recurrence() {
        let opt = Optimizer::sgd(0.1, 0.5);
        let mut st = OptState::new(&[1]);
        let mut p = [1.0f32];
        st.begin_step();
        st.update(&opt, 0, 0.1, &mut p, &[2.0]); // v = -0.2, p = 0.8
        assert!((p[0] - 0.8).abs() < 1e-7);
        st.begin_step();
        st.update(&opt, 0, 0.1, &mut p, &[2.0]); // v = -0.1 - 0.2 = -0.3, p = 0.5
        assert!((p[0] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn adam_first_step_moves_by_lr() {
        // With bias correction, the first Adam step is lr · g/|g| (up to epsilon).
        let opt = Optimizer::adam(0.01);
        let mut st = OptState::new(&[2]);
        let mut p = [0.0f32, 0.0];
        st.begin_step();
        st.update(&opt, 0, 0.01, &mut p, &[3.0, -0.5]);
        assert!((p[0] + 0.01).abs() < 1e-6, "{p:?}");
        assert!((p[1] - 0.01).abs() < 1e-6, "{p:?}");
    }

    #[test]
    fn adam_minimises_a_quadratic() {
        let opt = Optimizer::adam(0.05);
        let mut st = OptState::new(&[1]);
        let mut p = [3.0f32];
        for _ in 0..2000 {
            st.begin_step();
            let g = [2.0 * (p[0] - 1.0)];
            st.update(&opt, 0, 0.05, &mut p, &g);
        }
        assert!((p[0] - 1.0).abs() < 1e-2, "{p:?}");
    }

    #[test]
    fn bad_hyper_parameters_are_rejected() {
        assert!(Optimizer::adam(0.0).check().is_err());
        assert!(Optimizer::adam(f32::NAN).check().is_err());
        assert!(Optimizer::sgd(0.1, 1.0).check().is_err());
        assert!(Optimizer::Adam { lr: 1e-3, beta1: 1.0, beta2: 0.9, epsilon: 1e-7 }.check().is_err());
        assert!(LrSchedule::Cosine { final_fraction: 1.5 }.check().is_err());
        assert!(Optimizer::adam(1e-3).check().is_ok());
    }

    #[test]
    fn cosine_schedule_ends_at_final_fraction() {
        let s = LrSchedule::Cosine { final_fraction: 0.1 };
        assert!((s.factor(0, 11) - 1.0).abs() < 1e-6);
        assert!((s.factor(10, 11) - 0.1).abs() < 1e-6);
        assert!((s.factor(5, 11) - 0.55).abs() < 1e-6);
    }
}
