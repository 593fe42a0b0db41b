//! The crate's error type.

use std::path::PathBuf;

use crate::Term;

/// Everything that can go wrong in `spikeport-energy`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnergyError {
    /// A field of an [`EnergyInput`](crate::EnergyInput) is negative, NaN or infinite.
    #[error("energy input field `{field}` is {value}: it must be finite and >= 0")]
    InvalidInput {
        /// Field name, e.g. `"hardware_time_s"`.
        field: &'static str,
        /// The offending value.
        value: f64,
    },

    /// A coefficient of a profile is negative, NaN or infinite, or has no source.
    #[error("profile `{profile}`: coefficient `{term}` {reason}")]
    InvalidCoefficient {
        /// Profile name.
        profile: String,
        /// The coefficient's term.
        term: Term,
        /// What is wrong, e.g. `"has value NaN"`.
        reason: String,
    },

    /// A profile is malformed in a way not tied to one coefficient.
    #[error("profile `{profile}`: {reason}")]
    InvalidProfile {
        /// Profile name (may be empty when the name itself is the problem).
        profile: String,
        /// What is wrong.
        reason: String,
    },

    /// A profile's JSON could not be parsed: syntax, a missing field, or an unknown key
    /// (the message names the key and lists the valid ones).
    #[error("profile JSON: {0}")]
    Json(#[from] serde_json::Error),

    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// No readable RAPL energy counter under the powercap directory.
    #[error("RAPL unavailable under {root}: {reason}")]
    RaplUnavailable {
        /// The powercap directory searched (normally `/sys/class/powercap`).
        root: PathBuf,
        /// Why, e.g. "no intel-rapl zones" or "permission denied".
        reason: String,
    },

    /// A RAPL counter file could not be read or parsed after the meter had started.
    #[error("RAPL counter {path}: {reason}")]
    RaplCounter {
        /// The counter file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },

    /// A per-image figure was asked for an input with zero images.
    #[error("per-image energy needs images > 0 in the input")]
    NoImages,

    /// `fit` was given no terms.
    #[error("fit: no terms to fit")]
    NoTerms,

    /// `fit` was given the same term twice.
    #[error("fit: term `{0}` appears twice")]
    DuplicateTerm(Term),

    /// `fit` needs more samples than terms (one degree of freedom at least, for the
    /// residual variance).
    #[error("fit: {samples} samples for {terms} terms; need at least {} samples", terms + 1)]
    TooFewSamples {
        /// Samples given.
        samples: usize,
        /// Terms to fit.
        terms: usize,
    },

    /// A fit sample's measured energy is negative, NaN or infinite.
    #[error("fit: sample {sample} has measured energy {value} J: it must be finite and >= 0")]
    InvalidSample {
        /// Index of the sample.
        sample: usize,
        /// The offending value.
        value: f64,
    },

    /// A fit sample's input is invalid (see [`EnergyError::InvalidInput`]).
    #[error("fit: sample {sample}: {source}")]
    InvalidSampleInput {
        /// Index of the sample.
        sample: usize,
        /// What is wrong with its input.
        #[source]
        source: Box<EnergyError>,
    },

    /// A term's quantity is zero in every sample, so its coefficient is not determined.
    #[error("fit: term `{0}` is zero in every sample; its coefficient cannot be determined")]
    ZeroColumn(Term),

    /// The quantities of the fitted terms are linearly dependent on the samples given
    /// (e.g. two terms always proportional), so the coefficients are not determined.
    #[error("fit: the quantities of terms {terms:?} are linearly dependent on these samples")]
    Singular {
        /// The terms on the active set when the dependency was found.
        terms: Vec<Term>,
    },
}
