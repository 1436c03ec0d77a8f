"""English titles of vocabulary entries, kept per process for a few minutes."""

import time

from invenio_pidstore.errors import PIDDoesNotExistError
from invenio_vocabularies.records.api import Vocabulary


class VocabularyTitles:
    """English titles of vocabulary entries, kept per process for a few minutes.

    The DEMOS shape names a model's collaboration by its title, which the stored
    record does not hold (only the id); vocabularies change rarely, so a title may
    be up to ``ttl`` seconds old rather than cost a database query per request.
    """

    def __init__(self, ttl=300):
        """An empty cache whose entries live ``ttl`` seconds."""
        self.ttl = ttl
        self._titles = {}

    def __contains__(self, key):
        """Whether ``(vocabulary, id)`` has a title (or its absence) cached and still fresh."""
        cached = self._titles.get(key)
        return bool(cached) and cached[0] > time.monotonic()

    def get(self, vocabulary, id_):
        """The English title of an entry (None if it has none or does not exist)."""
        key = (vocabulary, id_)
        if key in self:
            return self._titles[key][1]
        try:
            title = Vocabulary.pid.with_type_ctx(vocabulary).resolve(id_).get("title", {}).get("en")
        except PIDDoesNotExistError:
            title = None
        self._titles[key] = (time.monotonic() + self.ttl, title)
        return title
