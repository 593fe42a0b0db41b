//! The error type of the SNN description: one variant per violated constraint.

use thiserror::Error;

/// Everything that can be wrong with a neuron parameter set, a network, a spike
/// encoding, a time grid or a readout.
///
/// Every variant names the offending value, so that a message alone tells what to
/// fix. Backends wrap this type in
/// [`BackendError::InvalidNetwork`](crate::BackendError::InvalidNetwork).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SnnError {
    // ----- neuron parameters ---------------------------------------------------------
    /// A neuron parameter is NaN or infinite.
    #[error("{model}: parameter `{param}` must be finite, got {value}")]
    NonFinite {
        /// PyNN-style model name, e.g. `IF_cond_exp`.
        model: &'static str,
        /// PyNN parameter name, e.g. `v_thresh`.
        param: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// The membrane capacitance `cm` is zero or negative.
    #[error("{model}: membrane capacitance cm must be > 0 nF, got {cm} nF")]
    NonPositiveCapacitance {
        /// PyNN-style model name.
        model: &'static str,
        /// The rejected capacitance, nF.
        cm: f64,
    },
    /// A time constant (`tau_m`, `tau_syn_E`, `tau_syn_I`) is zero or negative.
    #[error("{model}: time constant `{param}` must be > 0 ms, got {value} ms")]
    NonPositiveTimeConstant {
        /// PyNN-style model name.
        model: &'static str,
        /// PyNN parameter name.
        param: &'static str,
        /// The rejected value, ms.
        value: f64,
    },
    /// The refractory period `tau_refrac` is negative.
    #[error("{model}: refractory period tau_refrac must be >= 0 ms, got {tau_refrac} ms")]
    NegativeRefractoryPeriod {
        /// PyNN-style model name.
        model: &'static str,
        /// The rejected value, ms.
        tau_refrac: f64,
    },
    /// The threshold is not above the reset potential (`v_thresh <= v_reset`).
    #[error("{model}: v_thresh ({v_thresh} mV) must be above v_reset ({v_reset} mV)")]
    ThresholdNotAboveReset {
        /// PyNN-style model name.
        model: &'static str,
        /// Threshold, mV.
        v_thresh: f64,
        /// Reset potential, mV.
        v_reset: f64,
    },

    // ----- network -------------------------------------------------------------------
    /// The network has no population at all.
    #[error("network has no populations (the first population must be the input spike source)")]
    NoPopulations,
    /// The first population (the input layer) is not a spike source.
    #[error("population 0 is the input layer and must be a SpikeSource, got {model}")]
    InputNotSpikeSource {
        /// Model name of population 0.
        model: &'static str,
    },
    /// A population other than the first is a spike source.
    #[error("population {population} is a SpikeSource; only population 0 may be one")]
    SpikeSourceNotInput {
        /// Index of the offending population.
        population: usize,
    },
    /// A population has no neurons.
    #[error("population {population} is empty (size 0)")]
    EmptyPopulation {
        /// Index of the offending population.
        population: usize,
    },
    /// A projection refers to a population index that does not exist.
    #[error("projection {projection} refers to population {population}, but the network has {populations}")]
    PopulationOutOfRange {
        /// Index of the projection.
        projection: usize,
        /// The population index it names.
        population: usize,
        /// Number of populations in the network.
        populations: usize,
    },
    /// A projection targets the input population, which cannot receive synapses.
    #[error("projection {projection} targets population 0, the input spike source")]
    ProjectionIntoInput {
        /// Index of the projection.
        projection: usize,
    },
    /// A projection's weight matrix does not have shape (pre size, post size): the layers
    /// do not chain.
    #[error(
        "projection {projection}: weight matrix is {found:?} but populations {pre} -> {post} need {expected:?} (pre, post)"
    )]
    WeightShape {
        /// Index of the projection.
        projection: usize,
        /// Pre-synaptic population index.
        pre: usize,
        /// Post-synaptic population index.
        post: usize,
        /// The shape the populations require, (pre size, post size).
        expected: [usize; 2],
        /// The shape given.
        found: [usize; 2],
    },
    /// A weight is NaN or infinite.
    #[error("projection {projection}: weight [{pre}, {post}] is not finite ({value})")]
    NonFiniteWeight {
        /// Index of the projection.
        projection: usize,
        /// Pre-synaptic neuron index (row).
        pre: usize,
        /// Post-synaptic neuron index (column).
        post: usize,
        /// The rejected value.
        value: f64,
    },
    /// A projection's delay is negative, NaN or infinite.
    #[error("projection {projection}: delay must be finite and >= 0 ms, got {delay_ms} ms")]
    InvalidDelay {
        /// Index of the projection.
        projection: usize,
        /// The rejected delay, ms.
        delay_ms: f64,
    },
    /// A non-input population receives no projection, so it can never spike: the layers
    /// do not chain.
    #[error("population {population} receives no projection; the layers do not chain")]
    UnconnectedPopulation {
        /// Index of the population.
        population: usize,
    },
    /// A projection index passed to a method does not exist.
    #[error("projection {projection} does not exist; the network has {projections}")]
    ProjectionOutOfRange {
        /// The index given.
        projection: usize,
        /// Number of projections in the network.
        projections: usize,
    },

    // ----- spike encoding and input --------------------------------------------------
    /// Encoding a batch would hold more spike times than [`MAX_INPUT_BYTES`](crate::encode::MAX_INPUT_BYTES)
    /// allows: the check runs before anything is allocated.
    #[error(
        "encoding {images} images at up to {max_freq_hz} Hz for {duration_ms} ms would hold about {spikes} \
         input spikes ({bytes} bytes), more than the limit of {limit_bytes} bytes per batch: lower the \
         rate (--max-freq) or the images per run (--batch)"
    )]
    InputTooLarge {
        /// Images in the batch.
        images: usize,
        /// The encoder's maximum rate, Hz.
        max_freq_hz: f64,
        /// Presentation per image, ms.
        duration_ms: f64,
        /// Estimated spikes (exact for regular trains, the mean for Poisson trains).
        spikes: u64,
        /// Estimated bytes of spike times.
        bytes: u64,
        /// The limit, bytes.
        limit_bytes: u64,
    },
    /// The encoder's maximum rate is zero, negative, NaN or infinite.
    #[error("encoder max_freq must be finite and > 0 Hz, got {max_freq_hz} Hz")]
    InvalidRate {
        /// The rejected rate, Hz.
        max_freq_hz: f64,
    },
    /// A pixel is NaN or outside [0, 1].
    #[error("image {image}, pixel {pixel}: value {value} is not in [0, 1]")]
    InvalidPixel {
        /// Image index within the batch.
        image: usize,
        /// Pixel index within the image.
        pixel: usize,
        /// The rejected value.
        value: f64,
    },
    /// The presentation time per image is zero, negative, NaN or infinite.
    #[error("image duration must be finite and > 0 ms, got {duration_ms} ms")]
    InvalidDuration {
        /// The rejected duration, ms.
        duration_ms: f64,
    },
    /// A copy layout or number of network copies is invalid.
    #[error("invalid network copies: {reason}")]
    InvalidCopies {
        /// What is wrong.
        reason: String,
    },
    /// The pause between images is negative, NaN or infinite.
    #[error("pause between images must be finite and >= 0 ms, got {pause_ms} ms")]
    InvalidPause {
        /// The rejected pause, ms.
        pause_ms: f64,
    },
    /// A spike time is NaN, negative or after the image's duration.
    #[error("image {image}, input {neuron}: spike time {time_ms} ms is outside [0, {duration_ms}] ms")]
    InvalidSpikeTime {
        /// Image index.
        image: usize,
        /// Input neuron index.
        neuron: usize,
        /// The rejected time, ms relative to the image start.
        time_ms: f64,
        /// The image duration, ms.
        duration_ms: f64,
    },
    /// The spike times of one input neuron are not sorted ascending.
    #[error("image {image}, input {neuron}: spike times are not sorted ascending")]
    UnsortedSpikeTimes {
        /// Image index.
        image: usize,
        /// Input neuron index.
        neuron: usize,
    },
    /// A batch of images or spike trains has the wrong number of inputs.
    #[error("expected {expected} inputs per image, got {found}")]
    InputSize {
        /// Inputs per image expected.
        expected: usize,
        /// Inputs per image given.
        found: usize,
    },
    /// Compressed spike-train offsets are not a valid prefix-sum table.
    #[error("spike-train offsets are malformed: {reason}")]
    MalformedOffsets {
        /// What is wrong with them.
        reason: &'static str,
    },
    /// An image index is out of range.
    #[error("image {image} does not exist; the batch has {images}")]
    ImageOutOfRange {
        /// The index given.
        image: usize,
        /// Number of images in the batch.
        images: usize,
    },

    // ----- time grid -------------------------------------------------------------------
    /// A simulation time step is zero, negative, NaN or infinite.
    #[error("time step dt must be finite and > 0 ms, got {dt_ms} ms")]
    InvalidTimestep {
        /// The rejected step, ms.
        dt_ms: f64,
    },

    // ----- readout ---------------------------------------------------------------------
    /// The number of labels differs from the number of images.
    #[error("{labels} labels for {images} images")]
    LabelCount {
        /// Number of images (rows of the count matrix).
        images: usize,
        /// Number of labels given.
        labels: usize,
    },
    /// An accuracy was asked for zero images.
    #[error("accuracy of an empty batch is undefined")]
    EmptyBatch,
}
