//! Windows Firewall as `netsh advfirewall` prints it (English output): which profiles are active and on,
//! with their inbound policy (`show currentprofile`), and the inbound rules (`firewall show rule name=all
//! dir=in verbose`); and what they do with a new connection to this program on a port. Pure, so it is
//! tested on every OS; only running `netsh` is Windows-only.

use std::collections::HashMap;

use super::Tool;
use super::rules::port_ranges;
use crate::doctor::{Finding, Protocol};

/// An active profile (Domain, Private, Public) as `show currentprofile` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// `Domain`, `Private` or `Public`.
    pub name: String,
    /// `State ON`.
    pub on: bool,
    /// `Firewall Policy BlockInbound,...` (or `BlockInboundAlways`).
    pub blocks_inbound: bool,
}

/// Reads `netsh advfirewall show currentprofile`: one block per active profile, headed `Private Profile
/// Settings:`, with `State` and `Firewall Policy` lines.
#[must_use]
pub fn parse_profiles(listing: &str) -> Vec<Profile> {
    let mut profiles: Vec<Profile> = Vec::new();
    for line in listing.lines().map(str::trim) {
        if let Some(head) = line.strip_suffix("Profile Settings:") {
            profiles.push(Profile {
                name: head.trim().to_owned(),
                on: false,
                blocks_inbound: false,
            });
        } else if let Some(profile) = profiles.last_mut() {
            if let Some(state) = line.strip_prefix("State") {
                profile.on = state.trim().eq_ignore_ascii_case("ON");
            } else if let Some(policy) = line.strip_prefix("Firewall Policy") {
                profile.blocks_inbound = policy.trim().starts_with("BlockInbound");
            }
        }
    }
    profiles
}

/// One rule of `show rule ... verbose`: its `Key: value` lines (`Program: C:\\Tools\\netassist.exe`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleBlock {
    fields: HashMap<String, String>,
}

impl RuleBlock {
    /// The value of `key` (`LocalPort`, `Action`, ...), or `None` when the rule has no such line.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
}

/// Reads `netsh advfirewall firewall show rule name=all dir=in verbose`: blocks of `Key: value` lines,
/// each starting at `Rule Name:`.
#[must_use]
pub fn parse_rules(listing: &str) -> Vec<RuleBlock> {
    let mut rules: Vec<RuleBlock> = Vec::new();
    for line in listing.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key == "Rule Name" {
            rules.push(RuleBlock::default());
        }
        if let Some(rule) = rules.last_mut() {
            rule.fields.insert(key.to_owned(), value.to_owned());
        }
    }
    rules
}

/// Whether an inbound, enabled rule applies to a new `protocol` connection on `port` to `program` in
/// `profile`.
fn applies(rule: &RuleBlock, profile: &str, protocol: Protocol, port: u16, program: &str) -> bool {
    let field = |key: &str| rule.get(key).unwrap_or_default();
    let any = |value: &str| value.eq_ignore_ascii_case("Any");
    let protocol_ok = any(field("Protocol"))
        || field("Protocol").eq_ignore_ascii_case(match protocol {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        });
    let port_ok = any(field("LocalPort"))
        || port_ranges(field("LocalPort"))
            .is_some_and(|ranges| ranges.iter().any(|&(a, b)| (a..=b).contains(&port)));
    let profile_ok = any(field("Profiles"))
        || field("Profiles")
            .split(',')
            .any(|p| p.trim().eq_ignore_ascii_case(profile));
    let program_ok = rule.get("Program").is_none()
        || any(field("Program"))
        || field("Program").eq_ignore_ascii_case(program);
    field("Enabled").eq_ignore_ascii_case("Yes")
        && field("Direction").eq_ignore_ascii_case("In")
        && protocol_ok
        && port_ok
        && profile_ok
        && program_ok
}

/// What Windows Firewall does with a new incoming `protocol` connection on `port` to `program` (its full
/// path): off, open by policy, blocked by a rule (a block rule wins over allow rules), allowed by a rule,
/// or blocked because no rule allows it. Every active profile must let it in.
#[must_use]
pub fn windows_verdict(
    profiles: &[Profile],
    rules: &[RuleBlock],
    protocol: Protocol,
    port: u16,
    program: &str,
) -> Finding {
    let tool = Tool::WindowsFirewall;
    let on: Vec<&Profile> = profiles.iter().filter(|p| p.on).collect();
    if on.is_empty() {
        return Finding::FirewallOff { tool };
    }
    let mut allowed_by = None;
    for profile in &on {
        let applying: Vec<&RuleBlock> = rules
            .iter()
            .filter(|rule| applies(rule, &profile.name, protocol, port, program))
            .collect();
        let named = |rule: &&RuleBlock| {
            format!(
                "\"{}\" ({} profile)",
                rule.get("Rule Name").unwrap_or_default(),
                profile.name
            )
        };
        let action = |rule: &&&RuleBlock, action: &str| {
            rule.get("Action")
                .is_some_and(|a| a.eq_ignore_ascii_case(action))
        };
        if let Some(block) = applying.iter().find(|r| action(r, "Block")) {
            return Finding::FirewallDrops {
                tool,
                protocol,
                port,
                rule: named(block),
            };
        }
        match applying.iter().find(|r| action(r, "Allow")) {
            Some(allow) => {
                allowed_by.get_or_insert_with(|| named(allow));
            }
            None if profile.blocks_inbound => {
                return Finding::FirewallNoAllow {
                    tool,
                    protocol,
                    port,
                    program: program.to_owned(),
                };
            }
            None => {}
        }
    }
    match allowed_by {
        Some(rule) => Finding::FirewallAllows {
            tool,
            protocol,
            port,
            rule,
        },
        None => Finding::FirewallOpen { tool },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str = "
Private Profile Settings:
----------------------------------------------------------------------
State                                 ON
Firewall Policy                       BlockInbound,AllowOutbound
LocalFirewallRules                    N/A (GPO-store only)
LocalConSecRules                      N/A (GPO-store only)
InboundUserNotification               Enable
RemoteManagement                      Disable
UnicastResponseToMulticast            Enable

Logging:
LogAllowedConnections                 Disable
LogDroppedConnections                 Disable
FileName                              %systemroot%\\system32\\LogFiles\\Firewall\\pfirewall.log
MaxFileSize                           4096

Ok.

";

    const EXE: &str = r"C:\Tools\NetAssist\netassist.exe";

    /// Rules as Windows makes them when a user answers its first-listen prompt: an allow rule for the
    /// program on Private and a block rule on Public; and a port rule.
    const RULES: &str = r"
Rule Name:                            netassist.exe
----------------------------------------------------------------------
Enabled:                              Yes
Direction:                            In
Profiles:                             Private
Grouping:                             
LocalIP:                              Any
RemoteIP:                             Any
Protocol:                             TCP
LocalPort:                            Any
RemotePort:                           Any
Edge traversal:                       No
Program:                              C:\Tools\NetAssist\netassist.exe
InterfaceTypes:                       Any
Security:                             NotRequired
Rule source:                          Local Setting
Action:                               Allow

Rule Name:                            netassist.exe
----------------------------------------------------------------------
Enabled:                              Yes
Direction:                            In
Profiles:                             Public
Grouping:                             
LocalIP:                              Any
RemoteIP:                             Any
Protocol:                             TCP
LocalPort:                            Any
RemotePort:                           Any
Edge traversal:                       No
Program:                              C:\Tools\NetAssist\netassist.exe
InterfaceTypes:                       Any
Security:                             NotRequired
Rule source:                          Local Setting
Action:                               Block

Rule Name:                            Board UDP 7088
----------------------------------------------------------------------
Enabled:                              Yes
Direction:                            In
Profiles:                             Domain,Private,Public
Grouping:                             
LocalIP:                              Any
RemoteIP:                             LocalSubnet
Protocol:                             UDP
LocalPort:                            7000-7010,7088
RemotePort:                           Any
Edge traversal:                       No
InterfaceTypes:                       Any
Security:                             NotRequired
Rule source:                          Local Setting
Action:                               Allow
Ok.
";

    fn profile(name: &str, on: bool) -> Profile {
        Profile {
            name: name.to_owned(),
            on,
            blocks_inbound: true,
        }
    }

    #[test]
    fn profiles_read_their_state_and_policy() {
        assert_eq!(parse_profiles(PROFILE), vec![profile("Private", true)]);
        let off = PROFILE
            .replace("State                                 ON", "State OFF")
            .replace("BlockInbound", "AllowInbound");
        assert_eq!(
            parse_profiles(&off),
            vec![Profile {
                name: "Private".to_owned(),
                on: false,
                blocks_inbound: false
            }]
        );
    }

    #[test]
    fn rules_read_as_blocks_with_paths_intact() {
        let rules = parse_rules(RULES);
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].get("Program"), Some(EXE));
        assert_eq!(rules[2].get("LocalPort"), Some("7000-7010,7088"));
        assert_eq!(rules[2].get("Program"), None);
    }

    #[test]
    fn the_active_profile_decides() {
        let rules = parse_rules(RULES);
        let tcp = Protocol::Tcp;
        // On Private the program's allow rule lets it in.
        let private = windows_verdict(&[profile("Private", true)], &rules, tcp, 5000, EXE);
        assert!(
            matches!(private, Finding::FirewallAllows { .. }),
            "{private:?}"
        );
        // On Public its block rule wins, and it is named.
        let public = windows_verdict(&[profile("Public", true)], &rules, tcp, 5000, EXE);
        assert!(
            matches!(&public, Finding::FirewallDrops { rule, .. } if rule.contains("Public")),
            "{public:?}"
        );
        // Another program gets nothing from those rules: blocked by default, with the command to fix it.
        let other = windows_verdict(&[profile("Private", true)], &rules, tcp, 5000, r"C:\x.exe");
        assert!(
            matches!(other, Finding::FirewallNoAllow { .. }),
            "{other:?}"
        );
        let advice = crate::i18n::Text::text(&other.advice().unwrap(), crate::i18n::Lang::En);
        assert!(
            advice.contains("netsh advfirewall firewall add rule"),
            "{advice}"
        );
        // The port rule lets UDP 7088 in for any program.
        let udp = windows_verdict(&[profile("Public", true)], &rules, Protocol::Udp, 7088, EXE);
        assert!(matches!(udp, Finding::FirewallAllows { .. }), "{udp:?}");
        // Off.
        assert_eq!(
            windows_verdict(&[profile("Public", false)], &rules, tcp, 5000, EXE),
            Finding::FirewallOff {
                tool: Tool::WindowsFirewall
            }
        );
    }
}
