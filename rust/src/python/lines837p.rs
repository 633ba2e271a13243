//! `sdohedi._core.write_837p_lines`: one unit's checked service lines, handed over as columns,
//! grouped into claims and rendered by the 837P writer (`crate::writer837p`), from the same
//! records `write_837p` fills from models.
//!
//! Grouping is `sdohedi.pipeline.grouping`'s: a claim per run of equal grouping key (payer,
//! member, CBO, period, prior authorization, replaced claim), split at `max_lines` lines and
//! 12 diagnoses, claim ids counted up from the unit's reserved range (a refused claim burns its
//! id, as there). What the row checks do not cover is asked of Python through `checks`, once
//! per value: the Subscriber model of a member, the Address of a trip location, and the
//! validated Claim where grouping.py validates (the first claim of a payer x CBO pair, a
//! replacement or void, a total near the Money limit, a location the models refuse). Python
//! builds those with the models and sends a refused claim's rows to its rejects itself.

use std::collections::{HashMap, HashSet, VecDeque};

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::writer837p::{
    flush, load_address, load_billing_provider, load_payer, load_receiver, load_rendering,
    load_submitter, load_subscriber, push_py_str, refusal, Loader, Total, Written, CHUNK,
};
use crate::writer837p::{
    push_amount, Address, BillingProvider, Claim, Date, Header, Parties, Payer, RenderingProvider,
    ServiceLine, Subscriber, Writer837P,
};

/// CLM02 must stay below 10^16 (Money: 18 digits, 2 after the point).
const MAX_TOTAL_DIGITS: u32 = 16;
const MAX_DIAGNOSES: usize = 12;
const POINTERS_PER_LINE: usize = 4;
const CACHE_LIMIT: usize = 1 << 16;

/// Positions of the fields this module reads, looked up by name in the line layout Python gives.
struct Layout {
    key: [usize; 6],
    member: [usize; 9],
    payer: usize,
    member_id: usize,
    cbo: usize,
    prior_auth: usize,
    replaces: usize,
    service_date: usize,
    service_id: usize,
    procedure_code: usize,
    modifiers: usize,
    units: usize,
    charge: usize,
    diagnoses: usize,
    place_of_service: usize,
    pickup: [usize; 4],
    dropoff: [usize; 4],
    width: usize,
}

impl Layout {
    fn of(fields: &[String]) -> PyResult<Self> {
        let at = |name: &str| {
            fields.iter().position(|f| f == name).ok_or_else(|| {
                PyValueError::new_err(format!("the line layout has no field {name}"))
            })
        };
        let many = |names: &[&str]| names.iter().map(|n| at(n)).collect::<PyResult<Vec<_>>>();
        let key = many(&[
            "payer",
            "member_id",
            "cbo",
            "period",
            "prior_auth",
            "replaces",
        ])?;
        let member = many(&[
            "member_id",
            "last_name",
            "first_name",
            "birth_date",
            "sex",
            "address",
            "city",
            "state",
            "zip",
        ])?;
        let pickup = many(&[
            "pickup_address",
            "pickup_city",
            "pickup_state",
            "pickup_zip",
        ])?;
        let dropoff = many(&[
            "dropoff_address",
            "dropoff_city",
            "dropoff_state",
            "dropoff_zip",
        ])?;
        Ok(Layout {
            key: key.try_into().unwrap_or_default(),
            member: member.try_into().unwrap_or_default(),
            payer: at("payer")?,
            member_id: at("member_id")?,
            cbo: at("cbo")?,
            prior_auth: at("prior_auth")?,
            replaces: at("replaces")?,
            service_date: at("service_date")?,
            service_id: at("service_id")?,
            procedure_code: at("procedure_code")?,
            modifiers: at("modifiers")?,
            units: at("units")?,
            charge: at("charge")?,
            diagnoses: at("diagnoses")?,
            place_of_service: at("place_of_service")?,
            pickup: pickup.try_into().unwrap_or_default(),
            dropoff: dropoff.try_into().unwrap_or_default(),
            width: fields.len(),
        })
    }
}

/// One batch: a sequence per field, all of one length (tuples as `zip(*rows)` makes them, or lists).
struct Batch<'py> {
    columns: Vec<Bound<'py, PyAny>>,
    rows: usize,
}

impl<'py> Batch<'py> {
    fn of(obj: &Bound<'py, PyAny>, width: usize) -> PyResult<Self> {
        let mut columns = Vec::with_capacity(width);
        for column in obj.try_iter()? {
            let column = column?;
            let column = if column.cast::<PyTuple>().is_ok() || column.cast::<PyList>().is_ok() {
                column
            } else {
                PyTuple::new(obj.py(), column.try_iter()?.collect::<PyResult<Vec<_>>>()?)?
                    .into_any()
            };
            columns.push(column);
        }
        if columns.len() != width {
            return Err(PyValueError::new_err(format!(
                "a batch has {} columns, the line layout {width}",
                columns.len()
            )));
        }
        let rows = columns[0].len()?;
        if columns.iter().any(|c| c.len().ok() != Some(rows)) {
            return Err(PyValueError::new_err(
                "the columns of a batch differ in length",
            ));
        }
        Ok(Batch { columns, rows })
    }

    fn cell(&self, column: usize, row: usize) -> PyResult<Bound<'py, PyAny>> {
        let c = &self.columns[column];
        match c.cast::<PyTuple>() {
            Ok(t) => t.get_item(row),
            Err(_) => c.cast::<PyList>()?.get_item(row),
        }
    }
}

/// A cell's text: a str as is, anything else through `str()`.
fn text_of<'py>(cell: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    match cell.cast_into::<PyString>() {
        Ok(s) => Ok(s),
        Err(e) => e.into_inner().str(),
    }
}

fn utf8<'a>(s: &'a Bound<'_, PyString>) -> &'a str {
    s.to_str().unwrap_or("\u{FFFD}") // a lone surrogate: the writer's check refuses it
}

/// A line of the group being gathered: its batch (by sequence number) and row.
#[derive(Clone, Copy)]
struct RowRef {
    batch: u64,
    row: usize,
}

/// Batches still referenced by the group being gathered, oldest first.
struct Batches<'py> {
    first: u64,
    held: VecDeque<Batch<'py>>,
}

impl<'py> Batches<'py> {
    fn get(&self, r: RowRef) -> &Batch<'py> {
        &self.held[(r.batch - self.first) as usize]
    }

    fn text(&self, r: RowRef, column: usize) -> PyResult<Bound<'py, PyString>> {
        text_of(self.get(r).cell(column, r.row)?)
    }

    fn cell(&self, r: RowRef, column: usize) -> PyResult<Bound<'py, PyAny>> {
        self.get(r).cell(column, r.row)
    }

    /// The line as the tuple grouping.py knows (for the Python side's checks and rejects).
    fn row_tuple(&self, r: RowRef) -> PyResult<Bound<'py, PyTuple>> {
        let b = self.get(r);
        let cells = (0..b.columns.len())
            .map(|c| b.cell(c, r.row))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(b.columns[0].py(), cells)
    }

    /// Forgets batches before `keep` (no line of the current group is in them).
    fn release_before(&mut self, keep: u64) {
        while self.first < keep && !self.held.is_empty() {
            self.held.pop_front();
            self.first += 1;
        }
    }
}

fn parse_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| {
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    Some(Date {
        year: num(&text[..4])?,
        month: num(&text[5..7])?,
        day: num(&text[8..10])?,
    })
}

/// The model defaults the checked lines leave as they are (from the models, handed in once).
struct Defaults {
    diagnosis_code_qualifier: String,
    provider_signature: String,
    assignment_participation: String,
    benefits_assignment: String,
    release_of_information: String,
    unit_basis: String,
}

/// A trip location as its four fields, and the Address the models make of it (None: refused).
type Location = [String; 4];

struct Grouper<'py> {
    py: Python<'py>,
    lay: Layout,
    checks: Bound<'py, PyAny>,
    record: Option<Bound<'py, PyAny>>,
    cbo_models: Bound<'py, PyAny>,
    payer_claim_numbers: Bound<'py, PyAny>,
    frequencies: Bound<'py, PyAny>,
    defaults: Defaults,
    prefix: String,
    next_id: u64,
    max_lines: usize,
    max_claims_per_transaction: usize,
    ledger_fields: (
        Bound<'py, PyAny>,
        Bound<'py, PyAny>,
        Bound<'py, PyAny>,
        Bound<'py, PyAny>,
    ),
    billing_provider: BillingProvider,
    payer: Payer,
    subscriber: Subscriber,
    subscriber_refused: bool,
    cbos: HashMap<String, RenderingProvider>,
    validated_pairs: HashSet<String>,
    locations: HashMap<Location, Option<Address>>,
    claim: Claim,
    loader: Loader,
    total: Total,
    other_totals: Option<Bound<'py, PyAny>>,
}

/// Where a chunk's trips go: the claim's 2310E/F and each line's own 2420G/H.
struct Trips {
    pickup: Option<Address>,
    dropoff: Option<Address>,
    per_line: Vec<(Option<Address>, Option<Address>)>,
}

impl<'py> Grouper<'py> {
    fn location(
        &mut self,
        batches: &Batches<'py>,
        r: RowRef,
        fields: [usize; 4],
    ) -> PyResult<Option<Address>> {
        let mut key: Location = Default::default();
        for (slot, &c) in key.iter_mut().zip(fields.iter()) {
            push_py_str(slot, &batches.text(r, c)?);
        }
        if let Some(found) = self.locations.get(&key) {
            return Ok(found.clone());
        }
        let model = self.checks.call_method1(
            intern!(self.py, "address"),
            (&key[0], &key[1], &key[2], &key[3]),
        )?;
        let address = if model.is_none() {
            None
        } else {
            let mut a = Address::default();
            load_address(&mut a, &model)?;
            Some(a)
        };
        if self.locations.len() >= CACHE_LIMIT {
            self.locations.clear();
        }
        self.locations.insert(key, address.clone());
        Ok(address)
    }

    /// grouping.py's `_locations`; None when the models refuse one of the locations.
    fn trips(&mut self, batches: &Batches<'py>, chunk: &[RowRef]) -> PyResult<Option<Trips>> {
        let mut trips = Trips {
            pickup: None,
            dropoff: None,
            per_line: Vec::with_capacity(chunk.len()),
        };
        let mut first: Option<(Location, Location)> = None;
        for &r in chunk {
            let mut here: Location = Default::default();
            let mut there: Location = Default::default();
            for i in 0..4 {
                push_py_str(&mut here[i], &batches.text(r, self.lay.pickup[i])?);
                push_py_str(&mut there[i], &batches.text(r, self.lay.dropoff[i])?);
            }
            if here[0].is_empty() {
                trips.per_line.push((None, None));
                continue;
            }
            let (first_here, first_there) = match &first {
                Some(f) => f.clone(),
                None => {
                    let (Some(p), Some(d)) = (
                        self.location(batches, r, self.lay.pickup)?,
                        self.location(batches, r, self.lay.dropoff)?,
                    ) else {
                        return Ok(None);
                    };
                    trips.pickup = Some(p);
                    trips.dropoff = Some(d);
                    first = Some((here.clone(), there.clone()));
                    (here.clone(), there.clone())
                }
            };
            let line_pickup = if here == first_here {
                None
            } else {
                match self.location(batches, r, self.lay.pickup)? {
                    Some(a) => Some(a),
                    None => return Ok(None),
                }
            };
            let line_dropoff = if there == first_there {
                None
            } else {
                match self.location(batches, r, self.lay.dropoff)? {
                    Some(a) => Some(a),
                    None => return Ok(None),
                }
            };
            trips.per_line.push((line_pickup, line_dropoff));
        }
        Ok(Some(trips))
    }

    /// The claim grouping.py's `_unchecked_claim` builds, into `self.claim`; false when the
    /// validating way must decide (a total at the Money limit, a date or amount it must judge).
    #[allow(clippy::too_many_arguments)]
    fn fill_claim(
        &mut self,
        batches: &Batches<'py>,
        chunk: &[RowRef],
        dx: &[String],
        claim_id: &str,
        frequency: &str,
        payer_claim_number: Option<&str>,
        trips: Trips,
    ) -> PyResult<bool> {
        let lay = &self.lay;
        let first = chunk[0];
        let first_pos = batches.text(first, lay.place_of_service)?;
        let first_pos = utf8(&first_pos);
        let c = &mut self.claim;
        let mut total = Total::default();
        c.lines.resize_with(chunk.len(), ServiceLine::default);
        for ((ln, &r), (pickup, dropoff)) in c.lines.iter_mut().zip(chunk).zip(trips.per_line) {
            let charge = batches.text(r, lay.charge)?;
            if !total.add(utf8(&charge)) {
                return Ok(false);
            }
            ln.charge.clear();
            push_amount(&mut ln.charge, utf8(&charge));
            ln.procedure_code.clear();
            push_py_str(
                &mut ln.procedure_code,
                &batches.text(r, lay.procedure_code)?,
            );
            let modifiers = batches.text(r, lay.modifiers)?;
            ln.modifiers.clear();
            let modifiers = utf8(&modifiers);
            if !modifiers.is_empty() {
                ln.modifiers.extend(modifiers.split(':').map(str::to_owned));
            }
            ln.unit_basis.clone_from(&self.defaults.unit_basis);
            ln.units.clear();
            push_amount(&mut ln.units, utf8(&batches.text(r, lay.units)?));
            let Some(date) = parse_date(utf8(&batches.text(r, lay.service_date)?)) else {
                return Ok(false);
            };
            ln.service_date = date;
            ln.service_date_end = None;
            ln.diagnosis_pointers.clear();
            let codes = batches.text(r, lay.diagnoses)?;
            for code in utf8(&codes).split(';').take(POINTERS_PER_LINE) {
                match dx.iter().position(|d| d == code) {
                    Some(i) => ln.diagnosis_pointers.push(i as i64 + 1),
                    None => return Ok(false),
                }
            }
            let id = ln.line_control_number.get_or_insert_with(String::new);
            id.clear();
            push_py_str(id, &batches.text(r, lay.service_id)?);
            let pos = batches.text(r, lay.place_of_service)?;
            let pos = utf8(&pos);
            ln.place_of_service = (pos != first_pos).then(|| pos.to_owned());
            ln.rendering_provider = None;
            ln.pickup = pickup;
            ln.dropoff = dropoff;
        }
        if total.reaches_pow10(MAX_TOTAL_DIGITS) {
            return Ok(false);
        }
        c.claim_id.clear();
        c.claim_id.push_str(claim_id);
        c.frequency.clear();
        c.frequency.push_str(frequency);
        c.payer_claim_number = payer_claim_number.map(str::to_owned);
        c.place_of_service.clear();
        c.place_of_service.push_str(first_pos);
        c.diagnosis_code_qualifier
            .clone_from(&self.defaults.diagnosis_code_qualifier);
        c.diagnoses.clear();
        c.diagnoses.extend(dx.iter().cloned());
        let auth = batches.text(first, lay.prior_auth)?;
        let auth = utf8(&auth);
        c.prior_authorization = (!auth.is_empty()).then(|| auth.to_owned());
        c.total_charge.clear();
        let total_text = total.text();
        push_amount(&mut c.total_charge, &total_text);
        c.pickup = trips.pickup;
        c.dropoff = trips.dropoff;
        c.provider_signature
            .clone_from(&self.defaults.provider_signature);
        c.assignment_participation
            .clone_from(&self.defaults.assignment_participation);
        c.benefits_assignment
            .clone_from(&self.defaults.benefits_assignment);
        c.release_of_information
            .clone_from(&self.defaults.release_of_information);
        c.deviations.clear();
        self.loader.total_text = total_text;
        let cbo = batches.text(first, lay.cbo)?;
        let cbo = utf8(&cbo);
        if !self.cbos.contains_key(cbo) {
            let model = self.cbo_models.get_item(cbo)?;
            let mut rp = RenderingProvider::default();
            load_rendering(&mut rp, &model)?;
            self.cbos.insert(cbo.to_owned(), rp);
        }
        if self.claim.rendering_provider.as_ref() != self.cbos.get(cbo) {
            self.claim.rendering_provider = self.cbos.get(cbo).cloned();
        }
        Ok(true)
    }

    /// A member's Subscriber, from Python, which validates it (None: the models refuse it).
    fn member(&mut self, batches: &Batches<'py>, r: RowRef) -> PyResult<()> {
        let model = self
            .checks
            .call_method1(intern!(self.py, "subscriber"), (batches.row_tuple(r)?,))?;
        self.subscriber_refused = model.is_none();
        if !self.subscriber_refused {
            load_subscriber(&mut self.subscriber, &model)?;
        }
        Ok(())
    }

    /// grouping.py's `_emit`: the claims of one group, written or rejected.
    fn emit(
        &mut self,
        w: &mut Writer837P,
        write: &Bound<'py, PyAny>,
        batches: &Batches<'py>,
        group: &[RowRef],
    ) -> PyResult<()> {
        let py = self.py;
        let first = group[0];
        if self.subscriber_refused {
            for &r in group {
                self.checks
                    .call_method1(intern!(py, "reject_member"), (batches.row_tuple(r)?,))?;
            }
            return Ok(());
        }
        let payer_key = batches.text(first, self.lay.payer)?;
        let cbo_key = batches.text(first, self.lay.cbo)?;
        let replaces = batches.text(first, self.lay.replaces)?;
        let pair = format!("{}\u{0}{}", utf8(&payer_key), utf8(&cbo_key));
        let (frequency, payer_claim_number): (String, Option<String>) =
            if utf8(&replaces).is_empty() {
                ("1".into(), None)
            } else {
                let f = match self.frequencies.get_item(&replaces) {
                    Ok(f) if !f.is_none() => f.str()?.to_str()?.to_owned(),
                    _ => "7".into(),
                };
                let pcn = if f == "1" {
                    None
                } else {
                    match self.payer_claim_numbers.get_item(&replaces) {
                        Ok(p) if !p.is_none() => Some(p.str()?.to_str()?.to_owned()),
                        _ => None,
                    }
                };
                (f, pcn)
            };
        let fast_allowed =
            payer_claim_number.as_deref().is_some_and(|p| !p.is_empty()) || frequency == "1";
        for (chunk, dx) in chunks(batches, group, self.lay.diagnoses, self.max_lines)? {
            let claim_id = format!("{}{:010}", self.prefix, self.next_id);
            self.next_id += 1;
            let trips = self.trips(batches, &chunk)?;
            let fast = match trips {
                Some(trips) if fast_allowed && self.validated_pairs.contains(&pair) => self
                    .fill_claim(
                        batches,
                        &chunk,
                        &dx,
                        &claim_id,
                        &frequency,
                        payer_claim_number.as_deref(),
                        trips,
                    )?,
                _ => false,
            };
            if !fast {
                let rows = chunk
                    .iter()
                    .map(|&r| batches.row_tuple(r))
                    .collect::<PyResult<Vec<_>>>()?;
                let model = self.checks.call_method1(
                    intern!(py, "claim"),
                    (
                        PyList::new(py, rows)?,
                        PyList::new(py, &dx)?,
                        &claim_id,
                        &frequency,
                        payer_claim_number.as_deref(),
                    ),
                )?;
                if model.is_none() {
                    continue; // the models refused it; Python sent its rows to the rejects
                }
                self.loader.load(&model)?;
                self.validated_pairs.insert(pair.clone());
            }
            // recorded before it is written, as the rows of the transaction the file is part of
            if let Some(record) = &self.record {
                self.record_claim(record, w, batches, &chunk, &claim_id, &frequency, &replaces)?;
            }
            if fast {
                let parties = Parties {
                    billing_provider: &self.billing_provider,
                    subscriber: &self.subscriber,
                    patient: None,
                    payer: &self.payer,
                };
                w.claim(&self.claim, &parties)
            } else {
                w.claim(&self.loader.claim, &self.loader.parties())
            }
            .map_err(|r| refusal(py, r))?;
            let total_text = &self.loader.total_text;
            if !self.total.add(total_text) {
                let value = py
                    .import("decimal")?
                    .getattr("Decimal")?
                    .call1((total_text,))?;
                self.other_totals = Some(match self.other_totals.take() {
                    Some(sum) => sum.add(value)?,
                    None => value,
                });
            }
            if w.output().len() >= CHUNK {
                flush(py, w, write)?;
            }
        }
        Ok(())
    }

    /// The rows the ledger keeps for a written claim, as encode's `write_unit` records them.
    #[allow(clippy::too_many_arguments)]
    fn record_claim(
        &self,
        record: &Bound<'py, PyAny>,
        w: &Writer837P,
        batches: &Batches<'py>,
        chunk: &[RowRef],
        claim_id: &str,
        frequency: &str,
        replaces: &Bound<'py, PyString>,
    ) -> PyResult<()> {
        let py = self.py;
        let lay = &self.lay;
        let first = chunk[0];
        let cbo = batches.cell(first, lay.cbo)?;
        let claim_id = PyString::new(py, claim_id);
        let mut lines = Vec::with_capacity(chunk.len());
        let (mut low, mut high): (Option<Bound<'py, PyString>>, Option<Bound<'py, PyString>>) =
            (None, None);
        for (i, &r) in chunk.iter().enumerate() {
            let date = batches.text(r, lay.service_date)?;
            if low.as_ref().is_none_or(|l| utf8(&date) < utf8(l)) {
                low = Some(date.clone());
            }
            if high.as_ref().is_none_or(|h| utf8(&date) > utf8(h)) {
                high = Some(date.clone());
            }
            let auth = batches.cell(r, lay.prior_auth)?;
            let auth = if auth.is_truthy()? {
                auth
            } else {
                py.None().into_bound(py)
            };
            let row = PyTuple::new(
                py,
                [
                    batches.cell(r, lay.service_id)?,
                    claim_id.clone().into_any(),
                    (i + 1).into_pyobject(py)?.into_any(),
                    cbo.clone(),
                    batches.cell(r, lay.procedure_code)?,
                    batches.cell(r, lay.modifiers)?,
                    batches.cell(r, lay.units)?,
                    batches.cell(r, lay.charge)?,
                    date.into_any(),
                    auth,
                ],
            )?;
            lines.push(row);
        }
        let (sender, isa13, gs06, submission) = &self.ledger_fields;
        // the ST the claim goes into: the writer starts one every `max_claims_per_transaction`
        let st02 = format!(
            "{:04}",
            w.claims() / self.max_claims_per_transaction as u64 + 1
        );
        let replaced = if utf8(replaces).is_empty() {
            py.None().into_bound(py)
        } else {
            replaces.clone().into_any()
        };
        let claim_row = PyTuple::new(
            py,
            [
                claim_id.into_any(),
                batches.cell(first, lay.payer)?,
                cbo,
                batches.cell(first, lay.member_id)?,
                sender.clone(),
                isa13.clone(),
                gs06.clone(),
                PyString::new(py, &st02).into_any(),
                PyString::new(py, frequency).into_any(),
                replaced,
                PyString::new(py, &self.loader.total_text).into_any(),
                low.map_or_else(|| py.None().into_bound(py), Bound::into_any),
                high.map_or_else(|| py.None().into_bound(py), Bound::into_any),
                submission.clone(),
            ],
        )?;
        record.call1((claim_row, PyList::new(py, lines)?))?;
        Ok(())
    }
}

/// grouping.py's `_chunks`: at most `max_lines` lines and 12 distinct diagnoses a claim (a line
/// points at its first 4 codes; a line that would carry the claim past 12 starts the next).
fn chunks(
    batches: &Batches<'_>,
    group: &[RowRef],
    column: usize,
    max_lines: usize,
) -> PyResult<Vec<(Vec<RowRef>, Vec<String>)>> {
    let mut out = Vec::new();
    let mut chunk: Vec<RowRef> = Vec::new();
    let mut dx: Vec<String> = Vec::new();
    for &r in group {
        let text = batches.text(r, column)?;
        let codes: Vec<&str> = utf8(&text).split(';').take(POINTERS_PER_LINE).collect();
        let new = codes.iter().filter(|c| !dx.iter().any(|d| d == *c)).count();
        if !chunk.is_empty() && (chunk.len() >= max_lines || dx.len() + new > MAX_DIAGNOSES) {
            out.push((std::mem::take(&mut chunk), std::mem::take(&mut dx)));
        }
        chunk.push(r);
        for c in codes {
            if !dx.iter().any(|d| d == c) {
                dx.push(c.to_owned());
            }
        }
    }
    if !chunk.is_empty() {
        out.push((chunk, dx));
    }
    Ok(out)
}

fn strings(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    obj.try_iter()?
        .map(|v| v?.str()?.to_str().map(str::to_owned))
        .collect()
}

/// Groups and writes one unit's lines after `isa_gs` and closes the interchange; returns what
/// `write_837p` returns. `batches` yields column sequences in the order of `fields`, sorted by
/// the grouping key. `checks` answers `subscriber(row)` (a Subscriber, or a Reject for the
/// member's lines, which `reject_member(row, reject)` sends on), `address(line1, city, state,
/// zip)` (an Address or None) and `claim(rows, diagnoses, claim_id, frequency,
/// payer_claim_number)` (the validated Claim, or None when the models refuse it).
/// `record(claim_row, line_rows)`, when given, is called after each claim is written.
/// `ledger_fields` is (sender, ISA13, GS06, submission) for the claim rows. On a refusal by the
/// writer, the claims before it are written and `X12ValueError` is raised.
#[pyfunction]
#[pyo3(signature = (batches, write, *, fields, isa_gs, interchange_control_number, group_control_number,
                    date, time, transaction_type, max_claims_per_transaction, submitter, receiver,
                    billing_provider, payer, cbos, claim_id_prefix, first_claim_number, max_lines,
                    payer_claim_numbers, frequencies, defaults, checks, record, ledger_fields))]
#[allow(clippy::too_many_arguments)]
pub fn write_837p_lines<'py>(
    py: Python<'py>,
    batches: &Bound<'py, PyAny>,
    write: &Bound<'py, PyAny>,
    fields: &Bound<'py, PyAny>,
    isa_gs: String,
    interchange_control_number: u32,
    group_control_number: u32,
    date: String,
    time: String,
    transaction_type: String,
    max_claims_per_transaction: usize,
    submitter: &Bound<'py, PyAny>,
    receiver: &Bound<'py, PyAny>,
    billing_provider: &Bound<'py, PyAny>,
    payer: &Bound<'py, PyAny>,
    cbos: &Bound<'py, PyAny>,
    claim_id_prefix: String,
    first_claim_number: u64,
    max_lines: usize,
    payer_claim_numbers: &Bound<'py, PyAny>,
    frequencies: &Bound<'py, PyAny>,
    defaults: &Bound<'py, PyDict>,
    checks: &Bound<'py, PyAny>,
    record: Option<Bound<'py, PyAny>>,
    ledger_fields: (
        Bound<'py, PyAny>,
        Bound<'py, PyAny>,
        Bound<'py, PyAny>,
        Bound<'py, PyAny>,
    ),
) -> PyResult<Written<'py>> {
    let lay = Layout::of(&strings(fields)?)?;
    let default = |name: &str| -> PyResult<String> {
        match defaults.get_item(name)? {
            Some(v) => Ok(v.str()?.to_str()?.to_owned()),
            None => Err(PyValueError::new_err(format!("no default for {name}"))),
        }
    };
    let header = Header {
        isa_gs,
        interchange_control_number,
        group_control_number,
        date,
        time,
        transaction_type,
        max_claims_per_transaction,
        submitter: load_submitter(submitter)?,
        receiver: load_receiver(receiver)?,
    };
    let mut bp = BillingProvider::default();
    load_billing_provider(&mut bp, billing_provider)?;
    let mut payer_record = Payer::default();
    load_payer(&mut payer_record, payer)?;
    let mut g = Grouper {
        py,
        checks: checks.clone(),
        record,
        cbo_models: cbos.clone(),
        payer_claim_numbers: payer_claim_numbers.clone(),
        frequencies: frequencies.clone(),
        defaults: Defaults {
            diagnosis_code_qualifier: default("diagnosis_code_qualifier")?,
            provider_signature: default("provider_signature")?,
            assignment_participation: default("assignment_participation")?,
            benefits_assignment: default("benefits_assignment")?,
            release_of_information: default("release_of_information")?,
            unit_basis: default("unit_basis")?,
        },
        prefix: claim_id_prefix,
        next_id: first_claim_number,
        max_lines,
        max_claims_per_transaction,
        ledger_fields,
        billing_provider: bp,
        payer: payer_record,
        subscriber: Subscriber::default(),
        subscriber_refused: false,
        cbos: HashMap::new(),
        validated_pairs: HashSet::new(),
        locations: HashMap::new(),
        claim: Claim::default(),
        loader: Loader::default(),
        total: Total::default(),
        other_totals: None,
        lay,
    };
    let mut w = Writer837P::new(header);
    let mut run = |w: &mut Writer837P| -> PyResult<()> {
        w.start().map_err(|r| refusal(py, r))?;
        let mut held = Batches {
            first: 0,
            held: VecDeque::new(),
        };
        let mut group: Vec<RowRef> = Vec::new();
        let mut key: Vec<String> = vec![String::new(); g.lay.key.len()];
        let mut member: Vec<String> = vec![String::new(); g.lay.member.len()];
        let mut have_member = false;
        for (id, batch) in (0u64..).zip(batches.try_iter()?) {
            let batch = Batch::of(&batch?, g.lay.width)?;
            let rows = batch.rows;
            held.held.push_back(batch);
            for row in 0..rows {
                let r = RowRef { batch: id, row };
                let mut same = !group.is_empty();
                for (slot, &c) in key.iter().zip(&g.lay.key) {
                    if !same {
                        break;
                    }
                    same = utf8(&held.text(r, c)?) == slot.as_str();
                }
                if !same {
                    if !group.is_empty() {
                        g.emit(w, write, &held, &group)?;
                        group.clear();
                        held.release_before(id);
                    }
                    for (slot, &c) in key.iter_mut().zip(&g.lay.key) {
                        slot.clear();
                        push_py_str(slot, &held.text(r, c)?);
                    }
                    let mut same_member = have_member;
                    for (slot, &c) in member.iter().zip(&g.lay.member) {
                        if !same_member {
                            break;
                        }
                        same_member = utf8(&held.text(r, c)?) == slot.as_str();
                    }
                    if !same_member {
                        for (slot, &c) in member.iter_mut().zip(&g.lay.member) {
                            slot.clear();
                            push_py_str(slot, &held.text(r, c)?);
                        }
                        have_member = true;
                        g.member(&held, r)?;
                    }
                }
                group.push(r);
            }
        }
        if !group.is_empty() {
            g.emit(w, write, &held, &group)?;
        }
        w.finish();
        Ok(())
    };
    let outcome = run(&mut w);
    // What came before a failure is checked, as `write_837p` hands it on too.
    flush(py, &mut w, write)?;
    outcome?;
    Ok((
        w.transactions(),
        w.claims(),
        w.lines(),
        w.segments(),
        g.total.text(),
        g.other_totals,
    ))
}
