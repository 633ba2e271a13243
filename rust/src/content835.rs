//! The validator's content checks of an 835 (005010X221A1): the balancing rules of
//! [`crate::balance835`], the same ones the 835 tables check, and NPIs (NM1 or N1 with
//! qualifier XX).

use crate::balance835::Balance;
use crate::codes::npi_problem;
use crate::content::{Seg, Spot};
use crate::validator::Finding;

#[derive(Default)]
pub struct RemitChecks {
    balance: Balance,
    /// TR3 loops of the BPR, the open claim and the open line (their findings come later).
    bpr_loop: Option<&'static str>,
    claim_loop: Option<&'static str>,
    line_loop: Option<&'static str>,
}

impl RemitChecks {
    pub fn new() -> Self {
        let mut checks = RemitChecks::default();
        checks.balance.transaction();
        checks
    }

    pub fn segment(&mut self, seg: &Seg<'_>, out: &mut Vec<Finding>) {
        let b = &mut self.balance;
        match seg.id() {
            b"BPR" => b.bpr(seg.pos, seg.el(2), seg.el(3)),
            b"CLP" => b.claim(seg.pos, seg.el(3), seg.el(4)),
            b"SVC" => b.line(seg.pos, seg.el(2), seg.el(3)),
            b"LX" => b.close_claim(),
            b"CAS" => {
                // A CAS the guide could not place goes to the line when one is open.
                let line_level = match seg.loop_id {
                    Some(l) => l == "2110",
                    None => b.in_line(),
                };
                for triple in 0..6 {
                    let at = 2 + 3 * triple;
                    let (reason, amount, quantity) = (seg.el(at), seg.el(at + 1), seg.el(at + 2));
                    if reason.is_empty() && amount.is_empty() && quantity.is_empty() {
                        continue;
                    }
                    b.adjustment(seg.pos, seg.el(1), amount, line_level);
                }
            }
            b"PLB" => {
                b.close_claim();
                for pair in 0..6 {
                    let at = 3 + 2 * pair;
                    if seg.el(at).is_empty() && seg.el(at + 1).is_empty() {
                        continue;
                    }
                    b.provider_adjustment(seg.el(at + 1));
                }
            }
            b"NM1" => npi(seg, 8, out),
            b"N1" => npi(seg, 3, out),
            _ => {}
        }
        self.drain(seg, out);
        match seg.id() {
            b"BPR" => self.bpr_loop = seg.loop_id,
            b"CLP" => self.claim_loop = seg.loop_id,
            b"SVC" => self.line_loop = seg.loop_id,
            _ => {}
        }
    }

    /// The transaction set's end (its SE, or the end of the stream).
    pub fn end(&mut self, base: u64, out: &mut Vec<Finding>) {
        self.balance.end();
        for f in std::mem::take(&mut self.balance.found) {
            let loop_id = self.loop_of(f.segment, None);
            out.push(balance_finding(f, base, loop_id));
        }
    }

    fn loop_of(&self, segment: &str, current: Option<&'static str>) -> Option<&'static str> {
        match segment {
            "BPR" => self.bpr_loop,
            "CLP" => self.claim_loop,
            "SVC" => self.line_loop,
            _ => current,
        }
    }

    fn drain(&mut self, seg: &Seg<'_>, out: &mut Vec<Finding>) {
        for f in std::mem::take(&mut self.balance.found) {
            let loop_id = self.loop_of(f.segment, seg.loop_id);
            out.push(balance_finding(f, seg.pos - seg.tx_pos, loop_id));
        }
    }
}

fn balance_finding(
    f: crate::balance835::BalanceFinding,
    base: u64,
    loop_id: Option<&'static str>,
) -> Finding {
    let data_element = if f.rule == "cas-group" { "1033" } else { "782" };
    let spot = Spot {
        pos: f.position,
        tx_pos: f.position - base,
        loop_id,
    };
    spot.finding(
        f.segment.as_bytes(),
        f.rule,
        f.message,
        Some(u32::from(f.element)),
        None,
        None,
        Some(data_element),
    )
}

/// NM108/N103 = XX: the id that follows is an NPI.
pub fn npi(seg: &Seg<'_>, qualifier: usize, out: &mut Vec<Finding>) {
    if seg.el(qualifier) != b"XX" || seg.els.len() <= qualifier + 1 {
        return;
    }
    if let Some(problem) = npi_problem(seg.el(qualifier + 1)) {
        let id = std::str::from_utf8(seg.id()).unwrap_or("NM1");
        let element = qualifier as u32 + 1;
        let message = format!("{id}{element:02} (NPI): {problem}");
        out.push(Spot::of(seg).finding(
            seg.id(),
            "npi-check-digit",
            message,
            Some(element),
            None,
            None,
            Some("67"),
        ));
    }
}
