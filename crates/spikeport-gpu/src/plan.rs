//! What a run needs beyond the deployment, resolved once on the host: the time grid,
//! the readout window, checkpoints, recordings, the lanes (independent simulations) and
//! how they are cut into chunks that fit the device's buffers.

use std::ops::Range;

use spikeport_snn::timing::{batch_grid, GRID_TOLERANCE};
use spikeport_snn::{BackendError, ImageBoundary, Recording, SnnNetwork, SpikeInput};

use crate::GpuError;

/// Spike-time recording of one selection.
#[derive(Clone, Debug)]
pub(crate) struct SpikeSel {
    pub population: usize,
    pub neurons: Vec<usize>,
}

/// Membrane recording of one selection.
#[derive(Clone, Debug)]
pub(crate) struct MemSel {
    pub population: usize,
    pub neurons: Vec<usize>,
}

/// The resolved run.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// Time step, ms.
    pub dt: f64,
    /// Steps per image.
    pub steps: usize,
    /// Images in the batch.
    pub n_images: usize,
    /// Readout window, stamps relative to an image's start: `lo <= s < hi`.
    pub window: (i64, i64),
    /// Index of the output population.
    pub output: usize,
    /// Checkpoint times, ms, and their last counted stamps (inclusive).
    pub cp_times: Vec<f64>,
    pub cp_limits: Vec<i64>,
    pub spike_sel: Vec<SpikeSel>,
    pub mem_sel: Vec<MemSel>,
    /// Images of the batch whose spike times and traces are recorded.
    pub rec_images: Range<usize>,
    /// Images per lane: 1 under `Reset`, the whole batch under `Continuous`.
    pub per_lane: usize,
}

impl Plan {
    /// Resolve `rec` for `input` on `net` at `dt`, refusing outputs larger than
    /// `memory_limit_bytes` on the host before allocating them.
    ///
    /// **Errors** with [`BackendError::InvalidInput`], [`BackendError::InvalidRecording`]
    /// or [`BackendError::ResourceLimit`].
    pub fn new(
        net: &SnnNetwork,
        dt: f64,
        input: &SpikeInput,
        rec: &Recording,
        memory_limit_bytes: usize,
    ) -> Result<Self, BackendError> {
        let (steps, rec_images) = batch_grid(dt, input, rec)?;
        let n_images = input.n_images();
        let spike_sel = rec
            .spikes
            .iter()
            .map(|sel| Ok(SpikeSel { population: sel.population, neurons: sel.resolve(net)? }))
            .collect::<Result<Vec<_>, BackendError>>()?;
        let mem_sel = rec
            .membrane
            .iter()
            .map(|sel| Ok(MemSel { population: sel.population, neurons: sel.resolve(net)? }))
            .collect::<Result<Vec<_>, BackendError>>()?;
        if let Some(every) = rec.checkpoint_every_ms {
            // refuse before materialising the checkpoint times
            let n_cp = (input.readout_window_ms().1 / every).max(0.0).floor();
            let bytes = n_cp * ((n_images * net.output().size * 4).max(1)) as f64;
            if bytes > memory_limit_bytes as f64 || n_cp > f64::from(u32::MAX) {
                return Err(BackendError::ResourceLimit {
                    what: format!("bytes of count checkpoints every {every} ms"),
                    requested: bytes.min(usize::MAX as f64) as usize,
                    limit: memory_limit_bytes,
                });
            }
        }
        let cp_times = rec.checkpoint_times_ms(input);
        let cp_limits = cp_times.iter().map(|&t| (t / dt + GRID_TOLERANCE).floor() as i64).collect();
        let per_lane = match input.boundary() {
            ImageBoundary::Continuous => n_images.max(1),
            _ => 1,
        };
        let lane_steps = steps.saturating_mul(per_lane);
        if u32::try_from(lane_steps.saturating_add(2)).is_err() {
            return Err(BackendError::ResourceLimit {
                what: "time steps of one lane (32-bit step counter on the GPU)".into(),
                requested: lane_steps,
                limit: u32::MAX as usize - 2,
            });
        }
        let plan = Self {
            dt,
            steps,
            n_images,
            window: input.readout_window_steps(dt),
            output: net.output_index(),
            cp_times,
            cp_limits,
            spike_sel,
            mem_sel,
            rec_images,
            per_lane,
        };
        let bytes = plan.host_bytes(net);
        if bytes > memory_limit_bytes {
            return Err(BackendError::ResourceLimit {
                what: "bytes of run output (counts, checkpoints, membrane traces)".into(),
                requested: bytes,
                limit: memory_limit_bytes,
            });
        }
        Ok(plan)
    }

    /// Bytes of the run's outputs on the host (counts, checkpoints, f64 membrane traces),
    /// saturating.
    fn host_bytes(&self, net: &SnnNetwork) -> usize {
        let mul = |xs: &[usize]| xs.iter().fold(1usize, |a, &x| a.saturating_mul(x));
        let n_all: usize = net.sizes().iter().sum();
        let n_out = net.output().size;
        let rec = self.rec_images.len();
        let traces = self
            .mem_sel
            .iter()
            .fold(0usize, |a, m| a.saturating_add(mul(&[rec, m.neurons.len(), self.steps, 8])));
        mul(&[self.n_images, n_all, 4])
            .saturating_add(mul(&[self.cp_limits.len(), self.n_images, n_out, 4]))
            .saturating_add(traces)
    }

    /// Number of lanes: images under `Reset`, one under `Continuous` (none for an empty
    /// batch).
    pub fn n_lanes(&self) -> usize {
        if self.n_images == 0 {
            0
        } else {
            self.n_images / self.per_lane
        }
    }

    /// Updates per lane.
    pub fn total_steps(&self) -> usize {
        self.per_lane * self.steps
    }

    /// The image (within a lane) whose readout window contains the lane stamp `s`, and
    /// `s` relative to that image's start.
    pub fn window_image(&self, s: usize) -> Option<(usize, i64)> {
        let (lo, hi) = self.window;
        let steps = self.steps as i64;
        let x = s as i64 - lo;
        if x < 0 {
            return None;
        }
        let i = x / steps;
        let rel = s as i64 - i * steps;
        (i < self.per_lane as i64 && rel < hi).then_some((i as usize, rel))
    }

    /// The image (within a lane) whose period contains the lane stamp `s` (the last
    /// image for the stamp at the very end of the lane), and `s` relative to its start.
    pub fn period_image(&self, s: usize) -> (usize, usize) {
        let i = (s / self.steps).min(self.per_lane - 1);
        (i, s - i * self.steps)
    }
}

/// Bytes per lane of every device buffer that grows with the lanes of a chunk, in a
/// fixed order (one entry per buffer), so that chunks can be cut where any buffer would
/// pass the limit.
pub(crate) trait LaneCost {
    /// Bytes that lane `lane` (batch-wide index) adds to each buffer.
    fn lane_bytes(&self, lane: usize) -> Vec<u64>;
    /// Human-readable name of buffer `k`.
    fn buffer_name(&self, k: usize) -> String;
}

/// Cut lanes `0..n_lanes` into consecutive chunks such that every buffer of a chunk,
/// plus `fixed[k]` bytes, stays within `limit` bytes and a chunk has at most `max_lanes`
/// lanes.
///
/// **Errors** with [`GpuError::TooLarge`] if a single lane does not fit.
pub(crate) fn chunk_lanes(
    cost: &dyn LaneCost,
    n_lanes: usize,
    fixed: &[u64],
    limit: u64,
    max_lanes: usize,
) -> Result<Vec<Range<usize>>, GpuError> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut sums: Vec<u64> = fixed.to_vec();
    for lane in 0..n_lanes {
        let add = cost.lane_bytes(lane);
        if sums.len() < add.len() {
            sums.resize(add.len(), 0);
        }
        let fits = |sums: &[u64]| sums.iter().zip(&add).all(|(&s, &a)| s.saturating_add(a) <= limit);
        if lane > start && (!fits(&sums) || lane - start >= max_lanes) {
            chunks.push(start..lane);
            start = lane;
            sums = fixed.to_vec();
            sums.resize(add.len(), 0);
        }
        if let Some(k) = (0..add.len()).find(|&k| sums[k].saturating_add(add[k]) > limit) {
            return Err(GpuError::TooLarge {
                what: format!("{} for one lane", cost.buffer_name(k)),
                bytes: sums[k].saturating_add(add[k]),
                limit,
            });
        }
        sums.iter_mut().zip(&add).for_each(|(s, &a)| *s = s.saturating_add(a));
    }
    if start < n_lanes {
        chunks.push(start..n_lanes);
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flat(Vec<u64>);
    impl LaneCost for Flat {
        fn lane_bytes(&self, lane: usize) -> Vec<u64> {
            vec![self.0[lane], 4]
        }
        fn buffer_name(&self, k: usize) -> String {
            format!("buffer {k}")
        }
    }

    #[test]
    fn chunks_respect_the_limit_and_the_lane_cap() {
        let c = Flat(vec![10, 10, 10, 30, 5, 5]);
        assert_eq!(chunk_lanes(&c, 6, &[0, 0], 30, 100).unwrap(), vec![0..3, 3..4, 4..6]);
        assert_eq!(chunk_lanes(&c, 6, &[0, 0], 1000, 4).unwrap(), vec![0..4, 4..6]);
        assert_eq!(chunk_lanes(&c, 6, &[0, 0], 1000, 100).unwrap(), vec![0..6]);
        assert_eq!(chunk_lanes(&c, 0, &[0, 0], 1000, 100).unwrap(), Vec::<Range<usize>>::new());
        // fixed bytes count against every chunk
        assert_eq!(chunk_lanes(&c, 3, &[10, 0], 30, 100).unwrap(), vec![0..2, 2..3]);
        let err = chunk_lanes(&c, 6, &[0, 0], 20, 100).unwrap_err();
        assert!(matches!(err, GpuError::TooLarge { bytes: 30, limit: 20, .. }), "{err}");
        assert!(err.to_string().contains("buffer 0"), "{err}");
    }
}
