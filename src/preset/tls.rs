//! A preset's TLS settings ([`TlsSettings`]), kept as typed, and the engine's TLS configuration they
//! describe for a TCP client ([`TlsConnect`]) or server ([`TlsAccept`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Field, FieldError, ModeKind, Preset};
use crate::engine::{TlsAccept, TlsConnect, TlsFailure, TlsIdentity, TlsVerify};
use crate::i18n::Lang;

/// TLS over a TCP session. Presets from before TLS load with it off. Paths are kept as typed; a
/// relative one is read from the preset file's folder when the session's preset came from a file
/// ([`Preset::with_tls_paths_from`]), else from the folder NetAssist runs in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsSettings {
    /// TLS on the session's connections.
    pub enabled: bool,
    /// Client: accept any server certificate (devices with self-signed ones); it is still shown.
    pub accept_any: bool,
    /// Client: trust the CA certificates in this PEM file instead of the system's (empty: the
    /// system's).
    pub ca_file: String,
    /// Client: the name sent as SNI and checked against the certificate (empty: the host as typed).
    pub server_name: String,
    /// Server: the certificate chain's PEM file.
    pub cert_file: String,
    /// Server: the private key's PEM file.
    pub key_file: String,
    /// Server: use a self-signed certificate, made when `cert_file` and `key_file` do not exist yet and
    /// saved there (made for the session only when they are empty).
    pub self_signed: bool,
}

impl TlsSettings {
    /// The client's TLS configuration, `None` when TLS is off.
    #[must_use]
    pub fn connect(&self) -> Option<TlsConnect> {
        self.enabled.then(|| TlsConnect {
            verify: if self.accept_any {
                TlsVerify::AcceptAny
            } else if self.ca_file.trim().is_empty() {
                TlsVerify::SystemRoots
            } else {
                TlsVerify::CaFile(PathBuf::from(self.ca_file.trim()))
            },
            server_name: Some(self.server_name.trim())
                .filter(|name| !name.is_empty())
                .map(str::to_owned),
        })
    }

    /// The server's TLS configuration, `None` when TLS is off, or what is missing.
    pub fn accept(&self) -> Result<Option<TlsAccept>, FieldError> {
        if !self.enabled {
            return Ok(None);
        }
        let (cert, key) = (self.cert_file.trim(), self.key_file.trim());
        let files = match (cert.is_empty(), key.is_empty()) {
            (false, false) => Some((PathBuf::from(cert), PathBuf::from(key))),
            (true, true) => None,
            _ => {
                return Err(FieldError::new(
                    Field::TlsCertificate,
                    "A TLS server needs both files: the certificate and its private key."
                        .to_owned(),
                    "TLS 服务器需要两个文件：证书及其私钥。".to_owned(),
                ));
            }
        };
        let identity = match (files, self.self_signed) {
            (save, true) => TlsIdentity::SelfSigned { save },
            (Some((cert, key)), false) => TlsIdentity::Files { cert, key },
            (None, false) => {
                return Err(FieldError::new(
                    Field::TlsCertificate,
                    "A TLS server needs a certificate: choose its PEM file and private key, or a \
                     self-signed one."
                        .to_owned(),
                    "TLS 服务器需要证书：请选择证书和私钥的 PEM 文件，或使用自签名证书。"
                        .to_owned(),
                ));
            }
        };
        Ok(Some(TlsAccept::new(identity)))
    }

    /// The settings with each relative file (CA, certificate, key) made a path in `folder`; absolute
    /// and empty ones stay as they are.
    #[must_use]
    pub fn with_paths_from(&self, folder: &Path) -> Self {
        let from = |typed: &str| {
            let path = Path::new(typed.trim());
            if typed.trim().is_empty() || path.is_absolute() {
                typed.to_owned()
            } else {
                folder.join(path).display().to_string()
            }
        };
        Self {
            ca_file: from(&self.ca_file),
            cert_file: from(&self.cert_file),
            key_file: from(&self.key_file),
            ..self.clone()
        }
    }

    /// With a self-signed certificate and no files named, names them beside the preset file
    /// `preset` (`board.ron`: `board.cert.pem` and `board.key.pem`), so the certificate is made once
    /// and presented again each time the preset runs.
    pub fn keep_beside(&mut self, preset: &Path) {
        if !(self.self_signed
            && self.cert_file.trim().is_empty()
            && self.key_file.trim().is_empty())
        {
            return;
        }
        let stem = preset
            .file_stem()
            .map_or_else(|| "netassist".into(), |stem| stem.to_string_lossy());
        let beside = |suffix: &str| {
            preset
                .with_file_name(format!("{stem}.{suffix}.pem"))
                .display()
                .to_string()
        };
        self.cert_file = beside("cert");
        self.key_file = beside("key");
    }
}

impl Preset {
    /// The preset as read from `file`: its relative TLS files (`tls`, and a relay's `target_tls`) are
    /// read from the file's folder, where they were put beside it, whatever folder NetAssist runs in.
    #[must_use]
    pub fn with_tls_paths_from(&self, file: &Path) -> Self {
        let folder = preset_folder(file);
        Self {
            tls: self.tls.with_paths_from(folder),
            target_tls: self.target_tls.with_paths_from(folder),
            ..self.clone()
        }
    }

    /// Reads the TLS files this preset's session would read (certificate and key, CA file) without
    /// opening anything, so one that is missing, not PEM, or a key that does not belong to its
    /// certificate is named at its field before the session opens. A relay's devices' side is checked
    /// as a server's, its target's side as a client's.
    pub fn check_tls_files(&self) -> Result<(), FieldError> {
        let (accepts, makes) = match self.mode {
            ModeKind::TcpServer => (Some(&self.tls), None),
            ModeKind::TcpClient => (None, Some(&self.tls)),
            ModeKind::Relay => (Some(&self.tls), Some(&self.target_tls)),
            ModeKind::Udp => (None, None),
        };
        if let Some(accept) = accepts.map(TlsSettings::accept).transpose()?.flatten() {
            if let TlsIdentity::SelfSigned {
                save: Some((cert, key)),
            } = &accept.identity
            {
                kept_pair(cert, key)?;
            }
            accept
                .check()
                .map_err(|failure| tls_error(Field::TlsCertificate, &failure, ""))?;
        }
        if let Some(connect) = makes.and_then(TlsSettings::connect) {
            let host = self.remote_host.trim();
            connect
                .check(host)
                .map_err(|failure| tls_error(Field::TlsVerify, &failure, host))?;
        }
        Ok(())
    }
}

/// The folder of the preset file `file`, which its relative TLS files are read from (empty for a file
/// named without one: the current folder).
#[must_use]
pub fn preset_folder(file: &Path) -> &Path {
    file.parent().unwrap_or_else(|| Path::new(""))
}

/// The files a self-signed certificate is kept in: two different files, both there or neither (to be
/// made), so making one never overwrites a file (a person's own key), nor puts the key in the
/// certificate's file, which anyone may read.
fn kept_pair(cert: &Path, key: &Path) -> Result<(), FieldError> {
    let error = |en: String, zh: String| Err(FieldError::new(Field::TlsCertificate, en, zh));
    if cert == key {
        return error(
            format!(
                "The self-signed certificate and its private key need two files; both are {}.",
                cert.display()
            ),
            format!(
                "自签名证书和私钥需要两个不同的文件；现在都是 {}。",
                cert.display()
            ),
        );
    }
    match (cert.exists(), key.exists()) {
        (true, false) | (false, true) => {
            let (there, gone) = if cert.exists() {
                (cert, key)
            } else {
                (key, cert)
            };
            error(
                format!(
                    "{} is there but {} is not: a self-signed certificate is made only when neither \
                     file exists, so the one there is not replaced. Name both files of one pair, or \
                     two new ones.",
                    there.display(),
                    gone.display()
                ),
                format!(
                    "{} 已存在而 {} 不存在：只有两个文件都不存在时才会生成自签名证书，以免覆盖已有文件。\
                     请指定同一对证书和私钥，或两个新文件。",
                    there.display(),
                    gone.display()
                ),
            )
        }
        _ => Ok(()),
    }
}

/// `failure` at `field`; `addr` is the peer it names, if any.
fn tls_error(field: Field, failure: &TlsFailure, addr: &str) -> FieldError {
    FieldError::new(
        field,
        failure.text(addr, Lang::En),
        failure.text(addr, Lang::Zh),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_settings_choose_the_check_and_the_name() {
        let mut tls = TlsSettings::default();
        assert_eq!(tls.connect(), None);
        tls.enabled = true;
        assert_eq!(
            tls.connect(),
            Some(TlsConnect {
                verify: TlsVerify::SystemRoots,
                server_name: None
            })
        );
        tls.ca_file = " ca.pem ".to_owned();
        tls.server_name = "board.local".to_owned();
        let connect = tls.connect().unwrap();
        assert_eq!(connect.verify, TlsVerify::CaFile("ca.pem".into()));
        assert_eq!(connect.server_name.as_deref(), Some("board.local"));
        tls.accept_any = true;
        assert_eq!(tls.connect().unwrap().verify, TlsVerify::AcceptAny);
    }

    #[test]
    fn a_relay_is_the_devices_tls_server_and_the_targets_tls_client() {
        use crate::preset::{ModeKind, Preset};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.ron");
        let mut preset = Preset {
            mode: ModeKind::Relay,
            ..Preset::default()
        };
        preset.tls.enabled = true;
        preset.tls.self_signed = true;
        preset.target_tls.enabled = true;
        preset.target_tls.accept_any = true;
        preset.target_tls.server_name = "cloud.example".to_owned();
        preset.save(&path).unwrap();
        let loaded = Preset::load(&path).unwrap().preset;
        assert_eq!(loaded, preset);
        let config = loaded.session().unwrap();
        assert_eq!(
            config.tls_accept.unwrap().identity,
            TlsIdentity::SelfSigned { save: None }
        );
        assert_eq!(
            config.tls_connect,
            Some(TlsConnect {
                verify: TlsVerify::AcceptAny,
                server_name: Some("cloud.example".to_owned())
            })
        );
        // The target's side is the relay's alone: a TCP client keeps to `tls`.
        let client = Preset {
            mode: ModeKind::TcpClient,
            ..loaded
        };
        assert_eq!(
            client.session().unwrap().tls_connect.unwrap().verify,
            TlsVerify::SystemRoots
        );
    }

    #[test]
    fn relative_tls_files_are_read_beside_the_preset_file() {
        let absolute = std::env::temp_dir().join("ca.pem").display().to_string();
        let preset = Preset {
            mode: ModeKind::Relay,
            tls: TlsSettings {
                enabled: true,
                cert_file: "board.cert.pem".to_owned(),
                key_file: " keys/board.key.pem ".to_owned(),
                ..TlsSettings::default()
            },
            target_tls: TlsSettings {
                enabled: true,
                ca_file: absolute.clone(),
                ..TlsSettings::default()
            },
            ..Preset::default()
        };
        let folder = Path::new("presets").join("lab");
        let read = preset.with_tls_paths_from(&folder.join("board.ron"));
        let config = read.session().unwrap();
        assert_eq!(
            config.tls_accept.unwrap().identity,
            TlsIdentity::Files {
                cert: folder.join("board.cert.pem"),
                key: folder.join("keys/board.key.pem"),
            }
        );
        assert_eq!(
            config.tls_connect.unwrap().verify,
            TlsVerify::CaFile(PathBuf::from(&absolute))
        );
        // Empty stays empty (the system's roots), and a preset in the current folder reads from it.
        assert_eq!(read.tls.ca_file, "");
        let here = preset.with_tls_paths_from(Path::new("board.ron"));
        assert_eq!(here.tls.cert_file, "board.cert.pem");
    }

    #[test]
    fn wrong_tls_files_are_named_at_their_field_before_opening() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path.display().to_string()
        };
        let one = crate::engine::self_signed(None).unwrap();
        let other = crate::engine::self_signed(None).unwrap();
        let (cert, key) = (write("c.pem", &one.cert_pem), write("k.pem", &one.key_pem));
        let server = Preset {
            tls: TlsSettings {
                enabled: true,
                cert_file: cert.clone(),
                key_file: key,
                ..TlsSettings::default()
            },
            ..Preset::default()
        };
        assert_eq!(server.check_tls_files(), Ok(()));
        let cases = [
            (
                dir.path().join("gone.pem").display().to_string(),
                "no such file",
                "文件不存在",
            ),
            (
                write("bad.pem", "not a certificate\n"),
                "no certificate",
                "没有证书",
            ),
            (
                write("k2.pem", &other.key_pem),
                "does not belong to the certificate",
                "不匹配",
            ),
        ];
        for (index, (path, en, zh)) in cases.into_iter().enumerate() {
            let mut wrong = server.clone();
            if index == 2 {
                wrong.tls.key_file = path;
            } else {
                wrong.tls.cert_file = path;
            }
            let error = wrong.check_tls_files().unwrap_err();
            assert_eq!(error.field, Field::TlsCertificate);
            assert!(error.en.contains(en), "{}", error.en);
            assert!(error.zh.contains(zh), "{}", error.zh);
        }
        // A client's CA file, and a relay's target side, are checked at the verification field.
        let mut relay = Preset {
            mode: ModeKind::Relay,
            ..Preset::default()
        };
        relay.target_tls = TlsSettings {
            enabled: true,
            ca_file: write(
                "ca.pem",
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
            ),
            ..TlsSettings::default()
        };
        let error = relay.check_tls_files().unwrap_err();
        assert_eq!(error.field, Field::TlsVerify);
        assert!(error.zh.contains("ca.pem"), "{}", error.zh);
        // A self-signed certificate still to be made is not made by the check.
        relay.target_tls.ca_file = cert;
        relay.tls = TlsSettings {
            enabled: true,
            self_signed: true,
            ..TlsSettings::default()
        };
        relay.tls.keep_beside(&dir.path().join("relay.ron"));
        assert_eq!(relay.check_tls_files(), Ok(()));
        assert!(!dir.path().join("relay.cert.pem").exists());
    }

    #[test]
    fn a_self_signed_certificate_is_kept_in_two_files_both_there_or_neither() {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name).display().to_string();
        let server = |cert: &str, key: &str| Preset {
            tls: TlsSettings {
                enabled: true,
                self_signed: true,
                cert_file: path(cert),
                key_file: path(key),
                ..TlsSettings::default()
            },
            ..Preset::default()
        };
        let same = server("same.pem", "same.pem")
            .check_tls_files()
            .unwrap_err();
        assert_eq!(same.field, Field::TlsCertificate);
        assert!(same.en.contains("two files"), "{}", same.en);
        assert!(same.zh.contains("两个不同的文件"), "{}", same.zh);
        // One file of the two: refused whichever it is, and left as it is.
        std::fs::write(path("mine.key"), "my own key\n").unwrap();
        for (cert, key) in [("new.pem", "mine.key"), ("mine.key", "new.pem")] {
            let half = server(cert, key).check_tls_files().unwrap_err();
            assert_eq!(half.field, Field::TlsCertificate);
            assert!(half.en.contains("mine.key is there but"), "{}", half.en);
            assert!(half.en.contains("new.pem is not"), "{}", half.en);
            assert!(half.zh.contains("以免覆盖"), "{}", half.zh);
            assert!(!half.en.contains("  "), "{}", half.en);
        }
        assert_eq!(
            std::fs::read_to_string(path("mine.key")).unwrap(),
            "my own key\n"
        );
        assert!(!dir.path().join("new.pem").exists());
        // Neither: to be made on opening; both, of one pair: kept; of two pairs: refused.
        assert_eq!(server("c.pem", "k.pem").check_tls_files(), Ok(()));
        let one = crate::engine::self_signed(None).unwrap();
        let other = crate::engine::self_signed(None).unwrap();
        std::fs::write(path("c.pem"), &one.cert_pem).unwrap();
        std::fs::write(path("k.pem"), &one.key_pem).unwrap();
        assert_eq!(server("c.pem", "k.pem").check_tls_files(), Ok(()));
        std::fs::write(path("k.pem"), &other.key_pem).unwrap();
        let mismatch = server("c.pem", "k.pem").check_tls_files().unwrap_err();
        assert!(mismatch.en.contains("does not belong"), "{}", mismatch.en);
    }

    #[test]
    fn a_server_needs_a_certificate_and_a_self_signed_one_is_kept_beside_the_preset() {
        let mut tls = TlsSettings {
            enabled: true,
            ..TlsSettings::default()
        };
        let missing = tls.accept().unwrap_err();
        assert_eq!(missing.field, Field::TlsCertificate);
        assert!(missing.en.contains("needs a certificate"), "{}", missing.en);
        tls.cert_file = "c.pem".to_owned();
        assert!(tls.accept().unwrap_err().en.contains("both files"));
        tls.key_file = "k.pem".to_owned();
        assert_eq!(
            tls.accept().unwrap().unwrap().identity,
            TlsIdentity::Files {
                cert: "c.pem".into(),
                key: "k.pem".into()
            }
        );
        let mut own = TlsSettings {
            enabled: true,
            self_signed: true,
            ..TlsSettings::default()
        };
        assert_eq!(
            own.accept().unwrap().unwrap().identity,
            TlsIdentity::SelfSigned { save: None }
        );
        own.keep_beside(Path::new("presets/board.ron"));
        assert_eq!(
            own.accept().unwrap().unwrap().identity,
            TlsIdentity::SelfSigned {
                save: Some((
                    "presets/board.cert.pem".into(),
                    "presets/board.key.pem".into()
                ))
            }
        );
    }
}
