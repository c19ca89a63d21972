"""Sync with a CRM through files: the import of a CSV file or export folder (``importer``),
the bulk path for usage-sized files (``bulk``), per-entity adapters that turn rows into
records (``adapters``), what an import found and did (``results``) and exports
(``export``)."""
