"""honkwatch central service: verified ingest, storage, review pages, reports."""

__version__ = "0.1.0"
