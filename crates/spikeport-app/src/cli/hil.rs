//! `spikeport hil`: hardware-in-the-loop training on a platform, resumable from its checkpoint.

use super::*;

pub(super) fn cmd_hil(
    g: &Global,
    m: ModelArgs,
    epochs: Option<usize>,
    train_images: Option<usize>,
    checkpoint: Option<PathBuf>,
) -> Result<(), Error> {
    use crate::experiment::{hil_on_chip, HilPlan};
    use crate::hil::{Control, HilConfig, HilEvent};
    let mut cfg: HilRunConfig = config(&g.config)?;
    cfg.network = m.network.unwrap_or(cfg.network);
    cfg.model = m.model.or(cfg.model);
    cfg.platform = m.platform.unwrap_or(cfg.platform);
    cfg.epochs = epochs.unwrap_or(cfg.epochs);
    cfg.train_images = train_images.unwrap_or(cfg.train_images);
    cfg.images = g.images.unwrap_or(cfg.images);
    cfg.seed = g.seed.unwrap_or(cfg.seed);
    let p = platform(&cfg.platform)?;
    let mut plan = HilPlan::new(&p, cfg.presentation)?;
    plan.config.epochs = cfg.epochs;
    plan.config.seed = cfg.seed;
    plan.config.last_layer_only = cfg.last_layer_only;
    let (backend, train_encoder, test_encoder, hc) =
        (plan.backend.as_ref(), plan.train_encoder, plan.test_encoder, plan.config.clone());
    let model = load_model(&cfg.network, &cfg.model)?;
    let mnist = Mnist::load()?;
    let test_images = images_of("images (test)", cfg.images, mnist.test.len())?;
    let train_set = mnist.train.take(images_of("train_images", cfg.train_images, mnist.train.len())?)?;
    let (xtr, ytr) = (model.features(&train_set)?, train_set.labels().to_vec());
    let max_weight = match (cfg.max_weight, cfg.scale_sweep) {
        (Some(w), _) => w,
        (None, ScaleSweep::Hil) => {
            use crate::experiment::{
                sweep_hil_scale, HIL_SCALE_SWEEP_TRAIN_IMAGES, HIL_SCALE_SWEEP_US, HIL_SCALE_SWEEP_VALIDATION,
            };
            let n = HIL_SCALE_SWEEP_TRAIN_IMAGES.min(xtr.nrows());
            let val = mnist.train.select(&HIL_SCALE_SWEEP_VALIDATION.collect::<Vec<_>>())?;
            let xval = model.features(&val)?;
            let (w, points) = sweep_hil_scale(
                backend,
                &p.neuron,
                &test_encoder,
                &train_encoder,
                &HilConfig { epochs: 1, ..hc.clone() },
                &model.network,
                &HIL_SCALE_SWEEP_US,
                (xtr.slice(ndarray::s![..n, ..]), &ytr[..n]),
                (xval.view(), val.labels()),
                cfg.seed,
            )?;
            for q in &points {
                say(&format!(
                    "max_weight {} µS: {:.1} % before, {:.1} % after one HIL epoch on {n} training images\n",
                    q.max_weight, q.before_pct, q.after_pct
                ))?;
            }
            say(&format!("swept max_weight {w} µS with HIL ({} validation images)\n", val.len()))?;
            w
        }
        (None, ScaleSweep::Conversion) => {
            let calib = 500.min(xtr.nrows());
            let settings =
                SweepSettings { max_weights: p.sweep_us.clone(), max_freqs_hz: Vec::new(), seed: cfg.seed };
            let r = crate::convert::sweep(
                backend,
                &model.network,
                &p.neuron,
                &test_encoder,
                xtr.slice(ndarray::s![..calib, ..]),
                &ytr[..calib],
                &settings,
            )?;
            say(&format!(
                "swept max_weight {} µS ({:.1} % on {calib} training images)\n",
                r.best.max_weight, r.best.accuracy_pct
            ))?;
            r.best.max_weight
        }
    };
    let test = mnist.test.take(test_images)?;
    let xt = model.features(&test)?;
    let pb = bar(plan.total_batches(ytr.len()) as u64, "batches");
    pb.set_prefix(format!("HIL on {} chip {}", cfg.platform, cfg.seed));
    let r = hil_on_chip(
        &plan,
        &model.network,
        max_weight,
        cfg.seed,
        (xtr.view(), &ytr),
        (xt.view(), test.labels()),
        test.len().max(1),
        checkpoint.as_deref(),
        &mut |e| {
            if matches!(e, HilEvent::Batch { .. }) {
                pb.inc(1);
            }
            Control::Continue
        },
    )?;
    pb.finish_and_clear();
    let (before, after) = (r.before.accuracy_pct, r.after.accuracy_pct);
    write_outputs(
        g,
        &serde_json::json!({
            "network": model.header.name, "platform": cfg.platform, "chip_seed": cfg.seed,
            "max_weight_us": max_weight, "before_pct": before, "after_pct": after,
            "presentation": cfg.presentation.to_string(), "test_encoder": test_encoder,
            "epoch_accuracy_pct": r.epoch_accuracy_pct,
            "before": r.before, "after": r.after
        }),
        None,
    )?;
    say(&format!(
        "{} chip {}: {before:.2} % before HIL, {after:.2} % after ({} test images at {} ms, {} Hz; {} epochs, \
         {:.1} s); training accuracy per epoch: {:?}\n",
        cfg.platform,
        cfg.seed,
        test.len(),
        test_encoder.duration_ms(),
        test_encoder.max_freq_hz(),
        hc.epochs,
        r.wall_s,
        r.epoch_accuracy_pct
    ))
}
