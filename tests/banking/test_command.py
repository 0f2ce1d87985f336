from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.banking.models import BankEntry, BankStatement

pytestmark = pytest.mark.django_db


def test_command_imports_every_shared_file_and_prints_progress(open_items):
    from tests.banking.conftest import FIXTURES

    files = sorted(FIXTURES.iterdir())
    out = StringIO()
    call_command("import_bank_statement", *map(str, files), stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == len(files) == 11
    assert lines[0].startswith("[1/11] abnamro.sta: mt940 mt940 (abnamro): 2 statements")
    texts = [p.read_bytes().decode("latin-1") for p in files]
    expected_entries = sum(t.count("\n:61:") + t.count("<Ntry>") for t in texts)
    assert BankEntry.objects.count() == expected_entries
    assert BankStatement.objects.count() == 2 + 1 + 31 + 2 + 1 + 26 + 1 + 1 + 1 + 1 + 4


def test_command_reports_refused_files_and_fails(tmp_path, open_items):
    bad = tmp_path / "statement.pdf"
    bad.write_bytes(b"%PDF-1.5\n")
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 files refused"):
        call_command("import_bank_statement", str(bad), stdout=StringIO(), stderr=err)
    assert "statement.pdf: refused: the file is a PDF document" in err.getvalue()
