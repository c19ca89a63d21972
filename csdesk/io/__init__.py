"""CSV reading, validation, mapping and export: Qt-free and database-free."""
