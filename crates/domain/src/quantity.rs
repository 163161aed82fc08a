//! Kubernetes resource quantities ("250m", "1.5", "512Mi", "2G") parsed into exact integers.
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a quantity could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("a quantity cannot be empty")]
    Empty,
    #[error("'{0}' is not a number: write e.g. {1}")]
    NotANumber(String, &'static str),
    #[error("'{0}' is negative; resources must be zero or more")]
    Negative(String),
    #[error("'{0}' has an unknown unit '{1}'; use {2}")]
    UnknownUnit(String, String, &'static str),
    #[error("'{0}' is too large")]
    TooLarge(String),
    #[error("'{0}' is finer than the smallest unit ({1})")]
    TooPrecise(String, &'static str),
}

/// A number split into integer digits and fraction digits, exactly (no floats).
struct Decimal {
    int: u128,
    frac: u128,
    frac_digits: u32,
}

impl Decimal {
    fn parse(raw: &str, number: &str, example: &'static str) -> Result<Self, QuantityError> {
        let nan = || QuantityError::NotANumber(raw.to_owned(), example);
        if number.starts_with('-') {
            return Err(QuantityError::Negative(raw.to_owned()));
        }
        let number = number.strip_prefix('+').unwrap_or(number);
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty()) || !digits(int_part) || !digits(frac_part) {
            return Err(nan());
        }
        if int_part.len() > 30 || frac_part.len() > 30 {
            return Err(QuantityError::TooLarge(raw.to_owned()));
        }
        Ok(Self {
            int: if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| nan())? },
            frac: if frac_part.is_empty() { 0 } else { frac_part.parse().map_err(|_| nan())? },
            frac_digits: frac_part.len() as u32,
        })
    }

    /// `self × multiplier / divisor`, exact or an error when it leaves a remainder.
    fn scale(&self, raw: &str, multiplier: u128, divisor: u128, unit: &'static str) -> Result<u64, QuantityError> {
        let too_large = || QuantityError::TooLarge(raw.to_owned());
        let pow = 10u128.checked_pow(self.frac_digits).ok_or_else(too_large)?;
        let numerator = self.int.checked_mul(pow).and_then(|v| v.checked_add(self.frac)).and_then(|v| v.checked_mul(multiplier)).ok_or_else(too_large)?;
        let denominator = pow.checked_mul(divisor).ok_or_else(too_large)?;
        if numerator % denominator != 0 {
            return Err(QuantityError::TooPrecise(raw.to_owned(), unit));
        }
        u64::try_from(numerator / denominator).map_err(|_| too_large())
    }
}

/// Split "512Mi" into ("512", "Mi").
fn split_unit(s: &str) -> (&str, &str) {
    let idx = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    s.split_at(idx)
}

/// CPU in millicores: "250m" = 250, "1.5" = 1500, "2" = 2000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CpuMillis(pub u64);

impl CpuMillis {
    const EXAMPLE: &'static str = "\"250m\" (a quarter core) or \"1.5\"";

    pub fn parse(s: &str) -> Result<Self, QuantityError> {
        let raw = s.trim();
        if raw.is_empty() {
            return Err(QuantityError::Empty);
        }
        let (number, unit) = split_unit(raw);
        let value = Decimal::parse(raw, number, Self::EXAMPLE)?;
        let millis = match unit {
            "" => value.scale(raw, 1000, 1, "1m")?,
            "m" => value.scale(raw, 1, 1, "1m")?,
            other => {
                return Err(QuantityError::UnknownUnit(raw.to_owned(), other.to_owned(), "'m' (millicores) or no unit (cores)"));
            }
        };
        Ok(Self(millis))
    }

    pub fn cores(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for CpuMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) { write!(f, "{}", self.0 / 1000) } else { write!(f, "{}m", self.0) }
    }
}

/// Memory or storage in bytes: "512Mi", "2G", "1.5Gi", "1000".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Bytes(pub u64);

impl Bytes {
    const EXAMPLE: &'static str = "\"512Mi\" or \"2Gi\"";
    const UNITS: &'static str = "Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024) or k, M, G, T, P, E (powers of 1000)";

    pub fn parse(s: &str) -> Result<Self, QuantityError> {
        let raw = s.trim();
        if raw.is_empty() {
            return Err(QuantityError::Empty);
        }
        let (number, unit) = split_unit(raw);
        let value = Decimal::parse(raw, number, Self::EXAMPLE)?;
        let multiplier: u128 = match unit {
            "" => 1,
            "k" => 1_000,
            "M" => 1_000_000,
            "G" => 1_000_000_000,
            "T" => 1_000_000_000_000,
            "P" => 1_000_000_000_000_000,
            "E" => 1_000_000_000_000_000_000,
            "Ki" => 1 << 10,
            "Mi" => 1 << 20,
            "Gi" => 1 << 30,
            "Ti" => 1 << 40,
            "Pi" => 1 << 50,
            "Ei" => 1 << 60,
            other => return Err(QuantityError::UnknownUnit(raw.to_owned(), other.to_owned(), Self::UNITS)),
        };
        Ok(Self(value.scale(raw, multiplier, 1, "1 byte")?))
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u64); 4] = [("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)];
        for (name, size) in UNITS {
            if self.0 >= size && self.0.is_multiple_of(size) {
                return write!(f, "{}{}", self.0 / size, name);
            }
        }
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cpu_accepts_millicores_and_cores() {
        assert_eq!(CpuMillis::parse("250m"), Ok(CpuMillis(250)));
        assert_eq!(CpuMillis::parse("1.5"), Ok(CpuMillis(1500)));
        assert_eq!(CpuMillis::parse("2"), Ok(CpuMillis(2000)));
        assert_eq!(CpuMillis::parse("0.001"), Ok(CpuMillis(1)));
        assert_eq!(CpuMillis::parse(".5"), Ok(CpuMillis(500)));
        assert_eq!(CpuMillis::parse(" 100m "), Ok(CpuMillis(100)));
    }

    #[test]
    fn cpu_rejects_bad_input_with_a_reason() {
        assert!(matches!(CpuMillis::parse("abc"), Err(QuantityError::NotANumber(..))));
        assert!(matches!(CpuMillis::parse("-1"), Err(QuantityError::Negative(..))));
        assert!(matches!(CpuMillis::parse("1.5.5"), Err(QuantityError::NotANumber(..))));
        assert!(matches!(CpuMillis::parse("2Gi"), Err(QuantityError::UnknownUnit(..))));
        assert!(matches!(CpuMillis::parse("0.0001"), Err(QuantityError::TooPrecise(..))));
        assert_eq!(CpuMillis::parse(""), Err(QuantityError::Empty));
        let msg = CpuMillis::parse("abc").unwrap_err().to_string();
        assert!(msg.contains("250m"), "the message shows an example: {msg}");
    }

    #[test]
    fn bytes_accepts_binary_and_decimal_units() {
        assert_eq!(Bytes::parse("512Mi"), Ok(Bytes(512 * 1024 * 1024)));
        assert_eq!(Bytes::parse("2G"), Ok(Bytes(2_000_000_000)));
        assert_eq!(Bytes::parse("1.5Gi"), Ok(Bytes(1536 * 1024 * 1024)));
        assert_eq!(Bytes::parse("1000"), Ok(Bytes(1000)));
        assert_eq!(Bytes::parse("16Gi"), Ok(Bytes(16 << 30)));
        assert_eq!(Bytes::parse("1k"), Ok(Bytes(1000)));
    }

    #[test]
    fn bytes_rejects_bad_input_with_a_reason() {
        assert!(matches!(Bytes::parse("abc"), Err(QuantityError::NotANumber(..))));
        assert!(matches!(Bytes::parse("-1"), Err(QuantityError::Negative(..))));
        assert!(matches!(Bytes::parse("1.5.5"), Err(QuantityError::NotANumber(..))));
        assert!(matches!(Bytes::parse("5Xi"), Err(QuantityError::UnknownUnit(..))));
        assert!(matches!(Bytes::parse("0.5"), Err(QuantityError::TooPrecise(..))));
        assert!(matches!(Bytes::parse("99999999999Ei"), Err(QuantityError::TooLarge(..))));
        let msg = Bytes::parse("5Xi").unwrap_err().to_string();
        assert!(msg.contains("Mi") && msg.contains("'Xi'"), "{msg}");
    }

    #[test]
    fn display_round_trips_common_values() {
        assert_eq!(CpuMillis(250).to_string(), "250m");
        assert_eq!(CpuMillis(2000).to_string(), "2");
        assert_eq!(Bytes(512 << 20).to_string(), "512Mi");
        assert_eq!(Bytes(1000).to_string(), "1000");
    }

    proptest! {
        #[test]
        fn cpu_display_parses_back(m in 0u64..10_000_000) {
            prop_assert_eq!(CpuMillis::parse(&CpuMillis(m).to_string()), Ok(CpuMillis(m)));
        }

        #[test]
        fn bytes_display_parses_back(b in 0u64..(1u64 << 50)) {
            prop_assert_eq!(Bytes::parse(&Bytes(b).to_string()), Ok(Bytes(b)));
        }

        #[test]
        fn mebibytes_are_exact(n in 0u64..1_000_000) {
            prop_assert_eq!(Bytes::parse(&format!("{n}Mi")), Ok(Bytes(n << 20)));
        }
    }
}
