"""Search dumper extensions of the registry, added to the record classes' dumpers.

A record class's dumper is a class attribute shared by every app of a process (UI, API,
Celery), so an extension is added once per process, whichever app initialises first.
"""

from invenio_rdm_records.records.api import RDMDraft, RDMRecord


def add_to_record_dumpers(extension_cls):
    """Add an ``extension_cls()`` to the dumpers of published records and drafts, once per process."""
    for record_cls in (RDMRecord, RDMDraft):
        extensions = record_cls.dumper._extensions
        if not any(isinstance(extension, extension_cls) for extension in extensions):
            extensions.append(extension_cls())
