//! The conformance suite of the CPU backends (`spikeport-cpu/tests/conformance/bodies.rs`,
//! the same test bodies) run against the GPU backend with its declared tolerance, plus
//! the GPU's own configuration checks. Without a Vulkan adapter every test prints that
//! it skips (and fails under `CI=true`).
//!
//! | instance | backend | dt | tolerance |
//! |---|---|---|---|
//! | `gpu` | `Gpu::new(1.0)` | 1 ms | `GPU_TOL` |
//! | `gpu_genn` | `Gpu::new(1.0)` with GeNN's held-current step | 1 ms | `GPU_GENN_TOL` |

#![allow(clippy::unwrap_used)]

#[path = "../../spikeport-cpu/tests/common/mod.rs"]
mod common;
mod gpu_common;

use common::*;
use ndarray::{array, s, Array2};
use spikeport_snn::timing::delay_steps;
use spikeport_snn::{
    Backend, BackendError, Encoder, IfCondExpParams, IfCurrDeltaSubParams, IfCurrExpParams, ImageBoundary,
    NeuronSelection, Population, Projection, Recording, RunOutput, SnnError, SnnNetwork, SpikeInput,
};

/// Everything of a run except the timings and the GPU's chunk/submission counters, which
/// differ from run to run or with the chunking.
fn without_timings(mut out: RunOutput) -> RunOutput {
    out.activity.wall_time_s = 0.0;
    out.activity.hardware_time_s = 0.0;
    out.activity.counters.clear();
    out
}

fn run<B: Backend>(b: &B, net: &SnnNetwork, input: &SpikeInput, rec: &Recording) -> RunOutput
where
    B::Deployment: spikeport_snn::Deployed,
{
    let mut dep = b.deploy(net, 0).unwrap();
    b.run(&mut dep, input, rec).unwrap()
}

#[path = "../../spikeport-cpu/tests/conformance/bodies.rs"]
mod bodies;

/// The GPU at 1 ms (held-conductance step, f32): the same operations as `Fast`'s kernel;
/// a Vulkan driver may fuse multiply-adds or divide less exactly, so the trace against
/// the hand-stepped `spikeport-lif` kernel is allowed 1e-3 mV (measured on lavapipe: see
/// `docs/backends/gpu.md`); against the high-precision solution as `Fast`.
const GPU_TOL: Tolerance = Tolerance {
    cond_trace_mv: 0.012,
    curr_trace_mv: 1e-4,
    spike_steps: Some(0),
    spike_count_rel: 0.0,
    kernel_mv: 1e-3,
    kernel: KernelKind::ExpEulerF32,
};

/// The GPU with GeNN's held-current step: as `Fast` with that step.
const GPU_GENN_TOL: Tolerance = Tolerance {
    cond_trace_mv: 1.5,
    curr_trace_mv: 1e-4,
    spike_steps: None,
    spike_count_rel: 0.2,
    kernel_mv: 1e-3,
    kernel: KernelKind::ExactF32,
};

/// Instantiate every body for one GPU configuration (`$make` maps the shared device).
macro_rules! conformance {
    ($name:ident, $make:expr, $tol:expr) => {
        mod $name {
            use super::*;
            use spikeport_gpu::Gpu;

            fn backend() -> Option<Gpu> {
                let make: fn(Gpu) -> Gpu = $make;
                gpu_common::gpu().map(make)
            }

            macro_rules! body {
                ($test:ident) => {
                    #[test]
                    fn $test() {
                        let Some(b) = backend() else { return };
                        bodies::$test(&b, &$tol);
                    }
                };
            }

            body!(cond_exp_subthreshold_trace);
            body!(cond_exp_driven_spike_times);
            body!(curr_exp_closed_form);
            body!(delta_sub_reset_by_subtraction);
            body!(two_layer_timing);
            body!(readout_window);
            body!(checkpoints_accumulate);
            body!(deterministic_across_seeds_threads_batches);
            body!(continuous_boundary);
            body!(recording_shapes);
            body!(activity_counters);
            body!(update_weights);
            body!(all_models_and_recurrence);

            #[test]
            fn errors() {
                let Some(b) = backend() else { return };
                bodies::errors(
                    &b,
                    &b.clone().with_max_batch(2).unwrap(),
                    &b.clone().with_memory_limit(20_000),
                    &b.clone().with_models(&[spikeport_snn::ModelKind::IfCurrExp]),
                );
                // a time step that does not divide the image period
                let odd = b.clone().with_dt(0.7).unwrap();
                let net = random_chain(&[6, 4, 2], 3);
                let mut dep = odd.deploy(&net, 0).unwrap();
                let input =
                    Encoder::regular(100.0, 20.0, 10.0).unwrap().encode(random_images(1, 6, 1).view()).unwrap();
                let err = odd.run(&mut dep, &input, &Recording::counts_only()).unwrap_err();
                assert!(matches!(err, BackendError::InvalidInput { .. }), "{err}");
                for bad in [0.0, -1.0, f64::NAN] {
                    assert!(matches!(b.clone().with_dt(bad), Err(spikeport_gpu::GpuError::Snn(_))));
                }
                for (name, r) in [
                    ("max_batch", b.clone().with_max_batch(0).err()),
                    ("chunk_images", b.clone().with_chunk_images(0).err()),
                    ("steps_per_submit", b.clone().with_steps_per_submit(0).err()),
                    ("max_buffer_bytes", b.clone().with_max_buffer_bytes(8).err()),
                ] {
                    assert!(
                        matches!(r, Some(spikeport_gpu::GpuError::InvalidArgument { name: n, .. }) if n == name),
                        "{name}: {r:?}"
                    );
                }
            }
        }
    };
}

conformance!(gpu, |g| g, GPU_TOL);
conformance!(gpu_genn, |g| g.with_cond_exp_step(spikeport_gpu::CondExpStep::GennHeldCurrent), GPU_GENN_TOL);
