"""Asterisk's own CDR store, read to recover the calls that began and ended while no backend consumed AMI:
the rows (``rows``), where they come from (``master_csv``: cdr_csv's ``Master.csv``), and the call records
they imply (``recovery``)."""
