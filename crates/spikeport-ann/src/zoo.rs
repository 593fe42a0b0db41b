//! The paper's network zoo: architectures, training recipes and the shipped trained weights.
//!
//! | name | layout | input | paper's ANN accuracy |
//! |---|---|---|---|
//! | `spikey-net` | 81×100×10, weights ≥ 0 | 28×28 → 3×3 average pool → 9×9 | 90.13 % |
//! | `nas63` | 784×43×10×10 | 28×28 | 96.76 % |
//! | `nas129` | 784×52×35×32×10 | 28×28 | 97.53 % |
//! | `nastop` | 784×866×52×35×32×10 | 28×28 | 97.71 % |
//! | `diehl` | 784×1200×1200×10 | 28×28 | 98.84 % |
//!
//! All are bias-free ReLU MLPs with a linear output (Ostrau et al. 2020, Table 1). The trained
//! weights ship in the repository's `models/` folder; `cargo run --release --example
//! train_zoo` reproduces them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use spikeport_data::{Dataset, Preprocessing};

use crate::error::{AnnError, Result};
use crate::io::{Model, ModelHeader, TrainingRecord};
use crate::loss::Loss;
use crate::network::{Init, Network};
use crate::optim::{LrSchedule, Optimizer};
use crate::train::{train, EpochStats, Labelled, TrainConfig, TrainEvent};

/// One network of the zoo: its architecture and how spikeport trains it.
#[derive(Clone, Debug, PartialEq)]
pub struct ZooNet {
    /// Short name, e.g. `"nas63"`.
    pub name: &'static str,
    /// Input size then units per layer.
    pub sizes: &'static [usize],
    /// Input preprocessing.
    pub preprocessing: Preprocessing,
    /// ANN test accuracy reported in the paper, in percent.
    pub paper_accuracy_pct: f64,
    /// Seed of the weight initialisation.
    pub init_seed: u64,
    /// The training recipe.
    pub config: TrainConfig,
    /// One line on where the network comes from.
    pub description: &'static str,
}

/// Names of the zoo's networks, in the paper's order.
pub const ZOO_NAMES: [&str; 5] = ["spikey-net", "nas63", "nas129", "nastop", "diehl"];

/// The paper's five networks with spikeport's training recipes.
///
/// Spikey-net follows the paper's recipe (categorical hinge, Adam 1e-3, L2 1e-3, 25 epochs,
/// batch 128, weights ≥ 0) plus one addition: a random offset (up to 0.6) subtracted from its
/// hidden units' inputs during training ([`TrainConfig::hidden_offset`]), which makes it
/// tolerate the threshold of leaky spiking neurons and cuts its conversion loss from 1.42 to
/// 0.55 pp (docs/ann-zoo.md). The paper gives no recipe for the others; spikeport trains them
/// with Adam and cross-entropy, with dropout on the two wide networks and multiplicative
/// Gaussian noise (σ 0.2) on the hidden units of nas63 and nas129, which halves their
/// conversion loss.
pub fn zoo() -> Vec<ZooNet> {
    let base = TrainConfig::default();
    vec![
        ZooNet {
            name: "spikey-net",
            sizes: &[81, 100, 10],
            preprocessing: Preprocessing::SPIKEY,
            paper_accuracy_pct: 90.13,
            init_seed: 1,
            config: TrainConfig {
                epochs: 25,
                batch_size: 128,
                optimizer: Optimizer::adam(1e-3),
                loss: Loss::CategoricalHinge,
                l2: 1e-3,
                non_negative: true,
                hidden_offset: 0.6,
                seed: 1,
                ..base.clone()
            },
            description:
                "Spikey-net: fits the 384-neuron Spikey chip; non-negative weights, 9x9 pooled input",
        },
        ZooNet {
            name: "nas63",
            sizes: &[784, 43, 10, 10],
            preprocessing: Preprocessing::Scale,
            paper_accuracy_pct: 96.76,
            init_seed: 2,
            config: TrainConfig {
                epochs: 30,
                schedule: LrSchedule::Cosine { final_fraction: 0.05 },
                loss: Loss::CrossEntropyFiring,
                hidden_noise: 0.2,
                seed: 2,
                ..base.clone()
            },
            description: "NAS63: smallest network of the paper's architecture search (63 neurons)",
        },
        ZooNet {
            name: "nas129",
            sizes: &[784, 52, 35, 32, 10],
            preprocessing: Preprocessing::Scale,
            paper_accuracy_pct: 97.53,
            init_seed: 3,
            config: TrainConfig {
                epochs: 30,
                schedule: LrSchedule::Cosine { final_fraction: 0.05 },
                hidden_noise: 0.2,
                seed: 3,
                ..base.clone()
            },
            description: "NAS129: network of the paper's architecture search with 129 neurons",
        },
        ZooNet {
            name: "nastop",
            sizes: &[784, 866, 52, 35, 32, 10],
            preprocessing: Preprocessing::Scale,
            paper_accuracy_pct: 97.71,
            init_seed: 4,
            config: TrainConfig {
                epochs: 25,
                schedule: LrSchedule::Cosine { final_fraction: 0.05 },
                hidden_dropout: 0.1,
                seed: 4,
                ..base.clone()
            },
            description: "NAStop: most accurate network of the paper's architecture search",
        },
        ZooNet {
            name: "diehl",
            sizes: &[784, 1200, 1200, 10],
            preprocessing: Preprocessing::Scale,
            paper_accuracy_pct: 98.84,
            init_seed: 5,
            config: TrainConfig {
                epochs: 30,
                schedule: LrSchedule::Cosine { final_fraction: 0.02 },
                input_dropout: 0.2,
                hidden_dropout: 0.4,
                seed: 5,
                ..base
            },
            description: "Diehl et al. 2015 (IJCNN): 784x1200x1200x10, trained with dropout",
        },
    ]
}

/// The zoo network called `name`.
pub fn zoo_net(name: &str) -> Result<ZooNet> {
    zoo()
        .into_iter()
        .find(|z| z.name == name)
        .ok_or_else(|| AnnError::UnknownNetwork { name: name.into(), known: ZOO_NAMES.join(", ") })
}

/// Environment variable that points to a folder of models instead of the shipped `models/`.
pub const MODELS_ENV: &str = "SPIKEPORT_MODELS";

/// The folder of shipped models: `$SPIKEPORT_MODELS` if set, else the workspace's `models/`
/// (found at compile time), else a `models/` folder in the current directory or above.
pub fn models_dir() -> Result<PathBuf> {
    let mut searched = Vec::new();
    if let Some(dir) = std::env::var_os(MODELS_ENV) {
        let dir = PathBuf::from(dir);
        if dir.is_dir() {
            return Ok(dir);
        }
        return Err(AnnError::ModelsNotFound { searched: vec![dir] });
    }
    let compiled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    if compiled.join("nas63.json").is_file() {
        return Ok(compiled);
    }
    searched.push(compiled);
    if let Ok(mut dir) = std::env::current_dir() {
        loop {
            let cand = dir.join("models");
            if cand.join("nas63.json").is_file() {
                return Ok(cand);
            }
            searched.push(cand);
            if !dir.pop() {
                break;
            }
        }
    }
    Err(AnnError::ModelsNotFound { searched })
}

/// Loads the shipped trained weights of zoo network `name` from [`models_dir`].
pub fn load_zoo(name: &str) -> Result<Model> {
    let net = zoo_net(name)?;
    let model = Model::load(&models_dir()?.join(net.name))?;
    if model.header.sizes != net.sizes || model.header.preprocessing != net.preprocessing {
        return Err(AnnError::BadHeader {
            path: models_dir()?.join(format!("{}.json", net.name)),
            reason: format!(
                "shipped model has sizes {:?} / {:?}, the zoo defines {:?} / {:?}",
                model.header.sizes, model.header.preprocessing, net.sizes, net.preprocessing
            ),
        });
    }
    Ok(model)
}

impl ZooNet {
    /// Trains this network from scratch on `train_set` and measures it on `test_set`.
    ///
    /// Returns the model (header filled with the recipe, time and test accuracy) and the
    /// per-epoch statistics. `observer` sees every batch and epoch.
    pub fn train(
        &self,
        train_set: &Dataset,
        test_set: &Dataset,
        observer: &mut dyn FnMut(TrainEvent<'_>),
    ) -> Result<(Model, Vec<EpochStats>)> {
        let x = self.preprocessing.apply(train_set)?;
        let mut net = Network::init(self.sizes, false, Init::GlorotUniform, self.init_seed)?;
        let start = Instant::now();
        let stats =
            train(&mut net, Labelled::new(x.view(), train_set.labels()), None, &self.config, observer)?;
        let seconds = start.elapsed().as_secs_f64();
        let mut header = ModelHeader::for_network(self.name, &net, self.preprocessing);
        header.description = Some(self.description.into());
        header.training = Some(TrainingRecord {
            config: self.config.clone(),
            train_images: train_set.len(),
            seconds,
            threads: rayon::current_num_threads(),
            final_loss: stats.last().map_or(f32::NAN, |s| s.loss),
            spikeport_version: env!("CARGO_PKG_VERSION").into(),
        });
        let mut model = Model::new(header, net)?;
        let eval = model.evaluate(test_set)?;
        model.header.test_accuracy_pct = Some(eval.accuracy_pct());
        model.header.test_images = Some(test_set.len());
        Ok((model, stats))
    }
}
