"""Types of sdohedi._core, the compiled X12 core (rust/)."""

__version__: str
