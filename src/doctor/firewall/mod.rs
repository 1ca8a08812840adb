//! Whether a firewall lets a port in. Linux: read-only hints from `nft list ruleset`, `iptables -S` and
//! `ufw status verbose` when those tools are installed ([`rules`]); nothing is ever changed, and a listing
//! that needs root is an `unknown`, not a failure. Windows: the profiles and inbound rules from the
//! registry, the same on every Windows language, and the profiles of the connected networks from PowerShell
//! ([`windows`]). The parsers are pure and tested on every OS; reading the registry and running the tools
//! is the only OS-specific code.

pub mod rules;
pub mod windows;

use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Serialize;

use super::{Finding, Protocol};
use crate::i18n::{Lang, Text};

/// The longest a firewall tool may take to list its rules before its answer is given up on.
const TOOL_WAIT: Duration = Duration::from_secs(5);

/// A firewall, named by the tool that shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// Linux nftables (`nft`).
    Nftables,
    /// Linux iptables (`iptables`, legacy or over nftables).
    Iptables,
    /// Ubuntu's Uncomplicated Firewall (`ufw`).
    Ufw,
    /// Windows Defender Firewall.
    WindowsFirewall,
}

impl Text for Tool {
    fn text(&self, lang: Lang) -> String {
        match self {
            Self::Nftables => "nftables",
            Self::Iptables => "iptables",
            Self::Ufw => "ufw",
            Self::WindowsFirewall => lang.pick("Windows Firewall", "Windows 防火墙"),
        }
        .to_owned()
    }
}

impl Tool {
    /// The command that lists this firewall's rules (read-only).
    #[must_use]
    pub fn show_command(self) -> &'static str {
        match self {
            Self::Nftables => "nft list ruleset",
            Self::Iptables => "iptables -S",
            Self::Ufw => "ufw status verbose",
            Self::WindowsFirewall => "wf.msc",
        }
    }

    /// The command that lets incoming `protocol` traffic on `port` in, for a person to run (as root or
    /// administrator). nftables' is for the `inet filter input` chain of the usual configuration.
    #[must_use]
    pub fn allow_command(self, protocol: Protocol, port: u16) -> String {
        let lower = protocol.to_string().to_ascii_lowercase();
        match self {
            Self::Nftables => {
                format!("sudo nft insert rule inet filter input {lower} dport {port} accept")
            }
            Self::Iptables => format!("sudo iptables -I INPUT -p {lower} --dport {port} -j ACCEPT"),
            Self::Ufw => format!("sudo ufw allow {port}/{lower}"),
            Self::WindowsFirewall => format!(
                "netsh advfirewall firewall add rule name=\"NetAssist {protocol} {port}\" dir=in \
                 action=allow protocol={protocol} localport={port}"
            ),
        }
    }
}

/// What a tool printed, or why it printed nothing useful.
enum Listing {
    /// Its output.
    Text(String),
    /// It is not installed.
    Missing,
    /// It ran and failed, or did not answer in time: what it said (shown for the Linux tools; on Windows
    /// a failing PowerShell only means the network profiles are unknown).
    #[cfg_attr(windows, allow(dead_code))]
    Failed(String),
}

/// Runs a read-only listing command, waiting at most [`TOOL_WAIT`]. A tool that hangs is left to finish
/// on its own thread.
fn list(program: &str, args: &[&str]) -> Listing {
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null());
    // Tools print their messages in the user's language; the parsers read English.
    command.env("LC_ALL", "C");
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        // The window is a GUI program: a console tool it starts would flash up a console window of its
        // own. `CREATE_NO_WINDOW` (process creation flags, Win32 `CreateProcess`) keeps it hidden.
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        command.creation_flags(CREATE_NO_WINDOW);
    }
    let (done_tx, done_rx) = crossbeam_channel::bounded(1);
    let spawned = std::thread::Builder::new()
        .name("netassist-doctor-tool".to_owned())
        .spawn(move || {
            let _ = done_tx.send(command.output());
        });
    if spawned.is_err() {
        return Listing::Failed("no thread to run it".to_owned());
    }
    match done_rx.recv_timeout(TOOL_WAIT) {
        Ok(Ok(output)) if output.status.success() => {
            Listing::Text(String::from_utf8_lossy(&output.stdout).into_owned())
        }
        Ok(Ok(output)) => {
            let said = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            Listing::Failed(if said.is_empty() {
                output.status.to_string()
            } else {
                said
            })
        }
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => Listing::Missing,
        Ok(Err(error)) => Listing::Failed(error.to_string()),
        Err(_) => Listing::Failed(format!("no answer within {} s", TOOL_WAIT.as_secs())),
    }
}

/// What the firewalls on this PC do with incoming `protocol` traffic on `port`: one finding per firewall
/// tool found.
#[must_use]
pub fn firewall_findings(protocol: Protocol, port: u16) -> Vec<Finding> {
    #[cfg(windows)]
    {
        vec![windows(protocol, port)]
    }
    #[cfg(not(windows))]
    {
        linux(protocol, port)
    }
}

/// Reads a tool's listing into rules; `None` when the firewall is switched off.
#[cfg(not(windows))]
type Parser = fn(&str) -> Option<rules::Ruleset>;

#[cfg(not(windows))]
fn linux(protocol: Protocol, port: u16) -> Vec<Finding> {
    let tools: [(Tool, &str, &[&str], Parser); 3] = [
        (Tool::Nftables, "nft", &["list", "ruleset"], |t| {
            Some(rules::parse_nft(t))
        }),
        (Tool::Iptables, "iptables", &["-S"], |t| {
            Some(rules::parse_iptables(t))
        }),
        (Tool::Ufw, "ufw", &["status", "verbose"], rules::parse_ufw),
    ];
    let mut findings = Vec::new();
    for (tool, program, args, parse) in tools {
        match list(program, args) {
            Listing::Missing => {}
            Listing::Failed(detail) => findings.push(Finding::FirewallUnreadable { tool, detail }),
            Listing::Text(text) => findings.push(match parse(&text) {
                Some(ruleset) => ruleset.verdict(tool, protocol, port),
                None => Finding::FirewallOff { tool },
            }),
        }
    }
    if findings.is_empty() {
        findings.push(Finding::NoFirewall);
    }
    findings
}

/// Windows Firewall's verdict from its registry settings (see [`windows`] for where they live).
#[cfg(windows)]
fn windows(protocol: Protocol, port: u16) -> Finding {
    use windows_registry::LOCAL_MACHINE;

    let tool = Tool::WindowsFirewall;
    // The local settings must be readable: without them nothing can be said. Group Policy's key exists
    // only where a policy sets something.
    let local = match LOCAL_MACHINE.open(windows::LOCAL_KEY) {
        Ok(key) => key,
        Err(error) => {
            return Finding::FirewallUnreadable {
                tool,
                detail: format!("HKLM\\{}: {}", windows::LOCAL_KEY, error.message()),
            };
        }
    };
    let policy = LOCAL_MACHINE.open(windows::POLICY_KEY).ok();
    let read_store = |key: &windows_registry::Key, is_policy: bool| windows::Store {
        profiles: windows::ProfileKind::ALL.map(|kind| {
            key.open(kind.subkey(is_policy))
                .map(|profile| {
                    windows::ProfileValues::from_read(
                        windows::PROFILE_VALUE_NAMES.map(|name| profile.get_u32(name).ok()),
                    )
                })
                .unwrap_or_default()
        }),
        rules: key
            .open("FirewallRules")
            .map(|rules| {
                rules
                    .values()
                    .map(|values| {
                        values
                            .filter_map(|(_, value)| String::try_from(value).ok())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .unwrap_or_default(),
    };
    // PowerShell writes in the console's code page unless told otherwise; the JSON is read as UTF-8.
    let categories = list(
        "powershell",
        &[
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            "[Console]::OutputEncoding = [Text.Encoding]::UTF8; \
             Get-NetConnectionProfile | Select-Object NetworkCategory | ConvertTo-Json -Compress",
        ],
    );
    let snapshot = windows::Snapshot {
        local: read_store(&local, false),
        policy: policy.map(|key| read_store(&key, true)).unwrap_or_default(),
        active: match categories {
            Listing::Text(json) => windows::parse_network_categories(&json),
            Listing::Missing | Listing::Failed(_) => None,
        },
    };
    let program = std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    windows::verdict(&snapshot, protocol, port, &program, &|name| {
        std::env::var(name).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_commands_name_the_port_and_protocol() {
        assert_eq!(
            Tool::Ufw.allow_command(Protocol::Udp, 7088),
            "sudo ufw allow 7088/udp"
        );
        assert_eq!(
            Tool::Iptables.allow_command(Protocol::Tcp, 5000),
            "sudo iptables -I INPUT -p tcp --dport 5000 -j ACCEPT"
        );
        assert!(
            Tool::WindowsFirewall
                .allow_command(Protocol::Tcp, 5000)
                .contains("protocol=TCP localport=5000")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_missing_tool_is_missing_and_a_failing_one_says_why() {
        assert!(matches!(
            list("netassist-no-such-tool", &[]),
            Listing::Missing
        ));
        assert!(
            matches!(list("sh", &["-c", "echo denied >&2; exit 1"]), Listing::Failed(d) if d == "denied")
        );
        assert!(matches!(list("sh", &["-c", "echo rules"]), Listing::Text(t) if t == "rules\n"));
    }
}
