//! What a network needs on a platform ([`requirements`]), whether it fits
//! ([`check_fit`]), and 4-bit weight quantisation ([`quantise`]).

// Index loops over several parallel arrays are what the vectoriser reads best here.
#![allow(clippy::needless_range_loop)]

use ndarray::{Array2, ArrayView2};
use spikeport_snn::{BackendError, ModelKind, NeuronModel, SnnNetwork};

use crate::config::{Profile, Topology, WeightGrid, MAX_LEVEL};

/// A population whose outgoing synapses have both signs (not allowed on Spikey).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MixedSign {
    /// Population index (0 = input).
    pub population: usize,
    /// Its non-zero positive (excitatory) outgoing synapses.
    pub excitatory: usize,
    /// Its non-zero negative (inhibitory) outgoing synapses.
    pub inhibitory: usize,
}

/// The resources a network needs on a platform and everything that keeps it from
/// fitting, computed without deploying ([`requirements`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Requirements {
    /// Platform name.
    pub platform: String,
    /// Neurons (all non-input populations).
    pub neurons: usize,
    /// Synapses (non-zero weights).
    pub synapses: usize,
    /// Largest number of non-zero incoming synapses of one neuron.
    pub max_fan_in: usize,
    /// Block topology (Spikey): neurons placed in each block (connected populations share
    /// a block; an unconnected population may be split). Empty on a wafer or when the
    /// network could not be placed.
    pub block_neurons: Vec<usize>,
    /// Block topology: synapse drivers each block needs, one per source neuron (input or
    /// on-chip) with a non-zero weight into the block.
    pub block_drivers: Vec<usize>,
    /// Wafer topology (BrainScaleS): neuron circuits (neurons × circuits per neuron).
    pub circuits: usize,
    /// Chips used: HICANNs on a wafer, 1 on Spikey.
    pub chips: usize,
    /// Populations whose outgoing synapses have both signs.
    pub mixed_sign: Vec<MixedSign>,
    /// Why the network does not fit, most basic reason first; empty if it fits.
    pub problems: Vec<BackendError>,
}

impl Requirements {
    /// Whether the network fits.
    pub fn fits(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Union-find root.
fn root(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Place the non-input neurons of `net` into `blocks` blocks of `per_block`: returns the
/// block of every neuron (`placement[pop][j]`, empty for the input), or the reason it
/// cannot be done. Populations connected by a projection (directly or through others) go
/// into one block whole; a population without projections to or from other non-input
/// populations (and none to itself) may be split across blocks.
fn place_blocks(
    net: &SnnNetwork,
    blocks: usize,
    per_block: usize,
    name: &str,
) -> Result<Vec<Vec<usize>>, BackendError> {
    let pops = net.populations();
    let n_pop = pops.len();
    let mut parent: Vec<usize> = (0..n_pop).collect();
    let mut linked = vec![false; n_pop];
    for proj in net.projections() {
        if proj.pre != 0 && proj.post != 0 {
            linked[proj.pre] = true;
            linked[proj.post] = true;
            let (a, b) = (root(&mut parent, proj.pre), root(&mut parent, proj.post));
            parent[a] = b;
        }
    }
    let total: usize = pops.iter().skip(1).map(|p| p.size).sum();
    if total > blocks * per_block {
        return Err(BackendError::DoesNotFit {
            what: format!("neurons on {name} ({blocks} blocks of {per_block})"),
            needed: total,
            available: blocks * per_block,
        });
    }
    // whole groups: connected populations, largest first (first-fit decreasing)
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for p in 1..n_pop {
        if !linked[p] {
            continue;
        }
        let r = root(&mut parent, p);
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, members)) => members.push(p),
            None => groups.push((r, vec![p])),
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> =
        groups.into_iter().map(|(_, m)| (m.iter().map(|&p| pops[p].size).sum(), m)).collect();
    groups.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut free = vec![per_block; blocks];
    let mut placement: Vec<Vec<usize>> = pops.iter().map(|_| Vec::new()).collect();
    for (size, members) in &groups {
        let list = members.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ");
        if *size > per_block {
            return Err(BackendError::DoesNotFit {
                what: format!(
                    "neurons in one {name} block: populations {list} are connected and must share a block \
                     (the blocks cannot connect to each other)"
                ),
                needed: *size,
                available: per_block,
            });
        }
        let Some(b) = free.iter().position(|&f| f >= *size) else {
            let largest = free.iter().copied().max().unwrap_or(0);
            return Err(BackendError::DoesNotFit {
                what: format!(
                    "free neurons in one {name} block for the connected populations {list} (the other \
                     blocks are partly taken by other groups)"
                ),
                needed: *size,
                available: largest,
            });
        };
        free[b] -= size;
        for &p in members {
            placement[p] = vec![b; pops[p].size];
        }
    }
    // splittable populations fill what is left, block by block
    let mut b = 0;
    for p in 1..n_pop {
        if linked[p] {
            continue;
        }
        let mut blocks_of = Vec::with_capacity(pops[p].size);
        for _ in 0..pops[p].size {
            while b < blocks && free[b] == 0 {
                b += 1;
            }
            if b == blocks {
                return Err(BackendError::Internal { what: "block placement ran out of room".into() });
            }
            free[b] -= 1;
            blocks_of.push(b);
        }
        placement[p] = blocks_of;
    }
    Ok(placement)
}

/// What `net` needs on `profile` and every reason it does not fit
/// ([`Requirements::problems`]). Never fails: use it to size a network before deploying.
///
/// ```
/// use spikeport_analog::{requirements, spikey_neuron, Profile};
/// use spikeport_snn::SnnNetwork;
///
/// let lif = spikey_neuron().into_model()?;
/// let w = |r, c| ndarray::Array2::from_elem((r, c), 0.005);
/// let net = SnnNetwork::feed_forward(81, vec![(lif, w(81, 100)), (lif, w(100, 10))], 1.0)?;
/// let r = requirements(&net, &Profile::spikey());
/// assert!(r.fits());
/// assert_eq!((r.neurons, r.max_fan_in, r.block_neurons.clone()), (110, 100, vec![110, 0]));
/// assert_eq!(r.block_drivers, vec![181, 0]); // 81 inputs + 100 hidden neurons drive block 0
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn requirements(net: &SnnNetwork, profile: &Profile) -> Requirements {
    let name = profile.name.as_str();
    let pops = net.populations();
    let neurons = net.n_neurons();
    let mut problems = Vec::new();
    // neuron models and shared potentials
    let mut shared: Option<(usize, [f64; 5])> = None;
    for (k, p) in pops.iter().enumerate().skip(1) {
        match &p.model {
            NeuronModel::IfCondExp(q) => {
                let v = [q.v_rest(), q.v_reset(), q.v_thresh(), q.e_rev_e(), q.e_rev_i()];
                match shared {
                    None => shared = Some((k, v)),
                    Some((k0, v0)) if profile.shared_potentials && v != v0 => {
                        let names = ["v_rest", "v_reset", "v_thresh", "e_rev_E", "e_rev_I"];
                        let i = (0..5).find(|&i| v[i] != v0[i]).unwrap_or(0);
                        problems.push(BackendError::unsupported(
                            name,
                            format!(
                                "different {} per population ({} mV in population {k}, {} mV in population {k0}): \
                                 v_rest, v_reset, v_thresh and the reversal potentials are shared by all neurons",
                                names[i], v[i], v0[i]
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            other if other.kind() != ModelKind::IfCondExp => problems.push(BackendError::unsupported(
                name,
                format!("neuron model {} (population {k}); the analog neurons are IF_cond_exp", other.name()),
            )),
            _ => {}
        }
    }
    // synapses, fan-in, signs
    let mut fan_in: Vec<Vec<usize>> = pops.iter().map(|p| vec![0; p.size]).collect();
    let mut signs = vec![(0usize, 0usize); pops.len()];
    let mut synapses = 0;
    for proj in net.projections() {
        for ((i, j), &w) in proj.weights.indexed_iter() {
            let _ = i;
            if w != 0.0 {
                synapses += 1;
                fan_in[proj.post][j] += 1;
                if w > 0.0 {
                    signs[proj.pre].0 += 1;
                } else {
                    signs[proj.pre].1 += 1;
                }
            }
        }
    }
    let max_fan_in = fan_in.iter().flatten().copied().max().unwrap_or(0);
    let mixed_sign: Vec<MixedSign> = signs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.0 > 0 && s.1 > 0)
        .map(|(k, s)| MixedSign { population: k, excitatory: s.0, inhibitory: s.1 })
        .collect();
    if profile.one_sign_per_population {
        for m in &mixed_sign {
            problems.push(BackendError::DoesNotFit {
                what: format!(
                    "one sign per population on {name}: population {} ('{}') has {} excitatory and {} inhibitory \
                     outgoing synapses, the minority sign cannot be realised (convert a network trained with \
                     non-negative weights, such as Spikey-net, or split the population by sign)",
                    m.population,
                    pops[m.population].label,
                    m.excitatory,
                    m.inhibitory
                ),
                needed: m.excitatory.min(m.inhibitory),
                available: 0,
            });
        }
    }
    let max_allowed = profile.topology.max_fan_in();
    if max_fan_in > max_allowed {
        let (p, j) = fan_in
            .iter()
            .enumerate()
            .flat_map(|(p, v)| v.iter().enumerate().map(move |(j, &f)| (p, j, f)))
            .find(|&(_, _, f)| f == max_fan_in)
            .map(|(p, j, _)| (p, j))
            .unwrap_or((0, 0));
        problems.push(BackendError::DoesNotFit {
            what: format!("synapses into one neuron on {name} (fan-in of neuron {j} of population {p})"),
            needed: max_fan_in,
            available: max_allowed,
        });
    }
    let mut r = Requirements {
        platform: name.to_string(),
        neurons,
        synapses,
        max_fan_in,
        block_neurons: Vec::new(),
        block_drivers: Vec::new(),
        circuits: neurons,
        chips: 1,
        mixed_sign,
        problems: Vec::new(),
    };
    match profile.topology {
        Topology::Blocks { blocks, neurons_per_block, drivers_per_block } => {
            match place_blocks(net, blocks, neurons_per_block, name) {
                Ok(placement) => {
                    let mut block_neurons = vec![0; blocks];
                    for &b in placement.iter().flatten() {
                        block_neurons[b] += 1;
                    }
                    // drivers: distinct sources with a non-zero weight into the block
                    let mut drives: Vec<Vec<Vec<bool>>> =
                        (0..blocks).map(|_| pops.iter().map(|p| vec![false; p.size]).collect()).collect();
                    for proj in net.projections() {
                        for ((i, j), &w) in proj.weights.indexed_iter() {
                            if w != 0.0 {
                                drives[placement[proj.post][j]][proj.pre][i] = true;
                            }
                        }
                    }
                    let block_drivers: Vec<usize> =
                        drives.iter().map(|d| d.iter().flatten().filter(|&&x| x).count()).collect();
                    for (b, &d) in block_drivers.iter().enumerate() {
                        if d > drivers_per_block {
                            problems.push(BackendError::DoesNotFit {
                                what: format!(
                                    "synapse drivers of {name} block {b} (one per source neuron projecting into \
                                     the block)"
                                ),
                                needed: d,
                                available: drivers_per_block,
                            });
                        }
                    }
                    r.block_neurons = block_neurons;
                    r.block_drivers = block_drivers;
                }
                Err(e) => problems.insert(0, e),
            }
        }
        Topology::Wafer { chips, circuits_per_chip, circuits_per_neuron, .. } => {
            let per_chip = circuits_per_chip / circuits_per_neuron;
            r.circuits = neurons * circuits_per_neuron;
            r.chips = neurons.div_ceil(per_chip.max(1));
            if r.chips > chips {
                problems.insert(
                    0,
                    BackendError::DoesNotFit {
                        what: format!(
                            "chips on the {name} wafer ({per_chip} neurons of {circuits_per_neuron} circuits per \
                             chip, {neurons} neurons)"
                        ),
                        needed: r.chips,
                        available: chips,
                    },
                );
            }
        }
    }
    r.problems = problems;
    r
}

/// Groups of one network copy that a block must hold whole, with the neurons and synapse
/// drivers (distinct sources with a non-zero weight into the group) each needs: the
/// connected groups of non-input populations, and every unconnected population on its own.
fn copy_units(net: &SnnNetwork) -> Vec<(usize, usize)> {
    let pops = net.populations();
    let mut parent: Vec<usize> = (0..pops.len()).collect();
    for proj in net.projections() {
        if proj.pre != 0 && proj.post != 0 {
            let (a, b) = (root(&mut parent, proj.pre), root(&mut parent, proj.post));
            parent[a] = b;
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for p in 1..pops.len() {
        let r = root(&mut parent, p);
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, members)) => members.push(p),
            None => groups.push((r, vec![p])),
        }
    }
    groups
        .into_iter()
        .map(|(_, members)| {
            let neurons = members.iter().map(|&p| pops[p].size).sum();
            let mut sources: Vec<Vec<bool>> = pops.iter().map(|q| vec![false; q.size]).collect();
            for proj in net.projections().iter().filter(|q| members.contains(&q.post)) {
                for ((i, _), &w) in proj.weights.indexed_iter() {
                    if w != 0.0 {
                        sources[proj.pre][i] = true;
                    }
                }
            }
            (neurons, sources.iter().flatten().filter(|&&x| x).count())
        })
        .collect()
}

/// What `copies` copies of `net` side by side need on `profile` and every reason they do
/// not fit. One copy is [`requirements`]. Several copies: on a wafer, their neurons fill
/// whole HICANNs in turn; on Spikey's blocks, every connected group of a copy (and every
/// unconnected population) goes whole into one block, first fit by decreasing size, where
/// it needs its neurons and one synapse driver per source (the copies' inputs are separate
/// sources).
pub fn requirements_for(net: &SnnNetwork, profile: &Profile, copies: usize) -> Requirements {
    let mut r = requirements(net, profile);
    if copies <= 1 || !r.fits() {
        return r;
    }
    let name = profile.name.as_str();
    r.neurons *= copies;
    r.synapses *= copies;
    match profile.topology {
        Topology::Blocks { blocks, neurons_per_block, drivers_per_block } => {
            let mut units: Vec<(usize, usize)> =
                copy_units(net).into_iter().flat_map(|u| std::iter::repeat_n(u, copies)).collect();
            units.sort_by(|a, b| b.cmp(a));
            let mut neurons = vec![0usize; blocks];
            let mut drivers = vec![0usize; blocks];
            for &(n, d) in &units {
                let fits =
                    |b: usize| neurons[b] + n <= neurons_per_block && drivers[b] + d <= drivers_per_block;
                match (0..blocks).find(|&b| fits(b)) {
                    Some(b) => {
                        neurons[b] += n;
                        drivers[b] += d;
                    }
                    None => {
                        let neuron_room = (0..blocks).any(|b| neurons[b] + n <= neurons_per_block);
                        let (what, needed, available) = if neuron_room {
                            let free = (0..blocks).map(|b| drivers_per_block - drivers[b]).max().unwrap_or(0);
                            ("synapse drivers", d, free)
                        } else {
                            let free = (0..blocks).map(|b| neurons_per_block - neurons[b]).max().unwrap_or(0);
                            ("neurons", n, free)
                        };
                        r.problems.push(BackendError::DoesNotFit {
                            what: format!(
                                "{what} in one {name} block for {copies} network copies (a copy's connected \
                                 populations share a block; the blocks cannot connect)"
                            ),
                            needed,
                            available,
                        });
                        return r;
                    }
                }
            }
            r.block_neurons = neurons;
            r.block_drivers = drivers;
        }
        Topology::Wafer { chips, circuits_per_chip, circuits_per_neuron, .. } => {
            let per_chip = (circuits_per_chip / circuits_per_neuron).max(1);
            r.circuits = r.neurons * circuits_per_neuron;
            r.chips = r.neurons.div_ceil(per_chip);
            if r.chips > chips {
                r.problems.push(BackendError::DoesNotFit {
                    what: format!(
                        "chips on the {name} wafer for {copies} network copies ({per_chip} neurons of \
                         {circuits_per_neuron} circuits per chip)"
                    ),
                    needed: r.chips,
                    available: chips,
                });
            }
        }
    }
    r
}

/// Check that `copies` copies of `net` fit `profile`; returns what they need.
///
/// **Errors** with the first of [`Requirements::problems`].
pub fn check_fit_for(
    net: &SnnNetwork,
    profile: &Profile,
    copies: usize,
) -> Result<Requirements, BackendError> {
    let r = requirements_for(net, profile, copies);
    match r.problems.first() {
        Some(e) => Err(e.clone()),
        None => Ok(r),
    }
}

/// Check that `net` fits `profile`; returns what it needs.
///
/// **Errors** with the first of [`Requirements::problems`]:
/// [`BackendError::DoesNotFit`] naming the resource, what is needed and what exists
/// (neurons, blocks, chips, fan-in, synapse drivers, one sign per population), or
/// [`BackendError::Unsupported`] for neuron models other than `IF_cond_exp` and, on
/// Spikey, populations asking for different shared potentials.
pub fn check_fit(net: &SnnNetwork, profile: &Profile) -> Result<Requirements, BackendError> {
    let r = requirements(net, profile);
    match r.problems.first() {
        Some(e) => Err(e.clone()),
        None => Ok(r),
    }
}

/// 4-bit levels of one projection: `levels[(i, j)]` ∈ −15..=15 (the sign says excitatory
/// or inhibitory), and the conductance of one level per pre-synaptic row and sign (µS).
#[derive(Clone, Debug, PartialEq)]
pub struct Quantised {
    /// Signed levels, −15..=15 (negative: inhibitory).
    pub levels: Array2<i8>,
    /// Conductance of one excitatory level per pre-synaptic row, µS.
    pub exc_step: Vec<f64>,
    /// Conductance of one inhibitory level per pre-synaptic row, µS.
    pub inh_step: Vec<f64>,
    /// Synapses whose |weight| exceeded the largest level and were clipped to it.
    pub clipped: usize,
}

impl Quantised {
    /// The signed conductances the levels stand for, µS (before mismatch). Allocates.
    pub fn to_weights(&self) -> Array2<f64> {
        Array2::from_shape_fn(self.levels.dim(), |(i, j)| {
            let l = self.levels[(i, j)];
            if l >= 0 {
                f64::from(l) * self.exc_step[i]
            } else {
                f64::from(l) * self.inh_step[i]
            }
        })
    }

    /// Same as [`Quantised::to_weights`] (kept for callers of the first version).
    pub fn weights(&self) -> Array2<f64> {
        self.to_weights()
    }
}

/// Quantise signed weights (µS) to the platform's 4-bit grid: round to the nearest level,
/// clip above level 15 (counted in [`Quantised::clipped`]).
///
/// ```
/// use spikeport_analog::{quantise, WeightGrid};
/// let spikey = WeightGrid::Fixed { exc_step_us: 0.001, inh_step_us: 0.004 };
/// let q = quantise(ndarray::array![[0.0034, -0.0061, 0.02]].view(), spikey);
/// assert_eq!(q.levels, ndarray::array![[3, -2, 15]]);
/// assert_eq!(q.clipped, 1);
/// ```
pub fn quantise(w: ArrayView2<'_, f64>, grid: WeightGrid) -> Quantised {
    let (rows, cols) = w.dim();
    let max = f64::from(MAX_LEVEL);
    let (exc_step, inh_step): (Vec<f64>, Vec<f64>) = match grid {
        WeightGrid::Fixed { exc_step_us, inh_step_us } => (vec![exc_step_us; rows], vec![inh_step_us; rows]),
        WeightGrid::PerRow => (0..rows)
            .map(|i| {
                let (pos, neg) = w.row(i).iter().fold((0.0f64, 0.0f64), |(p, n), &x| {
                    if x > 0.0 {
                        (p.max(x), n)
                    } else {
                        (p, n.max(-x))
                    }
                });
                let step = |top: f64| if top > 0.0 { top / max } else { 1.0 };
                (step(pos), step(neg))
            })
            .unzip(),
    };
    let mut clipped = 0;
    let levels = Array2::from_shape_fn((rows, cols), |(i, j)| {
        let x = w[(i, j)];
        let step = if x >= 0.0 { exc_step[i] } else { inh_step[i] };
        let l = (x.abs() / step).round();
        let l = if l > max {
            clipped += 1;
            max
        } else {
            l
        };
        // l ∈ [0, 15]
        let l = l as i8;
        if x < 0.0 {
            -l
        } else {
            l
        }
    });
    Quantised { levels, exc_step, inh_step, clipped }
}
