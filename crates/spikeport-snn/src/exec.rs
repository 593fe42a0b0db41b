//! The run executor: the one loop that turns a batch of images into a [`RunOutput`] for
//! every time-stepped backend.
//!
//! A backend provides the stepping ([`TileSimulator::simulate`]); the executor does
//! everything around it once: the contract's run checks, the time grid, how the images are
//! cut into *lanes* and *tiles*, the readout windows, count checkpoints, spike-time and
//! membrane recording, activity totals, the memory check before anything is allocated, the
//! parallel loop over tiles and the assembly of the output in image order.
//!
//! ## Lanes, copies and tiles
//!
//! A *lane* is one independent simulation that carries its state through consecutive
//! images. The images of a run are dealt to the deployment's network copies
//! ([`Placement::copies`](crate::Placement), [`SpikeInput::with_copies`]): copy `c` runs its
//! share back to back. Under [`ImageBoundary::Continuous`] each copy's share is one lane;
//! under [`ImageBoundary::Reset`] every image is a lane of its own (it starts from rest),
//! still attributed to its copy. Lanes of equal length are grouped into *tiles* of
//! consecutive lanes that a backend may step in lockstep; tiles are independent and run in
//! parallel. Tile sizes depend only on the lanes, never on the thread count, so a run is
//! bit-identical on any number of threads when the backend's lanes are.
//!
//! ## Stamps
//!
//! Within a lane, stamp `s` is the time `s · dt` after the lane's start; image `i` of the
//! lane starts at stamp `i · steps`. A spike with stamp `s` is counted for the image whose
//! readout window (`[−pause/2, duration + pause/2)`, [`SpikeInput::readout_window_steps`])
//! contains it, and recorded (spike times) for the image whose period contains it.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Instant;

use ndarray::{s, Array2, Array3};
use rayon::prelude::*;

use crate::timing::{batch_grid, GRID_TOLERANCE};
use crate::{
    Activity, BackendError, CountCheckpoints, Counter, ImageBoundary, PlatformInfo, RecordedMembrane,
    RecordedSpikes, Recording, RunOutput, SnnNetwork, SpikeInput,
};

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
    lookup: Vec<(u32, u32)>,
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
    cp_limits: Vec<i64>,
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
fn lanes(input: &SpikeInput, copies: usize) -> Result<Vec<Lane>, BackendError> {
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

/// What one tile produced: filled by the backend through its methods, merged by the
/// executor in image order.
#[derive(Clone, Debug)]
pub struct TileOutput {
    first: usize,
    per_lane: usize,
    counts: Vec<Array2<u32>>,
    /// Per checkpoint, spikes first counted at that checkpoint (not yet cumulative).
    checkpoints: Vec<Array2<u32>>,
    rec: Range<usize>,
    rec_spikes: Vec<Vec<Vec<Vec<f64>>>>,
    rec_mem: Vec<Array3<f64>>,
    spikes: Vec<u64>,
    events: Vec<u64>,
    counters: BTreeMap<Counter, u64>,
}

impl TileOutput {
    /// Empty outputs for `tile` of `plan`.
    pub fn new(plan: &RunPlan, tile: &Tile) -> Self {
        let n_img = tile.n_images();
        let n_out = plan.sizes[plan.output];
        let lo = plan.rec_images.start.clamp(tile.first, tile.first + n_img) - tile.first;
        let hi = (plan.rec_images.end.clamp(tile.first, tile.first + n_img) - tile.first).max(lo);
        let n_rec = hi - lo;
        Self {
            first: tile.first,
            per_lane: tile.per_lane,
            counts: plan.sizes.iter().map(|&n| Array2::zeros((n_img, n))).collect(),
            checkpoints: (0..plan.n_checkpoints()).map(|_| Array2::zeros((n_img, n_out))).collect(),
            rec: lo..hi,
            rec_spikes: plan
                .spike_sel
                .iter()
                .map(|sel| vec![vec![Vec::new(); sel.neurons.len()]; n_rec])
                .collect(),
            rec_mem: plan
                .mem_sel
                .iter()
                .map(|sel| Array3::zeros((n_rec, sel.neurons.len(), plan.steps)))
                .collect(),
            spikes: vec![0; plan.sizes.len()],
            events: vec![0; plan.n_projections],
            counters: BTreeMap::new(),
        }
    }

    /// Neurons `neurons` of population `p` of lane `lane` (tile-local) spiked with lane
    /// stamp `s`: counts them in the readout window of their image (and its checkpoints),
    /// records their times if asked, and adds them to the spike total.
    #[inline]
    pub fn spikes(&mut self, plan: &RunPlan, lane: usize, s: usize, p: usize, neurons: &[u32]) {
        if neurons.is_empty() {
            return;
        }
        self.spikes[p] += neurons.len() as u64;
        let per_lane = self.per_lane;
        if let Some((i, rel)) = plan.window_image(s, per_lane) {
            let img = lane * per_lane + i;
            let mut row = self.counts[p].row_mut(img);
            for &j in neurons {
                row[j as usize] += 1;
            }
            if p == plan.output && !self.checkpoints.is_empty() {
                let c = plan.cp_limits.partition_point(|&l| l < rel);
                if let Some(cp) = self.checkpoints.get_mut(c) {
                    let mut row = cp.row_mut(img);
                    for &j in neurons {
                        row[j as usize] += 1;
                    }
                }
            }
        }
        self.record_spikes(plan, lane, s, p, neurons);
    }

    /// Records the spike times of neurons `neurons` of population `p` of lane `lane`
    /// (tile-local) that spiked with lane stamp `s`, as [`TileOutput::spikes`] does, without
    /// counting them: for backends that count on their own ([`TileOutput::add_counts`]).
    /// Does nothing for images not recorded or populations without a spike recording.
    #[inline]
    pub fn record_spikes(&mut self, plan: &RunPlan, lane: usize, s: usize, p: usize, neurons: &[u32]) {
        if self.rec.is_empty() || neurons.is_empty() {
            return;
        }
        let per_lane = self.per_lane;
        for (sel, out) in plan.spike_sel.iter().zip(self.rec_spikes.iter_mut()) {
            if sel.population != p {
                continue;
            }
            let (i, rel) = plan.period_image(s, per_lane);
            let img = lane * per_lane + i;
            if self.rec.contains(&img) {
                let t = rel as f64 * plan.dt_ms;
                for &j in neurons {
                    for k in sel.positions(j) {
                        out[img - self.rec.start][k].push(t);
                    }
                }
            }
        }
    }

    /// Adds `row` (one count per neuron of population `p`) to the readout-window counts of
    /// the tile's image `img` (tile-local: `lane · per_lane +` the image's index in its
    /// lane), for backends that count the readout window themselves (e.g. on a device).
    /// Neither the spike total ([`TileOutput::add_spikes`]) nor the checkpoints
    /// ([`TileOutput::add_checkpoint_counts`]) change.
    ///
    /// **Panics** if `p` or `img` is out of range or `row` is not one entry per neuron.
    #[inline]
    pub fn add_counts(&mut self, p: usize, img: usize, row: &[u32]) {
        let mut dst = self.counts[p].row_mut(img);
        assert_eq!(dst.len(), row.len(), "one count per neuron of population {p}");
        dst.iter_mut().zip(row).for_each(|(d, &x)| *d += x);
    }

    /// Adds `row` (one count per neuron of the output population) to the spikes of the
    /// tile's image `img` (tile-local) first counted at checkpoint `c`, i.e. with a
    /// relative stamp in `(limit[c − 1], limit[c]]` ([`RunPlan::checkpoint_limits`]); the
    /// executor accumulates the checkpoints.
    ///
    /// **Panics** if `c` or `img` is out of range or `row` is not one entry per output
    /// neuron.
    #[inline]
    pub fn add_checkpoint_counts(&mut self, c: usize, img: usize, row: &[u32]) {
        let mut dst = self.checkpoints[c].row_mut(img);
        assert_eq!(dst.len(), row.len(), "one count per output neuron");
        dst.iter_mut().zip(row).for_each(|(d, &x)| *d += x);
    }

    /// Adds `n` spikes to the total of population `p` (the activity's spikes), for spikes
    /// not reported through [`TileOutput::spikes`].
    #[inline]
    pub fn add_spikes(&mut self, p: usize, n: u64) {
        self.spikes[p] += n;
    }

    /// Whether lane `lane`'s image at update `k` (its state after update `k` is sampled)
    /// has membrane traces to record.
    #[inline]
    pub fn records_membrane(&self, lane: usize, k: usize, plan: &RunPlan) -> bool {
        !self.rec_mem.is_empty() && self.rec.contains(&(lane * self.per_lane + k / plan.steps))
    }

    /// Records the membrane potentials of lane `lane` after update `k`: `v(p, j)` is
    /// neuron `j` of population `p`, mV. Does nothing for images not recorded.
    #[inline]
    pub fn membrane(&mut self, plan: &RunPlan, lane: usize, k: usize, v: impl Fn(usize, usize) -> f64) {
        if !self.records_membrane(lane, k, plan) {
            return;
        }
        let (i, sample) = (k / plan.steps, k % plan.steps);
        let r = lane * self.per_lane + i - self.rec.start;
        for (sel, trace) in plan.mem_sel.iter().zip(self.rec_mem.iter_mut()) {
            for (kk, &j) in sel.neurons.iter().enumerate() {
                trace[[r, kk, sample]] = v(sel.population, j);
            }
        }
    }

    /// Adds `n` synaptic events to projection `projection`.
    #[inline]
    pub fn events(&mut self, projection: usize, n: u64) {
        self.events[projection] += n;
    }

    /// Adds `n` to the platform counter `counter` ([`Counter::combine`]).
    pub fn count(&mut self, counter: Counter, n: u64) {
        let total = self.counters.entry(counter).or_insert(0);
        *total = counter.combine(*total, n);
    }
}

/// The stepping a backend provides to the executor, for one run.
pub trait TileSimulator: Sync {
    /// The backend's own statistics of a tile (e.g. SpiNNaker's per-population tick
    /// overruns), merged over the tiles in image order.
    type Stats: Default + Send;

    /// Simulates `tile` of `plan` on `input` (the tile's images only, its image 0 being
    /// the tile's first) and reports every spike, sample, event and counter to `out`.
    ///
    /// **Errors** with the backend's errors, e.g. [`BackendError::Numerical`].
    fn simulate(
        &self,
        plan: &RunPlan,
        tile: &Tile,
        input: &SpikeInput,
        out: &mut TileOutput,
        stats: &mut Self::Stats,
    ) -> Result<(), BackendError>;

    /// Adds `from` (a later tile) to `into`.
    fn merge(into: &mut Self::Stats, from: Self::Stats);

    /// Working memory, bytes, of a tile of `lanes` lanes × `per_lane` images whose input
    /// holds `input_spikes` spikes (neuron state, buffers, input schedule; the outputs are
    /// counted by the executor).
    fn tile_bytes(&self, plan: &RunPlan, lanes: usize, per_lane: usize, input_spikes: usize) -> usize;
}

/// How the executor runs tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Executor {
    /// Most lanes per tile.
    pub max_lanes: usize,
    /// Most bytes a run may allocate for its outputs and the working memory of its largest
    /// tile.
    pub memory_limit_bytes: usize,
}

impl Executor {
    /// Simulates `plan` (made for `input`) with `sim` and assembles the output and the
    /// backend's statistics. The activity's biological times are filled; its hardware time
    /// is the platform's (`run_bio_ms / speedup`) or, for software simulators, the wall
    /// time of this call.
    ///
    /// **Errors** with [`BackendError::ResourceLimit`] before allocating anything if the run
    /// would need more than [`Executor::memory_limit_bytes`], or with the simulator's
    /// errors.
    pub fn run<S: TileSimulator>(
        &self,
        sim: &S,
        info: &PlatformInfo,
        plan: &RunPlan,
        input: &SpikeInput,
    ) -> Result<(RunOutput, S::Stats), BackendError> {
        self.run_tiles(sim, info, plan, input, &plan.tiles(self.max_lanes))
    }

    /// [`Executor::run`] on tiles of the backend's choosing instead of
    /// [`RunPlan::tiles`] (whose size [`Executor::max_lanes`] only caps): for a backend
    /// that steps many lanes at once on a device and cuts them to its own limits inside
    /// [`TileSimulator::simulate`], e.g. one tile per group of consecutive lanes of equal
    /// length. `tiles` must cover [`RunPlan::lanes`] in order, each tile consecutive lanes
    /// of [`Tile::per_lane`] images starting at image [`Tile::first`]; they still run in
    /// parallel. `max_lanes` is not used.
    ///
    /// **Errors** as [`Executor::run`], and with [`BackendError::Internal`] for tiles that
    /// do not cover the lanes so.
    pub fn run_tiles<S: TileSimulator>(
        &self,
        sim: &S,
        info: &PlatformInfo,
        plan: &RunPlan,
        input: &SpikeInput,
        tiles: &[Tile],
    ) -> Result<(RunOutput, S::Stats), BackendError> {
        let wall = Instant::now();
        check_tiles(plan, tiles)?;
        let largest = tiles.iter().max_by_key(|t| t.n_images());
        let per_tile =
            largest.map_or(0, |t| sim.tile_bytes(plan, t.n_lanes(), t.per_lane, input.total_spikes()));
        let bytes = plan.output_bytes().saturating_add(per_tile);
        if bytes > self.memory_limit_bytes {
            return Err(BackendError::ResourceLimit {
                what: "bytes of run output (counts, checkpoints, membrane traces) and working memory".into(),
                requested: bytes,
                limit: self.memory_limit_bytes,
            });
        }
        let outs: Vec<(TileOutput, S::Stats)> = tiles
            .par_iter()
            .map(|tile| {
                let tile_input = input.to_slice(tile.first..tile.first + tile.n_images())?;
                let mut out = TileOutput::new(plan, tile);
                let mut stats = S::Stats::default();
                sim.simulate(plan, tile, &tile_input, &mut out, &mut stats)?;
                Ok((out, stats))
            })
            .collect::<Result<_, BackendError>>()?;
        let (mut output, stats) = assemble(plan, outs, S::merge);
        output.activity.bio_time_ms = input.total_ms();
        output.activity.run_bio_ms = plan.run_bio_ms(input);
        let wall_s = wall.elapsed().as_secs_f64();
        output.activity.wall_time_s = wall_s;
        output.activity.hardware_time_s = info.hardware_time_s(output.activity.run_bio_ms).unwrap_or(wall_s);
        Ok((output, stats))
    }
}

/// [`BackendError::Internal`] unless `tiles` cover the plan's lanes in order, each of
/// consecutive lanes of its length.
fn check_tiles(plan: &RunPlan, tiles: &[Tile]) -> Result<(), BackendError> {
    let mut next = 0;
    for t in tiles {
        let lanes = plan.lanes.get(t.lanes.clone()).unwrap_or_default();
        let fits = t.lanes.start == next
            && !lanes.is_empty()
            && lanes[0].first == t.first
            && lanes
                .iter()
                .enumerate()
                .all(|(k, l)| l.images == t.per_lane && l.first == t.first + k * t.per_lane);
        if !fits {
            return Err(BackendError::Internal {
                what: format!("tile {t:?} does not continue the run's lanes at lane {next}"),
            });
        }
        next = t.lanes.end;
    }
    if next != plan.lanes.len() {
        return Err(BackendError::Internal {
            what: format!("the tiles cover {next} of the run's {} lanes", plan.lanes.len()),
        });
    }
    Ok(())
}

/// Merges tile outputs (in image order) into a run output.
fn assemble<St: Default>(
    plan: &RunPlan,
    tiles: Vec<(TileOutput, St)>,
    merge: fn(&mut St, St),
) -> (RunOutput, St) {
    let n = plan.n_images;
    let n_out = plan.sizes[plan.output];
    let mut counts: Vec<Array2<u32>> = plan.sizes.iter().map(|&m| Array2::zeros((n, m))).collect();
    let mut cps: Vec<Array2<u32>> = (0..plan.n_checkpoints()).map(|_| Array2::zeros((n, n_out))).collect();
    let n_rec = plan.rec_images.len();
    let mut spike_times: Vec<Vec<Vec<Vec<f64>>>> =
        plan.spike_sel.iter().map(|_| Vec::with_capacity(n_rec)).collect();
    let mut traces: Vec<Array3<f64>> =
        plan.mem_sel.iter().map(|sel| Array3::zeros((n_rec, sel.neurons.len(), plan.steps))).collect();
    let mut activity = Activity::zeros(plan.sizes.len(), plan.n_projections);
    let mut stats = St::default();
    for (tile, st) in tiles {
        let m = tile.counts.first().map_or(0, |c| c.nrows());
        let rows = tile.first..tile.first + m;
        for (all, part) in counts.iter_mut().zip(&tile.counts) {
            all.slice_mut(s![rows.clone(), ..]).assign(part);
        }
        for (all, part) in cps.iter_mut().zip(&tile.checkpoints) {
            all.slice_mut(s![rows.clone(), ..]).assign(part);
        }
        for (all, part) in spike_times.iter_mut().zip(tile.rec_spikes) {
            all.extend(part);
        }
        for (all, part) in traces.iter_mut().zip(&tile.rec_mem) {
            let k = part.shape()[0];
            if k > 0 {
                let r0 = tile.first + tile.rec.start - plan.rec_images.start;
                all.slice_mut(s![r0..r0 + k, .., ..]).assign(part);
            }
        }
        activity.spikes.iter_mut().zip(&tile.spikes).for_each(|(a, b)| *a += b);
        activity.synaptic_events.iter_mut().zip(&tile.events).for_each(|(a, b)| *a += b);
        for (c, v) in tile.counters {
            let total = activity.counters.entry(c).or_insert(0);
            *total = c.combine(*total, v);
        }
        merge(&mut stats, st);
    }
    for c in 1..cps.len() {
        let (done, rest) = cps.split_at_mut(c);
        rest[0] += &done[c - 1];
    }
    let checkpoints = (!plan.cp_times_ms.is_empty() || plan.n_checkpoints() > 0).then(|| CountCheckpoints {
        population: plan.output,
        times_ms: plan.cp_times_ms.clone(),
        counts: cps,
    });
    let spikes = plan
        .spike_sel
        .iter()
        .zip(spike_times)
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
        .zip(traces)
        .map(|(sel, v_mv)| RecordedMembrane {
            population: sel.population,
            neurons: sel.neurons.clone(),
            first_image: plan.rec_images.start,
            dt_ms: plan.dt_ms,
            v_mv,
        })
        .collect();
    activity.images = n;
    let neurons: usize = plan.sizes.iter().skip(1).sum();
    activity.neuron_updates = (neurons * plan.steps * n) as u64;
    (RunOutput { counts, spikes, membrane, checkpoints, activity }, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Encoder, IfCurrExpParams, NeuronSelection};

    fn net() -> SnnNetwork {
        let lif = IfCurrExpParams::new().into_model().expect("params");
        SnnNetwork::feed_forward(2, vec![(lif, ndarray::Array2::zeros((2, 3)))], 1.0).expect("net")
    }

    fn input(n: usize, continuous: bool) -> SpikeInput {
        let boundary = if continuous { ImageBoundary::Continuous } else { ImageBoundary::Reset };
        let x = ndarray::Array2::<f32>::from_elem((n, 2), 0.5);
        Encoder::regular(100.0, 20.0, 10.0)
            .expect("enc")
            .with_boundary(boundary)
            .encode(x.view())
            .expect("input")
    }

    fn plan(input: &SpikeInput, copies: usize) -> Result<RunPlan, BackendError> {
        RunPlan::new(&PlatformInfo::new("test", 1.0), &net(), input, &Recording::counts_only(), copies, 1.0)
    }

    #[test]
    fn copies_share_the_images_in_order_as_snabsuite_cuts_its_batches() {
        // 10 images on 3 copies: ⌈10/3⌉ = 4 each, the last copy gets the remaining 2
        let p = plan(&input(10, true), 3).expect("plan");
        let lanes: Vec<(usize, usize, usize)> = p.lanes.iter().map(|l| (l.first, l.images, l.copy)).collect();
        assert_eq!(lanes, vec![(0, 4, 0), (4, 4, 1), (8, 2, 2)]);
        assert_eq!(p.images_per_copy, 4);
        assert_eq!(p.run_bio_ms(&input(10, true)), 4.0 * 30.0);
        // lockstep tiles hold lanes of one length only
        let tiles = p.tiles(8);
        assert_eq!(
            tiles.iter().map(|t| (t.lanes.clone(), t.per_lane)).collect::<Vec<_>>(),
            vec![(0..1, 4), (1..2, 4), (2..3, 2)]
        );
        let p40 = plan(&input(40, false), 1).expect("plan");
        assert_eq!(
            p40.tiles(8).iter().map(|t| t.n_lanes()).collect::<Vec<_>>(),
            vec![3; 13].into_iter().chain([1]).collect::<Vec<_>>()
        );
        // under Reset every image is a lane of its own, still on its copy
        let p = plan(&input(10, false), 3).expect("plan");
        assert_eq!(p.lanes.len(), 10);
        assert_eq!(p.lanes.iter().map(|l| l.copy).collect::<Vec<_>>(), vec![0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
        assert_eq!(p.images_per_copy, 4);
        // one copy: one lane (Continuous), the whole batch's time
        let p = plan(&input(10, true), 1).expect("plan");
        assert_eq!(p.lanes, vec![Lane { first: 0, images: 10, copy: 0 }]);
        assert_eq!(p.run_bio_ms(&input(10, true)), 300.0);
    }

    #[test]
    fn an_explicit_copy_layout_names_the_copies_and_must_fit_the_deployment() {
        let inp = input(6, true).with_copies(2, 3).expect("layout");
        let p = plan(&inp, 4).expect("plan");
        assert_eq!(p.lanes.iter().map(|l| (l.first, l.copy)).collect::<Vec<_>>(), vec![(0, 2), (3, 3)]);
        let err = plan(&inp, 3).expect_err("copy 3 does not exist");
        assert!(matches!(err, BackendError::InvalidInput { .. }), "{err}");
        assert!(input(1, true).with_copies(0, 0).is_err());
    }

    #[test]
    fn stamps_map_to_windows_and_periods_as_the_timing_rules_say() {
        // period 30 steps, window [-5, 25)
        let p = plan(&input(3, true), 1).expect("plan");
        assert_eq!((p.steps, p.window), (30, (-5, 25)));
        assert_eq!(p.window_image(0, 3), Some((0, 0)));
        assert_eq!(p.window_image(24, 3), Some((0, 24)));
        assert_eq!(p.window_image(25, 3), Some((1, -5)), "the next image's early window");
        assert_eq!(p.window_image(85, 3), None, "after the last image's window");
        assert_eq!(p.period_image(31, 3), (1, 1));
        assert_eq!(p.period_image(90, 3), (2, 30), "the very last stamp stays in the last image");
    }

    /// Lanes that spike on their own clock: neuron `s % 3` of population 1 at every lane
    /// stamp `s ≥ 1`, membrane `k + j` after update `k`; one `GpuChunks` per tile.
    struct Clockwork;

    impl TileSimulator for Clockwork {
        type Stats = usize;

        fn simulate(
            &self,
            plan: &RunPlan,
            tile: &Tile,
            _: &SpikeInput,
            out: &mut TileOutput,
            tiles: &mut usize,
        ) -> Result<(), BackendError> {
            *tiles += 1;
            for b in 0..tile.n_lanes() {
                for k in 0..tile.lane_steps(plan) {
                    out.membrane(plan, b, k, |_, j| (k + j) as f64);
                    out.spikes(plan, b, k + 1, 1, &[((k + 1) % 3) as u32]);
                }
            }
            out.count(Counter::GpuChunks, 1);
            Ok(())
        }

        fn merge(into: &mut usize, from: usize) {
            *into += from;
        }

        fn tile_bytes(&self, _: &RunPlan, _: usize, _: usize, _: usize) -> usize {
            0
        }
    }

    fn recording() -> Recording {
        Recording::counts_only()
            .with_spikes(NeuronSelection::list(1, vec![2, 0, 2]))
            .with_membrane(NeuronSelection::list(1, vec![1]))
            .with_checkpoints(7.0)
            .for_images(1..4)
    }

    fn without_timings(mut out: RunOutput) -> RunOutput {
        out.activity.wall_time_s = 0.0;
        out.activity.hardware_time_s = 0.0;
        out.activity.counters.clear();
        out
    }

    #[test]
    fn run_tiles_takes_the_backends_tiles_with_the_same_output() {
        let info = PlatformInfo::new("test", 1.0);
        let exec = Executor { max_lanes: 8, memory_limit_bytes: usize::MAX };
        for (n, continuous, copies) in [(40, false, 1), (10, true, 3), (6, true, 1)] {
            let inp = input(n, continuous);
            let p = RunPlan::new(&info, &net(), &inp, &recording(), copies, 1.0).expect("plan");
            let (by_run, tiles) = exec.run(&Clockwork, &info, &p, &inp).expect("run");
            assert_eq!(tiles, p.tiles(8).len());
            // one tile per group of equal lanes
            let mut groups: Vec<Tile> = Vec::new();
            for (k, l) in p.lanes.iter().enumerate() {
                match groups.last_mut() {
                    Some(t) if t.per_lane == l.images => t.lanes.end = k + 1,
                    _ => groups.push(Tile { lanes: k..k + 1, first: l.first, per_lane: l.images }),
                }
            }
            let (by_groups, tiles) = exec.run_tiles(&Clockwork, &info, &p, &inp, &groups).expect("run");
            assert_eq!(tiles, groups.len());
            assert_eq!(by_groups.activity.counters[&Counter::GpuChunks], groups.len() as u64);
            assert_eq!(without_timings(by_groups), without_timings(by_run.clone()), "{n} images");
            assert!(by_run.counts[1].sum() > 0 && by_run.checkpoints.is_some());
        }
        // tiles that skip, repeat or mis-size lanes are refused
        let inp = input(10, true);
        let p = RunPlan::new(&info, &net(), &inp, &recording(), 3, 1.0).expect("plan");
        let bad = [
            vec![Tile { lanes: 0..2, first: 0, per_lane: 4 }],
            vec![Tile { lanes: 0..3, first: 0, per_lane: 4 }],
            vec![Tile { lanes: 0..2, first: 0, per_lane: 4 }, Tile { lanes: 1..3, first: 4, per_lane: 2 }],
            vec![Tile { lanes: 0..2, first: 1, per_lane: 4 }, Tile { lanes: 2..3, first: 8, per_lane: 2 }],
        ];
        for tiles in bad {
            let err = exec.run_tiles(&Clockwork, &info, &p, &inp, &tiles).expect_err("bad tiles");
            assert!(matches!(err, BackendError::Internal { .. }), "{tiles:?}: {err}");
        }
    }

    #[test]
    fn counting_in_bulk_equals_reporting_spikes() {
        // what a device that counts on its own reports: rows of counts, checkpoint rows,
        // totals and recorded times, against the same spikes reported one stamp at a time
        let inp = input(5, true);
        let p = RunPlan::new(&PlatformInfo::new("t", 1.0), &net(), &inp, &recording(), 2, 1.0).expect("plan");
        let tile = p.tiles(8)[0].clone();
        assert_eq!((tile.n_lanes(), tile.per_lane, p.n_checkpoints()), (1, 3, 3));
        let fired = |s: usize| -> Vec<u32> { (0..3u32).filter(|&j| (s + j as usize) % 4 == 0).collect() };
        let mut one = TileOutput::new(&p, &tile);
        let mut bulk = TileOutput::new(&p, &tile);
        let n_out = p.sizes[p.output];
        let mut rows = vec![vec![0u32; n_out]; tile.n_images()];
        let mut cp_rows = vec![vec![vec![0u32; n_out]; tile.n_images()]; p.n_checkpoints()];
        let mut total = 0;
        for s in 0..=tile.lane_steps(&p) {
            let neurons = fired(s);
            one.spikes(&p, 0, s, 1, &neurons);
            total += neurons.len() as u64;
            bulk.record_spikes(&p, 0, s, 1, &neurons);
            if let Some((i, rel)) = p.window_image(s, tile.per_lane) {
                let c = p.checkpoint_limits().partition_point(|&l| l < rel);
                for &j in &neurons {
                    rows[i][j as usize] += 1;
                    if let Some(cp) = cp_rows.get_mut(c) {
                        cp[i][j as usize] += 1;
                    }
                }
            }
        }
        for (img, row) in rows.iter().enumerate() {
            bulk.add_counts(1, img, row);
        }
        for (c, cp) in cp_rows.iter().enumerate() {
            for (img, row) in cp.iter().enumerate() {
                bulk.add_checkpoint_counts(c, img, row);
            }
        }
        bulk.add_spikes(1, total);
        let (a, ()) = assemble(&p, vec![(one, ())], |_, _| {});
        let (b, ()) = assemble(&p, vec![(bulk, ())], |_, _| {});
        assert!(a.counts[1].sum() > 0 && a.spikes[0].times_ms.iter().flatten().any(|t| !t.is_empty()));
        assert_eq!(a, b);
    }

    #[test]
    fn absurd_checkpoint_intervals_are_refused_before_allocating() {
        let rec = Recording::counts_only().with_checkpoints(1e-9);
        let err = RunPlan::new(&PlatformInfo::new("t", 1.0), &net(), &input(1, false), &rec, 1, 1.0)
            .expect_err("too many checkpoints");
        assert!(matches!(err, BackendError::ResourceLimit { .. }), "{err}");
        let rec = Recording::counts_only().with_spikes(NeuronSelection::all(9));
        assert!(RunPlan::new(&PlatformInfo::new("t", 1.0), &net(), &input(1, false), &rec, 1, 1.0).is_err());
    }
}
