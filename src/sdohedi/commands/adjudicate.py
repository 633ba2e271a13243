"""``sdohedi adjudicate``: a payer simulator. Reads an 837P, answers with a 999 for its
functional group(s) and an 835 paying its claims by the rules in PAYER.toml."""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter, defaultdict

import click


@click.command("adjudicate")
@click.argument("claims_file", type=click.Path(dir_okay=False, exists=True))
@click.option("--rules", "rules_path", required=True, type=click.Path(dir_okay=False),
              help="Payer rules (TOML): fee schedule, prior-auth codes, unit limits, copays.")
@click.option("--out-835", "out_835", required=True, type=click.Path(dir_okay=False))
@click.option("--out-999", "out_999", required=True, type=click.Path(dir_okay=False))
@click.option("--control-number", default=1, show_default=True, type=click.IntRange(1, 99_999_999),
              help="ISA13/GS06 of the 835 (the 999 uses the same number).")
@click.option("--payment-date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="BPR16 (default: today).")
@click.option("--prior-835", "prior_835", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="An 835 this payer sent before (repeatable): a replacement or void claim whose REF*F8 names "
                   "one of its CLP07 gets that claim's reversal (CLP02 22).")
def command(claims_file, rules_path, out_835, out_999, control_number, payment_date, prior_835):
    """Adjudicate CLAIMS_FILE (837P) against --rules; write a 999 and a balanced 835.

    Claims in transaction sets the 999 rejects are not adjudicated; when no claim is left, no 835
    is written (an 835 holds at least one transaction set) and the 999 gives the answer.
    Exit status: 0 done; 1 the 999 rejects something, some claims could not be read, or no 835
    was written; 2 nothing could be read.
    """
    from ..ack999 import write_999
    from ..adjudicate import adjudicate, load_rules
    from ..claims837p.reader import Reader837P
    from ..models.config import ConfigError
    from ..pipeline.files import atomic_text_file
    from ..remit835 import parse_835_file, write_835
    from ..validate import Validator
    from ..x12 import X12Error, read_chunks

    try:
        rules = load_rules(rules_path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    prior = {}
    try:
        for path in prior_835:
            for remittance in parse_835_file(path):
                for c in remittance.claims:
                    if c.payer_claim_number and c.status_code != "22":
                        prior[c.payer_claim_number] = c
    except X12Error as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    validator = Validator(keep_results=True)
    try:
        with open(claims_file, "rb") as f:
            for chunk in read_chunks(f):
                validator.feed(chunk)
        validator.close()
    except OSError as exc:
        click.echo(f"error: {claims_file}: {exc.strerror}", err=True)
        sys.exit(2)
    rejected: set[tuple[str, str]] = set()  # (GS06, ST02) of rejected transaction sets
    for ic in validator.results:
        for g in ic.groups:
            for t in g.transactions:
                if not t.accepted:  # the 999 says R for it
                    rejected.add((g.gs06, t.st02))
    stamp = dt.datetime.combine(payment_date.date() if payment_date else dt.date.today(), dt.time(12, 0))
    with atomic_text_file(out_999, newline="") as f:
        write_999(validator.results, f.write, interchange_control_number=control_number,
                  group_control_number=control_number, timestamp=stamp)

    reader = Reader837P(lenient=True)
    by_payee: dict[tuple, list] = defaultdict(list)
    receiver = None
    usage = "P"
    problems = len(rejected)
    try:
        with open(claims_file, "rb") as f:
            pairs = []
            for chunk in read_chunks(f):
                pairs += reader.feed_with_headers(chunk)
                for header, claim in pairs:
                    receiver = receiver or header.sender_id
                    usage = header.usage if header.usage in ("P", "T") else "P"
                    if (header.group_control_number, header.transaction_control_number) in rejected:
                        continue
                    bp = claim.billing_provider
                    by_payee[(bp.name, bp.npi, bp.tax_id)].append((claim, header.transaction_type == "RP"))
                pairs = []
            reader.close()
    except X12Error as exc:
        click.echo(f"error: {claims_file}: {exc}", err=True)
        sys.exit(2)
    for err in reader.errors:
        click.echo(f"{claims_file}: {err}", err=True)
        problems += 1
    remits = [
        adjudicate([c for c, _ in claims], rules, payee_name=name, payee_npi=npi, payee_tax_id=tin,
                   receiver_id=receiver or "UNKNOWN", control_number=control_number * 1000 + n,
                   payment_date=stamp.date(), prior=prior,
                   encounters=frozenset(i for i, (_, rp) in enumerate(claims, 1) if rp))
        for n, ((name, npi, tin), claims) in enumerate(sorted(by_payee.items(), key=lambda kv: kv[0][0] or ""), 1)
    ]
    n_claims = sum(len(r.claims) for r in remits)
    paid = sum((-r.total_payment if r.credit_debit == "D" else r.total_payment for r in remits), 0)
    if remits:
        with atomic_text_file(out_835, newline="") as f:
            write_835(remits, f.write, sender_id=rules.payer_id, receiver_id=receiver or "UNKNOWN",
                      interchange_control_number=control_number, group_control_number=control_number,
                      timestamp=stamp, usage=usage)
    click.echo(f"claims adjudicated: {n_claims}   paid: ${paid:,.2f}   transaction sets rejected by the 999: "
               f"{len(rejected)}")
    encounters = sum(rp for claims in by_payee.values() for _, rp in claims)
    if encounters:
        click.echo(f"encounters (BHT06 RP): {encounters}, paid $0 (CO-24: covered by capitation)")
    # SBR09 codes CLP06 does not have (CI, BL, ...) are answered with the payer's own code
    swapped = Counter(c.payer.claim_filing_indicator for claims in by_payee.values() for c, _ in claims
                      if rules.filing_indicator_of(c) != c.payer.claim_filing_indicator)
    for sbr09, n in sorted(swapped.items()):
        click.echo(f"CLP06: SBR09 {sbr09!r} is not a CLP06 code; {rules.filing_indicator!r} (the payer's "
                   f"filing_indicator) written for {n} claim(s)")
    if not remits:
        # an 835 must hold a transaction set (GS/GE with no ST is invalid): with no claim to pay there is
        # no 835, as a payer sends none; the 999 carries the answer
        click.echo(f"no 835 written ({out_835}): no claim to adjudicate", err=True)
    sys.exit(1 if problems or not remits else 0)
