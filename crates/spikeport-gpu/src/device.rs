//! Device plumbing shared by deployments, runs and benchmarks: buffers (padded to bindable
//! sizes), kernel parameters as 32-bit words, bind groups, workgroup counts and the
//! read-back of results.

use crate::context::GpuContext;
use crate::GpuError;

/// Threads per workgroup of the neuron and propagation kernels (must match the WGSL).
const WORKGROUP: usize = 64;

/// Little-endian bytes of u32 words.
pub(crate) fn u32_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Bytes padded to a bindable size: a multiple of 16 and at least 16.
fn padded(mut bytes: Vec<u8>) -> Vec<u8> {
    let len = bytes.len().max(16).next_multiple_of(16);
    bytes.resize(len, 0);
    bytes
}

/// A bindable size for `bytes` bytes.
fn padded_len(bytes: u64) -> u64 {
    bytes.max(16).next_multiple_of(16)
}

/// `x` as u32 for a kernel parameter.
pub(crate) fn to_u32(x: usize, what: &str) -> Result<u32, GpuError> {
    u32::try_from(x).map_err(|_| GpuError::TooLarge {
        what: what.into(),
        bytes: x as u64,
        limit: u64::from(u32::MAX),
    })
}

/// `x` as i32 for a kernel parameter.
pub(crate) fn to_i32(x: i64, what: &str) -> Result<i32, GpuError> {
    i32::try_from(x).map_err(|_| GpuError::TooLarge {
        what: what.into(),
        bytes: x.unsigned_abs(),
        limit: i32::MAX as u64,
    })
}

/// A buffer of `usage` (plus `COPY_DST`) filled with `bytes` (padded). Written through
/// the queue rather than mapped at creation: wgpu panics when mapping a buffer of a lost
/// device, while a failed queue write is an error of the current scope.
pub(crate) fn buffer_with(
    ctx: &GpuContext,
    label: &str,
    bytes: Vec<u8>,
    usage: wgpu::BufferUsages,
) -> wgpu::Buffer {
    let bytes = padded(bytes);
    let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: bytes.len() as u64,
        usage: usage | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    ctx.queue.write_buffer(&buffer, 0, &bytes);
    buffer
}

/// A storage buffer filled with `bytes` (padded).
pub(crate) fn storage_init(
    ctx: &GpuContext,
    label: &str,
    bytes: Vec<u8>,
    extra: wgpu::BufferUsages,
) -> wgpu::Buffer {
    buffer_with(ctx, label, bytes, wgpu::BufferUsages::STORAGE | extra)
}

/// A zeroed storage buffer of `bytes` bytes (padded).
pub(crate) fn storage_zeroed(
    ctx: &GpuContext,
    label: &str,
    bytes: u64,
    extra: wgpu::BufferUsages,
) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: padded_len(bytes),
        usage: wgpu::BufferUsages::STORAGE | extra,
        mapped_at_creation: false,
    })
}

/// Copy `bufs` (buffer, bytes) into one mappable buffer, wait for the device, and
/// return their contents as u32 words.
pub(crate) fn read_back(ctx: &GpuContext, bufs: &[(&wgpu::Buffer, u64)]) -> Result<Vec<Vec<u32>>, GpuError> {
    // wgpu panics if a buffer that failed to map is read: make sure nothing failed first
    ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let waited = copy_and_map(ctx, bufs);
    let failed = pollster::block_on(ctx.device.pop_error_scope());
    let staging = waited?;
    ctx.check_health("reading results back")?;
    if let Some(e) = failed {
        return Err(GpuError::Validation { during: "reading results back".into(), message: e.to_string() });
    }
    let data = staging.slice(..).get_mapped_range();
    let mut out = Vec::with_capacity(bufs.len());
    let mut at = 0usize;
    for &(_, bytes) in bufs {
        let part = &data[at..at + bytes as usize];
        out.push(part.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect());
        at += bytes as usize;
    }
    drop(data);
    staging.unmap();
    Ok(out)
}

/// The copies and the mapping of [`read_back`]: the mapped staging buffer.
fn copy_and_map(ctx: &GpuContext, bufs: &[(&wgpu::Buffer, u64)]) -> Result<wgpu::Buffer, GpuError> {
    let total: u64 = bufs.iter().map(|b| b.1).sum();
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("read-back"),
        size: padded_len(total),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut enc =
        ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("read-back") });
    let mut at = 0;
    for &(buf, bytes) in bufs {
        if bytes > 0 {
            enc.copy_buffer_to_buffer(buf, 0, &staging, at, bytes);
        }
        at += bytes;
    }
    ctx.queue.submit([enc.finish()]);
    let slice = staging.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        // the receiver outlives the poll below; a failed send only means it gave up
        let _ = tx.send(r);
    });
    ctx.device.poll(wgpu::PollType::Wait).map_err(|e| GpuError::Driver {
        during: "waiting for the device".into(),
        message: format!("{e:?}"),
    })?;
    ctx.check_health("waiting for the device")?;
    match rx.try_recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            return Err(GpuError::DeviceLost { reason: format!("reading results back failed: {e}") })
        }
        Err(_) => return Err(GpuError::DeviceLost { reason: "the device did not finish the run".into() }),
    }
    Ok(staging)
}

/// A bind group of `pipeline`'s layout 0 with `buffers` at bindings 0, 1, ….
pub(crate) fn bind(
    ctx: &GpuContext,
    pipeline: &wgpu::ComputePipeline,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
        .collect();
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    })
}

/// Workgroups covering `n` threads.
pub(crate) fn groups(n: usize) -> Result<u32, GpuError> {
    to_u32(n.div_ceil(WORKGROUP).max(1), "workgroups")
}
