//! Remote-access tools: remote desktops and vendor support tools that bypass SSH.

use super::products::{Product, find_paths};
use crate::host::Host;
use crate::host::read_dir_optional;
use crate::inspect::Unseen;
use crate::inspect::gap::RemoteToolsGap;
use serde::{Deserialize, Serialize};

/// Remote desktop and remote support products, recognised by package, process, service or path.
pub const REMOTE_TOOLS: &[Product] = &[
    Product {
        key: "x11vnc",
        name: "x11vnc",
        packages: &["x11vnc"],
        processes: &["x11vnc"],
        units: &["x11vnc"],
        paths: &["/usr/bin/x11vnc"],
    },
    Product {
        key: "tigervnc",
        name: "TigerVNC server",
        packages: &[
            "tigervnc-standalone-server",
            "tigervnc-scraping-server",
            "tigervnc-server",
            "tigervnc-server-minimal",
        ],
        processes: &[
            "Xvnc",
            "Xtigervnc",
            "x0vncserver",
            "X0tigervnc",
            "tigervncserver",
            "vncserver",
        ],
        units: &["vncserver@*", "tigervncserver@*", "x0vncserver@*"],
        paths: &[
            "/usr/bin/Xtigervnc",
            "/usr/bin/Xvnc",
            "/usr/bin/x0vncserver",
        ],
    },
    Product {
        key: "tightvnc",
        name: "TightVNC server",
        packages: &["tightvncserver"],
        processes: &["Xtightvnc"],
        units: &[],
        paths: &["/usr/bin/Xtightvnc"],
    },
    Product {
        key: "turbovnc",
        name: "TurboVNC server",
        packages: &["turbovnc"],
        processes: &[],
        units: &[],
        paths: &["/opt/TurboVNC/bin/Xvnc"],
    },
    Product {
        key: "realvnc",
        name: "RealVNC Server",
        packages: &["realvnc-vnc-server"],
        processes: &[
            "vncserver-x11",
            "vncserver-x11-core",
            "vncserver-x11-serviced",
            "vncserverui",
            "vncserver-virtuald",
        ],
        units: &["vncserver-x11-serviced", "vncserver-virtuald"],
        paths: &["/usr/bin/vncserver-x11", "/etc/vnc/vncelevate"],
    },
    Product {
        key: "vino",
        name: "Vino (GNOME desktop sharing)",
        packages: &["vino"],
        processes: &["vino-server"],
        units: &[],
        paths: &["/usr/lib/vino/vino-server"],
    },
    Product {
        key: "gnome-remote-desktop",
        name: "GNOME Remote Desktop",
        packages: &["gnome-remote-desktop"],
        processes: &["gnome-remote-desktop-daemon"],
        units: &["gnome-remote-desktop"],
        paths: &[],
    },
    Product {
        key: "krfb",
        name: "KRfb (KDE desktop sharing)",
        packages: &["krfb"],
        processes: &["krfb"],
        units: &[],
        paths: &["/usr/bin/krfb"],
    },
    Product {
        key: "xrdp",
        name: "xrdp",
        packages: &["xrdp"],
        processes: &["xrdp", "xrdp-sesman"],
        units: &["xrdp", "xrdp-sesman"],
        paths: &["/usr/sbin/xrdp"],
    },
    Product {
        key: "teamviewer",
        name: "TeamViewer",
        packages: &["teamviewer", "teamviewer-host", "teamviewer-iot-agent"],
        processes: &["teamviewerd", "TeamViewer", "TeamViewer_Desktop"],
        units: &["teamviewerd"],
        paths: &["/opt/teamviewer"],
    },
    Product {
        key: "anydesk",
        name: "AnyDesk",
        packages: &["anydesk"],
        processes: &["anydesk"],
        units: &["anydesk"],
        paths: &["/usr/bin/anydesk", "/opt/anydesk"],
    },
    Product {
        key: "rustdesk",
        name: "RustDesk",
        packages: &["rustdesk"],
        processes: &["rustdesk"],
        units: &["rustdesk"],
        paths: &["/usr/bin/rustdesk", "/usr/lib/rustdesk"],
    },
    Product {
        key: "nomachine",
        name: "NoMachine",
        packages: &["nomachine", "nomachine-enterprise-*"],
        processes: &["nxserver.bin", "nxnode.bin", "nxd"],
        units: &["nxserver"],
        paths: &["/usr/NX/bin/nxserver", "/etc/NX"],
    },
    Product {
        key: "splashtop",
        name: "Splashtop Streamer",
        packages: &["splashtop-streamer"],
        processes: &["SRFeature", "SRStreamer", "SRAgent"],
        units: &["SRStreamer"],
        paths: &["/opt/splashtop-streamer"],
    },
    Product {
        key: "logmein",
        name: "LogMeIn / Hamachi",
        packages: &["logmein-hamachi", "logmein*"],
        processes: &["hamachid", "logmein*"],
        units: &["logmein-hamachi"],
        paths: &["/opt/logmein-hamachi"],
    },
    Product {
        key: "chrome-remote-desktop",
        name: "Chrome Remote Desktop",
        packages: &["chrome-remote-desktop"],
        processes: &["chrome-remote-desktop-host", "remoting_user_session"],
        units: &["chrome-remote-desktop", "chrome-remote-desktop@*"],
        paths: &["/opt/google/chrome-remote-desktop"],
    },
    Product {
        key: "screenconnect",
        name: "ScreenConnect / ConnectWise Control",
        packages: &["connectwisecontrol-*", "screenconnect-*"],
        processes: &["ScreenConnect*", "connectwise*"],
        units: &["connectwisecontrol-*", "screenconnect-*"],
        paths: &["/opt/screenconnect-*", "/opt/connectwisecontrol-*"],
    },
    Product {
        key: "dwservice",
        name: "DWService agent",
        packages: &[],
        processes: &["dwagent", "dwagsvc"],
        units: &["dwagent"],
        paths: &["/usr/share/dwagent"],
    },
    Product {
        key: "meshcentral",
        name: "MeshCentral agent",
        packages: &[],
        processes: &["meshagent"],
        units: &["meshagent"],
        paths: &[
            "/usr/local/mesh_services/meshagent",
            "/usr/local/mesh/meshagent",
        ],
    },
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteToolFacts {
    /// Install paths of known remote-access tools that exist on the host.
    pub paths_found: Vec<String>,
    pub unknown: Unseen<RemoteToolsGap>,
}

pub fn collect(host: &dyn Host) -> RemoteToolFacts {
    let (mut paths_found, unseen) = find_paths(host, REMOTE_TOOLS);
    let mut why: Vec<String> = unseen.iter().map(ToString::to_string).collect();
    // ScreenConnect installs as /opt/screenconnect-<instance id> (older: connectwisecontrol-).
    match read_dir_optional(host, "/opt") {
        Ok(names) => {
            for name in names.unwrap_or_default() {
                let lower = name.to_ascii_lowercase();
                if lower.starts_with("screenconnect-") || lower.starts_with("connectwisecontrol-") {
                    paths_found.push(format!("/opt/{name}"));
                }
            }
        }
        Err(e) => why.push(e.to_string()),
    }
    let mut unknown = Unseen::new();
    if !why.is_empty() {
        unknown.insert(RemoteToolsGap::InstallPaths, why.join("; "));
    }
    RemoteToolFacts {
        paths_found,
        unknown,
    }
}
