"""One file a schema revision, each naming the revision it follows (docs/records.md, "Migrations")."""
