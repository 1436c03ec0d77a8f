"""Personal access tokens: a maximum lifetime and a "last used" time the owner can see.

invenio-oauth2server creates personal tokens that never expire and does not record
their use. This package caps the lifetime when a token is created
(``DEMOS_PERSONAL_TOKEN_MAX_LIFETIME``) and records when each token was last used; the
settings page lists both. Revoking a token deletes its row, which the next request's
token check no longer finds (nothing caches tokens).
"""
