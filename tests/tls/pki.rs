//! Certificates for the TLS tests, made with rcgen: a CA and leaves it signs (good, expired, for another
//! name), written as PEM files in a temporary folder.
#![allow(dead_code, clippy::missing_panics_doc)]

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, date_time_ymd};
use tempfile::TempDir;

/// A CA and the folder its files go in.
pub struct Pki {
    pub dir: TempDir,
    ca_params: CertificateParams,
    ca_key: KeyPair,
    /// The CA certificate's PEM file.
    pub ca: PathBuf,
}

/// A leaf certificate's files and DER bytes.
pub struct Leaf {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub der: Vec<u8>,
}

impl Pki {
    pub fn new(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} CA"));
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, ca_cert.pem()).unwrap();
        Self {
            dir,
            ca_params,
            ca_key,
            ca,
        }
    }

    /// A leaf for `names`, valid from `from` to `to` (years), signed by this CA.
    pub fn leaf(&self, file: &str, names: &[&str], from: i32, to: i32) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{file} leaf"));
        params.not_before = date_time_ymd(from, 1, 1);
        params.not_after = date_time_ymd(to, 1, 1);
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        let (cert_path, key_path) = (
            self.dir.path().join(format!("{file}.pem")),
            self.dir.path().join(format!("{file}.key")),
        );
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        Leaf {
            cert: cert_path,
            key: key_path,
            der: cert.der().to_vec(),
        }
    }

    /// A leaf for this PC (localhost, 127.0.0.1), valid now.
    pub fn good(&self) -> Leaf {
        self.leaf("good", &["localhost", "127.0.0.1"], 2020, 2090)
    }
}
