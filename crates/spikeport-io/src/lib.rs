//! # spikeport-io — model interchange
//!
//! * [`onnx`]: import feed-forward classifiers exported by PyTorch or Keras as ONNX into
//!   spikeport's ANN [`Model`], with typed errors for everything outside that subset.
//! * [`nir`]: export a converted [`SnnNetwork`] to NIR (HDF5, readable by NIR's reference
//!   Python package) and import it back; `IF_cond_exp` has no NIR node and is refused unless
//!   its current-based approximation is asked for.
//! * [`load_model`]: one entry point for model files, chosen by extension (`.onnx`,
//!   spikeport's `.npz`/`.json`, `.nir`).
//!
//! Biases: spikeport's ANN keeps them ([`spikeport_ann::Dense`] has an optional bias), and
//! the conversions to spiking networks take bias-free networks. [`Model::with_bias_input`]
//! folds the biases onto a constant input unit (and one relay unit per hidden layer), which
//! converts like any other unit; [`load_model`] returns models folded that way. See
//! `docs/interop.md` for the commands and the mapping tables.

mod error;
pub mod nir;
pub mod onnx;

use std::path::Path;

pub use error::{IoError, Result};
pub use onnx::{import_onnx, import_onnx_bytes, OnnxImport};

use spikeport_ann::Model;
use spikeport_snn::SnnNetwork;

/// A model read by [`load_model`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LoadedModel {
    /// A non-spiking network, ready for the ANN→SNN conversions (bias-free: biases, if any,
    /// are folded onto a constant input by [`Model::with_bias_input`]).
    Ann {
        /// The model (boxed: it is much larger than the other variant).
        model: Box<Model>,
        /// What the import dropped or folded (empty for spikeport's own files).
        notes: Vec<String>,
    },
    /// A spiking network read from NIR ([`nir::import_nir`]), to run without conversion.
    Snn {
        /// The network.
        network: SnnNetwork,
        /// Whether its last input is a constant bias input (append a 1 to every image).
        bias_input: bool,
        /// Defaults the import assumed.
        notes: Vec<String>,
    },
}

/// Reads a model file, choosing the reader by extension: `.onnx` ([`import_onnx`], with
/// the preprocessing [`onnx::default_preprocessing`] guesses from the input size), `.npz`
/// or `.json` (spikeport's own format, [`Model::load`]), `.nir` ([`nir::import_nir`], a
/// spiking network). A model with biases is returned folded by
/// [`Model::with_bias_input`], with a note saying so.
///
/// **Errors** with [`IoError::UnknownExtension`] for any other extension, and with the
/// reader's errors.
pub fn load_model(path: &Path) -> Result<LoadedModel> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let (model, mut notes) = match ext.as_deref() {
        Some("onnx") => {
            let import = import_onnx(path, None)?;
            (import.model, import.notes)
        }
        Some("npz") | Some("json") => (Model::load(path)?, Vec::new()),
        Some("nir") => {
            let import = nir::import_nir(path)?;
            return Ok(LoadedModel::Snn {
                network: import.network,
                bias_input: import.bias_input,
                notes: import.notes,
            });
        }
        _ => return Err(IoError::UnknownExtension { path: path.to_path_buf() }),
    };
    if model.network.has_bias() {
        notes.push(
            "biases folded onto a constant input unit (firing at the maximum input rate) and one relay \
             unit per hidden layer, for the bias-free conversion"
                .into(),
        );
    }
    Ok(LoadedModel::Ann { model: Box::new(model.with_bias_input()?), notes })
}

#[cfg(test)]
mod autotraits {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        send_sync::<IoError>();
        send_sync::<LoadedModel>();
        send_sync::<OnnxImport>();
        send_sync::<nir::NirGraph>();
        send_sync::<nir::NirExport>();
        send_sync::<nir::NirImport>();
        send_sync::<nir::NirExportOptions>();
    }
}
