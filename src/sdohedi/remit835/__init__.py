"""835 (005010X221A1) remittances: streaming parser, balancing rules, writer."""

from .balance import (
    balance_findings, claim_balance_findings, stream_balance_findings, transaction_balance_findings,
)
from .errors import Remit835Error
from ..files import atomic_write
from .parser import Parser835, iter_835_claims, parse_835, parse_835_claims, parse_835_file
from .repeats import RepeatedRemittances
from .tables import Tables835, iter_835_tables, read_835_tables
from .writer import write_835

__all__ = ["Parser835", "Remit835Error", "RepeatedRemittances", "Tables835", "atomic_write", "balance_findings", "claim_balance_findings",
           "iter_835_claims", "iter_835_tables", "parse_835", "parse_835_claims", "parse_835_file", "read_835_tables", "stream_balance_findings",
           "transaction_balance_findings", "write_835"]
