//! The doctor's findings as plain text, for the command line and for copying from the window: a heading per
//! check, one line per finding with its status, what to do on the line after it, then how many of each
//! status.

use std::fmt::Write as _;

use super::{Finding, Status};
use crate::i18n::{Lang, Text};

/// The findings as a text report in `lang`.
#[must_use]
pub fn report(findings: &[Finding], lang: Lang) -> String {
    let mut text = String::new();
    let mut check = None;
    for finding in findings {
        if check != Some(finding.check()) {
            check = Some(finding.check());
            let _ = writeln!(text, "{}", finding.check().text(lang));
        }
        let status = format!("[{}]", finding.status().text(lang));
        let _ = writeln!(text, "  {status:<10} {}", finding.text(lang));
        if let Some(advice) = finding.advice() {
            let _ = writeln!(text, "  {:<10} -> {}", "", advice.text(lang));
        }
    }
    let count = |status| findings.iter().filter(|f| f.status() == status).count();
    let (problems, warnings, unknown) = (
        count(Status::Problem),
        count(Status::Warning),
        count(Status::Unknown),
    );
    let counts = lang.pick_owned(
        &format!("{problems} problem(s), {warnings} warning(s), {unknown} unknown"),
        &format!("问题 {problems} 项，注意 {warnings} 项，未知 {unknown} 项"),
    );
    let _ = writeln!(text, "{counts}");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_has_a_heading_per_check_and_the_counts_in_either_language() {
        let findings = super::super::one_of_each();
        for lang in [Lang::En, Lang::Zh] {
            let text = report(&findings, lang);
            for check in findings.iter().map(Finding::check) {
                assert!(text.contains(&check.text(lang)), "{lang:?}: {check:?}");
            }
            assert!(text.contains(&findings[0].text(lang)));
        }
        assert!(report(&[], Lang::En).ends_with("0 problem(s), 0 warning(s), 0 unknown\n"));
        assert!(report(&[], Lang::Zh).contains("问题 0 项"));
    }
}
