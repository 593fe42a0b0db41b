//! The RAPL reader on a fake powercap directory, including wrap-around, and the host
//! meter's fallback to an assumed power.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use spikeport_energy::host::counter_delta_uj;
use spikeport_energy::{Coefficient, EnergyError, HostMeter, HostMethod, RaplMeter};

fn zone(root: &Path, dir: &str, name: &str, energy_uj: u64, max_uj: u64) {
    let d = root.join(dir);
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join("name"), format!("{name}\n")).unwrap();
    fs::write(d.join("energy_uj"), format!("{energy_uj}\n")).unwrap();
    fs::write(d.join("max_energy_range_uj"), format!("{max_uj}\n")).unwrap();
}

fn set(root: &Path, dir: &str, energy_uj: u64) {
    fs::write(root.join(dir).join("energy_uj"), format!("{energy_uj}\n")).unwrap();
}

/// A fake client-and-server-like layout: package with core and dram sub-zones, a second
/// package, and a psys zone.
fn fake_powercap() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    zone(r, "intel-rapl:0", "package-0", 999_000, 1_000_000);
    zone(r, "intel-rapl:0:0", "core", 5_000, 1_000_000);
    zone(r, "intel-rapl:0:1", "dram", 10_000, 1_000_000);
    zone(r, "intel-rapl:1", "package-1", 0, 262_143_328_850);
    zone(r, "intel-rapl:2", "psys", 123, 1_000_000);
    fs::create_dir_all(r.join("intel-rapl-mmio:0")).unwrap(); // not a counter we read
    dir
}

#[test]
fn delta_handles_wrap_around() {
    assert_eq!(counter_delta_uj(10, 10, 100), 0);
    assert_eq!(counter_delta_uj(10, 60, 100), 50);
    assert_eq!(counter_delta_uj(90, 5, 100), 15);
    assert_eq!(counter_delta_uj(u64::MAX - 1, 3, u64::MAX), 4);
}

#[test]
fn sums_packages_and_dram_skips_core_and_psys_and_unwraps() {
    let dir = fake_powercap();
    let r = dir.path();
    let meter = RaplMeter::start_at(r).unwrap();
    let zones = meter.zones();
    assert_eq!(zones, vec!["package-0 (intel-rapl:0)", "dram (intel-rapl:0:1)", "package-1 (intel-rapl:1)"]);
    set(r, "intel-rapl:0", 500); // wrapped: 1_000 + 500 µJ
    set(r, "intel-rapl:0:0", 900_000); // core: ignored
    set(r, "intel-rapl:0:1", 12_000); // dram: 2_000 µJ
    set(r, "intel-rapl:1", 3_000_000); // 3 J
    set(r, "intel-rapl:2", 999_999); // psys: ignored
    let reading = meter.stop().unwrap();
    assert!((reading.energy_j - (1_500.0 + 2_000.0 + 3_000_000.0) * 1e-6).abs() < 1e-12, "{reading:?}");
    assert_eq!(reading.zones.len(), 3);
    assert!(reading.elapsed_s >= 0.0);
}

#[test]
fn sampling_survives_several_wraps() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    zone(r, "intel-rapl:0", "package-0", 0, 1_000);
    let mut m = RaplMeter::start_at(r).unwrap();
    // Three wraps of a 1 mJ counter, each seen by a sample: 3 × 800 µJ in all.
    for v in [800, 600, 400] {
        set(r, "intel-rapl:0", v);
        m.sample().unwrap();
    }
    assert!((m.energy_j() - 2_400e-6).abs() < 1e-15, "{}", m.energy_j());
}

#[test]
fn absent_or_unreadable_rapl_is_a_clean_error() {
    let missing = RaplMeter::start_at("/nonexistent/powercap");
    assert!(matches!(missing, Err(EnergyError::RaplUnavailable { .. })));

    let empty = tempfile::tempdir().unwrap();
    let err = RaplMeter::start_at(empty.path()).unwrap_err();
    assert!(err.to_string().contains("no intel-rapl zones"), "{err}");

    let garbage = tempfile::tempdir().unwrap();
    zone(garbage.path(), "intel-rapl:0", "package-0", 0, 10);
    fs::write(garbage.path().join("intel-rapl:0/energy_uj"), "n/a\n").unwrap();
    let err = RaplMeter::start_at(garbage.path()).unwrap_err();
    assert!(matches!(err, EnergyError::RaplUnavailable { .. }));
    assert!(err.to_string().contains("parse"), "{err}");

    let only_psys = tempfile::tempdir().unwrap();
    zone(only_psys.path(), "intel-rapl:0", "psys", 0, 10);
    assert!(RaplMeter::start_at(only_psys.path()).is_err());

    // A counter that disappears mid-run.
    let dir = fake_powercap();
    let m = RaplMeter::start_at(dir.path()).unwrap();
    fs::remove_file(dir.path().join("intel-rapl:1/energy_uj")).unwrap();
    assert!(matches!(m.stop(), Err(EnergyError::RaplCounter { .. })));
}

#[test]
fn host_meter_reports_which_method_it_used() {
    let dir = fake_powercap();
    let meter = HostMeter::start_with(dir.path(), Coefficient::new(50.0, 10.0, "test"));
    assert!(meter.uses_rapl());
    set(dir.path(), "intel-rapl:1", 2_000_000);
    let m = meter.stop();
    assert!(m.is_measured());
    assert!(matches!(&m.method, HostMethod::Rapl { zones } if zones.len() == 3));
    assert!((m.energy_j - 2.0).abs() < 1e-12);
    assert!(m.method_text().contains("RAPL"));

    let empty = tempfile::tempdir().unwrap();
    let meter = HostMeter::start_with(empty.path(), Coefficient::new(50.0, 10.0, "test"));
    assert!(!meter.uses_rapl());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let m = meter.stop();
    assert!(!m.is_measured());
    assert!(m.wall_time_s >= 0.02);
    assert!((m.energy_j - 50.0 * m.wall_time_s).abs() < 1e-9);
    assert!((m.sd_j - 10.0 * m.wall_time_s).abs() < 1e-9);
    match &m.method {
        HostMethod::AssumedPower { power_w, reason } => {
            assert_eq!(power_w.value, 50.0);
            assert!(reason.contains("no intel-rapl zones"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(m.to_string().contains("assumed power"));

    // Whatever this machine offers, the default meter answers without panicking.
    let m = HostMeter::start().stop();
    assert!(m.energy_j >= 0.0 && m.wall_time_s >= 0.0);
    let m = HostMeter::assumed_only(HostMeter::default_assumed_power()).stop();
    assert!(matches!(m.method, HostMethod::AssumedPower { .. }));
}
