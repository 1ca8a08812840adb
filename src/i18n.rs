//! The two languages of the window and of messages meant for people. Every label is written where it is used
//! as `lang.pick("English", "中文")`, so a string and its translation never drift apart in separate tables.

use serde::{Deserialize, Serialize};

/// The language of the window's own words (received data is shown in its own encoding, whatever this is).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The language for a system locale such as `zh-CN` or `en_US.UTF-8`: Chinese for any `zh` locale.
    #[must_use]
    pub fn from_locale(locale: Option<&str>) -> Self {
        match locale {
            Some(tag) if tag.to_ascii_lowercase().starts_with("zh") => Self::Zh,
            _ => Self::En,
        }
    }

    /// The system's language, read once at start-up.
    #[must_use]
    pub fn system() -> Self {
        Self::from_locale(sys_locale::get_locale().as_deref())
    }

    /// The text in this language.
    #[must_use]
    pub fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Self::En => en,
            Self::Zh => zh,
        }
    }

    /// Whichever of two texts is in this language.
    #[must_use]
    pub fn pick_owned(self, en: &str, zh: &str) -> String {
        match self {
            Self::En => en.to_owned(),
            Self::Zh => zh.to_owned(),
        }
    }

    /// The other language's name, for the switch button.
    #[must_use]
    pub fn switch_label(self) -> &'static str {
        match self {
            Self::En => "中文",
            Self::Zh => "English",
        }
    }

    /// The other language.
    #[must_use]
    pub fn other(self) -> Self {
        match self {
            Self::En => Self::Zh,
            Self::Zh => Self::En,
        }
    }
}

/// Something a person reads, in either language.
///
/// The trait lets a module search or show a type's text without depending on the module that writes it:
/// the traffic filter finds a connection note by the words the `format` module gives it, while `format`
/// depends on `traffic` and not the other way round.
pub trait Text {
    /// The text in `lang`.
    fn text(&self, lang: Lang) -> String;
}

/// [`Text`] for messages whose English is their `Display` (what the command line prints) and whose Chinese
/// is their `zh()`.
macro_rules! text_from_display_and_zh {
    ($($message:ty),* $(,)?) => {
        $(
            impl Text for $message {
                fn text(&self, lang: Lang) -> String {
                    match lang {
                        Lang::En => self.to_string(),
                        Lang::Zh => self.zh(),
                    }
                }
            }
        )*
    };
}

text_from_display_and_zh!(
    crate::addr::AddrError,
    crate::check::CheckError,
    crate::codec::ConvertError,
    crate::codec::EncodeError,
    crate::codec::EscapeError,
    crate::codec::FramingError,
    crate::codec::FramingSpecError,
    crate::codec::HexError,
    crate::codec::SendError,
    crate::codec::UnknownEncoding,
    crate::codec::VariableError,
    crate::engine::NetError,
    crate::preset::PresetError,
    crate::preset::Warning,
    crate::recording::RecordingError,
    crate::report::ReportError,
    crate::pcap::read::ReadError,
    crate::replay::ReplayError,
    crate::rules::RuleError,
);

#[cfg(test)]
mod tests {
    use super::{Lang, Text};

    /// One of each variant of every message type a person reads. A new variant belongs here too.
    #[allow(clippy::too_many_lines)] // a list, one entry per variant
    fn every_message() -> Vec<(&'static str, Box<dyn Text>)> {
        use crate::addr::AddrError;
        use crate::codec::{
            ConvertError, EncodeError, EscapeError, FramingError, FramingSpecError, HexError,
            SendError, TextEncoding, UnknownEncoding, VariableError,
        };
        use crate::doctor::adapters::AdapterKind;
        use crate::doctor::firewall::Tool;
        use crate::doctor::{Check, Status};
        use crate::engine::{CloseReason, NetError, Operation};
        use crate::preset::{PresetError, Warning};
        use crate::rules::{RuleError, RuleProblem};
        use std::io::ErrorKind;

        let hex = HexError::NotHexDigit {
            position: 5,
            ch: 'G',
        };
        let escape = EscapeError::LoneBackslash { position: 3 };
        let encode = EncodeError {
            position: 2,
            ch: '😀',
            encoding: TextEncoding::Gbk,
        };
        let text = |s: &str| s.to_owned();
        let mut all: Vec<(&str, Box<dyn Text>)> = vec![
            ("hex digit", Box::new(hex)),
            (
                "hex lone digit",
                Box::new(HexError::LoneDigit {
                    position: 1,
                    ch: 'A',
                }),
            ),
            (
                "hex prefix",
                Box::new(HexError::EmptyPrefix {
                    position: 1,
                    prefix: "0x",
                }),
            ),
            ("escape lone", Box::new(escape)),
            (
                "escape unknown",
                Box::new(EscapeError::Unknown {
                    position: 1,
                    ch: 'q',
                }),
            ),
            (
                "escape short",
                Box::new(EscapeError::ShortHex { position: 1 }),
            ),
            (
                "escape digit",
                Box::new(EscapeError::NotHexDigit {
                    position: 3,
                    ch: 'z',
                }),
            ),
            (
                "escape unicode",
                Box::new(EscapeError::UnicodeForm { position: 1 }),
            ),
            (
                "escape char",
                Box::new(EscapeError::NotAChar {
                    position: 1,
                    value: 0xD800,
                }),
            ),
            ("encode", Box::new(encode)),
            ("send hex", Box::new(SendError::Hex(hex))),
            ("send escape", Box::new(SendError::Escape(escape))),
            ("send encode", Box::new(SendError::Encode(encode))),
            ("send nothing", Box::new(SendError::Nothing)),
            (
                "variable unknown",
                Box::new(SendError::Variable(VariableError::Unknown {
                    position: 4,
                    name: text("conter"),
                    rules: true,
                })),
            ),
            (
                "variable only in rules",
                Box::new(VariableError::OnlyInRules {
                    position: 1,
                    typed: text("{peer}"),
                }),
            ),
            (
                "variable argument",
                Box::new(VariableError::Argument {
                    position: 1,
                    typed: text("{rand}"),
                    range: Some((1, 1024)),
                }),
            ),
            (
                "variable no argument",
                Box::new(VariableError::Argument {
                    position: 1,
                    typed: text("{time:1}"),
                    range: None,
                }),
            ),
            (
                "variable brace in hex",
                Box::new(VariableError::BraceInHex { position: 4 }),
            ),
            (
                "variable near miss",
                Box::new(VariableError::NearMiss {
                    position: 1,
                    typed: text("{Time}"),
                    written: text("{time}"),
                }),
            ),
            (
                "convert input",
                Box::new(ConvertError::Input(SendError::Hex(hex))),
            ),
            (
                "convert not text",
                Box::new(ConvertError::NotText {
                    byte: 1,
                    value: 0xFF,
                    encoding: TextEncoding::Utf8,
                }),
            ),
            (
                "convert control",
                Box::new(ConvertError::Control { byte: 1, value: 1 }),
            ),
            (
                "convert not same",
                Box::new(ConvertError::NotSame {
                    byte: 2,
                    encoding: TextEncoding::Gbk,
                }),
            ),
            ("encoding", Box::new(UnknownEncoding(text("big5")))),
            ("framing empty", Box::new(FramingError::EmptyDelimiter)),
            ("framing zero", Box::new(FramingError::ZeroLength)),
            ("framing gap", Box::new(FramingError::ZeroGap)),
            (
                "framing max",
                Box::new(FramingError::MaxTooSmall { max: 1, min: 4 }),
            ),
            ("spec form", Box::new(FramingSpecError::Form(text("x")))),
            (
                "spec delimiter",
                Box::new(FramingSpecError::Delimiter(SendError::Escape(escape))),
            ),
            (
                "spec invalid",
                Box::new(FramingSpecError::Invalid(FramingError::ZeroGap)),
            ),
            ("addr ip", Box::new(AddrError::NotIp(text("999.1.1.1")))),
            (
                "addr scope",
                Box::new(AddrError::ScopeOnIpv4(text("1.2.3.4%1"))),
            ),
            (
                "addr interface",
                Box::new(AddrError::NoSuchInterface {
                    text: text("fe80::1%x"),
                    name: text("x"),
                }),
            ),
            (
                "addr named scope",
                Box::new(AddrError::NamedScopeUnsupported {
                    text: text("fe80::1%x"),
                    name: text("x"),
                }),
            ),
            ("addr host", Box::new(AddrError::NotHost(text("my board")))),
            (
                "addr host port",
                Box::new(AddrError::NotHostPort(text("x"))),
            ),
            ("preset empty", Box::new(PresetError::Empty)),
            (
                "preset io",
                Box::new(PresetError::Io {
                    path: "p.ron".into(),
                    error: std::io::Error::from(ErrorKind::NotFound),
                }),
            ),
            (
                "preset syntax",
                Box::new(PresetError::Syntax {
                    line: 1,
                    col: 2,
                    message: text("Expected ')'"),
                }),
            ),
            ("warning field", Box::new(Warning::UnknownField(text("x")))),
            (
                "target gone",
                Box::new(crate::ui::app::Notice::target_gone("10.0.0.2:5000")),
            ),
            ("warning version", Box::new(Warning::NewerVersion(9))),
            (
                "capture",
                Box::new(crate::recording::Kind::Capture.failed_at("c.txt".as_ref())(
                    std::io::Error::from(ErrorKind::StorageFull),
                )),
            ),
            (
                "pcapng",
                Box::new(crate::recording::Kind::Pcapng
                    .failed_at("c.pcapng".as_ref())(
                    std::io::Error::from(ErrorKind::StorageFull),
                )),
            ),
            (
                "pcapng limit",
                Box::new(crate::recording::Kind::Pcapng
                    .failed_at("c.pcapng".as_ref())(
                    std::io::Error::other(crate::recording::LimitReached { limit: 1 << 28 }),
                )),
            ),
            (
                "rule form",
                Box::new(RuleError::from(RuleProblem::Form(text("x")))),
            ),
            (
                "rule regex",
                Box::new(RuleError::from(RuleProblem::Regex(text("(")))),
            ),
            (
                "rule piece",
                Box::new(RuleError::from(RuleProblem::Piece {
                    pattern: true,
                    piece: text(r"\q"),
                    error: SendError::Escape(escape),
                })),
            ),
            (
                "rule framing",
                Box::new(RuleError::from(RuleProblem::Framing(
                    FramingError::EmptyDelimiter,
                ))),
            ),
            (
                "field",
                Box::new(
                    crate::preset::Preset {
                        local_ip: text("999.1.1.1"),
                        ..crate::preset::Preset::default()
                    }
                    .session()
                    .unwrap_err(),
                ),
            ),
        ];
        // Each kind of network problem, as the engine reports it.
        for (op, kind) in [
            (Operation::Bind, ErrorKind::AddrInUse),
            (Operation::Send, ErrorKind::PermissionDenied),
            (Operation::Bind, ErrorKind::PermissionDenied),
            (Operation::Bind, ErrorKind::AddrNotAvailable),
            (Operation::Connect, ErrorKind::ConnectionRefused),
            (Operation::Connect, ErrorKind::TimedOut),
            (Operation::Connect, ErrorKind::HostUnreachable),
            (Operation::Receive, ErrorKind::ConnectionReset),
            (Operation::Multicast, ErrorKind::Other),
        ] {
            let error = NetError::io(op, Some(text("10.0.0.1:7")), &kind.into());
            all.push(("network", Box::new(error)));
        }
        all.push((
            "network resolve",
            Box::new(NetError::invalid(
                Operation::Resolve,
                Some(text("x")),
                "bad",
            )),
        ));
        all.push((
            "network request",
            Box::new(NetError::invalid(Operation::Send, None, "no such peer")),
        ));
        // The connection doctor: each finding, what to do about it, and the words around them.
        for finding in crate::doctor::one_of_each() {
            // Leaked so the advice, which borrows its finding, lives as long as the list; a test only.
            let finding: &'static crate::doctor::Finding = Box::leak(Box::new(finding));
            all.push(("doctor finding", Box::new(finding.clone())));
            if let Some(advice) = finding.advice() {
                all.push(("doctor advice", Box::new(advice)));
            }
        }
        for status in [
            Status::Ok,
            Status::Unknown,
            Status::Warning,
            Status::Problem,
        ] {
            all.push(("doctor status", Box::new(status)));
        }
        // Nothing before it, and a start past the end; none, one and more captures; rule 0 and beyond.
        for count in [0, 1, 2] {
            all.push((
                "variable checksum of nothing",
                Box::new(VariableError::ChecksumOfNothing {
                    position: 1,
                    typed: text("{sum8:3}"),
                    before: count,
                }),
            ));
            all.push((
                "variable capture",
                Box::new(VariableError::NoSuchCapture {
                    position: 1,
                    typed: text("$3"),
                    available: count,
                }),
            ));
            all.push((
                "variable rule",
                Box::new(VariableError::NoSuchRule {
                    position: 1,
                    typed: format!("{{n:{count}}}"),
                    rule: count,
                    available: 1,
                }),
            ));
        }
        for check in [
            Check::Adapters,
            Check::Port,
            Check::Firewall,
            Check::Reachability,
        ] {
            all.push(("doctor check", Box::new(check)));
        }
        // Close reasons, and what they mean.
        let refused = NetError::io(
            Operation::Connect,
            None,
            &ErrorKind::ConnectionRefused.into(),
        );
        let unreachable =
            NetError::io(Operation::Connect, None, &ErrorKind::HostUnreachable.into());
        for reason in [
            CloseReason::PeerClosed,
            CloseReason::Reset,
            CloseReason::TimedOut,
            CloseReason::Kicked,
            CloseReason::Forgotten,
            CloseReason::SessionStopped,
            CloseReason::Error(refused),
            CloseReason::Error(unreachable),
        ] {
            if let Some(why) = crate::doctor::closed::explain(&reason) {
                all.push(("close explanation", Box::new(why)));
            }
            all.push(("close reason", Box::new(reason)));
        }
        for kind in crate::traffic::CloseKind::ALL {
            all.push(("close kind", Box::new(kind)));
        }
        // TLS notes with words of their own: a FIN in a record's middle, a kept certificate that no
        // longer fits.
        {
            use crate::engine::{Expiry, KeptProblem, Side, TlsClose};
            use crate::traffic::Note;
            let mid = TlsClose::MidRecord { discarded: 21 };
            all.push((
                "tls mid record",
                Box::new(Note::HalfClosed(Side::Peer, Some(mid))),
            ));
            let kept = KeptProblem {
                file: text("board.cert.pem"),
                expiry: Some(Expiry::Soon(std::time::SystemTime::UNIX_EPOCH)),
                unnamed: Some([10, 0, 0, 2].into()),
            };
            all.push((
                "tls kept",
                Box::new(Note::TlsKeptCertificate(Box::new(kept))),
            ));
        }
        // Each mistake a check can have, in a step.
        {
            use crate::check::{CheckError, CheckProblem, Role, StepId};
            for problem in [
                CheckProblem::NoName,
                CheckProblem::SameName,
                CheckProblem::NoSteps,
                CheckProblem::RepeatZero,
                CheckProblem::WrongSession {
                    kind: "connect",
                    role: Role::Server,
                },
                CheckProblem::WrongSession {
                    kind: "wait_client",
                    role: Role::Client,
                },
                CheckProblem::WrongSession {
                    kind: "disconnect",
                    role: Role::Udp,
                },
                CheckProblem::Send(SendError::Hex(hex)),
                CheckProblem::Pattern(Box::new(RuleError::from(RuleProblem::Regex(text("("))))),
                CheckProblem::Framing(FramingError::EmptyDelimiter),
            ] {
                let step = Some((StepId(2), text("3.1")));
                let check = text("board");
                all.push((
                    "check",
                    Box::new(CheckError {
                        check,
                        step,
                        problem,
                    }),
                ));
            }
        }
        all.push(("windows firewall", Box::new(Tool::WindowsFirewall)));
        for typed in ["", r"\q"] {
            let error = crate::ui::connection_panel::delimiter_error(typed);
            all.push(("delimiter", Box::new(error.expect("not a delimiter"))));
        }
        for kind in [
            AdapterKind::Loopback,
            AdapterKind::Ethernet,
            AdapterKind::Other,
        ] {
            all.push(("adapter kind", Box::new(kind)));
        }
        all
    }

    #[test]
    fn every_message_speaks_both_languages() {
        use crate::codec::{Checksum, LineEnding};
        use crate::doctor::{adapters::AdapterKind, firewall::Tool};
        let chinese = |text: &str| {
            text.chars()
                .any(|ch| ('\u{4E00}'..='\u{9FFF}').contains(&ch))
        };
        for (name, message) in every_message() {
            let (en, zh) = (message.text(Lang::En), message.text(Lang::Zh));
            assert!(!en.is_empty() && !zh.is_empty(), "{name}: {en:?} {zh:?}");
            assert_ne!(en, zh, "{name}");
            assert!(!chinese(&en), "{name}: {en}");
            assert!(chinese(&zh), "{name}: {zh}");
        }
        // Names in menus: "None" is a word.
        assert_eq!(LineEnding::None.text(Lang::Zh), "无");
        assert_eq!(Checksum::None.text(Lang::Zh), "无");
        assert_eq!(Checksum::None.text(Lang::En), "None");
        // Names of things, the same in both languages.
        assert_eq!(AdapterKind::WiFi.text(Lang::Zh), "Wi-Fi");
        assert_eq!(Tool::Nftables.text(Lang::Zh), "nftables");
    }

    #[test]
    fn chinese_locales_pick_chinese() {
        for tag in ["zh-CN", "zh_TW.UTF-8", "ZH"] {
            assert_eq!(Lang::from_locale(Some(tag)), Lang::Zh, "{tag}");
        }
        for tag in [Some("en-US"), Some("de_DE"), None] {
            assert_eq!(Lang::from_locale(tag), Lang::En, "{tag:?}");
        }
    }
}
