"""The sales side of a call: clients and their phones, call cards (what the
tracker saw, tied to managers and clients), and later leads and callback
tasks. Rules live in plain functions and services; SQL stays in the stores."""
