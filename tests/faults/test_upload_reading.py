"""The reader's side of malformed uploads, in-process and fast: text in encodings other than
UTF-8 is read right or refused with a reason, and a file with a header alone is refused at
upload (tests/faults/test_malformed_uploads.py sends the same files to a real server)."""

import random

import pytest

from leadbook.transfer import services
from leadbook.transfer.reading import NO_ROWS, NOT_A_TABLE, FileReadError, read_table

JAPANESE = ("Name,Company,City\n山田 太郎,株式会社ヤマダ,東京都\n"
            "佐藤 花子,サトウ商店,大阪市\n")


@pytest.mark.parametrize(("encoding", "detected"), [
    ("cp932", "cp932"),  # Excel's "CSV" on Japanese Windows
    ("shift_jis", "cp932"),
    ("utf-16-le", "utf-16-le"),  # mostly Japanese, no BOM: no NUL in every other byte
    ("utf-16-be", "utf-16-be"),
])
def test_japanese_text_is_read_in_its_encoding(encoding, detected):
    table = read_table(JAPANESE.encode(encoding), "leads.csv")
    assert table.encoding == detected
    assert [row.cells for row in table.rows()] == [["山田 太郎", "株式会社ヤマダ", "東京都"],
                                                   ["佐藤 花子", "サトウ商店", "大阪市"]]


def test_western_text_is_not_taken_for_japanese():
    assert read_table("Name,City\nJosé Núñez,Córdoba\n".encode("cp1252"),
                      "leads.csv").encoding == "cp1252"
    assert read_table("Name,Notes\nNiño,a\x81b\n".encode("latin-1"),
                      "leads.csv").encoding == "latin-1"


@pytest.mark.parametrize("seed", range(20))
def test_binary_is_never_taken_for_utf16_text(seed):
    data = random.Random(seed).randbytes(4096)
    with pytest.raises(FileReadError) as refused:
        read_table(data, "leads.csv")
    assert refused.value.message == NOT_A_TABLE


@pytest.mark.parametrize("data", [b"Name,Email\n", b"Name,Email\r\n\r\n,\r\n"])
def test_a_header_alone_is_refused_at_upload(db, data):
    assert not read_table(data, "leads.csv").has_rows
    with pytest.raises(FileReadError) as refused:
        services.create_import(actor=None, data=data, filename="leads.csv")
    assert refused.value.message == NO_ROWS
