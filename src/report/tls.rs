//! How the report names TLS: a session's mode cell says which versions its connections agreed on, and
//! each TLS peer gets a line under its session's table with the cipher suite, the server name, the
//! server's certificate (subject and SHA-256 fingerprint) and whether it was verified, or the certificate
//! the session presented to a client it accepted. So a report on a session over TLS never reads as
//! plain TCP. A peer whose handshake failed says so in its row, with the raw bytes that went each way
//! (they are in a pcapng, but never counted as data).

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::format::certificate_text;
use crate::history::SessionSpan;
use crate::i18n::{Lang, Text};
use crate::traffic::{Note, PeerStats};

/// The mode cell's addition for a session whose connections used TLS: ` over TLS (TLS 1.3)`, the
/// versions agreed on, in order; `None` when none of its peers finished a TLS handshake.
pub(super) fn session_suffix<'a>(
    span: &SessionSpan,
    peers: impl Iterator<Item = &'a PeerStats>,
    lang: Lang,
) -> Option<String> {
    let versions: BTreeSet<&str> = peers
        .filter(|peer| span.has_peer(peer.id))
        .filter_map(|peer| peer.tls.as_ref().map(|info| info.version.as_str()))
        .collect();
    if versions.is_empty() {
        return None;
    }
    let versions = versions.into_iter().collect::<Vec<_>>().join(", ");
    Some(match lang {
        Lang::En => format!(" over TLS ({versions})"),
        Lang::Zh => format!("，使用 TLS（{versions}）"),
    })
}

/// A TLS peer's line: `#3: ` and the log's row for its handshake (version, cipher suite, server name,
/// the server's certificate with its subject and SHA-256 fingerprint, verified or not), and for a
/// client we accepted the certificate we presented. `None` for a peer without a finished TLS handshake.
pub(super) fn peer_line(peer: &PeerStats, lang: Lang) -> Option<String> {
    let info = peer.tls.as_ref()?;
    let mut line = format!(
        "{}: {}",
        peer.id,
        Note::TlsEstablished(info.clone()).text(lang)
    );
    if let (None, Some(certificate)) = (&info.certificate, &peer.presented) {
        let _ = write!(
            line,
            "{}{}",
            lang.pick("; our certificate: ", "；我方证书："),
            certificate_text(certificate, lang)
        );
    }
    Some(line)
}

/// The addition to the Closed cell of a peer whose TLS handshake failed: that it failed, and the raw
/// bytes that went each way, which a pcapng holds though its RX and TX count none. `None` for any other
/// peer.
pub(super) fn failed_handshake(peer: &PeerStats, lang: Lang) -> Option<String> {
    let raw = peer.tls_raw?;
    Some(match lang {
        Lang::En => format!(
            "; the TLS handshake failed: {} raw bytes received and {} sent (in a pcapng, not counted \
             in RX/TX)",
            raw.rx, raw.tx
        ),
        Lang::Zh => format!(
            "；TLS 握手失败：收到 {} 字节、发出 {} 字节原始数据（在 pcapng 中，不计入收发字节）",
            raw.rx, raw.tx
        ),
    })
}
