"""Files that are not what they claim, uploaded to a real server through the import wizard
(Leads → Import) and the API (POST /api/v2/imports): binary garbage, a 50 MB file that is one
line, zip bombs posing as .xlsx, text in encodings other than UTF-8, an empty file, a header
with no rows. Each gets an answer a person can act on (never a 500), the ones that are really
tables in an unusual encoding are read correctly, and the server's memory stays bounded
throughout: the peak resident size of every Leadbook process stays under MAX_RSS_MB."""

from __future__ import annotations

import html
import json
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import leadbook, running_server, site_env

from .conftest import ADMIN, PASSWORD, make_admin, query
from .web import Session

pytestmark = [pytest.mark.server, pytest.mark.once]

MAX_RSS_MB = 300
MB = 1000 * 1000
# Column names as Leadbook's template has them, so the API can map the columns itself.
JAPANESE = ("Name,Company,City,Notes\n"
            "山田 太郎,株式会社ヤマダ,東京都,展示会で名刺交換。来月に見積もりを送る\n"
            "佐藤 花子,サトウ商店,大阪市,紹介で知り合った。春の新商品に興味あり\n")
JAPANESE_HEADERS = ["Name", "Company", "City", "Notes"]


@dataclass
class Case:
    name: str
    filename: str
    content: bytes
    # What the person is told (a part of it); None: the file is accepted.
    message: str | None
    # For accepted files: the column names Leadbook must have read, and a value the
    # wizard's Match columns page must show as it is in the file.
    headers: list[str] | None = None
    sample: str | None = None


def _zip_bomb(path: Path, unpacked: int) -> bytes:
    """A small .xlsx-looking zip whose worksheet unpacks to `unpacked` bytes."""
    chunk = b" " * MB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for _ in range(unpacked // MB):
                sheet.write(chunk)
    return path.read_bytes()


def _lying_zip(honest: bytes, declared: int) -> bytes:
    """The same zip with its directory claiming the worksheet unpacks to `declared` bytes,
    so that no check of the sizes it states can see how much it really holds."""
    data = bytearray(honest)
    entry = data.rfind(b"xl/worksheets/sheet1.xml") - 46  # its central directory record
    assert data[entry:entry + 4] == b"PK\x01\x02"
    data[entry + 24:entry + 28] = declared.to_bytes(4, "little")  # uncompressed size
    return bytes(data)


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> list[Case]:
    folder = tmp_path_factory.mktemp("uploads")
    bomb = _zip_bomb(folder / "bomb.xlsx", 1000 * MB)
    assert len(bomb) < 2 * MB
    return [
        Case("binary", "leads.csv", random.Random(1).randbytes(2 * MB),
             "not a CSV or Excel file"),
        Case("one 50 MB line", "leads.csv", b"Name," + b"x" * (50 * MB - 5),
             "longer than 1 MB"),
        Case("zip bomb", "leads.xlsx", bomb, "too big: it unpacks to more than"),
        Case("zip bomb lying about its size", "leads.xlsx", _lying_zip(bomb, 4000),
             "could not be read"),
        Case("zip that is not a workbook", "leads.xlsx",
             _plain_zip(folder / "photos.zip"), "not an Excel workbook"),
        Case("empty", "leads.csv", b"", "empty"),
        Case("header only", "leads.csv", b"Name,Email,Phone\r\n", "no rows"),
        Case("UTF-16 without BOM", "leads.csv",
             "Name,Email\r\nJosé Núñez,jose@example.com\r\n".encode("utf-16-le"), None,
             ["Name", "Email"], "José Núñez"),
        Case("UTF-16 without BOM, Japanese", "leads.csv", JAPANESE.encode("utf-16-le"), None,
             JAPANESE_HEADERS, "株式会社ヤマダ"),
        Case("Shift-JIS", "leads.csv", JAPANESE.encode("cp932"), None,
             JAPANESE_HEADERS, "株式会社ヤマダ"),
    ]


def _plain_zip(path: Path) -> bytes:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("holiday.jpg", random.Random(2).randbytes(1000))
    return path.read_bytes()


def _peak_rss_mb(server) -> dict[int, float]:
    peaks = {}
    for pid in server.descendants():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks[pid] = int(line.split()[1]) / 1024
    return peaks


def test_malformed_uploads_get_clear_answers_with_bounded_memory(cases, tmp_path):
    env = site_env(tmp_path / "data")
    leadbook(env, "migrate", "-v0")
    token = make_admin(env)
    log = tmp_path / "server.log"
    with running_server(env, workers=1, threads=2, log=log) as server:
        person = Session(server)
        person.sign_in(ADMIN, PASSWORD)
        person.get("/leads/import/")
        program = Session(server)
        problems = []
        for case in cases:
            # The wizard: a refused file is shown again with the reason under it.
            page = person.post_file("/leads/import/", "file", case.filename, case.content)
            text = html.unescape(page.text)
            if case.message is None:
                if page.status != 302 or "/columns/" not in page.headers.get("location", ""):
                    problems.append((case.name, "wizard", page.status, _said(text)))
                elif case.sample not in html.unescape(person.get(page.headers["location"]).text):
                    problems.append((case.name, "wizard", "the values read wrongly"))
            elif page.status != 200 or case.message not in text or "Traceback" in text:
                problems.append((case.name, "wizard", page.status, _said(text)))
            # The API: 422 with the reason, or 202 when the file can be imported.
            answer = program.post_file("/api/v2/imports", "file", case.filename, case.content,
                                       headers={"Authorization": f"Bearer {token}"})
            expected = 202 if case.message is None else 422
            detail = answer.json().get("detail", "") if answer.body.startswith(b"{") else ""
            if answer.status != expected or (case.message and case.message not in detail):
                problems.append((case.name, "api", answer.status, answer.text[:300]))
        peaks = _peak_rss_mb(server)
        assert person.get("/healthz").status == 200
        person.close()
        program.close()

    assert not problems, "\n".join(map(str, problems))
    sql = query(env)
    read = [json.loads(h) if isinstance(h, str) else h
            for (h,) in sql("SELECT headers FROM transfer_importjob ORDER BY id")]
    accepted = [c.headers for c in cases if c.headers]
    for headers in accepted:  # a job for each, from the wizard and from the API
        assert read.count(headers) == 2 * accepted.count(headers), read
    print(f"\npeak resident memory of the server's processes (MB): "
          f"{sorted(round(p) for p in peaks.values())}")
    assert peaks and max(peaks.values()) < MAX_RSS_MB, peaks
    assert "Traceback" not in log.read_text()


def _said(text: str) -> str:
    """The error shown on the wizard page, roughly."""
    start = text.find("invalid-feedback")
    return text[start:start + 300] if start >= 0 else text[:300]
