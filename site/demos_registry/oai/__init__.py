"""OAI-PMH of the registry: domain sets and harvesting without percolators."""
