//! The backend-independent network: populations and dense projections.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::{NeuronModel, SnnError, SynapseKind};

/// A group of neurons sharing one model and parameter set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Population {
    /// Free-form name, e.g. `"hidden 1"`; not used by simulators.
    pub label: String,
    /// Number of neurons (> 0).
    pub size: usize,
    /// Neuron model and its checked parameters.
    pub model: NeuronModel,
}

impl Population {
    /// A population of `size` neurons of `model`, labelled after the model.
    pub fn new(size: usize, model: impl Into<NeuronModel>) -> Self {
        let model = model.into();
        Self { label: model.name().to_owned(), size, model }
    }

    /// The input layer: `size` spike sources.
    pub fn spike_source(size: usize) -> Self {
        Self { label: "input".to_owned(), size, model: NeuronModel::SpikeSource }
    }

    /// Replace the label.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
}

/// All-to-all synapses from one population to another.
///
/// **Signed weights; the sign selects the receptor.** `weights[[i, j]]` is the synapse
/// from pre-synaptic neuron `i` to post-synaptic neuron `j`. A positive weight acts on
/// the excitatory receptor with strength `w`, a negative one on the inhibitory receptor
/// with strength `|w|`, and a weight of exactly 0 is no synapse (it is not counted as a
/// synaptic event). This is NEST's and Cypress's convention and keeps a converted ANN
/// layer as one matrix: no doubled memory, and the energy models see each synapse once.
/// The unit is the post-synaptic model's [`SynapseKind::weight_unit`]: µS for
/// `IF_cond_exp`, nA for `IF_curr_exp`, mV for `IF_curr_delta_sub` (which adds `w`
/// including its sign).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// Index of the pre-synaptic population.
    pub pre: usize,
    /// Index of the post-synaptic population.
    pub post: usize,
    /// Signed weights, shape (pre size, post size); see the type's docs for units.
    pub weights: Array2<f64>,
    /// Transmission delay, ms (≥ 0; on a grid of `dt` it becomes
    /// [`delay_steps`](crate::timing::delay_steps) ≥ 1 steps).
    pub delay_ms: f64,
}

impl Projection {
    /// A projection `pre → post` with signed `weights` (pre, post) and `delay_ms`.
    pub fn new(pre: usize, post: usize, weights: Array2<f64>, delay_ms: f64) -> Self {
        Self { pre, post, weights, delay_ms }
    }

    /// Number of synapses: weights that are not exactly zero.
    pub fn n_synapses(&self) -> usize {
        self.weights.iter().filter(|w| **w != 0.0).count()
    }

    /// Largest weight magnitude, in the post-synaptic weight unit (0 for no synapses).
    pub fn max_abs_weight(&self) -> f64 {
        self.weights.iter().fold(0.0, |m, w| m.max(w.abs()))
    }
}

/// A validated spiking network: populations and dense projections.
///
/// Invariants, checked by [`SnnNetwork::new`] (and on deserialisation):
///
/// 1. there is at least one population; population 0 is the input layer and is the only
///    [`NeuronModel::SpikeSource`];
/// 2. every population has at least one neuron;
/// 3. every projection names existing populations, does not target population 0, has
///    weights of shape (pre size, post size), finite weights and a finite delay ≥ 0 ms;
/// 4. every population except the input receives at least one projection.
///
/// Recurrent and lateral projections are allowed by the description; a backend that only
/// simulates feed-forward chains checks [`SnnNetwork::is_feed_forward_chain`] and answers
/// [`BackendError::Unsupported`](crate::BackendError::Unsupported) otherwise. The last
/// population is the output layer whose counts are read out.
///
/// ```
/// use ndarray::array;
/// use spikeport_snn::{IfCondExpParams, SnnNetwork, SnnError};
///
/// let lif = IfCondExpParams::paper_digital().into_model()?;
/// let net = SnnNetwork::feed_forward(
///     2,
///     vec![(lif, array![[0.01, -0.02, 0.0], [0.015, 0.0, 0.01]])],
///     1.0,
/// )?;
/// assert_eq!(net.sizes(), vec![2, 3]);
/// assert_eq!(net.n_synapses(), 4);
/// assert!(net.is_feed_forward_chain());
/// # Ok::<(), SnnError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawNetwork", into = "RawNetwork")]
pub struct SnnNetwork {
    populations: Vec<Population>,
    projections: Vec<Projection>,
}

#[derive(Serialize, Deserialize)]
struct RawNetwork {
    populations: Vec<Population>,
    projections: Vec<Projection>,
}

impl TryFrom<RawNetwork> for SnnNetwork {
    type Error = SnnError;
    fn try_from(raw: RawNetwork) -> Result<Self, SnnError> {
        Self::new(raw.populations, raw.projections)
    }
}

impl From<SnnNetwork> for RawNetwork {
    fn from(n: SnnNetwork) -> Self {
        Self { populations: n.populations, projections: n.projections }
    }
}

/// Checks that projection `projection` (`pre` → `post`) has weights of shape `expected`
/// (pre size, post size) and only finite values.
fn check_projection_weights(
    projection: usize,
    (pre, post): (usize, usize),
    expected: [usize; 2],
    w: ArrayView2<'_, f64>,
) -> Result<(), SnnError> {
    let found = [w.nrows(), w.ncols()];
    if expected != found {
        return Err(SnnError::WeightShape { projection, pre, post, expected, found });
    }
    check_weights(projection, w)
}

fn check_weights(projection: usize, w: ArrayView2<'_, f64>) -> Result<(), SnnError> {
    for ((pre, post), &value) in w.indexed_iter() {
        if !value.is_finite() {
            return Err(SnnError::NonFiniteWeight { projection, pre, post, value });
        }
    }
    Ok(())
}

impl SnnNetwork {
    /// Validate and build a network.
    ///
    /// **Errors** with the [`SnnError`] of the first violated invariant (see the type's
    /// docs), e.g. [`SnnError::WeightShape`] when layers do not chain or
    /// [`SnnError::NonFiniteWeight`] for a NaN weight.
    pub fn new(populations: Vec<Population>, projections: Vec<Projection>) -> Result<Self, SnnError> {
        let first = populations.first().ok_or(SnnError::NoPopulations)?;
        if first.model != NeuronModel::SpikeSource {
            return Err(SnnError::InputNotSpikeSource { model: first.model.name() });
        }
        for (i, p) in populations.iter().enumerate() {
            if p.size == 0 {
                return Err(SnnError::EmptyPopulation { population: i });
            }
            if i > 0 && p.model == NeuronModel::SpikeSource {
                return Err(SnnError::SpikeSourceNotInput { population: i });
            }
        }
        let n = populations.len();
        let mut receives = vec![false; n];
        for (k, proj) in projections.iter().enumerate() {
            for population in [proj.pre, proj.post] {
                if population >= n {
                    return Err(SnnError::PopulationOutOfRange { projection: k, population, populations: n });
                }
            }
            if proj.post == 0 {
                return Err(SnnError::ProjectionIntoInput { projection: k });
            }
            let expected = [populations[proj.pre].size, populations[proj.post].size];
            check_projection_weights(k, (proj.pre, proj.post), expected, proj.weights.view())?;
            if !(proj.delay_ms.is_finite() && proj.delay_ms >= 0.0) {
                return Err(SnnError::InvalidDelay { projection: k, delay_ms: proj.delay_ms });
            }
            receives[proj.post] = true;
        }
        if let Some(population) = (1..n).find(|&i| !receives[i]) {
            return Err(SnnError::UnconnectedPopulation { population });
        }
        Ok(Self { populations, projections })
    }

    /// A feed-forward chain: an input layer of `input_size` spike sources, then one
    /// population per `(model, weights)` entry, each fed by the previous one through
    /// `weights` (pre, post) with `delay_ms` — the shape of a converted ANN, one
    /// projection per dense layer.
    ///
    /// **Errors** as [`SnnNetwork::new`]; a layer whose weight rows do not match the
    /// previous layer's size is [`SnnError::WeightShape`].
    pub fn feed_forward(
        input_size: usize,
        layers: impl IntoIterator<Item = (NeuronModel, Array2<f64>)>,
        delay_ms: f64,
    ) -> Result<Self, SnnError> {
        let mut populations = vec![Population::spike_source(input_size)];
        let mut projections = Vec::new();
        for (i, (model, weights)) in layers.into_iter().enumerate() {
            let size = weights.ncols();
            populations.push(Population::new(size, model).with_label(format!("layer {}", i + 1)));
            projections.push(Projection::new(i, i + 1, weights, delay_ms));
        }
        Self::new(populations, projections)
    }

    /// All populations; index 0 is the input layer, the last is the output layer.
    pub fn populations(&self) -> &[Population] {
        &self.populations
    }

    /// All projections.
    pub fn projections(&self) -> &[Projection] {
        &self.projections
    }

    /// The input population (index 0).
    pub fn input(&self) -> &Population {
        &self.populations[0]
    }

    /// Number of input neurons (pixels).
    pub fn input_size(&self) -> usize {
        self.populations[0].size
    }

    /// Index of the output population (the last one).
    pub fn output_index(&self) -> usize {
        self.populations.len() - 1
    }

    /// The output population.
    pub fn output(&self) -> &Population {
        &self.populations[self.output_index()]
    }

    /// Population sizes in order.
    pub fn sizes(&self) -> Vec<usize> {
        self.populations.iter().map(|p| p.size).collect()
    }

    /// Number of neurons that are simulated (all populations except the input).
    pub fn n_neurons(&self) -> usize {
        self.populations[1..].iter().map(|p| p.size).sum()
    }

    /// Number of synapses (non-zero weights) over all projections.
    pub fn n_synapses(&self) -> usize {
        self.projections.iter().map(Projection::n_synapses).sum()
    }

    /// Whether projection `k` goes from population `k` to `k + 1` for every `k`, and there
    /// are exactly `populations − 1` projections: the layout of a converted MLP.
    pub fn is_feed_forward_chain(&self) -> bool {
        self.projections.len() + 1 == self.populations.len()
            && self.projections.iter().enumerate().all(|(k, p)| p.pre == k && p.post == k + 1)
    }

    /// Indices of the projections that target population `post`.
    pub fn incoming(&self, post: usize) -> impl Iterator<Item = usize> + '_ {
        self.projections.iter().enumerate().filter(move |(_, p)| p.post == post).map(|(k, _)| k)
    }

    /// How synapses of projection `k` act (from its post-synaptic model).
    ///
    /// **Panics** if `k` is out of range.
    #[track_caller]
    pub fn synapse_kind(&self, k: usize) -> SynapseKind {
        let post = self.projections[k].post;
        self.populations[post]
            .model
            .kind()
            .synapse_kind()
            .expect("validated: no projection targets the spike source")
    }

    /// Replace the weights of projection `k` (for hardware-in-the-loop training).
    ///
    /// **Errors** with [`SnnError::ProjectionOutOfRange`], [`SnnError::WeightShape`] or
    /// [`SnnError::NonFiniteWeight`]; the network is unchanged on error.
    pub fn set_weights(&mut self, k: usize, weights: ArrayView2<'_, f64>) -> Result<(), SnnError> {
        let n = self.projections.len();
        let proj = self
            .projections
            .get_mut(k)
            .ok_or(SnnError::ProjectionOutOfRange { projection: k, projections: n })?;
        let expected = [proj.weights.nrows(), proj.weights.ncols()];
        check_projection_weights(k, (proj.pre, proj.post), expected, weights)?;
        proj.weights.assign(&weights);
        Ok(())
    }

    /// Give up the parts.
    pub fn into_parts(self) -> (Vec<Population>, Vec<Projection>) {
        (self.populations, self.projections)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IfCondExpParams, IfCurrExpParams};
    use ndarray::{array, Array2};

    fn lif() -> NeuronModel {
        IfCondExpParams::paper_digital().into_model().unwrap()
    }

    fn two_layer() -> SnnNetwork {
        SnnNetwork::feed_forward(
            3,
            vec![(lif(), Array2::from_elem((3, 4), 0.01)), (lif(), Array2::from_elem((4, 2), -0.01))],
            1.0,
        )
        .unwrap()
    }

    #[test]
    fn feed_forward_builds_a_chain() {
        let net = two_layer();
        assert_eq!(net.sizes(), vec![3, 4, 2]);
        assert_eq!(net.input_size(), 3);
        assert_eq!(net.output_index(), 2);
        assert_eq!(net.n_neurons(), 6);
        assert_eq!(net.n_synapses(), 12 + 8);
        assert!(net.is_feed_forward_chain());
        assert_eq!(net.incoming(2).collect::<Vec<_>>(), vec![1]);
        assert_eq!(net.synapse_kind(0), SynapseKind::Conductance);
    }

    #[test]
    fn layers_that_do_not_chain_are_rejected() {
        let err = SnnNetwork::feed_forward(
            3,
            vec![(lif(), Array2::zeros((3, 4))), (lif(), Array2::zeros((5, 2)))],
            1.0,
        )
        .unwrap_err();
        assert_eq!(
            err,
            SnnError::WeightShape { projection: 1, pre: 1, post: 2, expected: [4, 2], found: [5, 2] }
        );
        assert!(err.to_string().contains("(pre, post)"));
    }

    #[test]
    fn nan_weights_and_bad_delays_are_rejected() {
        let mut w = Array2::zeros((2, 2));
        w[[1, 0]] = f64::NAN;
        let err = SnnNetwork::feed_forward(2, vec![(lif(), w)], 1.0).unwrap_err();
        assert!(matches!(err, SnnError::NonFiniteWeight { projection: 0, pre: 1, post: 0, .. }));
        for bad in [-0.5, f64::NAN, f64::INFINITY] {
            let err = SnnNetwork::feed_forward(2, vec![(lif(), Array2::zeros((2, 2)))], bad).unwrap_err();
            assert!(matches!(err, SnnError::InvalidDelay { .. }), "{bad}");
        }
        assert!(SnnNetwork::feed_forward(2, vec![(lif(), Array2::zeros((2, 2)))], 0.0).is_ok());
    }

    #[test]
    fn structural_errors() {
        assert_eq!(SnnNetwork::new(vec![], vec![]).unwrap_err(), SnnError::NoPopulations);
        let err = SnnNetwork::new(vec![Population::new(2, lif())], vec![]).unwrap_err();
        assert!(matches!(err, SnnError::InputNotSpikeSource { .. }));
        let err = SnnNetwork::new(vec![Population::spike_source(2), Population::spike_source(2)], vec![])
            .unwrap_err();
        assert_eq!(err, SnnError::SpikeSourceNotInput { population: 1 });
        let err = SnnNetwork::new(vec![Population::spike_source(0)], vec![]).unwrap_err();
        assert_eq!(err, SnnError::EmptyPopulation { population: 0 });
        let pops = vec![Population::spike_source(2), Population::new(2, lif())];
        let err = SnnNetwork::new(pops.clone(), vec![]).unwrap_err();
        assert_eq!(err, SnnError::UnconnectedPopulation { population: 1 });
        let err = SnnNetwork::new(pops.clone(), vec![Projection::new(0, 2, Array2::zeros((2, 2)), 1.0)])
            .unwrap_err();
        assert!(matches!(err, SnnError::PopulationOutOfRange { population: 2, .. }));
        let err = SnnNetwork::new(
            pops.clone(),
            vec![
                Projection::new(0, 1, Array2::zeros((2, 2)), 1.0),
                Projection::new(1, 0, Array2::zeros((2, 2)), 1.0),
            ],
        )
        .unwrap_err();
        assert_eq!(err, SnnError::ProjectionIntoInput { projection: 1 });
        // A lateral (recurrent) projection is a valid description but not a chain.
        let net = SnnNetwork::new(
            pops,
            vec![
                Projection::new(0, 1, Array2::zeros((2, 2)), 1.0),
                Projection::new(1, 1, Array2::zeros((2, 2)), 1.0),
            ],
        )
        .unwrap();
        assert!(!net.is_feed_forward_chain());
    }

    #[test]
    fn set_weights_validates_and_keeps_network_on_error() {
        let mut net = two_layer();
        let before = net.clone();
        assert!(matches!(
            net.set_weights(5, Array2::zeros((3, 4)).view()),
            Err(SnnError::ProjectionOutOfRange { .. })
        ));
        assert!(matches!(
            net.set_weights(0, Array2::zeros((4, 3)).view()),
            Err(SnnError::WeightShape { .. })
        ));
        let mut w = Array2::zeros((3, 4));
        w[[0, 0]] = f64::INFINITY;
        assert!(net.set_weights(0, w.view()).is_err());
        assert_eq!(net, before);
        net.set_weights(0, Array2::from_elem((3, 4), 0.5).view()).unwrap();
        assert_eq!(net.projections()[0].weights[[2, 3]], 0.5);
    }

    #[test]
    fn serde_round_trip_validates() {
        let net = SnnNetwork::feed_forward(
            2,
            vec![(IfCurrExpParams::new().into_model().unwrap(), array![[1.0, -2.0], [0.0, 0.5]])],
            1.0,
        )
        .unwrap();
        let json = serde_json::to_string(&net).unwrap();
        let back: SnnNetwork = serde_json::from_str(&json).unwrap();
        assert_eq!(back, net);
        let broken = json.replace("\"delay_ms\":1.0", "\"delay_ms\":-1.0");
        assert!(serde_json::from_str::<SnnNetwork>(&broken).is_err());
    }

    #[test]
    fn projection_helpers() {
        let p = Projection::new(0, 1, array![[0.0, -3.0], [2.0, 0.0]], 1.0);
        assert_eq!(p.n_synapses(), 2);
        assert_eq!(p.max_abs_weight(), 3.0);
    }
}
