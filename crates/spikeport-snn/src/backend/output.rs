//! What a run is asked to record, and what it returns.

use super::BackendError;
use std::ops::Range;

use ndarray::{Array2, Array3, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::readout;
use crate::{Counter, SnnError, SnnNetwork, SpikeInput};

// ------------------------------------------------------------------------------------
// Recording requests
// ------------------------------------------------------------------------------------

/// Which neurons of a population.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Neurons {
    /// Every neuron.
    All,
    /// A contiguous range of neuron indices.
    Range(Range<usize>),
    /// Explicit neuron indices, in the order given.
    List(Vec<usize>),
}

/// A set of neurons in one population.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeuronSelection {
    /// Population index.
    pub population: usize,
    /// Neurons within it.
    pub neurons: Neurons,
}

impl NeuronSelection {
    /// Every neuron of `population`.
    pub fn all(population: usize) -> Self {
        Self { population, neurons: Neurons::All }
    }

    /// Neurons `range` of `population`.
    pub fn range(population: usize, range: Range<usize>) -> Self {
        Self { population, neurons: Neurons::Range(range) }
    }

    /// The listed neurons of `population`.
    pub fn list(population: usize, neurons: Vec<usize>) -> Self {
        Self { population, neurons: Neurons::List(neurons) }
    }

    /// The neuron indices, checked against the network.
    ///
    /// **Errors** with [`BackendError::InvalidRecording`] if the population or a neuron
    /// does not exist.
    pub fn resolve(&self, net: &SnnNetwork) -> Result<Vec<usize>, BackendError> {
        let pops = net.populations();
        let pop = pops.get(self.population).ok_or_else(|| {
            BackendError::invalid_recording(format!(
                "population {} does not exist ({} populations)",
                self.population,
                pops.len()
            ))
        })?;
        let ids: Vec<usize> = match &self.neurons {
            Neurons::All => (0..pop.size).collect(),
            Neurons::Range(r) => r.clone().collect(),
            Neurons::List(v) => v.clone(),
        };
        if let Some(bad) = ids.iter().find(|&&i| i >= pop.size) {
            return Err(BackendError::invalid_recording(format!(
                "neuron {bad} of population {} does not exist (size {})",
                self.population, pop.size
            )));
        }
        Ok(ids)
    }
}

/// What a run records besides the spike counts, which it always returns.
///
/// ```
/// use spikeport_snn::{NeuronSelection, Recording};
/// let rec = Recording::counts_only()
///     .with_spikes(NeuronSelection::all(2))
///     .with_membrane(NeuronSelection::list(1, vec![0, 5]))
///     .with_checkpoints(50.0)
///     .for_images(0..1);
/// assert!(rec.records_image(0) && !rec.records_image(1));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// Neurons whose spike times are recorded (one [`RecordedSpikes`] each).
    pub spikes: Vec<NeuronSelection>,
    /// Neurons whose membrane potential is recorded every step (one
    /// [`RecordedMembrane`] each). Memory: images × neurons × steps × 8 bytes.
    pub membrane: Vec<NeuronSelection>,
    /// Images of the batch (indices within the run's input) for which spike times and
    /// membrane traces are recorded; `None` = all.
    pub images: Option<Range<usize>>,
    /// Interval, ms, of cumulative output spike-count checkpoints within each image, for
    /// accuracy-vs-time curves; `None` = none. See [`CountCheckpoints`].
    pub checkpoint_every_ms: Option<f64>,
}

impl Recording {
    /// Record nothing beyond the spike counts and activity.
    pub fn counts_only() -> Self {
        Self::default()
    }

    /// Also record the spike times of `sel`.
    #[must_use]
    pub fn with_spikes(mut self, sel: NeuronSelection) -> Self {
        self.spikes.push(sel);
        self
    }

    /// Also record the membrane potential of `sel`.
    #[must_use]
    pub fn with_membrane(mut self, sel: NeuronSelection) -> Self {
        self.membrane.push(sel);
        self
    }

    /// Record spike times and traces only for images `range` of the batch.
    #[must_use]
    pub fn for_images(mut self, range: Range<usize>) -> Self {
        self.images = Some(range);
        self
    }

    /// Record output spike-count checkpoints every `every_ms` ms.
    #[must_use]
    pub fn with_checkpoints(mut self, every_ms: f64) -> Self {
        self.checkpoint_every_ms = Some(every_ms);
        self
    }

    /// Whether spike times and traces are recorded for image `image` of the batch.
    pub fn records_image(&self, image: usize) -> bool {
        self.images.as_ref().is_none_or(|r| r.contains(&image))
    }

    /// The checkpoint times within an image for `input`: `every, 2·every, …` up to the
    /// end of the readout window, ms relative to the image start.
    pub fn checkpoint_times_ms(&self, input: &SpikeInput) -> Vec<f64> {
        let Some(every) = self.checkpoint_every_ms else {
            return Vec::new();
        };
        let end = input.readout_window_ms().1;
        (1..).map(|k| k as f64 * every).take_while(|&t| t <= end + 1e-9).collect()
    }

    /// Check the request against a network.
    ///
    /// **Errors** with [`BackendError::InvalidRecording`].
    pub fn validate(&self, net: &SnnNetwork) -> Result<(), BackendError> {
        for sel in self.spikes.iter().chain(&self.membrane) {
            sel.resolve(net)?;
        }
        if let Some(every) = self.checkpoint_every_ms {
            if !(every.is_finite() && every > 0.0) {
                return Err(BackendError::invalid_recording(format!(
                    "checkpoint interval must be finite and > 0 ms, got {every}"
                )));
            }
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------------
// Outputs
// ------------------------------------------------------------------------------------

/// Spike times of selected neurons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedSpikes {
    /// Population index.
    pub population: usize,
    /// Neuron indices, in the order of `times_ms`'s second level.
    pub neurons: Vec<usize>,
    /// Index (within the run's batch) of the first recorded image.
    pub first_image: usize,
    /// `times_ms[image - first_image][k]`: sorted spike stamps of `neurons[k]`, ms relative
    /// to that image's start (all spikes of the image's period, not only the readout
    /// window; in [`ImageBoundary::Continuous`](crate::ImageBoundary::Continuous) runs a spike belongs to the image whose
    /// period contains it).
    pub times_ms: Vec<Vec<Vec<f64>>>,
}

/// Membrane potentials of selected neurons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedMembrane {
    /// Population index.
    pub population: usize,
    /// Neuron indices, in the order of the second axis of `v_mv`.
    pub neurons: Vec<usize>,
    /// Index (within the run's batch) of the first recorded image.
    pub first_image: usize,
    /// Sampling interval, ms (the backend's time step).
    pub dt_ms: f64,
    /// `v_mv[[image - first_image, k, s]]`: potential of `neurons[k]`, mV, at
    /// `(s + 1) · dt_ms` after the image start, i.e. after update `s` including any reset
    /// (as NEST's multimeter samples).
    pub v_mv: Array3<f64>,
}

/// Cumulative spike counts of the output population at fixed times within each image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountCheckpoints {
    /// Population index (the output population).
    pub population: usize,
    /// Checkpoint times, ms relative to each image's start (see
    /// [`Recording::checkpoint_times_ms`]).
    pub times_ms: Vec<f64>,
    /// `counts[c]`: (images, neurons) spikes with stamps in
    /// `[window start, times_ms[c]]`, so the last checkpoint at the window's end equals
    /// the final counts.
    pub counts: Vec<Array2<u32>>,
}

impl CountCheckpoints {
    /// Accuracy (percent correct, ties wrong) at every checkpoint: `(time ms, accuracy %)`.
    ///
    /// **Errors** as [`readout::accuracy_pct`].
    pub fn accuracy_curve<L: Copy + Into<usize>>(&self, labels: &[L]) -> Result<Vec<(f64, f64)>, SnnError> {
        self.times_ms
            .iter()
            .zip(&self.counts)
            .map(|(&t, c)| readout::accuracy_pct(c.view(), labels).map(|a| (t, a)))
            .collect()
    }
}

/// What happened in a run, for energy models and reports.
///
/// Counters cover the whole simulated time (`duration + pause` per image), not only the
/// readout window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Number of images simulated.
    pub images: usize,
    /// Spikes emitted per population (index 0 = input spikes delivered).
    pub spikes: Vec<u64>,
    /// Synaptic events per projection: one spike arriving at one synapse (non-zero
    /// weight).
    pub synaptic_events: Vec<u64>,
    /// Neuron updates: neuron-timesteps of all non-input populations.
    pub neuron_updates: u64,
    /// Biological time simulated, ms (summed over images).
    pub bio_time_ms: f64,
    /// Biological time the run spans on the platform, ms: the longest share of images any
    /// network copy runs × the image period (copies run side by side, so with one copy
    /// this is `bio_time_ms`). Summed over runs by [`Activity::accumulate`].
    #[serde(default)]
    pub run_bio_ms: f64,
    /// Modelled hardware time, s: `run_bio_ms / speedup` for hardware models (× the
    /// time-scale factor on SpiNNaker), host wall time for software simulators.
    pub hardware_time_s: f64,
    /// Host wall-clock time of the run, s.
    pub wall_time_s: f64,
    /// Platform-specific event counts (total over the run), e.g. SpiNNaker's
    /// [`Counter::RingSaturations`], [`Counter::TickOverruns`], [`Counter::PacketsSent`];
    /// empty for the software simulators.
    #[serde(default)]
    pub counters: std::collections::BTreeMap<Counter, u64>,
}

impl Activity {
    /// Zeroed counters for a network with `populations` and `projections`.
    pub fn zeros(populations: usize, projections: usize) -> Self {
        Self { spikes: vec![0; populations], synaptic_events: vec![0; projections], ..Self::default() }
    }

    /// All spikes, including input spikes.
    pub fn total_spikes(&self) -> u64 {
        self.spikes.iter().sum()
    }

    /// All synaptic events.
    pub fn total_synaptic_events(&self) -> u64 {
        self.synaptic_events.iter().sum()
    }

    /// Spikes per image, per population (0 for an empty activity).
    pub fn spikes_per_image(&self) -> Vec<f64> {
        let n = self.images.max(1) as f64;
        self.spikes.iter().map(|&s| s as f64 / n).collect()
    }

    /// Synaptic events per image (0 for an empty activity).
    pub fn synaptic_events_per_image(&self) -> f64 {
        self.total_synaptic_events() as f64 / self.images.max(1) as f64
    }

    /// Add another run's counters to these (for totals over many batches). Vectors grow
    /// to the longer length.
    pub fn accumulate(&mut self, other: &Activity) {
        fn add(a: &mut Vec<u64>, b: &[u64]) {
            if a.len() < b.len() {
                a.resize(b.len(), 0);
            }
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        self.images += other.images;
        add(&mut self.spikes, &other.spikes);
        add(&mut self.synaptic_events, &other.synaptic_events);
        self.neuron_updates += other.neuron_updates;
        self.bio_time_ms += other.bio_time_ms;
        self.run_bio_ms += other.run_bio_ms;
        self.hardware_time_s += other.hardware_time_s;
        self.wall_time_s += other.wall_time_s;
        for (&name, &n) in &other.counters {
            let total = self.counters.entry(name).or_insert(0);
            *total = name.combine(*total, n);
        }
    }
}

/// The result of [`Backend::run`](crate::Backend::run) on a batch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunOutput {
    /// `counts[population]`: (images, neurons) spike counts in each image's readout
    /// window ([`SpikeInput::readout_window_ms`]), for every population including the
    /// input (whose counts are the input spikes in the window).
    pub counts: Vec<Array2<u32>>,
    /// One entry per [`Recording::spikes`] selection, in order.
    pub spikes: Vec<RecordedSpikes>,
    /// One entry per [`Recording::membrane`] selection, in order.
    pub membrane: Vec<RecordedMembrane>,
    /// Present when [`Recording::checkpoint_every_ms`] was set.
    pub checkpoints: Option<CountCheckpoints>,
    /// Activity counters and timings.
    pub activity: Activity,
}

impl RunOutput {
    /// Output-layer counts (images, classes): the last population.
    ///
    /// **Panics** if `counts` is empty.
    #[track_caller]
    pub fn output_counts(&self) -> ArrayView2<'_, u32> {
        self.counts.last().expect("a run output has counts for every population").view()
    }

    /// Predicted class per image ([`readout::predict`]); `None` for a tie or no spike.
    pub fn predictions(&self) -> Vec<Option<usize>> {
        readout::predictions(self.output_counts())
    }

    /// Percentage (0–100) of images whose prediction equals the label (ties are wrong).
    ///
    /// **Errors** as [`readout::accuracy_pct`].
    pub fn accuracy_pct<L: Copy + Into<usize>>(&self, labels: &[L]) -> Result<f64, SnnError> {
        readout::accuracy_pct(self.output_counts(), labels)
    }
}
