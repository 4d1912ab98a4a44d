"""Writes GEO series matrix fixtures for tests/io_everyday.rs in the layout GEO documents for
series matrix files (https://www.ncbi.nlm.nih.gov/geo/info/soft.html#seriesmatrix, and any
GSE..._series_matrix.txt.gz): `!Series_` lines, `!Sample_` lines with one double-quoted value
per sample, several `!Sample_characteristics_ch1` lines ("key: value"; GEO puts each sample's
i-th characteristic on line i, so keys move between lines when samples differ), then the
table between `!series_matrix_table_begin` and `!series_matrix_table_end`: "ID_REF" and one
column per GSM accession, probes in rows, `null` for a missing value.

The platform's probe ids are Affymetrix-like (`1007_s_at`) and Agilent/Illumina-like numbers
(`7892501`, `0101`): ids must stay text. Beside each file the script writes what a reader must
find: expected_matrix.csv (probes x samples, empty = missing) and expected_samples.csv.

    python tests/data/geo/make.py
"""
import csv
import gzip
import pathlib
import random

HERE = pathlib.Path(__file__).parent
rng = random.Random(19)

samples = [f"GSM10{k:04d}" for k in range(1, 7)]
titles = [f"hippocampus, {'AD' if k % 2 else 'control'} donor {k}" for k in range(1, 7)]
sources = ["hippocampus"] * 6
disease = ["Alzheimer's disease", "control"] * 3
age = ["81", "77", "90", "", "68", "85"]  # one donor's age is not given
sex = ["F", "M", "M", "F", "F", "M"]
rin = ["7.2", "8.1", "6.4", "7.9", "NA", "8.8"]  # RNA integrity; GEO writes what submitters wrote
probes = ["1007_s_at", "1053_at", "117_at", "121_at", "7892501", "7892502", "0101", "2E5", "1.5"]

matrix = [[round(rng.gauss(8.0, 2.0), 4) for _ in samples] for _ in probes]
matrix[2][3] = None  # `null` in the table
matrix[6][0] = None


def q(v):
    return f'"{v}"'


def row(key, values):
    return "\t".join([key] + [q(v) for v in values])


# Characteristics: sample 4 has no age, so from its second line on its keys move up a line.
char_lines = [[], [], [], []]
for k in range(6):
    mine = [f"disease state: {disease[k]}"]
    if age[k]:
        mine.append(f"age: {age[k]}")
    mine.append(f"Sex: {sex[k]}")
    mine.append(f"rin: {rin[k]}")
    for i in range(4):
        char_lines[i].append(mine[i] if i < len(mine) else "")

lines = [
    row("!Series_title", ["Gene expression in the ageing hippocampus (fixture)"]),
    row("!Series_geo_accession", ["GSE99999"]),
    row("!Series_status", ["Public on Jan 01 2026"]),
    row("!Series_summary", ["A fixture written to GEO's documented series matrix layout: \tnot real data."]),
    row("!Series_platform_id", ["GPL570"]),
    "",
    row("!Sample_title", titles),
    row("!Sample_geo_accession", samples),
    row("!Sample_status", ["Public on Jan 01 2026"] * 6),
    row("!Sample_source_name_ch1", sources),
    row("!Sample_organism_ch1", ["Homo sapiens"] * 6),
]
lines += [row("!Sample_characteristics_ch1", values) for values in char_lines]
lines += [
    row("!Sample_molecule_ch1", ["total RNA"] * 6),
    row("!Sample_data_processing", ["RMA, log2"] * 6),
    row("!Sample_platform_id", ["GPL570"] * 6),
    "!series_matrix_table_begin",
    "\t".join([q("ID_REF")] + [q(s) for s in samples]),
]
for probe, values in zip(probes, matrix):
    cells = ["null" if v is None else repr(v) for v in values]
    lines.append("\t".join([q(probe)] + cells))
lines.append("!series_matrix_table_end")
text = "\n".join(lines) + "\n"

(HERE / "GSE99999_series_matrix.txt").write_text(text)
with gzip.GzipFile(HERE / "GSE99999_series_matrix.txt.gz", "wb", mtime=0) as f:
    f.write(text.encode())

with open(HERE / "expected_matrix.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["probe"] + samples)
    for probe, values in zip(probes, matrix):
        w.writerow([probe] + ["" if v is None else repr(v) for v in values])
with open(HERE / "expected_samples.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["sample", "title", "source", "disease state", "age", "Sex", "rin"])
    for k, s in enumerate(samples):
        w.writerow([s, titles[k], sources[k], disease[k], age[k], sex[k], "" if rin[k] == "NA" else rin[k]])
