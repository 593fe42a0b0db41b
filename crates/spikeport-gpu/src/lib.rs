//! # spikeport-gpu — the `Fast` simulator as WGSL compute kernels on wgpu
//!
//! [`Gpu`] is a [`Backend`] with the semantics of
//! `spikeport-cpu`'s `Fast` (the GeNN row of Ostrau et al., ICANN 2020): single
//! precision, one exact step per dt (for `IF_cond_exp` the held-conductance step by
//! default, GeNN's held-current step with [`Gpu::with_cond_exp_step`]), exact
//! propagators for `IF_curr_exp` and `IF_curr_delta_sub`, the grid rules of
//! [`spikeport_snn::timing`], both image boundaries, any topology, delays, membrane
//! traces, spike times, count checkpoints and in-place weight updates.
//!
//! | piece | where |
//! |---|---|
//! | neuron update (4 models), readout counts, recordings | `shaders/neuron.wgsl`, one dispatch per population and step |
//! | event-driven spike propagation | `shaders/propagate.wgsl`, one dispatch per projection and step |
//! | step counter | a one-thread kernel between the two |
//!
//! Only wgpu's `vulkan` and `wgsl` features are compiled, so the backend runs on a Vulkan
//! driver or not at all (in CI: Mesa's software driver lavapipe). Design, kernel layout,
//! determinism, limits and measured timings: `docs/backends/gpu.md` in the repository.
//!
//! **Determinism.** Each target neuron's synaptic input is summed by one thread, in
//! ascending pre-synaptic order, with the same f32 additions as the CPU backends; counts
//! and event counters are integers. So a run is bit-identical from run to run and
//! whatever the chunking of the batch, and an image's result does not depend on its
//! batch under `Reset`. The neuron update is the same sequence of f32 operations as
//! `spikeport-lif`'s kernels, but a Vulkan driver may fuse a multiply and an add or
//! divide less exactly than IEEE, so results equal `Fast`'s up to such rounding (on
//! lavapipe the conformance suite finds them identical; see the crate's tests).
//!
//! **Errors.** No adapter, a lost device, a buffer over the device's limits or a
//! shader/pipeline validation error is a [`GpuError`], never a panic: wgpu's panicking
//! default error handler is replaced, and every group of GPU calls runs in error
//! scopes. Batches whose buffers exceed the limits are split into chunks automatically.
//!
//! **Runs** go through the contract's run executor ([`spikeport_snn::exec`]): it resolves
//! the run, checks the host memory and assembles the output; the GPU simulates the
//! executor's lanes (one per image under `Reset`, one per network copy's share under
//! `Continuous`, see [`Placement::copies`](spikeport_snn::Placement)) in tiles of
//! consecutive lanes of equal length, each cut into chunks that fit the device.
//!
//! ```no_run
//! use spikeport_gpu::Gpu;
//! use spikeport_snn::{Backend, Encoder, IfCondExpParams, Recording, SnnNetwork};
//!
//! let gpu = Gpu::new(1.0)?; // dt = 1 ms on the best Vulkan adapter
//! println!("running on {}", gpu.adapter().summary());
//! let lif = IfCondExpParams::paper_digital().into_model()?;
//! let net = SnnNetwork::feed_forward(2, vec![(lif, ndarray::array![[0.05, 0.0], [0.0, 0.05]])], 1.0)?;
//! let mut dep = gpu.deploy(&net, 0)?;
//! let input = Encoder::paper_digital().encode(ndarray::array![[1.0f32, 0.0], [0.0, 0.5]].view())?;
//! let out = gpu.run(&mut dep, &input, &Recording::counts_only())?;
//! assert_eq!(out.predictions(), vec![Some(0), Some(1)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bench;
mod chunk;
mod context;
mod deploy;
mod device;
mod error;
mod model;
pub mod platforms;
mod readback;
mod run;
mod step;

use std::sync::Arc;

use spikeport_snn::timing::check_dt;
use spikeport_snn::{
    Backend, BackendError, ImageBoundary, ModelKind, Placement, PlatformInfo, Recording, RunOutput,
    SnnNetwork, SpikeInput, WeightResolution,
};

pub use context::AdapterFacts;
pub use deploy::GpuDeployment;
pub use error::GpuError;
pub use model::CondExpStep;
pub use platforms::platforms;

use context::GpuContext;
use deploy::Setup;

/// Default for [`PlatformInfo::max_batch`]: the whole MNIST test set in one run, images.
pub const DEFAULT_MAX_BATCH: usize = 10_000;

/// Default limit on the host memory a run allocates for its outputs (counts,
/// checkpoints, membrane traces) and the working memory of its largest tile, 2 GiB, bytes.
pub const DEFAULT_MEMORY_LIMIT_BYTES: usize = 2 << 30;

/// Default number of images simulated together on the device (one chunk), images.
pub const DEFAULT_CHUNK_IMAGES: usize = 1024;

/// Default number of time steps encoded per queue submission.
pub const DEFAULT_STEPS_PER_SUBMIT: usize = 64;

/// The GPU simulator: `Fast`'s semantics on a Vulkan device through wgpu.
///
/// Clones share the device (and serialise their use of it).
#[derive(Clone, Debug)]
pub struct Gpu {
    ctx: Arc<GpuContext>,
    setup: Setup,
}

impl Gpu {
    /// Backend name prefix in [`PlatformInfo::name`], which continues with the adapter
    /// ([`AdapterFacts::summary`]).
    pub const NAME: &'static str = "GPU";
    /// Default time step, ms.
    pub const DEFAULT_DT_MS: f64 = 1.0;

    /// Open the best Vulkan adapter and step at `dt_ms`.
    ///
    /// **Errors** with [`GpuError::Snn`] unless `dt_ms` is finite and > 0,
    /// [`GpuError::NoAdapter`] without a Vulkan driver, [`GpuError::RequestDevice`], or a
    /// kernel compilation error.
    pub fn new(dt_ms: f64) -> Result<Self, GpuError> {
        let dt = check_dt(dt_ms)?;
        let ctx = Arc::new(GpuContext::open()?);
        Ok(Self { setup: default_setup(&ctx.facts, dt), ctx })
    }

    /// The same device stepping at `dt_ms` (other settings kept).
    ///
    /// **Errors** with [`GpuError::Snn`] unless `dt_ms` is finite and > 0.
    pub fn with_dt(mut self, dt_ms: f64) -> Result<Self, GpuError> {
        self.setup.info.dt_ms = check_dt(dt_ms)?;
        Ok(self)
    }

    /// The simulation time step, ms.
    pub fn dt_ms(&self) -> f64 {
        self.setup.info.dt_ms
    }

    /// The adapter this backend runs on.
    pub fn adapter(&self) -> &AdapterFacts {
        &self.ctx.facts
    }

    /// The wgpu device (for diagnostics; destroying it makes every later call fail with
    /// [`GpuError::DeviceLost`]).
    pub fn device(&self) -> &wgpu::Device {
        &self.ctx.device
    }

    /// Largest buffer the device binds, bytes (its storage-binding and buffer limits).
    pub fn device_buffer_limit(&self) -> u64 {
        self.ctx.max_binding_bytes()
    }

    /// The same simulator with `IF_cond_exp` stepped by `step`.
    #[must_use]
    pub fn with_cond_exp_step(mut self, step: CondExpStep) -> Self {
        self.setup.step = step;
        self
    }

    /// How `IF_cond_exp` neurons are stepped.
    pub fn cond_exp_step(&self) -> CondExpStep {
        self.setup.step
    }

    /// Allow at most `images` images per run (default [`DEFAULT_MAX_BATCH`]); a larger
    /// batch is [`BackendError::ResourceLimit`].
    ///
    /// **Errors** with [`GpuError::InvalidArgument`] for 0.
    pub fn with_max_batch(mut self, images: usize) -> Result<Self, GpuError> {
        if images == 0 {
            return Err(GpuError::InvalidArgument {
                name: "max_batch",
                reason: "must be at least 1 image".into(),
            });
        }
        self.setup.info.max_batch = Some(images);
        Ok(self)
    }

    /// Allow a run to allocate at most `bytes` bytes on the host for its outputs and the
    /// working memory of its largest tile (see [`DEFAULT_MEMORY_LIMIT_BYTES`]). A run that
    /// needs more is [`BackendError::ResourceLimit`].
    #[must_use]
    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.setup.memory_limit_bytes = bytes;
        self
    }

    /// Deploy only populations of these models (default: all three), to mirror a
    /// platform that lacks some.
    #[must_use]
    pub fn with_models(mut self, models: &[ModelKind]) -> Self {
        self.setup.info.models = models.to_vec();
        self
    }

    /// Keep every device buffer within `bytes` bytes as well as within the device's
    /// limits (default: the device's limits only). Batches are split into more chunks;
    /// results do not change. For tests of the splitting, or to bound device memory.
    ///
    /// **Errors** with [`GpuError::InvalidArgument`] below 16 bytes.
    pub fn with_max_buffer_bytes(mut self, bytes: u64) -> Result<Self, GpuError> {
        if bytes < 16 {
            return Err(GpuError::InvalidArgument {
                name: "max_buffer_bytes",
                reason: format!("{bytes} bytes is below the smallest bindable buffer (16)"),
            });
        }
        self.setup.max_buffer_bytes = Some(bytes);
        Ok(self)
    }

    /// Simulate at most `images` images together on the device (default
    /// [`DEFAULT_CHUNK_IMAGES`]), but always at least one lane (a `Continuous` lane holds
    /// a copy's whole share); results do not depend on it, speed and device memory do.
    ///
    /// **Errors** with [`GpuError::InvalidArgument`] for 0.
    pub fn with_chunk_images(mut self, images: usize) -> Result<Self, GpuError> {
        if images == 0 {
            return Err(GpuError::InvalidArgument {
                name: "chunk_images",
                reason: "must be at least 1 image".into(),
            });
        }
        self.setup.max_chunk_images = images;
        Ok(self)
    }

    /// Encode at most `steps` time steps per queue submission (default
    /// [`DEFAULT_STEPS_PER_SUBMIT`]); results do not depend on it.
    ///
    /// **Errors** with [`GpuError::InvalidArgument`] for 0.
    pub fn with_steps_per_submit(mut self, steps: usize) -> Result<Self, GpuError> {
        if steps == 0 {
            return Err(GpuError::InvalidArgument {
                name: "steps_per_submit",
                reason: "must be at least 1 step".into(),
            });
        }
        self.setup.steps_per_submit = steps;
        Ok(self)
    }

    /// [`Backend::deploy`] with the GPU's own error type.
    ///
    /// **Errors** with [`GpuError::Backend`] (unsupported model, invalid network),
    /// [`GpuError::TooLarge`] for weights over the buffer limit, or a device error.
    pub fn try_deploy(&self, net: &SnnNetwork) -> Result<GpuDeployment, GpuError> {
        deploy::deploy(&self.ctx, &self.setup, net, Placement::default())
    }

    /// [`Backend::run`] with the GPU's own error type.
    ///
    /// **Errors** with [`GpuError::Backend`] (invalid input or recording, host limits, a
    /// lane over the 32-bit step counter, non-finite state), [`GpuError::TooLarge`] when
    /// one image (or one copy's share of a `Continuous` batch) does not fit the device's
    /// buffers, [`GpuError::DeviceLost`],
    /// [`GpuError::OutOfMemory`], [`GpuError::Validation`] or [`GpuError::Driver`].
    pub fn try_run(
        &self,
        dep: &mut GpuDeployment,
        input: &SpikeInput,
        rec: &Recording,
    ) -> Result<RunOutput, GpuError> {
        if !Arc::ptr_eq(&dep.ctx(), &self.ctx) {
            return Err(GpuError::Backend(BackendError::invalid_input(
                "the deployment was made on another GPU device",
            )));
        }
        run::run(&self.setup, dep, input, rec)
    }
}

/// The platform facts and defaults of a backend on the adapter `facts` at `dt`.
fn default_setup(facts: &AdapterFacts, dt: f64) -> Setup {
    let mut info = PlatformInfo::new(format!("{} {}", Gpu::NAME, facts.summary()), dt);
    info.speedup = None;
    info.max_neurons = None;
    info.max_synapses = None;
    info.max_batch = Some(DEFAULT_MAX_BATCH);
    info.weight_resolution = WeightResolution::Float32;
    info.models = vec![ModelKind::IfCondExp, ModelKind::IfCurrExp, ModelKind::IfCurrDeltaSub];
    info.boundaries = vec![ImageBoundary::Reset, ImageBoundary::Continuous];
    info.feed_forward_only = false;
    info.membrane_traces = true;
    info.deterministic = true;
    Setup {
        info,
        step: CondExpStep::HeldConductance,
        memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
        max_buffer_bytes: None,
        max_chunk_images: DEFAULT_CHUNK_IMAGES,
        steps_per_submit: DEFAULT_STEPS_PER_SUBMIT,
    }
}

impl Backend for Gpu {
    type Deployment = GpuDeployment;

    fn info(&self) -> &PlatformInfo {
        &self.setup.info
    }

    /// The simulation settings and platform facts (`Debug`; the facts name the adapter).
    fn settings_text(&self) -> String {
        format!("{:?}", self.setup)
    }

    /// Compute the network's kernel constants and upload its weights, once for all copies.
    /// Software simulators draw nothing at random: the seed is unused.
    fn map(&self, net: &SnnNetwork, placement: Placement) -> Result<GpuDeployment, BackendError> {
        Ok(deploy::deploy(&self.ctx, &self.setup, net, placement)?)
    }

    /// Replace the weights of a projection in place (one upload of the f32 matrix).
    fn update_weights(
        &self,
        dep: &mut GpuDeployment,
        projection: usize,
        weights: ndarray::ArrayView2<'_, f64>,
    ) -> Result<(), BackendError> {
        Ok(deploy::update_weights(dep, projection, weights)?)
    }

    fn run(
        &self,
        dep: &mut GpuDeployment,
        input: &SpikeInput,
        rec: &Recording,
    ) -> Result<RunOutput, BackendError> {
        Ok(self.try_run(dep, input, rec)?)
    }
}

#[cfg(test)]
mod autotraits {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        send_sync::<Gpu>();
        send_sync::<GpuDeployment>();
        send_sync::<GpuError>();
        send_sync::<AdapterFacts>();
    }
}
