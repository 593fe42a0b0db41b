//! # spikeport-convert — from a trained ANN to a spiking network
//!
//! Two ways to turn a bias-free ReLU [`Network`] into an [`SnnNetwork`] of rate-coded
//! integrate-and-fire neurons, one population per dense layer, delay 1 ms by default:
//!
//! * [`convert_global`] — the paper's method (Ostrau et al. 2020): one factor
//!   `max_weight / w⁺` for all layers, where `w⁺` is the largest positive ANN weight; the
//!   synaptic weight is factor × ANN weight (µS for conductance synapses, nA for current
//!   synapses), and a negative weight drives the inhibitory receptor (the contract's sign
//!   convention). `max_weight` is platform-dependent: [`sweep`] finds it.
//! * [`convert_normalised`] — per-layer data-based normalisation (Diehl et al. 2015,
//!   Rueckauer et al. 2017): `λ_l` is a high percentile (99.9 by default) of layer `l`'s ANN
//!   activations on calibration images (λ₀ = 1 for pixels in [0, 1]); weights become
//!   `W_l · λ_{l−1} / λ_l`, so that normalised activations lie in [0, ~1], and drive
//!   non-leaky integrate-and-fire neurons with voltage-jump synapses and reset by
//!   subtraction ([`IfCurrDeltaSub`](spikeport_snn::NeuronModel::IfCurrDeltaSub)): a
//!   weight of 1 is one full threshold step, so a neuron's rate approximates its normalised
//!   activation × the input's maximum rate.
//!
//! ```
//! use spikeport_ann::{Init, Network};
//! use spikeport_convert::convert_global;
//! use spikeport_snn::IfCondExpParams;
//!
//! let ann = Network::init(&[4, 3, 2], false, Init::GlorotUniform, 1)?;
//! let lif = IfCondExpParams::paper_digital().into_model()?;
//! let snn = convert_global(&ann, &lif, 0.015, 1.0)?.network;
//! assert_eq!(snn.sizes(), vec![4, 3, 2]);
//! let largest = snn.projections().iter().flat_map(|p| p.weights.iter().copied()).fold(0.0, f64::max);
//! assert!((largest - 0.015).abs() < 1e-12); // the largest weight becomes max_weight
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod normalise;
mod sweep;

pub use error::ConvertError;
pub use normalise::{activation_percentiles, convert_normalised, NormalisationReport, DEFAULT_PERCENTILE};
pub use sweep::{choose, sweep, SweepPoint, SweepResult, SweepSettings};

use ndarray::Array2;
use spikeport_ann::Network;
use spikeport_snn::{NeuronModel, SnnNetwork};

/// Default synaptic delay of converted networks, ms (the paper's).
pub const DEFAULT_DELAY_MS: f64 = 1.0;

/// Rejects networks the conversions cannot represent (biases).
pub(crate) fn check_ann(ann: &Network) -> Result<(), ConvertError> {
    if ann.has_bias() {
        return Err(ConvertError::BiasUnsupported);
    }
    Ok(())
}

/// The largest positive weight over all layers of `ann`.
///
/// **Errors** with [`ConvertError::NoPositiveWeight`] if no weight is positive.
pub fn largest_positive_weight(ann: &Network) -> Result<f32, ConvertError> {
    let w = ann.max_weight();
    if w > 0.0 && w.is_finite() {
        Ok(w)
    } else {
        Err(ConvertError::NoPositiveWeight)
    }
}

/// A network converted with one global factor, and that factor.
#[derive(Clone, Debug, PartialEq)]
pub struct Scaled {
    /// The spiking network.
    pub network: SnnNetwork,
    /// The factor every ANN weight was multiplied by: `max_weight / w⁺`, in the unit of the
    /// neuron's synapses per unit of ANN weight (hardware-in-the-loop training maps
    /// trained ANN weights back with it).
    pub scale: f64,
}

/// The paper's conversion: every ANN weight times `max_weight / w⁺` (w⁺ the largest positive
/// ANN weight), every layer a population of `neuron`, every projection with `delay_ms`.
/// Returns the network and the factor.
///
/// `max_weight` is in the unit of `neuron`'s synapses (µS for `IF_cond_exp`, nA for
/// `IF_curr_exp`, mV for voltage-jump synapses).
///
/// **Errors** if `max_weight` or `delay_ms` is not finite and positive (delay ≥ 0), the ANN has
/// biases or no positive weight, or the resulting network is invalid.
pub fn convert_global(
    ann: &Network,
    neuron: &NeuronModel,
    max_weight: f64,
    delay_ms: f64,
) -> Result<Scaled, ConvertError> {
    check_ann(ann)?;
    if !(max_weight.is_finite() && max_weight > 0.0) {
        return Err(ConvertError::InvalidArgument {
            name: "max_weight",
            reason: format!("must be finite and > 0, got {max_weight}"),
        });
    }
    let scale = max_weight / f64::from(largest_positive_weight(ann)?);
    let layers = ann.layers().iter().map(|l| (*neuron, scaled(l.weight(), scale)));
    Ok(Scaled { network: SnnNetwork::feed_forward(ann.inputs(), layers, delay_ms)?, scale })
}

pub(crate) fn scaled(w: ndarray::ArrayView2<'_, f32>, factor: f64) -> Array2<f64> {
    w.mapv(|v| f64::from(v) * factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use spikeport_ann::Dense;
    use spikeport_snn::IfCondExpParams;

    fn ann() -> Network {
        Network::new(vec![
            Dense::new(array![[0.5, -0.25], [2.0, 0.0]], None, 0).unwrap(),
            Dense::new(array![[1.0], [-4.0]], None, 1).unwrap(),
        ])
        .unwrap()
    }

    #[test]
    fn global_factor_maps_largest_weight_to_max_weight_and_keeps_signs() {
        let lif = IfCondExpParams::paper_digital().into_model().unwrap();
        let Scaled { network: snn, scale } = convert_global(&ann(), &lif, 0.02, 1.0).unwrap();
        assert_eq!(scale, 0.01);
        let p = snn.projections();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].weights, array![[0.005, -0.0025], [0.02, 0.0]]);
        assert_eq!(p[1].weights, array![[0.01], [-0.04]]);
        assert!(p.iter().all(|p| p.delay_ms == 1.0));
        assert_eq!(snn.populations()[1].model, lif);
    }

    #[test]
    fn bad_arguments_are_typed_errors() {
        let lif = IfCondExpParams::paper_digital().into_model().unwrap();
        assert!(matches!(
            convert_global(&ann(), &lif, 0.0, 1.0),
            Err(ConvertError::InvalidArgument { name: "max_weight", .. })
        ));
        assert!(matches!(
            convert_global(&ann(), &lif, f64::NAN, 1.0),
            Err(ConvertError::InvalidArgument { .. })
        ));
        assert!(matches!(convert_global(&ann(), &lif, 0.01, -1.0), Err(ConvertError::Snn(_))));
        let neg = Network::new(vec![Dense::new(array![[-1.0f32]], None, 0).unwrap()]).unwrap();
        assert!(matches!(convert_global(&neg, &lif, 0.01, 1.0), Err(ConvertError::NoPositiveWeight)));
        let biased = Network::new(vec![Dense::new(array![[1.0f32]], Some(array![0.5]), 0).unwrap()]).unwrap();
        assert!(matches!(convert_global(&biased, &lif, 0.01, 1.0), Err(ConvertError::BiasUnsupported)));
    }
}
