//! `spikeport train`: train a zoo network with its recipe and save it.

use super::*;

pub(super) fn cmd_train(
    g: &Global,
    network: Option<String>,
    out: Option<String>,
    epochs: Option<usize>,
) -> Result<(), Error> {
    let mut cfg: TrainRunConfig = config(&g.config)?;
    cfg.network = network.unwrap_or(cfg.network);
    cfg.out = out.or(cfg.out);
    cfg.epochs = epochs.or(cfg.epochs);
    cfg.seed = g.seed.or(cfg.seed);
    if !crate::ann::ZOO_NAMES.contains(&cfg.network.as_str()) {
        return Err(unknown("network", &cfg.network, &crate::ann::ZOO_NAMES).into());
    }
    let mut recipe = zoo_net(&cfg.network)?;
    if let Some(e) = cfg.epochs {
        recipe.config.epochs = e;
    }
    if let Some(s) = cfg.seed {
        recipe.config.seed = s;
    }
    if let Some(n) = cfg.hidden_noise {
        recipe.config.hidden_noise = n;
    }
    if let Some(o) = cfg.hidden_offset {
        recipe.config.hidden_offset = o;
    }
    let out = PathBuf::from(cfg.out.clone().unwrap_or_else(|| format!("target/zoo/{}.npz", cfg.network)));
    let mnist = Mnist::load()?;
    let pb = bar(recipe.config.epochs as u64, "epochs");
    pb.set_prefix(format!("train {}", cfg.network));
    let (model, stats) = recipe.train(&mnist.train, &mnist.test, &mut |e| {
        if let TrainEvent::Epoch(_) = e {
            pb.inc(1);
        }
    })?;
    pb.finish_and_clear();
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    model.save(&out)?;
    let acc = model.evaluate(&mnist.test)?.accuracy_pct();
    write_outputs(
        g,
        &serde_json::json!({ "network": cfg.network, "test_accuracy_pct": acc, "out": out }),
        None,
    )?;
    say(&format!(
        "{}: test accuracy {acc:.2} % after {} epochs; wrote {}\n",
        cfg.network,
        stats.len(),
        out.display()
    ))
}
