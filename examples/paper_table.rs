//! The paper's full results table (Ostrau et al. 2020, Table 2 and Fig. 3): the five zoo
//! networks × {Reference (NEST row), Fast (GeNN CPU row), SpiNNaker, BrainScaleS, Spikey}
//! with ANN and SNN accuracy, conversion loss, accuracy after hardware-in-the-loop training
//! (analog), modelled time and energy per inference (± SD, with sources), synaptic events
//! and spikes per inference. Writes `docs/results.md`, a JSON file of the cells and a
//! JSON-lines file that lets an interrupted run resume.
//!
//! ```text
//! cargo run --release --example paper_table                          # the default (about 21 min on 2 cores, docs/benchmarks.md)
//! cargo run --release --example paper_table -- --resume              # skip the cells already in the .jsonl file
//! cargo run --release --example paper_table -- --networks spikey-net,nas63 --images 2000 --out /tmp/t.md
//! ```

use std::path::PathBuf;
use std::time::Instant;

use spikeport::bench::report::write_atomic;
use spikeport::data::Mnist;
use spikeport::plot::{accuracy_vs_time, energy_vs_accuracy, energy_vs_copies};
use spikeport::table::{
    copies_series, energy_points, records, results_markdown, run_table_to_file, Outcome, TableConfig,
};

const USAGE: &str =
    "usage: paper_table [--networks a,b] [--platforms a,b] [--images N] [--reference-images N] \
[--gpu-images N] [--hardware-images N] [--hil-epochs N] [--hil-train-images N] [--no-hil] [--out PATH.md] [--json PATH] \
[--cells PATH.jsonl] [--resume] [--threads N]";

struct Args {
    cfg: TableConfig,
    out: PathBuf,
    json: PathBuf,
    cells: PathBuf,
    resume: bool,
    threads: Option<usize>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        cfg: TableConfig::default(),
        out: "docs/results.md".into(),
        json: "results/paper_table.json".into(),
        cells: "results/paper_table.cells.jsonl".into(),
        resume: false,
        threads: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |v: String| v.parse::<usize>().map_err(|_| format!("`{v}` is not a whole number"));
        match flag.as_str() {
            "--networks" => a.cfg.networks = value()?.split(',').map(str::to_owned).collect(),
            "--platforms" => a.cfg.platforms = value()?.split(',').map(str::to_owned).collect(),
            "--images" => a.cfg.images = num(value()?)?,
            "--reference-images" => a.cfg.reference_images = num(value()?)?,
            "--hardware-images" => a.cfg.hardware_images = num(value()?)?,
            "--gpu-images" => a.cfg.gpu_images = num(value()?)?,
            "--hil-epochs" => a.cfg.hil.epochs = num(value()?)?,
            "--hil-train-images" => a.cfg.hil.train_images = num(value()?)?,
            "--no-hil" => a.cfg.hil.enabled = false,
            "--out" => a.out = value()?.into(),
            "--json" => a.json = value()?.into(),
            "--cells" => a.cells = value()?.into(),
            "--resume" => a.resume = true,
            "--threads" => a.threads = Some(num(value()?)?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    a.cfg.check().map_err(|e| e.to_string())?;
    Ok(a)
}

/// The CPU model and core count, for the results file.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} logical cores, {} rayon threads", rayon::current_num_threads())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match parse() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    let t0 = Instant::now();
    let mnist = Mnist::load()?;
    println!("paper table: {} networks × {} platforms", args.cfg.networks.len(), args.cfg.platforms.len());
    let (cells, resumed) = run_table_to_file(&args.cfg, &mnist, &args.cells, args.resume)?;
    let total = t0.elapsed().as_secs_f64();
    let table = results_markdown(&cells);
    let command: Vec<String> = std::env::args().skip(1).collect();
    let mut doc = String::new();
    doc.push_str("# Results: the paper's table on spikeport's models\n\n");
    doc.push_str("Written by `cargo run --release --example paper_table");
    if !command.is_empty() {
        doc.push_str(" -- ");
        doc.push_str(&command.join(" "));
    }
    // what the cells cost when they ran (resumed cells ran in an earlier invocation)
    let cell_s: f64 = cells
        .iter()
        .map(|c| match &c.outcome {
            Outcome::Done { record, hil } => record.total_wall_s + hil.as_ref().map_or(0.0, |h| h.wall_s),
            Outcome::DoesNotRun { .. } => 0.0,
        })
        .sum();
    doc.push_str(&format!(
        "` on {} ({}); {:.0} s wall for this invocation{}; the cells' own run times add up to {:.0} s.\n\n",
        machine(),
        std::env::consts::ARCH,
        total,
        if resumed == 0 { "" } else { ", which resumed finished cells of an earlier run" },
        cell_s
    ));
    doc.push_str(&format!(
        "Setting: `{}` test images on the software simulators, `{}` on the reference simulator, `{}` on the GPU, \
         `{}` on the hardware models; weight scales swept per platform on training images; HIL: {} epoch(s) on {} \
         training images on the same chip (seed {}).\n\n",
        args.cfg.images,
        args.cfg.reference_images,
        args.cfg.gpu_images,
        args.cfg.hardware_images,
        args.cfg.hil.epochs,
        args.cfg.hil.train_images,
        args.cfg.seed
    ));
    doc.push_str(&table);
    // the figures, beside the results file
    let fig_dir = args.out.parent().unwrap_or(std::path::Path::new(".")).join("figures");
    std::fs::create_dir_all(&fig_dir)?;
    let recs = records(&cells);
    let avt = accuracy_vs_time(&recs, &fig_dir.join("accuracy_vs_time"))?;
    let eva = energy_vs_accuracy(&energy_points(&cells), &fig_dir.join("energy_vs_accuracy"))?;
    let evc = energy_vs_copies(&copies_series(&cells), &fig_dir.join("energy_vs_copies"))?;
    doc.push_str("\n## Figures\n\n");
    for (w, what) in [
        (&avt, "Accuracy vs simulated time per image"),
        (&eva, "Energy per inference vs accuracy (before HIL, at the cells' settings)"),
        (&evc, "Energy per inference vs network copies per run (the paper's sweep over parallelism)"),
    ] {
        let rel = |p: &std::path::Path| {
            p.file_name().map(|f| format!("figures/{}", f.to_string_lossy())).unwrap_or_default()
        };
        doc.push_str(&format!("![{what}]({}) ([PNG]({}))\n\n", rel(&w.svg), rel(&w.png)));
    }
    if fig_dir.join("seed_spread.svg").exists() {
        doc.push_str(
            "![Accuracy over chip seeds before and after HIL](figures/seed_spread.svg) ([PNG](figures/seed_spread.png); \
             Spikey-net over 10 chip seeds, written by `cargo run --release --example analog_hil -- --figures docs/figures`, \
             see [backends/analog.md](backends/analog.md))\n\n",
        );
    }
    write_atomic(&args.out, doc.as_bytes())?;
    let json = serde_json::to_vec_pretty(&cells)?;
    write_atomic(&args.json, &json)?;
    println!("{table}");
    println!("wrote {}, {} ({total:.1} s)", args.out.display(), args.json.display());
    Ok(())
}
