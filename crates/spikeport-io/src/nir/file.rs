//! NIR graphs in HDF5 files laid out as NIR's reference package (`nir.write` / `nir.read`,
//! format 1.0) lays them out (built with the `hdf5` feature, which needs the HDF5 C
//! library: Debian `libhdf5-dev`):
//!
//! ```text
//! /version                 string, e.g. "1.0.8"
//! /node/type               "NIRGraph"
//! /node/edges              (n, 2) strings: (source, target) node names
//! /node/metadata/…         optional: one dataset per key (string or number)
//! /node/nodes/<name>/type  the node type, e.g. "CubaLIF"
//! /node/nodes/<name>/<p>   one dataset per parameter (float arrays, int64 shapes)
//! /node/nodes/<name>/metadata/…
//! ```
//!
//! Strings are variable-length UTF-8 (h5py's `string_dtype()`); arrays are written as
//! float64 (int64 for shapes), deflate-compressed when the HDF5 library has deflate.
//! Reading accepts any numeric type and variable-length ASCII or UTF-8 strings.

use std::collections::BTreeMap;
use std::path::Path;

use hdf5::types::{TypeDescriptor, VarLenAscii, VarLenUnicode};
use hdf5_metno as hdf5;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use super::graph::{MetaValue, Metadata, NirElement, NirGraph, NirNode, NIR_VERSION};
use crate::error::{IoError, Result};

fn h5err<'a>(path: &'a Path, what: &str) -> impl FnOnce(hdf5::Error) -> IoError + 'a {
    let what = what.to_owned();
    move |e| IoError::Hdf5 { path: path.to_path_buf(), reason: format!("{what}: {e}") }
}

fn vlen(path: &Path, s: &str) -> Result<VarLenUnicode> {
    s.parse::<VarLenUnicode>()
        .map_err(|e| IoError::Hdf5 { path: path.to_path_buf(), reason: format!("string `{s}`: {e}") })
}

struct Writer<'p> {
    path: &'p Path,
    deflate: bool,
}

impl Writer<'_> {
    fn string(&self, g: &hdf5::Group, name: &str, s: &str) -> Result<()> {
        let v = vlen(self.path, s)?;
        g.new_dataset::<VarLenUnicode>()
            .create(name)
            .and_then(|d| d.write_scalar(&v))
            .map_err(h5err(self.path, name))
    }

    fn number(&self, g: &hdf5::Group, name: &str, v: f64) -> Result<()> {
        g.new_dataset::<f64>().create(name).and_then(|d| d.write_scalar(&v)).map_err(h5err(self.path, name))
    }

    fn array1(&self, g: &hdf5::Group, name: &str, a: ArrayView1<'_, f64>) -> Result<()> {
        let a = a.as_standard_layout();
        let b = g.new_dataset_builder();
        let b = if self.deflate && !a.is_empty() { b.deflate(4) } else { b };
        b.with_data(&a).create(name).map(|_| ()).map_err(h5err(self.path, name))
    }

    fn array2(&self, g: &hdf5::Group, name: &str, a: ArrayView2<'_, f64>) -> Result<()> {
        let a = a.as_standard_layout();
        let b = g.new_dataset_builder();
        let b = if self.deflate && !a.is_empty() { b.deflate(4) } else { b };
        b.with_data(&a).create(name).map(|_| ()).map_err(h5err(self.path, name))
    }

    fn shape(&self, g: &hdf5::Group, shape: &[i64]) -> Result<()> {
        g.new_dataset_builder()
            .with_data(&Array1::from_vec(shape.to_vec()))
            .create("shape")
            .map(|_| ())
            .map_err(h5err(self.path, "shape"))
    }

    fn metadata(&self, g: &hdf5::Group, m: &Metadata) -> Result<()> {
        if m.is_empty() {
            return Ok(());
        }
        let mg = g.create_group("metadata").map_err(h5err(self.path, "metadata"))?;
        for (k, v) in m {
            match v {
                MetaValue::Text(s) => self.string(&mg, k, s)?,
                MetaValue::Number(x) => self.number(&mg, k, *x)?,
            }
        }
        Ok(())
    }

    fn node(&self, g: &hdf5::Group, e: &NirElement) -> Result<()> {
        self.string(g, "type", e.node.type_name())?;
        match &e.node {
            NirNode::Input { shape } | NirNode::Output { shape } => self.shape(g, shape)?,
            NirNode::Linear { weight } => self.array2(g, "weight", weight.view())?,
            NirNode::Affine { weight, bias } => {
                self.array2(g, "weight", weight.view())?;
                self.array1(g, "bias", bias.view())?;
            }
            NirNode::CubaLif { tau_syn, tau_mem, r, v_leak, v_threshold, v_reset, w_in } => {
                for (name, a) in [
                    ("tau_syn", tau_syn),
                    ("tau_mem", tau_mem),
                    ("r", r),
                    ("v_leak", v_leak),
                    ("v_threshold", v_threshold),
                    ("v_reset", v_reset),
                    ("w_in", w_in),
                ] {
                    self.array1(g, name, a.view())?;
                }
            }
            NirNode::Lif { tau, r, v_leak, v_threshold, v_reset } => {
                for (name, a) in [
                    ("tau", tau),
                    ("r", r),
                    ("v_leak", v_leak),
                    ("v_threshold", v_threshold),
                    ("v_reset", v_reset),
                ] {
                    self.array1(g, name, a.view())?;
                }
            }
            NirNode::If { r, v_threshold, v_reset } => {
                for (name, a) in [("r", r), ("v_threshold", v_threshold), ("v_reset", v_reset)] {
                    self.array1(g, name, a.view())?;
                }
            }
        }
        self.metadata(g, &e.metadata)
    }
}

/// Writes `graph` to the HDF5 file `path` (replacing it) in NIR's layout.
///
/// **Errors** with [`IoError::Hdf5`] naming the object the library failed on.
pub fn write_nir(path: &Path, graph: &NirGraph) -> Result<()> {
    let w = Writer { path, deflate: hdf5::filters::deflate_available() };
    let file = hdf5::File::create(path).map_err(h5err(path, "create"))?;
    w.string(&file, "version", NIR_VERSION)?;
    let root = file.create_group("node").map_err(h5err(path, "node"))?;
    w.string(&root, "type", "NIRGraph")?;
    let mut edges = Array2::from_elem((graph.edges.len(), 2), VarLenUnicode::new());
    for (i, (a, b)) in graph.edges.iter().enumerate() {
        edges[[i, 0]] = vlen(path, a)?;
        edges[[i, 1]] = vlen(path, b)?;
    }
    root.new_dataset_builder().with_data(&edges).create("edges").map_err(h5err(path, "edges"))?;
    let nodes = root.create_group("nodes").map_err(h5err(path, "nodes"))?;
    for (name, e) in &graph.nodes {
        let g = nodes.create_group(name).map_err(h5err(path, name))?;
        w.node(&g, e)?;
    }
    w.metadata(&root, &graph.metadata)?;
    file.close().map_err(h5err(path, "close"))
}

struct Reader<'p> {
    path: &'p Path,
}

impl Reader<'_> {
    fn string(&self, ds: &hdf5::Dataset, what: &str) -> Result<String> {
        match ds.dtype().and_then(|t| t.to_descriptor()).map_err(h5err(self.path, what))? {
            TypeDescriptor::VarLenUnicode => ds
                .read_scalar::<VarLenUnicode>()
                .map(|s| s.as_str().to_owned())
                .map_err(h5err(self.path, what)),
            TypeDescriptor::VarLenAscii => {
                ds.read_scalar::<VarLenAscii>().map(|s| s.as_str().to_owned()).map_err(h5err(self.path, what))
            }
            other => Err(IoError::NirFormat {
                reason: format!("`{what}` is {other}, not a variable-length string"),
            }),
        }
    }

    fn strings(&self, ds: &hdf5::Dataset, what: &str) -> Result<Vec<String>> {
        match ds.dtype().and_then(|t| t.to_descriptor()).map_err(h5err(self.path, what))? {
            TypeDescriptor::VarLenUnicode => ds
                .read_raw::<VarLenUnicode>()
                .map(|v| v.iter().map(|s| s.as_str().to_owned()).collect())
                .map_err(h5err(self.path, what)),
            TypeDescriptor::VarLenAscii => ds
                .read_raw::<VarLenAscii>()
                .map(|v| v.iter().map(|s| s.as_str().to_owned()).collect())
                .map_err(h5err(self.path, what)),
            other => Err(IoError::NirFormat {
                reason: format!("`{what}` is {other}, not variable-length strings"),
            }),
        }
    }

    fn numbers(&self, g: &hdf5::Group, node: &str, name: &str) -> Result<(Vec<usize>, Vec<f64>)> {
        let what = format!("{node}/{name}");
        if !g.link_exists(name) {
            return Err(IoError::NirFormat { reason: format!("node `{node}` has no `{name}`") });
        }
        let ds = g.dataset(name).map_err(h5err(self.path, &what))?;
        let values = ds.read_raw::<f64>().map_err(h5err(self.path, &what))?;
        Ok((ds.shape(), values))
    }

    fn array1(&self, g: &hdf5::Group, node: &str, name: &str) -> Result<Array1<f64>> {
        let (shape, values) = self.numbers(g, node, name)?;
        if shape.len() > 1 {
            return Err(IoError::NirFormat {
                reason: format!("`{node}/{name}` has shape {shape:?}; spikeport reads 1-D neuron parameters"),
            });
        }
        Ok(Array1::from_vec(values))
    }

    fn array2(&self, g: &hdf5::Group, node: &str, name: &str) -> Result<Array2<f64>> {
        let (shape, values) = self.numbers(g, node, name)?;
        match shape.as_slice() {
            [rows, cols] => Array2::from_shape_vec((*rows, *cols), values)
                .map_err(|e| IoError::NirFormat { reason: format!("`{node}/{name}`: {e}") }),
            other => Err(IoError::NirFormat {
                reason: format!("`{node}/{name}` has shape {other:?}; a 2-D weight matrix is needed"),
            }),
        }
    }

    fn metadata(&self, g: &hdf5::Group, what: &str) -> Result<Metadata> {
        let mut m = Metadata::new();
        if !g.link_exists("metadata") {
            return Ok(m);
        }
        let mg = g.group("metadata").map_err(h5err(self.path, what))?;
        for key in mg.member_names().map_err(h5err(self.path, what))? {
            let Ok(ds) = mg.dataset(&key) else { continue }; // nested groups: not read
            let desc = ds.dtype().and_then(|t| t.to_descriptor()).map_err(h5err(self.path, &key))?;
            match desc {
                TypeDescriptor::VarLenUnicode | TypeDescriptor::VarLenAscii if ds.is_scalar() => {
                    m.insert(key.clone(), MetaValue::Text(self.string(&ds, &key)?));
                }
                TypeDescriptor::Float(_) | TypeDescriptor::Integer(_) | TypeDescriptor::Unsigned(_)
                    if ds.is_scalar() =>
                {
                    let v = ds.read_scalar::<f64>().map_err(h5err(self.path, &key))?;
                    m.insert(key.clone(), MetaValue::Number(v));
                }
                _ => {} // arrays and other types: not used by spikeport
            }
        }
        Ok(m)
    }

    fn node(&self, g: &hdf5::Group, name: &str) -> Result<NirElement> {
        let ty_ds = g
            .dataset("type")
            .map_err(|_| IoError::NirFormat { reason: format!("node `{name}` has no type") })?;
        let ty = self.string(&ty_ds, &format!("{name}/type"))?;
        let a = |p: &str| self.array1(g, name, p);
        let node = match ty.as_str() {
            "Input" | "Output" => {
                let (_, v) = self.numbers(g, name, "shape")?;
                let shape = v.iter().map(|&x| x as i64).collect();
                if ty == "Input" {
                    NirNode::Input { shape }
                } else {
                    NirNode::Output { shape }
                }
            }
            "Linear" => NirNode::Linear { weight: self.array2(g, name, "weight")? },
            "Affine" => NirNode::Affine { weight: self.array2(g, name, "weight")?, bias: a("bias")? },
            "CubaLIF" => {
                let v_threshold = a("v_threshold")?;
                NirNode::CubaLif {
                    tau_syn: a("tau_syn")?,
                    tau_mem: a("tau_mem")?,
                    r: a("r")?,
                    v_leak: a("v_leak")?,
                    v_reset: optional_or_zeros(g, &v_threshold, || a("v_reset"))?,
                    w_in: if g.link_exists("w_in") { a("w_in")? } else { Array1::ones(v_threshold.len()) },
                    v_threshold,
                }
            }
            "LIF" => {
                let v_threshold = a("v_threshold")?;
                NirNode::Lif {
                    tau: a("tau")?,
                    r: a("r")?,
                    v_leak: a("v_leak")?,
                    v_reset: optional_or_zeros(g, &v_threshold, || a("v_reset"))?,
                    v_threshold,
                }
            }
            "IF" => {
                let v_threshold = a("v_threshold")?;
                NirNode::If {
                    r: a("r")?,
                    v_reset: optional_or_zeros(g, &v_threshold, || a("v_reset"))?,
                    v_threshold,
                }
            }
            other => {
                return Err(IoError::NirUnsupported {
                    node: name.to_owned(),
                    node_type: other.to_owned(),
                    reason: "spikeport reads Input, Output, Linear, Affine, CubaLIF, LIF and IF nodes".into(),
                })
            }
        };
        Ok(NirElement { node, metadata: self.metadata(g, name)? })
    }
}

/// NIR files written before `v_reset` existed mean a reset to 0.
fn optional_or_zeros(
    g: &hdf5::Group,
    like: &Array1<f64>,
    read: impl FnOnce() -> Result<Array1<f64>>,
) -> Result<Array1<f64>> {
    if g.link_exists("v_reset") {
        read()
    } else {
        Ok(Array1::zeros(like.len()))
    }
}

/// Reads the NIR graph in the HDF5 file `path`.
///
/// **Errors** with [`IoError::Hdf5`] if the file cannot be read, [`IoError::NirFormat`] if
/// it is not a NIR graph (missing `node`, `type`, `edges`, a parameter, or a wrongly shaped
/// one), and [`IoError::NirUnsupported`] for a node type spikeport does not read (it names
/// the node).
pub fn read_nir(path: &Path) -> Result<NirGraph> {
    if !path.is_file() {
        return Err(IoError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let r = Reader { path };
    let file = hdf5::File::open(path).map_err(h5err(path, "open"))?;
    let root = file
        .group("node")
        .map_err(|_| IoError::NirFormat { reason: "the file has no `node` group".into() })?;
    let ty = root.dataset("type").map_err(|_| IoError::NirFormat { reason: "`node` has no type".into() })?;
    let ty = r.string(&ty, "node/type")?;
    if ty != "NIRGraph" {
        return Err(IoError::NirFormat { reason: format!("the top node is a `{ty}`, not a NIRGraph") });
    }
    let edges_ds =
        root.dataset("edges").map_err(|_| IoError::NirFormat { reason: "the graph has no edges".into() })?;
    let flat = r.strings(&edges_ds, "node/edges")?;
    if edges_ds.shape().last() != Some(&2) && !flat.is_empty() {
        return Err(IoError::NirFormat {
            reason: format!("edges have shape {:?}, not (n, 2)", edges_ds.shape()),
        });
    }
    let edges = flat.chunks_exact(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    let nodes_g =
        root.group("nodes").map_err(|_| IoError::NirFormat { reason: "the graph has no nodes".into() })?;
    let mut nodes = BTreeMap::new();
    for name in nodes_g.member_names().map_err(h5err(path, "nodes"))? {
        let g = nodes_g.group(&name).map_err(h5err(path, &name))?;
        nodes.insert(name.clone(), r.node(&g, &name)?);
    }
    Ok(NirGraph { nodes, edges, metadata: r.metadata(&root, "node")? })
}
