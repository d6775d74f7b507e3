"""Reports and exports: listing and market PDFs, lead exports in CSV and Excel, report requests."""
