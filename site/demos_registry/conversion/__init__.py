"""Format conversion of a model file: pyhf workspace ⇄ HS3, by the validation engine's translators."""
