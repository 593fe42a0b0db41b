//! Settings shared by both backends, and the macro that gives both the same builder
//! methods and the same [`Backend`](spikeport_snn::Backend) implementation on top of
//! [`engine`](crate::engine).

use spikeport_snn::{ImageBoundary, ModelKind, PlatformInfo, WeightResolution};

/// Default for [`PlatformInfo::max_batch`] of both backends: the whole MNIST test set in
/// one run, images.
pub const DEFAULT_MAX_BATCH: usize = 10_000;

/// Default limit on the memory a run allocates, 2 GiB, bytes: its outputs (spike counts
/// of every population, checkpoints, membrane traces) plus the working memory of its
/// largest task (input schedule on the time grid, neuron state, delay rings). Under
/// `Reset` a task is one image by default (see `with_max_tile`), so the working memory is
/// small; a `Continuous` batch is one task whose input schedule grows with
/// images × steps per image.
pub const DEFAULT_MEMORY_LIMIT_BYTES: usize = 2 << 30;

/// The platform facts of a CPU backend called `name` at `dt_ms` with weights in
/// `resolution`.
pub(crate) fn platform_info(name: &str, dt_ms: f64, resolution: WeightResolution) -> PlatformInfo {
    let mut info = PlatformInfo::new(name, dt_ms);
    info.speedup = None;
    info.max_neurons = None;
    info.max_synapses = None;
    info.max_batch = Some(DEFAULT_MAX_BATCH);
    info.weight_resolution = resolution;
    info.models = vec![ModelKind::IfCondExp, ModelKind::IfCurrExp, ModelKind::IfCurrDeltaSub];
    info.boundaries = vec![ImageBoundary::Reset, ImageBoundary::Continuous];
    info.feed_forward_only = false;
    info.membrane_traces = true;
    info.deterministic = true;
    info
}

/// Builder methods and the `Backend` impl for a backend struct with a `setup: Setup`
/// field, float type `$f`.
macro_rules! cpu_backend {
    ($ty:ident, $f:ty) => {
        impl $ty {
            /// The simulation time step, ms.
            pub fn dt_ms(&self) -> f64 {
                self.setup.info.dt_ms
            }

            /// Allow at most `images` images per run (default
            /// [`DEFAULT_MAX_BATCH`](crate::DEFAULT_MAX_BATCH)); a larger batch is
            /// [`BackendError::ResourceLimit`](spikeport_snn::BackendError::ResourceLimit).
            ///
            /// **Errors** with [`CpuError::InvalidArgument`](crate::CpuError) for 0.
            pub fn with_max_batch(mut self, images: usize) -> Result<Self, crate::CpuError> {
                if images == 0 {
                    return Err(crate::CpuError::InvalidArgument {
                        name: "max_batch",
                        reason: "must be at least 1 image".into(),
                    });
                }
                self.setup.info.max_batch = Some(images);
                Ok(self)
            }

            /// Allow a run to allocate at most `bytes` bytes for its outputs and its
            /// largest task's working memory (see
            /// [`DEFAULT_MEMORY_LIMIT_BYTES`](crate::DEFAULT_MEMORY_LIMIT_BYTES), the
            /// default). A run that needs more is
            /// [`BackendError::ResourceLimit`](spikeport_snn::BackendError::ResourceLimit).
            #[must_use]
            pub fn with_memory_limit(mut self, bytes: usize) -> Self {
                self.setup.memory_limit_bytes = bytes;
                self
            }

            /// Deploy only populations of these models (default: `IF_cond_exp`,
            /// `IF_curr_exp` and `IF_curr_delta_sub`), to mirror a platform that lacks
            /// some; others are
            /// [`BackendError::Unsupported`](spikeport_snn::BackendError::Unsupported).
            #[must_use]
            pub fn with_models(mut self, models: &[spikeport_snn::ModelKind]) -> Self {
                self.setup.info.models = models.to_vec();
                self
            }

            /// Step at most `images` images in lockstep per task (default
            /// [`Self::DEFAULT_MAX_TILE`]); results do not depend on it, speed does.
            ///
            /// **Errors** with [`CpuError::InvalidArgument`](crate::CpuError) for 0.
            pub fn with_max_tile(mut self, images: usize) -> Result<Self, crate::CpuError> {
                if images == 0 {
                    return Err(crate::CpuError::InvalidArgument {
                        name: "max_tile",
                        reason: "must be at least 1 image".into(),
                    });
                }
                self.setup.max_tile = images;
                Ok(self)
            }
        }

        impl spikeport_snn::Backend for $ty {
            type Deployment = crate::CpuDeployment<$f>;

            fn info(&self) -> &spikeport_snn::PlatformInfo {
                &self.setup.info
            }

            /// The simulation settings and platform facts (`Debug`).
            fn settings_text(&self) -> String {
                format!("{self:?}")
            }

            /// Build the network's kernels and weights, once for all copies. Software
            /// simulators draw nothing at random: the seed is unused.
            fn map(
                &self,
                net: &spikeport_snn::SnnNetwork,
                placement: spikeport_snn::Placement,
            ) -> Result<Self::Deployment, spikeport_snn::BackendError> {
                crate::engine::map(&self.setup, net, placement)
            }

            /// Replace the weights of a projection in place (cheap: one conversion of the
            /// matrix to the backend's float type).
            fn update_weights(
                &self,
                dep: &mut Self::Deployment,
                projection: usize,
                weights: ndarray::ArrayView2<'_, f64>,
            ) -> Result<(), spikeport_snn::BackendError> {
                crate::engine::update_weights(dep, projection, weights)
            }

            fn run(
                &self,
                dep: &mut Self::Deployment,
                input: &spikeport_snn::SpikeInput,
                rec: &spikeport_snn::Recording,
            ) -> Result<spikeport_snn::RunOutput, spikeport_snn::BackendError> {
                crate::engine::run(&self.setup, dep, input, rec)
            }
        }
    };
}

pub(crate) use cpu_backend;
