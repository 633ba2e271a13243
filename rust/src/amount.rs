//! Exact amounts for the balancing rules of the 835 and the 837P: an X12 decimal element
//! (`-`, digits, an optional `.`) held at a fixed scale of 8 decimals, with the number of
//! decimals it was written with, so sums print as Python's `Decimal` sums do (the most decimals
//! of the terms: `12.50` stays `12.50`, `100 - 73.5` is `26.5`).

/// Decimals held exactly; an element with more significant decimals is not read.
const SCALE: u32 = 8;
const UNIT: i128 = 10i128.pow(SCALE);
/// 10^0 ... 10^SCALE.
const POW10: [i128; SCALE as usize + 1] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];
/// Digits before the point: an X12 amount (data element 782) has at most 18 characters.
const MAX_WHOLE_DIGITS: usize = 20;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Amount {
    /// The value times 10^8.
    units: i128,
    /// Decimals as written (the most of the terms for a sum).
    decimals: u8,
}

impl Amount {
    /// An X12 decimal element; None when it is not one (empty, a sign alone, letters, an
    /// exponent, more than 8 significant decimals or 20 whole digits).
    pub fn parse(value: &[u8]) -> Option<Amount> {
        let digits = value.strip_prefix(b"-").unwrap_or(value);
        let negative = digits.len() < value.len();
        let (whole, frac) = match digits.iter().position(|&b| b == b'.') {
            Some(at) => (&digits[..at], &digits[at + 1..]),
            None => (digits, &digits[digits.len()..]),
        };
        let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
        let empty = whole.len() + frac.len() == 0;
        let whole = &whole[whole.iter().take_while(|&&b| b == b'0').count()..];
        if empty || whole.len() > MAX_WHOLE_DIGITS || !all_digits(whole) || !all_digits(frac) {
            return None;
        }
        let significant = frac.iter().rposition(|&b| b != b'0').map_or(0, |i| i + 1);
        if significant > SCALE as usize {
            return None;
        }
        // Read in 64 bits (19 digits always fit), the fraction in at most 8 digits.
        let read = |digits: &[u8]| {
            digits
                .iter()
                .fold(0u64, |n, &b| n * 10 + u64::from(b - b'0'))
        };
        let units = match whole.len() {
            0..=19 => i128::from(read(whole)),
            _ => {
                i128::from(read(&whole[..19])) * 10i128.pow(whole.len() as u32 - 19)
                    + i128::from(read(&whole[19..]))
            }
        };
        let fraction = i128::from(read(&frac[..significant]));
        let units = units * UNIT + fraction * POW10[SCALE as usize - significant];
        Some(Amount {
            units: if negative { -units } else { units },
            decimals: frac.len().min(40) as u8,
        })
    }

    /// An amount as the 835 tables read one (`table_builder::decimal(value, 2)`: at most 40 characters
    /// after the sign, 2 significant decimals, under 10^16): the balancing checks the amounts the
    /// tables hold.
    pub fn cents(value: &[u8]) -> Option<Amount> {
        let a = Amount::parse(value)?;
        let cent = UNIT / 100;
        let fits = value.len() - usize::from(value.first() == Some(&b'-')) <= 40
            && a.units % cent == 0
            && a.units.unsigned_abs() < 10u128.pow(18) * cent as u128;
        fits.then_some(a)
    }

    /// Equal in value (`Decimal` compares values: 12.5 == 12.50).
    pub fn same(self, other: Amount) -> bool {
        self.units == other.units
    }
}

impl std::ops::Add for Amount {
    type Output = Amount;

    fn add(self, other: Amount) -> Amount {
        Amount {
            units: self.units + other.units,
            decimals: self.decimals.max(other.decimals),
        }
    }
}

impl std::ops::Sub for Amount {
    type Output = Amount;

    fn sub(self, other: Amount) -> Amount {
        self + -other
    }
}

impl std::ops::Neg for Amount {
    type Output = Amount;

    fn neg(self) -> Amount {
        Amount {
            units: -self.units,
            decimals: self.decimals,
        }
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.units < 0 { "-" } else { "" };
        let abs = self.units.unsigned_abs();
        let (whole, frac) = (abs / UNIT as u128, abs % UNIT as u128);
        let d = u32::from(self.decimals);
        if d == 0 {
            return write!(f, "{sign}{whole}");
        }
        // The digits past the 8th are zeros: `parse` refuses an element where they are not.
        let shown = d.min(SCALE);
        let digits = frac / 10u128.pow(SCALE - shown);
        let zeros = "0".repeat((d - shown) as usize);
        write!(f, "{sign}{whole}.{digits:0w$}{zeros}", w = shown as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table_builder::decimal;

    fn amount(text: &str) -> Amount {
        Amount::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn amounts_print_as_python_decimal_does() {
        assert_eq!(amount("12.50").to_string(), "12.50");
        assert_eq!(amount("12.5").to_string(), "12.5");
        assert_eq!(amount("100").to_string(), "100");
        assert_eq!(amount("100.").to_string(), "100");
        assert_eq!(amount(".5").to_string(), "0.5");
        assert_eq!(amount("-3.25").to_string(), "-3.25");
        assert_eq!(amount("1.500").to_string(), "1.500");
        assert_eq!(amount("1.234").to_string(), "1.234");
        assert_eq!(amount("0.1234567800000").to_string(), "0.1234567800000");
        assert_eq!((amount("100") - amount("73.5")).to_string(), "26.5");
        assert_eq!((amount("1.234") + amount("2.2")).to_string(), "3.434");
        assert_eq!((Amount::default() + amount("7")).to_string(), "7");
        assert!(amount("12.5").same(amount("12.50")));
        // The widest amounts read: 19 and 20 whole digits, 8 significant decimals.
        assert_eq!(
            amount("9999999999999999999.5").to_string(),
            "9999999999999999999.5"
        );
        assert_eq!(
            amount("-98765432109876543210.12345678").to_string(),
            "-98765432109876543210.12345678"
        );
    }

    #[test]
    fn what_is_not_an_amount() {
        for bad in [
            "",
            "-",
            ".",
            "-.",
            "1.2.3",
            "+5",
            " 5",
            "1e2",
            "1_0",
            "NaN",
            "0.123456789",
            "123456789012345678901",
        ] {
            assert_eq!(Amount::parse(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(Amount::cents(b"1.234"), None);
        assert_eq!(Amount::cents(b"1.230"), Some(amount("1.230")));
        assert_eq!(amount("000000000000000000000012.5").to_string(), "12.5");
    }

    #[test]
    fn cents_reads_what_the_tables_read() {
        let cases = [
            "",
            "-",
            ".",
            "5.",
            ".5",
            "-.5",
            "-0",
            "12.50",
            "1.234",
            "1.230",
            "1.2.3",
            "+5",
            "x",
            "9999999999999999.99",
            "10000000000000000",
            "-9999999999999999.99",
            "000000000000000000000000000000000000001",
            "0000000000000000000000000000000000000001",
            "1.000000000000000000000000000000000000000",
            "12.5000000000000000000000000000000000000000",
        ];
        for v in cases {
            let expected = decimal(v.as_bytes(), 2);
            let got = Amount::cents(v.as_bytes()).map(|a| a.units / (UNIT / 100));
            assert_eq!(got, expected, "{v:?}");
        }
    }
}
