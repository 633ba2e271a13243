//! Bytes of X12 data as text: one character per byte (latin-1), as the Python side reads them,
//! so any byte round-trips and no value is refused for not being UTF-8.

pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}
