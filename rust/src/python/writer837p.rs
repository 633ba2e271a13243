//! `sdohedi._core.write_837p`: the 837P renderer fed from pydantic `Claim` models.
//!
//! Fields are read from each model's `__dict__` (one dict lookup each; `getattr` when a field
//! is not there) into records the renderer owns and reuses, so a claim costs no allocation
//! once the first few are written. A party object that is the very object of the previous
//! claim is not read again. Each model has one `load_*` function here: a new field is one
//! line in it.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::writer837p::{
    push_amount, Address, BillingProvider, Claim, Date, Header, Parties, Patient, Payer, Person,
    Receiver, Refusal, RenderingProvider, ServiceLine, Submitter, Subscriber, Writer837P,
};

/// Output is handed to `write` in chunks of about this many bytes.
pub(crate) const CHUNK: usize = 1 << 18;

/// A model's fields: its `__dict__` when it has one, `getattr` otherwise. A model's dict holds
/// its fields in declaration order under interned names, so they are read in that order while
/// the keys match (no hashing); a key out of step, and every field after it, is looked up.
struct Fields<'py> {
    obj: Bound<'py, PyAny>,
    dict: Option<Bound<'py, PyDict>>,
    in_order: Option<pyo3::types::iter::BoundDictIterator<'py>>,
}

impl<'py> Fields<'py> {
    fn of(obj: &Bound<'py, PyAny>) -> Self {
        let dict = obj
            .getattr(intern!(obj.py(), "__dict__"))
            .ok()
            .and_then(|d| d.cast_into::<PyDict>().ok());
        let in_order = dict.as_ref().map(|d| d.iter());
        Fields {
            obj: obj.clone(),
            dict,
            in_order,
        }
    }

    /// Field `name`; called in the model's field order for speed, any order works.
    fn get(&mut self, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        if let Some(items) = &mut self.in_order {
            if let Some((key, value)) = items.next() {
                if key.as_ptr() == name.as_ptr() {
                    return Ok(value);
                }
            }
            self.in_order = None;
        }
        if let Some(d) = &self.dict {
            if let Some(v) = d.get_item(name)? {
                return Ok(v);
            }
        }
        self.obj.getattr(name)
    }
}

/// `v` as text, as an f-string would show it (a str as is, anything else through `str()`).
/// Text Python cannot give as UTF-8 (a lone surrogate) becomes U+FFFD, which the check refuses.
pub(crate) fn set_str(slot: &mut String, v: &Bound<'_, PyAny>) -> PyResult<()> {
    slot.clear();
    match v.cast::<PyString>() {
        Ok(s) => push_py_str(slot, s),
        Err(_) => push_py_str(slot, &v.str()?),
    }
    Ok(())
}

pub(crate) fn push_py_str(slot: &mut String, s: &Bound<'_, PyString>) {
    match s.to_str() {
        Ok(text) => slot.push_str(text),
        Err(_) => slot.push('\u{FFFD}'),
    }
}

fn set_opt(slot: &mut Option<String>, v: &Bound<'_, PyAny>) -> PyResult<()> {
    if v.is_none() {
        *slot = None;
        return Ok(());
    }
    set_str(slot.get_or_insert_with(String::new), v)
}

fn set_strs(slot: &mut Vec<String>, v: &Bound<'_, PyAny>) -> PyResult<()> {
    let mut n = 0;
    for item in v.try_iter()? {
        if n == slot.len() {
            slot.push(String::new());
        }
        set_str(&mut slot[n], &item?)?;
        n += 1;
    }
    slot.truncate(n);
    Ok(())
}

fn date(v: &Bound<'_, PyAny>) -> PyResult<Date> {
    let py = v.py();
    Ok(Date {
        year: v.getattr(intern!(py, "year"))?.extract()?,
        month: v.getattr(intern!(py, "month"))?.extract()?,
        day: v.getattr(intern!(py, "day"))?.extract()?,
    })
}

fn opt_date(v: &Bound<'_, PyAny>) -> PyResult<Option<Date>> {
    if v.is_none() {
        Ok(None)
    } else {
        date(v).map(Some)
    }
}

/// A Decimal as X12 'R' text. A missing amount (a model built without validation) is an error,
/// not the text "None" in the file.
fn set_amount(slot: &mut String, v: &Bound<'_, PyAny>) -> PyResult<()> {
    if v.is_none() {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "an amount (CLM02, SV102 or SV104) is missing",
        ));
    }
    slot.clear();
    let text = v.str()?;
    push_amount(slot, text.to_str()?);
    Ok(())
}

pub(crate) fn load_address(a: &mut Address, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = obj.py();
    let mut f = Fields::of(obj);
    set_str(&mut a.line1, &f.get(intern!(py, "line1"))?)?;
    set_opt(&mut a.line2, &f.get(intern!(py, "line2"))?)?;
    set_str(&mut a.city, &f.get(intern!(py, "city"))?)?;
    set_str(&mut a.state, &f.get(intern!(py, "state"))?)?;
    set_str(&mut a.zip, &f.get(intern!(py, "zip"))?)
}

fn load_opt_address(slot: &mut Option<Address>, v: &Bound<'_, PyAny>) -> PyResult<()> {
    if v.is_none() {
        *slot = None;
        return Ok(());
    }
    load_address(slot.get_or_insert_with(Address::default), v)
}

pub(crate) fn load_billing_provider(
    bp: &mut BillingProvider,
    obj: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let py = obj.py();
    let mut f = Fields::of(obj);
    set_str(&mut bp.entity_type, &f.get(intern!(py, "entity_type"))?)?;
    set_str(&mut bp.name, &f.get(intern!(py, "name"))?)?;
    set_opt(&mut bp.first_name, &f.get(intern!(py, "first_name"))?)?;
    set_opt(&mut bp.npi, &f.get(intern!(py, "npi"))?)?;
    set_str(&mut bp.tax_id, &f.get(intern!(py, "tax_id"))?)?;
    set_str(
        &mut bp.tax_id_qualifier,
        &f.get(intern!(py, "tax_id_qualifier"))?,
    )?;
    set_opt(&mut bp.taxonomy, &f.get(intern!(py, "taxonomy"))?)?;
    load_address(&mut bp.address, &f.get(intern!(py, "address"))?)?;
    set_opt(
        &mut bp.payer_assigned_id,
        &f.get(intern!(py, "payer_assigned_id"))?,
    )?;
    set_str(
        &mut bp.payer_assigned_id_qualifier,
        &f.get(intern!(py, "payer_assigned_id_qualifier"))?,
    )
}

pub(crate) fn load_rendering(rp: &mut RenderingProvider, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = obj.py();
    let mut f = Fields::of(obj);
    set_str(&mut rp.entity_type, &f.get(intern!(py, "entity_type"))?)?;
    set_str(&mut rp.name, &f.get(intern!(py, "name"))?)?;
    set_opt(&mut rp.first_name, &f.get(intern!(py, "first_name"))?)?;
    set_opt(&mut rp.npi, &f.get(intern!(py, "npi"))?)?;
    set_opt(&mut rp.taxonomy, &f.get(intern!(py, "taxonomy"))?)?;
    set_opt(&mut rp.secondary_id, &f.get(intern!(py, "secondary_id"))?)?;
    set_str(
        &mut rp.secondary_id_qualifier,
        &f.get(intern!(py, "secondary_id_qualifier"))?,
    )
}

fn load_person(p: &mut Person, f: &mut Fields<'_>) -> PyResult<()> {
    let py = f.obj.py();
    set_str(&mut p.last_name, &f.get(intern!(py, "last_name"))?)?;
    set_opt(&mut p.first_name, &f.get(intern!(py, "first_name"))?)?;
    p.birth_date = opt_date(&f.get(intern!(py, "birth_date"))?)?;
    set_opt(&mut p.sex, &f.get(intern!(py, "sex"))?)?;
    load_opt_address(&mut p.address, &f.get(intern!(py, "address"))?)
}

pub(crate) fn load_subscriber(s: &mut Subscriber, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = obj.py();
    let mut f = Fields::of(obj);
    load_person(&mut s.person, &mut f)?;
    set_str(&mut s.member_id, &f.get(intern!(py, "member_id"))?)?;
    set_str(
        &mut s.payer_responsibility,
        &f.get(intern!(py, "payer_responsibility"))?,
    )
}

fn load_patient(p: &mut Patient, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = obj.py();
    let mut f = Fields::of(obj);
    load_person(&mut p.person, &mut f)?;
    set_str(&mut p.relationship, &f.get(intern!(py, "relationship"))?)
}

pub(crate) fn load_payer(p: &mut Payer, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = obj.py();
    let mut f = Fields::of(obj);
    set_str(&mut p.name, &f.get(intern!(py, "name"))?)?;
    set_str(&mut p.payer_id, &f.get(intern!(py, "payer_id"))?)?;
    set_str(
        &mut p.payer_id_qualifier,
        &f.get(intern!(py, "payer_id_qualifier"))?,
    )?;
    set_str(
        &mut p.claim_filing_indicator,
        &f.get(intern!(py, "claim_filing_indicator"))?,
    )
}

pub(crate) fn load_submitter(obj: &Bound<'_, PyAny>) -> PyResult<Submitter> {
    let py = obj.py();
    let mut f = Fields::of(obj);
    let mut s = Submitter::default();
    set_str(&mut s.name, &f.get(intern!(py, "name"))?)?;
    set_str(&mut s.id, &f.get(intern!(py, "id"))?)?;
    set_opt(&mut s.contact_name, &f.get(intern!(py, "contact_name"))?)?;
    set_opt(&mut s.phone, &f.get(intern!(py, "phone"))?)?;
    set_opt(&mut s.email, &f.get(intern!(py, "email"))?)?;
    Ok(s)
}

pub(crate) fn load_receiver(obj: &Bound<'_, PyAny>) -> PyResult<Receiver> {
    let py = obj.py();
    let mut f = Fields::of(obj);
    let mut r = Receiver::default();
    set_str(&mut r.name, &f.get(intern!(py, "name"))?)?;
    set_str(&mut r.id, &f.get(intern!(py, "id"))?)?;
    Ok(r)
}

/// One model-valued field and the object it was last read from: the very same object again
/// (held here, so its address cannot be reused) is not read again.
struct Cached<T> {
    obj: Option<Py<PyAny>>,
    value: T,
}

impl<T: Default> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            obj: None,
            value: T::default(),
        }
    }
}

impl<T> Cached<T> {
    fn load<'py>(
        &mut self,
        obj: &Bound<'py, PyAny>,
        load: impl FnOnce(&mut T, &Bound<'py, PyAny>) -> PyResult<()>,
    ) -> PyResult<()> {
        if matches!(&self.obj, Some(last) if obj.is(last)) {
            return Ok(());
        }
        self.obj = None; // a failed read leaves nothing to trust
        load(&mut self.value, obj)?;
        self.obj = Some(obj.clone().unbind());
        Ok(())
    }
}

/// An optional model-valued field, cached like `Cached`; `present` says whether it is there.
#[derive(Default)]
struct CachedOpt<T> {
    inner: Cached<T>,
    present: bool,
}

impl<T: Default> CachedOpt<T> {
    fn load<'py>(
        &mut self,
        obj: &Bound<'py, PyAny>,
        load: impl FnOnce(&mut T, &Bound<'py, PyAny>) -> PyResult<()>,
    ) -> PyResult<()> {
        self.present = !obj.is_none();
        if self.present {
            self.inner.load(obj, load)?;
        }
        Ok(())
    }

    fn get(&self) -> Option<&T> {
        self.present.then_some(&self.inner.value)
    }
}

/// CLM02 totals summed exactly as decimals (coefficient and digits after the point); what is
/// not plain decimal text (an exponent, NaN) is summed by Python's Decimal instead.
#[derive(Default)]
pub(crate) struct Total {
    coefficient: i128,
    scale: u32,
}

impl Total {
    pub(crate) fn add(&mut self, text: &str) -> bool {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
        if int_part.is_empty()
            || !int_part
                .bytes()
                .chain(frac_part.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return false;
        }
        let scale = frac_part.len() as u32;
        let mut value: i128 = 0;
        for b in int_part.bytes().chain(frac_part.bytes()) {
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i128::from(b - b'0')))
            {
                Some(v) => value = v,
                None => return false,
            }
        }
        if negative {
            value = -value;
        }
        let target = self.scale.max(scale);
        let rescale = |v: i128, from: u32| {
            10i128
                .checked_pow(target - from)
                .and_then(|m| v.checked_mul(m))
        };
        match (rescale(self.coefficient, self.scale), rescale(value, scale)) {
            (Some(a), Some(b)) => match a.checked_add(b) {
                Some(sum) => {
                    self.coefficient = sum;
                    self.scale = target;
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    /// Whether the sum is at least 10^`digits` (a Money limit); true when that cannot be told.
    pub(crate) fn reaches_pow10(&self, digits: u32) -> bool {
        match 10i128.checked_pow(digits + self.scale) {
            Some(limit) => self.coefficient >= limit,
            None => true,
        }
    }

    pub(crate) fn text(&self) -> String {
        let digits = self.coefficient.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let digits = format!("{digits:0>width$}", width = scale + 1);
        let (int_part, frac_part) = digits.split_at(digits.len() - scale);
        let sign = if self.coefficient < 0 { "-" } else { "" };
        if scale == 0 {
            format!("{sign}{int_part}")
        } else {
            format!("{sign}{int_part}.{frac_part}")
        }
    }
}

/// The records of the claim being written, reused from claim to claim.
#[derive(Default)]
pub(crate) struct Loader {
    pub(crate) claim: Claim,
    billing_provider: Cached<BillingProvider>,
    subscriber: Cached<Subscriber>,
    patient: CachedOpt<Patient>,
    payer: Cached<Payer>,
    rendering: Option<Py<PyAny>>,
    line_rendering: Vec<Option<Py<PyAny>>>,
    pub(crate) total_text: String,
}

/// A rendering provider slot: not read again when it is the object read into it last time.
fn load_rendering_slot(
    slot: &mut Option<RenderingProvider>,
    last: &mut Option<Py<PyAny>>,
    v: &Bound<'_, PyAny>,
) -> PyResult<()> {
    if v.is_none() {
        *slot = None;
        *last = None;
        return Ok(());
    }
    if slot.is_some() && matches!(last, Some(obj) if v.is(&*obj)) {
        return Ok(());
    }
    *last = None;
    load_rendering(slot.get_or_insert_with(RenderingProvider::default), v)?;
    *last = Some(v.clone().unbind());
    Ok(())
}

fn load_line(
    ln: &mut ServiceLine,
    last_rendering: &mut Option<Py<PyAny>>,
    obj: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let py = obj.py();
    let mut f = Fields::of(obj);
    set_str(
        &mut ln.procedure_code,
        &f.get(intern!(py, "procedure_code"))?,
    )?;
    set_strs(&mut ln.modifiers, &f.get(intern!(py, "modifiers"))?)?;
    set_amount(&mut ln.charge, &f.get(intern!(py, "charge"))?)?;
    set_str(&mut ln.unit_basis, &f.get(intern!(py, "unit_basis"))?)?;
    set_amount(&mut ln.units, &f.get(intern!(py, "units"))?)?;
    ln.service_date = date(&f.get(intern!(py, "service_date"))?)?;
    ln.service_date_end = opt_date(&f.get(intern!(py, "service_date_end"))?)?;
    ln.diagnosis_pointers.clear();
    for p in f.get(intern!(py, "diagnosis_pointers"))?.try_iter()? {
        ln.diagnosis_pointers.push(p?.extract()?);
    }
    set_opt(
        &mut ln.line_control_number,
        &f.get(intern!(py, "line_control_number"))?,
    )?;
    set_opt(
        &mut ln.place_of_service,
        &f.get(intern!(py, "place_of_service"))?,
    )?;
    load_rendering_slot(
        &mut ln.rendering_provider,
        last_rendering,
        &f.get(intern!(py, "rendering_provider"))?,
    )?;
    load_opt_address(&mut ln.pickup, &f.get(intern!(py, "pickup"))?)?;
    load_opt_address(&mut ln.dropoff, &f.get(intern!(py, "dropoff"))?)
}

impl Loader {
    pub(crate) fn load(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = obj.py();
        let mut f = Fields::of(obj);
        let c = &mut self.claim;
        set_str(&mut c.claim_id, &f.get(intern!(py, "claim_id"))?)?;
        set_str(&mut c.frequency, &f.get(intern!(py, "frequency"))?)?;
        set_opt(
            &mut c.payer_claim_number,
            &f.get(intern!(py, "payer_claim_number"))?,
        )?;
        set_str(
            &mut c.place_of_service,
            &f.get(intern!(py, "place_of_service"))?,
        )?;
        set_str(
            &mut c.diagnosis_code_qualifier,
            &f.get(intern!(py, "diagnosis_code_qualifier"))?,
        )?;
        set_strs(&mut c.diagnoses, &f.get(intern!(py, "diagnoses"))?)?;
        set_opt(
            &mut c.prior_authorization,
            &f.get(intern!(py, "prior_authorization"))?,
        )?;
        let total = f.get(intern!(py, "total_charge"))?;
        set_amount(&mut c.total_charge, &total)?;
        self.total_text.clear(); // as Python writes it: the sum keeps its digits after the point
        push_py_str(&mut self.total_text, &total.str()?);
        let mut n = 0;
        for ln in f.get(intern!(py, "lines"))?.try_iter()? {
            if n == c.lines.len() {
                c.lines.push(ServiceLine::default());
                self.line_rendering.push(None);
            }
            load_line(&mut c.lines[n], &mut self.line_rendering[n], &ln?)?;
            n += 1;
        }
        c.lines.truncate(n);
        self.billing_provider.load(
            &f.get(intern!(py, "billing_provider"))?,
            load_billing_provider,
        )?;
        self.subscriber
            .load(&f.get(intern!(py, "subscriber"))?, load_subscriber)?;
        self.patient
            .load(&f.get(intern!(py, "patient"))?, load_patient)?;
        self.payer.load(&f.get(intern!(py, "payer"))?, load_payer)?;
        load_rendering_slot(
            &mut c.rendering_provider,
            &mut self.rendering,
            &f.get(intern!(py, "rendering_provider"))?,
        )?;
        load_opt_address(&mut c.pickup, &f.get(intern!(py, "pickup"))?)?;
        load_opt_address(&mut c.dropoff, &f.get(intern!(py, "dropoff"))?)?;
        set_str(
            &mut c.provider_signature,
            &f.get(intern!(py, "provider_signature"))?,
        )?;
        set_str(
            &mut c.assignment_participation,
            &f.get(intern!(py, "assignment_participation"))?,
        )?;
        set_str(
            &mut c.benefits_assignment,
            &f.get(intern!(py, "benefits_assignment"))?,
        )?;
        set_str(
            &mut c.release_of_information,
            &f.get(intern!(py, "release_of_information"))?,
        )?;
        set_strs(&mut c.deviations, &f.get(intern!(py, "deviations"))?)
    }

    pub(crate) fn parties(&self) -> Parties<'_> {
        Parties {
            billing_provider: &self.billing_provider.value,
            subscriber: &self.subscriber.value,
            patient: self.patient.get(),
            payer: &self.payer.value,
        }
    }
}

pub(crate) fn refusal(py: Python<'_>, r: Refusal) -> PyErr {
    let raised = (|| -> PyResult<PyErr> {
        let cls = py.import("sdohedi.x12.errors")?.getattr("X12ValueError")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("rule", r.rule)?;
        kwargs.set_item("segment", r.segment)?;
        Ok(PyErr::from_value(cls.call((r.message,), Some(&kwargs))?))
    })();
    raised.unwrap_or_else(|err| err)
}

/// Hands what the writer has checked to `write`.
pub(crate) fn flush(py: Python<'_>, w: &mut Writer837P, write: &Bound<'_, PyAny>) -> PyResult<()> {
    if !w.output().is_empty() {
        write.call1((PyString::new(py, w.output()),))?;
        w.clear_output();
    }
    Ok(())
}

/// (transaction sets, claims, lines, segments, CLM02 sum as text, Python sum of the rest).
pub(crate) type Written<'py> = (u32, u64, u64, u64, String, Option<Bound<'py, PyAny>>);

/// Writes `claims` after `isa_gs` (the ISA and GS segments) and closes the interchange.
/// Returns (transaction sets, claims, lines, segments, sum of CLM02 as decimal text, the
/// Python sum of the totals that are not plain decimal text, or None). On a refusal, the
/// claims before it are written and `X12ValueError` is raised.
#[pyfunction]
#[pyo3(signature = (claims, write, *, isa_gs, interchange_control_number, group_control_number,
                    date, time, transaction_type, max_claims_per_transaction, submitter, receiver))]
#[allow(clippy::too_many_arguments)]
pub fn write_837p<'py>(
    py: Python<'py>,
    claims: &Bound<'py, PyAny>,
    write: &Bound<'py, PyAny>,
    isa_gs: String,
    interchange_control_number: u32,
    group_control_number: u32,
    date: String,
    time: String,
    transaction_type: String,
    max_claims_per_transaction: usize,
    submitter: &Bound<'py, PyAny>,
    receiver: &Bound<'py, PyAny>,
) -> PyResult<Written<'py>> {
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
    let mut w = Writer837P::new(header);
    let mut loader = Loader::default();
    let mut total = Total::default();
    let mut other_totals: Option<Bound<'py, PyAny>> = None;
    let mut run = |w: &mut Writer837P| -> PyResult<()> {
        w.start().map_err(|r| refusal(py, r))?;
        for item in claims.try_iter()? {
            let item = item?;
            loader.load(&item)?;
            w.claim(&loader.claim, &loader.parties())
                .map_err(|r| refusal(py, r))?;
            if !total.add(&loader.total_text) {
                let value = Fields::of(&item).get(intern!(py, "total_charge"))?; // out of order: looked up
                other_totals = Some(match other_totals.take() {
                    Some(sum) => sum.add(value)?,
                    None => value,
                });
            }
            if w.output().len() >= CHUNK {
                flush(py, w, write)?;
            }
        }
        w.finish();
        Ok(())
    };
    let outcome = run(&mut w);
    // What came before a failure is checked and was written by the Python writer too.
    flush(py, &mut w, write)?;
    outcome?;
    Ok((
        w.transactions(),
        w.claims(),
        w.lines(),
        w.segments(),
        total.text(),
        other_totals,
    ))
}
