"""Keep spreadsheet programs from running cell contents as formulas (CSV injection).

A cell that starts with =, +, -, @, a tab or a carriage return is prefixed with a single
quote, which spreadsheets show as text. The importer removes exactly that prefix again, so a
file exported by Leadbook imports back unchanged.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    # A value that already starts with quotes before a formula start ("'=x") gets one more,
    # so that `restore`, which drops one, gives it back exactly.
    if value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Undo `neutralise`: drop a quote that only protects a formula-like start."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value
