"""Packaged rule tables (TSV) read by services.labeler.rulebook; no code lives here."""
