//! The validator's content checks (SNIP 3 balancing, SNIP 5 code sets), per transaction set:
//! fed every segment of the set with the TR3 loop the walker placed it in, they report what
//! the guide's tables cannot express. Memory is bounded by one claim.

use std::sync::Arc;

use crate::codes::CodeSet;
use crate::content835::RemitChecks;
use crate::content837p::ClaimChecks;
use crate::validator::Finding;

/// One segment as the content checks see it.
pub struct Seg<'a> {
    pub pos: u64,
    /// Position within the transaction set (ST is 1).
    pub tx_pos: u64,
    pub loop_id: Option<&'static str>,
    /// The segment id, then its elements.
    pub els: &'a [&'a [u8]],
    pub comp: u8,
}

impl<'a> Seg<'a> {
    pub fn id(&self) -> &'a [u8] {
        self.els[0]
    }

    /// Element `i` (1-based, as in NM109), empty when absent.
    pub fn el(&self, i: usize) -> &'a [u8] {
        self.els.get(i).copied().unwrap_or(b"")
    }
}

/// Where a segment was: kept by checks that report after the segment has gone by.
#[derive(Clone, Copy)]
pub struct Spot {
    pub pos: u64,
    pub tx_pos: u64,
    pub loop_id: Option<&'static str>,
}

impl Spot {
    pub fn of(seg: &Seg<'_>) -> Spot {
        Spot {
            pos: seg.pos,
            tx_pos: seg.tx_pos,
            loop_id: seg.loop_id,
        }
    }

    /// A finding at the segment `segment` that was here.
    #[allow(clippy::too_many_arguments)]
    pub fn finding(
        self,
        segment: &[u8],
        rule: &'static str,
        message: String,
        element: Option<u32>,
        component: Option<u32>,
        value: Option<&[u8]>,
        data_element: Option<&'static str>,
    ) -> Finding {
        Finding {
            rule,
            message,
            position: Some(self.pos),
            tx_position: Some(self.tx_pos),
            segment: Some(segment.to_vec()),
            loop_id: self.loop_id.map(str::to_owned),
            element,
            component,
            value: value.map(<[u8]>::to_vec),
            data_element,
        }
    }
}

/// The implementation conventions (GS08) that have content checks.
pub const PROFESSIONAL_CLAIM: &[u8] = b"005010X222A1";
pub const REMITTANCE: &[u8] = b"005010X221A1";

pub enum Checks {
    Claim(Box<ClaimChecks>),
    Remit(Box<RemitChecks>),
}

impl Checks {
    /// The checks of a transaction set of `gs08`, if it has any.
    pub fn of(gs08: &[u8], codes: &Arc<CodeSet>) -> Option<Checks> {
        match gs08 {
            PROFESSIONAL_CLAIM => Some(Checks::Claim(Box::new(ClaimChecks::new(codes.clone())))),
            REMITTANCE => Some(Checks::Remit(Box::new(RemitChecks::new()))),
            _ => None,
        }
    }

    pub fn segment(&mut self, seg: &Seg<'_>, out: &mut Vec<Finding>) {
        match self {
            Checks::Claim(c) => c.segment(seg, out),
            Checks::Remit(c) => c.segment(seg, out),
        }
    }

    /// The set's end; `base` is the position of the segment before its ST.
    pub fn end(&mut self, base: u64, out: &mut Vec<Finding>) {
        match self {
            Checks::Claim(c) => c.end(out),
            Checks::Remit(c) => c.end(base, out),
        }
    }
}
