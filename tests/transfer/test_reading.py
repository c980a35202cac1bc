"""Reading uploaded CSV and Excel files: encodings, delimiters, row numbers, cell values and
the safety limits. No database: every file is made in the test."""

import codecs
import csv
import datetime
import gc
import glob
import io
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from leadbook.transfer import reading
from leadbook.transfer.csvsafe import neutralise
from leadbook.transfer.reading import FileReadError, Row, read_table

SAMPLES = Path("/work/shared/samples")


def rows_of(table) -> list[tuple[int, list[str]]]:
    return [(row.number, row.cells) for row in table.rows()]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(*sheets: tuple[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- Encodings -----------------------------------------------------------------------------

ACCENTED = [["Name", "City", "Notes"], ["Café Olé", "Zürich", "Costs 5 € — it’s “fine”"]]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp1252", "cp1252"),
        ("utf-16", "utf-16"),  # Python writes the BOM, as Excel's "Unicode Text" does
        ("utf-16-le", "utf-16-le"),  # no BOM: recognised by the NUL in every other byte
        ("utf-16-be", "utf-16-be"),
        ("utf-32", "utf-32"),
    ],
)
def test_encodings_are_detected_and_decoded(encoding, detected):
    table = read_table(csv_bytes(ACCENTED, encoding=encoding), "leads.csv")
    assert table.encoding == detected
    assert table.headers == ["Name", "City", "Notes"]
    assert rows_of(table) == [(2, ACCENTED[1])]


def test_latin1_bytes_that_windows_1252_does_not_define_fall_back_to_latin1():
    # 0x81 is undefined in Windows-1252; Latin-1 decodes every byte.
    data = "Name,Notes\nNiño,a\x81b\n".encode("latin-1")
    table = read_table(data, "leads.csv")
    assert table.encoding == "latin-1"
    assert rows_of(table) == [(2, ["Niño", "a\x81b"])]


def test_latin1_text_reads_the_same_as_windows_1252():
    table = read_table("Name,City\nJosé Núñez,Córdoba\n".encode("latin-1"), "leads.csv")
    assert rows_of(table) == [(2, ["José Núñez", "Córdoba"])]


def test_one_windows_1252_character_deep_in_the_file_decides_the_encoding():
    lines = ["Name,Email"] + [f"Lead {i},lead{i}@example.com" for i in range(20_000)]
    data = ("\n".join(lines) + "\nRenée,renee@example.com\n").encode("cp1252")
    assert len(data) > 2 * reading.SNIFF_SAMPLE_CHARS
    table = read_table(data, "leads.csv")
    assert table.encoding == "cp1252"
    assert list(table.rows())[-1].cells == ["Renée", "renee@example.com"]


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_a_utf8_file_with_a_few_windows_1252_lines_reads_both_right(bom):
    data = (bom + "Name,City\nCafé Élan,Zürich\nBäckerei Süß,Köln\n".encode()
            + "Crème “Brûlée”,Genève\n".encode("cp1252"))
    assert [row.cells for row in read_table(data, "leads.csv").rows()] == [
        ["Café Élan", "Zürich"], ["Bäckerei Süß", "Köln"], ["Crème “Brûlée”", "Genève"]]


def test_a_windows_1252_file_stays_windows_1252_when_a_pair_of_bytes_looks_like_utf8():
    data = "Name,Notes\nCafé Élan,Ã© is how UTF-8 é looks here\nCrème,fine\n".encode("cp1252")
    table = read_table(data, "leads.csv")
    assert table.encoding == "cp1252"
    assert next(iter(table.rows())).cells == ["Café Élan", "Ã© is how UTF-8 é looks here"]


def test_a_character_split_by_an_ascii_chunk_is_not_read_as_utf8(monkeypatch):
    # "\xc3" ends the first chunk and "\xa9" starts the third: together they would be
    # UTF-8's "é", but the ASCII chunk between them makes them two Windows-1252 characters.
    monkeypatch.setattr(reading, "READ_CHUNK_BYTES", 16)
    data = b"Name,City\nAb,Ci\xc3" + b"ty\nCd,Townsville" + b"\xa9 x,y\n"
    assert len(b"Name,City\nAb,Ci\xc3") == 16 and b"ty\nCd,Townsville".isascii()
    assert read_table(data, "leads.csv").encoding == "cp1252"


def test_byte_order_mark_does_not_stick_to_the_first_header():
    table = read_table(codecs.BOM_UTF8 + b"ID,Name\n1,Dana\n", "export.csv")
    assert table.headers == ["ID", "Name"]


# --- Delimiters ----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(delimiter):
    rows = [["Name", "Email", "Notes"], ["Dana", "dana@example.com", "likes, commas; and | bars"]]
    table = read_table(csv_bytes(rows, delimiter=delimiter), "leads.txt")
    assert table.delimiter == delimiter
    assert rows_of(table) == [(2, rows[1])]


def test_semicolons_with_decimal_commas_are_not_mistaken_for_commas():
    data = b"Name;Followers;Rating\nDana;12,5;4,5\nSam;3,2;1,0\nLee;7;2\n"
    table = read_table(data, "leads.csv")
    assert table.delimiter == ";"
    assert rows_of(table)[0] == (2, ["Dana", "12,5", "4,5"])


def test_commas_win_over_stray_semicolons_in_notes():
    data = b"Name,Notes\nDana,call back; maybe Friday\nSam,no; never; again\nLee,ok\n"
    assert read_table(data, "leads.csv").delimiter == ","


def test_tsv_prefers_tab_and_a_single_column_file_is_fine():
    assert read_table(b"Name,Company\tCity\nDana,X\tAustin\n", "leads.tsv").delimiter == "\t"
    table = read_table(b"Name\nDana\nSam\n", "names.csv")
    assert table.headers == ["Name"]
    assert rows_of(table) == [(2, ["Dana"]), (3, ["Sam"])]


def test_excels_sep_line_names_the_delimiter_and_is_not_a_row():
    table = read_table(b"sep=;\r\nName;Notes\r\nDana;a,b\r\n", "leads.csv")
    assert table.delimiter == ";"
    assert table.header_row == 1
    assert table.headers == ["Name", "Notes"]
    assert rows_of(table) == [(2, ["Dana", "a,b"])]


# --- Quoting, row numbers, blank rows, cells -----------------------------------------------


def test_quoted_cells_with_commas_and_line_breaks_keep_spreadsheet_row_numbers():
    data = (
        b'Name,Notes,City\r\n'
        b'"Reyes, Dana","line one\r\nline two\r\nline three",Austin\r\n'
        b'Sam,"said ""hi""",Dallas\r\n'
    )
    table = read_table(data, "leads.csv")
    # Row 3 in a spreadsheet, although it starts on the file's fifth line.
    assert rows_of(table) == [
        (2, ["Reyes, Dana", "line one\r\nline two\r\nline three", "Austin"]),
        (3, ["Sam", 'said "hi"', "Dallas"]),
    ]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_any_line_ending_works(newline):
    data = newline.join([b"Name,City", b"Dana,Austin", b"Sam,Dallas", b""])
    expected = [(2, ["Dana", "Austin"]), (3, ["Sam", "Dallas"])]
    assert rows_of(read_table(data, "leads.csv")) == expected


def test_blank_rows_are_skipped_but_still_counted():
    data = b"\n ,  \nName,City\nDana,Austin\n\n,,\n  ,\t\nSam,Dallas\n\n"
    table = read_table(data, "leads.csv")
    assert table.header_row == 3
    assert rows_of(table) == [(4, ["Dana", "Austin"]), (8, ["Sam", "Dallas"])]


def test_cells_are_stripped_and_short_rows_padded_and_long_rows_kept():
    data = b"Name , City,Notes\n  Dana  ,Austin\nSam,Dallas,,,,\nLee,Waco,ok,extra,\n"
    table = read_table(data, "leads.csv")
    assert table.headers == ["Name", "City", "Notes"]
    assert rows_of(table) == [
        (2, ["Dana", "Austin", ""]),
        (3, ["Sam", "Dallas", ""]),  # trailing empty cells past the header are dropped
        (4, ["Lee", "Waco", "ok", "extra"]),  # a value past the header is kept for the importer
    ]


def test_cells_protected_by_leadbooks_export_are_restored():
    values = ["+1 512 555 0142", "=SUM(A1:A2)", "-5", "@dana", "'quoted", "O'Brien"]
    rows = [["Name", "Phone"]] + [["x", neutralise(v)] for v in values]
    table = read_table(csv_bytes(rows), "export.csv")
    assert [row.cells[1] for row in table.rows()] == values


def test_a_file_exported_by_leadbook_reads_back_unchanged():
    from leadbook.transfer.export import iter_csv

    rows = [
        ["ID", "Name", "Phone", "Notes", "Active"],
        ["7", "=HYPERLINK(1)", "+1 512 555 0142", "line one\nline two", "yes"],
        ["8", "@dana", "-", "'already quoted", "no"],
    ]
    # As the export does: every value cell is neutralised.
    exported = [rows[0]] + [[neutralise(cell) for cell in row] for row in rows[1:]]
    assert exported[1][1] == "'=HYPERLINK(1)"
    data = "".join(iter_csv(exported)).encode("utf-8")
    table = read_table(data, "leads-2024-05-31.csv")
    assert table.encoding == "utf-8-sig"
    assert table.headers == rows[0]
    assert [row.cells for row in table.rows()] == rows[1:]


def test_a_header_without_rows_has_no_rows():
    table = read_table(b"Name,Email\r\n\r\n", "leads.csv")
    assert table.headers == ["Name", "Email"]
    assert table.count_rows() == 0


def test_rows_can_be_read_again_and_counted():
    table = read_table(csv_bytes([["Name"], ["a"], [""], ["b"], ["c"]]), "leads.csv")
    first, second = rows_of(table), rows_of(table)
    assert first == second == [(2, ["a"]), (4, ["b"]), (5, ["c"])]
    assert table.count_rows() == 3
    assert [tuple(row) for row in table] == [(2, ["a"]), (4, ["b"]), (5, ["c"])]
    assert isinstance(next(table.rows()), Row)


def test_bytes_paths_and_file_objects_are_all_accepted(tmp_path):
    data = b"Name,City\nDana,Austin\n"
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    offset_file = io.BytesIO(b"junk" + data)
    offset_file.seek(4)  # reading starts where the caller's file is, and returns there

    class Pipe(io.RawIOBase):  # not seekable, read once
        def __init__(self):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    for source, filename in [
        (data, "leads.csv"), (str(path), None), (path, None),
        (offset_file, "leads.csv"), (Pipe(), "leads.csv"),
    ]:
        table = read_table(source, filename)
        assert rows_of(table) == rows_of(table) == [(2, ["Dana", "Austin"])], source
    assert not offset_file.closed


def test_a_file_object_keeps_its_name_and_stays_open(tmp_path):
    path = tmp_path / "leads.tsv"
    path.write_bytes(b"Name\tCity\nDana\tAustin\n")
    with path.open("rb") as upload:
        table = read_table(upload)
        assert rows_of(table) == [(2, ["Dana", "Austin"])]
        assert not upload.closed
    assert table.delimiter == "\t"


# --- Headers -------------------------------------------------------------------------------


def test_blank_and_repeated_headers_get_names():
    data = b"Email,email,,Name,  Email ,Email (2),Notes\n" + b"a,b,c,d,e,f,g\n"
    table = read_table(data, "leads.csv")
    assert table.headers == [
        "Email", "email (2)", "Column 3", "Name", "Email (3)", "Email (2) (2)", "Notes",
    ]


def test_trailing_blank_headers_are_dropped_and_header_spaces_collapsed():
    table = read_table(b'Name,"First\n  Name",,,\nx,y\n', "leads.csv")
    assert table.headers == ["Name", "First Name"]


def test_a_first_row_of_data_is_refused_as_header():
    with pytest.raises(FileReadError, match="no header row"):
        read_table(b"Dana Reyes,dana@example.com,Austin\n", "leads.csv")
    with pytest.raises(FileReadError, match="no header row"):
        read_table(b"5125550142,78704\n", "leads.csv")


def test_too_many_columns_are_refused_but_the_limit_itself_is_fine():
    limit = reading.MAX_COLUMNS
    table = read_table(",".join(f"C{i}" for i in range(limit)).encode() + b"\n", "wide.csv")
    assert len(table.headers) == limit
    with pytest.raises(FileReadError, match=f"{limit + 1} columns"):
        read_table(",".join(f"C{i}" for i in range(limit + 1)).encode() + b"\n", "wide.csv")


# --- Excel ---------------------------------------------------------------------------------


def test_xlsx_values_read_as_people_see_them():
    rows = [
        ["Name", "Phone", "Followers", "Score", "Created", "Met", "At", "Active", "Empty"],
        [
            "Dana", 5125550142, 12500.0, 0.1 + 0.2, datetime.datetime(2024, 5, 31, 0, 0),
            datetime.datetime(2024, 5, 31, 14, 30, 5), datetime.time(9, 15), True, None,
        ],
        ["Sam", 1e20, -3, 2.5, datetime.date(2023, 1, 2), None, None, False, None],
    ]
    table = read_table(xlsx_bytes(("Leads", rows)), "leads.xlsx")
    assert table.format == "xlsx"
    assert table.headers == rows[0]
    assert rows_of(table) == [
        (2, ["Dana", "5125550142", "12500", "0.3", "2024-05-31", "2024-05-31 14:30:05",
             "09:15:00", "TRUE", ""]),
        (3, ["Sam", "1e+20", "-3", "2.5", "2023-01-02", "", "", "FALSE", ""]),
    ]


def test_xlsx_rows_keep_sheet_row_numbers_and_skip_blanks():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B3"] = "Name"
    sheet["C3"] = "City"
    sheet["B4"] = "  Dana "
    sheet["C4"] = "Austin"
    sheet["C9"] = "Dallas"
    sheet["B10"] = "   "
    out = io.BytesIO()
    workbook.save(out)
    table = read_table(out.getvalue(), "leads.xlsx")
    assert table.header_row == 3
    assert table.headers == ["Column 1", "Name", "City"]
    assert rows_of(table) == [(4, ["", "Dana", "Austin"]), (9, ["", "", "Dallas"])]


def test_xlsx_sheet_choice():
    instructions = ("Instructions", [["Fill in the Leads sheet"], ["Name is required"]])
    leads = ("Leads", [["Name"], ["Dana"]])
    other = ("Sheet1", [["Company"], ["Acme"]])
    assert read_table(xlsx_bytes(instructions, other, leads), "a.xlsx").sheet_name == "Leads"
    assert read_table(xlsx_bytes(instructions, other), "a.xlsx").sheet_name == "Sheet1"
    assert read_table(xlsx_bytes(("Data ", [["Name"]]), other), "a.xlsx").sheet_name == "Data "
    hidden = xlsx_bytes(("Lists", [["Status"]]), other, hidden=("Lists",))
    assert read_table(hidden, "a.xlsx").sheet_name == "Sheet1"
    assert read_table(xlsx_bytes(instructions), "a.xlsx").sheet_name == "Instructions"


def test_xlsx_restores_protected_cells_and_formulas_give_their_value():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Phone", "Total"])
    sheet.append(["Dana", "'+1 512 555 0142", "=1+1"])
    out = io.BytesIO()
    workbook.save(out)
    # openpyxl stores no computed value for a formula, so there is nothing to show; Excel
    # would have saved "2".
    assert rows_of(read_table(out.getvalue(), "a.xlsx")) == [(2, ["Dana", "+1 512 555 0142", ""])]


def test_xlsx_rows_are_read_from_the_workbook_once_then_from_a_temporary_file(monkeypatch):
    data = xlsx_bytes(("Leads", [["Name"], ["Dana"], [None], ["Sam"]]))
    table = read_table(data, "leads.xlsx")
    expected = [(2, ["Dana"]), (4, ["Sam"])]
    assert rows_of(table) == expected

    def no_second_opening(source):
        raise AssertionError("the workbook was opened again")

    monkeypatch.setattr(reading, "_open_workbook", no_second_opening)
    assert rows_of(table) == expected
    assert table.count_rows() == 2
    spool = table.row_reader._path
    assert Path(spool).exists()
    del table
    gc.collect()
    assert not Path(spool).exists()


def test_an_abandoned_xlsx_pass_leaves_no_temporary_file():
    before = set(glob.glob(str(Path(tempfile.gettempdir()) / "leadbook-import-*")))
    table = read_table(xlsx_bytes(("Leads", [["Name"], ["Dana"], ["Sam"]])), "a.xlsx")
    rows = table.rows()
    next(rows)
    rows.close()
    assert set(glob.glob(str(Path(tempfile.gettempdir()) / "leadbook-import-*"))) == before
    assert rows_of(table) == [(2, ["Dana"]), (3, ["Sam"])]


def test_an_xlsx_renamed_to_csv_is_still_read_as_excel():
    table = read_table(xlsx_bytes(("Leads", [["Name"], ["Dana"]])), "leads.csv")
    assert table.format == "xlsx"


# --- Refusals and limits -------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\n", codecs.BOM_UTF8, b",,,\n,,\n"])
def test_empty_files_are_refused(data):
    with pytest.raises(FileReadError, match="empty"):
        read_table(data, "leads.csv")


def test_an_empty_workbook_is_refused():
    with pytest.raises(FileReadError, match="empty"):
        read_table(xlsx_bytes(("Leads", [])), "leads.xlsx")


def test_binary_posing_as_csv_is_refused():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(FileReadError, match="not a CSV or Excel file"):
        read_table(png, "leads.csv")


def test_a_binary_tail_after_text_is_refused_too():
    data = b"Name,City\n" + b"Dana,Austin\n" * 200_000 + b"\x00\x01\x02"
    with pytest.raises(FileReadError, match="not a CSV or Excel file"):
        read_table(data, "leads.csv")


@pytest.mark.parametrize("filename", ["leads.pdf", "leads.docx", "leads.json"])
def test_other_file_types_are_refused(filename):
    with pytest.raises(FileReadError, match="not a CSV or Excel file"):
        read_table(b"Name\nDana\n", filename)


def test_old_excel_is_refused_with_advice():
    ole2 = reading.OLE2_MAGIC + b"\x00" * 500
    for data, filename in [(ole2, "leads.xls"), (ole2, "leads.csv"), (b"Name\n", "a.XLS")]:
        with pytest.raises(FileReadError, match=r"\.xls.*save it as") as caught:
            read_table(data, filename)
        assert "CSV" in caught.value.message


def test_opendocument_is_refused_with_advice():
    with pytest.raises(FileReadError, match=r"save it as \.xlsx or CSV"):
        read_table(b"PK\x03\x04whatever", "leads.ods")


def test_an_xlsx_that_is_not_a_zip_is_refused():
    with pytest.raises(FileReadError, match="damaged or is not really an Excel file"):
        read_table(b"Name,City\nDana,Austin\n", "leads.xlsx")


def test_a_truncated_xlsx_is_refused():
    data = xlsx_bytes(("Leads", [["Name"], ["Dana"]]))
    with pytest.raises(FileReadError, match="damaged"):
        read_table(data[: len(data) // 2], "leads.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("leads.csv", "Name\nDana\n")
    with pytest.raises(FileReadError, match="not an Excel workbook"):
        read_table(out.getvalue(), "leads.xlsx")


def test_a_zip_with_workbook_parts_but_broken_xml_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<nope")
        archive.writestr("xl/workbook.xml", "<nope")
    with pytest.raises(FileReadError, match="could not be read"):
        read_table(out.getvalue(), "leads.xlsx")


def zip_bomb(member_bytes: int) -> bytes:
    """A real workbook plus a huge, highly compressible part (zeros), written in chunks."""
    workbook = zipfile.ZipFile(io.BytesIO(xlsx_bytes(("Leads", [["Name"], ["Dana"]]))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in workbook.infolist():
            archive.writestr(info, workbook.read(info.filename))
        with archive.open("xl/worksheets/sheet2.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    data = zip_bomb(50 * 1024 * 1024)
    assert len(data) < 200 * 1024  # 50 MB squeezed a thousand times
    tracemalloc.start()
    try:
        with pytest.raises(FileReadError, match="far more data than its size"):
            read_table(data, "leads.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


def test_a_workbook_that_unpacks_too_big_is_refused(monkeypatch):
    # The real limit is 200 MB; a small one keeps the test fast.
    monkeypatch.setattr(reading, "MAX_XLSX_UNPACKED_BYTES", 1024 * 1024)
    monkeypatch.setattr(reading, "MAX_XLSX_COMPRESSION_RATIO", 10_000)
    with pytest.raises(FileReadError, match="too big"):
        read_table(zip_bomb(2 * 1024 * 1024), "leads.xlsx")


def test_a_workbook_with_too_much_text_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_XLSX_SHARED_STRINGS_BYTES", 100)
    workbook = zipfile.ZipFile(io.BytesIO(xlsx_bytes(("Leads", [["Name"], ["Dana"]]))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in workbook.infolist():
            archive.writestr(info, workbook.read(info.filename))
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>x</t></si>" * 10 + "</sst>")
    with pytest.raises(FileReadError, match="too big"):
        read_table(out.getvalue(), "leads.xlsx")


def test_a_50_mb_single_line_is_refused_without_reading_it_all_at_once(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as out:
        out.write(b"Name,Notes\n")
        chunk = b"x" * (1024 * 1024)
        for _ in range(50):
            out.write(chunk)
    tracemalloc.start()
    try:
        with pytest.raises(FileReadError, match="longer than 1 MB; is it really a CSV"):
            list(read_table(path).rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024


def test_a_huge_first_line_is_refused_too():
    with pytest.raises(FileReadError, match="longer than 1 MB"):
        read_table(b"Name," + b"x" * (2 * 1024 * 1024), "leads.csv")


UNCLOSED_QUOTE = b'Name,Notes\nDana,fine\nSam,"oops\n' + b"more text, and more\n" * 60_000


def test_an_unclosed_quote_swallowing_many_lines_is_refused_with_its_row():
    with pytest.raises(FileReadError, match=r"Row 3 .*quote mark"):
        list(read_table(UNCLOSED_QUOTE, "leads.csv").rows())


@pytest.mark.parametrize("ending", ["\n", ""])
def test_a_quote_never_closed_is_refused_rather_than_swallowing_the_rows_after_it(ending):
    data = ('Name,Email,Notes\nSam,sam@example.com,"unbalanced note\n'
            "Ann,ann@example.com,ok\nBob,bob@example.com,ok" + ending).encode()
    with pytest.raises(FileReadError, match=r"Row 2 .*quote mark .* never closed"):
        list(read_table(data, "leads.csv").rows())


def test_cells_with_line_breaks_and_quotes_are_not_taken_for_a_runaway_quote():
    rows = [["Name", "Notes"], ["Dana", 'Said "call me"\nlater, maybe'], ["Sam", "a\nb"]]
    for data in (csv_bytes(rows), csv_bytes(rows).rstrip(b"\r\n")):
        assert [row.cells for row in read_table(data, "leads.csv").rows()] == rows[1:]


def test_a_title_row_above_the_header_is_passed_over():
    table = read_table(b"My leads (May 2024)\n\nName,Email\nDana,dana@example.com\n", "l.csv")
    assert table.header_row == 3
    assert table.headers == ["Name", "Email"]
    assert rows_of(table) == [(4, ["Dana", "dana@example.com"])]
    sheet = xlsx_bytes(("Leads", [["Leads export"], ["Name", "City"], ["Dana", "Austin"]]))
    assert read_table(sheet, "l.xlsx").headers == ["Name", "City"]


SALESFORCE_FOOTER = [[""], ["Leads by Source"],
                     ["Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."],
                     ["Confidential Information - Do Not Distribute"],
                     ["Generated By:  Admin User  5/31/2024 10:15 AM"], ["Acme Inc."]]


def test_a_salesforce_reports_footer_is_not_read_as_leads():
    rows = [["Company / Account", "First Name", "Email"], ["Acme", "Dana", "dana@example.com"]]
    table = read_table(csv_bytes(rows + SALESFORCE_FOOTER), "report.csv")
    assert rows_of(table) == [(2, ["Acme", "Dana", "dana@example.com"])]
    # Rows of one cell after a blank row are leads in any other file, and in the middle.
    names = [["Sam"], ["Ann"]]
    assert rows_of(read_table(csv_bytes([*rows, [""], *names]), "l.csv"))[1:] == [
        (4, ["Sam", "", ""]), (5, ["Ann", "", ""])]
    middle = rows + SALESFORCE_FOOTER[:2] + [["Beta", "Sam", "sam@example.com"]]
    assert [n for n, _ in rows_of(read_table(csv_bytes(middle), "l.csv"))] == [2, 4, 5]


def test_a_one_column_file_keeps_its_header():
    table = read_table(b"Name\nDana\nSam\n", "l.csv")
    assert (table.header_row, table.headers) == (1, ["Name"])
    assert rows_of(table) == [(2, ["Dana"]), (3, ["Sam"])]
    # A single-cell header over rows of values is not mistaken for a title either.
    assert read_table(b"Name\nDana,dana@example.com\n", "l.csv").headers == ["Name"]


def test_an_empty_first_sheet_is_passed_over():
    data = xlsx_bytes(("Sheet1", []), ("Sheet2", [["Name"], ["Dana"]]))
    table = read_table(data, "l.xlsx")
    assert table.sheet_name == "Sheet2"
    assert rows_of(table) == [(2, ["Dana"])]


def test_rows_stay_capped_when_other_code_raised_the_csv_field_limit():
    old_limit = csv.field_size_limit(100 * 1024 * 1024)
    try:
        with pytest.raises(FileReadError, match=r"Row 3 .*longer than 1 MB.*quote mark"):
            list(read_table(UNCLOSED_QUOTE, "leads.csv").rows())
    finally:
        csv.field_size_limit(old_limit)


def test_a_cell_over_the_csv_field_limit_is_refused_with_its_row():
    data = b"Name,Notes\nDana,ok\nSam," + b"y" * (200 * 1024) + b"\n"
    with pytest.raises(FileReadError, match=r"Row 3 .*128 KB"):
        list(read_table(data, "leads.csv").rows())


# --- The sample files ----------------------------------------------------------------------


def test_sample_files_read():
    brand = read_table(SAMPLES / "bulk_upload_example.csv")
    assert brand.headers[:4] == ["Name", "Lead Type", "Status", "Contact Name"]
    first = next(brand.rows())
    assert first.number == 2
    assert first.cells[:2] == ["Juniper & Vine", "Consignment, Wholesale"]
    assert all(len(row.cells) == len(brand.headers) for row in brand.rows())

    guide = read_table(SAMPLES / "leads_guide_template.csv")
    assert rows_of(guide)[0][1][:2] == ["John", "Doe"]


# --- Any table written by csv.writer reads back --------------------------------------------

header_names = st.lists(
    st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"), min_size=1, max_size=8),
    min_size=2, max_size=6, unique_by=str.casefold,
)
cell_text = st.text(
    st.sampled_from("abcXYZ 019,;|\t\"'\n-=+@.éñü€’—"), max_size=12
).map(str.strip).filter(lambda cell: not cell.startswith("'"))


@st.composite
def tables(draw):
    headers = draw(header_names)
    row = st.lists(cell_text, min_size=len(headers), max_size=len(headers)).filter(any)
    return [headers, *draw(st.lists(row, max_size=8))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=tables(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_any_table_written_with_csv_writer_reads_back(table, delimiter, encoding):
    data = csv_bytes(table, delimiter=delimiter, encoding=encoding)
    if encoding == "cp1252":
        # Windows-1252 bytes that also happen to be valid UTF-8 (say "é€’") are read as
        # UTF-8: no reader can tell them apart, and real files almost never contain them.
        assume(data.isascii() or not _is_utf8(data))
    result = read_table(data, "leads.csv")
    assert result.delimiter == delimiter
    assert result.headers == table[0]
    assert [row.cells for row in result.rows()] == table[1:]
    assert [row.number for row in result.rows()] == list(range(2, len(table) + 1))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_xlsx_zip_codes_keep_the_leading_zeros_their_format_shows():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Postal Code", "Phone"])
    sheet.append(["Dana", 2134, 5125550142])
    sheet["B2"].number_format = "00000"
    out = io.BytesIO()
    workbook.save(out)
    assert rows_of(read_table(out.getvalue(), "a.xlsx")) == [(2, ["Dana", "02134", "5125550142"])]


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (21341234, "00000\\-0000", "02134-1234"),  # Excel's "Zip Code + 4"
    (601, "[<=99999]00000;00000-0000", "00601"),  # a column of both kinds
    (21341234, "[<=99999]00000;00000-0000", "02134-1234"),
    (5125550142, "[<=9999999]###-####;(###) ###-####", "(512) 555-0142"),  # "Phone Number"
    (7700900123, "00000 000000", "07700 900123"),
    (7, '"ID-"000', "ID-007"),
    (123456, "00000", "123456"),
    (12500, "#,##0", "12500"),  # not a plain pattern of digits: the number as it is
    (12500, "General", "12500"),
    (2.0, "0.00", "2"),
])
def test_xlsx_whole_numbers_are_read_as_their_format_shows_them(value, number_format, shown):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Value"])
    sheet.append(["Dana", value])
    sheet["B2"].number_format = number_format
    out = io.BytesIO()
    workbook.save(out)
    assert rows_of(read_table(out.getvalue(), "a.xlsx")) == [(2, ["Dana", shown])]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lollollollollollollollollollollollollollollollollollollollollollollollol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>
"""


def test_an_xml_entity_bomb_inside_an_xlsx_is_refused():
    workbook = zipfile.ZipFile(io.BytesIO(xlsx_bytes(("Leads", [["Name"], ["Dana"]]))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in workbook.infolist():
            data = workbook.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = BILLION_LAUGHS.encode()
            archive.writestr(info, data)
    with pytest.raises(FileReadError, match="could not be read"):
        read_table(out.getvalue(), "leads.xlsx")
