//! Times as the record writes them: the time of day the log shows (`12:00:01.234`), ISO 8601 for CSV and
//! JSON, and the dated stamps of capture files.
//!
//! A leaf module (it depends on nothing else in the crate) so that reply rules, which the engine runs, can
//! write `{time}` exactly as the log shows it, while `format`, which depends on the engine's types, builds
//! its lines from the same functions.

use std::time::{Duration, SystemTime};

/// A time of day as the log shows it: `12:00:01.234`.
#[must_use]
pub fn clock_text(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(at)
        .format("%H:%M:%S%.3f")
        .to_string()
}

/// A time as ISO 8601 with milliseconds and the UTC offset, for CSV.
#[must_use]
pub fn iso_text(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(at)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

/// Times as a capture file writes them, `2026-11-23 12:00:01.234`, with the date since captures run for
/// days. The local date and time are worked out once per second: the time zone lookup cost more than
/// writing a short line.
#[derive(Default)]
pub struct Stamps {
    /// The second last worked out, since the epoch, and its text up to the milliseconds.
    second: Option<(u64, String)>,
}

impl Stamps {
    /// The stamp for `at`.
    pub fn text(&mut self, at: SystemTime) -> String {
        let since = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let second = since.as_secs();
        let prefix = match &self.second {
            Some((cached, prefix)) if *cached == second => prefix,
            _ => {
                let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(second);
                let prefix = chrono::DateTime::<chrono::Local>::from(whole)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string();
                &self.second.insert((second, prefix)).1
            }
        };
        format!("{prefix}.{:03}", since.subsec_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_times_match_the_full_format_within_and_across_seconds() {
        let mut stamps = Stamps::default();
        let start = SystemTime::now();
        for millis in [0, 1, 999, 1000, 1001, 61_234, 61_234, 3_600_000] {
            let at = start + std::time::Duration::from_millis(millis);
            let full = chrono::DateTime::<chrono::Local>::from(at)
                .format("%Y-%m-%d %H:%M:%S%.3f")
                .to_string();
            assert_eq!(stamps.text(at), full, "{millis} ms after the start");
        }
    }
}
