"""The shared datasets as reference.py loads them, for the reference scripts beside this file."""
import os

import numpy as np
import polars as pl

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sample-data")
# (reference key, folder, expression file)
DATASETS = [
    ("tissue_gene_expression", "tissue_gene_expression", "expression.csv"),
    ("nci60", "nci60", "expression.csv"),
    ("khan_srbct", "khan_srbct", "expression.csv"),
    ("guo_qpcr", "guo_qpcr", "expression.csv"),
    ("pbmc68k_reduced", "pbmc68k_reduced", "expression.csv"),
    ("pbmc68k_reduced[lognorm]", "pbmc68k_reduced", "expression_lognorm.csv"),
    ("sklearn_iris", "sklearn_iris", "expression.csv"),
]


def load(folder, file="expression.csv"):
    """The matrix (samples x genes) and the `label` column of samples.csv."""
    frame = pl.read_csv(os.path.join(DATA, folder, file))
    labels = pl.read_csv(os.path.join(DATA, folder, "samples.csv"), infer_schema_length=0)["label"].to_list()
    return frame.drop(frame.columns[0]).to_numpy().astype(float), np.array(labels)
