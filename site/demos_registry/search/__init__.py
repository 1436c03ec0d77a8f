"""Search configuration of the registry: facets and their embedded-search variants."""
