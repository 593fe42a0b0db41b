//! The run plan: grid, windows, checkpoints, recordings and the lanes and tiles of a run.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::timing::{batch_grid, GRID_TOLERANCE};
use crate::{BackendError, ImageBoundary, PlatformInfo, Recording, SnnNetwork, SpikeInput};

/// Most count checkpoints per image a run may ask for.
pub const MAX_CHECKPOINTS: usize = 1 << 16;

/// Consecutive images of a run simulated with their state carried from one to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lane {
    /// Index of its first image in the run's batch.
    pub first: usize,
    /// Number of images.
    pub images: usize,
    /// The deployment's network copy that runs it.
    pub copy: usize,
}

/// Consecutive lanes of equal length that a backend may step in lockstep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tile {
    /// Indices of its lanes in [`RunPlan::lanes`].
    pub lanes: Range<usize>,
    /// Index of its first image in the run's batch.
    pub first: usize,
    /// Images per lane.
    pub per_lane: usize,
}

impl Tile {
    /// Number of lanes.
    pub fn n_lanes(&self) -> usize {
        self.lanes.len()
    }

    /// Number of images (lanes × images per lane).
    pub fn n_images(&self) -> usize {
        self.lanes.len() * self.per_lane
    }

    /// Stamps of each lane: `per_lane · steps` updates, stamps `0 ..= per_lane · steps`.
    pub fn lane_steps(&self, plan: &RunPlan) -> usize {
        self.per_lane * plan.steps
    }
}

/// A spike-time recording request, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpikeSelection {
    /// Population index.
    pub population: usize,
    /// Neuron indices in the order of the output.
    pub neurons: Vec<usize>,
    /// `(neuron, position in neurons)` sorted by neuron.
    pub(super) lookup: Vec<(u32, u32)>,
}

impl SpikeSelection {
    /// Positions in [`SpikeSelection::neurons`] of neuron `j` (several if listed twice).
    #[inline]
    pub fn positions(&self, j: u32) -> impl Iterator<Item = usize> + '_ {
        let lo = self.lookup.partition_point(|&(n, _)| n < j);
        self.lookup[lo..].iter().take_while(move |&&(n, _)| n == j).map(|&(_, k)| k as usize)
    }
}

/// A membrane recording request, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembraneSelection {
    /// Population index.
    pub population: usize,
    /// Neuron indices in the order of the output.
    pub neurons: Vec<usize>,
}

/// Everything a run needs beyond the deployment, resolved and checked once: the grid, the
/// readout window, checkpoints, recordings and the lanes.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPlan {
    /// Time step, ms.
    pub dt_ms: f64,
    /// Steps per image period (duration + pause).
    pub steps: usize,
    /// Images in the batch.
    pub n_images: usize,
    /// Readout window, stamps relative to an image's start: `lo <= s < hi`.
    pub window: (i64, i64),
    /// Output population.
    pub output: usize,
    /// Population sizes.
    pub sizes: Vec<usize>,
    /// Number of projections.
    pub n_projections: usize,
    /// Checkpoint times, ms relative to each image's start.
    pub cp_times_ms: Vec<f64>,
    /// Last stamp (relative to the image start, inclusive) counted by each checkpoint.
    pub(super) cp_limits: Vec<i64>,
    /// Spike-time recordings.
    pub spike_sel: Vec<SpikeSelection>,
    /// Membrane recordings.
    pub mem_sel: Vec<MembraneSelection>,
    /// Images whose spike times and traces are recorded.
    pub rec_images: Range<usize>,
    /// The lanes, in image order.
    pub lanes: Vec<Lane>,
    /// Images per copy in this run, the largest share.
    pub images_per_copy: usize,
}

impl RunPlan {
    /// Checks `input` and `rec` against the platform and the network
    /// ([`PlatformInfo::check_run`]) and resolves the run on a grid of `dt_ms` for a
    /// deployment of `copies` network copies.
    ///
    /// **Errors** with [`BackendError::InvalidInput`] (a step that does not divide the
    /// image period, a copy layout beyond the deployment's copies),
    /// [`BackendError::InvalidRecording`] or the errors of [`PlatformInfo::check_run`].
    pub fn new(
        info: &PlatformInfo,
        net: &SnnNetwork,
        input: &SpikeInput,
        rec: &Recording,
        copies: usize,
        dt_ms: f64,
    ) -> Result<Self, BackendError> {
        info.check_run(net, input, rec)?;
        let (steps, rec_images) = batch_grid(dt_ms, input, rec)?;
        let n_images = input.n_images();
        let mut spike_sel = Vec::with_capacity(rec.spikes.len());
        for sel in &rec.spikes {
            let neurons = sel.resolve(net)?;
            let mut lookup: Vec<(u32, u32)> =
                neurons.iter().enumerate().map(|(k, &j)| (j as u32, k as u32)).collect();
            lookup.sort_unstable();
            spike_sel.push(SpikeSelection { population: sel.population, neurons, lookup });
        }
        let mut mem_sel = Vec::with_capacity(rec.membrane.len());
        for sel in &rec.membrane {
            mem_sel.push(MembraneSelection { population: sel.population, neurons: sel.resolve(net)? });
        }
        if let Some(every) = rec.checkpoint_every_ms {
            // refuse before materialising the checkpoint times
            let n_cp = (input.readout_window_ms().1 / every).max(0.0).floor();
            if n_cp > MAX_CHECKPOINTS as f64 {
                return Err(BackendError::ResourceLimit {
                    what: format!("count checkpoints per image (every {every} ms)"),
                    requested: n_cp.min(usize::MAX as f64) as usize,
                    limit: MAX_CHECKPOINTS,
                });
            }
        }
        let cp_times_ms = rec.checkpoint_times_ms(input);
        let cp_limits = cp_times_ms.iter().map(|&t| (t / dt_ms + GRID_TOLERANCE).floor() as i64).collect();
        let lanes = lanes(input, copies.max(1))?;
        let mut per_copy: BTreeMap<usize, usize> = BTreeMap::new();
        for l in &lanes {
            *per_copy.entry(l.copy).or_insert(0) += l.images;
        }
        Ok(Self {
            dt_ms,
            steps,
            n_images,
            window: input.readout_window_steps(dt_ms),
            output: net.output_index(),
            sizes: net.sizes(),
            n_projections: net.projections().len(),
            cp_times_ms,
            cp_limits,
            spike_sel,
            mem_sel,
            rec_images,
            lanes,
            images_per_copy: per_copy.values().copied().max().unwrap_or(0),
        })
    }

    /// Number of checkpoints.
    pub fn n_checkpoints(&self) -> usize {
        self.cp_limits.len()
    }

    /// Last stamp (relative to an image's start, inclusive) counted by each checkpoint, in
    /// the order of [`RunPlan::cp_times_ms`]: a spike in the readout window with relative
    /// stamp `rel` is first counted at the first checkpoint whose limit is `>= rel`. For
    /// backends that count checkpoints themselves (e.g. on a device).
    #[inline]
    pub fn checkpoint_limits(&self) -> &[i64] {
        &self.cp_limits
    }

    /// Biological time the run spans on the platform, ms: the largest share of images of
    /// one copy × the image period.
    pub fn run_bio_ms(&self, input: &SpikeInput) -> f64 {
        self.images_per_copy as f64 * input.period_ms()
    }

    /// The tiles of the run: consecutive lanes of equal length, at most `max_lanes` each
    /// and about a sixteenth of such a group each (so that every core has work), a size
    /// that depends only on the lanes.
    pub fn tiles(&self, max_lanes: usize) -> Vec<Tile> {
        let mut tiles = Vec::new();
        let mut g = 0;
        while g < self.lanes.len() {
            let per_lane = self.lanes[g].images;
            let end = g + self.lanes[g..].iter().take_while(|l| l.images == per_lane).count();
            let t = (end - g).div_ceil(16).clamp(1, max_lanes.max(1));
            for first_lane in (g..end).step_by(t) {
                let lanes = first_lane..(first_lane + t).min(end);
                tiles.push(Tile { first: self.lanes[first_lane].first, lanes, per_lane });
            }
            g = end;
        }
        tiles
    }

    /// The image (within a lane of `per_lane` images) whose readout window contains lane
    /// stamp `s`, and `s` relative to that image's start.
    #[inline]
    pub fn window_image(&self, s: usize, per_lane: usize) -> Option<(usize, i64)> {
        let (lo, hi) = self.window;
        let steps = self.steps as i64;
        let x = s as i64 - lo;
        if x < 0 {
            return None;
        }
        let i = x / steps;
        let rel = s as i64 - i * steps;
        (i < per_lane as i64 && rel < hi).then_some((i as usize, rel))
    }

    /// The image (within a lane) whose period contains lane stamp `s` (the last image for
    /// the stamp at the very end of the lane), and `s` relative to its start.
    #[inline]
    pub fn period_image(&self, s: usize, per_lane: usize) -> (usize, usize) {
        let i = (s / self.steps).min(per_lane.max(1) - 1);
        (i, s - i * self.steps)
    }

    /// Bytes of the run's outputs: counts, checkpoints, membrane traces (saturating).
    pub fn output_bytes(&self) -> usize {
        let mul = |xs: &[usize]| xs.iter().fold(1usize, |a, &x| a.saturating_mul(x));
        let n_all: usize = self.sizes.iter().sum();
        let n_out = self.sizes[self.output];
        let rec = self.rec_images.len();
        let traces = self
            .mem_sel
            .iter()
            .fold(0usize, |a, m| a.saturating_add(mul(&[rec, m.neurons.len(), self.steps, 8])));
        mul(&[self.n_images, n_all, 4])
            .saturating_add(mul(&[self.cp_limits.len(), self.n_images, n_out, 4]))
            .saturating_add(traces)
    }
}

/// The lanes of a run of `input` on a deployment of `copies` copies.
pub(super) fn lanes(input: &SpikeInput, copies: usize) -> Result<Vec<Lane>, BackendError> {
    let n = input.n_images();
    let (first_copy, per_copy) = match input.copy_layout() {
        Some(l) => (l.first_copy, l.images_per_copy),
        None => (0, n.div_ceil(copies).max(1)),
    };
    let used = n.div_ceil(per_copy);
    if first_copy + used > copies {
        return Err(BackendError::invalid_input(format!(
            "the batch needs network copies {first_copy}..{} ({per_copy} images each), the deployment has {copies}",
            first_copy + used
        )));
    }
    Ok(match input.boundary() {
        ImageBoundary::Continuous => (0..used)
            .map(|c| Lane {
                first: c * per_copy,
                images: per_copy.min(n - c * per_copy),
                copy: first_copy + c,
            })
            .collect(),
        _ => (0..n).map(|i| Lane { first: i, images: 1, copy: first_copy + i / per_copy }).collect(),
    })
}
