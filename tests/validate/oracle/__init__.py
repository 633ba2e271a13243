"""The pure Python validator the core replaced (``engine``, with its guide walker, generated fast
checks, element checks and data types, and its content checks ``checks837p``/``checks835`` with
``codesets``), kept unchanged as the oracle of the differential tests
(test_engine_core, test_elements_core, test_walker_core) and of benchmarks/bench_validate.py.
Only the import lines changed when they left ``sdohedi.validate``."""
