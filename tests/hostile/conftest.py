"""Fixtures of the hostile CLI and file tests: a folder of layers and a project using it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile._cli_project import new_project, write_layers


@pytest.fixture(scope="session")
def layers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's layer files, written once per session (read-only for the tests)."""
    return write_layers(tmp_path_factory.mktemp("cli-layers"))


@pytest.fixture
def cfg(layers_dir: Path, tmp_path: Path) -> Path:
    """A fresh project folder with a configuration that plans the layers of `layers_dir`."""
    return new_project(layers_dir, tmp_path)
