//! Draws the figures of a records JSON file (from `paper_benchmark --json` or
//! `spikeport run --json`) and, optionally, of a seed-study JSON file (an array of
//! `SeedStudy` objects, as `analog_hil --json` writes).
//!
//! ```text
//! cargo run --release --example paper_benchmark -- --networks spikey-net --backends fast,spinnaker,spikey --images 500 --json /tmp/pb.json
//! cargo run --release -p spikeport-plot --example plot_records -- /tmp/pb.json /tmp/figures [seeds.json]
//! ```

use std::path::PathBuf;

use spikeport_bench::Record;
use spikeport_plot::{accuracy_vs_time, energy_points, energy_vs_accuracy, seed_spread, SeedStudy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: plot_records RECORDS.json OUT_DIR [SEEDS.json]");
        std::process::exit(2);
    }
    let records: Vec<Record> = serde_json::from_str(&std::fs::read_to_string(&args[0])?)?;
    let out = PathBuf::from(&args[1]);
    std::fs::create_dir_all(&out)?;
    let w = accuracy_vs_time(&records, &out.join("accuracy_vs_time"))?;
    println!("wrote {} and {}", w.svg.display(), w.png.display());
    let w = energy_vs_accuracy(&energy_points(&records), &out.join("energy_vs_accuracy"))?;
    println!("wrote {} and {}", w.svg.display(), w.png.display());
    if let Some(seeds) = args.get(2) {
        let studies: Vec<SeedStudy> = serde_json::from_str(&std::fs::read_to_string(seeds)?)?;
        let w = seed_spread(&studies, &out.join("seed_spread"))?;
        println!("wrote {} and {}", w.svg.display(), w.png.display());
    }
    Ok(())
}
