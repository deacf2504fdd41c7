"""The kernel settings `panel testbed up` gives the machine its hosts share, without booting
anything: the protections of links and files, raised to Debian's values, never lowered."""

import pytest

from panel_testbed import kernel


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database."""
    yield


def switches(folder, **values):
    for name, value in values.items():
        (folder / name).write_text(f"{value}\n")


def read(folder) -> dict[str, int]:
    return {name: int((folder / name).read_text()) for name in kernel.PROTECTIONS}


def test_a_machine_without_the_protections_gets_debians_values(tmp_path):
    switches(
        tmp_path,
        protected_hardlinks=1,
        protected_symlinks=0,
        protected_regular=0,
        protected_fifos=0,
    )
    raised = kernel.protect_links(tmp_path)
    assert raised == [
        "fs.protected_symlinks=1",
        "fs.protected_regular=2",
        "fs.protected_fifos=1",
    ]
    assert read(tmp_path) == {
        "protected_hardlinks": 1,
        "protected_symlinks": 1,
        "protected_regular": 2,
        "protected_fifos": 1,
    }


def test_stricter_settings_stay(tmp_path):
    switches(
        tmp_path,
        protected_hardlinks=1,
        protected_symlinks=1,
        protected_regular=2,
        protected_fifos=2,
    )
    assert kernel.protect_links(tmp_path) == []
    assert read(tmp_path)["protected_fifos"] == 2
