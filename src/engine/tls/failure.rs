//! Why a TLS connection or a TLS setup failed, in the terms a user thinks in ([`TlsFailure`]): sorted out
//! of rustls's errors and alerts, and told in English and Chinese with what to do about it.

use std::time::SystemTime;

use rustls::{AlertDescription, CertificateError, Error, InvalidMessage, PeerIncompatible};

use crate::i18n::Lang;

/// Bytes of a peer's first data kept to show when it turns out not to speak TLS.
pub(crate) const FIRST_BYTES: usize = 16;

/// What went wrong with TLS. Carried by [`super::super::NetError::tls`]; its messages come from
/// [`TlsFailure::text`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsFailure {
    /// We are the client: the server's certificate is not signed by a certificate authority we trust
    /// (a self-signed certificate, or a private CA that is not in the trusted roots).
    UnknownIssuer,
    /// We are the client: the server's certificate is not for the name (or IP address) we connected to.
    NameMismatch {
        /// The name or IP address we checked.
        expected: String,
        /// The names and addresses the certificate is for (its subject alternative names), as
        /// `DNS:board.local`, `IP:192.168.1.5`, when known; empty when it has none (a certificate with
        /// only a common name, CN, which TLS clients no longer check: RFC 6125 section 6.4.4).
        presented: Option<Vec<String>>,
    },
    /// We are the client: the server's certificate has expired.
    Expired {
        /// Its last valid moment, when known.
        not_after: Option<SystemTime>,
    },
    /// We are the client: the server's certificate is not valid yet (often this PC's clock is wrong).
    NotYetValid {
        /// Its first valid moment, when known.
        not_before: Option<SystemTime>,
    },
    /// We are the client: the server's certificate is a CA certificate (basic constraints `CA:TRUE`, RFC
    /// 5280 section 4.2.1.9, as `openssl req -x509` makes by default), which a server's own certificate
    /// must not be, even when it is the very certificate given as the trusted CA.
    CaAsServerCertificate,
    /// We are the client: the certificate was refused for another reason (rustls's words).
    BadCertificate(String),
    /// The two ends have no TLS version in common (NetAssist speaks TLS 1.2 and 1.3).
    NoCommonVersion,
    /// The two ends have no cipher suite (or key exchange, or signature scheme) in common.
    NoCommonCipher,
    /// We are the client and the server ended the handshake with the `handshake_failure` alert, which
    /// says no more: a TLS 1.2 server sends it when it wants a client certificate and got none, and when
    /// it shares no cipher suite with us.
    HandshakeRefused,
    /// We are the client and the server ended the handshake with the `certificate_required` alert (TLS
    /// 1.3, RFC 8446 section 6.2): it wants a client certificate (mutual TLS), and NetAssist sends none.
    /// A TLS 1.3 client counts the handshake done before the server has checked the client, so what was
    /// sent in between reached the server but was thrown away.
    ClientCertificateRequired,
    /// The peer refused our certificate: it does not trust it (a self-signed one, usually).
    CertificateRefused {
        /// The alert it sent, by its RFC 8446 name, such as `unknown_ca` or `bad_certificate`.
        alert: String,
    },
    /// The peer ended the handshake with another alert, by its RFC 8446 name (`decode_error`).
    Alert(String),
    /// We are the client and the server answered with bytes that are not TLS: it speaks plain TCP.
    PlainServer {
        /// The first bytes it sent.
        first: Vec<u8>,
    },
    /// We are the client and the server sent our own greeting back: a plain TCP echo server.
    EchoedHello,
    /// We are the server and the client sent bytes that are not TLS: it speaks plain TCP.
    PlainClient {
        /// The first bytes it sent.
        first: Vec<u8>,
    },
    /// The peer closed the TCP connection before the handshake finished.
    ClosedInHandshake,
    /// The handshake did not finish in time: as the client, the server did not answer within the
    /// session's time-out; as the server, an accepted client did not finish within
    /// [`super::TlsAccept::handshake_timeout`].
    HandshakeTimedOut {
        /// How long we waited, in milliseconds.
        waited_ms: u128,
        /// We are the server and the client was the one that kept silent.
        as_server: bool,
    },
    /// The server name to send and check (SNI, or the host as typed) is neither a DNS name nor an IP
    /// address (RFC 6066 section 3: letters, digits, `-`, labels joined by `.`).
    BadServerName {
        /// The name as given.
        name: String,
    },
    /// Any other protocol error (rustls's words).
    Protocol(String),
    /// A certificate, key or CA file could not be used: which and why.
    File {
        /// The file as given.
        path: String,
        /// What is wrong with it.
        problem: FileProblem,
    },
    /// The system's trusted root certificates could not be loaded.
    NoSystemRoots(String),
    /// A self-signed certificate could not be made.
    Generate(String),
}

impl TlsFailure {
    /// Sorts a rustls error into a failure. `server` says which end we are; `first` holds the first bytes
    /// the peer sent (up to [`FIRST_BYTES`]), to recognise a peer that does not speak TLS at all.
    pub(crate) fn of(error: &Error, server: bool, first: &[u8]) -> Self {
        // A TLS record starts with its content type: change cipher spec, alert, handshake, application
        // data or heartbeat (20 to 24). Anything else from a peer that has not finished a handshake is not
        // TLS.
        if !first.is_empty() && !(20..=24).contains(&first[0]) {
            return if server {
                Self::PlainClient {
                    first: first.to_vec(),
                }
            } else {
                Self::PlainServer {
                    first: first.to_vec(),
                }
            };
        }
        // A handshake record (22) whose message is a ClientHello (1): a client only ever receives one
        // back from a plain echo server.
        if first.len() > 5 && first[0] == 22 && first[5] == 1 {
            if !server {
                return Self::EchoedHello;
            }
            // A ClientHello's version (after the record's 5 bytes and the message's 4) below TLS 1.2
            // (3.3) is a client that knows no version we speak.
            if first.len() > 10 && (first[9], first[10]) < (3, 3) {
                return Self::NoCommonVersion;
            }
        }
        match error {
            Error::InvalidCertificate(certificate) => Self::of_certificate(certificate),
            Error::PeerIncompatible(incompatible) => match incompatible {
                PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
                | PeerIncompatible::SupportedVersionsExtensionRequired
                | PeerIncompatible::Tls12NotOffered
                | PeerIncompatible::Tls12NotOfferedOrEnabled
                // Every TLS 1.2 and 1.3 client sends this extension: one without speaks an older TLS.
                | PeerIncompatible::SignatureAlgorithmsExtensionRequired => Self::NoCommonVersion,
                PeerIncompatible::NoCipherSuitesInCommon
                | PeerIncompatible::NoKxGroupsInCommon
                | PeerIncompatible::NoSignatureSchemesInCommon
                | PeerIncompatible::NoEcPointFormatsInCommon => Self::NoCommonCipher,
                other => Self::Protocol(format!("{other:?}")),
            },
            Error::InvalidMessage(InvalidMessage::UnknownProtocolVersion) => Self::NoCommonVersion,
            Error::AlertReceived(alert) => match alert {
                AlertDescription::ProtocolVersion => Self::NoCommonVersion,
                AlertDescription::HandshakeFailure if !server => Self::HandshakeRefused,
                AlertDescription::CertificateRequired if !server => Self::ClientCertificateRequired,
                AlertDescription::HandshakeFailure | AlertDescription::InsufficientSecurity => {
                    Self::NoCommonCipher
                }
                AlertDescription::UnknownCA
                | AlertDescription::BadCertificate
                | AlertDescription::CertificateUnknown
                | AlertDescription::CertificateExpired
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::AccessDenied => Self::CertificateRefused {
                    alert: alert_name(*alert),
                },
                other => Self::Alert(alert_name(*other)),
            },
            other => Self::Protocol(other.to_string()),
        }
    }

    fn of_certificate(error: &CertificateError) -> Self {
        let time = |unix: rustls::pki_types::UnixTime| {
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(unix.as_secs())
        };
        match error {
            CertificateError::UnknownIssuer => Self::UnknownIssuer,
            CertificateError::NotValidForName => Self::NameMismatch {
                expected: String::new(),
                presented: None,
            },
            CertificateError::NotValidForNameContext {
                expected,
                presented,
            } => Self::NameMismatch {
                expected: expected.to_str().into_owned(),
                presented: Some(presented.iter().map(|name| san_name(name)).collect()),
            },
            CertificateError::Expired => Self::Expired { not_after: None },
            CertificateError::ExpiredContext { not_after, .. } => Self::Expired {
                not_after: Some(time(*not_after)),
            },
            CertificateError::NotValidYet => Self::NotYetValid { not_before: None },
            CertificateError::NotValidYetContext { not_before, .. } => Self::NotYetValid {
                not_before: Some(time(*not_before)),
            },
            CertificateError::Other(other)
                if matches!(
                    other.0.downcast_ref::<webpki::Error>(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ) =>
            {
                Self::CaAsServerCertificate
            }
            other => Self::BadCertificate(format!("{other:?}")),
        }
    }

    /// The kind of failure as one `snake_case` word (the variant's name: `unknown_issuer`,
    /// `handshake_timed_out`), for programs that read the JSON lines.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownIssuer => "unknown_issuer",
            Self::NameMismatch { .. } => "name_mismatch",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::CaAsServerCertificate => "ca_as_server_certificate",
            Self::BadCertificate(_) => "bad_certificate",
            Self::NoCommonVersion => "no_common_version",
            Self::NoCommonCipher => "no_common_cipher",
            Self::HandshakeRefused => "handshake_refused",
            Self::ClientCertificateRequired => "client_certificate_required",
            Self::CertificateRefused { .. } => "certificate_refused",
            Self::Alert(_) => "alert",
            Self::PlainServer { .. } => "plain_server",
            Self::EchoedHello => "echoed_hello",
            Self::PlainClient { .. } => "plain_client",
            Self::ClosedInHandshake => "closed_in_handshake",
            Self::HandshakeTimedOut { .. } => "handshake_timed_out",
            Self::BadServerName { .. } => "bad_server_name",
            Self::Protocol(_) => "protocol",
            Self::File { .. } => "file",
            Self::NoSystemRoots(_) => "no_system_roots",
            Self::Generate(_) => "generate",
        }
    }

    /// What happened and what to do, in `lang`; `addr` is the peer or file concerned, as shown.
    #[allow(clippy::too_many_lines)] // one sentence pair per variant
    #[must_use]
    pub fn text(&self, addr: &str, lang: Lang) -> String {
        let en = lang == Lang::En;
        match self {
            Self::UnknownIssuer => pick(
                en,
                format!(
                    "TLS: the certificate of {addr} is not signed by an authority this PC trusts (a \
                     self-signed certificate, or a private CA). Give its CA certificate (--ca FILE), or \
                     accept any certificate (--tls-insecure) if you know the device."
                ),
                format!(
                    "TLS：{addr} 的证书不是由本机信任的证书机构签发的（自签名证书或私有 CA）。请提供它的 CA 证书\
                     （--ca FILE），或在确认设备可信时选择接受任何证书（--tls-insecure）。"
                ),
            ),
            Self::NameMismatch {
                expected,
                presented: Some(presented),
            } if presented.is_empty() => pick(
                en,
                format!(
                    "TLS: the certificate of {addr} has no subjectAltName, the list of names a certificate \
                     is for; its common name (CN) is not used for the check (TLS clients stopped doing so, \
                     RFC 6125), so it is not for '{expected}'. Give the server a certificate with \
                     subjectAltName (`-addext subjectAltName=DNS:{expected}`), or accept any certificate \
                     (--tls-insecure) if you know the device."
                ),
                format!(
                    "TLS：{addr} 的证书没有 subjectAltName（证书所适用名称的列表）；校验时不使用它的通用名称（CN）\
                     （TLS 客户端已不再这样做，见 RFC 6125），因此它不适用于“{expected}”。请为服务器使用带 \
                     subjectAltName 的证书（`-addext subjectAltName=DNS:{expected}`），或在确认设备可信时选择\
                     接受任何证书（--tls-insecure）。"
                ),
            ),
            Self::NameMismatch {
                expected,
                presented: Some(presented),
            } => {
                let names = presented.join(", ");
                pick(
                    en,
                    format!(
                        "TLS: the certificate of {addr} is not for '{expected}' but for {names}. Connect by \
                         one of those names, or give the name the certificate is for (--sni NAME)."
                    ),
                    format!(
                        "TLS：{addr} 的证书不是签发给“{expected}”的，而是给 {names} 的。请用这些名称之一连接，\
                         或指定证书上的名称（--sni NAME）。"
                    ),
                )
            }
            Self::NameMismatch {
                expected,
                presented: None,
            } => pick(
                en,
                format!(
                    "TLS: the certificate of {addr} is not for '{expected}'. Connect by a name it is for, \
                     or give that name (--sni NAME)."
                ),
                format!(
                    "TLS：{addr} 的证书不是签发给“{expected}”的。请用证书上的名称连接，或指定该名称\
                     （--sni NAME）。"
                ),
            ),
            Self::Expired { not_after } => pick(
                en,
                format!(
                    "TLS: the certificate of {addr} has expired{}. Renew it on the server, or check this \
                     PC's date and time.",
                    when(*not_after, " on ")
                ),
                format!(
                    "TLS：{addr} 的证书已过期{}。请在服务器上更新证书，或检查本机的日期和时间。",
                    when(*not_after, "，到期时间 ")
                ),
            ),
            Self::NotYetValid { not_before } => pick(
                en,
                format!(
                    "TLS: the certificate of {addr} is not valid yet{}. Check this PC's date and time (and \
                     the device's, if it made the certificate).",
                    when(*not_before, ": from ")
                ),
                format!(
                    "TLS：{addr} 的证书尚未生效{}。请检查本机的日期和时间（若证书由设备生成，也检查设备的）。",
                    when(*not_before, "，生效时间 ")
                ),
            ),
            Self::CaAsServerCertificate => pick(
                en,
                format!(
                    "TLS: the certificate of {addr} is a CA certificate (CA:TRUE, as `openssl req -x509` \
                     makes by default), and a server's own certificate must not be one, even when it is \
                     the one given with --ca. Give the server a certificate signed by that CA, or one made \
                     with `-addext basicConstraints=critical,CA:FALSE`; or accept any certificate \
                     (--tls-insecure) if you know the device."
                ),
                format!(
                    "TLS：{addr} 的证书是 CA 证书（CA:TRUE，`openssl req -x509` 默认如此生成），而服务器自己的证书\
                     不能是 CA 证书，即使它就是 --ca 给出的那个证书。请为服务器使用由该 CA 签发的证书，或用 \
                     `-addext basicConstraints=critical,CA:FALSE` 生成的证书；或在确认设备可信时选择接受任何证书\
                     （--tls-insecure）。"
                ),
            ),
            Self::BadCertificate(detail) => pick(
                en,
                format!("TLS: the certificate of {addr} was refused: {detail}."),
                format!("TLS：{addr} 的证书被拒绝：{detail}。"),
            ),
            Self::NoCommonVersion => pick(
                en,
                format!(
                    "TLS: {addr} and NetAssist have no TLS version in common. NetAssist speaks TLS 1.2 and \
                     1.3; the peer probably allows only older ones (TLS 1.0/1.1, SSL) or only one that is \
                     switched off here."
                ),
                format!(
                    "TLS：{addr} 与 NetAssist 没有共同支持的 TLS 版本。NetAssist 支持 TLS 1.2 和 1.3；对方可能\
                     只允许更旧的版本（TLS 1.0/1.1、SSL）。"
                ),
            ),
            Self::NoCommonCipher => pick(
                en,
                format!(
                    "TLS: {addr} and NetAssist have no cipher suite (or key exchange) in common: the peer \
                     offers only ones NetAssist does not use (such as RSA key exchange, CBC or 3DES). \
                     Allow an ECDHE suite with AES-GCM or ChaCha20 on the peer."
                ),
                format!(
                    "TLS：{addr} 与 NetAssist 没有共同的加密套件（或密钥交换方式）：对方只提供 NetAssist 不使用的\
                     套件（如 RSA 密钥交换、CBC 或 3DES）。请在对方启用 ECDHE 加 AES-GCM 或 ChaCha20 的套件。"
                ),
            ),
            Self::HandshakeRefused => pick(
                en,
                format!(
                    "TLS: the server {addr} ended the handshake (handshake_failure) without saying why: it \
                     may want a client certificate (mutual TLS), which NetAssist does not send yet, or \
                     share no cipher suite with NetAssist (which uses ECDHE with AES-GCM or ChaCha20). \
                     Check the server's settings or log."
                ),
                format!(
                    "TLS：服务器 {addr} 结束了握手（handshake_failure），未说明原因：它可能要求客户端证书（双向 \
                     TLS），而 NetAssist 目前不发送客户端证书；也可能与 NetAssist 没有共同的加密套件（NetAssist \
                     使用 ECDHE 加 AES-GCM 或 ChaCha20）。请检查服务器的设置或日志。"
                ),
            ),
            Self::ClientCertificateRequired => pick(
                en,
                format!(
                    "TLS: the server {addr} wants a client certificate (mutual TLS), and NetAssist does \
                     not send one yet. Data sent before this was thrown away by the server. Switch off the \
                     client-certificate requirement on the server to test with NetAssist."
                ),
                format!(
                    "TLS：服务器 {addr} 要求客户端证书（双向 TLS），而 NetAssist 目前不发送客户端证书。在此之前\
                     发送的数据已被服务器丢弃。如需用 NetAssist 测试，请在服务器上关闭客户端证书要求。"
                ),
            ),
            Self::CertificateRefused { alert } => pick(
                en,
                format!(
                    "TLS: {addr} refused our certificate ({alert}): it does not trust it. Give the device \
                     the certificate (or its CA) to trust, or switch off its certificate check."
                ),
                format!(
                    "TLS：{addr} 拒绝了我们的证书（{alert}）：它不信任该证书。请让设备信任这个证书（或其 CA），\
                     或关闭设备上的证书校验。"
                ),
            ),
            Self::Alert(alert) => pick(
                en,
                format!("TLS: {addr} ended the handshake with the alert {alert}."),
                format!("TLS：{addr} 以警报 {alert} 结束了握手。"),
            ),
            Self::PlainServer { first } => pick(
                en,
                format!(
                    "TLS: the server {addr} answered with plain bytes ({}), not TLS: it speaks plain TCP \
                     on this port. Switch TLS off, or use its TLS port.",
                    shown(first)
                ),
                format!(
                    "TLS：服务器 {addr} 回复的是普通字节（{}），不是 TLS：该端口使用普通 TCP。请关闭 TLS，\
                     或改用它的 TLS 端口。",
                    shown(first)
                ),
            ),
            Self::EchoedHello => pick(
                en,
                format!(
                    "TLS: the server {addr} sent our TLS greeting (ClientHello) back unchanged: it is a \
                     plain TCP echo server, not TLS. Switch TLS off, or use its TLS port."
                ),
                format!(
                    "TLS：服务器 {addr} 把我们的 TLS 问候（ClientHello）原样发了回来：它是普通 TCP 回显服务器，\
                     不是 TLS。请关闭 TLS，或改用它的 TLS 端口。"
                ),
            ),
            Self::PlainClient { first } => pick(
                en,
                format!(
                    "TLS: the client {addr} sent plain bytes ({}), not TLS: it speaks plain TCP to this TLS \
                     server. Switch TLS on in the client, or TLS off here.",
                    shown(first)
                ),
                format!(
                    "TLS：客户端 {addr} 发送的是普通字节（{}），不是 TLS：它用普通 TCP 连接了这个 TLS 服务器。\
                     请在客户端启用 TLS，或在这里关闭 TLS。",
                    shown(first)
                ),
            ),
            Self::ClosedInHandshake => pick(
                en,
                format!(
                    "TLS: {addr} closed the connection during the TLS handshake. It may not speak TLS on \
                     this port, or it refused the handshake without saying why."
                ),
                format!(
                    "TLS：{addr} 在 TLS 握手过程中关闭了连接。它可能在该端口不使用 TLS，或未说明原因地拒绝了握手。"
                ),
            ),
            Self::HandshakeTimedOut {
                waited_ms,
                as_server: true,
            } => pick(
                en,
                format!(
                    "TLS: the client {addr} did not finish the TLS handshake within {waited_ms} ms, so it was \
                     closed. It probably speaks plain TCP and waits for us to send first; switch TLS off for \
                     it, or have it connect with TLS."
                ),
                format!(
                    "TLS：客户端 {addr} 在 {waited_ms} 毫秒内没有完成 TLS 握手，连接已关闭。它可能使用普通 TCP 并\
                     等待我们先发送；请为它关闭 TLS，或让它使用 TLS 连接。"
                ),
            ),
            Self::HandshakeTimedOut {
                waited_ms,
                as_server: false,
            } => pick(
                en,
                format!(
                    "TLS: {addr} did not answer the TLS handshake within {waited_ms} ms. It probably speaks \
                     plain TCP on this port and waits for us to send first; switch TLS off, or use its \
                     TLS port."
                ),
                format!(
                    "TLS：{addr} 在 {waited_ms} 毫秒内没有响应 TLS 握手。它可能在该端口使用普通 TCP 并等待我们\
                     先发送；请关闭 TLS，或改用它的 TLS 端口。"
                ),
            ),
            Self::BadServerName { name } => pick(
                en,
                format!(
                    "TLS: '{name}' cannot be a TLS server name: a name is made of letters, digits, '-' and \
                     '.' (as board.local), or is an IP address. Correct the host or --sni."
                ),
                format!(
                    "TLS：“{name}”不能作为 TLS 服务器名称：名称由字母、数字、“-”和“.”组成（如 board.local），\
                     或是一个 IP 地址。请更正主机名或 --sni。"
                ),
            ),
            Self::Protocol(detail) => pick(
                en,
                format!("TLS with {addr} failed: {detail}."),
                format!("与 {addr} 的 TLS 通信失败：{detail}。"),
            ),
            Self::File { path, problem } => pick(
                en,
                format!("TLS: cannot use {path}: {}.", problem.text(Lang::En)),
                format!("TLS：无法使用 {path}：{}。", problem.text(Lang::Zh)),
            ),
            Self::NoSystemRoots(detail) => pick(
                en,
                format!(
                    "TLS: this PC's trusted root certificates could not be loaded ({detail}). Give a CA \
                     file (--ca FILE), or accept any certificate (--tls-insecure)."
                ),
                format!(
                    "TLS：无法读取本机信任的根证书（{detail}）。请提供 CA 文件（--ca FILE），或选择接受任何证书\
                     （--tls-insecure）。"
                ),
            ),
            Self::Generate(detail) => pick(
                en,
                format!("TLS: could not make a self-signed certificate: {detail}."),
                format!("TLS：无法生成自签名证书：{detail}。"),
            ),
        }
    }
}

/// What is wrong with a certificate, key or CA file ([`TlsFailure::File`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    /// There is no file of that name.
    Missing,
    /// It could not be read (the OS's words).
    Unreadable(String),
    /// A certificate made here could not be written to it (the OS's words).
    Unwritable(String),
    /// It holds no PEM certificate.
    NoCertificate,
    /// It holds no PEM private key.
    NoKey,
    /// It holds a private key encrypted with a passphrase (PKCS #8 `ENCRYPTED PRIVATE KEY`, or an
    /// OpenSSL `Proc-Type: 4,ENCRYPTED` header), which NetAssist does not ask for.
    EncryptedKey,
    /// It is binary DER (it starts with an ASN.1 SEQUENCE), not PEM text.
    Der {
        /// A key was expected (otherwise a certificate).
        key: bool,
    },
    /// A PEM block has a BEGIN line and no END line: the file is cut off.
    PemCutOff {
        /// The block's label, as `CERTIFICATE`.
        label: String,
    },
    /// A line that starts a PEM block (`-----BEGIN ...`) is not well formed.
    PemBadBegin {
        /// The line, as text (bytes that are not UTF-8 replaced).
        line: String,
    },
    /// A PEM block's content is not valid base64.
    PemBadBase64,
    /// Its PEM, or a certificate in it, cannot be parsed (the parser's words).
    Malformed(String),
    /// The private key does not belong to the certificate.
    KeyMismatch,
}

impl FileProblem {
    /// The problem in `lang`, as the end of a sentence naming the file.
    #[must_use]
    pub fn text(&self, lang: Lang) -> String {
        let en = lang == Lang::En;
        match self {
            Self::Missing => lang
                .pick(
                    "there is no such file; check the path, or choose the file again",
                    "文件不存在；请检查路径，或重新选择文件",
                )
                .to_owned(),
            Self::Unreadable(why) => pick(
                en,
                format!("it cannot be read ({why})"),
                format!("无法读取（{why}）"),
            ),
            Self::Unwritable(why) => pick(
                en,
                format!("the certificate made cannot be written there ({why})"),
                format!("无法把生成的证书写入该文件（{why}）"),
            ),
            Self::NoCertificate => lang
                .pick(
                    "it holds no certificate (a PEM block \"BEGIN CERTIFICATE\")",
                    "其中没有证书（PEM 块 \"BEGIN CERTIFICATE\"）",
                )
                .to_owned(),
            Self::NoKey => lang
                .pick(
                    "it holds no private key (a PEM block \"BEGIN PRIVATE KEY\", \"BEGIN RSA PRIVATE \
                     KEY\" or \"BEGIN EC PRIVATE KEY\")",
                    "其中没有私钥（PEM 块 \"BEGIN PRIVATE KEY\"、\"BEGIN RSA PRIVATE KEY\" 或 \"BEGIN EC \
                     PRIVATE KEY\"）",
                )
                .to_owned(),
            Self::EncryptedKey => lang
                .pick(
                    "its private key is encrypted with a passphrase, which NetAssist does not ask for; \
                     save it unencrypted (`openssl pkey -in KEY.pem -out plain.pem`) and keep that file \
                     private",
                    "其中的私钥用口令加密了，而 NetAssist 不询问口令；请把它另存为未加密的私钥\
                     （`openssl pkey -in KEY.pem -out plain.pem`），并妥善保管该文件",
                )
                .to_owned(),
            Self::Der { key: false } => lang
                .pick(
                    "it is a binary (DER) certificate, and NetAssist reads PEM; convert it with \
                     `openssl x509 -inform der -in CERT.der -out CERT.pem`",
                    "它是二进制（DER）格式的证书，而 NetAssist 读取 PEM；请用 \
                     `openssl x509 -inform der -in CERT.der -out CERT.pem` 转换",
                )
                .to_owned(),
            Self::Der { key: true } => lang
                .pick(
                    "it is a binary (DER) key, and NetAssist reads PEM; convert it with \
                     `openssl pkey -inform der -in KEY.der -out KEY.pem`",
                    "它是二进制（DER）格式的私钥，而 NetAssist 读取 PEM；请用 \
                     `openssl pkey -inform der -in KEY.der -out KEY.pem` 转换",
                )
                .to_owned(),
            Self::PemCutOff { label } => pick(
                en,
                format!(
                    "a PEM block \"BEGIN {label}\" has no end line (\"-----END {label}-----\"): the file \
                     is cut off, or was not copied whole"
                ),
                format!(
                    "PEM 块 \"BEGIN {label}\" 没有结束行（\"-----END {label}-----\"）：文件被截断，或没有完整复制"
                ),
            ),
            Self::PemBadBegin { line } => pick(
                en,
                format!("the line \"{line}\" starts a PEM block but is not well formed"),
                format!("行 \"{line}\" 开始一个 PEM 块，但格式不正确"),
            ),
            Self::PemBadBase64 => lang
                .pick(
                    "the content of a PEM block is not valid base64: characters were changed or lost",
                    "PEM 块的内容不是有效的 base64：有字符被改动或丢失",
                )
                .to_owned(),
            Self::Malformed(why) => pick(
                en,
                format!("it is not valid PEM or X.509 ({why})"),
                format!("不是有效的 PEM 或 X.509 格式（{why}）"),
            ),
            Self::KeyMismatch => lang
                .pick(
                    "the private key does not belong to the certificate; choose the key made with it",
                    "私钥与证书不匹配；请选择与该证书一起生成的私钥",
                )
                .to_owned(),
        }
    }
}

/// A subject alternative name as rustls's certificate check gives it (`DnsName("board.local")`,
/// `IpAddress(192.168.1.5)`, `Unsupported(0x01)`) in the form `openssl x509 -ext subjectAltName` and the
/// log show: `DNS:board.local`, `IP:192.168.1.5`, `email` (a kind the check does not read, by its RFC
/// 5280 section 4.2.1.6 tag).
fn san_name(checked: &str) -> String {
    let inner = |prefix: &str| {
        checked
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .map(|value| value.trim_matches('"').to_owned())
    };
    if let Some(dns) = inner("DnsName(") {
        format!("DNS:{dns}")
    } else if let Some(ip) = inner("IpAddress(") {
        format!("IP:{ip}")
    } else if let Some(uri) = inner("UniformResourceIdentifier(") {
        format!("URI:{uri}")
    } else if checked == "DirectoryName" {
        "DirName".to_owned()
    } else if let Some(tag) = inner("Unsupported(0x") {
        match u8::from_str_radix(&tag, 16) {
            Ok(0) => "othername".to_owned(),
            Ok(1) => "email".to_owned(),
            Ok(3) => "X400Name".to_owned(),
            Ok(5) => "EdiPartyName".to_owned(),
            Ok(8) => "RID".to_owned(),
            _ => format!("a name of kind {tag}"),
        }
    } else {
        checked.to_owned()
    }
}

/// An alert by its name in the TLS specifications (RFC 8446 section 6, RFC 5246 section 7.2), as
/// `bad_certificate`: rustls's names are the same words run together (`BadCertificate`).
fn alert_name(alert: AlertDescription) -> String {
    let debug = format!("{alert:?}");
    let mut name = String::with_capacity(debug.len() + 4);
    let mut previous_lower = false;
    for c in debug.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            name.push('_');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        name.push(c.to_ascii_lowercase());
    }
    name
}

fn pick(en: bool, english: String, chinese: String) -> String {
    if en { english } else { chinese }
}

/// `prefix` and the date of `time` (UTC), or nothing when it is unknown.
fn when(time: Option<SystemTime>, prefix: &str) -> String {
    time.map(|time| format!("{prefix}{}", super::utc(time)))
        .unwrap_or_default()
}

/// Bytes as a person reads them: printable ASCII as text in quotes, anything else as hex too.
fn shown(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    let text: String = bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        })
        .collect();
    format!("\"{text}\" {}", hex.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_that_is_not_tls_is_named_by_its_first_bytes() {
        let error = Error::InvalidMessage(InvalidMessage::InvalidContentType);
        let server = TlsFailure::of(&error, true, b"hello\r\n");
        assert_eq!(
            server,
            TlsFailure::PlainClient {
                first: b"hello\r\n".to_vec()
            }
        );
        let en = server.text("127.0.0.1:5", Lang::En);
        assert!(en.contains("\"hello..\" 68 65 6C 6C 6F 0D 0A"), "{en}");
        assert!(server.text("x", Lang::Zh).contains("普通字节"));
        assert!(matches!(
            TlsFailure::of(&error, false, b"220 ready"),
            TlsFailure::PlainServer { .. }
        ));
        // A TLS record that is a ClientHello, received by a client: an echo.
        let hello = [22, 3, 1, 0, 200, 1, 0, 0];
        let echoed = Error::InappropriateHandshakeMessage {
            expect_types: vec![],
            got_type: rustls::HandshakeType::ClientHello,
        };
        assert_eq!(
            TlsFailure::of(&echoed, false, &hello),
            TlsFailure::EchoedHello
        );
        // The same greeting received by a server, from a client whose best is TLS 1.1 (3.2).
        let old = [22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 2];
        let refused =
            Error::PeerIncompatible(PeerIncompatible::SignatureAlgorithmsExtensionRequired);
        assert_eq!(
            TlsFailure::of(&refused, true, &old),
            TlsFailure::NoCommonVersion
        );
    }

    #[test]
    fn errors_and_alerts_are_sorted_into_what_a_user_can_act_on() {
        let tls = [22, 3, 3, 0, 10, 2];
        let cases = [
            (
                Error::InvalidCertificate(CertificateError::UnknownIssuer),
                TlsFailure::UnknownIssuer,
            ),
            (
                Error::AlertReceived(AlertDescription::ProtocolVersion),
                TlsFailure::NoCommonVersion,
            ),
            (
                Error::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon),
                TlsFailure::NoCommonCipher,
            ),
            (
                Error::AlertReceived(AlertDescription::UnknownCA),
                TlsFailure::CertificateRefused {
                    alert: "unknown_ca".to_owned(),
                },
            ),
            (
                Error::InvalidCertificate(CertificateError::Expired),
                TlsFailure::Expired { not_after: None },
            ),
        ];
        for (error, want) in cases {
            let got = TlsFailure::of(&error, false, &tls);
            assert_eq!(got, want, "{error:?}");
            assert_ne!(got.text("a", Lang::En), got.text("a", Lang::Zh));
        }
    }

    #[test]
    fn a_server_that_ends_the_handshake_is_told_apart_from_one_that_wants_a_client_certificate() {
        let tls = [22, 3, 3, 0, 10, 2];
        let refused = Error::AlertReceived(AlertDescription::HandshakeFailure);
        let failure = TlsFailure::of(&refused, false, &tls);
        assert_eq!(failure, TlsFailure::HandshakeRefused);
        let en = failure.text("127.0.0.1:1", Lang::En);
        assert!(en.contains("(handshake_failure)"), "{en}");
        assert!(
            en.contains("client certificate") && en.contains("cipher suite"),
            "{en}"
        );
        assert!(failure.text("x", Lang::Zh).contains("客户端证书"));
        // From a client, the alert cannot mean a client certificate: we ask for none.
        assert_eq!(
            TlsFailure::of(&refused, true, &tls),
            TlsFailure::NoCommonCipher
        );

        let required = Error::AlertReceived(AlertDescription::CertificateRequired);
        let failure = TlsFailure::of(&required, false, &tls);
        assert_eq!(failure, TlsFailure::ClientCertificateRequired);
        let en = failure.text("127.0.0.1:1", Lang::En);
        assert!(en.contains("wants a client certificate"), "{en}");
        assert!(en.contains("thrown away"), "{en}");
        assert!(!en.contains("CertificateRequired"), "{en}");
        let zh = failure.text("x", Lang::Zh);
        assert!(zh.contains("要求客户端证书") && zh.contains("丢弃"), "{zh}");
    }

    #[test]
    fn a_ca_certificate_used_as_the_servers_own_is_explained() {
        let ca = Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
            std::sync::Arc::new(webpki::Error::CaUsedAsEndEntity),
        )));
        let failure = TlsFailure::of(&ca, false, &[22, 3, 3, 0, 10, 2]);
        assert_eq!(failure, TlsFailure::CaAsServerCertificate);
        let en = failure.text("127.0.0.1:1", Lang::En);
        assert!(
            en.contains("CA:TRUE") && en.contains("--tls-insecure"),
            "{en}"
        );
        assert!(!en.contains("CaUsedAsEndEntity"), "{en}");
        assert!(failure.text("x", Lang::Zh).contains("CA 证书"));
    }

    #[test]
    fn a_name_mismatch_shows_the_names_as_openssl_does_and_a_certificate_without_any_says_so() {
        let context = |presented: &[&str]| {
            Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                expected: rustls::pki_types::ServerName::try_from("localhost").unwrap(),
                presented: presented.iter().map(|name| (*name).to_owned()).collect(),
            })
        };
        let tls = [22, 3, 3, 0, 10, 2];
        let odd = TlsFailure::of(
            &context(&[
                "DnsName(\"board.example\")",
                "IpAddress(10.0.0.1)",
                "UniformResourceIdentifier(\"urn:x\")",
                "Unsupported(0x01)",
            ]),
            false,
            &tls,
        );
        let en = odd.text("127.0.0.1:1", Lang::En);
        assert!(
            en.contains("but for DNS:board.example, IP:10.0.0.1, URI:urn:x, email."),
            "{en}"
        );
        let none = TlsFailure::of(&context(&[]), false, &tls);
        assert_eq!(
            none,
            TlsFailure::NameMismatch {
                expected: "localhost".to_owned(),
                presented: Some(Vec::new()),
            }
        );
        let en = none.text("127.0.0.1:1", Lang::En);
        assert!(
            en.contains("has no subjectAltName") && en.contains("(CN) is not used"),
            "{en}"
        );
        assert!(!en.contains('?'), "{en}");
        let zh = none.text("x", Lang::Zh);
        assert!(
            zh.contains("没有 subjectAltName") && zh.contains("CN"),
            "{zh}"
        );
    }

    #[test]
    fn a_server_name_tls_cannot_carry_is_named_without_a_peer() {
        let tls = super::super::TlsConnect {
            verify: super::super::TlsVerify::AcceptAny,
            server_name: Some("bad name!".to_owned()),
        };
        let failure = tls.check("127.0.0.1").unwrap_err();
        assert_eq!(
            failure,
            TlsFailure::BadServerName {
                name: "bad name!".to_owned()
            }
        );
        let en = failure.text("?", Lang::En);
        assert!(
            en.starts_with("TLS: 'bad name!' cannot be a TLS server name"),
            "{en}"
        );
        assert!(!en.contains('?'), "{en}");
        assert!(
            failure
                .text("?", Lang::Zh)
                .contains("不能作为 TLS 服务器名称")
        );
    }

    #[test]
    fn alerts_are_named_as_the_tls_specifications_name_them() {
        let cases = [
            (
                AlertDescription::CertificateRequired,
                "certificate_required",
            ),
            (AlertDescription::UnknownCA, "unknown_ca"),
            (AlertDescription::DecodeError, "decode_error"),
            (
                AlertDescription::NoApplicationProtocol,
                "no_application_protocol",
            ),
        ];
        for (alert, want) in cases {
            assert_eq!(alert_name(alert), want);
        }
        let other = TlsFailure::of(
            &Error::AlertReceived(AlertDescription::DecodeError),
            false,
            &[22, 3, 3, 0, 10, 2],
        );
        assert!(other.text("a", Lang::En).contains("decode_error"));
    }
}
