//! Trains the paper's network zoo from scratch on the 60,000 MNIST training images, tests each
//! network on the 10,000 test images, saves the weights and prints a table.
//!
//! ```text
//! cargo run --release --example train_zoo                       # all five networks
//! cargo run --release --example train_zoo -- --only spikey-net  # one (comma-separated list ok)
//! cargo run --release --example train_zoo -- --out models       # overwrite the shipped models
//! ```
//!
//! By default the models are written to `target/zoo/`, so the shipped `models/` stay as they
//! are; `--out models` replaces them. `--threads N` sets the number of worker threads (the
//! result does not depend on it).

use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use spikeport::ann::{zoo, zoo_net, TrainEvent, ZooNet};
use spikeport::data::Mnist;

struct Args {
    only: Option<Vec<String>>,
    out: PathBuf,
    threads: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { only: None, out: PathBuf::from("target/zoo"), threads: None };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--only" => args.only = Some(value("--only")?.split(',').map(str::to_owned).collect()),
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--threads" => {
                let v = value("--threads")?;
                args.threads = Some(v.parse().map_err(|_| format!("--threads: `{v}` is not a number"))?);
            }
            "-h" | "--help" => {
                return Err("usage: train_zoo [--only NAME[,NAME..]] [--out DIR] [--threads N]".into())
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(args)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    let nets: Vec<ZooNet> = match &args.only {
        Some(names) => names.iter().map(|n| zoo_net(n)).collect::<Result<_, _>>()?,
        None => zoo(),
    };
    let t0 = Instant::now();
    let mnist = Mnist::load()?;
    println!(
        "MNIST: {} training, {} test images (loaded in {:.2} s); {} threads",
        mnist.train.len(),
        mnist.test.len(),
        t0.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    let mut rows = Vec::new();
    for net in &nets {
        let batches = mnist.train.len().div_ceil(net.config.batch_size) as u64;
        let bar = ProgressBar::new(batches * net.config.epochs as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:30}] {pos}/{len} batches {elapsed_precise} ETA {eta} {msg}",
            )?
            .progress_chars("=> "),
        );
        bar.set_prefix(net.name);
        let (model, stats) = net.train(&mnist.train, &mnist.test, &mut |ev| match ev {
            TrainEvent::Batch { .. } => bar.inc(1),
            TrainEvent::Epoch(s) => bar.set_message(format!(
                "epoch {} loss {:.4} train acc {:.2} %",
                s.epoch + 1,
                s.loss,
                s.train_accuracy_pct
            )),
            _ => {}
        })?;
        bar.finish();
        let path = args.out.join(net.name);
        model.save(&path)?;
        let acc = model.header.test_accuracy_pct.unwrap_or(f64::NAN);
        let secs = model.header.training.as_ref().map_or(f64::NAN, |t| t.seconds);
        println!(
            "{}: test accuracy {acc:.2} % (paper {:.2} %), {} epochs in {secs:.1} s, saved to {}.npz/.json",
            net.name,
            net.paper_accuracy_pct,
            stats.len(),
            path.display()
        );
        rows.push((net, acc, secs, stats.len()));
    }
    println!();
    println!(
        "| network | layout | test accuracy (%) | paper (%) | target (%) | epochs | training time (s) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (net, acc, secs, epochs) in rows {
        let layout = net.sizes.iter().map(usize::to_string).collect::<Vec<_>>().join("×");
        println!(
            "| {} | {layout} | {acc:.2} | {:.2} | {:.2} | {epochs} | {secs:.1} |",
            net.name,
            net.paper_accuracy_pct,
            net.paper_accuracy_pct - 0.5
        );
    }
    Ok(())
}
