"""Everything users read: rich tables, JSON documents, CSV files, charts and maps."""
