//! The 835 balancing rules (005010X221A1 TR3), checked while the tables are built and by the
//! validator (`content835`):
//!
//! * a service line: SVC02 (charge) - its CAS amounts = SVC03 (paid), rule `svc-balance`;
//! * a claim: CLP03 - claim-level and line-level CAS amounts = CLP04, rule `clp-balance`;
//! * the transaction: BPR02 = the CLP04s - the PLB amounts (BPR03 D: BPR02 is taken back),
//!   rule `bpr-balance`, checked at its SE;
//! * CAS01 is CO, OA, PI or PR (5010 dropped CR), rule `cas-group`.
//!
//! An amount that did not read makes its rule a finding that says which one. Messages are the
//! ones `sdohedi.remit835.balance` gives for the pydantic models (a differential test holds the
//! two to the same findings); amounts are read as the tables read them ([`Amount::cents`]).

use crate::amount::Amount;

/// A balancing finding: always an error.
#[derive(Debug, PartialEq, Eq)]
pub struct BalanceFinding {
    pub rule: &'static str,
    pub message: String,
    pub position: u64,
    pub segment: &'static str,
    pub element: u8,
}

#[derive(Default)]
struct Sums {
    position: u64,
    charge: Option<Amount>,
    paid: Option<Amount>,
    adjusted: Amount,
    unknown_adjustment: bool,
}

impl Sums {
    fn adjust(&mut self, amount: Option<Amount>) {
        match amount {
            Some(a) => self.adjusted = self.adjusted + a,
            None => self.unknown_adjustment = true,
        }
    }
}

/// The running sums of the open line, claim and transaction.
#[derive(Default)]
pub struct Balance {
    line: Option<Sums>,
    claim: Option<Sums>,
    bpr_position: Option<u64>,
    total: Option<Amount>,
    debit: bool,
    claims_paid: Amount,
    claims_paid_unknown: u32,
    plb_total: Amount,
    plb_unknown: bool,
    /// Findings made and not yet taken.
    pub found: Vec<BalanceFinding>,
}

impl Balance {
    /// ST: a new transaction.
    pub fn transaction(&mut self) {
        let found = std::mem::take(&mut self.found);
        *self = Balance {
            found,
            ..Balance::default()
        };
    }

    pub fn bpr(&mut self, position: u64, total: &[u8], credit_debit: &[u8]) {
        self.bpr_position = Some(position);
        self.total = Amount::cents(total);
        self.debit = credit_debit == b"D";
    }

    pub fn claim(&mut self, position: u64, charge: &[u8], paid: &[u8]) {
        self.close_claim();
        self.claim = Some(Sums {
            position,
            charge: Amount::cents(charge),
            paid: Amount::cents(paid),
            ..Sums::default()
        });
    }

    pub fn line(&mut self, position: u64, charge: &[u8], paid: &[u8]) {
        self.close_line();
        if self.claim.is_none() {
            return;
        }
        self.line = Some(Sums {
            position,
            charge: Amount::cents(charge),
            paid: Amount::cents(paid),
            ..Sums::default()
        });
    }

    /// Is a service line open?
    pub fn in_line(&self) -> bool {
        self.line.is_some()
    }

    /// One CAS triple of the open line (`line_level`) or claim.
    pub fn adjustment(&mut self, position: u64, group: &[u8], amount: &[u8], line_level: bool) {
        if !group.is_empty() && !matches!(group, b"CO" | b"OA" | b"PI" | b"PR") {
            let shown = String::from_utf8_lossy(&group[..group.len().min(2)]).into_owned();
            self.found.push(BalanceFinding {
                rule: "cas-group",
                message: format!(
                    "CAS group {shown} is not one of CO, OA, PI, PR (CR was dropped in 5010)"
                ),
                position,
                segment: "CAS",
                element: 1,
            });
        }
        let amount = Amount::cents(amount);
        let sums = if line_level {
            self.line.as_mut()
        } else {
            self.claim.as_mut()
        };
        if let Some(s) = sums {
            s.adjust(amount);
        }
    }

    /// One PLB pair's amount.
    pub fn provider_adjustment(&mut self, amount: &[u8]) {
        match Amount::cents(amount) {
            Some(a) => self.plb_total = self.plb_total + a,
            None => self.plb_unknown = true,
        }
    }

    pub fn close_line(&mut self) {
        let Some(line) = self.line.take() else { return };
        if let Some(claim) = self.claim.as_mut() {
            claim.adjusted = claim.adjusted + line.adjusted;
            claim.unknown_adjustment |= line.unknown_adjustment;
        }
        let finding = check(&line, ("SVC02", "SVC03"), "service line", "SVC", 3);
        self.found.extend(finding);
    }

    pub fn close_claim(&mut self) {
        self.close_line();
        let Some(claim) = self.claim.take() else {
            return;
        };
        match claim.paid {
            Some(p) => self.claims_paid = self.claims_paid + p,
            None => self.claims_paid_unknown += 1,
        }
        let finding = check(&claim, ("CLP03", "CLP04"), "claim", "CLP", 4);
        self.found.extend(finding);
    }

    /// SE: the transaction rule.
    pub fn end(&mut self) {
        self.close_claim();
        let Some(position) = self.bpr_position else {
            return;
        };
        let mut names = Vec::new();
        if self.total.is_none() {
            names.push("BPR02".to_string());
        }
        if self.claims_paid_unknown > 0 {
            let n = self.claims_paid_unknown;
            names.push(format!(
                "CLP04 of {n} claim{}",
                if n > 1 { "s" } else { "" }
            ));
        }
        if self.plb_unknown {
            names.push("a PLB amount".to_string());
        }
        let message = match self.total {
            Some(total) if names.is_empty() => {
                let expected = self.claims_paid - self.plb_total;
                let actual = if self.debit { -total } else { total };
                if expected.same(actual) {
                    return;
                }
                format!(
                    "payment does not balance: claims paid {} - provider adjustments {} = {expected}, but BPR02 is {total}{}",
                    self.claims_paid,
                    self.plb_total,
                    if self.debit { " (debit)" } else { "" }
                )
            }
            _ => format!(
                "payment balance cannot be checked: {} unreadable",
                names.join(" and ")
            ),
        };
        self.found.push(BalanceFinding {
            rule: "bpr-balance",
            message,
            position,
            segment: "BPR",
            element: 2,
        });
    }
}

fn check(
    sums: &Sums,
    (charge_name, paid_name): (&str, &str),
    what: &str,
    segment: &'static str,
    element: u8,
) -> Option<BalanceFinding> {
    let rule = if segment == "SVC" {
        "svc-balance"
    } else {
        "clp-balance"
    };
    let message = match (sums.charge, sums.paid) {
        (Some(charge), Some(paid)) if !sums.unknown_adjustment => {
            let rest = charge - sums.adjusted;
            if rest.same(paid) {
                return None;
            }
            format!(
                "{what} does not balance: charge {charge} - adjustments {} = {rest}, but paid ({paid_name}) is {paid}",
                sums.adjusted
            )
        }
        (charge, paid) => {
            let mut names: Vec<&str> = Vec::new();
            if charge.is_none() {
                names.push(charge_name);
            }
            if paid.is_none() {
                names.push(paid_name);
            }
            if sums.unknown_adjustment {
                names.push("a CAS amount");
            }
            let unknown = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} and {last} are", rest.join(", "))
                }
                _ => format!("{} is", names[0]),
            };
            format!("{what} balance cannot be checked: {unknown} unreadable")
        }
    };
    Some(BalanceFinding {
        rule,
        message,
        position: sums.position,
        segment,
        element,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_that_does_not_balance() {
        let mut b = Balance::default();
        b.transaction();
        b.bpr(3, b"90", b"C");
        b.claim(10, b"100", b"80");
        b.line(12, b"100", b"70");
        b.adjustment(13, b"CO", b"20", true);
        b.end();
        let rules: Vec<&str> = b.found.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["svc-balance", "bpr-balance"]);
        assert_eq!(
            b.found[0].message,
            "service line does not balance: charge 100 - adjustments 20 = 80, but paid (SVC03) is 70"
        );
        // The claim balances (100 - 20 = 80); BPR02 90 is not the 80 its claims paid.
        assert_eq!(
            b.found[1].message,
            "payment does not balance: claims paid 80 - provider adjustments 0 = 80, but BPR02 is 90"
        );
        let mut b = Balance::default();
        b.bpr(3, b"", b"C");
        b.claim(10, b"x", b"");
        b.adjustment(11, b"CR", b"", false);
        b.end();
        let found: Vec<(&str, &str)> = b
            .found
            .iter()
            .map(|f| (f.rule, f.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "cas-group",
                    "CAS group CR is not one of CO, OA, PI, PR (CR was dropped in 5010)"
                ),
                (
                    "clp-balance",
                    "claim balance cannot be checked: CLP03, CLP04 and a CAS amount are unreadable"
                ),
                (
                    "bpr-balance",
                    "payment balance cannot be checked: BPR02 and CLP04 of 1 claim unreadable"
                ),
            ]
        );
    }
}
