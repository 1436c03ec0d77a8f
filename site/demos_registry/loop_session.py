"""Loops over many records in one database session (an import, a re-validation of a domain).

Each record written leaves its versioned rows (record, file and media-file metadata) in the
SQLAlchemy session, held by Invenio's caches after the commit; SQLAlchemy-Continuum inspects
every versioned object of the session on each flush. In a loop over records each step was
therefore slower than the one before: the 21 demo models went from 5.3 s to 8 s each, a
re-validation of a community of 40 models took minutes. A loop forgets them after each record.
"""

from invenio_db import db
from sqlalchemy_continuum.utils import is_versioned


def forget_loaded_records():
    """Detach the versioned rows the last step loaded (users, communities and the rest stay)."""
    for instance in [instance for instance in db.session if is_versioned(instance)]:
        db.session.expunge(instance)
