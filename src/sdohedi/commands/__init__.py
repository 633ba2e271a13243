"""CLI commands, one module each (each defines ``command``).

A command module imports at its top only what its click options need (click, the standard
library, ``sdohedi.ledger``'s defaults); the library it calls is imported inside ``command``:
``sdohedi --help`` loads every module, and one command should not pay for the others.
"""
