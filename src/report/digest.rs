//! The files a report lists, each with its size and SHA-256, so the files handed in with the report can
//! be verified (`sha256sum FILE`, `certutil -hashfile FILE SHA256`).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::capture::raw_path;
use crate::engine::Direction;
use crate::traffic::TrafficLog;

/// How much older than the capture's start a raw file beside it may look and still be its own.
const MTIME_SLACK: Duration = Duration::from_secs(2);

/// What a file written by the session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A capture to file ([`crate::capture`]); with `raw_per_peer`, each peer's bytes went to files of
    /// their own beside it, which the report lists too.
    Capture {
        /// Each peer's bytes also went to `NAME-<ip>_<port>-rx.bin` and `-tx.bin`.
        raw_per_peer: bool,
    },
    /// A peer's raw bytes beside a capture.
    RawBytes,
    /// A pcapng file ([`crate::pcap`]): the command line's `--pcap`, or the window's export.
    Pcapng,
}

/// A file the session wrote, to be listed with its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenFile {
    /// What it is.
    pub kind: FileKind,
    /// Where it is.
    pub path: PathBuf,
    /// When writing it began: files beside a capture older than this are not its own.
    pub since: SystemTime,
}

/// A listed file's size and SHA-256 (lowercase hex), or why it could not be read.
#[derive(Debug)]
pub struct Digest256 {
    /// The file.
    pub file: WrittenFile,
    /// Its size in bytes and SHA-256, or the error reading it.
    pub hash: io::Result<(u64, String)>,
}

/// The SHA-256 of the file at `path` (lowercase hex) and its size in bytes, read in 256 KiB pieces.
pub fn sha256_file(path: &Path) -> io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 18];
    let mut size = 0u64;
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    let hex = hasher.finalize().iter().fold(String::new(), |mut hex, b| {
        use std::fmt::Write;
        let _ = write!(hex, "{b:02x}");
        hex
    });
    Ok((size, hex))
}

/// Every file to list: `files` as given, each capture followed by the raw files of the log's peers
/// that exist beside it and were written since it began; each with its digest.
pub(super) fn digests(files: &[WrittenFile], log: &TrafficLog) -> Vec<Digest256> {
    let mut listed = Vec::new();
    for file in files {
        listed.push(file.clone());
        if file.kind != (FileKind::Capture { raw_per_peer: true }) {
            continue;
        }
        for peer in log.peers() {
            for dir in [Direction::Rx, Direction::Tx] {
                let path = raw_path(&file.path, Some(&peer.addr), peer.id, dir);
                // File systems stamp times from a coarser clock than `SystemTime::now`: a file
                // written just after the capture began can look a few milliseconds older.
                let since = file.since.checked_sub(MTIME_SLACK).unwrap_or(file.since);
                let fresh = std::fs::metadata(&path)
                    .and_then(|meta| meta.modified())
                    .is_ok_and(|modified| modified >= since);
                if fresh && !listed.iter().any(|known| known.path == path) {
                    listed.push(WrittenFile {
                        kind: FileKind::RawBytes,
                        path,
                        since: file.since,
                    });
                }
            }
        }
    }
    listed
        .into_iter()
        .map(|mut file| {
            let hash = sha256_file(&file.path);
            // Where it is, whatever folder the report is read from.
            if let Ok(absolute) = std::path::absolute(&file.path) {
                file.path = absolute;
            }
            Digest256 { file, hash }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_sha256_of_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc.txt");
        std::fs::write(&path, b"abc").unwrap();
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        assert_eq!(
            sha256_file(&path).unwrap(),
            (
                3,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_owned()
            )
        );
        // Larger than one read.
        std::fs::write(&path, vec![b'a'; 1_000_000]).unwrap();
        assert_eq!(
            sha256_file(&path).unwrap().1,
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
        assert!(sha256_file(&dir.path().join("missing")).is_err());
    }
}
