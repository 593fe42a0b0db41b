//! The propagation kernel on its own, for benchmarks (`benches/propagate.rs`).

use crate::device::{bind, buffer_with, groups, storage_init, storage_zeroed, to_u32, u32_bytes};
use crate::{Gpu, GpuError};

/// One projection's event-driven propagation kernel with a fixed spike pattern, ready to
/// be dispatched repeatedly: `lanes` images, `n_pre` source neurons of which
/// `spikes_per_lane` spike in every lane (spread evenly), `n_post` targets, dense random
/// signed weights. Each dispatch adds the spiking rows into the same delay-ring slot.
#[derive(Debug)]
pub struct PropagationBench {
    gpu: Gpu,
    group: wgpu::BindGroup,
    groups_x: u32,
    lanes: u32,
}

impl PropagationBench {
    /// Upload the weights, spike words and buffers.
    ///
    /// **Errors** with [`GpuError::InvalidArgument`] if `spikes_per_lane > n_pre` or a
    /// size is 0, [`GpuError::TooLarge`] over the device's limits, or a device error.
    pub fn new(
        gpu: &Gpu,
        n_pre: usize,
        n_post: usize,
        lanes: usize,
        spikes_per_lane: usize,
    ) -> Result<Self, GpuError> {
        if spikes_per_lane > n_pre || n_pre == 0 || n_post == 0 || lanes == 0 {
            return Err(GpuError::InvalidArgument {
                name: "propagation bench",
                reason: format!(
                    "{spikes_per_lane} spikes of {n_pre} neurons, {n_post} targets, {lanes} lanes"
                ),
            });
        }
        let ctx = &gpu.ctx;
        let limit = ctx.max_binding_bytes();
        let weight_bytes = (n_pre * n_post * 4) as u64;
        let ring_bytes = (lanes * n_post * 16) as u64;
        for (what, bytes) in [("benchmark weights", weight_bytes), ("benchmark delay ring", ring_bytes)] {
            if bytes > limit {
                return Err(GpuError::TooLarge { what: what.into(), bytes, limit });
            }
        }
        let _busy = crate::context::lock(&ctx.busy);
        ctx.scoped("preparing the propagation benchmark", || {
            let mut state = 0x2545_f491_4f6c_dd1du64;
            let mut weights = Vec::with_capacity(n_pre * n_post);
            for _ in 0..n_pre * n_post {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                weights.push(((state >> 40) as f32 / (1u64 << 24) as f32 - 0.3) * 0.01);
            }
            let words = n_pre.div_ceil(32);
            let mut bits = vec![0u32; lanes * words];
            for b in 0..lanes {
                for s in 0..spikes_per_lane {
                    let j = (s * n_pre / spikes_per_lane.max(1) + b) % n_pre;
                    bits[b * words + j / 32] |= 1 << (j % 32);
                }
            }
            let none = wgpu::BufferUsages::empty();
            let w: Vec<u8> = weights.iter().flat_map(|x| x.to_le_bytes()).collect();
            let weights = storage_init(ctx, "weights", w, none);
            let nnz =
                storage_init(ctx, "row synapses", u32_bytes(&vec![to_u32(n_post, "targets")?; n_pre]), none);
            let pre = storage_init(ctx, "spike words", u32_bytes(&bits), none);
            let ring = storage_zeroed(ctx, "delay ring", ring_bytes, none);
            let events = storage_zeroed(ctx, "events", (lanes * 8) as u64, none);
            let clock = storage_zeroed(ctx, "clock", 16, none);
            let params = [
                to_u32(n_pre, "sources")?,
                to_u32(n_post, "targets")?,
                to_u32(lanes, "lanes")?,
                to_u32(words, "spike words")?,
                1,
                2,
                3,
                0,
                u32::MAX,
                0,
                0,
                1,
                0,
                0,
                0,
                0,
            ];
            let uniform =
                buffer_with(ctx, "projection parameters", u32_bytes(&params), wgpu::BufferUsages::UNIFORM);
            let group =
                bind(ctx, &ctx.kernels.propagate, &[&clock, &uniform, &weights, &nnz, &pre, &ring, &events]);
            Ok(Self { gpu: gpu.clone(), group, groups_x: groups(n_post)?, lanes: to_u32(lanes, "lanes")? })
        })
    }

    /// Dispatch the kernel `times` times in one submission and wait for the device.
    ///
    /// **Errors** with a device error.
    pub fn run(&self, times: usize) -> Result<(), GpuError> {
        let ctx = &self.gpu.ctx;
        let _busy = crate::context::lock(&ctx.busy);
        ctx.scoped("running the propagation benchmark", || {
            let mut enc =
                ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("bench") });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("bench"),
                    timestamp_writes: None,
                });
                pass.set_pipeline(&ctx.kernels.propagate);
                pass.set_bind_group(0, &self.group, &[]);
                for _ in 0..times {
                    pass.dispatch_workgroups(self.groups_x, self.lanes, 1);
                }
            }
            ctx.queue.submit([enc.finish()]);
            ctx.device.poll(wgpu::PollType::Wait).map_err(|e| GpuError::Driver {
                during: "waiting for the device".into(),
                message: format!("{e:?}"),
            })?;
            Ok(())
        })
    }
}
