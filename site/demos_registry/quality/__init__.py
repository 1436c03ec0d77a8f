"""Quality score and licence check of a model: how reusable it is, and what would make it more so."""
