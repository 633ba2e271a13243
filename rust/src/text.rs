//! Bytes of X12 data as text: one character per byte (latin-1), as the Python side reads them,
//! so any byte round-trips and no value is refused for not being UTF-8.

pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The decimal digits of `n` (no sign, no leading zero), written into `buf`.
pub fn digits(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let mut rest = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    &buf[i..]
}
