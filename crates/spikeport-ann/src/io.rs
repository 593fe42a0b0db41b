//! Saving and loading models: weights as `.npz` plus a JSON header.
//!
//! A model `models/nas63` is two files side by side:
//!
//! * `nas63.npz` — a NumPy zip archive holding, for each layer `i` (0-based, input side
//!   first), `layer{i}.weight` of shape (inputs, outputs) and, only if the header says
//!   `"bias": true`, `layer{i}.bias` of shape (outputs). Arrays are `float32` (`float64` is
//!   accepted and converted) in C or Fortran order.
//! * `nas63.json` — a [`ModelHeader`]: format tag and version, layer sizes, input
//!   preprocessing, and optionally how it was trained and its test accuracy.
//!
//! See `docs/model-format.md` for writing such files from NumPy, PyTorch or Keras.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Ix1, Ix2, OwnedRepr};
use ndarray_npy::{NpzReader, NpzWriter, ReadNpyError, ReadNpzError};
use serde::{Deserialize, Serialize};
use spikeport_data::{Dataset, Preprocessing};

use crate::error::{AnnError, Result};
use crate::metrics::Evaluation;
use crate::network::{Dense, Network};
use crate::train::TrainConfig;

/// The `format` tag of every spikeport model header.
pub const FORMAT: &str = "spikeport-model";
/// The header version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// How a model was trained, as recorded in its header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRecord {
    /// The training settings.
    pub config: TrainConfig,
    /// Number of training images.
    pub train_images: usize,
    /// Wall-clock training time, in seconds.
    pub seconds: f64,
    /// Rayon threads used.
    pub threads: usize,
    /// Mean batch loss of the last epoch.
    pub final_loss: f32,
    /// Version of spikeport that trained it.
    pub spikeport_version: String,
}

/// The JSON header of a model file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelHeader {
    /// Always [`FORMAT`] (`"spikeport-model"`).
    pub format: String,
    /// Header version, [`FORMAT_VERSION`].
    pub version: u32,
    /// Model name, e.g. `"nas63"`.
    pub name: String,
    /// Input size, then each layer's number of units, e.g. `[784, 43, 10, 10]`.
    pub sizes: Vec<usize>,
    /// Whether every layer has a bias array.
    #[serde(default)]
    pub bias: bool,
    /// Whether the network's last input is a constant 1 appended after preprocessing (a
    /// *bias input*: the biases of a network folded by [`Model::with_bias_input`] are its
    /// weights). Written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bias_input: bool,
    /// Hidden-layer activation; only `"relu"` is supported.
    pub hidden_activation: String,
    /// Output-layer activation; only `"linear"` is supported (a softmax changes no argmax).
    pub output_activation: String,
    /// How raw images become network inputs.
    pub preprocessing: Preprocessing,
    /// How the model was trained, if spikeport trained it.
    #[serde(default)]
    pub training: Option<TrainingRecord>,
    /// Test-set accuracy in percent, as measured when the model was saved.
    #[serde(default)]
    pub test_accuracy_pct: Option<f64>,
    /// Number of test images behind `test_accuracy_pct`.
    #[serde(default)]
    pub test_images: Option<usize>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

impl ModelHeader {
    /// A header for `network` with the given name and preprocessing, nothing else recorded.
    pub fn for_network(name: &str, network: &Network, preprocessing: Preprocessing) -> Self {
        Self {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            name: name.into(),
            sizes: network.sizes(),
            bias: network.has_bias(),
            bias_input: false,
            hidden_activation: "relu".into(),
            output_activation: "linear".into(),
            preprocessing,
            training: None,
            test_accuracy_pct: None,
            test_images: None,
            description: None,
        }
    }

    fn check(&self, path: &Path) -> Result<()> {
        let bad = |reason: String| Err(AnnError::BadHeader { path: path.to_path_buf(), reason });
        if self.format != FORMAT {
            return bad(format!("format is `{}`, expected `{FORMAT}`", self.format));
        }
        if self.version != FORMAT_VERSION {
            return bad(format!(
                "version {} is not supported (this build reads version {FORMAT_VERSION})",
                self.version
            ));
        }
        if self.sizes.len() < 2 || self.sizes.contains(&0) {
            return bad(format!(
                "sizes {:?} must hold an input size and at least one layer, all > 0",
                self.sizes
            ));
        }
        if self.hidden_activation != "relu" {
            return bad(format!(
                "hidden_activation `{}` is not supported (only `relu`)",
                self.hidden_activation
            ));
        }
        if self.output_activation != "linear" {
            return bad(format!(
                "output_activation `{}` is not supported (only `linear`)",
                self.output_activation
            ));
        }
        Ok(())
    }
}

/// A network with its header: what is saved to and loaded from disk.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The header (name, sizes, preprocessing, provenance).
    pub header: ModelHeader,
    /// The network.
    pub network: Network,
}

/// The `.npz` and `.json` paths of a model given as `stem`, `stem.npz` or `stem.json`.
pub fn model_paths(path: &Path) -> (PathBuf, PathBuf) {
    let stem = match path.extension().and_then(|e| e.to_str()) {
        Some("npz") | Some("json") => path.with_extension(""),
        _ => path.to_path_buf(),
    };
    let with = |ext: &str| {
        let mut s = stem.clone().into_os_string();
        s.push(ext);
        PathBuf::from(s)
    };
    (with(".npz"), with(".json"))
}

fn npz_err(path: &Path, e: impl std::fmt::Display) -> AnnError {
    AnnError::Npz { path: path.to_path_buf(), reason: e.to_string() }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> AnnError + '_ {
    move |source| AnnError::Io { path: path.to_path_buf(), source }
}

/// Writes `bytes` to `path` atomically (temporary file, then rename).
fn write_atomic(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let file = File::create(&tmp).map_err(io_err(&tmp))?;
    let mut w = BufWriter::new(file);
    write(&mut w)?;
    w.flush().map_err(io_err(&tmp))?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// Reads a float array, accepting `float32` or `float64` (converted to f32).
fn read_f32<D: ndarray::Dimension>(
    npz: &mut NpzReader<BufReader<File>>,
    path: &Path,
    name: &str,
) -> Result<ndarray::Array<f32, D>> {
    match npz.by_name::<OwnedRepr<f32>, D>(name) {
        Ok(a) => Ok(a),
        Err(ReadNpzError::Npy(ReadNpyError::WrongDescriptor(_))) => npz
            .by_name::<OwnedRepr<f64>, D>(name)
            .map(|a| a.mapv(|v| v as f32))
            .map_err(|e| npz_err(path, format!("array `{name}`: {e}"))),
        Err(e) => Err(npz_err(path, format!("array `{name}`: {e}"))),
    }
}

impl Model {
    /// A model from a header and a network; checks that they agree.
    pub fn new(header: ModelHeader, network: Network) -> Result<Self> {
        let p = Path::new("<header>");
        header.check(p)?;
        if header.sizes != network.sizes() || header.bias != network.has_bias() {
            return Err(AnnError::BadHeader {
                path: p.into(),
                reason: format!(
                    "header sizes {:?} (bias {}) do not match the network {:?} (bias {})",
                    header.sizes,
                    header.bias,
                    network.sizes(),
                    network.has_bias()
                ),
            });
        }
        Ok(Self { header, network })
    }

    /// Saves `stem.npz` and `stem.json` (`path` may also end in `.npz` or `.json`), each
    /// written atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let (npz_path, json_path) = model_paths(path);
        if let Some(dir) = npz_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        write_atomic(&npz_path, |w| {
            let mut npz = NpzWriter::new_compressed(w);
            for (i, layer) in self.network.layers().iter().enumerate() {
                npz.add_array(format!("layer{i}.weight"), &layer.weight())
                    .map_err(|e| npz_err(&npz_path, e))?;
                if let Some(b) = layer.bias() {
                    npz.add_array(format!("layer{i}.bias"), &b).map_err(|e| npz_err(&npz_path, e))?;
                }
            }
            npz.finish().map_err(|e| npz_err(&npz_path, e))?;
            Ok(())
        })?;
        write_atomic(&json_path, |w| {
            serde_json::to_writer_pretty(&mut *w, &self.header)
                .map_err(|source| AnnError::Json { path: json_path.clone(), source })?;
            w.write_all(b"\n").map_err(io_err(&json_path))
        })
    }

    /// The model's content as bytes, for fingerprints of results it produced: the header as
    /// JSON (name, sizes, preprocessing, provenance), then [`Network::content_bytes`].
    pub fn content_bytes(&self) -> Vec<u8> {
        // a header of strings, numbers and enums always serialises
        let mut bytes = serde_json::to_vec(&self.header).unwrap_or_default();
        bytes.extend(self.network.content_bytes());
        bytes
    }

    /// Loads `stem.npz` and `stem.json` (`path` may also end in `.npz` or `.json`).
    ///
    /// **Errors** if a file is missing or malformed, the header is unsupported, an array is
    /// missing, unexpected or of the wrong shape, layers do not chain, or a value is NaN or
    /// infinite.
    pub fn load(path: &Path) -> Result<Self> {
        let (npz_path, json_path) = model_paths(path);
        let json = std::fs::read(&json_path).map_err(io_err(&json_path))?;
        let header: ModelHeader = serde_json::from_slice(&json)
            .map_err(|source| AnnError::Json { path: json_path.clone(), source })?;
        header.check(&json_path)?;
        let network = load_weights(&npz_path, &header.sizes, header.bias)?;
        Ok(Self { header, network })
    }

    /// The network's input features for `data`, after the header's preprocessing, with a
    /// constant 1 appended to every row if the header has a
    /// [`bias_input`](ModelHeader::bias_input).
    ///
    /// **Errors** if the preprocessed size differs from the network's input size.
    pub fn features(&self, data: &Dataset) -> Result<Array2<f32>> {
        let x = self.header.preprocessing.apply(data)?;
        let x = if self.header.bias_input {
            let mut with = Array2::ones((x.nrows(), x.ncols() + 1));
            with.slice_mut(ndarray::s![.., ..x.ncols()]).assign(&x);
            with
        } else {
            x
        };
        if x.ncols() != self.network.inputs() {
            return Err(AnnError::ShapeMismatch {
                what: format!("inputs of model `{}` after {:?}", self.header.name, self.header.preprocessing),
                expected: vec![x.nrows(), self.network.inputs()],
                found: vec![x.nrows(), x.ncols()],
            });
        }
        Ok(x)
    }

    /// The same model without biases: [`Network::with_bias_unit`] with the header's
    /// [`bias_input`](ModelHeader::bias_input) set, so that [`Model::features`] appends
    /// the constant input. A model without biases is returned unchanged.
    ///
    /// Use it to convert a network trained with biases: the ANN→SNN conversions take
    /// bias-free networks, and the constant input becomes an input neuron firing at the
    /// encoder's maximum rate.
    ///
    /// **Errors** with [`AnnError::InvalidConfig`] if the model already has a bias input
    /// and biases (a second constant input is not supported).
    pub fn with_bias_input(&self) -> Result<Self> {
        if !self.network.has_bias() {
            return Ok(self.clone());
        }
        if self.header.bias_input {
            return Err(AnnError::InvalidConfig {
                name: "bias_input",
                reason: format!(
                    "model `{}` already has a bias input and still has biases: cannot add a second one",
                    self.header.name
                ),
            });
        }
        let network = self.network.with_bias_unit()?;
        let mut header = self.header.clone();
        header.sizes = network.sizes();
        header.bias = false;
        header.bias_input = true;
        Ok(Self { header, network })
    }

    /// Accuracy and confusion matrix on a dataset (preprocessed as the header says).
    pub fn evaluate(&self, data: &Dataset) -> Result<Evaluation> {
        let x = self.features(data)?;
        self.network.evaluate(x.view(), data.labels())
    }
}

/// Reads the weights of a network with the given `sizes` from an `.npz` file.
pub fn load_weights(npz_path: &Path, sizes: &[usize], bias: bool) -> Result<Network> {
    let file = File::open(npz_path).map_err(io_err(npz_path))?;
    let mut npz = NpzReader::new(BufReader::new(file)).map_err(|e| npz_err(npz_path, e))?;
    let names = npz.names().map_err(|e| npz_err(npz_path, e))?;
    let layers = sizes.len().saturating_sub(1);
    let mut expected: Vec<String> = (0..layers).map(|i| format!("layer{i}.weight")).collect();
    if bias {
        expected.extend((0..layers).map(|i| format!("layer{i}.bias")));
    }
    if let Some(extra) = names.iter().find(|n| !expected.contains(n)) {
        return Err(AnnError::Npz {
            path: npz_path.to_path_buf(),
            reason: format!(
                "unexpected array `{extra}` (a {layers}-layer model{} holds {})",
                if bias { " with biases" } else { " without biases" },
                expected.join(", ")
            ),
        });
    }
    let mut dense = Vec::with_capacity(layers);
    for i in 0..layers {
        let wname = format!("layer{i}.weight");
        if !names.contains(&wname) {
            return Err(AnnError::MissingArray { path: npz_path.to_path_buf(), name: wname });
        }
        let w: Array2<f32> = read_f32::<Ix2>(&mut npz, npz_path, &wname)?;
        if w.dim() != (sizes[i], sizes[i + 1]) {
            return Err(AnnError::ShapeMismatch {
                what: format!("{}: `{wname}` (inputs, outputs)", npz_path.display()),
                expected: vec![sizes[i], sizes[i + 1]],
                found: w.shape().to_vec(),
            });
        }
        let b: Option<Array1<f32>> = if bias {
            let bname = format!("layer{i}.bias");
            if !names.contains(&bname) {
                return Err(AnnError::MissingArray { path: npz_path.to_path_buf(), name: bname });
            }
            Some(read_f32::<Ix1>(&mut npz, npz_path, &bname)?)
        } else {
            None
        };
        dense.push(Dense::new(w, b, i)?);
    }
    Network::new(dense)
}
