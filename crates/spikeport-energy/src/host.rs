//! Energy of the host running spikeport: Linux RAPL counters where readable, otherwise
//! an assumed power × wall time — and the output says which.
//!
//! RAPL (Running Average Power Limit) energy counters are exposed by the Linux powercap
//! framework as `/sys/class/powercap/intel-rapl:<n>[:<m>]/energy_uj` (micro-joules,
//! monotonically increasing, wrapping to 0 after `max_energy_range_uj`); AMD processors
//! use the same interface. [`RaplMeter`] sums:
//!
//! * every top-level zone `intel-rapl:<n>` except `psys` (platform energy, which already
//!   contains the packages), and
//! * sub-zones named `dram` (server DRAM energy, not part of the package's counter);
//!   other sub-zones (`core`, `uncore`) are part of their package and are skipped.
//!
//! What RAPL covers is the CPU package (and DRAM where exposed), not the power supply,
//! disks or fans; wall power is higher. Reading `energy_uj` needs root on most kernels
//! since 2020; without it [`RaplMeter::start`] returns [`EnergyError::RaplUnavailable`]
//! and [`HostMeter`] falls back to an assumed power.
//!
//! ```
//! use spikeport_energy::{HostMeter, HostMethod};
//!
//! let meter = HostMeter::start(); // RAPL if readable, else the assumed power
//! let x: f64 = (0..1000).map(|i| i as f64).sum(); // the work to measure
//! let m = meter.stop();
//! assert!(x > 0.0 && m.energy_j >= 0.0);
//! match &m.method {
//!     HostMethod::Rapl { zones } => println!("RAPL ({}): {m}", zones.join(", ")),
//!     HostMethod::AssumedPower { reason, .. } => println!("assumed power ({reason}): {m}"),
//! }
//! ```

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::model::si;
use crate::{profiles, Coefficient, EnergyError};

/// The powercap directory of Linux.
pub const POWERCAP_ROOT: &str = "/sys/class/powercap";

/// Energy consumed between two readings of a counter that wraps to 0 after
/// `max_range_uj`, in µJ: `end − start`, or `max_range_uj − start + end` if it wrapped
/// once. Call at least once per wrap period (at 100 W, a 2³² µJ range wraps in ~43 s;
/// typical ranges of ~2.6 × 10¹¹ µJ take ~45 min): more than one wrap between readings
/// cannot be detected.
///
/// ```
/// use spikeport_energy::host::counter_delta_uj;
/// assert_eq!(counter_delta_uj(100, 250, 1000), 150);
/// assert_eq!(counter_delta_uj(900, 50, 1000), 150); // wrapped
/// ```
pub fn counter_delta_uj(start_uj: u64, end_uj: u64, max_range_uj: u64) -> u64 {
    if end_uj >= start_uj {
        end_uj - start_uj
    } else {
        max_range_uj.saturating_sub(start_uj).saturating_add(end_uj)
    }
}

/// Read a sysfs file holding one unsigned integer.
fn read_u64(path: &Path) -> Result<u64, String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    text.trim().parse::<u64>().map_err(|e| format!("cannot parse {:?}: {e}", text.trim()))
}

#[derive(Clone, Debug)]
struct Zone {
    /// e.g. `"package-0 (intel-rapl:0)"`.
    label: String,
    energy_path: PathBuf,
    max_range_uj: u64,
    last_uj: u64,
    accumulated_uj: u128,
}

/// A running measurement of RAPL energy counters (see the [module docs](self) for which
/// zones are summed).
#[derive(Clone, Debug)]
pub struct RaplMeter {
    zones: Vec<Zone>,
    t0: Instant,
}

/// What a [`RaplMeter`] measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaplReading {
    /// Energy summed over the zones, J.
    pub energy_j: f64,
    /// Wall time between start and stop, s.
    pub elapsed_s: f64,
    /// The zones summed, e.g. `["package-0 (intel-rapl:0)"]`.
    pub zones: Vec<String>,
}

impl RaplMeter {
    /// Start measuring with the counters under [`POWERCAP_ROOT`].
    ///
    /// **Errors** with [`EnergyError::RaplUnavailable`] when there is no readable zone
    /// (no RAPL, not Linux, or no permission).
    pub fn start() -> Result<Self, EnergyError> {
        Self::start_at(POWERCAP_ROOT)
    }

    /// Start measuring with the counters under `root` (a powercap directory; tests use a
    /// fake one).
    ///
    /// **Errors** with [`EnergyError::RaplUnavailable`] when there is no readable zone.
    pub fn start_at(root: impl AsRef<Path>) -> Result<Self, EnergyError> {
        let root = root.as_ref();
        let unavailable = |reason: String| EnergyError::RaplUnavailable { root: root.to_path_buf(), reason };
        let entries = fs::read_dir(root).map_err(|e| unavailable(e.to_string()))?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with("intel-rapl:"))
            .collect();
        names.sort();
        if names.is_empty() {
            return Err(unavailable("no intel-rapl zones".into()));
        }
        let mut zones = Vec::new();
        let mut problems = Vec::new();
        for dir_name in names {
            let dir = root.join(&dir_name);
            let depth = dir_name.matches(':').count();
            let zone_name =
                fs::read_to_string(dir.join("name")).map(|s| s.trim().to_string()).unwrap_or_default();
            let wanted = match depth {
                1 => zone_name != "psys",
                2 => zone_name.starts_with("dram"),
                _ => false,
            };
            if !wanted {
                continue;
            }
            let energy_path = dir.join("energy_uj");
            let first = read_u64(&energy_path);
            let max = read_u64(&dir.join("max_energy_range_uj"));
            match (first, max) {
                (Ok(last_uj), Ok(max_range_uj)) => zones.push(Zone {
                    label: format!("{} ({dir_name})", if zone_name.is_empty() { "?" } else { &zone_name }),
                    energy_path,
                    max_range_uj,
                    last_uj,
                    accumulated_uj: 0,
                }),
                (Err(e), _) | (_, Err(e)) => problems.push(format!("{dir_name}: {e}")),
            }
        }
        if zones.is_empty() {
            let reason = if problems.is_empty() {
                "no package or dram zone".to_string()
            } else {
                format!("no readable zone ({})", problems.join("; "))
            };
            return Err(unavailable(reason));
        }
        Ok(Self { zones, t0: Instant::now() })
    }

    /// The zones being summed.
    pub fn zones(&self) -> Vec<String> {
        self.zones.iter().map(|z| z.label.clone()).collect()
    }

    /// Read every counter now and add what was used since the last reading. Call this
    /// more often than the counters wrap (see [`counter_delta_uj`]) in long runs.
    ///
    /// **Errors** with [`EnergyError::RaplCounter`] if a counter can no longer be read.
    pub fn sample(&mut self) -> Result<(), EnergyError> {
        for z in &mut self.zones {
            let now = read_u64(&z.energy_path)
                .map_err(|reason| EnergyError::RaplCounter { path: z.energy_path.clone(), reason })?;
            z.accumulated_uj += u128::from(counter_delta_uj(z.last_uj, now, z.max_range_uj));
            z.last_uj = now;
        }
        Ok(())
    }

    /// Energy used so far, J (as of the last [`RaplMeter::sample`]).
    pub fn energy_j(&self) -> f64 {
        self.zones.iter().map(|z| z.accumulated_uj as f64).sum::<f64>() * 1e-6
    }

    /// Take a last reading and return the energy since [`RaplMeter::start`].
    ///
    /// **Errors** with [`EnergyError::RaplCounter`] if a counter can no longer be read.
    pub fn stop(mut self) -> Result<RaplReading, EnergyError> {
        self.sample()?;
        Ok(RaplReading {
            energy_j: self.energy_j(),
            elapsed_s: self.t0.elapsed().as_secs_f64(),
            zones: self.zones(),
        })
    }
}

/// How a [`HostMeasurement`] was obtained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostMethod {
    /// Measured with RAPL counters (CPU package, plus DRAM where exposed).
    Rapl {
        /// The zones summed.
        zones: Vec<String>,
    },
    /// Assumed power × wall time.
    AssumedPower {
        /// The power assumed, W (with its SD and source).
        power_w: Coefficient,
        /// Why RAPL was not used.
        reason: String,
    },
}

/// Host energy of a stretch of work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostMeasurement {
    /// Energy, J.
    pub energy_j: f64,
    /// Standard deviation, J: power SD × wall time for an assumed power; 0 for RAPL,
    /// whose own error is not quantified here (it covers the CPU package only, so it
    /// reads lower than wall power).
    pub sd_j: f64,
    /// Wall time, s.
    pub wall_time_s: f64,
    /// RAPL or assumed power, with details.
    pub method: HostMethod,
}

impl HostMeasurement {
    /// Whether the figure was measured (RAPL) rather than assumed.
    pub fn is_measured(&self) -> bool {
        matches!(self.method, HostMethod::Rapl { .. })
    }

    /// One line saying how the figure was obtained.
    pub fn method_text(&self) -> String {
        match &self.method {
            HostMethod::Rapl { zones } => format!("measured with RAPL counters: {}", zones.join(", ")),
            HostMethod::AssumedPower { power_w, reason } => format!(
                "assumed power {:.1} ± {:.1} W × wall time ({}); RAPL not used: {reason}",
                power_w.value, power_w.sd, power_w.source
            ),
        }
    }
}

impl fmt::Display for HostMeasurement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ± {} over {} ({})",
            si(self.energy_j, "J"),
            si(self.sd_j, "J"),
            si(self.wall_time_s, "s"),
            self.method_text()
        )
    }
}

/// Measures the host's energy over a stretch of work: RAPL where readable, otherwise
/// assumed power × wall time. Never fails: problems with RAPL are reported in
/// [`HostMethod::AssumedPower::reason`].
#[derive(Clone, Debug)]
pub struct HostMeter {
    rapl: Result<RaplMeter, String>,
    assumed: Coefficient,
    t0: Instant,
}

impl HostMeter {
    /// Start with RAPL under [`POWERCAP_ROOT`] and the assumed power of
    /// [`profiles::host_cpu`] as fallback.
    pub fn start() -> Self {
        Self::start_with(POWERCAP_ROOT, Self::default_assumed_power())
    }

    /// Start with RAPL under `root` and `assumed` (W) as fallback power.
    pub fn start_with(root: impl AsRef<Path>, assumed: Coefficient) -> Self {
        let rapl = RaplMeter::start_at(root).map_err(|e| e.to_string());
        Self { rapl, assumed, t0: Instant::now() }
    }

    /// Never read RAPL; price the wall time at `assumed` (W).
    pub fn assumed_only(assumed: Coefficient) -> Self {
        Self { rapl: Err("disabled by the caller".into()), assumed, t0: Instant::now() }
    }

    /// The fallback power of [`profiles::host_cpu`].
    pub fn default_assumed_power() -> Coefficient {
        profiles::host_cpu().coefficient(crate::Term::HostPower).cloned().unwrap_or_else(|| {
            Coefficient::new(profiles::HOST_ASSUMED_POWER_W, profiles::HOST_ASSUMED_POWER_SD_W, "assumption")
        })
    }

    /// Whether RAPL counters are being read.
    pub fn uses_rapl(&self) -> bool {
        self.rapl.is_ok()
    }

    /// Read the RAPL counters now (to survive counter wrap-around in long runs); a no-op
    /// with the assumed power. A failure switches the meter to the assumed power.
    pub fn sample(&mut self) {
        if let Ok(m) = &mut self.rapl {
            if let Err(e) = m.sample() {
                self.rapl = Err(e.to_string());
            }
        }
    }

    /// Stop and report the energy since [`HostMeter::start`].
    pub fn stop(self) -> HostMeasurement {
        let wall = self.t0.elapsed().as_secs_f64();
        let reason = match self.rapl {
            Ok(m) => match m.stop() {
                Ok(r) => {
                    return HostMeasurement {
                        energy_j: r.energy_j,
                        sd_j: 0.0,
                        wall_time_s: r.elapsed_s,
                        method: HostMethod::Rapl { zones: r.zones },
                    }
                }
                Err(e) => e.to_string(),
            },
            Err(reason) => reason,
        };
        HostMeasurement {
            energy_j: self.assumed.value * wall,
            sd_j: self.assumed.sd * wall,
            wall_time_s: wall,
            method: HostMethod::AssumedPower { power_w: self.assumed, reason },
        }
    }
}
