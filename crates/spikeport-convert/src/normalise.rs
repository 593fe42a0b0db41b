//! Per-layer data-based normalisation (Diehl et al. 2015; Rueckauer et al. 2017).

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use spikeport_ann::Network;
use spikeport_snn::{IfCurrDeltaSubValidParams, NeuronModel, SnnNetwork};

use crate::{check_ann, scaled, ConvertError};

/// Default percentile of the positive activations that sets each layer's scale (Rueckauer
/// et al. 2017 recommend 99.9 or 99.99 to ignore rare outliers).
pub const DEFAULT_PERCENTILE: f64 = 99.9;

/// What the normalisation found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NormalisationReport {
    /// The percentile used, in (0, 100].
    pub percentile: f64,
    /// Number of calibration images.
    pub images: usize,
    /// λ per layer: the percentile of that layer's positive ANN activations.
    pub lambdas: Vec<f64>,
    /// The factor each layer's ANN weights were multiplied by, `λ_{l−1} / λ_l` × reset step.
    pub weight_factors: Vec<f64>,
}

/// The `percentile` of each layer's positive activations on the calibration inputs
/// (rows, inputs). A layer whose activations are all ≤ 0 is an error: it could never spike.
///
/// The percentile uses linear interpolation between order statistics (NumPy's default).
pub fn activation_percentiles(
    ann: &Network,
    calibration: ArrayView2<'_, f32>,
    percentile: f64,
) -> Result<Vec<f64>, ConvertError> {
    if !(percentile.is_finite() && percentile > 0.0 && percentile <= 100.0) {
        return Err(ConvertError::InvalidArgument {
            name: "percentile",
            reason: format!("must be in (0, 100], got {percentile}"),
        });
    }
    if calibration.nrows() == 0 {
        return Err(ConvertError::InvalidArgument {
            name: "calibration",
            reason: "no calibration images".into(),
        });
    }
    let acts = ann.forward_all(calibration)?;
    acts.iter()
        .enumerate()
        .map(|(layer, a)| {
            let mut pos: Vec<f32> = a.iter().copied().filter(|&v| v > 0.0).collect();
            if pos.is_empty() {
                return Err(ConvertError::SilentLayer { layer, images: calibration.nrows() });
            }
            pos.sort_unstable_by(f32::total_cmp);
            Ok(interpolated_percentile(&pos, percentile))
        })
        .collect()
}

fn interpolated_percentile(sorted: &[f32], percentile: f64) -> f64 {
    let rank = percentile / 100.0 * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    f64::from(sorted[lo]) * (1.0 - frac) + f64::from(sorted[hi]) * frac
}

/// Per-layer normalised conversion to integrate-and-fire neurons with voltage-jump synapses
/// and reset by subtraction (`neuron`).
///
/// Layer `l`'s synaptic weights (mV) are `W_l · λ_{l−1} / λ_l · (v_thresh − v_reset)`, with
/// λ from [`activation_percentiles`] and λ₀ = 1 (pixels in [0, 1]). Without leak, a neuron
/// then fires at about its normalised activation × the input encoder's maximum rate.
///
/// **Errors** as [`activation_percentiles`], and if the ANN has biases or the network is invalid.
pub fn convert_normalised(
    ann: &Network,
    calibration: ArrayView2<'_, f32>,
    percentile: f64,
    neuron: &IfCurrDeltaSubValidParams,
    delay_ms: f64,
) -> Result<(SnnNetwork, NormalisationReport), ConvertError> {
    check_ann(ann)?;
    let lambdas = activation_percentiles(ann, calibration, percentile)?;
    let step = neuron.reset_step();
    let mut prev = 1.0;
    let mut weight_factors = Vec::with_capacity(lambdas.len());
    let mut layers = Vec::with_capacity(lambdas.len());
    for (layer, &lambda) in ann.layers().iter().zip(&lambdas) {
        let factor = prev / lambda * step;
        weight_factors.push(factor);
        layers.push((NeuronModel::IfCurrDeltaSub(*neuron), scaled(layer.weight(), factor)));
        prev = lambda;
    }
    let snn = SnnNetwork::feed_forward(ann.inputs(), layers, delay_ms)?;
    Ok((snn, NormalisationReport { percentile, images: calibration.nrows(), lambdas, weight_factors }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use spikeport_ann::Dense;
    use spikeport_snn::IfCurrDeltaSubParams;

    #[test]
    fn percentile_interpolates_like_numpy() {
        let v = [1.0f32, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(interpolated_percentile(&v, 100.0), 5.0);
        assert_eq!(interpolated_percentile(&v, 50.0), 3.0);
        assert!((interpolated_percentile(&v, 90.0) - 4.6).abs() < 1e-9); // numpy: 4.6
    }

    #[test]
    fn weights_are_rescaled_by_lambda_ratios() {
        // Layer 0: identity-like 2x2, layer 1: 2x1.
        let ann = Network::new(vec![
            Dense::new(array![[2.0, 0.0], [0.0, 4.0]], None, 0).unwrap(),
            Dense::new(array![[1.0], [1.0]], None, 1).unwrap(),
        ])
        .unwrap();
        let x = array![[1.0f32, 0.0], [0.0, 1.0]];
        // layer-0 activations: [2,0],[0,4] -> positive {2,4}, max 4; layer 1: {2,4} -> 4
        let lambdas = activation_percentiles(&ann, x.view(), 100.0).unwrap();
        assert_eq!(lambdas, vec![4.0, 4.0]);
        let neuron = IfCurrDeltaSubParams::new().v_thresh(2.0).check().unwrap();
        let (snn, report) = convert_normalised(&ann, x.view(), 100.0, &neuron, 1.0).unwrap();
        assert_eq!(report.weight_factors, vec![0.5, 2.0]); // (1/4)*2, (4/4)*2
        assert_eq!(snn.projections()[0].weights, array![[1.0, 0.0], [0.0, 2.0]]);
        assert_eq!(snn.projections()[1].weights, array![[2.0], [2.0]]);
    }

    #[test]
    fn silent_layers_and_bad_percentiles_are_errors() {
        let ann = Network::new(vec![Dense::new(array![[-1.0f32]], None, 0).unwrap()]).unwrap();
        let x = array![[1.0f32]];
        assert!(matches!(
            activation_percentiles(&ann, x.view(), 99.9),
            Err(ConvertError::SilentLayer { layer: 0, .. })
        ));
        assert!(matches!(
            activation_percentiles(&ann, x.view(), 0.0),
            Err(ConvertError::InvalidArgument { .. })
        ));
        assert!(matches!(
            activation_percentiles(&ann, ndarray::Array2::zeros((0, 1)).view(), 99.0),
            Err(ConvertError::InvalidArgument { .. })
        ));
    }
}
