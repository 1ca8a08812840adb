//! Windows Defender Firewall as the registry keeps it, read the same on every Windows language (unlike
//! `netsh`'s output, which is translated): each profile's switches, the inbound rules, and which profiles
//! the connected networks use. From these, what the firewall does with a new connection to this program on
//! a port. Pure, so it is tested on every OS; reading the registry and asking PowerShell for the network
//! categories is the only Windows-only code (in the parent module).
//!
//! Where the values live:
//! - Local settings: `HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy`, with
//!   the profiles as `DomainProfile`, `StandardProfile` (Private) and `PublicProfile`, and the rules as the
//!   string values of `FirewallRules`.
//! - Group Policy: `HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall`, with `DomainProfile`,
//!   `PrivateProfile`, `PublicProfile` and `FirewallRules`. A value set there wins over the local one, and
//!   `AllowLocalPolicyMerge` = 0 makes the firewall ignore local rules.
//! - Per profile: `EnableFirewall` (1 on), `DefaultInboundAction` (1 or absent: block), and
//!   `DoNotAllowExceptions` (1: block every incoming connection, even those rules allow).
//! - A rule is `v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Private|LPort=10000|App=…|Name=…|`,
//!   the grammar of [MS-GPFAS] 2.2.2.10 "Firewall Rule and the Firewall Rule Grammar Rule": no `Protocol`
//!   means any protocol, no `Profile` every profile, no `LPort` any port, no `App` any program.
//!
//! Block rules win over allow rules, whatever their order.

use serde_json::Value;

use super::Tool;
use super::rules::port_ranges;
use crate::doctor::{Finding, Protocol};

/// The registry key of the local firewall settings, under `HKEY_LOCAL_MACHINE`.
pub const LOCAL_KEY: &str =
    r"SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy";
/// The registry key of the Group Policy firewall settings, under `HKEY_LOCAL_MACHINE`.
pub const POLICY_KEY: &str = r"SOFTWARE\Policies\Microsoft\WindowsFirewall";

/// A firewall profile: which one applies depends on the network a connection arrives from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileKind {
    /// A network with the PC's Active Directory domain controller.
    Domain,
    /// A network the user called private (home, lab).
    Private,
    /// A network the user called public, and every network Windows was not told about.
    Public,
}

impl ProfileKind {
    /// Every profile, in the order Windows lists them.
    pub const ALL: [Self; 3] = [Self::Domain, Self::Private, Self::Public];

    /// Its name in rules and in the firewall's own windows.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Domain => "Domain",
            Self::Private => "Private",
            Self::Public => "Public",
        }
    }

    /// Its subkey under [`LOCAL_KEY`] (the Private profile keeps its old name, `StandardProfile`) or under
    /// [`POLICY_KEY`].
    #[must_use]
    pub fn subkey(self, policy: bool) -> &'static str {
        match (self, policy) {
            (Self::Domain, _) => "DomainProfile",
            (Self::Private, false) => "StandardProfile",
            (Self::Private, true) => "PrivateProfile",
            (Self::Public, _) => "PublicProfile",
        }
    }
}

/// One profile's registry values in one store; `None` where the value is not set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProfileValues {
    /// `EnableFirewall`.
    pub enable_firewall: Option<u32>,
    /// `DefaultInboundAction`.
    pub default_inbound_action: Option<u32>,
    /// `DoNotAllowExceptions`.
    pub do_not_allow_exceptions: Option<u32>,
    /// `AllowLocalPolicyMerge` (Group Policy only).
    pub allow_local_policy_merge: Option<u32>,
}

/// The value names of [`ProfileValues`], in its field order, for the code that reads them.
pub const PROFILE_VALUE_NAMES: [&str; 4] = [
    "EnableFirewall",
    "DefaultInboundAction",
    "DoNotAllowExceptions",
    "AllowLocalPolicyMerge",
];

impl ProfileValues {
    /// The values read by name, in the order of [`PROFILE_VALUE_NAMES`].
    #[must_use]
    pub fn from_read(values: [Option<u32>; 4]) -> Self {
        let [
            enable_firewall,
            default_inbound_action,
            do_not_allow_exceptions,
            merge,
        ] = values;
        Self {
            enable_firewall,
            default_inbound_action,
            do_not_allow_exceptions,
            allow_local_policy_merge: merge,
        }
    }
}

/// One store of settings (local or Group Policy): each profile's values, in [`ProfileKind::ALL`]'s order,
/// and the rule strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Store {
    /// Domain, Private and Public.
    pub profiles: [ProfileValues; 3],
    /// The rules as stored, one string each.
    pub rules: Vec<String>,
}

/// What was read from one PC.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The local settings.
    pub local: Store,
    /// The Group Policy settings (empty on most lab PCs).
    pub policy: Store,
    /// The profiles of the connected networks, when Windows said (`Get-NetConnectionProfile`); `None`
    /// when it could not be asked, and then every profile that is on is checked.
    pub active: Option<Vec<ProfileKind>>,
}

/// A profile as the firewall applies it, Group Policy over local settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Profile {
    kind: ProfileKind,
    on: bool,
    inbound: Inbound,
    local_rules_apply: bool,
}

/// What a profile does with a new incoming connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inbound {
    /// Lets it in unless a rule blocks it.
    Allow,
    /// Blocks it unless a rule allows it (Windows' default).
    BlockUnlessAllowed,
    /// "Block all incoming connections, including those in the list of allowed apps".
    BlockAll,
}

impl Snapshot {
    fn profile(&self, kind: ProfileKind) -> Profile {
        let index = ProfileKind::ALL
            .iter()
            .position(|&k| k == kind)
            .unwrap_or_default();
        let (local, policy) = (self.local.profiles[index], self.policy.profiles[index]);
        let value = |pick: fn(&ProfileValues) -> Option<u32>| pick(&policy).or(pick(&local));
        Profile {
            kind,
            // Windows' own defaults where nothing is set: on, and blocking what no rule allows.
            on: value(|v| v.enable_firewall) != Some(0),
            inbound: if value(|v| v.do_not_allow_exceptions) == Some(1) {
                Inbound::BlockAll
            } else if value(|v| v.default_inbound_action) == Some(0) {
                Inbound::Allow
            } else {
                Inbound::BlockUnlessAllowed
            },
            local_rules_apply: policy.allow_local_policy_merge != Some(0),
        }
    }
}

/// A rule's action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Lets matching connections in.
    Allow,
    /// Drops them; wins over any allow rule.
    Block,
    /// Lets authenticated `IPsec` connections past block rules; nothing for a board's plain connection.
    Bypass,
}

/// A rule in the registry's grammar, with the fields that decide whether it applies to a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `Name=`; a resource reference such as `@FirewallAPI.dll,-28502` for the system's own rules.
    pub name: String,
    /// `Action=`.
    pub action: Action,
    /// `Active=TRUE`.
    pub active: bool,
    /// `Dir=In`.
    pub inbound: bool,
    /// `Protocol=` as an IANA number (6 TCP, 17 UDP); `None` for any.
    pub protocol: Option<u8>,
    /// `Profile=` (may repeat); empty for every profile.
    pub profiles: Vec<ProfileKind>,
    /// `LPort=` (may repeat): ports and ranges; `None` for any port. A keyword (`RPC`, `IPHTTPS`,
    /// `Ply2Disc`, …) stands for ports of the system's own and never matches a user's port.
    pub local_ports: Option<Vec<(u16, u16)>>,
    /// `App=`: the program's path as stored, perhaps with variables such as `%ProgramFiles%`.
    pub program: Option<String>,
}

/// Reads one rule string; `None` for something that is not a rule in the grammar (no version, no action).
#[must_use]
pub fn parse_rule(text: &str) -> Option<Rule> {
    let mut fields = text.split('|');
    if !fields.next()?.starts_with('v') {
        return None;
    }
    let mut rule = Rule {
        name: String::new(),
        action: Action::Bypass,
        active: false,
        inbound: false,
        protocol: None,
        profiles: Vec::new(),
        local_ports: None,
        program: None,
    };
    let mut action = None;
    for (key, value) in fields.filter_map(|field| field.split_once('=')) {
        match key {
            "Action" => {
                action = Some(match value {
                    "Allow" => Action::Allow,
                    "Block" => Action::Block,
                    _ => Action::Bypass,
                });
            }
            "Active" => rule.active = value.eq_ignore_ascii_case("TRUE"),
            "Dir" => rule.inbound = value == "In",
            // A protocol number out of range names nothing a board speaks.
            "Protocol" => rule.protocol = Some(value.parse().unwrap_or(u8::MAX)),
            "Profile" => rule.profiles.extend(
                ProfileKind::ALL
                    .into_iter()
                    .filter(|kind| kind.name().eq_ignore_ascii_case(value)),
            ),
            // `LPort2_10`, `LPort2_20`: keywords of later grammar versions; as keywords, they match no
            // user's port, but the rule is still limited to ports.
            key if key == "LPort" || key.starts_with("LPort2_") => {
                let ports = rule.local_ports.get_or_insert_with(Vec::new);
                if let Some(ranges) = port_ranges(value) {
                    ports.extend(ranges);
                }
            }
            "App" => rule.program = Some(value.to_owned()),
            "Name" => value.clone_into(&mut rule.name),
            _ => {}
        }
    }
    rule.action = action?;
    Some(rule)
}

impl Rule {
    /// Whether the rule applies to a new incoming `protocol` connection on `port` to `program` in
    /// `profile`. `expand` resolves a `%VARIABLE%` in a stored path (`None` when not set).
    fn applies(
        &self,
        profile: ProfileKind,
        protocol: Protocol,
        port: u16,
        program: &str,
        expand: &dyn Fn(&str) -> Option<String>,
    ) -> bool {
        let number = match protocol {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
        };
        self.active
            && self.inbound
            && self.protocol.is_none_or(|p| p == number)
            && (self.profiles.is_empty() || self.profiles.contains(&profile))
            && self
                .local_ports
                .as_ref()
                .is_none_or(|ranges| ranges.iter().any(|&(a, b)| (a..=b).contains(&port)))
            && self
                .program
                .as_ref()
                .is_none_or(|stored| same_path(&expand_variables(stored, expand), program))
    }

    /// How a finding names it: its name and the profile it was checked for.
    fn named(&self, profile: ProfileKind) -> String {
        format!("\"{}\" ({} profile)", self.name, profile.name())
    }
}

/// `%NAME%` replaced by what `expand` gives for `NAME`; unknown or unclosed ones stay as written.
fn expand_variables(path: &str, expand: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('%') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        if let Some(value) = expand(&after[..end]) {
            out.push_str(&value);
            rest = &after[end + 1..];
        } else {
            out.push('%');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Windows paths compare without case and without the `\\?\` prefix of extended-length paths.
fn same_path(a: &str, b: &str) -> bool {
    let plain = |p: &str| p.strip_prefix(r"\\?\").unwrap_or(p).to_owned();
    plain(a).eq_ignore_ascii_case(&plain(b))
}

/// Reads `Get-NetConnectionProfile | Select-Object NetworkCategory | ConvertTo-Json`: one object, or an
/// array of them, with `NetworkCategory` as the enum's number (0 Public, 1 Private, 2
/// `DomainAuthenticated`; what Windows PowerShell 5.1 and PowerShell 7 write) or its name. `None` for
/// anything else, so the caller falls back to checking every profile.
#[must_use]
pub fn parse_network_categories(json: &str) -> Option<Vec<ProfileKind>> {
    let value: Value = serde_json::from_str(json.trim()).ok()?;
    let items = match value {
        Value::Array(items) => items,
        single @ Value::Object(_) => vec![single],
        _ => return None,
    };
    let mut kinds = Vec::new();
    for item in items {
        let kind = match item.get("NetworkCategory")? {
            Value::Number(n) => match n.as_u64()? {
                0 => ProfileKind::Public,
                1 => ProfileKind::Private,
                2 => ProfileKind::Domain,
                _ => return None,
            },
            Value::String(name) => match name.as_str() {
                "Public" => ProfileKind::Public,
                "Private" => ProfileKind::Private,
                "DomainAuthenticated" => ProfileKind::Domain,
                _ => return None,
            },
            _ => return None,
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    (!kinds.is_empty()).then_some(kinds)
}

/// What Windows Firewall does with a new incoming `protocol` connection on `port` to `program` (its full
/// path): off, open by policy, blocked (by "block all incoming connections", or by a rule: a block rule
/// wins over allow rules), allowed by a rule, or blocked because no rule allows it. Every profile in use
/// (or, when that is unknown, every profile that is on) must let it in. `expand` resolves `%VARIABLE%`s
/// in the rules' program paths.
#[must_use]
pub fn verdict(
    snapshot: &Snapshot,
    protocol: Protocol,
    port: u16,
    program: &str,
    expand: &dyn Fn(&str) -> Option<String>,
) -> Finding {
    let tool = Tool::WindowsFirewall;
    let checked: Vec<Profile> = snapshot
        .active
        .as_deref()
        .unwrap_or(&ProfileKind::ALL)
        .iter()
        .map(|&kind| snapshot.profile(kind))
        .filter(|profile| profile.on)
        .collect();
    if checked.is_empty() {
        return Finding::FirewallOff { tool };
    }
    let mut no_allow = None;
    let mut allowed_by = None;
    for profile in checked {
        if profile.inbound == Inbound::BlockAll {
            return Finding::FirewallDrops {
                tool,
                protocol,
                port,
                rule: format!(
                    "\"Block all incoming connections, including those in the list of allowed apps\" \
                     ({} profile)",
                    profile.kind.name()
                ),
            };
        }
        let local: &[String] = if profile.local_rules_apply {
            &snapshot.local.rules
        } else {
            &[]
        };
        let applying: Vec<Rule> = snapshot
            .policy
            .rules
            .iter()
            .chain(local)
            .filter_map(|text| parse_rule(text))
            .filter(|rule| rule.applies(profile.kind, protocol, port, program, expand))
            .collect();
        // A block rule anywhere is the finding: it needs its own fix (allowing the port does not help).
        if let Some(block) = applying.iter().find(|r| r.action == Action::Block) {
            return Finding::FirewallDrops {
                tool,
                protocol,
                port,
                rule: block.named(profile.kind),
            };
        }
        match applying.iter().find(|r| r.action == Action::Allow) {
            Some(allow) => {
                allowed_by.get_or_insert_with(|| allow.named(profile.kind));
            }
            None if profile.inbound == Inbound::BlockUnlessAllowed => {
                no_allow.get_or_insert(Finding::FirewallNoAllow {
                    tool,
                    protocol,
                    port,
                    program: program.to_owned(),
                });
            }
            None => {}
        }
    }
    match (no_allow, allowed_by) {
        (Some(no_allow), _) => no_allow,
        (None, Some(rule)) => Finding::FirewallAllows {
            tool,
            protocol,
            port,
            rule,
        },
        (None, None) => Finding::FirewallOpen { tool },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXE: &str = r"C:\Tools\NetAssist\netassist.exe";

    /// The two rules Windows makes when a user answers its first-listen prompt with only "Private
    /// networks" ticked (TCP and UDP each get theirs; the TCP pair shown), a port rule a teacher added,
    /// and a system rule with a port keyword. As `reg query` shows the values' data.
    const PROMPT_ALLOW: &str = r"v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Private|App=C:\Tools\NetAssist\netassist.exe|Name=netassist.exe|Desc=netassist.exe|Defer=User|";
    const PROMPT_BLOCK: &str = r"v2.30|Action=Block|Active=TRUE|Dir=In|Protocol=6|Profile=Public|App=C:\Tools\NetAssist\netassist.exe|Name=netassist.exe|Desc=netassist.exe|Defer=User|";
    const PORT_RULE: &str = "v2.31|Action=Allow|Active=TRUE|Dir=In|Protocol=17|Profile=Domain|Profile=Private|Profile=Public|LPort=7000-7010|LPort=7088|RA4=LocalSubnet|Name=板子 UDP 7088|";
    const SYSTEM_RULE: &str = r"v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=RPC|App=%SystemRoot%\system32\svchost.exe|Svc=RpcSs|Name=@FirewallAPI.dll,-28539|";

    fn no_variables(_: &str) -> Option<String> {
        None
    }

    fn on(blocks: u32) -> ProfileValues {
        ProfileValues {
            enable_firewall: Some(1),
            default_inbound_action: Some(blocks),
            ..ProfileValues::default()
        }
    }

    fn snapshot(active: &[ProfileKind], rules: &[&str]) -> Snapshot {
        Snapshot {
            local: Store {
                profiles: [on(1); 3],
                rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            },
            policy: Store::default(),
            active: Some(active.to_vec()),
        }
    }

    fn check(snapshot: &Snapshot, protocol: Protocol, port: u16, program: &str) -> Finding {
        verdict(snapshot, protocol, port, program, &no_variables)
    }

    #[test]
    fn rules_read_in_the_registry_grammar() {
        let allow = parse_rule(PROMPT_ALLOW).unwrap();
        assert_eq!(allow.action, Action::Allow);
        assert!(allow.active && allow.inbound);
        assert_eq!(allow.protocol, Some(6));
        assert_eq!(allow.profiles, vec![ProfileKind::Private]);
        assert_eq!(allow.program.as_deref(), Some(EXE));
        assert_eq!(allow.local_ports, None);
        assert_eq!(allow.name, "netassist.exe");

        let port = parse_rule(PORT_RULE).unwrap();
        assert_eq!(port.profiles, ProfileKind::ALL.to_vec());
        assert_eq!(port.local_ports, Some(vec![(7000, 7010), (7088, 7088)]));
        assert_eq!(port.name, "板子 UDP 7088");

        // A keyword port limits the rule to ports of the system's own.
        assert_eq!(parse_rule(SYSTEM_RULE).unwrap().local_ports, Some(vec![]));
        // Not a rule.
        assert_eq!(parse_rule("Action=Allow|Dir=In|"), None);
        assert_eq!(parse_rule("v2.30|Dir=In|Name=x|"), None);
        assert_eq!(parse_rule(""), None);
    }

    #[test]
    fn the_profile_in_use_decides() {
        let rules = [PROMPT_ALLOW, PROMPT_BLOCK, PORT_RULE, SYSTEM_RULE];
        let tcp = Protocol::Tcp;
        // On a Private network the program's allow rule lets it in, and is named.
        let private = check(&snapshot(&[ProfileKind::Private], &rules), tcp, 10000, EXE);
        assert_eq!(
            private,
            Finding::FirewallAllows {
                tool: Tool::WindowsFirewall,
                protocol: tcp,
                port: 10000,
                rule: "\"netassist.exe\" (Private profile)".to_owned()
            }
        );
        // On a Public network (what Windows calls a network it was not told about) the block rule the
        // prompt made wins: the classic "the board cannot connect" case.
        let public = check(&snapshot(&[ProfileKind::Public], &rules), tcp, 10000, EXE);
        assert!(
            matches!(&public, Finding::FirewallDrops { rule, .. } if rule == "\"netassist.exe\" (Public profile)"),
            "{public:?}"
        );
        // Two networks, one of each: the Public one still blocks.
        let both = snapshot(&[ProfileKind::Private, ProfileKind::Public], &rules);
        assert!(matches!(
            check(&both, tcp, 10000, EXE),
            Finding::FirewallDrops { .. }
        ));
        // Not knowing the profile in use checks every profile that is on.
        let mut unknown = snapshot(&[], &rules);
        unknown.active = None;
        assert!(matches!(
            check(&unknown, tcp, 10000, EXE),
            Finding::FirewallDrops { .. }
        ));
    }

    #[test]
    fn programs_ports_and_protocols_must_all_match() {
        let rules = [PROMPT_ALLOW, PROMPT_BLOCK, PORT_RULE, SYSTEM_RULE];
        let private = snapshot(&[ProfileKind::Private], &rules);
        // Another program gets nothing from the prompt's rules: blocked by default.
        let other = check(&private, Protocol::Tcp, 10000, r"C:\Other\tool.exe");
        assert!(
            matches!(other, Finding::FirewallNoAllow { .. }),
            "{other:?}"
        );
        // The same program, by another spelling of its path.
        let spelled = check(
            &private,
            Protocol::Tcp,
            10000,
            r"\\?\c:\tools\netassist\NETASSIST.EXE",
        );
        assert!(
            matches!(spelled, Finding::FirewallAllows { .. }),
            "{spelled:?}"
        );
        // UDP: the prompt's TCP rules do not apply; the port rule lets 7088 in for any program, 7011 not.
        let udp = check(&private, Protocol::Udp, 7088, r"C:\Other\tool.exe");
        assert!(
            matches!(&udp, Finding::FirewallAllows { rule, .. } if rule.contains("板子 UDP 7088")),
            "{udp:?}"
        );
        assert!(matches!(
            check(&private, Protocol::Udp, 7011, EXE),
            Finding::FirewallNoAllow { .. }
        ));
        // A port keyword never lets a user's port in (RPC is TCP 135 and dynamic ports).
        assert!(matches!(
            check(
                &snapshot(&[ProfileKind::Private], &[SYSTEM_RULE]),
                Protocol::Tcp,
                135,
                r"C:\Windows\system32\svchost.exe"
            ),
            Finding::FirewallNoAllow { .. }
        ));
        // A rule that is switched off, or outbound, does nothing.
        let off = PROMPT_BLOCK.replace("Active=TRUE", "Active=FALSE");
        let out = PROMPT_BLOCK.replace("Dir=In", "Dir=Out");
        let public = snapshot(&[ProfileKind::Public], &[&off, &out]);
        assert!(matches!(
            check(&public, Protocol::Tcp, 10000, EXE),
            Finding::FirewallNoAllow { .. }
        ));
    }

    #[test]
    fn program_paths_with_variables_are_expanded() {
        let rule = r"v2.30|Action=Allow|Active=TRUE|Dir=In|App=%ProgramFiles%\NetAssist\netassist.exe|Name=n|";
        let expand = |name: &str| (name == "ProgramFiles").then(|| r"C:\Program Files".to_owned());
        let found = verdict(
            &snapshot(&[ProfileKind::Private], &[rule]),
            Protocol::Tcp,
            10000,
            r"C:\Program Files\NetAssist\netassist.exe",
            &expand,
        );
        assert!(matches!(found, Finding::FirewallAllows { .. }), "{found:?}");
        assert_eq!(
            expand_variables(r"%Nope%\a%b", &expand),
            r"%Nope%\a%b".to_owned()
        );
        assert_eq!(
            expand_variables("%ProgramFiles%", &expand),
            r"C:\Program Files"
        );
    }

    #[test]
    fn profile_switches_and_group_policy() {
        let rules = [PROMPT_ALLOW];
        // Off for the profile in use.
        let mut off = snapshot(&[ProfileKind::Private], &rules);
        off.local.profiles[1].enable_firewall = Some(0);
        assert_eq!(
            check(&off, Protocol::Tcp, 10000, EXE),
            Finding::FirewallOff {
                tool: Tool::WindowsFirewall
            }
        );
        // Group Policy turns it back on, and forbids local rules: the prompt's allow rule no longer counts.
        let mut policy = off.clone();
        policy.policy.profiles[1] = ProfileValues {
            enable_firewall: Some(1),
            allow_local_policy_merge: Some(0),
            ..ProfileValues::default()
        };
        assert!(matches!(
            check(&policy, Protocol::Tcp, 10000, EXE),
            Finding::FirewallNoAllow { .. }
        ));
        // A policy rule does count.
        policy
            .policy
            .rules
            .push(PROMPT_ALLOW.replace("Name=netassist.exe", "Name=Lab"));
        assert!(matches!(
            check(&policy, Protocol::Tcp, 10000, EXE),
            Finding::FirewallAllows { rule, .. } if rule.contains("Lab")
        ));
        // "Block all incoming connections" beats the allow rule.
        let mut shields = snapshot(&[ProfileKind::Private], &rules);
        shields.local.profiles[1].do_not_allow_exceptions = Some(1);
        assert!(matches!(
            check(&shields, Protocol::Tcp, 10000, EXE),
            Finding::FirewallDrops { rule, .. } if rule.contains("Block all incoming")
        ));
        // Inbound allowed by default: open even without a rule.
        let open = Snapshot {
            local: Store {
                profiles: [on(0); 3],
                rules: Vec::new(),
            },
            ..snapshot(&[ProfileKind::Public], &[])
        };
        assert_eq!(
            check(&open, Protocol::Tcp, 10000, EXE),
            Finding::FirewallOpen {
                tool: Tool::WindowsFirewall
            }
        );
        // Nothing set at all: Windows' defaults, on and blocking.
        let defaults = Snapshot {
            active: Some(vec![ProfileKind::Public]),
            ..Snapshot::default()
        };
        assert!(matches!(
            check(&defaults, Protocol::Tcp, 10000, EXE),
            Finding::FirewallNoAllow { .. }
        ));
    }

    #[test]
    fn network_categories_read_as_numbers_or_names() {
        assert_eq!(
            parse_network_categories(r#"{"InterfaceAlias":"以太网","NetworkCategory":1}"#),
            Some(vec![ProfileKind::Private])
        );
        assert_eq!(
            parse_network_categories(
                r#"[{"InterfaceAlias":"WLAN","NetworkCategory":0},{"InterfaceAlias":"以太网","NetworkCategory":2},{"NetworkCategory":0}]"#
            ),
            Some(vec![ProfileKind::Public, ProfileKind::Domain])
        );
        assert_eq!(
            parse_network_categories(r#"{"NetworkCategory":"Private"}"#),
            Some(vec![ProfileKind::Private])
        );
        // No connected network, or something else: unknown.
        assert_eq!(parse_network_categories(""), None);
        assert_eq!(parse_network_categories("[]"), None);
        assert_eq!(parse_network_categories(r#"{"NetworkCategory":7}"#), None);
        assert_eq!(
            parse_network_categories("Get-NetConnectionProfile : 拒绝访问"),
            None
        );
    }
}
