"""Files in and out: CSV import with mapping, exports (CSV, JSON, iCalendar), backups."""
