//! The error type of the GPU backend.

use spikeport_snn::{BackendError, SnnError};
use thiserror::Error;

/// Why the GPU backend could not start, deploy or run.
///
/// [`Backend`](spikeport_snn::Backend) methods answer [`BackendError`]s; they convert a
/// `GpuError` with [`From`]: [`GpuError::Backend`] passes through, [`GpuError::TooLarge`]
/// becomes [`BackendError::ResourceLimit`], and the device failures (no adapter, lost
/// device, out of memory, validation) become [`BackendError::Internal`] with this error's
/// message. The inherent methods of [`Gpu`](crate::Gpu) return `GpuError` itself, so a
/// caller can tell a lost device from a bad input.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum GpuError {
    /// No adapter of the requested graphics API (Vulkan) was found: no GPU, no driver,
    /// or no software driver such as Mesa's lavapipe installed.
    #[error("no GPU adapter found for {backends} (install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers for lavapipe)")]
    NoAdapter {
        /// The graphics APIs that were searched, e.g. `"Vulkan"`.
        backends: String,
    },
    /// The adapter refused to open a device with the requested limits.
    #[error("the GPU adapter '{adapter}' could not open a device: {reason}")]
    RequestDevice {
        /// Adapter name.
        adapter: String,
        /// The driver's reason.
        reason: String,
    },
    /// The device was lost (driver reset, device removed, or destroyed) during or before
    /// this operation; create a new [`Gpu`](crate::Gpu).
    #[error("the GPU device was lost: {reason}")]
    DeviceLost {
        /// The driver's reason, as far as it is known.
        reason: String,
    },
    /// The device ran out of memory.
    #[error("the GPU ran out of memory while {during}")]
    OutOfMemory {
        /// What the backend was doing.
        during: String,
    },
    /// wgpu rejected a shader, pipeline, buffer or command (a bug in this backend, or a
    /// driver that violates its own limits).
    #[error("GPU validation error while {during}: {message}")]
    Validation {
        /// What the backend was doing.
        during: String,
        /// wgpu's description.
        message: String,
    },
    /// Another error reported by the driver.
    #[error("GPU driver error while {during}: {message}")]
    Driver {
        /// What the backend was doing.
        during: String,
        /// The driver's description.
        message: String,
    },
    /// A buffer would exceed the device's limits even for a single image (or a single
    /// `Continuous` batch, which cannot be split), or a projection's weights exceed them.
    #[error("{what} needs {bytes} bytes in one GPU buffer; the device allows at most {limit} bytes")]
    TooLarge {
        /// Which buffer.
        what: String,
        /// Bytes needed.
        bytes: u64,
        /// The limit (the smaller of the device's storage-binding and buffer limits and
        /// the configured cap), bytes.
        limit: u64,
    },
    /// An invalid setting, e.g. a batch limit of zero images.
    #[error("invalid setting `{name}`: {reason}")]
    InvalidArgument {
        /// Name of the setting.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An invalid time step.
    #[error(transparent)]
    Snn(#[from] SnnError),
    /// A backend-independent error: invalid input, recording, network or a host limit.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl From<GpuError> for BackendError {
    fn from(e: GpuError) -> Self {
        match e {
            GpuError::Backend(b) => b,
            GpuError::Snn(s) => BackendError::InvalidNetwork(s),
            GpuError::TooLarge { what, bytes, limit } => BackendError::ResourceLimit {
                what: format!("bytes of {what} in one GPU buffer"),
                requested: usize::try_from(bytes).unwrap_or(usize::MAX),
                limit: usize::try_from(limit).unwrap_or(usize::MAX),
            },
            other => BackendError::Internal { what: format!("GPU backend: {other}") },
        }
    }
}
