"""The compiled core is part of every install: no pure-Python fallback."""

from importlib import resources

import sdohedi._core as core


def test_the_extension_is_the_compiled_module():
    assert core.__file__.endswith((".so", ".pyd"))
    assert core.__version__


def test_package_data_ships_beside_it():
    data = resources.files("sdohedi") / "data"
    assert (data / "config.schema.json").is_file()
    assert (data / "codes" / "carc.json").is_file()
