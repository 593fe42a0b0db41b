//! NIR (Neuromorphic Intermediate Representation) export and import of spiking networks.
//!
//! NIR describes neurons by continuous-time equations and stores no units and no time
//! step, so spikeport fixes them (`docs/interop.md` has the full table):
//!
//! * time constants in **seconds** (NIR's usual reading; spikeport's ms ÷ 1000), voltages in
//!   **mV**, currents in **nA**, resistance in **MΩ** (mV/nA);
//! * an input spike is a Dirac impulse of area 1, so a `Linear` weight `W` raises a
//!   `CubaLIF`'s current by `w_in · W / tau_syn`; spikeport writes `w_in = tau_syn` (s),
//!   which makes the jump exactly `W` — the **Linear weights are spikeport's weights**
//!   (nA for `IF_curr_exp`, mV for the delta-synapse IF), transposed to NIR's
//!   (outputs, inputs);
//! * no dt enters a parameter; spikeport simulates at the backend's dt (1 ms in the
//!   paper's setting), recorded in the graph's metadata `spikeport_dt_ms`.
//!
//! | spikeport population | NIR node | parameters |
//! |---|---|---|
//! | input (`SpikeSourceArray`) | `Input` | `shape = [size]` |
//! | `IF_curr_exp` (tau_syn_E = tau_syn_I) | `CubaLIF` | `tau_syn`, `tau_mem` (s), `r = tau_m/cm` (MΩ), `v_leak = v_rest + r·i_offset`, `v_threshold`, `v_reset` (mV), `w_in = tau_syn` (s) |
//! | `IF_curr_delta_sub` without leak | `IF` | `r = 1`, `v_threshold`, `v_reset` (mV) |
//! | `IF_curr_delta_sub` with leak | `LIF` | `tau` (s), `r = tau` (s), `v_leak = v_rest + tau_m·i_offset/cm`, `v_threshold`, `v_reset` (mV) |
//! | `IF_cond_exp` | none: [`IoError::NoNirEquivalent`], or with [`CondExp::CurrentBased`] the `IF_curr_exp` of [`current_based_equivalent`] | |
//! | projection | `Linear` | `weight` (post, pre), spikeport's unit; delay in metadata `delay_ms` |
//! | last population | edge to `Output` | `shape = [size]` |
//!
//! What NIR has no field for — the refractory period, reset by subtraction, the delay, the
//! exact PyNN parameters — is kept in each node's metadata (keys listed in
//! `docs/interop.md`), so that spikeport's own files import back to the identical network;
//! [`NirExport::warnings`] lists each such loss for tools that ignore the metadata.

#[cfg(feature = "hdf5")]
mod file;
mod graph;

#[cfg(feature = "hdf5")]
pub use file::{read_nir, write_nir};
pub use graph::{MetaValue, Metadata, NirElement, NirGraph, NirNode, NIR_VERSION};

/// Writes `graph` to the NIR file `path`. This build has no HDF5 support: always
/// [`IoError::NoHdf5`] (enable the `hdf5` feature of `spikeport-io`, or `nir` of the
/// `spikeport` crate, with the HDF5 C library installed).
#[cfg(not(feature = "hdf5"))]
pub fn write_nir(path: &Path, graph: &NirGraph) -> Result<()> {
    let _ = graph;
    Err(IoError::NoHdf5 { path: path.to_path_buf() })
}

/// Reads the NIR file `path`. This build has no HDF5 support: always [`IoError::NoHdf5`]
/// (enable the `hdf5` feature of `spikeport-io`, or `nir` of the `spikeport` crate, with
/// the HDF5 C library installed).
#[cfg(not(feature = "hdf5"))]
pub fn read_nir(path: &Path) -> Result<NirGraph> {
    Err(IoError::NoHdf5 { path: path.to_path_buf() })
}

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::{Array1, Array2};
use spikeport_snn::{
    IfCondExpValidParams, IfCurrDeltaSubParams, IfCurrDeltaSubValidParams, IfCurrExpParams,
    IfCurrExpValidParams, NeuronModel, Population, Projection, SnnNetwork,
};

use crate::error::{IoError, Result};

/// Default delay of a projection whose NIR `Linear` node has no `delay_ms` metadata, ms
/// (the paper's delay; spikeport's backends round any delay to at least one step).
pub const DEFAULT_IMPORT_DELAY_MS: f64 = 1.0;

/// What to do with `IF_cond_exp` populations, which NIR cannot describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CondExp {
    /// Refuse with [`IoError::NoNirEquivalent`] (the default: no silent approximation).
    #[default]
    Reject,
    /// Export [`current_based_equivalent`] instead (`IF_curr_exp` / `CubaLIF`, weights
    /// times the driving force at rest), and say so in [`NirExport::warnings`].
    CurrentBased,
}

/// Options of [`to_nir`] / [`export_nir`].
#[derive(Clone, Debug, PartialEq)]
pub struct NirExportOptions {
    /// Handling of `IF_cond_exp` populations.
    pub cond_exp: CondExp,
    /// The time step the network is meant to run at, ms; recorded in the graph's metadata
    /// (`spikeport_dt_ms`), it changes no parameter.
    pub dt_ms: f64,
    /// Whether the network's last input is a constant bias input (a model folded by
    /// [`Model::with_bias_input`](spikeport_ann::Model::with_bias_input)); recorded in the
    /// graph's metadata (`spikeport_bias_input`) so that a reader feeds it.
    pub bias_input: bool,
}

impl Default for NirExportOptions {
    /// Reject `IF_cond_exp`, dt 1 ms, no bias input.
    fn default() -> Self {
        Self { cond_exp: CondExp::Reject, dt_ms: 1.0, bias_input: false }
    }
}

/// A NIR graph built from a spiking network, with what the export could not carry in NIR's
/// own parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct NirExport {
    /// The graph.
    pub graph: NirGraph,
    /// One line per approximation or per property kept only in metadata.
    pub warnings: Vec<String>,
}

/// A spiking network read from NIR, with notes on defaults the import had to assume.
#[derive(Clone, Debug, PartialEq)]
pub struct NirImport {
    /// The network: population 0 the input, the population feeding `Output` last.
    pub network: SnnNetwork,
    /// Whether the graph's metadata says its last input is a constant bias input.
    pub bias_input: bool,
    /// One line per assumed value (delay, refractory period, initial potential).
    pub notes: Vec<String>,
}

/// `IF_cond_exp` populations replaced by `IF_curr_exp` ones with the same membrane and
/// synaptic time constants, and their incoming weights (µS) turned into currents (nA) by
/// the driving force at rest: `w · (e_rev_E − v_rest)` for excitatory, `w · (v_rest −
/// e_rev_I)` for inhibitory (negative) weights. This is an **approximation**: a
/// conductance's current shrinks as V approaches its reversal potential and adds to the
/// leak (shunting), a current does neither. Returns the network and one note per replaced
/// population. Other populations are unchanged.
///
/// **Errors** with [`IoError::NoNirEquivalent`] if a driving force at rest is not
/// positive, and with [`IoError::Snn`] if the new network is invalid.
pub fn current_based_equivalent(net: &SnnNetwork) -> Result<(SnnNetwork, Vec<String>)> {
    let (mut pops, mut projs): (Vec<Population>, Vec<Projection>) = net.clone().into_parts();
    let mut notes = Vec::new();
    for (p, pop) in pops.iter_mut().enumerate() {
        let NeuronModel::IfCondExp(c) = pop.model else { continue };
        let (exc, inh) = (c.e_rev_e() - c.v_rest(), c.v_rest() - c.e_rev_i());
        if !(exc > 0.0 && inh > 0.0) {
            return Err(IoError::NoNirEquivalent {
                population: p,
                model: IfCondExpValidParams::MODEL,
                reason: format!(
                    "the driving forces at rest (e_rev_E − v_rest = {exc} mV, v_rest − e_rev_I = {inh} mV) \
                     must both be positive for a current-based equivalent"
                ),
            });
        }
        pop.model = IfCurrExpParams::new()
            .cm(c.cm())
            .tau_m(c.tau_m())
            .tau_syn_e(c.tau_syn_e())
            .tau_syn_i(c.tau_syn_i())
            .tau_refrac(c.tau_refrac())
            .v_rest(c.v_rest())
            .v_reset(c.v_reset())
            .v_thresh(c.v_thresh())
            .i_offset(c.i_offset())
            .into_model()?;
        for proj in projs.iter_mut().filter(|q| q.post == p) {
            proj.weights.mapv_inplace(|w| if w >= 0.0 { w * exc } else { w * inh });
        }
        notes.push(format!(
            "population {p} ({}): IF_cond_exp approximated by IF_curr_exp: weights × {exc} mV (excitatory) \
             and × {inh} mV (inhibitory), the driving forces at v_rest; conductance shunting is lost",
            pop.label
        ));
    }
    Ok((SnnNetwork::new(pops, projs)?, notes))
}

fn num(m: &mut Metadata, k: &str, v: f64) {
    m.insert(k.to_owned(), MetaValue::Number(v));
}

fn text(m: &mut Metadata, k: &str, v: &str) {
    m.insert(k.to_owned(), MetaValue::Text(v.to_owned()));
}

fn pop_node_name(p: usize) -> String {
    if p == 0 {
        "input".into()
    } else {
        format!("pop{p}")
    }
}

/// Builds the NIR graph of `net` (see the [module docs](self) for the mapping).
///
/// **Errors** with [`IoError::NoNirEquivalent`] for an `IF_cond_exp` population (unless
/// `options.cond_exp` is [`CondExp::CurrentBased`]), an `IF_curr_exp` with different
/// excitatory and inhibitory time constants, or a non-leaky delta-synapse IF with an
/// offset current.
pub fn to_nir(net: &SnnNetwork, options: &NirExportOptions) -> Result<NirExport> {
    let mut warnings = Vec::new();
    let converted;
    let net = if options.cond_exp == CondExp::CurrentBased {
        let (n, notes) = current_based_equivalent(net)?;
        warnings.extend(notes);
        converted = n;
        &converted
    } else {
        net
    };
    let mut g = NirGraph::default();
    text(&mut g.metadata, "spikeport_units", "time s; voltage mV; current nA; resistance MOhm; Linear weights in the post-synaptic unit (nA or mV) per spike");
    num(&mut g.metadata, "spikeport_dt_ms", options.dt_ms);
    num(&mut g.metadata, "spikeport_bias_input", f64::from(u8::from(options.bias_input)));
    text(&mut g.metadata, "spikeport_version", env!("CARGO_PKG_VERSION"));
    for (p, pop) in net.populations().iter().enumerate() {
        let n = pop.size;
        let full = |v: f64| Array1::from_elem(n, v);
        let mut m = Metadata::new();
        num(&mut m, "population", p as f64);
        text(&mut m, "label", &pop.label);
        text(&mut m, "spikeport_model", pop.model.name());
        let node = match pop.model {
            NeuronModel::SpikeSource => NirNode::Input { shape: vec![n as i64] },
            NeuronModel::IfCurrExp(q) => {
                if q.tau_syn_e() != q.tau_syn_i() {
                    return Err(IoError::NoNirEquivalent {
                        population: p,
                        model: IfCurrExpValidParams::MODEL,
                        reason: format!(
                            "tau_syn_E = {} ms differs from tau_syn_I = {} ms; CubaLIF has one synaptic time constant",
                            q.tau_syn_e(),
                            q.tau_syn_i()
                        ),
                    });
                }
                let r = q.tau_m() / q.cm();
                for (k, v) in [
                    ("cm_nF", q.cm()),
                    ("tau_m_ms", q.tau_m()),
                    ("tau_syn_ms", q.tau_syn_e()),
                    ("tau_refrac_ms", q.tau_refrac()),
                    ("v_rest_mV", q.v_rest()),
                    ("i_offset_nA", q.i_offset()),
                ] {
                    num(&mut m, k, v);
                }
                refractory_warning(&mut warnings, p, q.tau_refrac());
                NirNode::CubaLif {
                    tau_syn: full(q.tau_syn_e() / 1000.0),
                    tau_mem: full(q.tau_m() / 1000.0),
                    r: full(r),
                    v_leak: full(q.v_rest() + r * q.i_offset()),
                    v_threshold: full(q.v_thresh()),
                    v_reset: full(q.v_reset()),
                    w_in: full(q.tau_syn_e() / 1000.0),
                }
            }
            NeuronModel::IfCurrDeltaSub(q) => {
                for (k, v) in [
                    ("cm_nF", q.cm()),
                    ("tau_refrac_ms", q.tau_refrac()),
                    ("v_rest_mV", q.v_rest()),
                    ("i_offset_nA", q.i_offset()),
                ] {
                    num(&mut m, k, v);
                }
                text(&mut m, "reset", "subtract");
                refractory_warning(&mut warnings, p, q.tau_refrac());
                warnings.push(format!(
                    "population {p}: reset by subtraction (V ← V − {} mV) has no NIR parameter (NIR's IF/LIF reset to \
                     v_reset); kept in metadata `reset = subtract`",
                    q.reset_step()
                ));
                match q.tau_m() {
                    None => {
                        if q.i_offset() != 0.0 {
                            return Err(IoError::NoNirEquivalent {
                                population: p,
                                model: IfCurrDeltaSubValidParams::MODEL,
                                reason: format!(
                                    "i_offset = {} nA: NIR's IF has no offset current",
                                    q.i_offset()
                                ),
                            });
                        }
                        NirNode::If {
                            r: full(1.0),
                            v_threshold: full(q.v_thresh()),
                            v_reset: full(q.v_reset()),
                        }
                    }
                    Some(tau_m) => {
                        num(&mut m, "tau_m_ms", tau_m);
                        NirNode::Lif {
                            tau: full(tau_m / 1000.0),
                            r: full(tau_m / 1000.0),
                            v_leak: full(q.v_rest() + tau_m * q.i_offset() / q.cm()),
                            v_threshold: full(q.v_thresh()),
                            v_reset: full(q.v_reset()),
                        }
                    }
                }
            }
            NeuronModel::IfCondExp(_) => {
                return Err(IoError::NoNirEquivalent {
                    population: p,
                    model: IfCondExpValidParams::MODEL,
                    reason:
                        "NIR has no conductance-based synapse; export with CondExp::CurrentBased to map it \
                             to IF_curr_exp / CubaLIF (an approximation, see current_based_equivalent)"
                            .into(),
                });
            }
            _ => {
                return Err(IoError::NoNirEquivalent {
                    population: p,
                    model: pop.model.name(),
                    reason: "this neuron model has no NIR mapping in spikeport".into(),
                })
            }
        };
        g.nodes.insert(pop_node_name(p), NirElement { node, metadata: m });
    }
    for (k, proj) in net.projections().iter().enumerate() {
        let name = format!("proj{k}");
        let mut m = Metadata::new();
        num(&mut m, "delay_ms", proj.delay_ms);
        num(&mut m, "pre", proj.pre as f64);
        num(&mut m, "post", proj.post as f64);
        let weight = proj.weights.t().as_standard_layout().into_owned();
        g.nodes.insert(name.clone(), NirElement { node: NirNode::Linear { weight }, metadata: m });
        g.edges.push((pop_node_name(proj.pre), name.clone()));
        g.edges.push((name, pop_node_name(proj.post)));
    }
    let out = net.output_index();
    g.nodes.insert(
        "output".into(),
        NirElement {
            node: NirNode::Output { shape: vec![net.output().size as i64] },
            metadata: Metadata::new(),
        },
    );
    g.edges.push((pop_node_name(out), "output".into()));
    if net.projections().iter().any(|p| p.delay_ms > 0.0) {
        warnings.push(
            "projection delays are not NIR parameters; kept in each Linear node's metadata `delay_ms`".into(),
        );
    }
    Ok(NirExport { graph: g, warnings })
}

fn refractory_warning(warnings: &mut Vec<String>, p: usize, tau_refrac: f64) {
    if tau_refrac > 0.0 {
        warnings.push(format!(
            "population {p}: tau_refrac = {tau_refrac} ms has no NIR parameter; kept in metadata `tau_refrac_ms`"
        ));
    }
}

/// Writes `net` to the NIR file `path` ([`to_nir`], then [`write_nir`]) and returns the
/// export's warnings.
///
/// **Errors** as [`to_nir`] and [`write_nir`].
pub fn export_nir(path: &Path, net: &SnnNetwork, options: &NirExportOptions) -> Result<Vec<String>> {
    let export = to_nir(net, options)?;
    write_nir(path, &export.graph)?;
    Ok(export.warnings)
}

/// Reads the NIR file `path` and builds the spiking network ([`read_nir`], then
/// [`from_nir`]).
///
/// **Errors** as [`read_nir`] and [`from_nir`].
pub fn import_nir(path: &Path) -> Result<NirImport> {
    from_nir(&read_nir(path)?)
}

fn meta_num(m: &Metadata, k: &str) -> Option<f64> {
    match m.get(k) {
        Some(MetaValue::Number(v)) => Some(*v),
        _ => None,
    }
}

/// The single value of a per-neuron parameter, which must be the same for all neurons.
fn uniform(node: &str, ty: &str, what: &str, a: &Array1<f64>, n: usize) -> Result<f64> {
    let unsupported =
        |reason: String| IoError::NirUnsupported { node: node.into(), node_type: ty.into(), reason };
    if a.len() != n || n == 0 {
        return Err(IoError::NirFormat {
            reason: format!("`{node}/{what}` has {} values for {n} neurons", a.len()),
        });
    }
    let v = a[0];
    if !v.is_finite() {
        return Err(IoError::NirFormat { reason: format!("`{node}/{what}` is not finite ({v})") });
    }
    if a.iter().any(|x| (x - v).abs() > 1e-9 * v.abs().max(1e-12)) {
        return Err(unsupported(format!(
            "`{what}` differs between neurons; a spikeport population has one parameter set"
        )));
    }
    Ok(v)
}

/// The exact value spikeport wrote in the metadata when it agrees with the one derived from
/// NIR's parameters (so that a round trip is bit-identical), else the derived value.
fn exact(m: &Metadata, key: &str, derived: f64) -> f64 {
    match meta_num(m, key) {
        Some(v) if (v - derived).abs() <= 1e-9 * derived.abs().max(1e-12) => v,
        _ => derived,
    }
}

/// Builds a spiking network from a NIR graph: one `Input`, one `Output`, neuron nodes
/// (`CubaLIF` → `IF_curr_exp`; `LIF`/`IF` → the delta-synapse IF with reset by subtraction,
/// only if the metadata says `reset = subtract`), and `Linear` (or zero-bias `Affine`)
/// nodes between them. Populations are ordered by the metadata's `population` numbers when
/// every neuron node has one, else topologically from the input, the node feeding `Output`
/// last.
///
/// **Errors** with [`IoError::NirFormat`] for a malformed graph (edges to unknown nodes, not
/// one `Input` and one `Output`, shapes that do not match) and [`IoError::NirUnsupported`]
/// for what spikeport cannot hold (naming the node): other node types, heterogeneous
/// parameters, reset to `v_reset` without synaptic filter, non-zero `Affine` biases, edges
/// without weights between neurons, a `Linear` node not between two populations.
pub fn from_nir(g: &NirGraph) -> Result<NirImport> {
    let format = |reason: String| IoError::NirFormat { reason };
    for (a, b) in &g.edges {
        for n in [a, b] {
            if !g.nodes.contains_key(n) {
                return Err(format(format!("edge ({a}, {b}) names the unknown node `{n}`")));
            }
        }
    }
    let of_type = |pred: fn(&NirNode) -> bool| -> Vec<&String> {
        g.nodes.iter().filter(|(_, e)| pred(&e.node)).map(|(k, _)| k).collect()
    };
    let inputs = of_type(|n| matches!(n, NirNode::Input { .. }));
    let outputs = of_type(|n| matches!(n, NirNode::Output { .. }));
    let (input, output) = match (inputs.as_slice(), outputs.as_slice()) {
        ([i], [o]) => (*i, *o),
        _ => {
            return Err(format(format!(
                "spikeport reads graphs with one Input and one Output node, found {} and {}",
                inputs.len(),
                outputs.len()
            )))
        }
    };
    let is_neuron = |n: &str| {
        g.nodes.get(n).is_some_and(|e| {
            matches!(e.node, NirNode::CubaLif { .. } | NirNode::Lif { .. } | NirNode::If { .. })
        })
    };
    let is_weights = |n: &str| {
        g.nodes.get(n).is_some_and(|e| matches!(e.node, NirNode::Linear { .. } | NirNode::Affine { .. }))
    };
    let into =
        |n: &str| -> Vec<&str> { g.edges.iter().filter(|(_, b)| b == n).map(|(a, _)| a.as_str()).collect() };
    let from =
        |n: &str| -> Vec<&str> { g.edges.iter().filter(|(a, _)| a == n).map(|(_, b)| b.as_str()).collect() };
    let unsupported = |node: &str, reason: String| IoError::NirUnsupported {
        node: node.to_owned(),
        node_type: g.nodes.get(node).map_or("?", |e| e.node.type_name()).to_owned(),
        reason,
    };
    // Every edge is source → Linear, Linear → neuron, or neuron → Output.
    for (a, b) in &g.edges {
        let ok = (is_weights(b) && (a == input || is_neuron(a)))
            || (is_weights(a) && is_neuron(b))
            || (b == output && is_neuron(a));
        if !ok {
            return Err(unsupported(
                b,
                format!("edge ({a}, {b}): spikeport reads Input/neuron → Linear → neuron and neuron → Output edges"),
            ));
        }
    }
    let feeding_output: Vec<&str> = into(output);
    let [out_neuron] = feeding_output.as_slice() else {
        return Err(format(format!(
            "the Output node must have exactly one incoming edge, found {}",
            feeding_output.len()
        )));
    };
    // Population order.
    let neurons: Vec<&String> = g.nodes.keys().filter(|k| is_neuron(k)).collect();
    let numbered: Option<BTreeMap<usize, &String>> = neurons
        .iter()
        .map(|k| meta_num(&g.nodes[*k].metadata, "population").map(|p| (p as usize, *k)))
        .collect();
    let order: Vec<&String> = match numbered {
        Some(map) if map.len() == neurons.len() && map.keys().copied().eq(1..=neurons.len()) => {
            map.into_values().collect()
        }
        _ => topological(g, &neurons, out_neuron),
    };
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    index.insert(input.as_str(), 0);
    for (i, k) in order.iter().enumerate() {
        index.insert(k.as_str(), i + 1);
    }
    // Populations.
    let NirNode::Input { shape } = &g.nodes[input].node else { unreachable!("filtered as Input") };
    let input_size: i64 = shape.iter().product();
    if input_size <= 0 || shape.iter().any(|&d| d <= 0) {
        return Err(format(format!("the Input shape {shape:?} is empty")));
    }
    let mut notes = Vec::new();
    let mut pops = vec![Population::spike_source(input_size as usize)];
    // Per post-population: factor per neuron that turns a NIR Linear weight into spikeport's.
    let mut factors: Vec<Array1<f64>> = vec![Array1::zeros(0)];
    for k in &order {
        let e = &g.nodes[*k];
        let (model, factor, size) = neuron_model(k, e, &mut notes)?;
        let label = match e.metadata.get("label") {
            Some(MetaValue::Text(l)) => l.clone(),
            _ => (*k).clone(),
        };
        pops.push(Population::new(size, model).with_label(label));
        factors.push(factor);
    }
    let NirNode::Output { shape } = &g.nodes[output].node else { unreachable!("filtered as Output") };
    let out_size: i64 = shape.iter().product();
    let last = pops.len() - 1;
    if index[*out_neuron] != last {
        return Err(unsupported(
            out_neuron,
            "the population feeding Output must come last in the population order".into(),
        ));
    }
    if out_size != pops[last].size as i64 {
        return Err(format(format!(
            "the Output shape {shape:?} does not match `{out_neuron}` ({} neurons)",
            pops[last].size
        )));
    }
    // Projections, in the order of the metadata's projection names when present.
    let mut weights_nodes: Vec<&String> = g.nodes.keys().filter(|k| is_weights(k)).collect();
    weights_nodes
        .sort_by_key(|k| (k.strip_prefix("proj").and_then(|s| s.parse::<usize>().ok()), (*k).clone()));
    let mut projs = Vec::new();
    let mut assumed_delay = false;
    for k in weights_nodes {
        let e = &g.nodes[k];
        let pre: Vec<&str> = into(k);
        let post: Vec<&str> = from(k);
        let ([pre], [post]) = (pre.as_slice(), post.as_slice()) else {
            return Err(unsupported(
                k,
                format!("has {} inputs and {} outputs; spikeport needs one of each", pre.len(), post.len()),
            ));
        };
        let w = match &e.node {
            NirNode::Linear { weight } => weight,
            NirNode::Affine { weight, bias } => {
                if bias.iter().any(|b| *b != 0.0) {
                    return Err(unsupported(
                        k,
                        "a non-zero Affine bias has no spikeport equivalent (projections have no bias)"
                            .into(),
                    ));
                }
                weight
            }
            _ => unreachable!("filtered as weights"),
        };
        let (i, j) = (index[*pre], index[*post]);
        if w.dim() != (pops[j].size, pops[i].size) {
            return Err(format(format!(
                "`{k}` has weights of shape {:?}; `{pre}` → `{post}` needs ({}, {})",
                w.dim(),
                pops[j].size,
                pops[i].size
            )));
        }
        let f = &factors[j];
        let weights = Array2::from_shape_fn((pops[i].size, pops[j].size), |(a, b)| w[[b, a]] * f[b]);
        let delay_ms = meta_num(&e.metadata, "delay_ms").unwrap_or_else(|| {
            assumed_delay = true;
            DEFAULT_IMPORT_DELAY_MS
        });
        projs.push(Projection::new(i, j, weights, delay_ms));
    }
    if assumed_delay {
        notes.push(format!(
            "projections without `delay_ms` metadata get a delay of {DEFAULT_IMPORT_DELAY_MS} ms"
        ));
    }
    let bias_input = meta_num(&g.metadata, "spikeport_bias_input").is_some_and(|v| v != 0.0);
    Ok(NirImport { network: SnnNetwork::new(pops, projs)?, bias_input, notes })
}

/// Neuron nodes in an order where each comes after the neurons that project to it
/// (Kahn's algorithm; ties and cycles resolved by name), with `last` moved to the end.
fn topological<'a>(g: &NirGraph, neurons: &[&'a String], last: &str) -> Vec<&'a String> {
    // neuron → neuron dependencies through one weights node
    let preds = |k: &str| -> Vec<&str> {
        g.edges
            .iter()
            .filter(|(_, b)| b == k)
            .flat_map(|(l, _)| g.edges.iter().filter(move |(_, b)| b == l).map(|(a, _)| a.as_str()))
            .filter(|a| neurons.iter().any(|n| n.as_str() == *a))
            .collect()
    };
    let mut remaining: Vec<&'a String> = neurons.iter().copied().filter(|k| k.as_str() != last).collect();
    let mut order: Vec<&'a String> = Vec::with_capacity(neurons.len());
    while !remaining.is_empty() {
        let ready = remaining
            .iter()
            .position(|k| preds(k).iter().all(|p| *p == k.as_str() || order.iter().any(|o| o.as_str() == *p)))
            .unwrap_or(0); // a cycle: take the first by name
        order.push(remaining.remove(ready));
    }
    if let Some(l) = neurons.iter().find(|k| k.as_str() == last) {
        order.push(l);
    }
    order
}

/// The spikeport model of a NIR neuron node, the per-neuron factor turning NIR `Linear`
/// weights into its synaptic weights, and its size.
fn neuron_model(
    name: &str,
    e: &NirElement,
    notes: &mut Vec<String>,
) -> Result<(NeuronModel, Array1<f64>, usize)> {
    let ty = e.node.type_name();
    let m = &e.metadata;
    let refrac = meta_num(m, "tau_refrac_ms").unwrap_or(0.0);
    let i_offset = meta_num(m, "i_offset_nA").unwrap_or(0.0);
    let subtract = matches!(m.get("reset"), Some(MetaValue::Text(t)) if t == "subtract");
    let reset_to_value = || {
        IoError::NirUnsupported {
        node: name.to_owned(),
        node_type: ty.to_owned(),
        reason: "resets to v_reset without a synaptic filter; spikeport's delta-synapse IF resets by subtraction \
                 (spikeport's own files say `reset = subtract` in the node's metadata). Use CubaLIF for reset to v_reset"
            .into(),
    }
    };
    if meta_num(m, "tau_refrac_ms").is_none() {
        notes.push(format!("`{name}`: no `tau_refrac_ms` metadata, refractory period 0 ms"));
    }
    match &e.node {
        NirNode::CubaLif { tau_syn, tau_mem, r, v_leak, v_threshold, v_reset, w_in } => {
            let n = v_threshold.len();
            let u = |what: &str, a: &Array1<f64>| uniform(name, ty, what, a, n);
            let tau_syn_s = u("tau_syn", tau_syn)?;
            let tau_m = exact(m, "tau_m_ms", u("tau_mem", tau_mem)? * 1000.0);
            let r = u("r", r)?;
            let cm = exact(m, "cm_nF", tau_m / r);
            let v_rest = exact(m, "v_rest_mV", u("v_leak", v_leak)? - r * i_offset);
            let tau_syn = exact(m, "tau_syn_ms", tau_syn_s * 1000.0);
            let model = IfCurrExpParams::new()
                .cm(cm)
                .tau_m(tau_m)
                .tau_syn_e(tau_syn)
                .tau_syn_i(tau_syn)
                .tau_refrac(refrac)
                .v_rest(v_rest)
                .v_reset(u("v_reset", v_reset)?)
                .v_thresh(u("v_threshold", v_threshold)?)
                .i_offset(i_offset)
                .into_model()?;
            if w_in.len() != n {
                return Err(IoError::NirFormat {
                    reason: format!("`{name}/w_in` has {} values for {n} neurons", w_in.len()),
                });
            }
            Ok((model, w_in.mapv(|w| w / tau_syn_s), n))
        }
        NirNode::Lif { tau, r, v_leak, v_threshold, v_reset } => {
            if !subtract {
                return Err(reset_to_value());
            }
            let n = v_threshold.len();
            let u = |what: &str, a: &Array1<f64>| uniform(name, ty, what, a, n);
            let tau_s = u("tau", tau)?;
            let tau_m = exact(m, "tau_m_ms", tau_s * 1000.0);
            let cm = meta_num(m, "cm_nF").unwrap_or(1.0);
            let v_rest = exact(m, "v_rest_mV", u("v_leak", v_leak)? - tau_m * i_offset / cm);
            let model = IfCurrDeltaSubParams::new()
                .cm(cm)
                .tau_m(Some(tau_m))
                .tau_refrac(refrac)
                .v_rest(v_rest)
                .v_reset(u("v_reset", v_reset)?)
                .v_thresh(u("v_threshold", v_threshold)?)
                .i_offset(i_offset)
                .into_model()?;
            if r.len() != n {
                return Err(IoError::NirFormat {
                    reason: format!("`{name}/r` has {} values for {n} neurons", r.len()),
                });
            }
            Ok((model, r.mapv(|r| r / tau_s), n))
        }
        NirNode::If { r, v_threshold, v_reset } => {
            if !subtract {
                return Err(reset_to_value());
            }
            let n = v_threshold.len();
            let u = |what: &str, a: &Array1<f64>| uniform(name, ty, what, a, n);
            let v_rest = meta_num(m, "v_rest_mV").unwrap_or_else(|| {
                notes.push(format!("`{name}`: no `v_rest_mV` metadata, initial potential 0 mV"));
                0.0
            });
            let model = IfCurrDeltaSubParams::new()
                .cm(meta_num(m, "cm_nF").unwrap_or(1.0))
                .tau_m(None)
                .tau_refrac(refrac)
                .v_rest(v_rest)
                .v_reset(u("v_reset", v_reset)?)
                .v_thresh(u("v_threshold", v_threshold)?)
                .into_model()?;
            if r.len() != n {
                return Err(IoError::NirFormat {
                    reason: format!("`{name}/r` has {} values for {n} neurons", r.len()),
                });
            }
            Ok((model, r.clone(), n))
        }
        _ => Err(IoError::NirUnsupported {
            node: name.to_owned(),
            node_type: ty.to_owned(),
            reason: "not a neuron node".into(),
        }),
    }
}
