//! The device: adapter choice, limits, error capture and the compiled kernels.
//!
//! wgpu's default handler for errors outside an error scope panics; this module installs
//! its own handler (which stores the message) and a device-lost callback, and wraps
//! every group of GPU calls in validation and out-of-memory error scopes
//! ([`GpuContext::scoped`]), so that every failure becomes a [`GpuError`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::GpuError;

/// Adapter name, kind and driver of a [`Gpu`](crate::Gpu), as the driver reports them,
/// for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterFacts {
    /// Adapter name, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`.
    pub name: String,
    /// Device type: `"DiscreteGpu"`, `"IntegratedGpu"`, `"VirtualGpu"`, `"Cpu"` or
    /// `"Other"`.
    pub device_type: String,
    /// Graphics API, e.g. `"Vulkan"`.
    pub api: String,
    /// Driver name, e.g. `"llvmpipe"`.
    pub driver: String,
    /// Driver version or details, e.g. `"Mesa 22.3.6 (LLVM 15.0.6)"`.
    pub driver_info: String,
}

impl AdapterFacts {
    /// One line: `name (device type, api, driver driver_info)`.
    pub fn summary(&self) -> String {
        format!("{} ({}, {}, {} {})", self.name, self.device_type, self.api, self.driver, self.driver_info)
    }
}

/// Which graphics APIs the backend may use. Only Vulkan is compiled in (wgpu's `vulkan`
/// feature alone), so no other API can be picked silently.
pub(crate) const BACKENDS: wgpu::Backends = wgpu::Backends::VULKAN;

/// The compiled kernels.
#[derive(Debug)]
pub(crate) struct Kernels {
    /// One update of one population (`shaders/neuron.wgsl`).
    pub neuron: wgpu::ComputePipeline,
    /// Propagation of one projection (`shaders/propagate.wgsl`).
    pub propagate: wgpu::ComputePipeline,
    /// Advance the step counter (`TICK_WGSL`).
    pub tick: wgpu::ComputePipeline,
}

/// The step counter's kernel.
const TICK_WGSL: &str = "@group(0) @binding(0) var<storage, read_write> clock: array<u32>;\n\
@compute @workgroup_size(1) fn main() { clock[0] = clock[0] + 1u; }\n";

/// An open device with its queue, kernels and error capture; shared by clones of a
/// [`Gpu`](crate::Gpu) and by its deployments.
#[derive(Debug)]
pub(crate) struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub kernels: Kernels,
    pub facts: AdapterFacts,
    /// The device's limits (the adapter's, as requested).
    pub limits: wgpu::Limits,
    /// Errors raised outside any error scope, oldest first.
    uncaptured: Arc<Mutex<Vec<String>>>,
    /// Why the device was lost, once it is.
    lost: Arc<Mutex<Option<String>>>,
    /// Serialises use of the device (error scopes are a per-device stack).
    pub(crate) busy: Mutex<()>,
}

/// Lock a mutex, ignoring poisoning (the protected data are plain messages).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The f32 bits of `spikeport-lif`'s `exp_fast` constants, as WGSL `const`s.
fn exp_constants() -> String {
    let c = |name: &str, x: f32| format!("const {name}: u32 = {}u;\n", x.to_bits());
    let mut s = String::new();
    s += &c("EXP_LN2_LO", 1.428_606_8e-6);
    s += &c("EXP_LOG2_E", std::f32::consts::LOG2_E);
    s += &c("EXP_C6", 1.0f32 / 6.0);
    s += &c("EXP_C24", 1.0f32 / 24.0);
    s += &c("EXP_C120", 1.0f32 / 120.0);
    s += &c("EXP_C720", 1.0f32 / 720.0);
    s
}

/// The neuron kernel's source with its constants.
pub(crate) fn neuron_source() -> String {
    exp_constants() + include_str!("shaders/neuron.wgsl")
}

/// The propagation kernel's source.
pub(crate) fn propagate_source() -> &'static str {
    include_str!("shaders/propagate.wgsl")
}

/// A wgpu error as a [`GpuError`], with what the backend was doing.
fn classify(e: wgpu::Error, during: &str) -> GpuError {
    match e {
        wgpu::Error::OutOfMemory { .. } => GpuError::OutOfMemory { during: during.into() },
        wgpu::Error::Validation { description, .. } => {
            GpuError::Validation { during: during.into(), message: description }
        }
        wgpu::Error::Internal { description, .. } => {
            GpuError::Driver { during: during.into(), message: description }
        }
    }
}

impl GpuContext {
    /// Open the best Vulkan adapter (a discrete GPU before an integrated one before a
    /// software driver).
    ///
    /// **Errors** with [`GpuError::NoAdapter`], [`GpuError::RequestDevice`], or a
    /// compilation error of the kernels.
    pub fn open() -> Result<Self, GpuError> {
        let instance = wgpu::Instance::new(&wgpu::InstanceDescriptor {
            backends: BACKENDS,
            flags: wgpu::InstanceFlags::empty(),
            ..wgpu::InstanceDescriptor::default()
        });
        let options = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
        };
        let adapter = pollster::block_on(instance.request_adapter(&options))
            .map_err(|_| GpuError::NoAdapter { backends: "Vulkan".into() })?;
        let info = adapter.get_info();
        let facts = AdapterFacts {
            name: info.name.clone(),
            device_type: format!("{:?}", info.device_type),
            api: format!("{:?}", info.backend),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
        };
        let limits = adapter.limits();
        let desc = wgpu::DeviceDescriptor {
            label: Some("spikeport-gpu"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| GpuError::RequestDevice { adapter: facts.name.clone(), reason: e.to_string() })?;
        let uncaptured = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&uncaptured);
        device.on_uncaptured_error(Box::new(move |e| lock(&sink).push(e.to_string())));
        let lost = Arc::new(Mutex::new(None));
        let flag = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            *lock(&flag) = Some(format!("{reason:?}: {message}"));
        });
        let kernels = Self::compile(&device)?;
        Ok(Self { device, queue, kernels, facts, limits, uncaptured, lost, busy: Mutex::new(()) })
    }

    /// Compile the three kernels inside error scopes.
    fn compile(device: &wgpu::Device) -> Result<Kernels, GpuError> {
        let neuron = compile_kernel(device, "neuron", &neuron_source())?;
        let propagate = compile_kernel(device, "propagate", propagate_source())?;
        let tick = compile_kernel(device, "tick", TICK_WGSL)?;
        Ok(Kernels { neuron, propagate, tick })
    }

    /// Run `f` inside validation and out-of-memory error scopes; any error raised inside,
    /// a loss of the device, or an error raised outside any scope becomes a
    /// [`GpuError`] (described as happening `during`).
    pub fn scoped<T>(&self, during: &str, f: impl FnOnce() -> Result<T, GpuError>) -> Result<T, GpuError> {
        self.check_health(during)?;
        let out = scoped(&self.device, during, f);
        self.check_health(during)?;
        out
    }

    /// [`GpuError::DeviceLost`] once the device is lost, or a driver error raised
    /// outside any error scope.
    pub fn check_health(&self, during: &str) -> Result<(), GpuError> {
        // a destroyed device reports its loss from a poll once its queue is empty
        let _ = self.device.poll(wgpu::PollType::Poll);
        if let Some(reason) = lock(&self.lost).clone() {
            return Err(GpuError::DeviceLost { reason });
        }
        let mut errs = lock(&self.uncaptured);
        if !errs.is_empty() {
            let message = errs.join("; ");
            errs.clear();
            return Err(GpuError::Driver { during: during.into(), message });
        }
        Ok(())
    }

    /// Largest buffer one binding may hold on this device, bytes.
    pub fn max_binding_bytes(&self) -> u64 {
        u64::from(self.limits.max_storage_buffer_binding_size).min(self.limits.max_buffer_size)
    }
}

/// [`GpuContext::scoped`] without the health checks.
fn scoped<T>(
    device: &wgpu::Device,
    during: &str,
    f: impl FnOnce() -> Result<T, GpuError>,
) -> Result<T, GpuError> {
    device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    device.push_error_scope(wgpu::ErrorFilter::Validation);
    let out = f();
    let validation = pollster::block_on(device.pop_error_scope());
    let oom = pollster::block_on(device.pop_error_scope());
    if let Some(e) = validation.or(oom) {
        return Err(classify(e, during));
    }
    out
}

/// Compile `source` (WGSL, entry point `main`) into a compute pipeline with an
/// automatic layout.
///
/// **Errors** with [`GpuError::Validation`] for a shader that does not parse or
/// validate, or a pipeline that cannot be built.
pub(crate) fn compile_kernel(
    device: &wgpu::Device,
    name: &str,
    source: &str,
) -> Result<wgpu::ComputePipeline, GpuError> {
    scoped(device, &format!("compiling the {name} kernel"), || {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(name),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        Ok(device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(name),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            cache: None,
        }))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The device, or `None` without an adapter outside CI (`CI=true` fails instead).
    fn open() -> Option<GpuContext> {
        match GpuContext::open() {
            Ok(c) => Some(c),
            Err(e @ GpuError::NoAdapter { .. }) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("skipping the GPU test: {e}");
                None
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn shader_and_pipeline_errors_are_validation_errors() {
        let Some(ctx) = open() else { return };
        let bad_type = "@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }";
        let err = compile_kernel(&ctx.device, "broken", bad_type).unwrap_err();
        assert!(matches!(&err, GpuError::Validation { during, .. } if during.contains("broken")), "{err:?}");
        let no_entry = "@compute @workgroup_size(1) fn other() {}";
        let err = compile_kernel(&ctx.device, "no entry", no_entry).unwrap_err();
        assert!(matches!(err, GpuError::Validation { .. }), "{err:?}");
        // the device stays usable
        assert!(compile_kernel(&ctx.device, "tick", TICK_WGSL).is_ok());
        assert!(ctx.check_health("after compiling").is_ok());
    }

    #[test]
    fn errors_outside_a_scope_are_captured_not_panics() {
        let Some(ctx) = open() else { return };
        // MAP_READ may only be combined with COPY_DST: an error outside any scope
        let _buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("invalid"),
            size: 16,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let err = ctx.check_health("testing").unwrap_err();
        assert!(matches!(&err, GpuError::Driver { message, .. } if message.contains("invalid")), "{err:?}");
        assert!(ctx.check_health("testing").is_ok(), "reported once");
        // inside a scope the same mistake is a validation error of that scope
        let err = ctx
            .scoped("creating a buffer", || {
                Ok(ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("invalid"),
                    size: 16,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::STORAGE,
                    mapped_at_creation: false,
                }))
            })
            .unwrap_err();
        assert!(matches!(err, GpuError::Validation { .. }), "{err:?}");
    }

    #[test]
    fn exp_constants_are_the_cpu_ones() {
        let s = exp_constants();
        assert!(s.contains(&format!("EXP_C6: u32 = {}u", (1.0f32 / 6.0).to_bits())));
        assert_eq!(s.lines().count(), 6);
    }
}
