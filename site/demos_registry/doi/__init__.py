"""DataCite DOIs of the registry: provider, retry task and a local DataCite-protocol server."""
