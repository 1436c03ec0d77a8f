"""Import and export of the DEMOS seed's registry-entry JSON."""
