//! The host's side of a chunk: the input spike lists it uploads (the input population's
//! spikes are counted and recorded on the host, as `Fast` does), and what it read back
//! from the device (window counts, checkpoint counts, spike totals, spike rasters,
//! membrane traces, synaptic events), reported to the tile's [`TileOutput`].

use spikeport_lif::InputSchedule;
use spikeport_snn::exec::{RunPlan, TileOutput};
use spikeport_snn::BackendError;

use crate::chunk::Chunk;
use crate::deploy::GpuDeployment;
use crate::device::to_u32;
use crate::step::ChunkOut;
use crate::GpuError;

/// Top bit of a spike total: the neuron's state was not finite at the end of the run.
const NON_FINITE: u32 = 0x8000_0000;

/// The input spike lists of `chunk` on the grid, lane by lane, as the device reads them:
/// per lane, the offsets of its neurons at stamps `0 ..= total` and an end offset
/// (`total + 2` words), then all neurons from the returned offset on. `sched` is the
/// tile's schedule (its image 0 the tile's first). Every input spike is reported to `out`
/// (window counts, checkpoints, recorded times, total).
///
/// **Errors** with [`GpuError::TooLarge`] for more than 2³² − 1 input spikes in a chunk.
pub(crate) fn input_lists(
    plan: &RunPlan,
    chunk: &Chunk,
    sched: &InputSchedule,
    out: &mut TileOutput,
) -> Result<(Vec<u32>, usize), GpuError> {
    let (lanes, per_lane, total) = (chunk.n_lanes(), chunk.per_lane, chunk.total);
    let stride = total + 2;
    let list_off = lanes * stride;
    let mut words = vec![0u32; list_off];
    let mut list = Vec::new();
    for b in 0..lanes {
        let lane = chunk.lanes.start + b;
        for s in 0..=total {
            words[b * stride + s] = to_u32(words.len() - list_off, "input spikes")?;
            list.clear();
            sched.lane_inputs(lane * per_lane, per_lane, plan.steps, s, &mut list);
            out.spikes(plan, lane, s, 0, &list);
            words.extend_from_slice(&list);
        }
        words[b * stride + total + 1] = to_u32(words.len() - list_off, "input spikes")?;
    }
    Ok((words, list_off))
}

/// `len` words of `buf` from `at` (a bug if they are not there).
fn words(buf: &[u32], at: usize, len: usize) -> Result<&[u32], GpuError> {
    buf.get(at..at.saturating_add(len)).ok_or_else(|| {
        GpuError::Backend(BackendError::Internal {
            what: format!("read-back of {len} words at {at} outside its {} words", buf.len()),
        })
    })
}

/// Reports what `chunk` produced on the device (`back`) to `out`, for every population
/// but the input.
///
/// **Errors** with [`BackendError::Numerical`] if a neuron's state is not finite at the
/// end of the run.
pub(crate) fn report(
    dep: &GpuDeployment,
    plan: &RunPlan,
    chunk: &Chunk,
    back: &ChunkOut,
    out: &mut TileOutput,
) -> Result<(), GpuError> {
    let (lanes, n_img) = (chunk.n_lanes(), chunk.n_images());
    for (p, pop) in dep.pops.iter().enumerate().skip(1) {
        let n = pop.n;
        if n == 0 {
            continue;
        }
        let totals = words(&back.tallies, chunk.totals_off[p], lanes * n)?;
        if let Some(at) = totals.iter().position(|&t| t & NON_FINITE != 0) {
            return Err(GpuError::Backend(BackendError::Numerical {
                what: format!(
                    "state of population {p}, neuron {} is not finite at the end of the run",
                    at % n
                ),
            }));
        }
        out.add_spikes(p, totals.iter().map(|&t| u64::from(t)).sum());
        let counts = words(&back.tallies, chunk.counts_off[p], n_img * n)?;
        for (img, row) in counts.chunks_exact(n).enumerate() {
            out.add_counts(p, chunk.tile_image(img), row);
        }
        if p == plan.output {
            for c in 0..plan.n_checkpoints() {
                let cps = words(&back.tallies, chunk.cp_off + c * n_img * n, n_img * n)?;
                for (img, row) in cps.chunks_exact(n).enumerate() {
                    out.add_checkpoint_counts(c, chunk.tile_image(img), row);
                }
            }
        }
        if let Some(off) = chunk.raster_off[p] {
            let len = chunk.rec.len() * (plan.steps + 1) * pop.words();
            report_raster(plan, chunk, p, words(&back.rec, off, len)?, pop.words(), out);
        }
    }
    report_traces(dep, plan, chunk, &back.rec, out)?;
    let n_proj = dep.projs.len();
    let events = words(&back.events, 0, lanes * n_proj * 2)?;
    // per (lane, projection): low and high 32-bit halves
    for (k, ev) in events.chunks_exact(2).enumerate() {
        out.events(k % n_proj, u64::from(ev[0]) | (u64::from(ev[1]) << 32));
    }
    Ok(())
}

/// Spike times of population `p` from its raster (recorded images × stamps
/// `0 ..= steps` relative to the image's start × spike words).
fn report_raster(
    plan: &RunPlan,
    chunk: &Chunk,
    p: usize,
    raster: &[u32],
    n_words: usize,
    out: &mut TileOutput,
) {
    let mut neurons = Vec::new();
    for (r, img) in chunk.rec.clone().enumerate() {
        let (lane, i) = (chunk.lanes.start + img / chunk.per_lane, img % chunk.per_lane);
        for rel in 0..=plan.steps {
            let row = &raster[(r * (plan.steps + 1) + rel) * n_words..][..n_words];
            neurons.clear();
            for (w, &bits) in row.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    neurons.push((w * 32) as u32 + bits.trailing_zeros());
                    bits &= bits - 1;
                }
            }
            out.record_spikes(plan, lane, i * plan.steps + rel, p, &neurons);
        }
    }
}

/// Membrane traces of the recorded images (f32 bits, recorded images × neurons × steps
/// per population with a trace).
fn report_traces(
    dep: &GpuDeployment,
    plan: &RunPlan,
    chunk: &Chunk,
    rec: &[u32],
    out: &mut TileOutput,
) -> Result<(), GpuError> {
    if plan.mem_sel.is_empty() {
        return Ok(());
    }
    // every trace's words, checked once
    let traces: Vec<Option<&[u32]>> = dep
        .pops
        .iter()
        .zip(&chunk.trace_off)
        .map(|(pop, off)| off.map(|at| words(rec, at, chunk.rec.len() * pop.n * plan.steps)).transpose())
        .collect::<Result<_, _>>()?;
    for (r, img) in chunk.rec.clone().enumerate() {
        let (lane, i) = (chunk.lanes.start + img / chunk.per_lane, img % chunk.per_lane);
        for sample in 0..plan.steps {
            out.membrane(plan, lane, i * plan.steps + sample, |p, j| {
                traces[p].map_or(0.0, |t| {
                    f64::from(f32::from_bits(t[(r * dep.pops[p].n + j) * plan.steps + sample]))
                })
            });
        }
    }
    Ok(())
}
