//! The conformance suite: one set of generic test bodies, run against every CPU backend
//! configuration with its declared [`Tolerance`] (see `common`).
//!
//! | instance | backend | dt | tolerance |
//! |---|---|---|---|
//! | `reference` | `Reference::default()` | 0.1 ms | `REFERENCE_TOL` |
//! | `reference_1ms` | `Reference::new(1.0)` | 1 ms | `REFERENCE_1MS_TOL` |
//! | `fast` | `Fast::default()` | 1 ms | `FAST_TOL` |
//! | `fast_01ms` | `Fast::new(0.1)` | 0.1 ms | `FAST_01_TOL` |
//! | `fast_genn` | `Fast::default()` with GeNN's held-current step | 1 ms | `FAST_GENN_TOL` |
//! | `fast_genn_01ms` | `Fast::new(0.1)` with GeNN's held-current step | 0.1 ms | `FAST_GENN_01_TOL` |

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use ndarray::{array, s, Array2};
use spikeport_snn::timing::delay_steps;
use spikeport_snn::{
    Backend, BackendError, Encoder, IfCondExpParams, IfCurrDeltaSubParams, IfCurrExpParams, ImageBoundary,
    NeuronSelection, Population, Projection, Recording, RunOutput, SnnError, SnnNetwork, SpikeInput,
};

/// Everything of a run except the timings, which differ from run to run.
fn without_timings(mut out: RunOutput) -> RunOutput {
    out.activity.wall_time_s = 0.0;
    out.activity.hardware_time_s = 0.0;
    out
}

fn run<B: Backend>(b: &B, net: &SnnNetwork, input: &SpikeInput, rec: &Recording) -> RunOutput {
    let mut dep = b.deploy(net, 0).unwrap();
    b.run(&mut dep, input, rec).unwrap()
}

#[path = "conformance/bodies.rs"]
mod bodies;

/// Instantiate every body for one backend configuration.
macro_rules! conformance {
    ($name:ident, $ty:ident, $make:expr, $tol:expr) => {
        mod $name {
            use super::*;
            use spikeport_cpu::$ty;

            fn backend() -> $ty {
                $make
            }

            #[test]
            fn cond_exp_subthreshold_trace() {
                bodies::cond_exp_subthreshold_trace(&backend(), &$tol);
            }
            #[test]
            fn cond_exp_driven_spike_times() {
                bodies::cond_exp_driven_spike_times(&backend(), &$tol);
            }
            #[test]
            fn curr_exp_closed_form() {
                bodies::curr_exp_closed_form(&backend(), &$tol);
            }
            #[test]
            fn delta_sub_reset_by_subtraction() {
                bodies::delta_sub_reset_by_subtraction(&backend(), &$tol);
            }
            #[test]
            fn two_layer_timing() {
                bodies::two_layer_timing(&backend(), &$tol);
            }
            #[test]
            fn readout_window() {
                bodies::readout_window(&backend(), &$tol);
            }
            #[test]
            fn checkpoints_accumulate() {
                bodies::checkpoints_accumulate(&backend(), &$tol);
            }
            #[test]
            fn deterministic_across_seeds_threads_batches() {
                bodies::deterministic_across_seeds_threads_batches(&backend(), &$tol);
            }
            #[test]
            fn continuous_boundary() {
                bodies::continuous_boundary(&backend(), &$tol);
            }
            #[test]
            fn recording_shapes() {
                bodies::recording_shapes(&backend(), &$tol);
            }
            #[test]
            fn activity_counters() {
                bodies::activity_counters(&backend(), &$tol);
            }
            #[test]
            fn update_weights() {
                bodies::update_weights(&backend(), &$tol);
            }
            #[test]
            fn all_models_and_recurrence() {
                bodies::all_models_and_recurrence(&backend(), &$tol);
            }
            #[test]
            fn tile_size_does_not_change_results() {
                let net = random_chain(&[20, 16, 4], 12);
                let input = Encoder::regular(120.0, 40.0, 10.0)
                    .unwrap()
                    .encode(random_images(40, 20, 5).view())
                    .unwrap();
                let rec =
                    Recording::counts_only().with_spikes(NeuronSelection::all(2)).with_checkpoints(10.0);
                let a = without_timings(run(&backend().with_max_tile(1).unwrap(), &net, &input, &rec));
                let b = without_timings(run(&backend().with_max_tile(3).unwrap(), &net, &input, &rec));
                assert!(a.counts[2].sum() > 0);
                assert_eq!(a, b);
            }
            #[test]
            fn errors() {
                let b = backend();
                bodies::errors(
                    &b,
                    &b.clone().with_max_batch(2).unwrap(),
                    &b.clone().with_memory_limit(20_000),
                    &b.clone().with_models(&[spikeport_snn::ModelKind::IfCurrExp]),
                );
                // a time step that does not divide the image period
                let odd = $ty::new(0.7).unwrap();
                let net = random_chain(&[6, 4, 2], 3);
                let mut dep = odd.deploy(&net, 0).unwrap();
                let input = Encoder::regular(100.0, 20.0, 10.0)
                    .unwrap()
                    .encode(random_images(1, 6, 1).view())
                    .unwrap();
                let err = odd.run(&mut dep, &input, &Recording::counts_only()).unwrap_err();
                assert!(matches!(err, BackendError::InvalidInput { .. }), "{err}");
                for bad in [0.0, -1.0, f64::NAN] {
                    assert!(matches!($ty::new(bad), Err(spikeport_cpu::CpuError::Snn(_))));
                }
                assert!(matches!(
                    b.clone().with_max_batch(0),
                    Err(spikeport_cpu::CpuError::InvalidArgument { .. })
                ));
                assert!(matches!(
                    b.clone().with_max_tile(0),
                    Err(spikeport_cpu::CpuError::InvalidArgument { .. })
                ));
            }
        }
    };
}

conformance!(reference, Reference, Reference::default(), REFERENCE_TOL);
conformance!(reference_1ms, Reference, Reference::new(1.0).unwrap(), REFERENCE_1MS_TOL);
conformance!(fast, Fast, Fast::default(), FAST_TOL);
conformance!(fast_01ms, Fast, Fast::new(0.1).unwrap(), FAST_01_TOL);
conformance!(
    fast_genn,
    Fast,
    Fast::default().with_cond_exp_step(spikeport_cpu::CondExpStep::GennHeldCurrent),
    FAST_GENN_TOL
);
conformance!(
    fast_genn_01ms,
    Fast,
    Fast::new(0.1).unwrap().with_cond_exp_step(spikeport_cpu::CondExpStep::GennHeldCurrent),
    FAST_GENN_01_TOL
);
