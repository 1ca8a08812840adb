//! Sending a file through a session without loading it whole and without overrunning the peer's send
//! queue: the file is read in chunks, and a new chunk is queued only while less than [`WINDOW`] bytes are
//! queued but not yet reported written. Each frame woken by the engine tops the window up again.

use std::io::Read;

use bytes::Bytes;

/// Bytes queued ahead of what the engine reported written; well under the engine's per-peer queue limit.
pub const WINDOW: u64 = 1 << 20;

/// Bytes read from the file per send command.
const CHUNK: usize = 64 * 1024;

/// A file being sent.
pub struct FileSend {
    reader: Box<dyn Read>,
    /// The file's name, for the progress bar.
    pub name: String,
    /// The file's size in bytes.
    pub size: u64,
    /// How many peers each chunk goes to (a send to "all" writes each chunk once per client).
    fan_out: u64,
    /// Bytes read and queued so far.
    queued: u64,
    /// Written bytes reported by the engine for this send (summed over the peers).
    written: u64,
    finished_reading: bool,
}

impl FileSend {
    #[must_use]
    /// Starts sending `size` bytes from `reader` to `fan_out` peers.
    pub fn new(reader: Box<dyn Read>, name: String, size: u64, fan_out: usize) -> Self {
        Self {
            reader,
            name,
            size,
            fan_out: fan_out.max(1) as u64,
            queued: 0,
            written: 0,
            finished_reading: false,
        }
    }

    /// Counts bytes the engine reported written while this send runs.
    pub fn written(&mut self, bytes: usize) {
        self.written += bytes as u64;
    }

    /// The next chunks to queue now, keeping at most [`WINDOW`] bytes in flight. A read error ends the
    /// send with the error.
    pub fn top_up(&mut self) -> std::io::Result<Vec<Bytes>> {
        let mut chunks = Vec::new();
        while !self.finished_reading && self.queued * self.fan_out < self.written + WINDOW {
            let mut chunk = vec![0; CHUNK];
            let n = read_full(&mut self.reader, &mut chunk)?;
            if n < CHUNK {
                self.finished_reading = true;
            }
            if n > 0 {
                chunk.truncate(n);
                self.queued += n as u64;
                chunks.push(Bytes::from(chunk));
            }
        }
        Ok(chunks)
    }

    /// Progress from 0 to 1, by bytes written.
    #[must_use]
    pub fn progress(&self) -> f32 {
        if self.size == 0 {
            return 1.0;
        }
        (self.written as f64 / (self.size * self.fan_out) as f64).min(1.0) as f32
    }

    /// Everything was read and reported written.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.finished_reading && self.written >= self.queued * self.fan_out
    }
}

/// Reads until `buf` is full or the end of the input.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_a_window_in_flight_and_sends_every_byte_once() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
        let mut send = FileSend::new(
            Box::new(std::io::Cursor::new(data.clone())),
            "fw.bin".into(),
            data.len() as u64,
            1,
        );
        let mut received = Vec::new();
        let mut rounds = 0;
        while !send.is_done() {
            rounds += 1;
            assert!(rounds < 1000, "no progress");
            let chunks = send.top_up().unwrap();
            let in_flight: usize = chunks.iter().map(Bytes::len).sum();
            assert!(in_flight as u64 <= WINDOW + CHUNK as u64);
            for chunk in chunks {
                received.extend_from_slice(&chunk);
                send.written(chunk.len());
            }
        }
        assert_eq!(received, data);
        assert!((send.progress() - 1.0).abs() < f32::EPSILON);
    }

    #[test]
    fn waits_for_writes_before_reading_more() {
        let mut send = FileSend::new(Box::new(std::io::repeat(7)), "endless".into(), u64::MAX, 2);
        let first: usize = send.top_up().unwrap().iter().map(Bytes::len).sum();
        assert!(first as u64 * 2 >= WINDOW);
        assert!(
            send.top_up().unwrap().is_empty(),
            "nothing more until writes are reported"
        );
        send.written(CHUNK * 2);
        assert_eq!(send.top_up().unwrap().len(), 1);
    }
}
