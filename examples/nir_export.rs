//! Converts a model file (ONNX or spikeport's `.npz`) with the paper's method and exports the
//! spiking network to NIR; optionally runs the converted network and its NIR re-import on
//! the `Fast` backend to show what the export changed.
//!
//! ```text
//! cargo run --release --features nir --example nir_export -- --model mlp.onnx --out mlp.nir --current-based --images 1000
//! cargo run --release --features nir --example nir_export -- --model models/nas63.npz --out nas63.nir --neuron curr-exp
//! ```
//!
//! The paper's neuron is `IF_cond_exp`, which NIR cannot describe: without
//! `--current-based` the export stops with that error. `--current-based` exports the
//! current-based approximation (`IF_curr_exp` with weights × the driving force at rest,
//! docs/interop.md); `--images N` then measures both on the first N test images.
//! `--neuron curr-exp` converts to `IF_curr_exp` directly (same membrane and synaptic time
//! constants as the paper's neuron, cm 0.2 nF), which NIR describes exactly as `CubaLIF`.

use std::path::PathBuf;

use spikeport::convert::convert_global;
use spikeport::cpu::Fast;
use spikeport::data::Mnist;
use spikeport::io::nir::{export_nir, import_nir, CondExp, NirExportOptions};
use spikeport::io::{load_model, LoadedModel};
use spikeport::snn::{Backend, Encoder, IfCondExpParams, IfCurrExpParams, Recording, SnnNetwork};

const USAGE: &str = "usage: nir_export --model PATH(.onnx|.npz) --out PATH.nir [--max-weight W] \
[--neuron cond-exp|curr-exp] [--current-based] [--images N]";

fn accuracy(
    net: &SnnNetwork,
    x: ndarray::ArrayView2<'_, f32>,
    labels: &[u8],
) -> Result<f64, Box<dyn std::error::Error>> {
    let fast = Fast::new(1.0)?;
    let mut dep = fast.deploy(net, 0)?;
    let input = Encoder::paper_digital().encode(x)?;
    let out = fast.run(&mut dep, &input, &Recording::counts_only())?;
    Ok(out.accuracy_pct(labels)?)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut model_path: Option<PathBuf> = None;
    let mut out: Option<PathBuf> = None;
    let mut max_weight: Option<f64> = None;
    let mut curr_exp = false;
    let mut current_based = false;
    let mut images = 0usize;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--model" => model_path = it.next().map(PathBuf::from),
            "--out" => out = it.next().map(PathBuf::from),
            "--max-weight" => max_weight = Some(it.next().ok_or(USAGE)?.parse()?),
            "--neuron" => {
                curr_exp = match it.next().as_deref() {
                    Some("curr-exp") => true,
                    Some("cond-exp") => false,
                    _ => return Err(USAGE.into()),
                }
            }
            "--current-based" => current_based = true,
            "--images" => images = it.next().ok_or(USAGE)?.parse()?,
            _ => return Err(format!("unknown argument `{a}`\n{USAGE}").into()),
        }
    }
    let (Some(model_path), Some(out)) = (model_path, out) else { return Err(USAGE.into()) };
    let LoadedModel::Ann { model, notes } = load_model(&model_path)? else {
        return Err(format!("{} is already a spiking network", model_path.display()).into());
    };
    for n in &notes {
        println!("import: {n}");
    }
    let neuron = if curr_exp {
        // the paper's membrane (cm 0.2 nF, tau_m 20 ms, tau_syn 3 ms, −65/−75/−55 mV) with
        // current synapses; weights in nA
        IfCurrExpParams::new()
            .cm(0.2)
            .tau_m(20.0)
            .tau_syn_e(3.0)
            .tau_syn_i(3.0)
            .tau_refrac(0.0)
            .v_rest(-65.0)
            .v_reset(-75.0)
            .v_thresh(-55.0)
            .into_model()?
    } else {
        IfCondExpParams::paper_digital().into_model()?
    };
    // µS for IF_cond_exp; for IF_curr_exp the same synapses at the 65 mV driving force, nA
    let max_weight = max_weight.unwrap_or(if curr_exp { 0.02 * 65.0 } else { 0.02 });
    let snn = convert_global(&model.network, &neuron, max_weight, 1.0)?.network;
    let options = NirExportOptions {
        cond_exp: if current_based { CondExp::CurrentBased } else { CondExp::Reject },
        bias_input: model.header.bias_input,
        ..NirExportOptions::default()
    };
    let warnings = export_nir(&out, &snn, &options)?;
    for w in &warnings {
        println!("export: {w}");
    }
    let back = import_nir(&out)?;
    println!(
        "wrote {} ({} populations, {} synapses); re-imported: {} populations, {} synapses",
        out.display(),
        snn.populations().len(),
        snn.n_synapses(),
        back.network.populations().len(),
        back.network.n_synapses()
    );
    if images > 0 {
        let test = Mnist::load_test()?.take(images)?;
        let x = model.features(&test)?;
        let ann = model.network.evaluate(x.view(), test.labels())?.accuracy_pct();
        let a = accuracy(&snn, x.view(), test.labels())?;
        let b = accuracy(&back.network, x.view(), test.labels())?;
        println!(
            "{} test images on Fast: ANN {ann:.2} %, converted {} {a:.2} %, NIR re-import ({}) {b:.2} %",
            test.len(),
            snn.output().model.name(),
            back.network.output().model.name()
        );
    }
    Ok(())
}
