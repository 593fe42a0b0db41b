//! The device shared by a test binary, and the skip rule: without a Vulkan adapter the
//! GPU tests print that they skip, except under `CI=true`, where they fail.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::OnceLock;

use spikeport_gpu::{Gpu, GpuError};

/// Whether this is a CI run (`CI=true`), where a missing adapter is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A fresh backend on its own device (dt 1 ms), or `None` (after printing why) when there
/// is no adapter outside CI.
///
/// **Panics** under `CI=true` without an adapter, and on any other error.
pub fn fresh_gpu() -> Option<Gpu> {
    match Gpu::new(1.0) {
        Ok(g) => Some(g),
        Err(e @ GpuError::NoAdapter { .. }) if !in_ci() => {
            eprintln!("skipping the GPU test: {e}");
            None
        }
        Err(e) => panic!("no usable GPU adapter (CI={}): {e}", in_ci()),
    }
}

/// The test binary's shared backend (dt 1 ms), as [`fresh_gpu`].
pub fn gpu() -> Option<Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    GPU.get_or_init(fresh_gpu).clone()
}

/// Skip the calling test (return) when there is no GPU, else bind it.
#[macro_export]
macro_rules! gpu_or_skip {
    () => {
        match $crate::gpu_common::gpu() {
            Some(g) => g,
            None => return,
        }
    };
}
