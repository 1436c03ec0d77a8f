"""DataCite DOIs of the registry: provider, registration states, retry task and administrators' commands."""
