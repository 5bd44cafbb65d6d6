//! The mock's clock: system time plus an offset that tests can move, and the wire format of
//! its readings.
//!
//! Every timestamp the mock writes and every expiry it checks reads this clock, so moving it
//! (through the control API) makes a 24-hour expiry testable in a second. A request reads it
//! once and uses that one reading everywhere in its response.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};

/// System time shifted by an offset. The offset is one atomic: readers never wait.
#[derive(Debug, Default)]
pub struct Clock {
    offset_nanos: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        // Nearly always 0: only a test that moves the clock sets it, and chrono's addition
        // (normalizing the date) is then spared on every request.
        match self.offset_nanos.load(Ordering::Relaxed) {
            0 => Timestamp(Utc::now()),
            offset => Timestamp(Utc::now() + Duration::nanoseconds(offset)),
        }
    }

    /// Moves the clock forward (or back, for a negative duration) and answers the new time.
    pub fn advance(&self, by: Duration) -> Timestamp {
        let nanos = by.num_nanoseconds().unwrap_or(i64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.now()
    }

    /// Sets the clock so that it reads `to` now, and goes on ticking from there.
    pub fn set(&self, to: DateTime<Utc>) -> Timestamp {
        let offset = to - Utc::now();
        self.offset_nanos
            .store(offset.num_nanoseconds().unwrap_or(0), Ordering::Relaxed);
        self.now()
    }

    /// Back to system time.
    pub fn reset(&self) {
        self.offset_nanos.store(0, Ordering::Relaxed);
    }
}

/// One reading of the clock. Displays as the API writes timestamps: UTC, RFC 3339, seven
/// fractional digits and an explicit `+00:00` (`2026-03-11T21:50:50.1141567+00:00`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// The fixed-width text form; written by hand because it is on every response.
    ///
    /// A response writes its one reading several times (`created_at`, `updated_at`, the
    /// brand's, the envelope's), so the last one written on this thread is kept and copied.
    pub fn to_wire(self) -> [u8; 33] {
        thread_local! {
            static LAST: Cell<(Timestamp, [u8; 33])> =
                Cell::new((Timestamp::default(), Timestamp::default().format()));
        }
        LAST.with(|last| {
            let (at, wire) = last.get();
            if at == self {
                return wire;
            }
            let wire = self.format();
            last.set((self, wire));
            wire
        })
    }

    fn format(self) -> [u8; 33] {
        let t = self.0;
        let mut out = *b"0000-00-00T00:00:00.0000000+00:00";
        put_digits(&mut out[0..4], t.year().clamp(0, 9999) as u32);
        put_digits(&mut out[5..7], t.month());
        put_digits(&mut out[8..10], t.day());
        put_digits(&mut out[11..13], t.hour());
        put_digits(&mut out[14..16], t.minute());
        put_digits(&mut out[17..19], t.second());
        // A leap second shows as nanosecond values past 1e9; fold it into the last tick.
        put_digits(&mut out[20..27], (t.nanosecond() / 100).min(9_999_999));
        out
    }

    pub fn month_index(self) -> i32 {
        self.0.year() * 12 + self.0.month0() as i32
    }
}

fn put_digits(slot: &mut [u8], mut value: u32) {
    for byte in slot.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wire = self.to_wire();
        // The buffer holds only ASCII digits and punctuation.
        f.write_str(std::str::from_utf8(&wire).map_err(|_| fmt::Error)?)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = self.to_wire();
        serializer.serialize_str(std::str::from_utf8(&wire).map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Timestamp(t.with_timezone(&Utc)))
            .map_err(serde::de::Error::custom)
    }
}

/// Parses a duration such as `25h`, `90m`, `30s`, `1500ms` or `2d`, and a sum such as
/// `24h1s`; used by the CLI and the control API alike.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let err = || format!("'{text}' is not a duration such as 500ms, 30s, 5m, 24h or 1d");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(err());
    }
    let mut total = std::time::Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
        if digits == 0 {
            return Err(err());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => std::time::Duration::from_millis(n),
            "s" => std::time::Duration::from_secs(n),
            "m" => std::time::Duration::from_secs(n.saturating_mul(60)),
            "h" => std::time::Duration::from_secs(n.saturating_mul(3600)),
            "d" => std::time::Duration::from_secs(n.saturating_mul(86_400)),
            _ => return Err(err()),
        };
        total = total.saturating_add(unit);
        rest = &rest[unit_len..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_have_seven_fraction_digits_and_an_explicit_offset() {
        let t = Utc.with_ymd_and_hms(2026, 3, 11, 21, 50, 50).unwrap()
            + Duration::nanoseconds(114_156_789);
        assert_eq!(
            Timestamp(t).to_string(),
            "2026-03-11T21:50:50.1141567+00:00"
        );
        let whole = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(
            Timestamp(whole).to_string(),
            "2026-01-02T03:04:05.0000000+00:00"
        );
        // The one kept reading is only ever the one asked for again.
        for t in [t, t, whole, t, whole, whole] {
            assert_eq!(Timestamp(t).to_wire(), Timestamp(t).format());
        }
        assert_ne!(Timestamp(t).to_wire(), Timestamp(whole).to_wire());
    }

    #[test]
    fn the_clock_moves_forward_and_can_be_set() {
        let clock = Clock::default();
        let before = clock.now();
        let after = clock.advance(Duration::hours(25));
        assert!(after.0 - before.0 >= Duration::hours(25));
        let target = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let set = clock.set(target);
        assert!((set.0 - target).num_seconds().abs() < 2);
    }

    #[test]
    fn durations_parse_from_short_text() {
        assert_eq!(parse_duration("25h").unwrap().as_secs(), 90_000);
        assert_eq!(parse_duration("24h1s").unwrap().as_secs(), 86_401);
        assert_eq!(parse_duration("1500ms").unwrap().as_millis(), 1_500);
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("h").is_err());
    }
}
