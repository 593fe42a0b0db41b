//! Errors of the analog platform configuration.

/// A bad analog configuration value (mismatch spread, noise level or platform profile).
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum AnalogError {
    /// A relative spread or noise level outside its range or not finite.
    #[error("invalid {name}: {value} (relative spreads must be finite and in [0, 1], noise ≥ 0)")]
    InvalidSpread {
        /// Which setting.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A loss rate (synapse loss, input spike loss) outside [0, 1) or not finite.
    #[error("invalid {name}: {value} (a loss rate must be finite and in [0, 1))")]
    InvalidLossRate {
        /// Which rate.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// An inconsistent platform profile.
    #[error("invalid analog platform profile: {what}")]
    InvalidProfile {
        /// What is wrong.
        what: String,
    },
}
