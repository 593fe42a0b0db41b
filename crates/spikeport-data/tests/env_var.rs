//! `SPIKEPORT_DATA` handling. Environment variables are process-global, so everything that
//! touches one lives in this single test function, alone in its own test binary.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fake_mnist, shipped_dir};
use spikeport_data::{DataError, Mnist};

#[test]
fn spikeport_data_env_var() {
    let var = Mnist::ENV_VAR;
    assert_eq!(var, "SPIKEPORT_DATA");

    // A missing directory is a typed error naming the variable and the path.
    let missing = std::env::temp_dir().join("spikeport-data-no-such-dir-4711");
    std::env::set_var(var, &missing);
    let err = Mnist::default_dir().unwrap_err();
    assert!(
        matches!(&err, DataError::EnvDirNotFound { var: v, path } if v == var && path == &missing),
        "{err:?}"
    );
    assert!(err.to_string().contains("SPIKEPORT_DATA"), "{err}");
    assert!(matches!(Mnist::load(), Err(DataError::EnvDirNotFound { .. })));
    assert!(matches!(Mnist::load_test(), Err(DataError::EnvDirNotFound { .. })));

    // A file is not a directory either.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::env::set_var(var, file.path());
    assert!(matches!(Mnist::default_dir(), Err(DataError::EnvDirNotFound { .. })));

    // An existing directory wins over the shipped data.
    let dir = tempfile::tempdir().unwrap();
    fake_mnist(dir.path(), true, true);
    std::env::set_var(var, dir.path());
    assert_eq!(Mnist::default_dir().unwrap(), dir.path());
    let m = Mnist::load().unwrap();
    assert_eq!((m.train.len(), m.test.len()), (30, 20));
    assert_eq!(Mnist::load_test().unwrap().len(), 20);

    // Empty or unset: the shipped directory.
    let shipped = std::fs::canonicalize(shipped_dir()).unwrap();
    std::env::set_var(var, "");
    assert_eq!(Mnist::default_dir().unwrap(), shipped);
    std::env::remove_var(var);
    assert_eq!(Mnist::default_dir().unwrap(), shipped);
}
