//! Linux packet-filter rules read from the tools' own listings (`nft list ruleset`, `iptables -S`,
//! `ufw status verbose`) into one model, and one walk over it that says what happens to a new incoming
//! connection on a port. Read-only hints: a rule with conditions the walk does not follow (an interface, a
//! source, a connection state) is reported as something that *may* drop the port, never as a certainty.

use super::Tool;
use crate::doctor::{Finding, Protocol};

/// Which packets a rule's protocol test lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProtocolMatch {
    /// Any protocol (no test).
    Any,
    /// Only this one.
    Only(Protocol),
    /// Neither TCP nor UDP (ICMP, ...).
    Neither,
}

/// What a rule does with a packet it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Accept,
    /// Drop or reject.
    Drop,
    /// Continue in another chain (of the same table).
    Jump(String),
    /// Back to the calling chain.
    Return,
    /// Logging, counting, marking: the packet goes on to the next rule.
    Continue,
}

/// One rule, reduced to what the walk needs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    protocol: ProtocolMatch,
    /// Destination port ranges, inclusive; `None` for any port.
    ports: Option<Vec<(u16, u16)>>,
    /// Whether it tests anything besides protocol and destination port.
    conditional: bool,
    verdict: Verdict,
    /// The rule as the tool printed it.
    text: String,
}

impl Rule {
    fn matches(&self, protocol: Protocol, port: u16) -> bool {
        let protocol_ok = match self.protocol {
            ProtocolMatch::Any => true,
            ProtocolMatch::Only(p) => p == protocol,
            ProtocolMatch::Neither => false,
        };
        let port_ok = self
            .ports
            .as_ref()
            .is_none_or(|ranges| ranges.iter().any(|&(a, b)| (a..=b).contains(&port)));
        protocol_ok && port_ok
    }
}

/// A chain of rules, named within its table (`inet filter/input`, `INPUT`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Chain {
    name: String,
    /// A base chain on the input hook: incoming packets start here.
    input: bool,
    /// The policy's text when the chain drops what no rule accepts (`policy drop`, `-P INPUT DROP`).
    drop_policy: Option<String>,
    rules: Vec<Rule>,
}

/// The chains a tool listed, in its order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ruleset {
    chains: Vec<Chain>,
}

/// Port ranges as tools write them: `5000`, `5000:5010` or `5000-5010`, lists joined by commas. `None`
/// when a piece is not a number (a service name such as `ssh`).
pub(super) fn port_ranges(text: &str) -> Option<Vec<(u16, u16)>> {
    text.split(',')
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .map(|piece| match piece.split_once([':', '-']) {
            Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
            None => piece.parse().ok().map(|p| (p, p)),
        })
        .collect()
}

fn protocol_named(name: &str) -> ProtocolMatch {
    match name.to_ascii_lowercase().as_str() {
        "tcp" | "6" => ProtocolMatch::Only(Protocol::Tcp),
        "udp" | "17" => ProtocolMatch::Only(Protocol::Udp),
        "all" | "any" | "0" => ProtocolMatch::Any,
        _ => ProtocolMatch::Neither,
    }
}

/// Splits a line into words, keeping a double-quoted piece (a comment) as one word.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Reads `iptables -S` (or `ip6tables -S`): `-P CHAIN POLICY`, `-N CHAIN`, `-A CHAIN match... -j TARGET`.
#[must_use]
pub fn parse_iptables(listing: &str) -> Ruleset {
    let mut ruleset = Ruleset::default();
    let chain = |ruleset: &mut Ruleset, name: &str| -> usize {
        if let Some(i) = ruleset.chains.iter().position(|c| c.name == name) {
            return i;
        }
        ruleset.chains.push(Chain {
            name: name.to_owned(),
            input: name == "INPUT",
            ..Chain::default()
        });
        ruleset.chains.len() - 1
    };
    for line in listing.lines().map(str::trim) {
        let words = words(line);
        match words.as_slice() {
            [flag, name, policy] if flag == "-P" => {
                let i = chain(&mut ruleset, name);
                if matches!(policy.as_str(), "DROP" | "REJECT") {
                    ruleset.chains[i].drop_policy = Some(line.to_owned());
                }
            }
            [flag, name] if flag == "-N" => {
                chain(&mut ruleset, name);
            }
            [flag, name, rest @ ..] if flag == "-A" => {
                let rule = iptables_rule(rest, line);
                let i = chain(&mut ruleset, name);
                ruleset.chains[i].rules.push(rule);
            }
            _ => {}
        }
    }
    ruleset
}

fn iptables_rule(words: &[String], line: &str) -> Rule {
    let mut rule = Rule {
        protocol: ProtocolMatch::Any,
        ports: None,
        conditional: false,
        verdict: Verdict::Continue,
        text: line.to_owned(),
    };
    let mut i = 0;
    while i < words.len() {
        let value = words.get(i + 1).map(String::as_str).unwrap_or_default();
        match words[i].as_str() {
            "-p" | "--protocol" => rule.protocol = protocol_named(value),
            "--dport" | "--destination-port" | "--dports" => match port_ranges(value) {
                Some(ranges) => rule.ports = Some(ranges),
                None => rule.conditional = true,
            },
            "-j" | "-g" | "--jump" | "--goto" => {
                rule.verdict = match value {
                    "ACCEPT" => Verdict::Accept,
                    "DROP" | "REJECT" => Verdict::Drop,
                    "RETURN" => Verdict::Return,
                    "LOG" | "NFLOG" | "MARK" | "CONNMARK" | "CT" => Verdict::Continue,
                    chain => Verdict::Jump(chain.to_owned()),
                }
            }
            // Matches that only name the modules above, and comments, test nothing of their own.
            "-m" if matches!(value, "tcp" | "udp" | "multiport" | "comment") => {}
            "--comment" | "--reject-with" => {}
            _ => {
                rule.conditional = true;
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    rule
}

/// Reads `nft list ruleset`: tables, their chains (base chains with `hook input` and their policy), and
/// each rule's protocol, destination ports and verdict. Sets, maps and flowtables are skipped.
#[must_use]
pub fn parse_nft(listing: &str) -> Ruleset {
    let mut ruleset = Ruleset::default();
    let mut table = String::new();
    let mut chain: Option<Chain> = None;
    let mut skipping = 0usize;
    for line in listing.lines().map(str::trim) {
        if skipping > 0 {
            skipping =
                (skipping + line.matches('{').count()).saturating_sub(line.matches('}').count());
            continue;
        }
        let words = words(line);
        match words.as_slice() {
            [] => {}
            [t, family, name, ..] if t == "table" => table = format!("{family} {name}"),
            [c, name, ..] if c == "chain" => {
                chain = Some(Chain {
                    name: format!("{table}/{name}"),
                    ..Chain::default()
                });
            }
            [kind, ..]
                if matches!(kind.as_str(), "set" | "map" | "flowtable") && line.ends_with('{') =>
            {
                skipping = 1;
            }
            [close] if close == "}" => {
                if let Some(done) = chain.take() {
                    ruleset.chains.push(done);
                }
            }
            [t, ..] if t == "type" => {
                if let Some(chain) = &mut chain {
                    chain.input = line.contains("hook input");
                    if line.contains("policy drop") {
                        chain.drop_policy = Some(line.to_owned());
                    }
                }
            }
            _ => {
                if let Some(chain) = &mut chain {
                    chain.rules.push(nft_rule(line, &table));
                }
            }
        }
    }
    ruleset
}

fn nft_rule(line: &str, table: &str) -> Rule {
    let text = line.split(" # handle").next().unwrap_or(line).trim();
    // Sets and lists of ports become one word: `{ 80, 443 }` → `80,443`.
    let spaced = text.replace(", ", ",").replace("{ ", "").replace(" }", "");
    let words = words(&spaced);
    let mut rule = Rule {
        protocol: ProtocolMatch::Any,
        ports: None,
        conditional: false,
        verdict: Verdict::Continue,
        text: text.to_owned(),
    };
    let mut i = 0;
    while i < words.len() {
        let word = words[i].as_str();
        let next = words.get(i + 1).map(String::as_str).unwrap_or_default();
        match word {
            "tcp" | "udp" | "th" if next == "dport" => {
                if word != "th" {
                    rule.protocol = protocol_named(word);
                }
                match words.get(i + 2).and_then(|ports| port_ranges(ports)) {
                    Some(ranges) => rule.ports = Some(ranges),
                    None => rule.conditional = true,
                }
                i += 3;
                continue;
            }
            "meta" if next == "l4proto" => {
                let names = words.get(i + 2).map(String::as_str).unwrap_or_default();
                let protocols: Vec<_> = names.split(',').map(protocol_named).collect();
                rule.protocol = match protocols.as_slice() {
                    [one] => *one,
                    _ => ProtocolMatch::Any,
                };
                i += 3;
                continue;
            }
            "ip" | "ip6" if next == "protocol" || next == "nexthdr" => {
                let name = words.get(i + 2).map(String::as_str).unwrap_or_default();
                rule.protocol = protocol_named(name);
                i += 3;
                continue;
            }
            "counter" => {
                // `counter packets N bytes M`: counts, tests nothing.
                i += if next == "packets" { 5 } else { 1 };
                continue;
            }
            "accept" => rule.verdict = Verdict::Accept,
            "drop" | "reject" => rule.verdict = Verdict::Drop,
            "return" => rule.verdict = Verdict::Return,
            "jump" | "goto" => rule.verdict = Verdict::Jump(format!("{table}/{next}")),
            "log" | "comment" | "limit" => {}
            _ => {
                rule.conditional = true;
                i += 1;
                continue;
            }
        }
        if rule.verdict != Verdict::Continue {
            break;
        }
        i += 1;
    }
    rule
}

/// Reads `ufw status verbose`: whether it is active, its default for incoming traffic, and its rules in
/// order (`5000/tcp ALLOW IN Anywhere`). `None` when ufw is inactive.
#[must_use]
pub fn parse_ufw(listing: &str) -> Option<Ruleset> {
    let mut chain = Chain {
        name: "ufw".to_owned(),
        input: true,
        ..Chain::default()
    };
    let mut active = false;
    for line in listing.lines().map(str::trim) {
        if let Some(status) = line.strip_prefix("Status:") {
            active = status.trim() == "active";
        } else if let Some(defaults) = line.strip_prefix("Default:") {
            let incoming = defaults.split(',').find(|d| d.contains("(incoming)"));
            if incoming.is_some_and(|d| d.contains("deny") || d.contains("reject")) {
                chain.drop_policy = Some(line.to_owned());
            }
        } else if let Some(rule) = ufw_rule(line) {
            chain.rules.push(rule);
        }
    }
    active.then(|| Ruleset {
        chains: vec![chain],
    })
}

/// One line of ufw's table: `To`, `Action` and `From` columns, two or more spaces apart.
fn ufw_rule(line: &str) -> Option<Rule> {
    let columns: Vec<&str> = line
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let [to, action, from] = columns.as_slice() else {
        return None;
    };
    let mut action = action.split_whitespace();
    let verdict = match action.next()? {
        // LIMIT lets a few connections a minute in, enough for a board.
        "ALLOW" | "LIMIT" => Verdict::Accept,
        "DENY" | "REJECT" => Verdict::Drop,
        _ => return None,
    };
    if action.next() == Some("OUT") {
        return None;
    }
    let mut to_words = to.split_whitespace();
    let spec = to_words.next()?;
    let (ports, protocol) = match spec.split_once('/') {
        Some((ports, protocol)) => (ports, protocol_named(protocol)),
        None => (spec, ProtocolMatch::Any),
    };
    let conditional = to_words.any(|w| w == "on") || !from.starts_with("Anywhere");
    Some(Rule {
        protocol,
        ports: Some(port_ranges(ports)?),
        conditional,
        verdict,
        text: line.to_owned(),
    })
}

/// What a walk through some chains decided.
enum Decision {
    Accepted(String),
    Dropped(String),
}

/// Chains deeper than this are not followed (a loop of jumps, or a listing cut short).
const MAX_DEPTH: usize = 16;

impl Ruleset {
    fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.name == name)
    }

    /// Walks `chain` for a new connection; `maybe` collects the first conditional drop met on the way.
    fn walk(
        &self,
        chain: &Chain,
        protocol: Protocol,
        port: u16,
        conditional: bool,
        depth: usize,
        maybe: &mut Option<String>,
    ) -> Option<Decision> {
        for rule in chain.rules.iter().filter(|r| r.matches(protocol, port)) {
            let guarded = conditional || rule.conditional;
            match &rule.verdict {
                // A conditional accept counts only when it names the port: an accept for loopback or for
                // established connections says nothing about a board's new connection.
                Verdict::Accept if !guarded || rule.ports.is_some() => {
                    return Some(Decision::Accepted(rule.text.clone()));
                }
                Verdict::Drop if !guarded => return Some(Decision::Dropped(rule.text.clone())),
                Verdict::Drop => {
                    maybe.get_or_insert_with(|| rule.text.clone());
                }
                Verdict::Jump(target) if depth < MAX_DEPTH => {
                    if let Some(next) = self.chain(target)
                        && let Some(decision) =
                            self.walk(next, protocol, port, guarded, depth + 1, maybe)
                    {
                        return Some(decision);
                    }
                }
                Verdict::Return => return None,
                _ => {}
            }
        }
        None
    }

    /// What the rules do with a new incoming `protocol` connection on `port`: the first rule or policy
    /// that decides, through every input base chain; a conditional drop on the way when none decides.
    #[must_use]
    pub fn verdict(&self, tool: Tool, protocol: Protocol, port: u16) -> Finding {
        let mut maybe = None;
        for chain in self.chains.iter().filter(|c| c.input) {
            let decision = self
                .walk(chain, protocol, port, false, 0, &mut maybe)
                .or_else(|| chain.drop_policy.clone().map(Decision::Dropped));
            match decision {
                Some(Decision::Accepted(rule)) => {
                    return Finding::FirewallAllows {
                        tool,
                        protocol,
                        port,
                        rule,
                    };
                }
                Some(Decision::Dropped(rule)) => {
                    return Finding::FirewallDrops {
                        tool,
                        protocol,
                        port,
                        rule,
                    };
                }
                None => {}
            }
        }
        match maybe {
            Some(rule) => Finding::FirewallMayDrop {
                tool,
                protocol,
                port,
                rule,
            },
            None => Finding::FirewallOpen { tool },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: Protocol = Protocol::Tcp;
    const UDP: Protocol = Protocol::Udp;

    #[test]
    fn port_ranges_read_every_tool_s_forms() {
        assert_eq!(port_ranges("5000"), Some(vec![(5000, 5000)]));
        assert_eq!(
            port_ranges("5000:5010,22"),
            Some(vec![(5000, 5010), (22, 22)])
        );
        assert_eq!(port_ranges("80-81"), Some(vec![(80, 81)]));
        assert_eq!(port_ranges("ssh"), None);
    }

    /// `iptables -S` on a server with a drop policy, an SSH rule and a user chain that lets 5000/tcp in.
    const IPTABLES: &str = "\
-P INPUT DROP
-P FORWARD DROP
-P OUTPUT ACCEPT
-N allowed
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p udp -m multiport --dports 7000:7010,7088 -j ACCEPT
-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 6000 -j DROP
-A INPUT -j allowed
-A allowed -p tcp -m tcp --dport 5000 -m comment --comment \"board server\" -j ACCEPT
";

    #[test]
    fn iptables_rules_are_walked_in_order_into_user_chains() {
        let rules = parse_iptables(IPTABLES);
        let tool = Tool::Iptables;
        assert!(matches!(
            rules.verdict(tool, TCP, 5000),
            Finding::FirewallAllows { rule, .. } if rule.contains("--dport 5000")
        ));
        assert!(matches!(
            rules.verdict(tool, UDP, 7005),
            Finding::FirewallAllows { .. }
        ));
        // Nothing lets 8080 in, and the loopback and established accepts do not count for a new one.
        assert!(matches!(
            rules.verdict(tool, TCP, 8080),
            Finding::FirewallDrops { rule, .. } if rule == "-P INPUT DROP"
        ));
    }

    #[test]
    fn a_conditional_drop_is_a_maybe_and_an_accept_policy_is_open() {
        let rules = parse_iptables(
            "-P INPUT ACCEPT\n-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 6000 -j DROP\n\
             -A INPUT -p udp -j REJECT --reject-with icmp-port-unreachable\n",
        );
        let finding = rules.verdict(Tool::Iptables, TCP, 6000);
        assert!(
            matches!(finding, Finding::FirewallMayDrop { .. }),
            "{finding:?}"
        );
        assert!(matches!(
            rules.verdict(Tool::Iptables, UDP, 1),
            Finding::FirewallDrops { .. }
        ));
        assert_eq!(
            rules.verdict(Tool::Iptables, TCP, 5000),
            Finding::FirewallOpen {
                tool: Tool::Iptables
            }
        );
        assert_eq!(
            parse_iptables("").verdict(Tool::Iptables, TCP, 5000),
            Finding::FirewallOpen {
                tool: Tool::Iptables
            }
        );
    }

    /// `nft list ruleset` as Debian's default nftables.conf, changed to a drop policy with a few rules,
    /// and a set that must be skipped.
    const NFT: &str = "\
table inet filter {
	set blocked {
		type ipv4_addr
		elements = { 10.1.1.1, 10.1.1.2 }
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept # handle 4
		iif \"lo\" accept # handle 5
		tcp dport 22 accept # handle 6
		tcp dport { 80, 443 } counter packets 0 bytes 0 accept # handle 7
		meta l4proto udp th dport 7000-7010 accept # handle 8
		udp dport 9000 drop # handle 9
		jump board # handle 10
	}

	chain board {
		tcp dport 5000 accept
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
	}
}
";

    #[test]
    fn nft_chains_sets_and_jumps() {
        let rules = parse_nft(NFT);
        let tool = Tool::Nftables;
        assert!(matches!(
            rules.verdict(tool, TCP, 443),
            Finding::FirewallAllows { rule, .. } if rule == "tcp dport { 80, 443 } counter packets 0 bytes 0 accept"
        ));
        assert!(matches!(
            rules.verdict(tool, UDP, 7003),
            Finding::FirewallAllows { .. }
        ));
        assert!(matches!(
            rules.verdict(tool, TCP, 5000),
            Finding::FirewallAllows { .. }
        ));
        assert!(matches!(
            rules.verdict(tool, UDP, 9000),
            Finding::FirewallDrops { rule, .. } if rule == "udp dport 9000 drop"
        ));
        assert!(matches!(
            rules.verdict(tool, TCP, 8080),
            Finding::FirewallDrops { rule, .. } if rule.contains("policy drop")
        ));
        // An empty ruleset (nftables installed, nothing loaded) drops nothing.
        assert!(matches!(
            parse_nft("").verdict(tool, TCP, 1),
            Finding::FirewallOpen { .. }
        ));
    }

    /// `ufw status verbose` with a default deny and a few rules.
    const UFW: &str = "\
Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), disabled (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW IN    Anywhere
5000                       ALLOW IN    Anywhere
6000:6010/udp              ALLOW IN    192.168.1.0/24
8080/tcp                   DENY IN     Anywhere
OpenSSH                    ALLOW IN    Anywhere
53                         ALLOW OUT   Anywhere
22/tcp (v6)                ALLOW IN    Anywhere (v6)
";

    #[test]
    fn ufw_rules_defaults_and_inactive() {
        let rules = parse_ufw(UFW).expect("active");
        let tool = Tool::Ufw;
        assert!(matches!(
            rules.verdict(tool, UDP, 5000),
            Finding::FirewallAllows { .. }
        ));
        assert!(matches!(
            rules.verdict(tool, UDP, 6005),
            Finding::FirewallAllows { .. }
        ));
        assert!(matches!(
            rules.verdict(tool, TCP, 8080),
            Finding::FirewallDrops { rule, .. } if rule.starts_with("8080/tcp")
        ));
        assert!(matches!(
            rules.verdict(tool, TCP, 7000),
            Finding::FirewallDrops { rule, .. } if rule.starts_with("Default: deny")
        ));
        assert_eq!(parse_ufw("Status: inactive\n"), None);
    }
}
