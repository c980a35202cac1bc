"""Read an uploaded CSV or Excel file into a header and rows of strings.

This is the first step of the bulk importer and does no database work. `read_table` checks the
file (format, size limits, header row), works out how to decode it, and returns a `Table`
whose rows can be walked as often as needed: the importer validates every row first and
imports them in a second pass. Rows are streamed, never all kept in memory: a CSV is read
again for each pass, an Excel sheet once (later passes read a temporary copy, as openpyxl
is slow). Rows are numbered as a spreadsheet shows them: the header is row 1 and blank rows
still count, so an error "row 7" is row 7 when the user opens the file.

Every problem a user can fix is raised as `FileReadError` with a plain-English message.
Untrusted files are read with bounded memory: lines, rows and columns are capped, and an
.xlsx (a zip archive) is measured before it is unpacked, so a "zip bomb" is refused.

Cell values are always `str`, stripped of surrounding spaces. Excel values are written the
way a person reads them: whole numbers without ".0" (so a phone number stored as a number
stays "5125550142"), dates as ISO "2024-05-31" (with " 14:30:00" when there is a time),
TRUE/FALSE for booleans (as Excel shows them), empty cells as "". A cell that Leadbook's
export protected against formula injection ("'=SUM(...)", "'+1 512...") is restored to what
was exported.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import itertools
import json
import os
import re
import shutil
import tempfile
import warnings
import weakref
import zipfile
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO, NamedTuple

from .csvsafe import restore

# --- Limits. Generous for real leads files, small enough that a hostile file cannot use up
# --- memory or time.
MAX_COLUMNS = 200
MAX_LINE_CHARS = 1024 * 1024  # one physical line of a CSV
MAX_ROW_CHARS = 1024 * 1024  # one CSV record, which may span lines inside quotes
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024  # everything in the .xlsx zip, unpacked
# openpyxl keeps every shared string (the text cells) in memory, about 6 bytes of memory
# per byte of XML; 100,000 typical leads need some 20 MB.
MAX_XLSX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
MAX_XLSX_MEMBERS = 5000
# Real workbook parts shrink 5-30 times when zipped; a zip bomb shrinks hundreds of times.
MAX_XLSX_COMPRESSION_RATIO = 100
# Below this size a part may compress as well as it likes: it cannot hurt.
RATIO_CHECK_MIN_BYTES = 1024 * 1024

READ_CHUNK_BYTES = 1024 * 1024
SNIFF_SAMPLE_CHARS = 64 * 1024
SNIFF_SAMPLE_RECORDS = 100

CSV_EXTENSIONS = {".csv", ".txt", ".tsv", ".tab"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
SEP_LINE = re.compile(r"sep=(.)(\r\n|\n|\r)")

# A worksheet with one of these names holds the leads; one with a HELP_SHEET name does not.
DATA_SHEET_NAMES = ("leads", "data")
HELP_SHEET_NAMES = ("instructions", "read me", "readme", "help")

# openpyxl warns about what it finds in a workbook ("Cell C2 is marked as a date but...",
# "Data Validation extension is not supported"): nothing a person importing leads can act
# on, and it would reach the command line's output.
warnings.filterwarnings("ignore", module="openpyxl")

ZIP_MAGIC = b"PK\x03\x04"
# Old Excel (.xls) files, and password-protected .xlsx files, are OLE2 compound documents.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

NOT_A_TABLE = "This file is not a CSV or Excel file. Upload a .csv or .xlsx file."
EMPTY_FILE = "This file is empty."
NO_ROWS = ("This file has column names but no rows of leads under them. Add the leads (one "
           "per row, under the names) and upload it again.")
SAVE_AS_HINT = "Open it in your spreadsheet program and save it as .xlsx or CSV, then upload that."


# (spreadsheet row number, cells) for every row of a file, blank rows included.
Records = Generator[tuple[int, list[str]], None, None]


class FileReadError(Exception):
    """A file that cannot be imported; `message` is written for the person who uploaded it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Row(NamedTuple):
    """One data row: its spreadsheet row number and its cells.

    `cells` has at least one entry per header (short rows are padded with ""). A row with
    non-empty cells to the right of the last header keeps them, so the importer can say so.
    """

    number: int
    cells: list[str]


@dataclass
class Table:
    """The header and (re-readable) rows of an uploaded file."""

    headers: list[str]
    # Spreadsheet row number of the header: 1, unless blank rows come first.
    header_row: int
    # Starts a new pass over the data rows; use rows() rather than calling it.
    row_reader: Callable[[], Iterator[Row]] = field(repr=False)
    format: str = "csv"  # "csv" or "xlsx"
    encoding: str | None = None  # csv only, e.g. "utf-8-sig", "cp1252"
    delimiter: str | None = None  # csv only
    sheet_name: str | None = None  # xlsx only
    # Whether any row follows the header: an upload of a header alone is refused (NO_ROWS).
    has_rows: bool = True
    _row_count: int | None = field(default=None, init=False, repr=False)

    def rows(self) -> Iterator[Row]:
        """A fresh pass over the data rows (blank rows skipped), read from the file.

        May raise FileReadError part-way through, e.g. for an over-long line deep in a CSV.
        For a file object, finish (or drop) one pass before starting the next.
        """
        return self.row_reader()

    def __iter__(self) -> Iterator[Row]:
        return self.rows()

    def count_rows(self) -> int:
        """How many non-blank data rows there are (one pass over the file, remembered)."""
        if self._row_count is None:
            self._row_count = sum(1 for _ in self.rows())
        return self._row_count


def read_table(data: bytes | BinaryIO | str | os.PathLike, filename: str | None = None) -> Table:
    """Open an uploaded .csv/.tsv/.txt or .xlsx file: bytes, a binary file object or a path.

    `filename` is the name the user gave the file (its extension decides the format, though an
    Excel or old-Excel file is recognised by its content too); for a path it defaults to the
    path's name. Raises FileReadError when the file cannot be imported.
    """
    source = _Source(data)
    if filename is None:
        filename = source.name
    extension = Path(filename or "").suffix.lower()
    start = source.peek(8)

    if not start:
        raise FileReadError(EMPTY_FILE)
    if extension == ".xls" or start.startswith(OLE2_MAGIC):
        raise FileReadError(
            "This looks like an old Excel file (.xls) or a password-protected workbook, which "
            "Leadbook cannot read. Open it in Excel, remove any password, and save it as "
            "Excel Workbook (.xlsx) or CSV, then upload that."
        )
    if extension in (".ods", ".numbers"):
        raise FileReadError(f"Leadbook cannot read {extension} spreadsheets. {SAVE_AS_HINT}")
    if start.startswith(ZIP_MAGIC):
        return _read_xlsx(source)
    if extension in XLSX_EXTENSIONS:
        raise FileReadError(
            "This .xlsx file is damaged or is not really an Excel file. " + SAVE_AS_HINT
        )
    if extension in CSV_EXTENSIONS or extension == "":
        return _read_csv(source, prefer_tab=extension in (".tsv", ".tab"))
    raise FileReadError(NOT_A_TABLE)


# --------------------------------------------------------------------------------------------
# The uploaded bytes, re-openable for each pass.


class _Source:
    """Wraps bytes, a path or a binary file object so that each pass can open it afresh."""

    def __init__(self, data: bytes | BinaryIO | str | os.PathLike):
        self.name = ""
        self._bytes: bytes | None = None
        self._path: Path | None = None
        self._file: IO[bytes] | None = None
        self._file_start = 0
        if isinstance(data, bytes | bytearray | memoryview):
            self._bytes = bytes(data)
        elif isinstance(data, str | os.PathLike):
            self._path = Path(data)
            self.name = self._path.name
        else:
            self.name = Path(str(getattr(data, "name", "") or "")).name
            if getattr(data, "seekable", lambda: False)():
                self._file = data
                self._file_start = data.tell()
            else:
                # A pipe or a stream: keep a copy (on disk past a few MB) to read it twice.
                copy = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
                shutil.copyfileobj(data, copy)
                self._file = copy

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        if self._bytes is not None:
            yield io.BytesIO(self._bytes)
        elif self._path is not None:
            try:
                stream = self._path.open("rb")
            except OSError as e:
                raise FileReadError(f"The file could not be opened ({e.strerror}).") from e
            with stream:
                yield stream
        else:
            assert self._file is not None
            self._file.seek(self._file_start)
            yield self._file

    def peek(self, size: int) -> bytes:
        with self.open() as stream:
            return stream.read(size)


@contextmanager
def _open_text(source: _Source, encoding: str) -> Iterator[IO[str]]:
    """The file as text. newline="" keeps line breaks inside quoted cells as they are. In a
    UTF-8 file, bytes that are not UTF-8 are read as Windows-1252 (see WINDOWS_1252_FALLBACK);
    in any other, an undecodable byte becomes U+FFFD."""
    errors = WINDOWS_1252_FALLBACK if encoding.startswith("utf-8") else "replace"
    with source.open() as stream:
        text = io.TextIOWrapper(stream, encoding=encoding, errors=errors, newline="")
        try:
            yield text
        finally:
            # Leave the underlying file open: it belongs to the caller or to source.open().
            text.detach()


# --------------------------------------------------------------------------------------------
# CSV


def _read_csv(source: _Source, *, prefer_tab: bool) -> Table:
    encoding = _detect_encoding(source)
    with _open_text(source, encoding) as text:
        sample = text.read(SNIFF_SAMPLE_CHARS)
        sample_is_whole_file = not text.read(1)
    if not sample.strip():
        raise FileReadError(EMPTY_FILE)
    # Excel writes (and reads) a first line "sep=;" to name the delimiter; it does not show
    # that line as a row, so neither do we.
    sep_line = SEP_LINE.match(sample)
    if sep_line:
        delimiter = sep_line.group(1)
    else:
        delimiter = _detect_delimiter(sample, sample_is_whole_file, prefer_tab=prefer_tab)

    def records() -> Records:
        with _open_text(source, encoding) as text:
            if sep_line:
                text.readline()
            yield from _csv_records(text, delimiter)

    header_row, headers = _find_header(records())
    has_rows = _has_a_row(_data_rows(records(), header_row, len(headers)))
    return Table(
        headers=headers,
        header_row=header_row,
        row_reader=lambda: _data_rows(records(), header_row, len(headers)),
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        has_rows=has_rows,
    )


def _detect_encoding(source: _Source) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 (with a BOM, or recognised without one), else
    Windows-1252, else Shift-JIS for Japanese text, else Latin-1.

    Anything without a byte order mark is checked over the whole file, because one "é"
    on the last row decides between UTF-8 and Windows-1252. We deliberately do not ask a
    statistical detector (charset-normalizer): on short Western-European files it tends to
    answer cp1250 or mac_roman where the file is plain Windows-1252, which is what Excel on
    Windows writes for "CSV" and what a lead list in these languages almost always is.
    """
    start = source.peek(4)
    # UTF-32 first: its little-endian BOM begins with UTF-16's.
    if start.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    bomless_utf16 = _bomless_utf16(source.peek(4096))
    if bomless_utf16:
        return bomless_utf16
    with source.open() as stream:
        return _detect_8bit_encoding(stream)


def _bomless_utf16(sample: bytes) -> str | None:
    """UTF-16 without a BOM, recognised by mostly-ASCII text having a NUL in every other byte,
    or, for text mostly in other scripts (Japanese, Chinese...), by the sample decoding
    cleanly, with no control characters, into lines and cells in one byte order only."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    if odd_nuls > 0.9 * pairs and even_nuls == 0:
        return "utf-16-le"
    if even_nuls > 0.9 * pairs and odd_nuls == 0:
        return "utf-16-be"
    if not (even_nuls or odd_nuls):
        return None
    scores = {}
    for name in ("utf-16-le", "utf-16-be"):
        try:
            text = codecs.getincrementaldecoder(name)().decode(sample[: pairs * 2])
        except UnicodeDecodeError:
            continue
        if CONTROL_CHARS.search(text):
            continue
        scores[name] = sum(text.count(c) for c in "\n\r,;\t|")
    found = [name for name, score in scores.items() if score]
    return found[0] if len(found) == 1 else None


# Characters no table's text holds (tab, line feed and carriage return aside).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Kana, CJK ideographs and full-width forms: most of a Japanese file's non-ASCII characters.
JAPANESE_CHARS = re.compile("[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")
NON_ASCII = re.compile("[^\x00-\x7f]")


# A UTF-8 file with a few lines pasted in from a Windows-1252 one (the two kinds of file are
# often joined): its UTF-8 characters are read as UTF-8 and the stray bytes as Windows-1252
# (Latin-1 for the five bytes Windows-1252 leaves out), rather than every "é" of the UTF-8
# lines turning into "Ã©" or the stray ones into U+FFFD.
WINDOWS_1252_FALLBACK = "leadbook-windows-1252-fallback"
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                           rb"|[\xf0-\xf4][\x80-\xbf]{3}")
HIGH_BYTE = re.compile(rb"[\x80-\xff]")


def _windows_1252_for_stray_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    stray = error.object[error.start:error.end]
    return "".join(_windows_1252_character(byte) for byte in stray), error.end


def _windows_1252_character(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)  # Latin-1


codecs.register_error(WINDOWS_1252_FALLBACK, _windows_1252_for_stray_bytes)


def _detect_8bit_encoding(stream: IO[bytes]) -> str:
    """Decode the whole stream as UTF-8 and as Windows-1252 and keep the first that works;
    but a file that is mostly UTF-8, with a few bytes that are not, is UTF-8 (its stray
    bytes read as Windows-1252, see WINDOWS_1252_FALLBACK).

    When both fail, a file that decodes as Shift-JIS (cp932, what Excel on Japanese Windows
    writes) into mostly Japanese text is Shift-JIS; otherwise Latin-1, which decodes any
    byte, is the answer. A NUL byte means the file is binary (a picture, a PDF, a program...)
    and not text at all.
    """
    utf8_characters = stray_bytes = 0
    decoders = {
        "utf-8": codecs.getincrementaldecoder("utf-8")(),
        "cp1252": codecs.getincrementaldecoder("cp1252")(),
        "cp932": codecs.getincrementaldecoder("cp932")(),
    }
    japanese = 0  # in the cp932 reading: Japanese characters, minus other non-ASCII ones
    while chunk := stream.read(READ_CHUNK_BYTES):
        if b"\x00" in chunk:
            raise FileReadError(NOT_A_TABLE)
        if chunk.isascii() and not any(d.getstate()[0] for d in decoders.values()):
            continue  # every candidate reads ASCII alike (and finds no Japanese in it)
        sequences = UTF8_SEQUENCE.findall(chunk)
        utf8_characters += len(sequences)
        stray_bytes += len(HIGH_BYTE.findall(chunk)) - sum(map(len, sequences))
        decoders, cp932_text = _decoders_that_accept(decoders, chunk, final=False)
        if cp932_text:
            found = len(JAPANESE_CHARS.findall(cp932_text))
            japanese += 2 * found - len(NON_ASCII.findall(cp932_text))
    decoders, _ = _decoders_that_accept(decoders, b"", final=True)
    if utf8_characters > stray_bytes:
        return "utf-8"
    for name in ("utf-8", "cp1252"):
        if name in decoders:
            return name
    return "cp932" if "cp932" in decoders and japanese > 0 else "latin-1"


def _decoders_that_accept(
    decoders: dict[str, codecs.IncrementalDecoder], chunk: bytes, *, final: bool
) -> tuple[dict[str, codecs.IncrementalDecoder], str]:
    """The decoders that decode `chunk`, and the cp932 decoder's text (when it is one)."""
    accepted = {}
    cp932_text = ""
    for name, decoder in decoders.items():
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError:
            continue
        accepted[name] = decoder
        if name == "cp932":
            cp932_text = text
    return accepted, cp932_text


def _detect_delimiter(sample: str, sample_is_whole_file: bool, *, prefer_tab: bool) -> str:
    """Pick the delimiter that splits the sample into the same number of columns as its header.

    Each candidate parses the sample (quotes understood, so commas inside "Reyes, Dana" do not
    count); its score is the share of records as wide as the first one. A candidate that
    leaves the header as one column is out. Ties go to the wider split, then to the order of
    CANDIDATE_DELIMITERS (comma first). csv.Sniffer is not used: it guesses wrong on short
    files and on cells full of punctuation.
    """
    default = "\t" if prefer_tab else ","
    best, best_score = default, (0.0, 0, 0)
    candidates = ("\t", *CANDIDATE_DELIMITERS) if prefer_tab else CANDIDATE_DELIMITERS
    for rank, delimiter in enumerate(dict.fromkeys(candidates)):
        widths = _record_widths(sample, delimiter, sample_is_whole_file)
        if not widths or widths[0] < 2:
            continue
        consistency = widths.count(widths[0]) / len(widths)
        score = (consistency, widths[0], -rank)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _record_widths(sample: str, delimiter: str, sample_is_whole_file: bool) -> list[int]:
    """Number of cells in each non-blank record of the sample, split with `delimiter`."""
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    widths = []
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                widths.append(len(record))
            if len(widths) > SNIFF_SAMPLE_RECORDS:
                break
    except csv.Error:
        pass  # a cell longer than the sample; judge by what was read
    else:
        if not sample_is_whole_file and len(widths) > 1:
            widths.pop()  # the sample most likely cut the last record short
    return widths


class _CappedLines:
    """Hands csv.reader one line at a time, refusing over-long lines and rows.

    A line is read with a length limit, so a 50 MB "line" costs 1 MB of memory before it is
    refused. The reader resets `row_chars` after each record; a record that grows past
    MAX_ROW_CHARS over many lines almost always has an unclosed quote.
    """

    def __init__(self, text: IO[str]):
        self._readline = text.readline
        self.row_chars = 0
        self.row_number = 1
        # The physical lines of the record being read, and whether the file ended in it.
        self.record_lines: list[str] = []
        self.at_end = False

    def __iter__(self) -> _CappedLines:
        return self

    def __next__(self) -> str:
        line = self._readline(MAX_LINE_CHARS + 1)
        if not line:
            self.at_end = True
            raise StopIteration
        if len(line) > MAX_LINE_CHARS:
            raise FileReadError(
                "A line in this file is longer than 1 MB; is it really a CSV file?"
            )
        self.row_chars += len(line)
        if self.row_chars > MAX_ROW_CHARS:
            raise FileReadError(
                f"Row {self.row_number} of this file is longer than 1 MB, usually because a "
                "quote mark (\") that opens a cell is never closed. Check that row and upload "
                "the file again."
            )
        self.record_lines.append(line)
        return line


def _csv_records(text: IO[str], delimiter: str) -> Records:
    """(row number, raw cells) for every record, blank ones included."""
    lines = _CappedLines(text)
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise FileReadError(
                f"Row {lines.row_number} of this file could not be read ({e}). A cell may be "
                f"longer than {csv.field_size_limit() // 1024} KB, often because a quote "
                "mark (\") that opens a cell is never closed."
            ) from e
        if len(lines.record_lines) > 1:
            _refuse_runaway_quote(lines)
        yield lines.row_number, record
        lines.row_number += 1
        lines.row_chars = 0
        lines.record_lines = []


def _refuse_runaway_quote(lines: _CappedLines) -> None:
    """A record that spans lines and ends with the file, with an odd number of quote marks:
    a quote mark opened a cell and was never closed, so the cell swallowed every row after
    it. Read as it is, those rows would be lost without a word. (A stray quote closed by
    another rows later cannot be told from a cell that holds line breaks.)"""
    if lines.at_end and "".join(lines.record_lines).count('"') % 2 == 1:
        raise FileReadError(
            f"Row {lines.row_number} of this file has a quote mark (\") that opens a cell and "
            "is never closed, so every row after it would be read as part of that cell. "
            "Remove the stray quote mark (or close the quote where the cell ends) and upload "
            "the file again."
        )


# --------------------------------------------------------------------------------------------
# Header and rows, shared by CSV and Excel


def _find_header(records: Records) -> tuple[int, list[str]]:
    """The header: (its row number, the column names made unique). It is the first non-blank
    record, unless that holds a single cell (a title such as "My leads" above the table) and
    one of the next few holds several names: then that one is."""
    try:
        first: tuple[int, list[str]] | None = None
        single_cell_rows = 0
        for number, record in records:
            cells = _clean_cells(record)
            filled = sum(1 for cell in cells if cell)
            if not filled:
                continue
            if filled > 1:
                if first is None or not _looks_like_data(cells):
                    return number, _header_names(cells)
                break  # values under a header of one column
            first = first or (number, cells)
            single_cell_rows += 1
            if single_cell_rows > TITLE_ROWS:
                break
        if first is None:
            raise FileReadError(EMPTY_FILE)
        return first[0], _header_names(first[1])
    finally:
        records.close()


# Rows of a single cell (a title, a date) looked past for a header row below them.
TITLE_ROWS = 5


def _has_a_row(rows: Iterator[Row]) -> bool:
    """Whether any data row follows the header (read in the same pass, so it costs little)."""
    try:
        return next(rows, None) is not None
    finally:
        getattr(rows, "close", lambda: None)()


def _header_names(cells: list[str]) -> list[str]:
    """Column names: trailing blanks dropped, blanks named "Column 5", repeats "Email (2)"."""
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > MAX_COLUMNS:
        raise FileReadError(
            f"This file has {len(cells)} columns; Leadbook reads at most {MAX_COLUMNS}. "
            "Remove the columns you do not need and upload it again."
        )
    _refuse_data_as_header(cells)
    names: list[str] = []
    taken: set[str] = set()
    for position, cell in enumerate(cells, start=1):
        name = " ".join(cell.split()) or f"Column {position}"
        unique, copy = name, 1
        while unique.casefold() in taken:
            copy += 1
            unique = f"{name} ({copy})"
        taken.add(unique.casefold())
        names.append(unique)
    return names


EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NUMBER_LIKE = re.compile(r"^[+(]?[\d\s().,/:-]+$")


def _looks_like_data(cells: list[str]) -> bool:
    """Email addresses or only numbers: a row of values, not of column names."""
    filled = [cell for cell in cells if cell]
    return any(EMAIL_LIKE.match(cell) for cell in filled) or (
        len(filled) > 1 and all(NUMBER_LIKE.match(cell) for cell in filled)
    )


def _refuse_data_as_header(cells: list[str]) -> None:
    """A first row of email addresses or numbers means the column names are missing."""
    if _looks_like_data(cells):
        example = next(c for c in cells if c and (EMAIL_LIKE.match(c) or NUMBER_LIKE.match(c)))
        raise FileReadError(
            f"The file has no header row: its first row holds values such as \"{example[:60]}\". "
            "Add a first row with column names such as Name, Email, Phone."
        )


def _data_rows(records: Records, header_row: int, width: int) -> Iterator[Row]:
    """Rows after the header, cleaned and padded to the header's width; blank rows skipped,
    and a report's footer too (see _is_report_footer)."""
    held: list[Row] = []  # rows of one cell after a blank row: perhaps a footer
    after_blank = False
    for number, record in records:
        if number <= header_row:
            continue
        cells = _clean_cells(record)
        if not any(cells):
            after_blank = True
            continue
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        while len(cells) > width and not cells[-1]:
            cells.pop()  # trailing empty cells past the last column (e.g. "a,b,,,")
        row = Row(number, cells)
        if after_blank and width > 1 and len(held) < FOOTER_ROWS \
                and sum(1 for cell in cells if cell) == 1:
            held.append(row)
            continue
        yield from held
        held, after_blank = [], False
        yield row
    if not _is_report_footer(held):
        yield from held


# Salesforce's report exports end with a blank row and a few lines of one cell: the report's
# name, its copyright line, "Confidential Information - Do Not Distribute", who made it when.
FOOTER_ROWS = 10
REPORT_FOOTER_LINE = re.compile(r"Copyright \(c\) [\d-]+ salesforce\.com", re.IGNORECASE)


def _is_report_footer(rows: list[Row]) -> bool:
    """Whether the rows of one cell that end a file are a report's footer, not leads."""
    return any(REPORT_FOOTER_LINE.match(cell) for row in rows for cell in row.cells if cell)


def _clean_cells(record: list[str]) -> list[str]:
    """Cells stripped of surrounding spaces, with Leadbook's formula protection undone."""
    cells = [cell.strip() for cell in record]
    # This runs for every row, so first a quick look for a quote anywhere in the row.
    if "'" in "".join(cells):
        # Strip again: a protected tab or carriage return must not survive as a space.
        cells = [restore(cell).strip() if cell.startswith("'") else cell for cell in cells]
    return cells


# --------------------------------------------------------------------------------------------
# Excel (.xlsx)


def _read_xlsx(source: _Source) -> Table:
    with source.open() as stream:
        _check_zip_is_a_safe_workbook(stream)

    # Opening a workbook reads all its shared strings, so choose the sheet and read the
    # header with one opening; each pass over the rows opens it again.
    with _open_workbook(source) as workbook:
        sheet_name = _choose_sheet(workbook)
        header_row, headers = _find_header(_sheet_records(workbook, sheet_name))
        has_rows = _has_a_row(_data_rows(_sheet_records(workbook, sheet_name), header_row,
                                         len(headers)))

    def records() -> Records:
        with _open_workbook(source) as workbook:
            yield from _sheet_records(workbook, sheet_name)

    return Table(
        headers=headers,
        header_row=header_row,
        row_reader=_RememberedRows(lambda: _data_rows(records(), header_row, len(headers))),
        format="xlsx",
        sheet_name=sheet_name,
        has_rows=has_rows,
    )


class _RememberedRows:
    """Reads rows from the workbook once, then from a temporary file.

    openpyxl needs tens of seconds for a sheet of 100,000 rows, and reloads all the shared
    strings each time a workbook is opened; the importer reads the rows twice (validate, then
    import). So the first complete pass also writes each row, as a line of JSON, to a
    temporary file, and later passes read that instead. Memory stays flat either way.
    The file is deleted with the Table.
    """

    def __init__(self, read_rows: Callable[[], Iterator[Row]]):
        self._read_rows = read_rows
        self._path: str | None = None

    def __call__(self) -> Iterator[Row]:
        if self._path is not None:
            return self._replay(self._path)
        return self._read_and_remember()

    def _read_and_remember(self) -> Iterator[Row]:
        handle, path = tempfile.mkstemp(prefix="leadbook-import-", suffix=".jsonl")
        try:
            with open(handle, "w", encoding="utf-8") as spool:
                for row in self._read_rows():
                    spool.write(json.dumps([row.number, *row.cells]) + "\n")
                    yield row
        except BaseException:  # includes a pass abandoned half-way (GeneratorExit)
            os.unlink(path)
            raise
        if self._path is None:
            self._path = path
            weakref.finalize(self, os.unlink, path)
        else:
            os.unlink(path)  # another pass finished first

    @staticmethod
    def _replay(path: str) -> Iterator[Row]:
        with open(path, encoding="utf-8") as spool:
            for line in spool:
                number, *cells = json.loads(line)
                yield Row(number, cells)


def _check_zip_is_a_safe_workbook(stream: IO[bytes]) -> None:
    """Refuse a damaged zip, a zip that is not a workbook, and a zip bomb, before unpacking.

    Python's zipfile never unpacks more than a member's declared size (it reports a damaged
    file instead), so checking the declared sizes here bounds what openpyxl can unpack later.
    """
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise FileReadError(
            "This Excel file is damaged or is not really an .xlsx file. " + SAVE_AS_HINT
        ) from e
    if len(members) > MAX_XLSX_MEMBERS:
        raise FileReadError(_too_big_workbook_message())
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise FileReadError(
            "This file is a zip archive but not an Excel workbook. "
            "Upload a .csv or .xlsx file."
        )
    if sum(member.file_size for member in members) > MAX_XLSX_UNPACKED_BYTES:
        raise FileReadError(_too_big_workbook_message())
    shared_strings = [m for m in members if m.filename.endswith("sharedStrings.xml")]
    if sum(m.file_size for m in shared_strings) > MAX_XLSX_SHARED_STRINGS_BYTES:
        raise FileReadError(_too_big_workbook_message())
    for member in members:
        if member.file_size > RATIO_CHECK_MIN_BYTES and (
            member.file_size > MAX_XLSX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ):
            raise FileReadError(
                "This Excel file unpacks to far more data than its size suggests, which is "
                "how harmful files are made, so Leadbook will not open it. " + SAVE_AS_HINT
            )


def _too_big_workbook_message() -> str:
    return (
        f"This Excel file is too big: it unpacks to more than "
        f"{MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)} MB. Save the leads sheet as CSV, "
        "or split it into smaller files."
    )


@contextmanager
def _open_workbook(source: _Source):  # -> Iterator[openpyxl.Workbook]
    # Imported here so that reading CSV files does not pay for loading openpyxl.
    import openpyxl

    with source.open() as stream:
        try:
            # read_only streams the sheet; data_only gives a formula's last computed value
            # (what the user sees) instead of the formula text.
            workbook = openpyxl.load_workbook(
                stream, read_only=True, data_only=True, keep_links=False
            )
        except Exception as e:  # openpyxl raises many kinds for a damaged file
            raise FileReadError(
                "This Excel file could not be read; it may be damaged. " + SAVE_AS_HINT
            ) from e
        try:
            yield workbook
        finally:
            workbook.close()


def _choose_sheet(workbook) -> str:
    """The sheet named Leads or Data if there is one, else the first that is not help text.

    Hidden sheets are never chosen: they usually hold lookup lists.
    """
    visible = [ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"]
    if not visible:
        raise FileReadError("This Excel file has no visible worksheet to read.")
    by_name = {title.strip().casefold(): title for title in visible}
    for name in DATA_SHEET_NAMES:
        if name in by_name:
            return by_name[name]
    not_help = [title for title in visible if title.strip().casefold() not in HELP_SHEET_NAMES]
    candidates = not_help or visible
    # An empty first sheet (Excel's untouched "Sheet1") is passed over for one with cells.
    return next((title for title in candidates if _has_cells(workbook, title)), candidates[0])


def _has_cells(workbook, sheet_name: str) -> bool:
    records = _sheet_records(workbook, sheet_name)
    try:
        return any(any(cells) for _, cells in itertools.islice(records, SNIFF_SAMPLE_RECORDS))
    finally:
        records.close()


def _sheet_records(workbook, sheet_name: str) -> Records:
    """(row number, cell texts) for every row of the sheet, blank ones included."""
    sheet = workbook[sheet_name]
    # Some programs write a wrong "used range" into the file; read what is really there.
    sheet.reset_dimensions()
    try:
        # Rows missing from the file come back as empty rows, so counting from 1 gives
        # the row numbers Excel shows.
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            yield number, [_cell_text(cell) for cell in cells]
    except Exception as e:  # openpyxl raises many kinds for a damaged sheet
        raise FileReadError(
            "This Excel file could not be read to the end; it may be damaged. " + SAVE_AS_HINT
        ) from e


def _cell_text(cell) -> str:
    """The cell's value as text, shown as its number format shows a whole number.

    ZIP codes such as 02134 are often numbers formatted with leading zeros ("00000", or
    Excel's "Zip Code + 4" and "Phone Number" formats); without this, Boston would import as
    2134, and 02134-1234 as 21341234.
    """
    text = _excel_text(cell.value)
    if isinstance(cell.value, int | float) and text.isdigit():
        return _whole_number_as_formatted(text, cell.number_format or "") or text
    return text


FORMAT_CONDITION = re.compile(r"\[(<=|>=|<>|<|>|=)(\d+)\]")
FORMAT_BRACKETS = re.compile(r"\[[^\]]*\]")  # conditions, colours, locales
FORMAT_LITERALS = re.compile(r'\\(.)|"([^"]*)"')
# What a digits-only format may hold besides its 0 and # placeholders. Anything else (a
# decimal point, thousands separators, a percent sign, dates) is not a plain pattern of
# digits, and the number is read as it is.
FORMAT_PLAIN_CHARACTERS = set("0# -()/+")
CONDITIONS = {"<=": int.__le__, ">=": int.__ge__, "<>": int.__ne__, "<": int.__lt__,
              ">": int.__gt__, "=": int.__eq__}


def _whole_number_as_formatted(digits: str, number_format: str) -> str | None:
    """`digits` (a whole number) as a digits-only Excel format shows it: "00000" gives
    02134, "00000-0000" 02134-1234, "[<=9999999]###-####;(###) ###-####" (512) 555-0142.
    None when the format is not a plain pattern of digits (or is General)."""
    section = _format_section(number_format.split(";"), int(digits))
    # Literal text ("\-" or "-" in quotes) stands for itself; mark it so it is kept as is.
    pattern: list[tuple[bool, str]] = []  # (is literal, character)
    rest = FORMAT_BRACKETS.sub("", section)
    position = 0
    for match in FORMAT_LITERALS.finditer(rest):
        pattern += [(False, ch) for ch in rest[position:match.start()]]
        pattern += [(True, ch) for ch in (match.group(1) or match.group(2) or "")]
        position = match.end()
    pattern += [(False, ch) for ch in rest[position:]]
    placeholders = sum(1 for literal, ch in pattern if not literal and ch in "0#")
    if not placeholders or any(not literal and ch not in FORMAT_PLAIN_CHARACTERS
                               for literal, ch in pattern):
        return None
    # Digits fill the placeholders from the right; any left over go before the first one.
    remaining = list(digits)
    shown: list[str] = []
    seen = 0
    for literal, ch in reversed(pattern):
        if literal or ch not in "0#":
            shown.append(ch)
            continue
        seen += 1
        if seen == placeholders:
            shown.append("".join(remaining) or ("0" if ch == "0" else ""))
            remaining = []
        elif remaining:
            shown.append(remaining.pop())
        elif ch == "0":
            shown.append("0")
    return "".join(reversed(shown)).strip()


def _format_section(sections: list[str], value: int) -> str:
    """The section of a format Excel shows a positive `value` with: the first of the first
    two whose condition ("[<=99999]") it meets, a section without one meeting any; else the
    second."""
    for section in sections[:2]:
        condition = FORMAT_CONDITION.search(section)
        if condition is None or CONDITIONS[condition.group(1)](value, int(condition.group(2))):
            return section
    return sections[min(1, len(sections) - 1)]


def _excel_text(value: object) -> str:
    """A cell value as the text a person sees in the cell (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: True is an int too
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        # 15 significant digits, as Excel shows, so 0.1 + 0.2 reads "0.3".
        return format(value, ".15g")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)
