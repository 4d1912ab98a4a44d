"""Writes the spreadsheet fixtures of tests/io_everyday.rs with the writers spreadsheet users'
files come from: openpyxl (.xlsx), xlwt (.xls, BIFF8) and odfpy (.ods).

The data are the Guo et al. qPCR matrix and its sample annotations
(sample-data/guo_qpcr, see its PROVENANCE.txt), so a test can check a
workbook reads to exactly what the CSV files read to.

    pip install openpyxl==3.1.5 xlwt==1.3.0 odfpy==1.4.1
    python tests/data/spreadsheets/make.py
"""
import csv
import pathlib

import openpyxl
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

HERE = pathlib.Path(__file__).parent
GUO = HERE.parents[2] / "sample-data" / "guo_qpcr"


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return [rows[0]] + [[r[0]] + [value(c) for c in r[1:]] for r in rows[1:]]


def value(cell):
    try:
        return float(cell)
    except ValueError:
        return cell


def rows_at(rows, top, left):
    """(row, column, value) of every cell, the table's top-left cell at (top, left), 0-based."""
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v != "":
                yield top + i, left + j, v


def xlsx(path, sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (rows, top, left) in sheets.items():
        sheet = book.create_sheet(name)
        for i, j, v in rows_at(rows, top, left):
            sheet.cell(row=i + 1, column=j + 1, value=v)
    book.save(path)


def xls(path, sheets):
    book = xlwt.Workbook()
    for name, (rows, top, left) in sheets.items():
        sheet = book.add_sheet(name)
        for i, j, v in rows_at(rows, top, left):
            sheet.write(i, j, v)
    book.save(str(path))


def ods(path, sheets):
    doc = OpenDocumentSpreadsheet()
    for name, (rows, top, left) in sheets.items():
        table = Table(name=name)
        for _ in range(top):
            table.addElement(TableRow())
        for row in rows:
            tr = TableRow()
            for _ in range(left):
                tr.addElement(TableCell())
            for v in row:
                if isinstance(v, float):
                    cell = TableCell(valuetype="float", value=repr(v))
                    cell.addElement(P(text=repr(v)))
                elif v == "":
                    cell = TableCell()
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=v))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))


expression = read(GUO / "expression.csv")
samples = read(GUO / "samples.csv")
# Sample annotations as text where the CSV has text (a number column stays numbers).
book = {"Expression": (expression, 0, 0), "Samples": (samples, 0, 0)}
for suffix, write in (("xlsx", xlsx), ("xls", xls), ("ods", ods)):
    write(HERE / f"guo.{suffix}", book)

# A sheet whose table starts at B2, with one word among the numbers at E7 and a missing cell.
bad = [["cell", "Actb", "Gapdh", "Sox2"]]
for k in range(1, 9):
    bad.append([f"c{k}", 1.5 * k, 2.0 + k, 0.25 * k])
bad[5][3] = "high"  # row 6 of the table = sheet row 7; column 4 of the table = sheet column E
bad[3][2] = ""  # a missing value: row 4 of the table = sheet row 5; column 3 = sheet column D
clean = [list(r) for r in bad]
clean[5][3] = 0.25 * 5
sheets = {"Notes": ([["read me"]], 0, 0), "Counts": (bad, 1, 1), "Clean": (clean, 1, 1)}
xlsx(HERE / "bad_cell.xlsx", sheets)
xls(HERE / "bad_cell.xls", sheets)
