//! How the report names TLS: a session's mode cell says which versions its connections agreed on, and
//! each TLS peer gets a line under its session's table with the cipher suite, the server name, the
//! server's certificate (subject and SHA-256 fingerprint) and whether it was verified, or the certificate
//! the session presented to a client it accepted. So a report on a session over TLS never reads as
//! plain TCP.

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
