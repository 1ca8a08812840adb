//! Wake-ups on time finer than the poll's own timeout. The poll waits in whole milliseconds, rounding up
//! (so that a deadline 0.4 ms away is not a busy spin), which wakes the loop up to a millisecond late, plus
//! the kernel's timer slack. Measured before this: a 1 ms periodic send woke about 0.1 ms late every tick.
//! On Linux a `timerfd` armed for the exact deadline wakes the poll on time, and the rounded-up timeout only
//! backs it up; elsewhere the rounded timeout is all there is.
//!
//! On Windows the poll's timeout is only as fine as the system timer, about 15.6 ms by default, so a 1 ms
//! periodic send would go out every 15.6 ms. While the loop waits for less than that, the process asks for
//! 1 ms timing with `timeBeginPeriod(1)` (winmm), and gives it back with `timeEndPeriod(1)` when it next
//! waits longer or not at all, so an idle or slow session leaves the system timer alone.

use std::time::{Duration, Instant};

use mio::{Registry, Token};

/// Deadlines this close to the one armed are taken as the same, so a loop turning often under traffic
/// does not re-arm the timer for the same deadline every turn.
#[cfg(target_os = "linux")]
const SAME_DEADLINE: Duration = Duration::from_micros(20);

/// The loop's precise wake-up; see the [module docs](self).
pub(crate) struct FineTimer {
    /// `None` where the OS has no such timer, or it could not be made: the loop then keeps the poll's
    /// rounded timeout, as before.
    #[cfg(target_os = "linux")]
    fd: Option<nix::sys::timerfd::TimerFd>,
    /// The deadline the timer is armed for.
    #[cfg(target_os = "linux")]
    armed: Option<Instant>,
    /// Whether this loop holds 1 ms system timing (`timeBeginPeriod(1)` succeeded and is not yet ended).
    #[cfg(windows)]
    fine_period: bool,
}

/// Waits shorter than this need finer system timing on Windows: its default timer tick is 15.625 ms.
#[cfg(windows)]
const COARSE_TICK: Duration = Duration::from_millis(16);

impl FineTimer {
    /// A timer whose expiry is a readiness event under `token` in the poll behind `registry`.
    pub(crate) fn new(registry: &Registry, token: Token) -> Self {
        #[cfg(target_os = "linux")]
        {
            use nix::sys::timerfd::{ClockId, TimerFd, TimerFlags};
            use std::os::fd::{AsFd, AsRawFd};
            let fd = TimerFd::new(
                ClockId::CLOCK_MONOTONIC,
                TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
            )
            .ok()
            .filter(|fd| {
                let raw = fd.as_fd().as_raw_fd();
                registry
                    .register(
                        &mut mio::unix::SourceFd(&raw),
                        token,
                        mio::Interest::READABLE,
                    )
                    .is_ok()
            });
            Self { fd, armed: None }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (registry, token);
            Self {
                #[cfg(windows)]
                fine_period: false,
            }
        }
    }

    /// Makes the poll wake `timeout` after `now`, to the microsecond where the OS allows; returns the
    /// timeout to give the poll, which then only backs the timer up.
    #[cfg_attr(
        not(any(target_os = "linux", windows)),
        expect(
            clippy::unused_self,
            reason = "only Linux and Windows keep timer state"
        )
    )]
    pub(crate) fn arm(&mut self, now: Instant, timeout: Option<Duration>) -> Option<Duration> {
        #[cfg(target_os = "linux")]
        if let (Some(fd), Some(wait)) = (&self.fd, timeout)
            && wait.subsec_nanos() % 1_000_000 != 0
        {
            use nix::sys::time::{TimeSpec, TimeValLike};
            use nix::sys::timerfd::{Expiration, TimerSetTimeFlags};
            let deadline = now + wait;
            let same = self.armed.is_some_and(|armed| {
                armed > now && armed.max(deadline) - armed.min(deadline) < SAME_DEADLINE
            });
            // A whole number of milliseconds needs no timer: the poll's own timeout is exact enough.
            if !same {
                let spec =
                    TimeSpec::nanoseconds(i64::try_from(wait.as_nanos()).unwrap_or(i64::MAX));
                if fd
                    .set(Expiration::OneShot(spec), TimerSetTimeFlags::empty())
                    .is_ok()
                {
                    self.armed = Some(deadline);
                }
            }
        }
        #[cfg(windows)]
        self.set_fine_period(timeout.is_some_and(|wait| wait < COARSE_TICK));
        #[cfg(not(target_os = "linux"))]
        let _ = now;
        timeout
    }

    /// Holds 1 ms system timing while `fine`, and gives it back otherwise; see the [module docs](self).
    #[cfg(windows)]
    #[allow(unsafe_code)]
    fn set_fine_period(&mut self, fine: bool) {
        use windows_sys::Win32::Media::{TIMERR_NOERROR, timeBeginPeriod, timeEndPeriod};
        if fine == self.fine_period {
            return;
        }
        // SAFETY: both calls take a number by value and touch none of this program's memory. Every
        // successful `timeBeginPeriod` is matched by one `timeEndPeriod` with the same period, as winmm
        // requires: `fine_period` records the success, and `Drop` ends a period still held.
        if fine {
            self.fine_period = unsafe { timeBeginPeriod(1) } == TIMERR_NOERROR;
        } else {
            unsafe { timeEndPeriod(1) };
            self.fine_period = false;
        }
    }
}

#[cfg(windows)]
impl Drop for FineTimer {
    fn drop(&mut self) {
        self.set_fine_period(false);
    }
}
