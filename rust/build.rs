//! Records how the extension was built, for `influxlite --version`: the compiler's own version
//! line (`rustc --version`, not the crate's `rust-version`) and the PyO3 release the lockfile
//! resolved. Both end up in `_native.__build__`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustc_version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "rustc (unknown version)".to_string());
    println!("cargo:rustc-env=INFLUXLITE_RUSTC_VERSION={rustc_version}");

    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let pyo3 = find_lockfile(&manifest_dir)
        .and_then(|lock| {
            println!("cargo:rerun-if-changed={}", lock.display());
            std::fs::read_to_string(lock).ok()
        })
        .and_then(|text| locked_version(&text, "pyo3"))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=INFLUXLITE_PYO3_VERSION={pyo3}");
    println!(
        "cargo:rustc-env=INFLUXLITE_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
}

/// The workspace's `Cargo.lock`: in this directory or the nearest one above it.
fn find_lockfile(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
}

/// The version of package `name` in a `Cargo.lock` (`name = "..."` followed by `version = "..."`).
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let next = lines.next()?.trim();
            return next
                .strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(str::to_string);
        }
    }
    None
}
