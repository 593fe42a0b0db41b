//! Experiment files: the TOML configuration of each `spikeport` subcommand.
//!
//! Every subcommand reads its settings from the struct here with the same name (keys at the
//! top level of the file; [`TableConfig`](crate::table::TableConfig) nests `[hil]`).
//! Every key has a default, so a file only names what it changes. [`load`] checks the keys
//! before reading the values: an unknown key is an error that names it, where it is, and the
//! closest valid key.
//!
//! ```
//! use spikeport_app::config::{parse, RunConfig};
//!
//! let cfg: RunConfig = parse("network = \"nas63\"\nimages = 500\n", "run.toml")?;
//! assert_eq!((cfg.network.as_str(), cfg.images, cfg.platform.as_str()), ("nas63", 500, "fast"));
//!
//! let err = parse::<RunConfig>("imagse = 500\n", "run.toml").unwrap_err().to_string();
//! assert!(err.contains("unknown key `imagse`") && err.contains("did you mean `images`"), "{err}");
//! # Ok::<(), spikeport_app::config::ConfigError>(())
//! ```

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::experiment::closest;

/// Errors of reading an experiment file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A key that the section does not have.
    #[error("{file}: unknown key `{key}` {section}{}; valid keys: {}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(), .valid.join(", "))]
    UnknownKey {
        /// The file.
        file: String,
        /// The key.
        key: String,
        /// Where: `at the top level` or `in [section]`.
        section: String,
        /// The closest valid key, if one is close.
        suggestion: Option<String>,
        /// Every valid key there.
        valid: Vec<String>,
    },
    /// Not TOML, or a value of the wrong type.
    #[error("{file}: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// The parser's message (with line and column).
        reason: String,
    },
}

/// Parses `text` (the contents of `file`, named in errors) into `T`, after checking every
/// key against the keys `T::default()` serialises to, recursively through sub-tables.
///
/// **Errors** with [`ConfigError::UnknownKey`] for a key `T` does not have, or
/// [`ConfigError::Invalid`] for malformed TOML or a value of the wrong type.
pub fn parse<T: Default + Serialize + DeserializeOwned>(text: &str, file: &str) -> Result<T, ConfigError> {
    let value: toml::Table = toml::from_str(text)
        .map_err(|e| ConfigError::Invalid { file: file.into(), reason: e.to_string() })?;
    let known = serde_json::to_value(T::default())
        .map_err(|e| ConfigError::Invalid { file: file.into(), reason: e.to_string() })?;
    check_keys(&value, &known, file, "at the top level")?;
    // from the text again, so that a badly typed value is reported with its line and column
    toml::from_str::<T>(text).map_err(|e| ConfigError::Invalid { file: file.into(), reason: e.to_string() })
}

/// Reads and parses an experiment file ([`parse`]).
///
/// **Errors** with [`ConfigError::Io`] if it cannot be read, else as [`parse`].
pub fn load<T: Default + Serialize + DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: file.clone(), source })?;
    parse(&text, &file)
}

fn check_keys(
    table: &toml::Table,
    known: &serde_json::Value,
    file: &str,
    section: &str,
) -> Result<(), ConfigError> {
    let Some(known) = known.as_object() else { return Ok(()) };
    for (key, value) in table {
        match known.get(key) {
            None => {
                let valid: Vec<String> = known.keys().cloned().collect();
                return Err(ConfigError::UnknownKey {
                    file: file.into(),
                    key: key.clone(),
                    section: section.into(),
                    suggestion: closest(key, valid.iter().map(String::as_str)).map(str::to_string),
                    valid,
                });
            }
            Some(sub @ serde_json::Value::Object(_)) => {
                if let toml::Value::Table(t) = value {
                    check_keys(t, sub, file, &format!("in [{key}]"))?;
                }
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// `spikeport run`: one network on one platform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// Zoo network, default `nas63`; ignored when `model` is set.
    pub network: String,
    /// A model file instead of a zoo network: spikeport's `.npz`/`.json`
    /// (docs/model-format.md) or `.onnx` (docs/interop.md).
    pub model: Option<String>,
    /// Platform (one of [`PLATFORMS`](crate::registry::PLATFORMS)), default `fast`.
    pub platform: String,
    /// Test images, default 10,000.
    pub images: usize,
    /// `paper` (one global weight scale) or `per-layer` (data-based normalisation, reset by
    /// subtraction), default `paper`.
    pub conversion: String,
    /// Global weight scale, µS (paper conversion); unset sweeps it on training images.
    pub max_weight: Option<f64>,
    /// Maximum input rate, Hz (digital platforms; the analog ones use their paper setting);
    /// default 120 (paper conversion) or 250 (per-layer).
    pub max_freq_hz: Option<f64>,
    /// Training images for a sweep or the per-layer calibration, default 500.
    pub calibration_images: usize,
    /// Images per simulated batch, default 256.
    pub batch: usize,
    /// Deployment seed (chip seed of the analog models), default 0.
    pub seed: u64,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            network: "nas63".into(),
            model: None,
            platform: "fast".into(),
            images: 10_000,
            conversion: "paper".into(),
            max_weight: None,
            max_freq_hz: None,
            calibration_images: 500,
            batch: 256,
            seed: 0,
        }
    }
}

/// `spikeport sweep`: the weight scale (and input rate) by accuracy on training images.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SweepConfig {
    /// Zoo network, default `nas63`; ignored when `model` is set.
    pub network: String,
    /// A model file (`.npz`, `.json` or `.onnx`) instead of a zoo network.
    pub model: Option<String>,
    /// Platform, default `fast`.
    pub platform: String,
    /// Training images, default 500.
    pub calibration_images: usize,
    /// Candidate `max_weight` values, µS; empty takes the platform family's grid
    /// ([`DIGITAL_SWEEP_US`](crate::table::DIGITAL_SWEEP_US) or
    /// [`ANALOG_SWEEP_US`](crate::table::ANALOG_SWEEP_US)).
    pub max_weights: Vec<f64>,
    /// Candidate maximum input rates, Hz; empty keeps the platform's.
    pub max_freqs_hz: Vec<f64>,
    /// Deployment seed, default 0.
    pub seed: u64,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            network: "nas63".into(),
            model: None,
            platform: "fast".into(),
            calibration_images: 500,
            max_weights: Vec::new(),
            max_freqs_hz: Vec::new(),
            seed: 0,
        }
    }
}

/// How `spikeport hil` chooses an unset weight scale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleSweep {
    /// By the accuracy of the converted network before HIL.
    #[default]
    Conversion,
    /// By the accuracy after a short HIL run per candidate.
    Hil,
}

/// `spikeport hil`: hardware-in-the-loop training on an analog platform's chip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HilRunConfig {
    /// Zoo network, default `spikey-net`; ignored when `model` is set.
    pub network: String,
    /// A model file (`.npz`, `.json` or `.onnx`) instead of a zoo network.
    pub model: Option<String>,
    /// Any platform of the registry with a HIL setting (every platform has the `test` one;
    /// the analog ones also the `paper` one), default `spikey`.
    pub platform: String,
    /// Test images before and after training, default 1,000.
    pub images: usize,
    /// Epochs, default 1 (the paper: 5).
    pub epochs: usize,
    /// Training images, default 2,000 (the paper: 60,000).
    pub train_images: usize,
    /// Global weight scale, µS; unset sweeps it on the chip as `scale_sweep` says.
    pub max_weight: Option<f64>,
    /// How an unset `max_weight` is swept: `"conversion"` (default: accuracy of the converted
    /// network on 500 training images, [`ANALOG_SWEEP_US`](crate::table::ANALOG_SWEEP_US)) or
    /// `"hil"` (accuracy after one HIL epoch per candidate,
    /// [`sweep_hil_scale`](crate::experiment::sweep_hil_scale); slower, and on Spikey 1–2 pp
    /// better after HIL).
    pub scale_sweep: ScaleSweep,
    /// Train only the last layer.
    pub last_layer_only: bool,
    /// HIL setting: `"test"` (default: train with the platform's test presentation) or
    /// `"paper"` (SNABSuite's ITL: its exact rules, Spikey trained **and tested** with
    /// 180 ms / 70 Hz); see [`crate::registry::HilPresentation`].
    pub presentation: crate::registry::HilPresentation,
    /// Chip seed, default 0.
    pub seed: u64,
}

impl Default for HilRunConfig {
    fn default() -> Self {
        Self {
            network: "spikey-net".into(),
            model: None,
            platform: "spikey".into(),
            images: 1000,
            epochs: 1,
            train_images: 2000,
            max_weight: None,
            scale_sweep: ScaleSweep::Conversion,
            last_layer_only: false,
            presentation: crate::registry::HilPresentation::Test,
            seed: 0,
        }
    }
}

/// `spikeport train`: train a zoo network with its recipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainRunConfig {
    /// Zoo network, default `spikey-net`.
    pub network: String,
    /// Where to write the model (`.npz`), default `target/zoo/NETWORK.npz`.
    pub out: Option<String>,
    /// Epochs; unset keeps the recipe's.
    pub epochs: Option<usize>,
    /// Shuffling/dropout seed; unset keeps the recipe's.
    pub seed: Option<u64>,
    /// SD of the multiplicative Gaussian noise on hidden activations during training
    /// ([`spikeport_ann::TrainConfig::hidden_noise`]); unset keeps the recipe's.
    pub hidden_noise: Option<f32>,
    /// Largest offset subtracted from hidden units' inputs during training
    /// ([`spikeport_ann::TrainConfig::hidden_offset`]); unset keeps the recipe's.
    pub hidden_offset: Option<f32>,
}

impl Default for TrainRunConfig {
    fn default() -> Self {
        Self {
            network: "spikey-net".into(),
            out: None,
            epochs: None,
            seed: None,
            hidden_noise: None,
            hidden_offset: None,
        }
    }
}

/// `spikeport convert`: convert a network for a platform and write the SNN as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConvertConfig {
    /// Zoo network, default `nas63`; ignored when `model` is set.
    pub network: String,
    /// A model file (`.npz`, `.json` or `.onnx`) instead of a zoo network.
    pub model: Option<String>,
    /// Platform whose neuron (and sweep) to use, default `fast`.
    pub platform: String,
    /// Global weight scale, µS; unset sweeps it on the platform.
    pub max_weight: Option<f64>,
    /// Training images of the sweep, default 500.
    pub calibration_images: usize,
    /// Output file (JSON of the `SnnNetwork`), default `NETWORK.snn.json`.
    pub out: Option<String>,
    /// Seed of the sweep's deployments, default 0.
    pub seed: u64,
}

impl Default for ConvertConfig {
    fn default() -> Self {
        Self {
            network: "nas63".into(),
            model: None,
            platform: "fast".into(),
            max_weight: None,
            calibration_images: 500,
            out: None,
            seed: 0,
        }
    }
}

/// `spikeport energy`: price an activity (or benchmark records) with a platform profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnergyConfig {
    /// Profile name (see `spikeport energy --list`), default `spinn5`.
    pub profile: String,
    /// A profile JSON file (e.g. from a fit) instead of a built-in profile.
    pub profile_file: Option<String>,
    /// An `EnergyInput` JSON file to price.
    pub input: Option<String>,
    /// A records JSON file (from `run --json` or `paper_benchmark --json`) whose every
    /// record is priced per image.
    pub records: Option<String>,
}

impl Default for EnergyConfig {
    fn default() -> Self {
        Self { profile: "spinn5".into(), profile_file: None, input: None, records: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableConfig;

    #[test]
    fn defaults_round_trip_and_every_config_accepts_an_empty_file() {
        assert_eq!(parse::<RunConfig>("", "f").ok(), Some(RunConfig::default()));
        assert_eq!(parse::<SweepConfig>("", "f").ok(), Some(SweepConfig::default()));
        assert_eq!(parse::<HilRunConfig>("", "f").ok(), Some(HilRunConfig::default()));
        assert_eq!(parse::<TrainRunConfig>("", "f").ok(), Some(TrainRunConfig::default()));
        assert_eq!(parse::<ConvertConfig>("", "f").ok(), Some(ConvertConfig::default()));
        assert_eq!(parse::<EnergyConfig>("", "f").ok(), Some(EnergyConfig::default()));
        assert_eq!(parse::<TableConfig>("", "f").ok(), Some(TableConfig::default()));
    }

    #[test]
    fn unknown_keys_are_named_with_their_section_and_a_suggestion() {
        let e = parse::<TableConfig>("[hil]\nepoch = 2\n", "t.toml").unwrap_err();
        match e {
            ConfigError::UnknownKey { key, section, suggestion, .. } => {
                assert_eq!((key.as_str(), section.as_str()), ("epoch", "in [hil]"));
                assert_eq!(suggestion.as_deref(), Some("epochs"));
            }
            other => panic!("expected UnknownKey, got {other}"),
        }
        let e = parse::<RunConfig>("colour = 1\n", "r.toml").unwrap_err();
        assert!(matches!(&e, ConfigError::UnknownKey { suggestion: None, .. }), "{e}");
        assert!(e.to_string().contains("valid keys: "), "{e}");
    }

    #[test]
    fn wrong_types_and_bad_toml_are_invalid_with_the_file_name() {
        let e = parse::<RunConfig>("network = \"nas63\"\nimages = \"many\"\n", "r.toml").unwrap_err();
        assert!(matches!(&e, ConfigError::Invalid { .. }) && e.to_string().starts_with("r.toml:"), "{e}");
        // a badly typed value is reported with its line and column, as docs/cli.md promises
        assert!(e.to_string().contains("line 2, column 10"), "{e}");
        let e = parse::<RunConfig>("images = \n", "r.toml").unwrap_err();
        assert!(matches!(e, ConfigError::Invalid { .. }));
        let e = load::<RunConfig>(Path::new("/nonexistent/run.toml")).unwrap_err();
        assert!(matches!(e, ConfigError::Io { .. }));
    }

    #[test]
    fn the_hil_scale_sweep_is_chosen_by_name() {
        let h: HilRunConfig = parse("scale_sweep = \"hil\"\n", "h.toml").expect("valid");
        assert_eq!(h.scale_sweep, ScaleSweep::Hil);
        assert_eq!(HilRunConfig::default().scale_sweep, ScaleSweep::Conversion);
        let e = parse::<HilRunConfig>("scale_sweep = \"hill\"\n", "h.toml").unwrap_err();
        assert!(matches!(e, ConfigError::Invalid { .. }), "{e}");
    }

    #[test]
    fn the_shipped_table_file_is_the_default_of_the_paper_table_example() {
        let t: TableConfig =
            parse(include_str!("../../../examples/paper_table.toml"), "paper_table.toml").expect("valid");
        assert_eq!(t, TableConfig::default());
    }

    #[test]
    fn table_values_are_read() {
        let t: TableConfig =
            parse("networks = [\"spikey-net\"]\nimages = 100\n[hil]\nepochs = 3\n", "t.toml").expect("valid");
        assert_eq!((t.networks.len(), t.images, t.hil.epochs, t.hil.train_images), (1, 100, 3, 2000));
    }
}
