"""Batch jobs over many records and transcripts: the engine applied to whole files."""
