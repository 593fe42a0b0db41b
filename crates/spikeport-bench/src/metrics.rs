//! Hardware-independent cost metrics of a record, as NeuroBench defines them for static
//! tasks (Yik et al., Nature Communications 2025; `NeuroBench/neurobench` metrics), so that
//! a reader can compare platforms without trusting any energy coefficient.
//!
//! Choices NeuroBench leaves open, made here:
//!
//! * **Synaptic operations** of the SNN are accumulates (its inputs are spikes): one per
//!   spike arriving at a synapse with a non-zero weight, summed over all time steps of an
//!   image (presentation and pause), averaged over images — the records' synaptic events.
//!   The *dense* equivalent counts every connection at every time step:
//!   `Σ_projections pre × post × steps per image`.
//! * The ANN's **MACs** for comparison: dense `Σ_layers inputs × outputs`, and effective —
//!   only non-zero inputs times non-zero weights, averaged over the test images (NeuroBench's
//!   `Effective_MACs` for non-spiking inputs).
//! * **Activation sparsity**: the fraction of (neuron, time step) pairs without a spike, over
//!   every non-input population (the output layer included, as NeuroBench counts spiking
//!   output layers) and every step of an image.
//! * **Connection sparsity**: zero weights ÷ all weights over all projections (no biases:
//!   the networks are bias-free).
//! * **Footprint**: every weight (zeros included) at the platform's weight resolution,
//!   rounded up to whole bytes per weight (4-bit weights count 1 byte, as NeuroBench cannot
//!   represent sub-byte storage), plus four state variables per neuron (membrane, two
//!   conductances, refractory counter) at the platform's precision.

use serde::{Deserialize, Serialize};
use spikeport_ann::Network;
use spikeport_snn::{SnnNetwork, WeightResolution};

/// NeuroBench-style cost metrics of one network on one platform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostMetrics {
    /// Synaptic operations (accumulates) per inference.
    pub synaptic_ops_per_inference: f64,
    /// Their dense equivalent: every connection at every time step of an image.
    pub dense_synaptic_ops_per_inference: f64,
    /// The ANN's multiply-accumulates per inference, all connections.
    pub ann_dense_macs: f64,
    /// The ANN's multiply-accumulates per inference of non-zero inputs with non-zero
    /// weights, averaged over the test images.
    pub ann_effective_macs: f64,
    /// Fraction of (neuron, time step) pairs of non-input populations without a spike.
    pub activation_sparsity: f64,
    /// Fraction of zero weights over all projections.
    pub connection_sparsity: f64,
    /// Weights (zeros included) of the network.
    pub parameters: usize,
    /// Bytes of weights at the platform's resolution and of neuron state.
    pub footprint_bytes: usize,
}

/// Bytes one weight and one state variable take at `resolution`.
fn bytes_of(resolution: WeightResolution) -> (usize, usize) {
    match resolution {
        WeightResolution::Float32 => (4, 4),
        WeightResolution::Float64 => (8, 8),
        // SpiNNaker: 16-bit weights (32-bit synaptic words hold target and delay too), s16.15 state
        WeightResolution::FixedPoint { bits, .. } => (usize::from(bits).div_ceil(8), 4),
        // analog levels: stored in whole bytes; the state is analog, counted as 4 bytes
        WeightResolution::Levels { bits } => (usize::from(bits).div_ceil(8), 4),
        _ => (4, 4),
    }
}

/// The metrics of `net` (converted from `ann`) on a platform with weights at
/// `resolution`, from its activity per image (`spikes_per_image` input population first,
/// `synaptic_events_per_image`), `steps_per_image` time steps per image, and the ANN's
/// activations on the test images `x` (rows, inputs).
///
/// **Errors** if `x` does not fit the ANN.
pub fn cost_metrics(
    net: &SnnNetwork,
    ann: &Network,
    resolution: WeightResolution,
    spikes_per_image: &[f64],
    synaptic_events_per_image: f64,
    steps_per_image: usize,
    x: ndarray::ArrayView2<'_, f32>,
) -> Result<CostMetrics, spikeport_ann::AnnError> {
    let steps = steps_per_image as f64;
    let connections: usize = net.projections().iter().map(|p| p.weights.len()).sum();
    let zeros: usize =
        net.projections().iter().map(|p| p.weights.iter().filter(|&&w| w == 0.0).count()).sum();
    let neurons = net.n_neurons();
    let spikes: f64 = spikes_per_image.iter().skip(1).sum();
    let (weight_bytes, state_bytes) = bytes_of(resolution);
    let ann_dense_macs: f64 = ann.layers().iter().map(|l| (l.inputs() * l.outputs()) as f64).sum();
    let ann_effective_macs = if x.nrows() == 0 {
        0.0
    } else {
        let acts = ann.forward_all(x)?;
        let mut total = 0.0f64;
        for (l, layer) in ann.layers().iter().enumerate() {
            let w = layer.weight();
            let nonzero_per_row: Vec<f64> =
                w.rows().into_iter().map(|r| r.iter().filter(|&&v| v != 0.0).count() as f64).collect();
            let input = if l == 0 { x } else { acts[l - 1].view() };
            for row in input.rows() {
                total +=
                    row.iter().zip(&nonzero_per_row).filter(|(&a, _)| a != 0.0).map(|(_, &n)| n).sum::<f64>();
            }
        }
        total / x.nrows() as f64
    };
    Ok(CostMetrics {
        synaptic_ops_per_inference: synaptic_events_per_image,
        dense_synaptic_ops_per_inference: connections as f64 * steps,
        ann_dense_macs,
        ann_effective_macs,
        activation_sparsity: if neurons == 0 { 1.0 } else { 1.0 - spikes / (neurons as f64 * steps) },
        connection_sparsity: if connections == 0 { 0.0 } else { zeros as f64 / connections as f64 },
        parameters: connections,
        footprint_bytes: connections * weight_bytes + neurons * 4 * state_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use spikeport_ann::Dense;
    use spikeport_snn::IfCondExpParams;

    #[test]
    fn metrics_of_a_toy_network_by_hand() {
        let ann = Network::new(vec![
            Dense::new(array![[1.0, 0.0], [0.5, 0.5]], None, 0).expect("layer"),
            Dense::new(array![[1.0], [0.0]], None, 1).expect("layer"),
        ])
        .expect("net");
        let lif = IfCondExpParams::paper_digital().into_model().expect("lif");
        let net = spikeport_convert::convert_global(&ann, &lif, 0.01, 1.0).expect("convert").network;
        // one image with inputs (1, 0): hidden = (1, 0), so layer 0 uses row 0 (1 non-zero
        // weight), layer 1 uses row 0 (1 non-zero weight)
        let x = array![[1.0f32, 0.0]];
        let m = cost_metrics(&net, &ann, WeightResolution::Float32, &[10.0, 4.0, 2.0], 12.0, 100, x.view())
            .expect("metrics");
        assert_eq!(m.parameters, 6);
        assert_eq!(m.connection_sparsity, 2.0 / 6.0);
        assert_eq!(m.synaptic_ops_per_inference, 12.0);
        assert_eq!(m.dense_synaptic_ops_per_inference, 600.0);
        assert_eq!(m.ann_dense_macs, 6.0);
        assert_eq!(m.ann_effective_macs, 2.0);
        assert_eq!(m.activation_sparsity, 1.0 - 6.0 / 300.0);
        assert_eq!(m.footprint_bytes, 6 * 4 + 3 * 16);
        let q = cost_metrics(&net, &ann, WeightResolution::Levels { bits: 4 }, &[0.0; 3], 0.0, 1, x.view())
            .expect("metrics");
        assert_eq!(q.footprint_bytes, 6 + 3 * 16);
    }
}
