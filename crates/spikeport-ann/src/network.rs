//! Dense feed-forward networks: ReLU hidden layers, linear output.

use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{AnnError, Result};
use crate::linalg::gemm;
use crate::metrics::Evaluation;

/// Rows per chunk in inference, so that memory stays bounded for any number of images.
const INFER_CHUNK: usize = 1024;

/// One fully connected layer: `z = x · W (+ b)`.
///
/// The weight matrix has shape (inputs, outputs), as a Keras `Dense` kernel (PyTorch's
/// `nn.Linear.weight` is its transpose). Weights are dimensionless ANN weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    weight: Array2<f32>,
    bias: Option<Array1<f32>>,
}

impl Dense {
    /// A layer from its weights (inputs, outputs) and an optional bias (outputs).
    ///
    /// **Errors** if a dimension is zero, the bias length differs from the outputs, or a value
    /// is NaN or infinite (`layer` is only used in messages).
    pub fn new(weight: Array2<f32>, bias: Option<Array1<f32>>, layer: usize) -> Result<Self> {
        let (inputs, outputs) = weight.dim();
        if inputs == 0 || outputs == 0 {
            return Err(AnnError::ZeroSizedLayer { layer, inputs, outputs });
        }
        if let Some((index, &value)) = weight.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(AnnError::NonFinite { layer, what: "weight", index: vec![index.0, index.1], value });
        }
        if let Some(b) = &bias {
            if b.len() != outputs {
                return Err(AnnError::ShapeMismatch {
                    what: format!("layer {layer} bias"),
                    expected: vec![outputs],
                    found: vec![b.len()],
                });
            }
            if let Some((index, &value)) = b.indexed_iter().find(|(_, v)| !v.is_finite()) {
                return Err(AnnError::NonFinite { layer, what: "bias", index: vec![index], value });
            }
        }
        let weight =
            if weight.is_standard_layout() { weight } else { weight.as_standard_layout().into_owned() };
        Ok(Self { weight, bias })
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.weight.nrows()
    }

    /// Number of outputs (units).
    pub fn outputs(&self) -> usize {
        self.weight.ncols()
    }

    /// The weights, shape (inputs, outputs).
    pub fn weight(&self) -> ArrayView2<'_, f32> {
        self.weight.view()
    }

    /// The bias (outputs), if the layer has one.
    pub fn bias(&self) -> Option<ArrayView1<'_, f32>> {
        self.bias.as_ref().map(|b| b.view())
    }

    pub(crate) fn weight_mut(&mut self) -> &mut Array2<f32> {
        &mut self.weight
    }

    pub(crate) fn bias_mut(&mut self) -> Option<&mut Array1<f32>> {
        self.bias.as_mut()
    }

    /// `out ← x · W (+ b)`, written into `out` (rows, outputs).
    pub(crate) fn affine_into(&self, x: ArrayView2<'_, f32>, out: &mut Array2<f32>) {
        gemm(1.0, x, self.weight.view(), 0.0, out.view_mut());
        if let Some(b) = &self.bias {
            out.rows_mut().into_iter().for_each(|mut r| r += b);
        }
    }
}

/// How weights are initialised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// Glorot (Xavier) uniform: U(−l, l), l = √(6 / (fan_in + fan_out)); Keras' default.
    #[default]
    GlorotUniform,
    /// He uniform: U(−l, l), l = √(6 / fan_in); suited to ReLU.
    HeUniform,
}

/// A feed-forward network of [`Dense`] layers: ReLU after every hidden layer, linear output.
///
/// This is the ANN family of the paper (bias-free ReLU MLPs); biases are optional.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    layers: Vec<Dense>,
}

impl Network {
    /// A network from its layers, checked: at least one layer, and each layer's outputs equal
    /// the next layer's inputs.
    pub fn new(layers: Vec<Dense>) -> Result<Self> {
        if layers.is_empty() {
            return Err(AnnError::EmptyNetwork);
        }
        for (i, pair) in layers.windows(2).enumerate() {
            if pair[0].outputs() != pair[1].inputs() {
                return Err(AnnError::LayersDoNotChain {
                    layer: i,
                    outputs: pair[0].outputs(),
                    next_inputs: pair[1].inputs(),
                });
            }
        }
        Ok(Self { layers })
    }

    /// A freshly initialised network with layer sizes `sizes` (input size first, then each
    /// layer's units), with or without biases (zero-initialised), seeded.
    ///
    /// ```
    /// use spikeport_ann::{Init, Network};
    /// let net = Network::init(&[81, 100, 10], false, Init::GlorotUniform, 42).unwrap();
    /// assert_eq!(net.sizes(), vec![81, 100, 10]);
    /// assert_eq!(net.num_params(), 81 * 100 + 100 * 10);
    /// ```
    pub fn init(sizes: &[usize], bias: bool, init: Init, seed: u64) -> Result<Self> {
        if sizes.len() < 2 {
            return Err(AnnError::InvalidConfig {
                name: "sizes",
                reason: format!("need an input size and at least one layer, got {sizes:?}"),
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for (i, w) in sizes.windows(2).enumerate() {
            let (fan_in, fan_out) = (w[0], w[1]);
            if fan_in == 0 || fan_out == 0 {
                return Err(AnnError::ZeroSizedLayer { layer: i, inputs: fan_in, outputs: fan_out });
            }
            let limit = match init {
                Init::GlorotUniform => (6.0 / (fan_in + fan_out) as f64).sqrt(),
                Init::HeUniform => (6.0 / fan_in as f64).sqrt(),
            } as f32;
            let weight = Array2::from_shape_simple_fn((fan_in, fan_out), || rng.random_range(-limit..limit));
            let bias = bias.then(|| Array1::zeros(fan_out));
            layers.push(Dense::new(weight, bias, i)?);
        }
        Self::new(layers)
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    pub(crate) fn layers_mut(&mut self) -> &mut [Dense] {
        &mut self.layers
    }

    /// Input size followed by every layer's number of units, e.g. `[784, 1200, 1200, 10]`.
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(self.inputs()).chain(self.layers.iter().map(Dense::outputs)).collect()
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.layers[0].inputs()
    }

    /// Number of outputs (classes).
    pub fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs()
    }

    /// Whether any layer has a bias.
    pub fn has_bias(&self) -> bool {
        self.layers.iter().any(|l| l.bias.is_some())
    }

    /// The network's content as bytes, for fingerprints of results it produced: per layer
    /// its shape, its weights (row-major) and its bias if any, every number little-endian
    /// (`u64` sizes, `f32` bits). Two networks with equal bytes compute the same function.
    pub fn content_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 4 * self.num_params() + 24 * self.layers.len());
        out.extend_from_slice(&(self.layers.len() as u64).to_le_bytes());
        for l in &self.layers {
            out.extend_from_slice(&(l.inputs() as u64).to_le_bytes());
            out.extend_from_slice(&(l.outputs() as u64).to_le_bytes());
            out.extend(l.weight.iter().flat_map(|w| w.to_bits().to_le_bytes()));
            match &l.bias {
                Some(b) => {
                    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
                    out.extend(b.iter().flat_map(|w| w.to_bits().to_le_bytes()));
                }
                None => out.extend_from_slice(&u64::MAX.to_le_bytes()),
            }
        }
        out
    }

    /// Total number of weights and biases.
    pub fn num_params(&self) -> usize {
        self.layers.iter().map(|l| l.weight.len() + l.bias.as_ref().map_or(0, |b| b.len())).sum()
    }

    /// The largest weight over all layers (the paper's conversion divides by its positive part).
    pub fn max_weight(&self) -> f32 {
        self.layers.iter().flat_map(|l| l.weight.iter().copied()).fold(f32::NEG_INFINITY, f32::max)
    }

    fn check_input(&self, x: &ArrayView2<'_, f32>) -> Result<()> {
        if x.ncols() != self.inputs() {
            return Err(AnnError::ShapeMismatch {
                what: "network input".into(),
                expected: vec![x.nrows(), self.inputs()],
                found: vec![x.nrows(), x.ncols()],
            });
        }
        Ok(())
    }

    /// Output-layer values (logits), shape (rows, outputs), for inputs of shape (rows, inputs).
    pub fn forward(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        self.check_input(&x)?;
        let mut out = Array2::zeros((x.nrows(), self.outputs()));
        for (start, chunk) in x.axis_chunks_iter(Axis(0), INFER_CHUNK).enumerate() {
            let acts = self.forward_all_unchecked(chunk);
            let last = acts.last().map(|a| a.view());
            if let Some(last) = last {
                let r0 = start * INFER_CHUNK;
                out.slice_mut(s![r0..r0 + chunk.nrows(), ..]).assign(&last);
            }
        }
        Ok(out)
    }

    /// Every layer's activation for inputs of shape (rows, inputs): element `l` has shape
    /// (rows, units of layer `l`), after ReLU for hidden layers and linear for the output layer.
    /// The input itself is not included. The conversion to spiking networks normalises with these.
    pub fn forward_all(&self, x: ArrayView2<'_, f32>) -> Result<Vec<Array2<f32>>> {
        self.check_input(&x)?;
        Ok(self.forward_all_unchecked(x))
    }

    fn forward_all_unchecked(&self, x: ArrayView2<'_, f32>) -> Vec<Array2<f32>> {
        let mut acts: Vec<Array2<f32>> = Vec::with_capacity(self.layers.len());
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            let mut z = Array2::zeros((x.nrows(), layer.outputs()));
            match acts.last() {
                Some(prev) => layer.affine_into(prev.view(), &mut z),
                None => layer.affine_into(x, &mut z),
            }
            if i != last {
                z.mapv_inplace(|v| v.max(0.0));
            }
            acts.push(z);
        }
        acts
    }

    /// The same function without biases, carried by a constant input unit instead.
    ///
    /// The returned network takes one more input, which must always be 1 (see
    /// [`ModelHeader::bias_input`](crate::ModelHeader::bias_input)), and every hidden layer
    /// gains one *relay* unit whose only input is the previous constant unit with weight 1,
    /// so that it is ReLU(1) = 1 as well. Layer `l`'s bias becomes the weights from the
    /// constant unit of layer `l − 1` (the input for layer 0); a layer without a bias gets
    /// zeros there. For inputs `x`, `self.forward(x)` equals `folded.forward([x, 1])` up to
    /// float rounding (the bias is summed with the products instead of after them).
    ///
    /// This lets the bias-free ANN→SNN conversions run networks trained with biases: the
    /// constant input fires at the encoder's maximum rate and each relay neuron like any
    /// hidden neuron of activation 1. A network without biases is returned unchanged.
    ///
    /// ```
    /// use ndarray::array;
    /// use spikeport_ann::{Dense, Network};
    /// let net = Network::new(vec![
    ///     Dense::new(array![[1.0, -1.0]], Some(array![0.5, 2.0]), 0)?,
    ///     Dense::new(array![[1.0], [1.0]], Some(array![-1.0]), 1)?,
    /// ])?;
    /// let folded = net.with_bias_unit()?;
    /// assert_eq!(folded.sizes(), vec![2, 3, 1]);
    /// assert!(!folded.has_bias());
    /// let x = array![[3.0f32]];
    /// assert_eq!(net.forward(x.view())?, folded.forward(array![[3.0f32, 1.0]].view())?);
    /// # Ok::<(), spikeport_ann::AnnError>(())
    /// ```
    ///
    /// **Errors** only if the folded layers fail [`Dense::new`]'s checks, which they cannot
    /// for a valid network.
    pub fn with_bias_unit(&self) -> Result<Network> {
        if !self.has_bias() {
            return Ok(self.clone());
        }
        let last = self.layers.len() - 1;
        let mut layers = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let (inputs, outputs) = (layer.inputs(), layer.outputs());
            let relay = usize::from(i != last);
            let mut w = Array2::zeros((inputs + 1, outputs + relay));
            w.slice_mut(s![..inputs, ..outputs]).assign(&layer.weight);
            if let Some(b) = &layer.bias {
                w.slice_mut(s![inputs, ..outputs]).assign(b);
            }
            if relay == 1 {
                w[[inputs, outputs]] = 1.0;
            }
            layers.push(Dense::new(w, None, i)?);
        }
        Network::new(layers)
    }

    /// Predicted class per row: the index of the largest output (first one on ties).
    pub fn predict(&self, x: ArrayView2<'_, f32>) -> Result<Vec<usize>> {
        let out = self.forward(x)?;
        Ok(out.rows().into_iter().map(|r| argmax(r)).collect())
    }

    /// Accuracy and confusion matrix on inputs `x` (rows, inputs) with class labels.
    pub fn evaluate(&self, x: ArrayView2<'_, f32>, labels: &[u8]) -> Result<Evaluation> {
        if x.nrows() != labels.len() {
            return Err(AnnError::LabelCountMismatch { inputs: x.nrows(), labels: labels.len() });
        }
        let pred = self.predict(x)?;
        Evaluation::from_predictions(&pred, labels, self.outputs())
    }
}

/// Index of the largest value (first on ties); 0 for an empty row.
pub(crate) fn argmax(r: ArrayView1<'_, f32>) -> usize {
    let mut best = 0;
    let mut best_v = f32::NEG_INFINITY;
    for (i, &v) in r.iter().enumerate() {
        if v > best_v {
            best = i;
            best_v = v;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn forward_matches_hand_computation() {
        let l0 = Dense::new(array![[1.0, -1.0], [2.0, 0.5]], None, 0).expect("l0");
        let l1 = Dense::new(array![[1.0], [3.0]], Some(array![0.5]), 1).expect("l1");
        let net = Network::new(vec![l0, l1]).expect("net");
        let x = array![[1.0f32, 1.0], [0.0, 2.0]];
        // hidden: [3, -0.5] -> relu [3, 0]; [4, 1] -> [4, 1]
        let acts = net.forward_all(x.view()).expect("fwd");
        assert_eq!(acts[0], array![[3.0, 0.0], [4.0, 1.0]]);
        assert_eq!(acts[1], array![[3.5], [7.5]]);
        assert_eq!(net.forward(x.view()).expect("fwd"), array![[3.5], [7.5]]);
        assert_eq!(net.sizes(), vec![2, 2, 1]);
        assert_eq!(net.max_weight(), 3.0);
    }

    #[test]
    fn content_bytes_tell_networks_apart() {
        let net = |w: f32, bias: bool| {
            let l0 = Dense::new(array![[1.0, w], [2.0, 0.5]], None, 0).expect("l0");
            let l1 = Dense::new(array![[1.0], [3.0]], bias.then(|| array![0.0]), 1).expect("l1");
            Network::new(vec![l0, l1]).expect("net")
        };
        let a = net(-1.0, false).content_bytes();
        assert_eq!(a, net(-1.0, false).content_bytes());
        // 1 count + 2 layers × (2 sizes + bias marker) words, 6 weights
        assert_eq!(a.len(), 8 + 2 * 3 * 8 + 6 * 4);
        assert_ne!(a, net(-1.0000001, false).content_bytes(), "one ulp of one weight");
        assert_ne!(a, net(-1.0, true).content_bytes(), "a zero bias is still a bias");
        // the same weights in another shape differ
        let flat = Network::new(vec![Dense::new(array![[1.0, -1.0, 2.0, 0.5]], None, 0).expect("l")]);
        assert_ne!(a, flat.expect("net").content_bytes());
    }

    #[test]
    fn layers_that_do_not_chain_are_rejected() {
        let l0 = Dense::new(Array2::zeros((4, 3)), None, 0).expect("l0");
        let l1 = Dense::new(Array2::zeros((5, 2)), None, 1).expect("l1");
        let err = Network::new(vec![l0, l1]).unwrap_err();
        assert!(matches!(err, AnnError::LayersDoNotChain { layer: 0, outputs: 3, next_inputs: 5 }));
    }

    #[test]
    fn nan_weights_and_bad_bias_are_rejected() {
        let mut w = Array2::zeros((3, 2));
        w[[1, 1]] = f32::NAN;
        let err = Dense::new(w, None, 2).unwrap_err();
        assert!(matches!(err, AnnError::NonFinite { layer: 2, what: "weight", .. }), "{err}");
        let err = Dense::new(Array2::zeros((3, 2)), Some(array![f32::INFINITY, 0.0]), 0).unwrap_err();
        assert!(matches!(err, AnnError::NonFinite { what: "bias", .. }));
        let err = Dense::new(Array2::zeros((3, 2)), Some(array![0.0]), 0).unwrap_err();
        assert!(matches!(err, AnnError::ShapeMismatch { .. }));
        assert!(matches!(Network::new(vec![]), Err(AnnError::EmptyNetwork)));
        assert!(matches!(Dense::new(Array2::zeros((0, 2)), None, 0), Err(AnnError::ZeroSizedLayer { .. })));
    }

    #[test]
    fn wrong_input_width_is_an_error() {
        let net = Network::init(&[4, 3, 2], false, Init::GlorotUniform, 1).expect("net");
        let err = net.forward(Array2::zeros((2, 5)).view()).unwrap_err();
        assert!(matches!(err, AnnError::ShapeMismatch { .. }));
    }

    #[test]
    fn init_is_seeded_and_bounded() {
        let a = Network::init(&[50, 20, 10], false, Init::GlorotUniform, 7).expect("a");
        let b = Network::init(&[50, 20, 10], false, Init::GlorotUniform, 7).expect("b");
        let c = Network::init(&[50, 20, 10], false, Init::GlorotUniform, 8).expect("c");
        assert_eq!(a, b);
        assert_ne!(a, c);
        let limit = (6.0f32 / 70.0).sqrt();
        assert!(a.layers()[0].weight().iter().all(|w| w.abs() <= limit));
        assert!(!a.has_bias());
    }

    #[test]
    fn bias_unit_folding_keeps_the_function() {
        let net = Network::init(&[5, 4, 3, 2], true, Init::HeUniform, 9).expect("net");
        let mut net = net;
        for (i, l) in net.layers_mut().iter_mut().enumerate() {
            if let Some(b) = l.bias_mut() {
                b.iter_mut().enumerate().for_each(|(j, v)| *v = 0.1 * (i + j) as f32 - 0.2);
            }
        }
        let folded = net.with_bias_unit().expect("fold");
        assert_eq!(folded.sizes(), vec![6, 5, 4, 2]);
        assert!(!folded.has_bias());
        let x = Array2::from_shape_fn((7, 5), |(i, j)| ((i * 3 + j) % 5) as f32 / 4.0);
        let mut xa = Array2::ones((7, 6));
        xa.slice_mut(s![.., ..5]).assign(&x);
        let a = net.forward(x.view()).expect("a");
        let b = folded.forward(xa.view()).expect("b");
        assert!(a.iter().zip(b.iter()).all(|(p, q)| (p - q).abs() < 1e-5), "{a} vs {b}");
        // the relay units are 1 for every input
        let acts = folded.forward_all(xa.view()).expect("acts");
        assert!(acts[0].column(4).iter().all(|&v| v == 1.0));
        assert!(acts[1].column(3).iter().all(|&v| v == 1.0));
        // bias-free networks are unchanged
        let plain = Network::init(&[3, 2], false, Init::HeUniform, 1).expect("plain");
        assert_eq!(plain.with_bias_unit().expect("same"), plain);
    }

    #[test]
    fn forward_is_chunked_consistently() {
        let net = Network::init(&[3, 4, 2], true, Init::HeUniform, 3).expect("net");
        let x = Array2::from_shape_fn((INFER_CHUNK + 5, 3), |(i, j)| ((i + j) % 7) as f32 / 7.0);
        let full = net.forward(x.view()).expect("fwd");
        let tail = net.forward(x.slice(s![INFER_CHUNK.., ..])).expect("fwd");
        assert_eq!(full.slice(s![INFER_CHUNK.., ..]), tail);
    }
}
