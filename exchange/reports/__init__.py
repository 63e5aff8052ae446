"""Reports computed from metadata records, without I/O: the storage layer reads, these count."""
