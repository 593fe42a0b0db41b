//! Without a Vulkan driver, opening the backend is [`GpuError::NoAdapter`] with a clear
//! message, not a panic. The Vulkan loader is pointed at a driver manifest that does not
//! exist (alone in this test binary, since the variables are process-wide).

#![allow(clippy::unwrap_used)]

use spikeport_gpu::{Gpu, GpuError};

#[test]
fn no_vulkan_driver_is_a_typed_error() {
    let missing = std::env::temp_dir().join("spikeport-no-such-vulkan-driver.json");
    // the loader's variables for an explicit driver list (old and new name)
    std::env::set_var("VK_ICD_FILENAMES", &missing);
    std::env::set_var("VK_DRIVER_FILES", &missing);
    match Gpu::new(1.0) {
        Err(GpuError::NoAdapter { backends }) => {
            assert_eq!(backends, "Vulkan");
            let msg = GpuError::NoAdapter { backends }.to_string();
            assert!(msg.contains("no GPU adapter") && msg.contains("mesa-vulkan-drivers"), "{msg}");
        }
        Err(other) => panic!("expected NoAdapter, got {other:?}"),
        Ok(gpu) => panic!("an adapter was found without a driver: {}", gpu.adapter().summary()),
    }
}
