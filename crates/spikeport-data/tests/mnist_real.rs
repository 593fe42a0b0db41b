//! The shipped MNIST database: sizes, first labels, class counts, preprocessing.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;

use common::shipped_dir;
use spikeport_data::{verify_checksums, Mnist, Preprocessing};

/// MNIST loaded once per test binary through `Mnist::load` (the default directory).
fn mnist() -> &'static Mnist {
    static MNIST: OnceLock<Mnist> = OnceLock::new();
    MNIST.get_or_init(|| Mnist::load().unwrap())
}

#[test]
fn sizes_and_first_labels() {
    let m = mnist();
    assert_eq!(m.train.len(), Mnist::TRAIN_LEN);
    assert_eq!(m.test.len(), Mnist::TEST_LEN);
    for d in [&m.train, &m.test] {
        assert_eq!((d.rows(), d.cols(), d.pixels()), (28, 28, 784));
        assert_eq!(d.images().dim(), (d.len(), 784));
    }
    assert_eq!(m.train.labels()[0], 5);
    assert_eq!(m.test.labels()[0], 7);
    assert_eq!(m.test.class_counts(), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    assert_eq!(m.train.class_counts(), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
}

#[test]
fn load_dir_and_load_test_agree_with_load() {
    let m = Mnist::load_dir(&shipped_dir()).unwrap();
    assert_eq!(&m, mnist());
    assert_eq!(&Mnist::load_test().unwrap(), &mnist().test);
}

#[test]
fn shipped_checksums_verify() {
    verify_checksums(&shipped_dir()).unwrap();
}

#[test]
fn preprocessing_of_real_images() {
    let test = mnist().test.take(100).unwrap();
    let x = test.scaled();
    assert_eq!(x.dim(), (100, 784));
    assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert!(x.iter().any(|&v| v == 1.0) && x.iter().any(|&v| v == 0.0));

    let p = test.features(Preprocessing::SPIKEY).unwrap();
    assert_eq!(p.dim(), (100, 81));
    assert!(p.iter().all(|&v| (0.0..=1.0).contains(&v)));
    // Pooled pixel (4, 4) of image 0 is the mean of its 3x3 scaled block at rows/cols 12..15.
    let img = test.image(0).unwrap();
    let mean: f32 = (12..15)
        .flat_map(|r| (12..15).map(move |c| r * 28 + c))
        .map(|k| f32::from(img[k]) / 255.0)
        .sum::<f32>()
        / 9.0;
    assert!((p[[0, 4 * 9 + 4]] - mean).abs() < 1e-6);
}
