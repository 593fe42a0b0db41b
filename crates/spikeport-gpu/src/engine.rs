//! Deployment and runs: buffers, bind groups, the step loop on the device, read-back
//! and assembly of the [`RunOutput`].
//!
//! ## How a run is cut up
//!
//! As in `spikeport-cpu`, a run simulates *lanes*: under `Reset` every image is a lane,
//! under `Continuous` the batch is one lane of consecutive images. Lanes are cut into
//! *chunks* whose buffers fit the device ([`plan::chunk_lanes`]); every chunk is one
//! simulation on the device, read back once at its end.
//!
//! ## One step on the device
//!
//! The protocol of `spikeport_lif::ring`, one dispatch per population and projection:
//! before update 0 every projection sends the spikes stamped 0 (inputs); then for every
//! update `k`, each population's kernel takes the input arriving at `t_k` from its delay
//! ring and steps its neurons (spikes get stamp `k + 1`), the tick kernel advances the
//! step counter, and each projection sends the spikes stamped `k + 1` into its target's
//! ring at offset `D`. Up to `steps_per_submit` steps are encoded in one compute pass and
//! submitted together.

use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use ndarray::{s, Array2, Array3, ArrayView2};
use spikeport_lif::InputSchedule;
use spikeport_snn::timing::delay_steps;
use spikeport_snn::{
    Activity, BackendError, CountCheckpoints, Counter, Deployed, ImageBoundary, Placement, PlatformInfo,
    RecordedMembrane, RecordedSpikes, Recording, RunOutput, SnnNetwork, SpikeInput,
};

use crate::context::{lock, GpuContext};
use crate::model::{consts, CondExpStep, ModelConsts};
use crate::plan::{chunk_lanes, LaneCost, Plan};
use crate::GpuError;

/// Threads per workgroup of the neuron and propagation kernels (must match the WGSL).
const WORKGROUP: usize = 64;

/// Everything the engine needs to know about a backend.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Setup {
    /// Platform facts (name, dt, limits, models, boundaries).
    pub info: PlatformInfo,
    /// How `IF_cond_exp` is stepped.
    pub step: CondExpStep,
    /// Most bytes a run may allocate on the host for its outputs.
    pub memory_limit_bytes: usize,
    /// Cap on the bytes of any one device buffer below the device's own limit.
    pub max_buffer_bytes: Option<u64>,
    /// Most images (lanes under `Reset`) per chunk.
    pub max_chunk_images: usize,
    /// Most time steps encoded per submission.
    pub steps_per_submit: usize,
}

/// A population as the engine simulates it.
#[derive(Clone, Debug, PartialEq)]
struct PopDep {
    n: usize,
    /// `None` for the input spike source.
    consts: Option<ModelConsts>,
    /// Largest delay, in steps, of the projections into this population (0 if none).
    max_delay: usize,
}

impl PopDep {
    /// Delay-ring slots, saturating (a huge delay is refused by the buffer limits).
    fn slots(&self) -> usize {
        self.max_delay.saturating_add(1)
    }

    /// Spike words per lane.
    fn words(&self) -> usize {
        self.n.div_ceil(32)
    }
}

/// A projection as the engine simulates it.
#[derive(Debug)]
struct ProjDep {
    pre: usize,
    post: usize,
    /// Delay, steps (≥ 1).
    delay: usize,
    /// 1 = excitatory weights present, 2 = inhibitory, 3 = both.
    receptors: u32,
    /// (pre, post) f32 weights on the device.
    weights: wgpu::Buffer,
    /// Non-zero weights per row on the device.
    nnz: wgpu::Buffer,
}

/// A network deployed on a [`Gpu`](crate::Gpu): the validated network, its kernel
/// constants, and its weights in device buffers.
#[derive(Debug)]
pub struct GpuDeployment {
    net: SnnNetwork,
    placement: Placement,
    ctx: Arc<GpuContext>,
    pops: Vec<PopDep>,
    projs: Vec<ProjDep>,
    dt_ms: f64,
}

impl GpuDeployment {
    /// The simulation time step, ms.
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// Delay of projection `k` in whole steps, or `None` if there is no such projection.
    pub fn delay_steps(&self, k: usize) -> Option<usize> {
        self.projs.get(k).map(|p| p.delay)
    }

    /// The device this deployment's buffers live on.
    pub(crate) fn ctx(&self) -> Arc<GpuContext> {
        Arc::clone(&self.ctx)
    }
}

impl Deployed for GpuDeployment {
    fn network(&self) -> &SnnNetwork {
        &self.net
    }

    fn placement(&self) -> Placement {
        self.placement
    }
}

// ------------------------------------------------------------------------------------
// Small pure helpers
// ------------------------------------------------------------------------------------

/// Which receptor planes signed weights touch: bit 0 excitatory, bit 1 inhibitory.
fn receptors_of(w: ArrayView2<'_, f64>) -> u32 {
    let exc = w.iter().any(|&x| x > 0.0);
    let inh = w.iter().any(|&x| x < 0.0);
    u32::from(exc) | (u32::from(inh) << 1)
}

/// Signed weights as f32 little-endian bytes, row-major (pre, post), and the count of
/// non-zero weights per row.
fn weight_bytes(w: ArrayView2<'_, f64>) -> (Vec<u8>, Vec<u8>) {
    let mut bytes = Vec::with_capacity(w.len() * 4);
    let mut nnz = Vec::with_capacity(w.nrows() * 4);
    for row in w.outer_iter() {
        let mut count = 0u32;
        for &x in row {
            bytes.extend_from_slice(&(x as f32).to_le_bytes());
            count += u32::from(x != 0.0);
        }
        nnz.extend_from_slice(&count.to_le_bytes());
    }
    (bytes, nnz)
}

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
fn to_i32(x: i64, what: &str) -> Result<i32, GpuError> {
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

/// The limit on one buffer: the device's binding limit, capped by the setup.
fn buffer_limit(ctx: &GpuContext, setup: &Setup) -> u64 {
    let device = ctx.max_binding_bytes();
    setup.max_buffer_bytes.map_or(device, |cap| cap.min(device))
}

// ------------------------------------------------------------------------------------
// Deployment
// ------------------------------------------------------------------------------------

/// Check `net` against the platform, compute its kernel constants and upload its
/// weights.
pub(crate) fn deploy(
    ctx: &Arc<GpuContext>,
    setup: &Setup,
    net: &SnnNetwork,
    placement: Placement,
) -> Result<GpuDeployment, GpuError> {
    setup.info.check_network(net)?;
    let dt = setup.info.dt_ms;
    let limit = buffer_limit(ctx, setup);
    let _busy = lock(&ctx.busy);
    ctx.scoped("uploading the weights", || {
        let mut projs = Vec::with_capacity(net.projections().len());
        for (q, p) in net.projections().iter().enumerate() {
            let bytes = (p.weights.len() as u64).saturating_mul(4);
            if bytes > limit {
                return Err(GpuError::TooLarge {
                    what: format!("the weights of projection {q}"),
                    bytes,
                    limit,
                });
            }
            let (w, nnz) = weight_bytes(p.weights.view());
            projs.push(ProjDep {
                pre: p.pre,
                post: p.post,
                delay: delay_steps(p.delay_ms, dt),
                receptors: receptors_of(p.weights.view()),
                weights: storage_init(ctx, "weights", w, wgpu::BufferUsages::COPY_DST),
                nnz: storage_init(ctx, "row synapses", nnz, wgpu::BufferUsages::COPY_DST),
            });
        }
        let pops = net
            .populations()
            .iter()
            .enumerate()
            .map(|(i, p)| PopDep {
                n: p.size,
                consts: if i == 0 { None } else { consts(&p.model, dt, setup.step) },
                max_delay: projs.iter().filter(|q| q.post == i).map(|q| q.delay).max().unwrap_or(0),
            })
            .collect();
        Ok(GpuDeployment { net: net.clone(), placement, ctx: Arc::clone(ctx), pops, projs, dt_ms: dt })
    })
}

/// Replace the weights of projection `k` in the network and on the device.
pub(crate) fn update_weights(
    dep: &mut GpuDeployment,
    k: usize,
    weights: ArrayView2<'_, f64>,
) -> Result<(), GpuError> {
    dep.net.set_weights(k, weights)?;
    let ctx = Arc::clone(&dep.ctx);
    let proj = dep.projs.get_mut(k).ok_or_else(|| {
        GpuError::Backend(BackendError::Internal {
            what: format!("projection {k} exists in the network but not in the deployment"),
        })
    })?;
    let _busy = lock(&ctx.busy);
    ctx.scoped("updating weights", || {
        let (w, nnz) = weight_bytes(weights);
        ctx.queue.write_buffer(&proj.weights, 0, &w);
        ctx.queue.write_buffer(&proj.nnz, 0, &nnz);
        proj.receptors = receptors_of(weights);
        Ok(())
    })
}

// ------------------------------------------------------------------------------------
// Chunk sizes
// ------------------------------------------------------------------------------------

/// The per-lane bytes of every device buffer of a run.
struct Cost<'a> {
    dep: &'a GpuDeployment,
    plan: &'a Plan,
    input: &'a SpikeInput,
}

impl Cost<'_> {
    /// Recorded images of lane `lane`.
    fn recorded(&self, lane: usize) -> u64 {
        let imgs = lane * self.plan.per_lane..(lane + 1) * self.plan.per_lane;
        let r = &self.plan.rec_images;
        imgs.end.min(r.end).saturating_sub(imgs.start.max(r.start)) as u64
    }
}

impl LaneCost for Cost<'_> {
    fn lane_bytes(&self, lane: usize) -> Vec<u64> {
        let plan = self.plan;
        let (per_lane, steps) = (plan.per_lane as u64, plan.steps as u64);
        let n_cp = plan.cp_limits.len() as u64;
        let mut out = Vec::with_capacity(3 * self.dep.pops.len() + 4);
        let mut tallies = 0u64;
        let mut rec = 0u64;
        let recorded = self.recorded(lane);
        for (p, pop) in self.dep.pops.iter().enumerate().skip(1) {
            let n = pop.n as u64;
            out.push(n.saturating_mul(16));
            out.push(n.saturating_mul(8).saturating_mul(pop.slots() as u64));
            out.push(pop.words() as u64 * 4);
            let cp = if p == plan.output { n_cp } else { 0 };
            tallies =
                tallies.saturating_add(n.saturating_mul(per_lane + 1 + cp.saturating_mul(per_lane)) * 4);
            if plan.spike_sel.iter().any(|s| s.population == p) {
                rec = rec.saturating_add(recorded * (steps + 1) * pop.words() as u64 * 4);
            }
            if plan.mem_sel.iter().any(|s| s.population == p) {
                rec = rec.saturating_add(recorded.saturating_mul(n).saturating_mul(steps) * 4);
            }
        }
        out.push(tallies);
        out.push(rec);
        let spikes: usize =
            (lane * plan.per_lane..(lane + 1) * plan.per_lane).map(|i| self.input.image_spikes(i)).sum();
        out.push((plan.total_steps() as u64 + 2 + spikes as u64) * 4);
        out.push(self.dep.projs.len() as u64 * 8);
        out
    }

    fn buffer_name(&self, k: usize) -> String {
        let per_pop = 3 * (self.dep.pops.len() - 1);
        if k < per_pop {
            let p = k / 3 + 1;
            let what = ["neuron state", "delay ring", "spike words"][k % 3];
            format!("the {what} of population {p}")
        } else {
            ["spike counts", "recordings", "input spike lists", "event counters"]
                .get(k - per_pop)
                .map_or_else(|| format!("buffer {k}"), |s| format!("the {s}"))
        }
    }
}

// ------------------------------------------------------------------------------------
// One chunk
// ------------------------------------------------------------------------------------

/// Where each population's tallies and recordings sit in the shared buffers of a chunk
/// (u32 indices).
#[derive(Clone, Debug, Default)]
struct Layout {
    counts_off: Vec<usize>,
    totals_off: Vec<usize>,
    cp_off: usize,
    tallies_len: usize,
    raster_off: Vec<Option<usize>>,
    trace_off: Vec<Option<usize>>,
    rec_len: usize,
    /// Recorded images, chunk-local.
    rec: Range<usize>,
}

impl Layout {
    fn new(dep: &GpuDeployment, plan: &Plan, lanes: usize, rec: Range<usize>) -> Self {
        let imgs = lanes * plan.per_lane;
        let n_rec = rec.len();
        let mut l = Layout { rec, ..Layout::default() };
        let mut at = 0usize;
        let mut rec_at = 0usize;
        for (p, pop) in dep.pops.iter().enumerate() {
            l.counts_off.push(at);
            if p > 0 {
                at += imgs * pop.n;
            }
            l.totals_off.push(at);
            if p > 0 {
                at += lanes * pop.n;
            }
            let raster = p > 0 && plan.spike_sel.iter().any(|s| s.population == p) && n_rec > 0;
            l.raster_off.push(raster.then_some(rec_at));
            if raster {
                rec_at += n_rec * (plan.steps + 1) * pop.words();
            }
            let trace = p > 0 && plan.mem_sel.iter().any(|s| s.population == p) && n_rec > 0;
            l.trace_off.push(trace.then_some(rec_at));
            if trace {
                rec_at += n_rec * pop.n * plan.steps;
            }
        }
        l.cp_off = at;
        at += plan.cp_limits.len() * imgs * dep.pops[plan.output].n;
        l.tallies_len = at;
        l.rec_len = rec_at;
        l
    }
}

/// The 40 words of a population's kernel parameters (`PopParams` in neuron.wgsl).
fn pop_params(
    pop: &PopDep,
    c: &ModelConsts,
    p: usize,
    plan: &Plan,
    lanes: usize,
    layout: &Layout,
) -> Result<Vec<u32>, GpuError> {
    let is_out = p == plan.output;
    let n_cp = if is_out { plan.cp_limits.len() } else { 0 };
    let raster = layout.raster_off[p];
    let trace = layout.trace_off[p];
    let flags = u32::from(raster.is_some()) | (u32::from(trace.is_some()) << 1);
    let mut u = vec![
        c.id,
        to_u32(pop.n, "neurons")?,
        to_u32(lanes, "lanes")?,
        to_u32(pop.slots(), "delay-ring slots")?,
        to_u32(pop.words(), "spike words")?,
        c.refrac_steps,
        to_u32(plan.steps, "steps per image")?,
        to_u32(plan.per_lane, "images per lane")?,
        to_u32(plan.total_steps(), "steps per lane")?,
        to_u32(n_cp, "checkpoints")?,
        to_u32(layout.counts_off[p], "tally offset")?,
        to_u32(layout.totals_off[p], "tally offset")?,
        to_u32(layout.cp_off, "tally offset")?,
        to_u32(raster.unwrap_or(0), "recording offset")?,
        to_u32(trace.unwrap_or(0), "recording offset")?,
        to_u32(layout.rec.start, "recorded image")?,
        to_u32(layout.rec.len(), "recorded images")?,
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

/// What the host knows of the input population of a chunk: the lists on the device,
/// and the input's counts, spikes and recorded times.
struct InputLists {
    /// Offsets per (lane, stamp), then the neurons.
    words: Vec<u32>,
    /// Offset of the neurons in `words`.
    list_off: usize,
    /// Window counts (images of the chunk, inputs).
    counts: Array2<u32>,
    /// All input spikes of the chunk.
    spikes: u64,
    /// Per spike selection of population 0, per recorded chunk image, per neuron.
    times: Vec<Vec<Vec<Vec<f64>>>>,
}

/// Put the chunk's input spikes on the grid, lane by lane.
fn input_lists(
    plan: &Plan,
    input: &SpikeInput,
    n_inputs: usize,
    first_img: usize,
    lanes: usize,
    rec: &Range<usize>,
) -> Result<InputLists, GpuError> {
    let per_lane = plan.per_lane;
    let n_img = lanes * per_lane;
    let part = input.to_slice(first_img..first_img + n_img).map_err(GpuError::Snn)?;
    let sched = InputSchedule::new(&part, plan.dt).map_err(|e| {
        GpuError::Backend(BackendError::Internal { what: format!("input schedule of a checked input: {e}") })
    })?;
    let total = plan.total_steps();
    let stride = total + 2;
    let list_off = lanes * stride;
    let mut words = vec![0u32; list_off];
    let mut counts = Array2::zeros((n_img, n_inputs));
    let mut spikes = 0u64;
    let sels: Vec<&crate::plan::SpikeSel> = plan.spike_sel.iter().filter(|s| s.population == 0).collect();
    let mut times: Vec<Vec<Vec<Vec<f64>>>> =
        sels.iter().map(|s| vec![vec![Vec::new(); s.neurons.len()]; rec.len()]).collect();
    let mut list = Vec::new();
    for b in 0..lanes {
        for s in 0..=total {
            words[b * stride + s] = to_u32(words.len() - list_off, "input spikes")?;
            list.clear();
            sched.lane_inputs(b * per_lane, per_lane, plan.steps, s, &mut list);
            spikes += list.len() as u64;
            if let Some((i, _)) = plan.window_image(s) {
                let mut row = counts.row_mut(b * per_lane + i);
                list.iter().for_each(|&j| row[j as usize] += 1);
            }
            let (i, rel) = plan.period_image(s);
            let img = b * per_lane + i;
            if rec.contains(&img) {
                for (sel, out) in sels.iter().zip(times.iter_mut()) {
                    for &j in &list {
                        for (k, _) in sel.neurons.iter().enumerate().filter(|(_, &x)| x == j as usize) {
                            out[img - rec.start][k].push(rel as f64 * plan.dt);
                        }
                    }
                }
            }
            words.extend_from_slice(&list);
        }
        words[b * stride + total + 1] = to_u32(words.len() - list_off, "input spikes")?;
    }
    Ok(InputLists { words, list_off, counts, spikes, times })
}

/// What one chunk produced, read back from the device.
struct ChunkOut {
    first_img: usize,
    n_img: usize,
    lanes: usize,
    layout: Layout,
    tallies: Vec<u32>,
    rec: Vec<u32>,
    events: Vec<u32>,
    input: InputLists,
    submissions: u64,
}

/// Copy `bufs` (buffer, bytes) into one mappable buffer, wait for the device, and
/// return their contents as u32 words.
fn read_back(ctx: &GpuContext, bufs: &[(&wgpu::Buffer, u64)]) -> Result<Vec<Vec<u32>>, GpuError> {
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

/// Simulate lanes `lanes` of the run on the device.
fn run_chunk(
    ctx: &GpuContext,
    setup: &Setup,
    dep: &GpuDeployment,
    plan: &Plan,
    input: &SpikeInput,
    lane_range: Range<usize>,
) -> Result<ChunkOut, GpuError> {
    let lanes = lane_range.len();
    let first_img = lane_range.start * plan.per_lane;
    let n_img = lanes * plan.per_lane;
    let rec_lo = plan.rec_images.start.clamp(first_img, first_img + n_img) - first_img;
    let rec_hi = (plan.rec_images.end.clamp(first_img, first_img + n_img) - first_img).max(rec_lo);
    let layout = Layout::new(dep, plan, lanes, rec_lo..rec_hi);
    let inputs = input_lists(plan, input, dep.pops[0].n, first_img, lanes, &layout.rec)?;
    let total = plan.total_steps();
    let none = wgpu::BufferUsages::empty();
    let copy = wgpu::BufferUsages::COPY_SRC;

    let clock = storage_zeroed(ctx, "clock", 16, none);
    let tallies = storage_zeroed(ctx, "tallies", layout.tallies_len as u64 * 4, copy);
    let rec = storage_zeroed(ctx, "recordings", layout.rec_len as u64 * 4, copy);
    let events = storage_zeroed(ctx, "events", (lanes * dep.projs.len() * 8) as u64, copy);
    let cp_words: Vec<u32> = plan
        .cp_limits
        .iter()
        .map(|&l| to_i32(l, "checkpoint").map(|x| x as u32))
        .collect::<Result<_, _>>()?;
    let cp_limits = storage_init(ctx, "checkpoint limits", u32_bytes(&cp_words), none);
    let input_buf = storage_init(ctx, "input spikes", u32_bytes(&inputs.words), none);

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
        let params = pop_params(pop, c, p, plan, lanes, &layout)?;
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
            to_u32(inputs.list_off, "input spikes")?,
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
        (&tallies, layout.tallies_len as u64 * 4),
        (&rec, layout.rec_len as u64 * 4),
        (&events, (lanes * dep.projs.len() * 8) as u64),
    ];
    let mut back = read_back(ctx, &sizes)?.into_iter();
    let mut next = || back.next().unwrap_or_default();
    let (tallies, rec, events) = (next(), next(), next());
    Ok(ChunkOut {
        first_img,
        n_img,
        lanes,
        layout,
        tallies,
        rec,
        events,
        input: inputs,
        submissions: submissions + 1,
    })
}

/// The buffer of population `p` in a per-population list.
fn state_of(list: &[Option<wgpu::Buffer>], p: usize) -> Result<&wgpu::Buffer, GpuError> {
    list.get(p).and_then(Option::as_ref).ok_or_else(|| {
        GpuError::Backend(BackendError::Internal { what: format!("population {p} has no device buffer") })
    })
}

// ------------------------------------------------------------------------------------
// A whole run
// ------------------------------------------------------------------------------------

/// The run's outputs, filled chunk by chunk.
struct Assembly {
    counts: Vec<Array2<u32>>,
    cps: Vec<Array2<u32>>,
    spike_times: Vec<Vec<Vec<Vec<f64>>>>,
    traces: Vec<Array3<f64>>,
    activity: Activity,
}

impl Assembly {
    fn new(dep: &GpuDeployment, plan: &Plan) -> Self {
        let n = plan.n_images;
        let n_out = dep.pops[plan.output].n;
        let n_rec = plan.rec_images.len();
        Self {
            counts: dep.pops.iter().map(|p| Array2::zeros((n, p.n))).collect(),
            cps: plan.cp_limits.iter().map(|_| Array2::zeros((n, n_out))).collect(),
            spike_times: plan
                .spike_sel
                .iter()
                .map(|s| vec![vec![Vec::new(); s.neurons.len()]; n_rec])
                .collect(),
            traces: plan
                .mem_sel
                .iter()
                .map(|s| Array3::zeros((n_rec, s.neurons.len(), plan.steps)))
                .collect(),
            activity: Activity::zeros(dep.pops.len(), dep.projs.len()),
        }
    }

    /// Merge one chunk.
    fn add(&mut self, dep: &GpuDeployment, plan: &Plan, c: &ChunkOut) -> Result<(), GpuError> {
        let rows = c.first_img..c.first_img + c.n_img;
        let l = &c.layout;
        let rec_base = c.first_img + l.rec.start - plan.rec_images.start;
        self.counts[0].slice_mut(s![rows.clone(), ..]).assign(&c.input.counts);
        self.activity.spikes[0] += c.input.spikes;
        let mut in_sel = c.input.times.iter();
        for (sel, all) in plan.spike_sel.iter().zip(self.spike_times.iter_mut()) {
            if sel.population == 0 {
                if let Some(part) = in_sel.next() {
                    for (r, img) in part.iter().enumerate() {
                        all[rec_base + r] = img.clone();
                    }
                }
            }
        }
        for (p, pop) in dep.pops.iter().enumerate().skip(1) {
            let n = pop.n;
            let counts = &c.tallies[l.counts_off[p]..l.counts_off[p] + c.n_img * n];
            let view = ArrayView2::from_shape((c.n_img, n), counts).map_err(internal)?;
            self.counts[p].slice_mut(s![rows.clone(), ..]).assign(&view);
            let totals = &c.tallies[l.totals_off[p]..l.totals_off[p] + c.lanes * n];
            if let Some(at) = totals.iter().position(|&t| t & 0x8000_0000 != 0) {
                return Err(GpuError::Backend(BackendError::Numerical {
                    what: format!(
                        "state of population {p}, neuron {} is not finite at the end of the run",
                        at % n
                    ),
                }));
            }
            self.activity.spikes[p] += totals.iter().map(|&t| u64::from(t)).sum::<u64>();
            if p == plan.output {
                for (ci, cp) in self.cps.iter_mut().enumerate() {
                    let at = l.cp_off + ci * c.n_img * n;
                    let view = ArrayView2::from_shape((c.n_img, n), &c.tallies[at..at + c.n_img * n])
                        .map_err(internal)?;
                    cp.slice_mut(s![rows.clone(), ..]).assign(&view);
                }
            }
            if let Some(off) = l.raster_off[p] {
                self.add_raster(plan, p, &c.rec[off..], pop, l.rec.len(), rec_base);
            }
            if let Some(off) = l.trace_off[p] {
                for (sel, trace) in plan.mem_sel.iter().zip(self.traces.iter_mut()) {
                    if sel.population != p {
                        continue;
                    }
                    for r in 0..l.rec.len() {
                        for (kk, &j) in sel.neurons.iter().enumerate() {
                            let at = off + (r * n + j) * plan.steps;
                            for (t, &bits) in c.rec[at..at + plan.steps].iter().enumerate() {
                                trace[[rec_base + r, kk, t]] = f64::from(f32::from_bits(bits));
                            }
                        }
                    }
                }
            }
        }
        for (q, ev) in self.activity.synaptic_events.iter_mut().enumerate() {
            for b in 0..c.lanes {
                let at = (b * dep.projs.len() + q) * 2;
                *ev += u64::from(c.events[at]) | (u64::from(c.events[at + 1]) << 32);
            }
        }
        Ok(())
    }

    /// Spike times of population `p` from its raster (recorded images × stamps × words).
    fn add_raster(
        &mut self,
        plan: &Plan,
        p: usize,
        raster: &[u32],
        pop: &PopDep,
        n_rec: usize,
        rec_base: usize,
    ) {
        let words = pop.words();
        for (sel, all) in plan.spike_sel.iter().zip(self.spike_times.iter_mut()) {
            if sel.population != p {
                continue;
            }
            for r in 0..n_rec {
                let out = &mut all[rec_base + r];
                for rel in 0..=plan.steps {
                    let row = &raster[(r * (plan.steps + 1) + rel) * words..][..words];
                    if row.iter().all(|&w| w == 0) {
                        continue;
                    }
                    for (k, &j) in sel.neurons.iter().enumerate() {
                        if row[j / 32] & (1 << (j % 32)) != 0 {
                            out[k].push(rel as f64 * plan.dt);
                        }
                    }
                }
            }
        }
    }
}

/// A shape error while assembling outputs (a bug).
fn internal(e: ndarray::ShapeError) -> GpuError {
    GpuError::Backend(BackendError::Internal { what: format!("read-back shape: {e}") })
}

/// Simulate `input` on `dep` and assemble the [`RunOutput`].
pub(crate) fn run(
    setup: &Setup,
    dep: &mut GpuDeployment,
    input: &SpikeInput,
    rec: &Recording,
) -> Result<RunOutput, GpuError> {
    let wall = Instant::now();
    setup.info.check_run(&dep.net, input, rec)?;
    if dep.placement.copies > 1 && input.boundary() == ImageBoundary::Continuous {
        return Err(GpuError::Backend(BackendError::unsupported(
            &setup.info.name,
            "several network copies under continuous presentation (not yet on the run executor)",
        )));
    }
    let plan = Plan::new(&dep.net, dep.dt_ms, input, rec, setup.memory_limit_bytes)?;
    let ctx = Arc::clone(&dep.ctx);
    let limit = buffer_limit(&ctx, setup);
    let max_lanes = (ctx.limits.max_compute_workgroups_per_dimension as usize)
        .min(setup.max_chunk_images.div_ceil(plan.per_lane).max(1));
    let cost = Cost { dep, plan: &plan, input };
    let chunks = chunk_lanes(&cost, plan.n_lanes(), &[], limit, max_lanes)?;
    let mut out = Assembly::new(dep, &plan);
    let mut submissions = 0u64;
    {
        let _busy = lock(&ctx.busy);
        for lanes in &chunks {
            let c =
                ctx.scoped("running a batch", || run_chunk(&ctx, setup, dep, &plan, input, lanes.clone()))?;
            submissions += c.submissions;
            out.add(dep, &plan, &c)?;
        }
    }
    for c in 1..out.cps.len() {
        let (done, rest) = out.cps.split_at_mut(c);
        rest[0] += &done[c - 1];
    }
    let checkpoints = rec.checkpoint_every_ms.map(|_| CountCheckpoints {
        population: plan.output,
        times_ms: plan.cp_times.clone(),
        counts: out.cps,
    });
    let spikes = plan
        .spike_sel
        .iter()
        .zip(out.spike_times)
        .map(|(sel, times_ms)| RecordedSpikes {
            population: sel.population,
            neurons: sel.neurons.clone(),
            first_image: plan.rec_images.start,
            times_ms,
        })
        .collect();
    let membrane = plan
        .mem_sel
        .iter()
        .zip(out.traces)
        .map(|(sel, v_mv)| RecordedMembrane {
            population: sel.population,
            neurons: sel.neurons.clone(),
            first_image: plan.rec_images.start,
            dt_ms: plan.dt,
            v_mv,
        })
        .collect();
    let mut activity = out.activity;
    activity.images = plan.n_images;
    activity.neuron_updates = (dep.net.n_neurons() * plan.steps * plan.n_images) as u64;
    activity.bio_time_ms = input.total_ms();
    activity.counters.insert(Counter::GpuChunks, chunks.len() as u64);
    activity.counters.insert(Counter::GpuSubmissions, submissions);
    let wall_s = wall.elapsed().as_secs_f64();
    activity.wall_time_s = wall_s;
    activity.hardware_time_s = setup.info.hardware_time_s(activity.bio_time_ms).unwrap_or(wall_s);
    Ok(RunOutput { counts: out.counts, spikes, membrane, checkpoints, activity })
}
