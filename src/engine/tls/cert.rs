//! Certificates: what the log shows of one ([`CertSummary`]: subject, issuer, SHA-256 fingerprint,
//! validity), reading PEM certificate chains and keys from files, and making a self-signed certificate
//! ([`self_signed`]) saved as PEM.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::{Duration, SystemTime};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use super::{FileProblem, TlsFailure};

/// What a person checks about a certificate. Source of the fields: RFC 5280 section 4.1 (subject,
/// issuer, validity), read with `x509-parser`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSummary {
    /// The subject's distinguished name, as `CN=board.local, O=Acme`: RFC 4514's form (values escaped,
    /// `O=Acme\, Inc.`), with a space after each comma and around each `+` for reading.
    pub subject: String,
    /// The issuer's distinguished name; the same as the subject for a self-signed certificate.
    pub issuer: String,
    /// The SHA-256 of the certificate's DER bytes, the fingerprint browsers and `openssl x509
    /// -fingerprint -sha256` show.
    pub sha256: [u8; 32],
    /// The first moment it is valid.
    pub not_before: SystemTime,
    /// The last moment it is valid.
    pub not_after: SystemTime,
    /// The names and addresses it is for (subject alternative names), as `DNS:board.local`,
    /// `IP:192.168.1.5`.
    pub names: Vec<String>,
}

impl CertSummary {
    /// Reads a DER certificate; `None` if it cannot be parsed (the handshake has accepted or refused it
    /// by then, so the log only lacks its details).
    #[must_use]
    pub fn of(der: &[u8]) -> Option<Self> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let time = |t: x509_parser::time::ASN1Time| {
            let secs = t.timestamp();
            if secs >= 0 {
                SystemTime::UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
            } else {
                SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            }
        };
        let names = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| san.value.general_names.iter().map(general_name).collect())
            .unwrap_or_default();
        Some(Self {
            subject: distinguished_name(cert.subject()),
            issuer: distinguished_name(cert.issuer()),
            sha256: Sha256::digest(der).into(),
            not_before: time(cert.validity().not_before),
            not_after: time(cert.validity().not_after),
            names,
        })
    }

    /// The fingerprint as colon-separated hex pairs, `AB:12:...`.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        let pairs: Vec<String> = self.sha256.iter().map(|b| format!("{b:02X}")).collect();
        pairs.join(":")
    }
}

/// A subject alternative name as `openssl x509 -ext subjectAltName` shows it: `DNS:board.local`,
/// `IP:192.168.1.5`, `email:a@b.c`, `URI:urn:x`, `DirName:CN=x`.
fn general_name(name: &x509_parser::extensions::GeneralName<'_>) -> String {
    use x509_parser::extensions::GeneralName;
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(ip) => ip_name(ip),
        GeneralName::RFC822Name(email) => format!("email:{email}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        GeneralName::DirectoryName(dn) => format!("DirName:{}", distinguished_name(dn)),
        GeneralName::RegisteredID(oid) => format!("RID:{oid}"),
        GeneralName::OtherName(oid, _) => format!("othername:{oid}"),
        GeneralName::X400Address(_) => "X400Name".to_owned(),
        GeneralName::EDIPartyName(_) => "EdiPartyName".to_owned(),
        GeneralName::Invalid(tag, _) => format!("(a name of kind {})", tag.0),
    }
}

/// A distinguished name in RFC 4514's form, its attributes in the certificate's order (RFC 4514 lists
/// them last first; people and `openssl -nameopt` read them as written), each value escaped (section
/// 2.4) so a comma inside one is told from the comma between two. A value that is no string is shown as
/// `#` and its DER in hex (section 2.4).
fn distinguished_name(name: &x509_parser::x509::X509Name<'_>) -> String {
    use std::fmt::Write as _;
    use x509_parser::asn1_rs::ToDer;
    let registry = x509_parser::objects::oid_registry();
    let rdns: Vec<String> = name
        .iter()
        .map(|rdn| {
            let attributes: Vec<String> = rdn
                .iter()
                .map(|attribute| {
                    let kind = x509_parser::objects::oid2abbrev(attribute.attr_type(), registry)
                        .map_or_else(|_| attribute.attr_type().to_id_string(), str::to_owned);
                    let value = attribute.as_str().map_or_else(
                        |_| {
                            let der = attribute.attr_value().to_der_vec().unwrap_or_default();
                            der.iter().fold("#".to_owned(), |mut hex, b| {
                                let _ = write!(hex, "{b:02x}");
                                hex
                            })
                        },
                        escape_dn_value,
                    );
                    format!("{kind}={value}")
                })
                .collect();
            attributes.join(" + ")
        })
        .collect();
    rdns.join(", ")
}

/// A string attribute value escaped as RFC 4514 section 2.4 asks: `"`, `+`, `,`, `;`, `<`, `>` and `\`
/// anywhere, `#` or a space first, a space last.
fn escape_dn_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `IP:a.b.c.d` for a 4- or 16-byte address, the raw bytes otherwise.
fn ip_name(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => format!(
            "IP:{}",
            IpAddr::from(<[u8; 4]>::try_from(bytes).unwrap_or_default())
        ),
        16 => format!(
            "IP:{}",
            IpAddr::from(<[u8; 16]>::try_from(bytes).unwrap_or_default())
        ),
        _ => format!("IP:{bytes:02X?}"),
    }
}

fn file_error(path: &Path, problem: FileProblem) -> TlsFailure {
    TlsFailure::File {
        path: path.display().to_string(),
        problem,
    }
}

/// A file's bytes, or why there are none.
fn read(path: &Path) -> Result<Vec<u8>, TlsFailure> {
    std::fs::read(path).map_err(|e| {
        let problem = if e.kind() == std::io::ErrorKind::NotFound {
            FileProblem::Missing
        } else {
            FileProblem::Unreadable(e.to_string())
        };
        file_error(path, problem)
    })
}

/// Every certificate in a PEM file, in order (the server's own first, then its chain).
pub(crate) fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsFailure> {
    let pem = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, pem_problem(e)))?;
    if certs.is_empty() {
        let problem = if is_der(&pem) {
            FileProblem::Der { key: false }
        } else {
            FileProblem::NoCertificate
        };
        return Err(file_error(path, problem));
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS #8, PKCS #1 RSA or SEC1 EC).
pub(crate) fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsFailure> {
    let pem = read(path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        let problem = match pem_problem(e) {
            FileProblem::NoKey if is_der(&pem) => FileProblem::Der { key: true },
            // rustls reads no encrypted key: PKCS #8's own label, or OpenSSL's older header on a
            // PKCS #1 or SEC1 block (RFC 1421 section 4.6.1.1).
            FileProblem::NoKey
                if contains(&pem, b"BEGIN ENCRYPTED PRIVATE KEY")
                    || contains(&pem, b"Proc-Type: 4,ENCRYPTED") =>
            {
                FileProblem::EncryptedKey
            }
            other => other,
        };
        file_error(path, problem)
    })
}

/// Whether a file is binary DER: an ASN.1 SEQUENCE (0x30), as every certificate and key is, with a
/// long-form length (0x81 to 0x84) or a short one that spans the whole file (a small EC key); PEM is
/// text, which starts with neither.
fn is_der(bytes: &[u8]) -> bool {
    matches!(bytes, [0x30, 0x81..=0x84, ..])
        || matches!(bytes, [0x30, len, ..] if usize::from(*len) + 2 == bytes.len())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// What a PEM parse error says about the file, in words rather than the parser's bytes.
fn pem_problem(error: rustls::pki_types::pem::Error) -> FileProblem {
    use rustls::pki_types::pem::Error;
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim().to_owned();
    match error {
        // Only a key is looked for this way: a certificate file's empty list is told apart by its reader.
        Error::NoItemsFound => FileProblem::NoKey,
        Error::MissingSectionEnd { end_marker } => FileProblem::PemCutOff {
            label: text(&end_marker),
        },
        Error::IllegalSectionStart { line } => FileProblem::PemBadBegin { line: text(&line) },
        Error::Base64Decode(_) => FileProblem::PemBadBase64,
        other => FileProblem::Malformed(other.to_string()),
    }
}

/// A self-signed certificate and its key, as PEM.
#[derive(Clone, Debug)]
pub struct SelfSigned {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key (PKCS #8), PEM.
    pub key_pem: String,
}

/// How far back a self-signed certificate's validity starts, for clocks that are behind this PC's.
const CLOCK_SKEW: Duration = Duration::from_hours(1);

/// Makes a self-signed certificate (ECDSA P-256, valid from an hour ago for ten years) for `localhost`,
/// `127.0.0.1`, `::1` and, when it is a specific address, the address a server binds.
pub fn self_signed(bind: Option<SocketAddr>) -> Result<SelfSigned, TlsFailure> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if let Some(ip) = bind.map(|bind| bind.ip()).filter(|ip| !ip.is_unspecified()) {
        let ip = ip.to_string();
        if !names.contains(&ip) {
            names.push(ip);
        }
    }
    let generate = |e: rcgen::Error| TlsFailure::Generate(e.to_string());
    let mut params = rcgen::CertificateParams::new(names).map_err(generate)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "NetAssist self-signed");
    let now = SystemTime::now();
    // A device whose clock is a little behind this PC's must not find it not valid yet.
    params.not_before = (now - CLOCK_SKEW).into();
    params.not_after = (now + Duration::from_hours(10 * 365 * 24)).into();
    let key = rcgen::KeyPair::generate().map_err(generate)?;
    let cert = params.self_signed(&key).map_err(generate)?;
    Ok(SelfSigned {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

impl SelfSigned {
    /// Writes the certificate to `cert` and the key to `key`, both as new files: a file already there
    /// is an error ([`FileProblem::Unwritable`]) and is left as it was, so a person's own key is never
    /// replaced. On Unix the key file is readable by its owner only (mode 0600), as it must stay secret.
    pub fn save(&self, cert: &Path, key: &Path) -> Result<(), TlsFailure> {
        write_new(cert, self.cert_pem.as_bytes(), 0o644)
            .map_err(|e| file_error(cert, FileProblem::Unwritable(e.to_string())))?;
        write_new(key, self.key_pem.as_bytes(), 0o600)
            .map_err(|e| file_error(key, FileProblem::Unwritable(e.to_string())))
    }
}

/// Writes `bytes` to `path`, which must not exist yet; `mode` is its Unix permission bits (ignored
/// elsewhere).
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_names_this_pc_and_the_bind_address_and_reads_back() {
        let bind: SocketAddr = "192.168.7.9:4433".parse().unwrap();
        let made = self_signed(Some(bind)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        made.save(&cert, &key).unwrap();
        let certs = read_certs(&cert).unwrap();
        read_key(&key).unwrap();
        let summary = CertSummary::of(&certs[0]).unwrap();
        assert_eq!(summary.subject, summary.issuer);
        assert!(
            summary.subject.contains("NetAssist self-signed"),
            "{}",
            summary.subject
        );
        for name in ["DNS:localhost", "IP:127.0.0.1", "IP:::1", "IP:192.168.7.9"] {
            assert!(
                summary.names.contains(&name.to_owned()),
                "{:?}",
                summary.names
            );
        }
        let now = SystemTime::now();
        assert!(summary.not_before <= now - Duration::from_mins(59) && summary.not_after > now);
        assert_eq!(summary.fingerprint().len(), 32 * 3 - 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let permissions = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(permissions & 0o777, 0o600);
        }
        // A wildcard bind adds no address of its own.
        let any = self_signed(Some("0.0.0.0:1".parse().unwrap())).unwrap();
        let any = read_certs_from(&any.cert_pem);
        assert_eq!(CertSummary::of(&any).unwrap().names.len(), 3);
    }

    #[test]
    fn a_self_signed_pair_is_written_only_as_new_files_and_a_kept_half_is_never_replaced() {
        use super::super::{Endpoint, TlsAccept, TlsIdentity};
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&key, "my own key\n").unwrap();
        let made = self_signed(None).unwrap();
        assert!(matches!(
            made.save(&key, &dir.path().join("other.pem")),
            Err(TlsFailure::File {
                problem: FileProblem::Unwritable(_),
                ..
            })
        ));
        let accept = TlsAccept::new(TlsIdentity::SelfSigned {
            save: Some((cert.clone(), key.clone())),
        });
        // The key alone: refused, by the check and on opening, naming the missing certificate.
        for refused in [
            accept.check().unwrap_err(),
            Endpoint::server(&accept, None).err().unwrap(),
        ] {
            assert!(
                matches!(&refused, TlsFailure::File { path, problem: FileProblem::Missing } if *path == cert.display().to_string()),
                "{refused:?}"
            );
        }
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "my own key\n");
        assert!(!cert.exists());
        // Neither: made and kept; then used as it is.
        std::fs::remove_file(&key).unwrap();
        let (_, first) = Endpoint::server(&accept, None).ok().unwrap();
        let (_, again) = Endpoint::server(&accept, None).ok().unwrap();
        assert_eq!(first.sha256, again.sha256);
        // A kept key that is not the certificate's: refused, not replaced.
        let other = self_signed(None).unwrap();
        std::fs::write(&key, &other.key_pem).unwrap();
        assert!(matches!(
            Endpoint::server(&accept, None).err().unwrap(),
            TlsFailure::File {
                problem: FileProblem::KeyMismatch,
                ..
            }
        ));
        assert_eq!(std::fs::read_to_string(&key).unwrap(), other.key_pem);
    }

    fn read_certs_from(pem: &str) -> Vec<u8> {
        CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap()
            .to_vec()
    }

    #[test]
    fn names_are_shown_as_openssl_shows_them_with_values_escaped() {
        let mut params = rcgen::CertificateParams::new(vec!["board.local".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Acme, Inc. + \"lab\"");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "#1 ");
        // A value that is not one of the string types read as text: `#` and its DER.
        params.distinguished_name.push(
            rcgen::DnType::OrganizationalUnitName,
            rcgen::DnValue::BmpString("A".try_into().unwrap()),
        );
        params.subject_alt_names.extend([
            rcgen::SanType::Rfc822Name("ops@board.local".try_into().unwrap()),
            rcgen::SanType::URI("urn:board:7".try_into().unwrap()),
        ]);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let summary = CertSummary::of(cert.der()).unwrap();
        assert_eq!(
            summary.subject,
            "CN=Acme\\, Inc. \\+ \\\"lab\\\", O=\\#1\\ , OU=#1e020041"
        );
        assert_eq!(
            summary.names,
            [
                "DNS:board.local",
                "email:ops@board.local",
                "URI:urn:board:7"
            ]
        );
    }

    #[test]
    fn a_cut_off_or_damaged_pem_file_is_told_in_words() {
        let made = self_signed(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cut = dir.path().join("cut.pem");
        std::fs::write(&cut, &made.cert_pem[..made.cert_pem.len() / 2]).unwrap();
        let failure = read_certs(&cut).unwrap_err();
        assert!(
            matches!(
                &failure,
                TlsFailure::File { problem: FileProblem::PemCutOff { label }, .. } if label == "CERTIFICATE"
            ),
            "{failure:?}"
        );
        let en = failure.text("", crate::i18n::Lang::En);
        assert!(
            en.contains("\"-----END CERTIFICATE-----\"") && en.contains("cut off"),
            "{en}"
        );
        assert!(!en.contains("[67,"), "{en}");
        assert!(failure.text("", crate::i18n::Lang::Zh).contains("截断"));
        let key = dir.path().join("cut.key");
        std::fs::write(&key, &made.key_pem[..made.key_pem.len() - 30]).unwrap();
        assert!(matches!(
            read_key(&key),
            Err(TlsFailure::File {
                problem: FileProblem::PemCutOff { .. },
                ..
            })
        ));
        let damaged = dir.path().join("damaged.pem");
        std::fs::write(&damaged, made.cert_pem.replacen("MII", "M!I", 1)).unwrap();
        assert!(matches!(
            read_certs(&damaged),
            Err(TlsFailure::File {
                problem: FileProblem::PemBadBase64,
                ..
            })
        ));
    }

    #[test]
    fn an_encrypted_key_and_der_files_say_so_and_how_to_convert() {
        let made = self_signed(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let encrypted = dir.path().join("encrypted.key");
        // The shape `openssl pkcs8 -topk8 -v2 aes256` writes; the content is not read.
        let body = made
            .key_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>();
        std::fs::write(
            &encrypted,
            format!(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\n{}\n-----END ENCRYPTED PRIVATE KEY-----\n",
                body.join("\n")
            ),
        )
        .unwrap();
        let failure = read_key(&encrypted).unwrap_err();
        assert!(
            matches!(
                failure,
                TlsFailure::File {
                    problem: FileProblem::EncryptedKey,
                    ..
                }
            ),
            "{failure:?}"
        );
        let en = failure.text("", crate::i18n::Lang::En);
        assert!(
            en.contains("encrypted") && en.contains("openssl pkey -in"),
            "{en}"
        );
        assert!(failure.text("", crate::i18n::Lang::Zh).contains("加密"));

        let der_cert = dir.path().join("c.der");
        std::fs::write(&der_cert, read_certs_from(&made.cert_pem)).unwrap();
        let failure = read_certs(&der_cert).unwrap_err();
        let en = failure.text("", crate::i18n::Lang::En);
        assert!(
            en.contains("DER") && en.contains("openssl x509 -inform der"),
            "{en}"
        );
        let der_key = dir.path().join("k.der");
        let key_der = PrivateKeyDer::from_pem_slice(made.key_pem.as_bytes()).unwrap();
        std::fs::write(&der_key, key_der.secret_der()).unwrap();
        assert!(matches!(
            read_key(&der_key),
            Err(TlsFailure::File {
                problem: FileProblem::Der { key: true },
                ..
            })
        ));
    }

    #[test]
    fn files_that_hold_no_certificate_or_key_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "nothing here\n").unwrap();
        let cert = read_certs(&empty).unwrap_err();
        assert!(
            cert.text("", crate::i18n::Lang::En)
                .contains("no certificate")
        );
        let key = read_key(&empty).unwrap_err();
        assert!(
            key.text("", crate::i18n::Lang::En)
                .contains("no private key")
        );
        let missing = read_certs(&dir.path().join("missing.pem")).unwrap_err();
        assert!(matches!(
            missing,
            TlsFailure::File {
                problem: FileProblem::Missing,
                ..
            }
        ));
        assert!(
            missing
                .text("", crate::i18n::Lang::Zh)
                .contains("文件不存在")
        );
    }
}
