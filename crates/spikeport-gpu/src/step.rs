//! One chunk on the device: its buffers and bind groups, the step loop, and the read-back
//! of its tallies, recordings and event counters.
//!
//! The protocol of `spikeport_lif::ring`, one dispatch per population and projection:
//! before update 0 every projection sends the spikes stamped 0 (inputs); then for every
//! update `k`, each population's kernel takes the input arriving at `t_k` from its delay
//! ring and steps its neurons (spikes get stamp `k + 1`), the tick kernel advances the
//! step counter, and each projection sends the spikes stamped `k + 1` into its target's
//! ring at offset `D`. Up to `steps_per_submit` steps are encoded in one compute pass and
//! submitted together.

use spikeport_snn::exec::RunPlan;
use spikeport_snn::BackendError;

use crate::chunk::Chunk;
use crate::context::GpuContext;
use crate::deploy::{GpuDeployment, PopDep, Setup};
use crate::device::{
    bind, buffer_with, groups, read_back, storage_init, storage_zeroed, to_i32, to_u32, u32_bytes,
};
use crate::model::ModelConsts;
use crate::GpuError;

/// What a chunk produced on the device, read back as u32 words.
pub(crate) struct ChunkOut {
    /// Counts, totals and checkpoint counts at the offsets of the [`Chunk`].
    pub tallies: Vec<u32>,
    /// Spike rasters and membrane traces at the offsets of the [`Chunk`].
    pub rec: Vec<u32>,
    /// Synaptic events per (lane, projection), as (low, high) 32-bit halves.
    pub events: Vec<u32>,
    /// Queue submissions, the read-back included.
    pub submissions: u64,
}

/// The 40 words of a population's kernel parameters (`PopParams` in neuron.wgsl).
fn pop_params(
    pop: &PopDep,
    c: &ModelConsts,
    p: usize,
    plan: &RunPlan,
    chunk: &Chunk,
) -> Result<Vec<u32>, GpuError> {
    let is_out = p == plan.output;
    let n_cp = if is_out { plan.n_checkpoints() } else { 0 };
    let raster = chunk.raster_off[p];
    let trace = chunk.trace_off[p];
    let flags = u32::from(raster.is_some()) | (u32::from(trace.is_some()) << 1);
    let mut u = vec![
        c.id,
        to_u32(pop.n, "neurons")?,
        to_u32(chunk.n_lanes(), "lanes")?,
        to_u32(pop.slots(), "delay-ring slots")?,
        to_u32(pop.words(), "spike words")?,
        c.refrac_steps,
        to_u32(plan.steps, "steps per image")?,
        to_u32(chunk.per_lane, "images per lane")?,
        to_u32(chunk.total, "steps per lane")?,
        to_u32(n_cp, "checkpoints")?,
        to_u32(chunk.counts_off[p], "tally offset")?,
        to_u32(chunk.totals_off[p], "tally offset")?,
        to_u32(chunk.cp_off, "tally offset")?,
        to_u32(raster.unwrap_or(0), "recording offset")?,
        to_u32(trace.unwrap_or(0), "recording offset")?,
        to_u32(chunk.rec.start, "recorded image")?,
        to_u32(chunk.rec.len(), "recorded images")?,
        flags,
        0,
        0,
    ];
    u.push(to_i32(plan.window.0, "readout window")? as u32);
    u.push(to_i32(plan.window.1, "readout window")? as u32);
    u.extend([0, 0]);
    u.extend(c.c.iter().map(|x| x.to_bits()));
    Ok(u)
}

/// Simulate `chunk` on the device with the input spike lists `inputs` (offsets per
/// lane and stamp, then the neurons from word `list_off` on) and read its results back.
/// The caller holds the device ([`GpuContext::busy`]) and an error scope.
pub(crate) fn run_chunk(
    ctx: &GpuContext,
    setup: &Setup,
    dep: &GpuDeployment,
    plan: &RunPlan,
    chunk: &Chunk,
    inputs: &[u32],
    list_off: usize,
) -> Result<ChunkOut, GpuError> {
    let lanes = chunk.n_lanes();
    let total = chunk.total;
    let none = wgpu::BufferUsages::empty();
    let copy = wgpu::BufferUsages::COPY_SRC;

    let clock = storage_zeroed(ctx, "clock", 16, none);
    let tallies = storage_zeroed(ctx, "tallies", chunk.tallies_len as u64 * 4, copy);
    let rec = storage_zeroed(ctx, "recordings", chunk.rec_len as u64 * 4, copy);
    let events = storage_zeroed(ctx, "events", (lanes * dep.projs.len() * 8) as u64, copy);
    let cp_words: Vec<u32> = plan
        .checkpoint_limits()
        .iter()
        .map(|&l| to_i32(l, "checkpoint").map(|x| x as u32))
        .collect::<Result<_, _>>()?;
    let cp_limits = storage_init(ctx, "checkpoint limits", u32_bytes(&cp_words), none);
    let input_buf = storage_init(ctx, "input spikes", u32_bytes(inputs), none);

    let k = &ctx.kernels;
    let mut states = Vec::new();
    let mut rings = Vec::new();
    let mut bits = Vec::new();
    let mut neuron_groups = Vec::new();
    for (p, pop) in dep.pops.iter().enumerate() {
        let Some(c) = pop.consts.as_ref() else {
            states.push(None);
            rings.push(None);
            bits.push(None);
            continue;
        };
        let state: Vec<u32> = (0..lanes * pop.n).flat_map(|_| [c.v_init.to_bits(), 0, 0, 0]).collect();
        states.push(Some(storage_init(ctx, "state", u32_bytes(&state), none)));
        let ring_bytes = (lanes * pop.n) as u64 * 8 * pop.slots() as u64;
        rings.push(Some(storage_zeroed(ctx, "delay ring", ring_bytes, none)));
        bits.push(Some(storage_zeroed(ctx, "spike words", (lanes * pop.words() * 4) as u64, none)));
        let params = pop_params(pop, c, p, plan, chunk)?;
        let uniform =
            buffer_with(ctx, "population parameters", u32_bytes(&params), wgpu::BufferUsages::UNIFORM);
        let buffers = [&clock, &uniform, state_of(&states, p)?, state_of(&rings, p)?, state_of(&bits, p)?];
        let bg = bind(
            ctx,
            &k.neuron,
            &[buffers[0], buffers[1], buffers[2], buffers[3], buffers[4], &tallies, &rec, &cp_limits],
        );
        neuron_groups.push((bg, groups(pop.n)?));
    }
    let mut prop_groups = Vec::new();
    for (q, proj) in dep.projs.iter().enumerate() {
        let (pre, post) = (&dep.pops[proj.pre], &dep.pops[proj.post]);
        let from_input = proj.pre == 0;
        let params = [
            to_u32(pre.n, "neurons")?,
            to_u32(post.n, "neurons")?,
            to_u32(lanes, "lanes")?,
            to_u32(pre.words(), "spike words")?,
            to_u32(proj.delay, "delay")?,
            to_u32(post.slots(), "delay-ring slots")?,
            proj.receptors,
            u32::from(from_input),
            to_u32(total, "steps per lane")?,
            to_u32(total + 2, "steps per lane")?,
            to_u32(q, "projections")?,
            to_u32(dep.projs.len(), "projections")?,
            to_u32(list_off, "input spikes")?,
            0,
            0,
            0,
        ];
        let uniform =
            buffer_with(ctx, "projection parameters", u32_bytes(&params), wgpu::BufferUsages::UNIFORM);
        let source = if from_input { &input_buf } else { state_of(&bits, proj.pre)? };
        let bg = bind(
            ctx,
            &k.propagate,
            &[&clock, &uniform, &proj.weights, &proj.nnz, source, state_of(&rings, proj.post)?, &events],
        );
        prop_groups.push((bg, groups(post.n)?));
    }
    let tick_group = bind(ctx, &k.tick, &[&clock]);
    let lanes_y = to_u32(lanes, "lanes")?;

    // the step loop, several steps per submission
    let per_submit = setup.steps_per_submit.max(1);
    let mut submissions = 0u64;
    let mut done = 0usize;
    let mut first = true;
    while first || done < total {
        let end = (done + per_submit).min(total);
        let mut enc =
            ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("steps") });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("steps"),
                timestamp_writes: None,
            });
            let propagate = |pass: &mut wgpu::ComputePass<'_>| {
                pass.set_pipeline(&k.propagate);
                for (bg, gx) in &prop_groups {
                    pass.set_bind_group(0, bg, &[]);
                    pass.dispatch_workgroups(*gx, lanes_y, 1);
                }
            };
            if first {
                propagate(&mut pass);
            }
            for _ in done..end {
                pass.set_pipeline(&k.neuron);
                for (bg, gx) in &neuron_groups {
                    pass.set_bind_group(0, bg, &[]);
                    pass.dispatch_workgroups(*gx, lanes_y, 1);
                }
                pass.set_pipeline(&k.tick);
                pass.set_bind_group(0, &tick_group, &[]);
                pass.dispatch_workgroups(1, 1, 1);
                propagate(&mut pass);
            }
        }
        ctx.queue.submit([enc.finish()]);
        submissions += 1;
        first = false;
        done = end;
    }
    let sizes = [
        (&tallies, chunk.tallies_len as u64 * 4),
        (&rec, chunk.rec_len as u64 * 4),
        (&events, (lanes * dep.projs.len() * 8) as u64),
    ];
    let mut back = read_back(ctx, &sizes)?.into_iter();
    let mut next = || back.next().unwrap_or_default();
    let (tallies, rec, events) = (next(), next(), next());
    Ok(ChunkOut { tallies, rec, events, submissions: submissions + 1 })
}

/// The buffer of population `p` in a per-population list.
fn state_of(list: &[Option<wgpu::Buffer>], p: usize) -> Result<&wgpu::Buffer, GpuError> {
    list.get(p).and_then(Option::as_ref).ok_or_else(|| {
        GpuError::Backend(BackendError::Internal { what: format!("population {p} has no device buffer") })
    })
}
