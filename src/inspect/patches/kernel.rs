//! The kernel: the running build against the newest installed kernel package, and whether
//! a reboot is required.

#[allow(clippy::wildcard_imports)]
// one module split along its seams: the siblings share its words
use super::*;

/// Kernel release of a Debian/Ubuntu kernel image package name, if it is one
/// (`linux-image-6.1.0-28-amd64` → `6.1.0-28-amd64`; metapackages and debug images are not).
pub fn debian_kernel_release(package: &str) -> Option<&str> {
    let rest = package.strip_prefix("linux-image-")?;
    let rest = rest.strip_prefix("unsigned-").unwrap_or(rest);
    let rest = rest.strip_suffix("-unsigned").unwrap_or(rest);
    if rest.ends_with("-dbg")
        || rest.ends_with("-dbgsym")
        || !rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    Some(rest)
}

/// The package version a Debian kernel says it was built from: `... Debian 6.1.119-1 (2024-11-22)`.
pub fn debian_running_build(proc_version: &str) -> Option<&str> {
    let idx = proc_version.rfind(" Debian ")?;
    let v = proc_version[idx + " Debian ".len()..]
        .split_whitespace()
        .next()?;
    v.starts_with(|c: char| c.is_ascii_digit()).then_some(v)
}

/// Compares the running kernel with the installed kernel packages.
pub fn kernel_status(
    running: &str,
    installed: &[InstalledPackage],
    manager: &str,
    proc_version: &str,
) -> KernelStatus {
    let mut k = KernelStatus {
        running: running.to_string(),
        ..KernelStatus::default()
    };
    // (package name, package version, kernel release it boots)
    let kernels: Vec<(&str, &str, String)> = if manager == "dnf" {
        let core: Vec<&InstalledPackage> = installed
            .iter()
            .filter(|p| p.name == "kernel-core")
            .collect();
        let list = if core.is_empty() {
            installed.iter().filter(|p| p.name == "kernel").collect()
        } else {
            core
        };
        list.into_iter()
            .map(|p| {
                let vr = p
                    .version
                    .split_once(':')
                    .map_or(p.version.as_str(), |(_, vr)| vr);
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    if p.arch.is_empty() {
                        vr.to_string()
                    } else {
                        format!("{vr}.{}", p.arch)
                    },
                )
            })
            .collect()
    } else {
        installed
            .iter()
            .filter_map(|p| {
                debian_kernel_release(&p.name)
                    .map(|r| (p.name.as_str(), p.version.as_str(), r.to_string()))
            })
            .collect()
    };
    let cmp = |a: &str, b: &str| {
        if manager == "dnf" {
            rpmversion::compare_evr(a, b)
        } else {
            debversion::compare(a, b)
        }
    };
    let Some(newest) = kernels
        .iter()
        .max_by(|a, b| cmp(a.1, b.1).then_with(|| debversion::compare(&a.2, &b.2)))
    else {
        k.note =
            "no kernel package is installed (container, or a kernel booted from outside)".into();
        return k;
    };
    k.newest_package = newest.0.to_string();
    k.newest_version = newest.1.to_string();
    let Some(current) = kernels.iter().find(|c| c.2 == running) else {
        k.note = format!(
            "running kernel {running} does not come from an installed package (newest installed: {} {})",
            newest.0, newest.1
        );
        return k;
    };
    k.running_package = current.0.to_string();
    k.running_package_version = current.1.to_string();
    if cmp(newest.1, current.1).is_gt() {
        k.outdated = Some(true);
        return k;
    }
    // Same package upgraded in place (Debian keeps the ABI name): the build version tells.
    if manager != "dnf"
        && let Some(build) = debian_running_build(proc_version)
    {
        k.running_build = build.to_string();
        if debversion::is_newer(current.1, build) {
            k.outdated = Some(true);
            k.note = format!(
                "{} was upgraded in place to {} after boot (running build {build})",
                current.0, current.1
            );
            return k;
        }
    }
    k.outdated = Some(false);
    k
}
