//! What every X12-to-Arrow table reader shares: column kinds and the `table!` declarations,
//! the Arrow schema of a table, the row being filled (cells that point into the row's buffer)
//! and its column builders, and the X12 decimal and date readers. A value that does not read as
//! its column's type becomes a null and a bad-value record the reader turns into a finding.

use std::sync::Arc;

use arrow_array::builder::{Date32Builder, Decimal128Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

/// What a column holds (its Arrow type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// int64: a row key (0-based ordinal of the row in its table over the whole stream) or a
    /// segment position (1-based ordinal in the stream).
    Key,
    /// utf8.
    Text,
    /// decimal128(18, 2).
    Amount,
    /// decimal128(18, 4).
    Quantity,
    /// date32, from a CCYYMMDD element.
    Date,
}

impl Kind {
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Key => DataType::Int64,
            Kind::Text => DataType::Utf8,
            Kind::Amount => DataType::Decimal128(18, AMOUNT_SCALE as i8),
            Kind::Quantity => DataType::Decimal128(18, QUANTITY_SCALE as i8),
            Kind::Date => DataType::Date32,
        }
    }
}

pub(crate) const AMOUNT_SCALE: u32 = 2;
pub(crate) const QUANTITY_SCALE: u32 = 4;

/// One column: its name, type and the element it comes from (for the docs table).
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub source: &'static str,
}

macro_rules! table {
    ($m:ident { $($c:ident : $name:literal, $kind:ident, $source:literal;)* }) => {
        #[allow(dead_code)]
        pub mod $m {
            use super::{Column, Kind};
            #[allow(non_camel_case_types, clippy::upper_case_acronyms, clippy::enum_variant_names)]
            enum I { $($c),* }
            $(pub const $c: usize = I::$c as usize;)*
            pub const COLUMNS: &[Column] = &[$(Column { name: $name, kind: Kind::$kind, source: $source }),*];
        }
    };
}
pub(crate) use table;

/// The Arrow schema of a table: every column nullable but the table's own row key.
pub fn schema(columns: &[Column]) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| Field::new(c.name, c.kind.data_type(), i != 0))
        .collect();
    Arc::new(Schema::new(fields))
}

/// One cell of a row being filled: nothing, a number, or a value's bytes (kept in the row's
/// buffer) with where it came from, for a finding if it does not read as its column's type.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Bytes {
        start: u32,
        len: u32,
        position: u64,
        segment: &'static str,
        element: u8,
    },
}

pub(crate) enum Builder {
    Int(Int64Builder),
    Text(StringBuilder),
    Decimal(Decimal128Builder, u32),
    Date(Date32Builder),
}

impl Builder {
    pub(crate) fn new(kind: Kind) -> Self {
        match kind {
            Kind::Key => Builder::Int(Int64Builder::new()),
            Kind::Text => Builder::Text(StringBuilder::new()),
            Kind::Amount | Kind::Quantity => {
                let scale = if kind == Kind::Amount {
                    AMOUNT_SCALE
                } else {
                    QUANTITY_SCALE
                };
                let b = Decimal128Builder::new()
                    .with_precision_and_scale(18, scale as i8)
                    .expect("18 digits at scale 2 or 4 is a valid decimal128");
                Builder::Decimal(b, scale)
            }
            Kind::Date => Builder::Date(Date32Builder::new()),
        }
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Decimal(b, scale) => Arc::new(
                b.finish()
                    .with_precision_and_scale(18, *scale as i8)
                    .expect("valid decimal128"),
            ),
            Builder::Date(b) => Arc::new(b.finish()),
        }
    }
}

/// A value that did not read as its column's type.
pub(crate) struct BadValue {
    pub(crate) rule: &'static str,
    pub(crate) message: &'static str,
    pub(crate) position: u64,
    pub(crate) segment: &'static str,
    pub(crate) element: u8,
}

/// One table: its column builders and the row being filled.
pub(crate) struct Table {
    pub(crate) schema: SchemaRef,
    pub(crate) builders: Vec<Builder>,
    pub(crate) cells: Vec<Cell>,
    pub(crate) buf: Vec<u8>,
    pub(crate) open: bool,
    pub(crate) rows: usize,
    pub(crate) next_row: i64,
    pub(crate) text: String,
}

impl Table {
    pub(crate) fn new(columns: &'static [Column]) -> Self {
        Table {
            schema: schema(columns),
            builders: columns.iter().map(|c| Builder::new(c.kind)).collect(),
            cells: vec![Cell::Null; columns.len()],
            buf: Vec::new(),
            open: false,
            rows: 0,
            next_row: 0,
            text: String::new(),
        }
    }

    /// Start a row; its key is the next row number.
    pub(crate) fn open(&mut self) -> i64 {
        self.cells.iter_mut().for_each(|c| *c = Cell::Null);
        self.buf.clear();
        self.open = true;
        let row = self.next_row;
        self.next_row += 1;
        self.cells[0] = Cell::Int(row);
        row
    }

    pub(crate) fn int(&mut self, col: usize, value: i64) {
        self.cells[col] = Cell::Int(value);
    }

    pub(crate) fn opt_int(&mut self, col: usize, value: Option<i64>) {
        if let Some(v) = value {
            self.cells[col] = Cell::Int(v);
        }
    }

    /// Set a cell from an element's bytes; an empty element stays null, a cell already set
    /// keeps its first value (a repeated qualifier: the first one wins).
    pub(crate) fn bytes(
        &mut self,
        col: usize,
        value: &[u8],
        position: u64,
        segment: &'static str,
        element: u8,
    ) {
        if value.is_empty() || !matches!(self.cells[col], Cell::Null) {
            return;
        }
        let start = self.buf.len() as u32;
        self.buf.extend_from_slice(value);
        self.cells[col] = Cell::Bytes {
            start,
            len: value.len() as u32,
            position,
            segment,
            element,
        };
    }

    pub(crate) fn text(&mut self, col: usize, value: &str) {
        if !matches!(self.cells[col], Cell::Null) {
            return;
        }
        let start = self.buf.len() as u32;
        self.buf.extend_from_slice(value.as_bytes());
        self.cells[col] = Cell::Bytes {
            start,
            len: value.len() as u32,
            position: 0,
            segment: "",
            element: 0,
        };
    }

    /// Append the open row to the builders; values that do not read go to `bad`.
    pub(crate) fn close(&mut self, bad: &mut Vec<BadValue>) -> bool {
        if !self.open {
            return false;
        }
        self.open = false;
        self.rows += 1;
        for (cell, builder) in self.cells.iter().zip(self.builders.iter_mut()) {
            let (value, position, segment, element) = match *cell {
                Cell::Null => {
                    append_null(builder);
                    continue;
                }
                Cell::Int(v) => {
                    if let Builder::Int(b) = builder {
                        b.append_value(v);
                    } else {
                        append_null(builder);
                    }
                    continue;
                }
                Cell::Bytes {
                    start,
                    len,
                    position,
                    segment,
                    element,
                } => (
                    &self.buf[start as usize..(start + len) as usize],
                    position,
                    segment,
                    element,
                ),
            };
            let problem = match builder {
                Builder::Text(b) => {
                    b.append_value(latin1(value, &mut self.text));
                    None
                }
                Builder::Decimal(b, scale) => match decimal(value, *scale) {
                    Some(v) => {
                        b.append_value(v);
                        None
                    }
                    None => {
                        b.append_null();
                        Some(("invalid-decimal", "the element is not a decimal number this column holds (18 digits, at most 2 decimals for an amount, 4 for a quantity)"))
                    }
                },
                Builder::Date(b) => match date(value) {
                    Some(v) => {
                        b.append_value(v);
                        None
                    }
                    None => {
                        b.append_null();
                        Some((
                            "invalid-date",
                            "the element is not a CCYYMMDD calendar date",
                        ))
                    }
                },
                Builder::Int(b) => {
                    b.append_null();
                    None
                }
            };
            if let Some((rule, message)) = problem {
                bad.push(BadValue {
                    rule,
                    message,
                    position,
                    segment,
                    element,
                });
            }
        }
        true
    }

    pub(crate) fn finish(&mut self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
            .expect("every builder holds one value per row of its schema's type")
    }
}

pub(crate) fn append_null(b: &mut Builder) {
    match b {
        Builder::Int(b) => b.append_null(),
        Builder::Text(b) => b.append_null(),
        Builder::Decimal(b, _) => b.append_null(),
        Builder::Date(b) => b.append_null(),
    }
}

/// Bytes as text, one character per byte (latin-1), as the tokenizer's Python face reads them.
pub(crate) fn latin1<'a>(bytes: &'a [u8], scratch: &'a mut String) -> &'a str {
    if bytes.is_ascii() {
        if let Ok(s) = std::str::from_utf8(bytes) {
            return s;
        }
    }
    scratch.clear();
    scratch.extend(bytes.iter().map(|&b| char::from(b)));
    scratch
}

/// An X12 decimal (R) as an integer at `scale` decimals: an optional minus, digits, at most one
/// point. None when it is not one, has more significant decimals than `scale` or more than 18
/// digits in all.
pub fn decimal(value: &[u8], scale: u32) -> Option<i128> {
    let (negative, digits) = match value {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, value),
    };
    if digits.is_empty() || digits.len() > 40 {
        return None;
    }
    let mut n: i128 = 0;
    let mut decimals = 0u32;
    let mut point = false;
    let mut any = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                any = true;
                if point {
                    if decimals == scale {
                        if b != b'0' {
                            return None;
                        }
                        continue;
                    }
                    decimals += 1;
                }
                n = n * 10 + i128::from(b - b'0');
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    if !any {
        return None;
    }
    n *= 10i128.pow(scale - decimals);
    if n >= 10i128.pow(18) {
        return None;
    }
    Some(if negative { -n } else { n })
}

/// A CCYYMMDD date as days since 1970-01-01, when it is a calendar date.
pub fn date(value: &[u8]) -> Option<i32> {
    if value.len() != 8 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |s: &[u8]| s.iter().fold(0i32, |n, &b| n * 10 + i32::from(b - b'0'));
    let (y, m, d) = (num(&value[..4]), num(&value[4..6]), num(&value[6..]));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > days_in[(m - 1) as usize] {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}
